"""Events <-> Standard MIDI Files, laid out the way DAWs import them (docs/midi.md).

Writing: a type 1 file holds a conductor track (tempo map, time signatures, markers) and one
named track per channel, in channel order, each starting with its program; every track ends
on the same tick (the stream's End, else the bar line after the last event) so DAW loops line
up. Type 0 merges all of it into one track. The bytes are written directly by ``smf``.
Reading accepts type 0 and 1 files from the wild and gives back the stream at 480 ticks per
quarter note; ``smfread`` parses the bytes.

mido is imported only by ``events_to_midi``, for Python users who want its message objects.

    >>> f = events_to_midi([{"type": "Note", "t": 0, "dur": 480, "ch": 9, "key": 36, "vel": 100}])
    >>> [t.name for t in f.tracks]
    ['', 'Drums']
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterable, Iterator

from . import smfread
from .events import PPQ
from .smf import MAX_DELTA, MAX_TEMPO_US, MidiError, Song, bar_ceiling  # noqa: F401 - the API
from .smfread import MidiFileError  # noqa: F401 - the API


def _ignore(msg: str) -> None:
    pass


# --------------------------------------------------------------------------- writing


def midi_bytes(events: Iterable[dict], *, type: int = 1, ppq: int = PPQ, title: str | None = None,
               warn: Callable[[str], None] | None = None, checked: bool = False,
               mark: Callable[[dict], object] | None = None) -> bytes:
    """The Standard MIDI File of the stream: type 1 (conductor + one track per channel) or 0.

    ``ppq`` rescales the 480-tick stream; ``title`` names the conductor track (the song);
    ``warn`` receives one-line notes about notes cut at the End or overlapping. Raises
    MidiError for an event MIDI cannot hold. Events are validated against the event table
    unless ``checked`` (a stage's reader did it); NoteOn/NoteOff pairs must be paired into
    Notes first (``musicpipe.stream`` does that). ``mark``: see ``smf.Song``.
    """
    if type not in (0, 1):
        raise ValueError("type must be 0 or 1")
    if not 1 <= ppq <= 0x7FFF:
        raise ValueError("ppq must be in range 1..32767")
    song = Song(events, checked=checked, ppq=ppq, mark=mark)
    return song.encode(type=type, ppq=ppq, title=title, warn=warn)


def events_to_midi(events: Iterable[dict], **kw):
    """The file as a ``mido.MidiFile`` (same options as ``midi_bytes``), for Python users
    who want message objects."""
    import mido

    return mido.MidiFile(file=io.BytesIO(midi_bytes(events, **kw)), charset="utf-8")


def write_midi(events: Iterable[dict], path: str | os.PathLike, **kw) -> None:
    """Write the stream as a MIDI file, atomically: a failure leaves ``path`` untouched."""
    from .atomic import atomic_write

    atomic_write(path, midi_bytes(events, **kw))


# --------------------------------------------------------------------------- reading


def read_midi(source, *, warn: Callable[[str], None] | None = None,
              progress: Callable[[float], None] | None = None) -> Iterator[list]:
    """The stream of a MIDI file (a path, a binary file object or bytes), at 480 PPQ, in
    batches of events (msgspec Structs, a KeySig as a dict): what ``from-midi`` writes.

    Times are rescaled to the nearest 480th of a quarter note (halves round up); a note
    keeps at least one tick. Events come in time order; on the same tick Tempo, TimeSig,
    KeySig, Marker, ProgramChange, ControlChange, Note, and End last. ``warn`` receives
    one-line notes (clipped data bytes, dropped messages); ``progress`` the fraction of the
    work done, now and then. Raises MidiFileError for a file that is not MIDI, truncated or
    corrupt, before the first batch.
    """
    if isinstance(source, (bytes, bytearray)):
        data = bytes(source)
    elif isinstance(source, (str, os.PathLike)):
        with open(source, "rb") as f:
            data = _read_bounded(f)
    else:
        data = _read_bounded(source)
    if len(data) > MAX_FILE:
        raise MidiFileError(f"larger than {MAX_FILE >> 20} MiB: not a MIDI file this reads")
    if data[:4] == b"RIFF" and data[8:12] == b"RMID":  # RIFF-wrapped MIDI (.rmi)
        data = data[max(0, data.find(b"MThd")):]
    if data[:4] != b"MThd":
        raise MidiFileError("not a MIDI file (it does not start with MThd)")
    return smfread.read(data, warn or _ignore, progress)


def midi_to_events(source, *, warn: Callable[[str], None] | None = None) -> list[dict]:
    """The stream of a MIDI file as one list of dicts (see ``read_midi``)."""
    from .structs import as_dict

    return [ev if ev.__class__ is dict else as_dict(ev)
            for batch in read_midi(source, warn=warn) for ev in batch]


MAX_FILE = 64 << 20
"""The largest MIDI file read (64 MiB; real ones are far smaller): /dev/zero is no hang."""


def _read_bounded(f) -> bytes:
    """At most MAX_FILE + 1 bytes, and only 4 when they cannot start a MIDI file."""
    head = f.read(4)
    if head not in (b"MThd", b"RIFF"):
        return head
    return head + f.read(MAX_FILE - 3)

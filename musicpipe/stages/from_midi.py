"""from-midi: read a MIDI file into a stream (or into `seq` notation)."""

from __future__ import annotations

import sys
from collections.abc import Iterable

import click

from .. import cli
from ..stream import DataError

# Note values `seq` names, longest first: ticks at 480 per quarter -> the token after "/".
_VALUES = {1920: "1", 2880: "1.", 960: "2", 1440: "2.", 640: "2t", 480: "4", 720: "4.",
           320: "4t", 240: "8", 360: "8.", 160: "8t", 120: "16", 180: "16.", 80: "16t",
           60: "32", 90: "32."}


def _value(ticks: int) -> str:
    return _VALUES.get(ticks) or f"t{ticks}"


def format_seq(notes: Iterable[dict]) -> str:
    """One channel's notes as `seq` notation: notes, [chords] and R rests from tick 0.

    Notes starting together form a chord lasting as long as its longest note, cut where the
    next onset starts (seq has no overlapping voices); velocities are left out.

    >>> format_seq([{"t": 0, "dur": 480, "key": 60}, {"t": 960, "dur": 240, "key": 64},
    ...             {"t": 960, "dur": 240, "key": 67}])
    'C4/4 R/4 [E4,G4]/8'
    """
    from ..theory import note_name

    onsets: dict[int, list[dict]] = {}
    for n in notes:
        onsets.setdefault(n["t"], []).append(n)
    times = sorted(onsets)
    tokens, now = [], 0
    for i, t in enumerate(times):
        if t > now:
            tokens.append(f"R/{_value(t - now)}")
        group = onsets[t]
        length = max(n["dur"] for n in group)
        if i + 1 < len(times):
            length = min(length, times[i + 1] - t)
        keys = sorted({n["key"] for n in group})
        names = note_name(keys[0]) if len(keys) == 1 else "[" + ",".join(map(note_name, keys)) + "]"
        tokens.append(f"{names}/{_value(length)}")
        now = t + length
    return " ".join(tokens)


def notation(events: Iterable[dict], channels: Iterable[int] = ()) -> str:
    """One line of `seq` notation per channel with notes (only ``channels`` when given)."""
    by_ch: dict[int, list[dict]] = {}
    for ev in events:
        if ev["type"] == "Note":
            by_ch.setdefault(ev["ch"], []).append(ev)
    only = set(channels)
    return "".join(format_seq(by_ch[ch]) + "\n" for ch in sorted(by_ch) if not only or ch in only)


@cli.stage("from-midi", examples=[
    "to-midi --out riff.mid < examples/riff.jsonl && from-midi riff.mid | head -5",
    "to-midi --out riff.mid < examples/riff.jsonl && from-midi --notation --ch 0 riff.mid",
    "to-midi --out - < examples/riff.jsonl | from-midi - | transpose -s 12 | to-midi --out up.mid",
])
@click.argument("file", metavar="FILE", default="-",
                type=click.Path(dir_okay=False, allow_dash=True, exists=True))
@click.option("--notation", "as_notation", is_flag=True,
              help="Print `seq` notation (one line per channel) instead of the stream.")
@click.option("--ch", "channels", type=click.IntRange(0, 15), multiple=True,
              help="With --notation: only these channels (repeatable).")
def command(io: cli.StageIO, file: str, as_notation: bool, channels: tuple[int, ...]):
    """Read a Standard MIDI File (type 0 or 1, any resolution) into a stream at 480 PPQ.

    FILE `-` (the default) reads the file's bytes from stdin. Emits Tempo, TimeSig,
    ProgramChange, ControlChange, Note, Marker (a track's name becomes a Marker with its
    channel) and End, in time order. Times are rescaled to the nearest tick; data bytes
    above 127 are clipped with a warning; pitch bends, aftertouch and sysex are dropped
    (counted on stderr). A file that is not MIDI, truncated or corrupt exits 65.
    """
    from .. import midi

    if file == "-":
        if io.stdin_is_terminal():
            raise click.UsageError("give a MIDI FILE, or pipe one in (from-midi - < song.mid)")
        source, label = sys.stdin.buffer, "stdin"
    else:
        source, label = file, file
    try:
        events = midi.midi_to_events(source, warn=io.warn)
    except midi.MidiFileError as e:
        raise DataError(f"{label}: {e}") from None
    if as_notation:
        io.writer.sink(notation(events, channels).encode())
        return None
    return events


main = command

"""Events <-> Standard MIDI Files, laid out the way DAWs import them (docs/midi.md).

Writing: a type 1 file holds a conductor track (tempo map, time signatures, markers) and one
named track per channel, in channel order, each starting with its program; every track ends
on the same tick (the stream's End, else the bar line after the last event) so DAW loops line
up. Type 0 merges all of it into one track. Reading accepts type 0 and 1 files from the wild
and gives back the stream at 480 ticks per quarter note.

mido is imported inside the functions: stages that never touch a MIDI file never pay for it.

    >>> f = events_to_midi([{"type": "Note", "t": 0, "dur": 480, "ch": 9, "key": 36, "vel": 100}])
    >>> [t.name for t in f.tracks]
    ['', 'Drums']
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterable

from .events import DRUM_CHANNEL, PPQ, EventError, check

MAX_DELTA = 0x0FFFFFFF
"""The largest gap between two events of a track: MIDI's 4-byte variable-length number."""

MAX_TEMPO_US = 0xFFFFFF
"""The slowest tempo MIDI stores, in microseconds per quarter note (3 bytes: 3.58 bpm)."""

# What comes first among messages on the same tick: note-offs, so a note that ends where the
# next one on its key starts never cuts that one short; then meta events, the program (so it
# applies to notes starting on that tick), controllers, and last the note-ons.
_OFF, _META, _PROGRAM, _CC, _ON = range(5)

# Order of events on the same tick in a stream read from a file: conductor events first.
_READ_RANK = {"Tempo": 0, "TimeSig": 1, "KeySig": 1, "Marker": 2, "ProgramChange": 3, "ControlChange": 4,
              "Note": 5}


class MidiError(ValueError):
    """An event a MIDI file cannot hold; ``event`` is it, so a stage can name its line."""

    def __init__(self, message: str, event: dict | None = None):
        super().__init__(message)
        self.event = event


class MidiFileError(ValueError):
    """Not a MIDI file, or a truncated or corrupt one; the message is one line."""


def _ignore(msg: str) -> None:
    pass


# --------------------------------------------------------------------------- writing


def part_of(ev: dict) -> tuple[str, int]:
    """The track an event belongs to in a file: its ``track`` name (if any) and channel."""
    track = ev.get("track")
    if track is not None and track.__class__ is not str:
        raise MidiError(f'{ev["type"]} field "track" must be text (a track name)', ev)
    return track or "", ev["ch"]


class _Song:
    """The stream sorted into what the file needs: conductor events, parts, notes, End.

    A part is one track of the file: a channel, or a (track name, channel) when events carry
    a ``track`` (two tracks on one channel stay two tracks)."""

    def __init__(self, events: Iterable[dict]):
        self.conductor: list[dict] = []          # Tempo, TimeSig, KeySig, Marker without ch
        self.sigs: list[dict] = []
        self.channel_events: dict[tuple[str, int], list[dict]] = {}  # programs, controls, ...
        self.names: dict[tuple[str, int], dict] = {}  # the Marker naming each part's track
        self.notes: list[dict] = []
        self.end: dict | None = None
        self.last = 0                            # the latest tick any event reaches
        self.last_start = 0                      # the latest tick any event starts at
        self.last_event: dict | None = None      # the event that reaches it
        for ev in events:
            typ = ev.get("type")
            if typ not in _KINDS:
                continue
            try:
                check(ev)
            except EventError as e:
                raise MidiError(str(e), ev) from None
            t = ev["t"]
            self.last_start = max(self.last_start, t)
            if typ == "Note":
                self.notes.append(ev)
                self.channel_events.setdefault(part_of(ev), [])
                t += ev["dur"]
            elif typ == "End":
                if self.end is None or t >= self.end["t"]:
                    self.end = ev
                continue
            elif typ == "Marker" and ev.get("ch") is not None:
                part = part_of(ev)
                name = self.names.get(part)
                if name is None or t < name["t"]:
                    if name is not None:
                        self.channel_events[part].append(name)
                    self.names[part] = ev
                    self.channel_events.setdefault(part, [])
                else:
                    self.channel_events[part].append(ev)
            elif typ in _CHANNEL:
                self.channel_events.setdefault(part_of(ev), []).append(ev)
            else:
                self.conductor.append(ev)
                if typ == "TimeSig":
                    self.sigs.append(ev)
            if t > self.last:
                self.last, self.last_event = t, ev
        self.sigs.sort(key=_t)

    def end_tick(self) -> int:
        """The stream's End, else the first bar line at or after the last event; but a tail
        of less than a sixteenth past a bar line (a humanized last note) adds no bar: when
        everything starts before that bar line, the piece ends on it."""
        if self.end is not None:
            return self.end["t"]
        line = bar_ceiling(self.last - OVERHANG, self.sigs)
        if line < self.last and self.last_start < line:
            return line
        return bar_ceiling(self.last, self.sigs)


_CHANNEL = ("ProgramChange", "ControlChange", "PitchBend", "ChannelPressure")
_KINDS = frozenset(("Tempo", "TimeSig", "KeySig", "Note", "Marker", "End") + _CHANNEL)


def _t(ev: dict) -> int:
    return ev["t"]


OVERHANG = PPQ // 4 - 1  # ticks past a bar line that do not make another bar


def bar_ceiling(tick: int, sigs: list[dict]) -> int:
    """The first bar line at or after ``tick``; bars count from each TimeSig (default 4/4).

    ``sigs`` are TimeSig events in time order.

    >>> bar_ceiling(1921, []), bar_ceiling(1440, [{"t": 0, "num": 3, "den": 4}])
    (3840, 1440)
    """
    start, length = 0, 4 * PPQ
    for sig in sigs:
        if sig["t"] > tick:
            break
        start, length = sig["t"], sig["num"] * 4 * PPQ // sig["den"]
    return start - (start - tick) // length * length


def _scaler(ppq: int) -> Callable[[int], int]:
    """480-tick times to ``ppq`` ticks, to the nearest tick (halves round up)."""
    if ppq == PPQ:
        return int
    return lambda t: (t * ppq * 2 + PPQ) // (2 * PPQ)


def _note_spans(song: _Song, scale: Callable[[int], int], end: int,
                warn: Callable[[str], None]) -> dict[tuple[str, int], list[list]]:
    """Each part's notes as [on, off, key, vel, event] in file ticks, ready to write.

    A note keeps at least one tick after rescaling; notes are cut at the End; a note that
    starts while another on the same channel and key still sounds ends that one (two notes
    starting together on a key become the longer one), so note-offs never pair with the
    wrong note-on in a DAW.
    """
    by_key: dict[tuple[int, int], list[list]] = {}
    cut = dropped = shortened = merged = 0
    for ev in song.notes:
        on = scale(ev["t"])
        if on >= end:
            dropped += 1
            continue
        off = max(scale(ev["t"] + ev["dur"]), on + 1)
        if off > end:
            off = end
            cut += 1
        by_key.setdefault((ev["ch"], ev["key"]), []).append([on, off, ev["key"], ev["vel"], ev])
    spans: dict[tuple[str, int], list[list]] = {}
    for notes in by_key.values():
        notes.sort(key=lambda n: (n[0], -n[1]))
        prev = None
        for n in notes:
            if prev is not None:
                if prev[0] == n[0]:
                    merged += 1
                    continue
                if prev[1] > n[0]:
                    prev[1] = n[0]
                    shortened += 1
            spans.setdefault(part_of(n[4]), []).append(n)
            prev = n
    if dropped or cut:
        warn(f"{dropped + cut} notes reach past the End at tick {end} "
             f"({cut} cut there, {dropped} starting at or after it dropped)")
    if shortened or merged:
        warn(f"{shortened + merged} notes overlap another on the same channel and key "
             f"({shortened} ended where the next starts, {merged} starting together merged)")
    return spans


def events_to_midi(events: Iterable[dict], *, type: int = 1, ppq: int = PPQ,
                   title: str | None = None, warn: Callable[[str], None] | None = None):
    """A ``mido.MidiFile`` of the stream: type 1 (conductor + one track per channel) or 0.

    ``ppq`` rescales the 480-tick stream; ``title`` names the conductor track (the song);
    ``warn`` receives one-line notes about notes cut at the End or overlapping. Raises
    MidiError for an event MIDI cannot hold. Events are validated against the event table;
    NoteOn/NoteOff pairs must be paired into Notes first (``musicpipe.stream`` does that).
    """
    import mido

    if type not in (0, 1):
        raise ValueError("type must be 0 or 1")
    if not 1 <= ppq <= 0x7FFF:
        raise ValueError("ppq must be in range 1..32767")
    warn = warn or _ignore
    song = _Song(events)
    scale = _scaler(ppq)
    end = scale(song.end_tick())
    if end > MAX_DELTA:  # then no gap in any track can be too long for MIDI either
        culprit = song.end or song.last_event
        raise MidiError(f"the piece is {end} ticks long; a MIDI file holds at most {MAX_DELTA} "
                        f"({MAX_DELTA // ppq // 120 // 60} hours at 120 bpm)", culprit)
    late = [ev for evs in (song.conductor, *song.channel_events.values()) for ev in evs
            if scale(ev["t"]) > end]
    if late:
        warn(f"{len(late)} events after the End at tick {end} dropped")

    conductor: list[tuple] = []
    if title:
        conductor.append((0, _META, "track_name", {"name": title}, None))
    for ev in song.conductor:
        t = scale(ev["t"])
        if t > end:
            continue
        if ev["type"] == "Tempo":  # the table's 4..1000 bpm always fits MIDI's 3 bytes
            conductor.append((t, _META, "set_tempo", {"tempo": round(60_000_000 / ev["bpm"])}, ev))
        elif ev["type"] == "TimeSig":
            conductor.append((t, _META, "time_signature",
                              {"numerator": ev["num"], "denominator": ev["den"]}, ev))
        elif ev["type"] == "KeySig":
            conductor.append((t, _META, "key_signature", {"key": _mido_key(ev)}, ev))
        else:
            conductor.append((t, _META, "marker", {"text": ev["text"]}, ev))

    spans = _note_spans(song, scale, end, warn)
    tracks = [conductor]
    for part in sorted(song.channel_events, key=lambda p: p[1]):  # stable: in stream order
        tracks.append(_channel_track(part, song, spans.get(part, ()), scale, end))

    if type == 0:  # one track: the tracks' names have nowhere to go
        tracks = [conductor + [item for track in tracks[1:] for item in track
                               if item[2] != "track_name"]]
    midi = mido.MidiFile(type=type, ticks_per_beat=ppq, charset="utf-8")
    for items in tracks:
        items.sort(key=_order)
        midi.tracks.append(_encode(items, end, mido))
    return midi


# mido spells key signatures by name: the major or minor key with that many sharps (+) or flats.
_MAJOR_BY_SHARPS = dict(zip(range(-7, 8), "Cb Gb Db Ab Eb Bb F C G D A E B F# C#".split()))
_MINOR_BY_SHARPS = dict(zip(range(-7, 8), "Ab Eb Bb F C G D A E B F# C# G# D# A#".split()))


def _mido_key(ev: dict) -> str:
    """A KeySig's signature as mido names it ('Bb', 'F#m')."""
    from .theory import TheoryError, key_signature, parse_key

    try:
        sharps, minor = key_signature(*parse_key(f"{ev['key']} {ev['mode']}"))
    except TheoryError as e:
        raise MidiError(f"KeySig: {e}", ev) from None
    return _MINOR_BY_SHARPS[sharps] + "m" if minor else _MAJOR_BY_SHARPS[sharps]


def _order(item: tuple) -> tuple[int, int]:
    return item[0], item[1]


def _channel_track(part: tuple[str, int], song: _Song, notes, scale, end: int) -> list[tuple]:
    """One part's track as (tick, rank, message type, fields, event) items, named by its
    Marker, else its ``track`` name, else its instrument."""
    track, ch = part
    evs = sorted(song.channel_events[part], key=_t)
    programs = [ev for ev in evs if ev["type"] == "ProgramChange"]
    first = programs[0]["program"] if programs else None
    name = song.names.get(part)
    items: list[tuple] = [(0, _META, "track_name", {"name": name["text"] if name else track or
                                                    _track_name(first or 0, ch)}, name)]
    set_at_start = any(ev["t"] == 0 and ev["type"] == "ProgramChange"
                       for (_, c), evs_ in song.channel_events.items() if c == ch for ev in evs_)
    if ch != DRUM_CHANNEL and not set_at_start and track == min(t for t, c in song.channel_events if c == ch):
        # A track's program is set at its start, so a DAW picks the instrument on import.
        items.append((0, _PROGRAM, "program_change", {"channel": ch, "program": 0}, None))
    for ev in evs:
        t = scale(ev["t"])
        if t > end:
            continue
        if ev["type"] == "ProgramChange":
            items.append((t, _PROGRAM, "program_change", {"channel": ch, "program": ev["program"]}, ev))
        elif ev["type"] == "ControlChange":
            items.append((t, _CC, "control_change",
                          {"channel": ch, "control": ev["cc"], "value": ev["value"]}, ev))
        elif ev["type"] == "PitchBend":
            items.append((t, _CC, "pitchwheel", {"channel": ch, "pitch": ev["value"]}, ev))
        elif ev["type"] == "ChannelPressure":
            items.append((t, _CC, "aftertouch", {"channel": ch, "value": ev["value"]}, ev))
        else:
            items.append((t, _META, "marker", {"text": ev["text"]}, ev))
    for on, off, key, vel, ev in notes:
        items.append((on, _ON, "note_on", {"channel": ch, "note": key, "velocity": vel}, ev))
        items.append((off, _OFF, "note_off", {"channel": ch, "note": key, "velocity": 64}, ev))
    return items


def _track_name(program: int, ch: int) -> str:
    from .theory import track_name

    return track_name(program, ch)


def _encode(items: list[tuple], end: int, mido):
    """Sorted items -> a mido track with delta times, ending at ``end``."""
    track = mido.MidiTrack()
    append = track.append
    Message, MetaMessage = mido.Message, mido.MetaMessage
    now = 0
    for tick, rank, typ, fields, _ in items:
        delta = tick - now
        if rank == _META:
            append(MetaMessage(typ, time=delta, **fields))
        else:
            append(Message(typ, skip_checks=True, time=delta, **fields))
        now = tick
    append(MetaMessage("end_of_track", time=end - now))
    return track


def midi_bytes(events: Iterable[dict], **kw) -> bytes:
    """The file's bytes (same options as ``events_to_midi``)."""
    buf = io.BytesIO()
    events_to_midi(events, **kw).save(file=buf)
    return buf.getvalue()


def write_midi(events: Iterable[dict], path: str | os.PathLike, *, type: int = 1, ppq: int = PPQ,
               **kw) -> None:
    """Write the stream as a MIDI file, atomically: a failure leaves ``path`` untouched."""
    from .atomic import atomic_write

    atomic_write(path, midi_bytes(events, type=type, ppq=ppq, **kw))


# --------------------------------------------------------------------------- reading


def midi_to_events(source, *, warn: Callable[[str], None] | None = None) -> list[dict]:
    """The stream of a MIDI file (a path, a binary file object or bytes), at 480 PPQ.

    Times are rescaled to the nearest 480th of a quarter note (halves round up); a note
    keeps at least one tick. Events come in time order; on the same tick Tempo, TimeSig,
    Marker, ProgramChange, ControlChange, Note, and End last. ``warn`` receives one-line
    notes (clipped data bytes, dropped messages). Raises MidiFileError for a file that is
    not MIDI, truncated or corrupt.
    """
    warn = warn or _ignore
    if isinstance(source, (bytes, bytearray)):
        data = bytes(source)
    elif isinstance(source, (str, os.PathLike)):
        with open(source, "rb") as f:
            data = f.read()
    else:
        data = source.read()
    midi = _load(data, warn)
    return _file_events(midi, warn)


def _load(data: bytes, warn):
    import mido

    if data[:4] == b"RIFF" and data[8:12] == b"RMID":  # RIFF-wrapped MIDI (.rmi)
        data = data[max(0, data.find(b"MThd")):]
    if data[:4] != b"MThd":
        raise MidiFileError("not a MIDI file (it does not start with MThd)")
    _check_chunks(data)
    for clip in (False, True):
        try:
            midi = mido.MidiFile(file=io.BytesIO(data), clip=clip, charset="latin1")
        except EOFError:
            raise MidiFileError("truncated MIDI file: it ends inside a message") from None
        except OSError as e:
            if not clip and "data byte" in str(e):
                continue
            raise MidiFileError(f"corrupt MIDI file: {e}") from None
        except (ValueError, IndexError, KeyError, TypeError) as e:
            raise MidiFileError(f"corrupt MIDI file: bad event ({type(e).__name__}: {e})") from None
        if clip:
            warn("data bytes above 127 clipped to 127 (the file breaks the MIDI standard)")
        return midi
    raise AssertionError("unreachable: the clipping read raises or returns")


def _check_chunks(data: bytes) -> None:
    """Report a truncated file by which track is cut short, before parsing any message."""
    import struct

    if len(data) < 14:
        raise MidiFileError("truncated MIDI file: the header is incomplete")
    size, = struct.unpack(">L", data[4:8])
    _, count, _ = struct.unpack(">hhh", data[8:14])
    pos = 8 + size
    for n in range(1, count + 1):
        if pos + 8 > len(data):
            raise MidiFileError(f"truncated MIDI file: track {n} of {count} is missing")
        size, = struct.unpack(">L", data[pos + 4:pos + 8])
        if pos + 8 + size > len(data):
            raise MidiFileError(f"truncated MIDI file: track {n} of {count} is cut short "
                                f"({len(data) - pos - 8} of {size} bytes)")
        pos += 8 + size


def _text(s: str) -> str:
    """Meta text is read as Latin-1 (never fails); most files in the wild are UTF-8."""
    raw = s.encode("latin1")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return s


def _file_events(midi, warn) -> list[dict]:
    division = midi.ticks_per_beat
    if division < 0:  # SMPTE: frames per second and ticks per frame, no tempo
        fps, per_frame = -(division >> 8), division & 0xFF
        fps = 29.97 if fps == 29 else fps
        warn("SMPTE time division: times converted at a fixed 120 bpm")
        ticks_per_second = fps * per_frame

        def scale(t: int) -> int:
            return int(t * 2 * PPQ / ticks_per_second + 0.5)
    elif division == 0:
        raise MidiFileError("corrupt MIDI file: 0 ticks per quarter note")
    else:
        def scale(t: int) -> int:
            return (t * PPQ * 2 + division) // (2 * division)

    out: list[tuple] = []
    if division < 0:
        out.append((0, 0, {"type": "Tempo", "t": 0, "bpm": 120}))
    tags = _shared_channel_tracks(midi)
    dropped: dict[str, int] = {}
    stats = {"orphan": 0, "open": 0, "tempo": 0, "sig": 0}
    end = 0
    for n, track in enumerate(midi.tracks):
        end = max(end, _track_events(track, scale, midi.type != 0, out, dropped, stats,
                                     smpte=division < 0, tag=tags.get(n)))
    out.sort(key=lambda item: (item[0], item[1]))
    events = [ev for _, _, ev in out]
    events.append({"type": "End", "t": end})
    _warn_stats(warn, dropped, stats)
    return events


def _shared_channel_tracks(midi) -> dict[int, str]:
    """Track number -> track name, for the tracks of a type 1 file that share a channel with
    another track: their events carry that name as ``track``, so they stay apart."""
    if midi.type != 1:
        return {}
    channels: dict[int, set[int]] = {}
    names: dict[int, str] = {}
    for n, track in enumerate(midi.tracks):
        for msg in track:
            if hasattr(msg, "channel"):
                channels.setdefault(n, set()).add(msg.channel)
            elif msg.type == "track_name" and n not in names:
                names[n] = _text(msg.name).strip()
    users: dict[int, int] = {}
    for chans in channels.values():
        for ch in chans:
            users[ch] = users.get(ch, 0) + 1
    shared = [n for n, chans in channels.items() if any(users[ch] > 1 for ch in chans)]
    labels = {n: names.get(n) or f"Track {n}" for n in shared}
    seen: dict[str, int] = {}
    for n in shared:  # two tracks of one name: "Piano", "Piano 2"
        seen[labels[n]] = seen.get(labels[n], 0) + 1
        if seen[labels[n]] > 1:
            labels[n] += f" {seen[labels[n]]}"
    return labels


def _track_events(track, scale, names: bool, out: list, dropped: dict, stats: dict,
                  smpte: bool, tag: str | None = None) -> int:
    """Append one track's events to ``out`` as (t, rank, event); return its end tick. With a
    ``tag`` (a track sharing its channel), every channel event carries it as ``track``."""
    tick = 0
    open_notes: dict[tuple[int, int], list[tuple[int, int]]] = {}
    channels: set[int] = set()
    name = None
    first = len(out)
    for msg in track:
        tick += msg.time
        typ = msg.type
        if typ == "note_on" and msg.velocity > 0:
            channels.add(msg.channel)
            open_notes.setdefault((msg.channel, msg.note), []).append((tick, msg.velocity))
        elif typ == "note_off" or typ == "note_on":
            waiting = open_notes.get((msg.channel, msg.note))
            if waiting:
                _add_note(out, scale, msg.channel, msg.note, *waiting.pop(0), tick)
            else:
                stats["orphan"] += 1
        elif typ == "program_change":
            channels.add(msg.channel)
            out.append((scale(tick), 3, {"type": "ProgramChange", "t": scale(tick),
                                         "ch": msg.channel, "program": msg.program}))
        elif typ == "control_change":
            channels.add(msg.channel)
            out.append((scale(tick), 4, {"type": "ControlChange", "t": scale(tick),
                                         "ch": msg.channel, "cc": msg.control, "value": msg.value}))
        elif typ == "pitchwheel":
            channels.add(msg.channel)
            out.append((scale(tick), 4, {"type": "PitchBend", "t": scale(tick), "ch": msg.channel,
                                         "value": msg.pitch}))
        elif typ == "aftertouch":
            channels.add(msg.channel)
            out.append((scale(tick), 4, {"type": "ChannelPressure", "t": scale(tick),
                                         "ch": msg.channel, "value": msg.value}))
        elif typ == "set_tempo":
            if smpte:
                continue
            if msg.tempo == 0:
                stats["tempo"] += 1
                continue
            bpm = round(60_000_000 / msg.tempo, 2)
            if not 4 <= bpm <= 1000:
                stats["tempo"] += 1
                bpm = min(1000, max(4, bpm))
            out.append((scale(tick), 0, {"type": "Tempo", "t": scale(tick),
                                         "bpm": int(bpm) if bpm == int(bpm) else bpm}))
        elif typ == "time_signature":
            if 1 <= msg.numerator <= 64 and msg.denominator <= 64:
                out.append((scale(tick), 1, {"type": "TimeSig", "t": scale(tick),
                                             "num": msg.numerator, "den": msg.denominator}))
            else:
                stats["sig"] += 1
        elif typ == "key_signature":
            minor = msg.key.endswith("m")
            out.append((scale(tick), 1, {"type": "KeySig", "t": scale(tick),
                                         "key": msg.key.removesuffix("m"),
                                         "mode": "minor" if minor else "major"}))
        elif typ == "marker":
            out.append((scale(tick), 2, {"type": "Marker", "t": scale(tick), "text": _text(msg.text)}))
        elif typ == "track_name":
            if name is None:
                name = (tick, _text(msg.name))
        elif not msg.is_meta:
            dropped[typ] = dropped.get(typ, 0) + 1
    for (ch, key), waiting in open_notes.items():
        for on, vel in waiting:
            stats["open"] += 1
            _add_note(out, scale, ch, key, on, vel, tick)
    if tag is not None:
        for _, _, ev in out[first:]:
            if "ch" in ev:
                ev["track"] = tag
    if names and name is not None and len(channels) == 1:
        # A track's name names its channel; conductor and mixed-channel tracks' names
        # (usually the song title) have no stream form.
        t = scale(name[0])
        marker = {"type": "Marker", "t": t, "text": name[1], "ch": channels.pop()}
        if tag is not None:
            marker["track"] = tag
        out.insert(first, (t, 2, marker))
    return scale(tick)


def _add_note(out: list, scale, ch: int, key: int, on: int, vel: int, off: int) -> None:
    t = scale(on)
    out.append((t, 5, {"type": "Note", "t": t, "dur": max(1, scale(off) - t), "ch": ch,
                       "key": key, "vel": vel}))


def _warn_stats(warn, dropped: dict, stats: dict) -> None:
    if stats["orphan"]:
        warn(f"{stats['orphan']} note-offs without a note-on ignored")
    if stats["open"]:
        warn(f"{stats['open']} notes still sounding at the end of their track closed there")
    if stats["tempo"]:
        warn(f"{stats['tempo']} tempos outside 4..1000 bpm clipped (or 0, dropped)")
    if stats["sig"]:
        warn(f"{stats['sig']} time signatures outside 1..64 beats of 1..64 dropped")
    if dropped:
        kinds = ", ".join(f"{n} {typ.replace('_', ' ')}" for typ, n in sorted(dropped.items()))
        warn(f"dropped {kinds} (no stream form)")

"""Standard MIDI File bytes -> the stream's events, parsed directly: no message objects.

A 2 M-note file reads in seconds and tens of MB (mido took 33 s and 2 GB) in two steps:

1. Each track's messages are parsed once (running status, note-ons paired with their
   note-offs, oldest first) into arrays: a note is a slot made at its note-on (onset in
   stream ticks, channel/key/velocity packed) whose length and closing order are filled in
   at its note-off, 16 bytes a note. The other events, few in real files, are kept as they
   are made.
2. The tracks are merged in time order, a window of a few thousand notes at a time, and
   handed out as batches of msgspec Structs (``musicpipe.structs``: the writer encodes them
   in C).

The order is that of a stable sort of every track's events, tracks in file order and each
track's in the order its messages complete them, on (tick, rank): Tempo, TimeSig and KeySig,
Marker, ProgramChange, the other channel events, then Note; End last. Chunks that are not
tracks (``MTrk``) are skipped, as the SMF specification asks.
"""

from __future__ import annotations

import struct
from array import array
from bisect import bisect_right
from collections.abc import Callable, Iterator
from itertools import repeat
from operator import add, and_, lshift, or_, rshift

from . import structs
from .events import MAX_TICK, PPQ

WINDOW = 4096
"""Notes per merge window (of the track with the most left): a batch of output."""


class MidiFileError(ValueError):
    """Not a MIDI file, or a truncated or corrupt one; the message is one line."""


_BLOCK = array("I", bytes(4 * 4096))  # the slots a track's arrays grow by
LATE = MAX_TICK + 1
"""A note's onset past the stream's last tick: dropped, counted."""


class _Truncated(Exception):
    """A message runs past its track's end."""


_SYSTEM = {0xF1: ("quarter_frame", 1), 0xF2: ("songpos", 2), 0xF3: ("song_select", 1),
           0xF6: ("tune_request", 0), 0xF8: ("clock", 0), 0xFA: ("start", 0),
           0xFB: ("continue", 0), 0xFC: ("stop", 0), 0xFE: ("active_sensing", 0)}
"""System messages a track may hold (MIDI file readers drop them): name, data bytes."""

_MAJOR = "Cb Gb Db Ab Eb Bb F C G D A E B F# C#".split()
_MINOR = "Ab Eb Bb F C G D A E B F# C# G# D# A#".split()

Tempo, TimeSig, Marker = structs.TYPES["Tempo"], structs.TYPES["TimeSig"], structs.TYPES["Marker"]
ProgramChange, ControlChange = structs.TYPES["ProgramChange"], structs.TYPES["ControlChange"]
PitchBend, ChannelPressure = structs.TYPES["PitchBend"], structs.TYPES["ChannelPressure"]
Note, End, UNSET = structs.Note, structs.End, structs.UNSET


class Track:
    """One track chunk, parsed: its notes as arrays in onset order, its other events as
    (tick, rank, event), the channels it uses and its name."""

    def __init__(self):
        self.on = array("I")      # onset (stream ticks; LATE past the stream's end)
        self.dur = array("I")     # length (stream ticks), filled in by the note-off
        self.packed = array("i")  # channel << 14 | key << 7 | velocity
        self.closed = array("I")  # the order the notes ended in (ties at one onset)
        self.others: list[tuple] = []
        self.channels: set[int] = set()   # every channel message's
        self.sounding: set[int] = set()   # note-ons, programs, controllers, bends, pressure
        self.name: tuple[int, str] | None = None
        self.tag = UNSET  # the name its channel events carry as ``track``, if any
        self.end = 0


def chunks(data: bytes) -> tuple[int, int, int, list[tuple[int, int]]]:
    """(format, declared track count, division, [(start, end) of each track's bytes]);
    chunks of other kinds are skipped. Raises MidiFileError naming a missing or cut track."""
    if len(data) < 14:
        raise MidiFileError("truncated MIDI file: the header is incomplete")
    size, = struct.unpack(">L", data[4:8])
    fmt, count, division = struct.unpack(">hhh", data[8:14])
    if size < 6:
        raise MidiFileError(f"corrupt MIDI file: a header of {size} bytes (6 at least)")
    pos = 8 + size
    tracks: list[tuple[int, int]] = []
    while len(tracks) < count:
        n = len(tracks) + 1
        if pos + 8 > len(data):
            raise MidiFileError(f"truncated MIDI file: track {n} of {count} is missing")
        size, = struct.unpack(">L", data[pos + 4:pos + 8])
        is_track = data[pos:pos + 4] == b"MTrk"
        if pos + 8 + size > len(data):
            if not is_track:
                raise MidiFileError(f"truncated MIDI file: track {n} of {count} is missing")
            raise MidiFileError(f"truncated MIDI file: track {n} of {count} is cut short "
                                f"({len(data) - pos - 8} of {size} bytes)")
        if is_track:
            tracks.append((pos + 8, pos + 8 + size))
        pos += 8 + size
    return fmt, count, division, tracks


def text(raw: bytes) -> str:
    """Meta text: UTF-8 (most files in the wild), else Latin-1 (never fails)."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin1")


def parse_track(data: bytes, i: int, end: int, scaling: tuple[int, int, int], smpte: bool,
                stats: dict, dropped: dict, progress: Callable[[int], None] | None = None) -> Track:
    """One track's messages (the bytes ``data[i:end]``); a file tick t is stream tick
    (t * mul + half) // div for ``scaling`` = (mul, half, div). ``progress`` is told the
    byte offset reached now and then. Raises MidiFileError."""
    tr = Track()
    try:
        _parse(data, i, end, scaling, smpte, stats, dropped, tr, progress)
    except (IndexError, _Truncated):
        raise MidiFileError("truncated MIDI file: it ends inside a message") from None
    return tr


def _parse(data, i, end, scaling, smpte, stats, dropped, tr, progress) -> None:  # noqa: C901
    """parse_track's loop: one pass, locals only, the common messages first."""
    mul, half, div = scaling

    def scale(t: int) -> int:
        return (t * mul + half) // div

    on, dur, packed, closed = tr.on, tr.dur, tr.packed, tr.closed
    on_add, packed_add = on.append, packed.append
    room = 0  # slots that dur and closed have: they grow a block at a time
    others = tr.others
    on_at = on.__getitem__
    sounding = tr.sounding
    sound = sounding.add
    opened: dict[int, object] = {}  # channel << 7 | key -> None, an open slot, or a list of them
    get = opened.get
    tick = kind = chk = ch = 0
    status = heard = -1
    slots = ended = orphans = 0
    clipped = False
    while i < end:
        b = data[i]
        i += 1
        if b > 127:  # a delta of more than one byte
            d = b & 127
            b = data[i]
            i += 1
            while b > 127:
                d = d << 7 | (b & 127)
                b = data[i]
                i += 1
            tick += d << 7 | b
        else:
            tick += b
        b = data[i]
        if b > 127:
            i += 1
            if b < 0xF0:
                status, kind, ch = b, b & 0xF0, b & 15
                chk = ch << 7
                tr.channels.add(ch)
            elif b == 0xFF:
                i = _meta(data, i, end, tick, scale, smpte, stats, tr)
                continue
            else:  # system messages set running status too, as mido reads them
                status = b
                i, clip = _system(data, i, b, None, dropped)
                clipped |= clip
                continue
        elif status < 0xF0:
            if status < 0:
                raise MidiFileError("corrupt MIDI file: running status without last_status")
        else:
            i, clip = _system(data, i + 1, status, b, dropped)
            clipped |= clip
            continue
        if kind == 0x90 or kind == 0x80:
            key = data[i]
            vel = data[i + 1]
            i += 2
            if (key | vel) > 127:
                clipped = True
                key, vel = min(key, 127), min(vel, 127)
            k = chk | key
            if vel and kind == 0x90:
                if heard != status:
                    heard = status
                    sound(ch)
                q = get(k)
                if q is None:
                    opened[k] = slots
                elif q.__class__ is int:
                    opened[k] = [q, slots]
                else:
                    q.append(slots)
                if slots == room:
                    dur.extend(_BLOCK)
                    closed.extend(_BLOCK)
                    room += len(_BLOCK)
                    if progress is not None:
                        progress(i)
                slots += 1
                t = (tick * mul + half) // div
                on_add(t if t <= MAX_TICK else LATE)
                packed_add(k << 7 | vel)
            else:
                q = get(k)
                if q is None:
                    orphans += 1
                    continue
                if q.__class__ is int:
                    opened[k] = None
                else:
                    q, rest = q[0], q
                    del rest[0]
                    if not rest:
                        opened[k] = None
                t = (tick * mul + half) // div - on_at(q)
                dur[q] = t if 0 < t <= MAX_TICK else (1 if t < 1 else MAX_TICK)
                closed[q] = ended
                ended += 1
        elif kind == 0xB0 or kind == 0xE0 or kind == 0xA0:
            a = data[i]
            c = data[i + 1]
            i += 2
            if (a | c) > 127:
                clipped = True
                a, c = min(a, 127), min(c, 127)
            if kind == 0xB0:
                sound(ch)
                others.append((scale(tick), 4, ControlChange(scale(tick), ch, a, c)))
            elif kind == 0xE0:
                sound(ch)
                others.append((scale(tick), 4, PitchBend(scale(tick), ch, (a | c << 7) - 8192)))
            else:
                dropped["polytouch"] = dropped.get("polytouch", 0) + 1
        else:  # program change, channel pressure: one data byte
            a = data[i]
            i += 1
            if a > 127:
                clipped = True
                a = 127
            sound(ch)
            if kind == 0xC0:
                others.append((scale(tick), 3, ProgramChange(scale(tick), ch, a)))
            else:
                others.append((scale(tick), 4, ChannelPressure(scale(tick), ch, a)))
    if i > end:
        raise _Truncated
    for q in opened.values():  # notes still sounding end with their track
        for slot in ((q,) if q.__class__ is int else q or ()):
            t = scale(tick) - on[slot]
            dur[slot] = t if 0 < t <= MAX_TICK else (1 if t < 1 else MAX_TICK)
            closed[slot] = ended
            ended += 1
            stats["open"] += 1
    del dur[slots:], closed[slots:]
    stats["orphan"] += orphans
    stats["clipped"] |= clipped
    tr.end = tick


def _varlen(data: bytes, i: int) -> tuple[int, int]:
    value = 0
    while True:
        b = data[i]
        i += 1
        value = value << 7 | (b & 127)
        if b < 128:
            return value, i


def _meta(data: bytes, i: int, end: int, tick: int, scale, smpte: bool, stats: dict,
          tr: Track) -> int:
    """Read the meta event whose type byte is at ``i``; return where the next starts."""
    kind = data[i]
    size, i = _varlen(data, i + 1)
    if i + size > end:
        raise _Truncated
    body = data[i:i + size]
    i += size
    if kind == 0x51:
        if smpte:
            return i
        tempo = int.from_bytes(body[:3], "big") if size >= 3 else 0
        if tempo == 0:
            stats["tempo"] += 1
            return i
        bpm = round(60_000_000 / tempo, 2)
        if not 4 <= bpm <= 1000:
            stats["tempo"] += 1
            bpm = min(1000, max(4, bpm))
        t = scale(tick)
        tr.others.append((t, 0, Tempo(t, int(bpm) if bpm == int(bpm) else bpm)))
    elif kind == 0x58:
        if size >= 2 and 1 <= body[0] <= 64 and body[1] <= 6:
            t = scale(tick)
            tr.others.append((t, 1, TimeSig(t, body[0], 1 << body[1])))
        else:
            stats["sig"] += 1
    elif kind == 0x59:
        sharps = (body[0] ^ 0x80) - 0x80 if size >= 2 else 99  # a signed byte
        if -7 <= sharps <= 7 and body[1] <= 1:
            t = scale(tick)
            key = (_MINOR if body[1] else _MAJOR)[sharps + 7]
            tr.others.append((t, 1, {"type": "KeySig", "t": t, "key": key,
                                     "mode": "minor" if body[1] else "major"}))
        else:
            stats["key"] += 1
    elif kind == 0x06:
        t = scale(tick)
        tr.others.append((t, 2, Marker(t, text(body))))
    elif kind == 0x03 and tr.name is None:
        tr.name = (tick, text(body))
    return i


def _system(data: bytes, i: int, status: int, peek: int | None, dropped: dict) -> tuple[int, bool]:
    """Skip a sysex or system message (``peek``: its first data byte, read as running
    status); return where the next message starts and whether a data byte was clipped."""
    if status in (0xF0, 0xF7):
        size, i = _varlen(data, i)
        dropped["sysex"] = dropped.get("sysex", 0) + 1
        return i + size, False
    if status not in _SYSTEM:
        raise MidiFileError(f"corrupt MIDI file: undefined status byte 0x{status:02x}")
    name, length = _SYSTEM[status]
    if peek is not None:
        if length == 0:
            raise MidiFileError(f"corrupt MIDI file: a {name.replace('_', ' ')} message with "
                                "a data byte")
        length -= 1
    body = data[i:i + length]
    if len(body) < length:
        raise _Truncated
    dropped[name] = dropped.get(name, 0) + 1
    return i + length, any(b > 127 for b in body)


PARSING = 0.55
"""The share of a read's time that parsing takes (the rest is merging and writing)."""


def read(data: bytes, warn: Callable[[str], None],
         progress: Callable[[float], None] | None = None) -> Iterator[list]:
    """The events of a Standard MIDI File's bytes, in batches (Structs, a KeySig as a dict).
    The whole file is parsed, and every error raised, before the first batch. ``progress``
    is told the fraction of the work done (0..1) now and then."""
    fmt, _, division, spans = chunks(data)
    scaling, smpte = _scaler(division)
    mul, half, div = scaling

    def scale(t: int) -> int:
        return (t * mul + half) // div

    stats = {"orphan": 0, "open": 0, "tempo": 0, "sig": 0, "key": 0, "clipped": False}
    dropped: dict[str, int] = {}
    at = None if progress is None else (lambda i: progress(PARSING * i / len(data)))
    tracks = [parse_track(data, a, b, scaling, smpte, stats, dropped, at) for a, b in spans]
    if stats["clipped"]:
        warn("data bytes above 127 clipped to 127 (the file breaks the MIDI standard)")
    if smpte:
        warn("SMPTE time division: times converted at a fixed 120 bpm")
    _name_tracks(tracks, fmt, scale)
    end = min(max((scale(tr.end) for tr in tracks), default=0), MAX_TICK)
    head = [(0, 0, Tempo(0, 120))] if smpte else []
    return _merge(tracks, head, end, stats, dropped, warn, progress)


def _scaler(division: int) -> tuple[tuple[int, int, int], bool]:
    """(mul, half, div): a file tick t is stream tick (t * mul + half) // div, the nearest
    480th of a quarter note (halves round up); and whether the file counts SMPTE frames
    (at a fixed 120 bpm: 960 stream ticks a second)."""
    if division < 0:  # SMPTE: frames per second and ticks per frame, no tempo
        fps, per_frame = -(division >> 8), division & 0xFF
        if fps * per_frame <= 0:
            raise MidiFileError(f"corrupt MIDI file: SMPTE time division of "
                                f"{29.97 if fps == 29 else fps} frames a second, {per_frame} "
                                "ticks a frame")
        per_second, hundredths = (2997 * per_frame, 100) if fps == 29 else (fps * per_frame, 1)
        return (4 * PPQ * hundredths, per_second, 2 * per_second), True
    if division == 0:
        raise MidiFileError("corrupt MIDI file: 0 ticks per quarter note")
    return (2 * PPQ, division, 2 * division), False


def _name_tracks(tracks: list[Track], fmt: int, scale) -> None:
    """A type 1 file's tracks that share a channel with another carry their name as
    ``track`` on every channel event; a track of one channel names it with a Marker (a
    conductor track's or a mixed one's name, usually the song's title, has no stream form)."""
    tags: dict[int, str] = {}
    if fmt == 1:
        users: dict[int, int] = {}
        for tr in tracks:
            for c in tr.channels:
                users[c] = users.get(c, 0) + 1
        shared = [n for n, tr in enumerate(tracks) if any(users[c] > 1 for c in tr.channels)]
        seen: dict[str, int] = {}
        for n in shared:  # two tracks of one name: "Piano", "Piano 2"
            label = (tracks[n].name[1].strip() if tracks[n].name else "") or f"Track {n}"
            seen[label] = seen.get(label, 0) + 1
            tags[n] = label if seen[label] == 1 else f"{label} {seen[label]}"
    for n, tr in enumerate(tracks):
        tag = tags.get(n)
        tr.tag = UNSET if tag is None else tag
        if tag is not None:
            for _, _, ev in tr.others:
                if getattr(ev, "ch", UNSET) is not UNSET:
                    ev.track = tag
        if fmt != 0 and tr.name is not None and len(tr.sounding) == 1:
            t = scale(tr.name[0])
            marker = Marker(t, tr.name[1], next(iter(tr.sounding)))
            if tag is not None:
                marker.track = tag
            tr.others.insert(0, (t, 2, marker))


def _merge(tracks: list[Track], head: list, end: int, stats: dict, dropped: dict,
           warn, progress) -> Iterator[list]:
    """The batches: each window's notes with the other events of its ticks between them;
    End last, then the warnings."""
    others = head + sorted((item for tr in tracks for item in tr.others),
                           key=lambda item: (item[0], item[1]))
    for tr in tracks:
        tr.others = []
    keep = bisect_right(others, MAX_TICK, key=lambda item: item[0])
    late = len(others) - keep
    del others[keep:]
    pos = [0] * len(tracks)
    total = sum(len(tr.on) for tr in tracks) or 1
    k = 0  # the next other event
    last = False
    while not last:
        most, n = max(((len(tr.on) - p, n) for n, (tr, p) in enumerate(zip(tracks, pos))),
                      default=(0, 0))
        limit = tracks[n].on[pos[n] + WINDOW] if most > WINDOW else MAX_TICK
        last = limit >= MAX_TICK
        limit = min(limit, MAX_TICK)
        notes = _window(tracks, pos, limit)
        stop = bisect_right(others, limit, k, key=lambda item: item[0]) if not last else len(others)
        batch: list = []
        if stop > k:
            times = [ev.t for ev in notes]
            j = 0
            for item in others[k:stop]:
                cut = bisect_right(times, item[0] - 1, j)
                batch += notes[j:cut]
                j = cut
                batch.append(item[2])
            batch += notes[j:]
            k = stop
        else:
            batch = notes
        if batch:
            yield batch
        if progress is not None:
            progress(PARSING + (1 - PARSING) * sum(pos) / total)
    late += sum(len(tr.on) - p for tr, p in zip(tracks, pos))
    yield [End(end)]
    if late:
        stats["late"] = late
    _warn_stats(warn, dropped, stats)


def _window(tracks: list[Track], pos: list[int], limit: int) -> list:
    """The notes of every track that start at or before tick ``limit``, as Structs in
    stream order (by onset, then track, then the order they ended in); advances ``pos``."""
    on, dur, packed, keys, tags = array("I"), array("I"), array("i"), [], []
    for n, tr in enumerate(tracks):
        a = pos[n]
        b = bisect_right(tr.on, limit, a)
        if b == a:
            continue
        pos[n] = b
        on += tr.on[a:b]
        dur += tr.dur[a:b]
        packed += tr.packed[a:b]
        keys += map(add, tr.closed[a:b], repeat(n << 32))
        tags += repeat(tr.tag, b - a)
    if not on:
        return []
    keys = list(map(or_, map(lshift, on, repeat(48)), keys))
    ch = map(rshift, packed, repeat(14))
    key = map(and_, map(rshift, packed, repeat(7)), repeat(127))
    vel = map(and_, packed, repeat(127))
    notes = list(map(Note, on, dur, ch, key, vel, tags))
    return list(map(notes.__getitem__, sorted(range(len(notes)), key=keys.__getitem__)))


def _warn_stats(warn, dropped: dict, stats: dict) -> None:
    if stats["orphan"]:
        warn(f"{stats['orphan']} note-offs without a note-on ignored")
    if stats["open"]:
        warn(f"{stats['open']} notes still sounding at the end of their track closed there")
    if stats["tempo"]:
        warn(f"{stats['tempo']} tempos outside 4..1000 bpm clipped (or 0, dropped)")
    if stats["sig"]:
        warn(f"{stats['sig']} time signatures outside 1..64 beats of 1..64 dropped")
    if stats["key"]:
        warn(f"{stats['key']} key signatures that name no key dropped")
    if stats.get("late"):
        warn(f"{stats['late']} events past tick {MAX_TICK} (the stream's limit) dropped")
    if dropped:
        kinds = ", ".join(f"{n} {typ.replace('_', ' ')}" for typ, n in sorted(dropped.items()))
        warn(f"dropped {kinds} (no stream form)")

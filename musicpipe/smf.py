"""Standard MIDI File bytes from a stream, written directly: no message objects (docs/midi.md).

A song is read once, event by event: notes go into two ``array('q')`` per channel and key
(16 bytes a note: start and reach, then velocity, part and stream position), the few other
events stay as they are. Writing sorts each track's messages as packed integers (tick, rank
on the tick, then what tells equal ones apart) and encodes them into one bytearray, with
running status as mido writes it: the bytes are the ones the mido-based writer made.

    >>> data = Song([{"type": "Note", "t": 0, "dur": 480, "ch": 0, "key": 60, "vel": 90}]).encode()
    >>> data[:4], len(data)
    (b'MThd', 65)
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterable
from itertools import islice
from operator import le
from struct import pack

from .events import DRUM_CHANNEL, PPQ, EventError, check

MAX_DELTA = 0x0FFFFFFF
"""The largest gap between two events of a track: MIDI's 4-byte variable-length number."""

MAX_TEMPO_US = 0xFFFFFF
"""The slowest tempo MIDI stores, in microseconds per quarter note (3 bytes: 3.58 bpm)."""

# Rank of a message among those on the same tick: note-offs first, so a note that ends where
# the next one on its key starts never cuts that one short; then meta events, the program (so
# it applies to notes starting on that tick), controllers, and last the note-ons.
_OFF, _META, _PROGRAM, _CC, _ON = range(5)

# A track's messages sort as one integer each: tick << 34 | rank << 31 | sub. For a note, sub
# is the rank of its key on the channel (keys in order of first appearance) << 10 | velocity
# << 3; for anything else, its index in the track's list of encoded messages << 3 | its class
# (what running status compares, see _CLASS).
_TICK, _RANK = 34, 31
_SUB = (1 << _RANK) - 1

_CHANNEL = ("ProgramChange", "ControlChange", "PitchBend", "ChannelPressure")
_KINDS = frozenset(("Tempo", "TimeSig", "KeySig", "Note", "Marker", "End") + _CHANNEL)


class MidiError(ValueError):
    """An event a MIDI file cannot hold. ``event`` is it; ``where`` is what the song's
    ``mark`` callback said about it when it was read (a stage keeps the line number there)."""

    def __init__(self, message: str, event: dict | None = None, where=None):
        super().__init__(message)
        self.event = event
        self.where = where


def _ignore(msg: str) -> None:
    pass


def _none(ev: dict) -> None:
    return None


class Song:
    """The stream sorted into what the file needs: conductor events, parts, notes, End.

    A part is one track of the file: a channel, or a (track name, channel) when events carry
    a ``track`` (two tracks on one channel stay two tracks). ``checked``: the events passed
    the event table already (a stage's reader checked them), so they are not checked again.
    ``mark(event)`` is called for the rare event an error may have to name later (a bad
    KeySig, an End or note beyond MIDI's longest piece); what it returns goes into that
    MidiError's ``where``. ``ppq`` is only used to know which times are too far for MIDI.
    """

    def __init__(self, events: Iterable[dict] = (), *, checked: bool = False, ppq: int = PPQ,
                 mark: Callable[[dict], object] | None = None):
        self.checked = checked
        self.mark = mark or _none
        self.far = MAX_DELTA * PPQ // ppq - PPQ   # a reach beyond it may be too long for MIDI
        self.conductor: list[dict] = []          # Tempo, TimeSig, KeySig, Marker without ch
        self.sigs: list[dict] = []
        self.keysigs: dict[int, object] = {}     # id(KeySig) -> (sharps, minor) or MidiError
        self.parts: dict[tuple[str, int], int] = {}
        self.channel_events: list[list[dict]] = []  # per part: programs, controls, markers
        self.names: dict[int, dict] = {}         # per part: the Marker naming its track
        self.plain = [-1] * 16                   # the part of each channel's notes without track
        self.spans: list[array | None] = [None] * 2048   # per ch << 7 | key: t << 32 | reach
        self.infos: list[array | None] = [None] * 2048   # seq << 31 | part << 7 | vel
        self.groups: list[int] = []              # the keys (ch << 7 | key) in order of first note
        self.seq = 0
        self.end: dict | None = None
        self.end_where = None
        self.last = 0                            # the latest tick any event reaches
        self.last_start = 0                      # the latest tick any event starts at
        self.last_event: dict | None = None      # the event that reaches it
        self.last_where = None
        self.add(events)

    @property
    def notes(self) -> int:
        """How many Notes were read."""
        return self.seq

    def _part(self, ev: dict) -> int:
        """The part of an event with a channel: its ``track`` name (if any) and channel."""
        return self._part_of(ev.get("track"), ev["ch"], ev)

    def _part_of(self, track, ch: int, ev) -> int:
        if track is not None and track.__class__ is not str:
            raise MidiError(f'{ev["type"]} field "track" must be text (a track name)', ev,
                            self.mark(ev))
        part = (track or "", ch)
        n = self.parts.get(part)
        if n is None:
            n = self.parts[part] = len(self.parts)
            self.channel_events.append([])
            if part[0] == "":
                self.plain[part[1]] = n
        return n

    def add(self, events: Iterable) -> None:
        """Read more of the stream (a stage feeds its reader's batches, dicts or Structs)."""
        checked, far = self.checked, self.far
        spans, infos, plain = self.spans, self.infos, self.plain
        last, last_start, last_event, seq = self.last, self.last_start, self.last_event, self.seq
        note_cls = unset = None
        if events.__class__ is list and events and events[0].__class__ is not dict:
            from .structs import UNSET as unset, Note as note_cls, as_dict  # noqa: N811
        try:
            for ev in events:
                if ev.__class__ is note_cls:
                    t, ch, key, vel, track = ev.t, ev.ch, ev.key, ev.vel, ev.track
                    reach = t + ev.dur
                    track = None if track is unset else track
                else:
                    if ev.__class__ is not dict:
                        ev = as_dict(ev)
                    typ = ev.get("type")
                    if typ != "Note":
                        if typ in _KINDS:
                            if not checked:
                                self._check(ev)
                            t = ev["t"]
                            if t > last_start:
                                last_start = t
                            if typ == "End":
                                if self.end is None or t >= self.end["t"]:
                                    self.end = ev
                                    self.end_where = self.mark(ev) if t > far else None
                                continue
                            self._other(typ, ev)
                            if t > last:
                                last, last_event = t, ev
                                if t > far:
                                    self.last_where = self.mark(ev)
                        continue
                    if not checked:
                        self._check(ev)
                    t, ch, key, vel, track = ev["t"], ev["ch"], ev["key"], ev["vel"], ev.get("track")
                    reach = t + ev["dur"]
                if t > last_start:
                    last_start = t
                if reach > last:
                    last, last_event = reach, ev
                    if reach > far:
                        self.last_where = self.mark(ev)
                part = plain[ch] if track is None else -1
                if part < 0:
                    part = self._part_of(track, ch, ev)
                g = ch << 7 | key
                span = spans[g]
                if span is None:
                    span = spans[g] = array("q")
                    infos[g] = array("q")
                    self.groups.append(g)
                span.append(t << 32 | reach)
                infos[g].append(seq << 31 | part << 7 | vel)
                seq += 1
        finally:
            self.last, self.last_start, self.last_event, self.seq = last, last_start, last_event, seq

    def _check(self, ev: dict) -> None:
        try:
            check(ev)
        except EventError as e:
            raise MidiError(str(e), ev, self.mark(ev)) from None

    def _other(self, typ: str, ev: dict) -> None:
        if typ == "Marker" and ev.get("ch") is not None:
            part = self._part(ev)
            name = self.names.get(part)
            if name is None or ev["t"] < name["t"]:
                if name is not None:
                    self.channel_events[part].append(name)
                self.names[part] = ev
            else:
                self.channel_events[part].append(ev)
        elif typ in _CHANNEL:
            self.channel_events[self._part(ev)].append(ev)
        else:
            self.conductor.append(ev)
            if typ == "TimeSig":
                self.sigs.append(ev)
            elif typ == "KeySig":
                self.keysigs[id(ev)] = _key_signature(ev, self.mark)

    def end_tick(self) -> int:
        """The stream's End, else the first bar line at or after the last event; but a tail
        of less than a sixteenth past a bar line (a humanized last note) adds no bar: when
        everything starts before that bar line, the piece ends on it."""
        if self.end is not None:
            return self.end["t"]
        sigs = sorted(self.sigs, key=_t)
        line = bar_ceiling(self.last - OVERHANG, sigs)
        if line < self.last and self.last_start < line:
            return line
        return bar_ceiling(self.last, sigs)

    def encode(self, *, type: int = 1, ppq: int = PPQ, title: str | None = None,
               warn: Callable[[str], None] | None = None) -> bytes:
        """The file's bytes: type 1 (conductor + one track per part) or 0 (one track).

        Call it once, after the last ``add``: it lets go of the notes as it writes them."""
        if type not in (0, 1):
            raise ValueError("type must be 0 or 1")
        if not 1 <= ppq <= 0x7FFF:
            raise ValueError("ppq must be in range 1..32767")
        warn = warn or _ignore
        scale = _scaler(ppq)
        end = scale(self.end_tick())
        if end > MAX_DELTA:  # then no gap in any track can be too long for MIDI either
            culprit, where = ((self.end, self.end_where) if self.end is not None
                              else (self.last_event, self.last_where))
            if culprit.__class__ is not dict:  # a Struct from a typed reader
                from .structs import as_dict

                culprit = as_dict(culprit)
            raise MidiError(f"the piece is {end} ticks long; a MIDI file holds at most {MAX_DELTA} "
                            f"({MAX_DELTA // ppq // 120 // 60} hours at 120 bpm)", culprit, where)
        late = sum(scale(ev["t"]) > end for evs in (self.conductor, *self.channel_events)
                   for ev in evs)
        if late:
            warn(f"{late} events after the End at tick {end} dropped")
        tracks = [self._conductor(scale, end, title)]
        order = sorted(self.parts.items(), key=lambda item: item[0][1])  # stable: stream order
        notes = self._note_keys(scale, end, warn)
        for (track, ch), n in order:
            tracks.append(self._channel_track(track, ch, n, notes[n], scale, end))
        if type == 0:  # one track: the tracks' names have nowhere to go
            datas = [_merged_bytes(tracks, end)]
        else:
            datas = (_track_bytes(*track, end) for track in tracks)
        out = bytearray(b"MThd" + pack(">Lhhh", 6, type, len(tracks) if type else 1, ppq))
        for data in datas:
            out += b"MTrk" + pack(">L", len(data))
            out += data
        return bytes(out)

    def _conductor(self, scale, end: int, title: str | None) -> tuple:
        keys: list[int] = []
        payload: list[bytes] = []
        if title:
            _add(keys, payload, 0, _META, _meta(0x03, title.encode()))
        for ev in self.conductor:
            t = scale(ev["t"])
            if t > end:
                continue
            typ = ev["type"]
            if typ == "Tempo":  # the table's 4..1000 bpm always fits MIDI's 3 bytes
                data = _meta(0x51, round(60_000_000 / ev["bpm"]).to_bytes(3, "big"))
            elif typ == "TimeSig":
                data = _meta(0x58, bytes((ev["num"], ev["den"].bit_length() - 1, 24, 8)))
            elif typ == "KeySig":
                sig = self.keysigs[id(ev)]
                if isinstance(sig, MidiError):
                    raise sig
                data = _meta(0x59, bytes((sig[0] & 0xFF, sig[1])))
            else:
                data = _meta(0x06, ev["text"].encode())
            _add(keys, payload, t, _META, data)
        return keys, payload, 0, ()

    def _note_keys(self, scale, end: int, warn) -> list[array]:
        """Each part's note-ons and note-offs as sort keys, in file ticks.

        A note keeps at least one tick after rescaling; notes are cut at the End; a note that
        starts while another on the same channel and key still sounds ends that one (two
        notes starting together on a key become the longer one), so note-offs never pair
        with the wrong note-on in a DAW. Keys are ranked per channel in order of the first
        note that stays (the order note-ons on one tick are written in).
        """
        keys = [array("q") for _ in self.parts]
        self.keynames: list[list[int]] = [[] for _ in range(16)]  # per channel: key by rank
        parts_on = [0] * 16
        for _, ch in self.parts:
            parts_on[ch] += 1
        count = {"cut": 0, "dropped": 0, "shortened": 0, "merged": 0}
        spans_of, infos_of = self.spans, self.infos
        starts = max((max(spans_of[g]) >> 32 for g in self.groups), default=0)
        if scale(starts) < end and scale(self.last) <= end:  # no note is cut or dropped
            kept = sorted((infos_of[g][0] >> 31, g, None) for g in self.groups)
        else:
            kept = [self._cut(g, scale, end, count) for g in self.groups]
            kept = sorted(group for group in kept if group is not None)
        for _, g, cut in kept:
            if cut is None:
                spans, infos = spans_of[g], infos_of[g]
                ons = [span >> 32 for span in spans]
                offs = [span & 0xFFFFFFFF for span in spans]
                if scale is not int:
                    ons = [scale(t) for t in ons]
                    offs = [max(scale(t), on + 1) for on, t in zip(ons, offs)]
            else:
                ons, offs, infos = cut
            spans_of[g] = infos_of[g] = None  # encoded once: make room as it goes
            ch = g >> 7
            names = self.keynames[ch]
            rank = len(names) << 10
            names.append(g & 127)
            if parts_on[ch] == 1 and all(map(le, offs, islice(ons, 1, None))):
                # The common case: one part on the channel, notes in order, none overlapping.
                part = keys[infos[0] >> 7 & 0xFFFFFF]
                on_key, off_key = _ON << _RANK | rank, _OFF << _RANK | rank
                part.extend([t << _TICK | on_key | (info & 127) << 3 for t, info in zip(ons, infos)])
                part.extend([t << _TICK | off_key for t in offs])
            else:
                _resolve(ons, offs, infos, rank, keys, count)
        if count["dropped"] or count["cut"]:
            warn(f"{count['dropped'] + count['cut']} notes reach past the End at tick {end} "
                 f"({count['cut']} cut there, {count['dropped']} starting at or after it dropped)")
        if count["shortened"] or count["merged"]:
            warn(f"{count['shortened'] + count['merged']} notes overlap another on the same "
                 f"channel and key ({count['shortened']} ended where the next starts, "
                 f"{count['merged']} starting together merged)")
        return keys

    def _cut(self, g: int, scale, end: int, count: dict) -> tuple | None:
        """A key's notes in file ticks with the End applied: (first note's position, key,
        (starts, ends, infos)), or None when none is left."""
        spans, infos = self.spans[g], self.infos[g]
        notes = []
        for span, info in zip(spans, infos):
            on = scale(span >> 32)
            if on >= end:
                count["dropped"] += 1
                continue
            off = max(scale(span & 0xFFFFFFFF), on + 1)
            if off > end:
                off = end
                count["cut"] += 1
            notes.append((on, off, info))
        if not notes:
            return None
        ons, offs, infos = (list(column) for column in zip(*notes))
        return infos[0] >> 31, g, (ons, offs, infos)

    def _channel_track(self, track: str, ch: int, n: int, keys: array, scale, end: int) -> tuple:
        """One part's track, named by its Marker, else its ``track`` name, else its instrument."""
        evs = sorted(self.channel_events[n], key=_t)
        first = next((ev["program"] for ev in evs if ev["type"] == "ProgramChange"), None)
        name = self.names.get(n)
        text = name["text"] if name else track or _track_name(first or 0, ch)
        payload: list[bytes] = []
        _add(keys, payload, 0, _META, _meta(0x03, text.encode()))
        on_channel = [p for (t, c), p in self.parts.items() if c == ch]
        set_at_start = any(ev["t"] == 0 and ev["type"] == "ProgramChange"
                           for p in on_channel for ev in self.channel_events[p])
        if ch != DRUM_CHANNEL and not set_at_start and track == min(
                t for t, c in self.parts if c == ch):
            # A track's program is set at its start, so a DAW picks the instrument on import.
            _add(keys, payload, 0, _PROGRAM, bytes((0xC0 | ch, 0)))
        for ev in evs:
            t = scale(ev["t"])
            if t > end:
                continue
            typ = ev["type"]
            if typ == "ProgramChange":
                rank, data = _PROGRAM, bytes((0xC0 | ch, ev["program"]))
            elif typ == "ControlChange":
                rank, data = _CC, bytes((0xB0 | ch, ev["cc"], ev["value"]))
            elif typ == "PitchBend":
                bend = ev["value"] + 8192
                rank, data = _CC, bytes((0xE0 | ch, bend & 127, bend >> 7))
            elif typ == "ChannelPressure":
                rank, data = _CC, bytes((0xD0 | ch, ev["value"]))
            else:
                rank, data = _META, _meta(0x06, ev["text"].encode())
            _add(keys, payload, t, rank, data)
        return keys, payload, ch, self.keynames[ch]


def _resolve(ons: list, offs: list, infos, rank: int, keys: list[array], count: dict) -> None:
    """One channel and key's notes, sorted by start (the longer first, else in stream order):
    a note still sounding when the next starts ends there; two starting together merge."""
    notes = sorted(zip(ons, offs, infos), key=_by_start)
    prev_on = prev_off = -1
    prev_part = None
    for on, off, info in notes:
        if on == prev_on:
            count["merged"] += 1
            continue
        if prev_off > on:
            prev_off = on
            count["shortened"] += 1
        if prev_part is not None:
            prev_part.append(prev_off << _TICK | _OFF << _RANK | rank)
        part = keys[info >> 7 & 0xFFFFFF]
        part.append(on << _TICK | _ON << _RANK | rank | (info & 127) << 3)
        prev_on, prev_off, prev_part = on, off, part
    prev_part.append(prev_off << _TICK | _OFF << _RANK | rank)


def _by_start(note: tuple) -> tuple[int, int]:
    return note[0], -note[1]


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


def _t(ev: dict) -> int:
    return ev["t"]


def _scaler(ppq: int) -> Callable[[int], int]:
    """480-tick times to ``ppq`` ticks, to the nearest tick (halves round up)."""
    if ppq == PPQ:
        return int
    return lambda t: (t * ppq * 2 + PPQ) // (2 * PPQ)


def _track_name(program: int, ch: int) -> str:
    from .theory import track_name

    return track_name(program, ch)


def _key_signature(ev: dict, mark) -> tuple[int, int] | MidiError:
    """A KeySig's (sharps, minor) as the meta event stores them, or the error to raise if it
    is written."""
    from .theory import TheoryError, key_signature, parse_key

    try:
        sharps, minor = key_signature(*parse_key(f"{ev['key']} {ev['mode']}"))
    except TheoryError as e:
        return MidiError(f"KeySig: {e}", ev, mark(ev))
    return sharps, int(minor)


def _varlen(n: int) -> bytes:
    """MIDI's variable-length number: 7 bits a byte, the high bit set on all but the last."""
    out = [n & 0x7F]
    n >>= 7
    while n:
        out.append(0x80 | n & 0x7F)
        n >>= 7
    return bytes(reversed(out))


def _meta(kind: int, data: bytes) -> bytes:
    return bytes((0xFF, kind)) + _varlen(len(data)) + data


# What running status compares, kept in a payload key's low 3 bits: a message repeats the
# previous one's status byte when both have the same rank and class (notes: class 0).
_CLASS = {0xF0: 0, 0xC0: 1, 0xB0: 2, 0xE0: 3, 0xD0: 4}
_SAME = 7 << _RANK | 7
_START = 7 << _RANK  # the key before a track's first: tick 0, a rank no message has
_RUNNING = 1 << 40  # in a message table's key: the message repeats the previous status
_WINDOW = 1 << 16    # keys encoded at a time (bounds the temporary lists of a long track)


def _add(keys, payload: list[bytes], tick: int, rank: int, data: bytes) -> None:
    """A message other than a note: its key points at its bytes in ``payload``."""
    keys.append(tick << _TICK | rank << _RANK | len(payload) << 3 | _CLASS[data[0] & 0xF0])
    payload.append(data)


_DELTAS: list[bytes] = []  # the variable-length bytes of 0..4095, made on first use


def _track_bytes(keys, payload: list[bytes], ch: int, keynames: list[int], end: int) -> bytearray:
    """A track's data: its messages in key order with delta times and running status, then
    End of Track at ``end``.

    Each message's bytes come from a table keyed by its rank and sub (and whether it repeats
    the previous status), filled when a key is missing, so a long track costs a few integer
    operations and two lookups per message.
    """
    def message(key: int) -> bytes:
        data = _message_bytes(key >> _RANK & 7, key & _SUB, ch, keynames, payload)
        return data[1:] if key & _RUNNING and data[0] != 0xFF else data

    if not _DELTAS:
        _DELTAS.extend(_varlen(d) for d in range(4096))
    deltas, varlen = _DELTAS, _varlen
    messages: dict[int, bytes] = {}
    low = (1 << _TICK) - 1
    out = bytearray()
    ordered = sorted(keys)
    prev = _START
    for at in range(0, len(ordered), _WINDOW):
        window = ordered[at:at + _WINDOW]
        prevs = [prev] + window[:-1]
        while True:
            try:
                out += b"".join([(deltas[d] if (d := (k >> _TICK) - (p >> _TICK)) < 4096 else varlen(d))
                                 + messages[k & low | (not (k ^ p) & _SAME) << 40]
                                 for p, k in zip(prevs, window)])
                break
            except KeyError:  # messages not seen yet: make them, then encode the window again
                for key in {k & low | (not (k ^ p) & _SAME) << 40 for p, k in zip(prevs, window)}:
                    if key not in messages:
                        messages[key] = message(key)
        prev = window[-1]
    out += _varlen(end - (prev >> _TICK))
    out += b"\xff\x2f\x00"
    return out


def _message_bytes(rank: int, sub: int, ch: int, keynames, payload) -> bytes:
    """One message's bytes with its status: a note on or off from the packed key, anything
    else from the track's payload table."""
    if rank == _ON:
        return bytes((0x90 | ch, keynames[sub >> 10], sub >> 3 & 127))
    if rank == _OFF:
        return bytes((0x80 | ch, keynames[sub >> 10], 64))
    return payload[sub >> 3]


def _merged_bytes(tracks: list[tuple], end: int) -> bytearray:
    """Type 0: all tracks as one, ordered by tick, rank, then track; the parts' names go."""
    items = []
    for n, (keys, payload, ch, keynames) in enumerate(tracks):
        for k in sorted(keys):
            data = _message_bytes(k >> _RANK & 7, k & _SUB, ch, keynames, payload)
            if n and data[:2] == b"\xff\x03":  # a part's track name (note bytes never start FF)
                continue
            items.append((k >> _RANK, n, len(items), data))
    items.sort()
    out = bytearray()
    running = now = 0
    for tick_rank, _, _, data in items:
        tick = tick_rank >> 3
        out += _varlen(tick - now)
        now = tick
        if data[0] == running:
            out += data[1:]
        else:
            out += data
            running = data[0] if data[0] < 0xF0 else 0
    out += _varlen(end - now)
    out += b"\xff\x2f\x00"
    return out

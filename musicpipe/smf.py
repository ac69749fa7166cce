"""Standard MIDI File bytes from a stream, written directly: no message objects (docs/midi.md).

A song is read once, event by event: notes go into two ``array('q')`` per channel and key
(16 bytes a note: start and reach, then velocity and part) and one ``array('H')`` of keys
in stream order (2 bytes a note), the few other events stay as they are. Writing merges
each track's messages as packed integers (tick, rank on the tick, then what tells equal
ones apart) and encodes them many at a time with integer arithmetic, with running status
as mido writes it: the bytes are the ones the mido-based writer made.

    >>> data = Song([{"type": "Note", "t": 0, "dur": 480, "ch": 0, "key": 60, "vel": 90}]).encode()
    >>> data[:4], len(data)
    (b'MThd', 61)
"""

from __future__ import annotations

import re
from array import array
from bisect import bisect_right
from heapq import merge
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from operator import itemgetter, le
from struct import pack

from .events import DRUM_CHANNEL, PPQ, EventError, check
from .stream import is_typed

MAX_DELTA = 0x0FFFFFFF
"""The largest gap between two events of a track: MIDI's 4-byte variable-length number."""

MAX_TEMPO_US = 0xFFFFFF
"""The slowest tempo MIDI stores, in microseconds per quarter note (3 bytes: 3.58 bpm)."""

# Rank of a message among those on the same tick: note-offs first, so a note that ends where
# the next one on its key starts never cuts that one short; then meta events, the program (so
# it applies to notes starting on that tick), controllers, and last the note-ons.
_OFF, _META, _PROGRAM, _CC, _ON = range(5)

# A track's messages sort as one integer each: tick << 24 | rank << 21 | sub, below 2**52
# (ticks in a file stay within MAX_DELTA). For a note, sub is the rank of its key on the
# channel (keys in order of first appearance) << 14 | key << 7 | velocity (64 for a
# note-off), so its bytes come from the key alone; anything else has sub 0 and keeps the
# order it was added in (a stable sort). Keys are stored as the bits of the double
# 2**52 + key (_FLOAT | key): list.sort is fastest on floats.
_TICK, _RANK, _KEYRANK = 24, 21, 14
_KEY = (1 << 52) - 1
_FLOAT = 0x433 << 52
_START = 7 << _RANK  # the key before a track's first: tick 0, a rank no message has

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
        self.plain = [-1] * 16                   # per channel: part << 7 of its notes without track
        self.spans: list[array | None] = [None] * 2048   # per ch << 7 | key: t << 32 | reach
        self.infos: list[array | None] = [None] * 2048   # part << 7 | vel
        self.order = array("H")                  # each note's ch << 7 | key, in stream order
        self.groups: list[int] = []              # the keys (ch << 7 | key) in order of first note
        self.ranked: list[list[int]] = [[] for _ in range(16)]  # per channel: keys by rank
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
        return len(self.order)

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
                self.plain[part[1]] = n << 7
        return n

    def add(self, events: Iterable) -> None:
        """Read more of the stream (a stage feeds its reader's batches, dicts or Structs)."""
        checked, far = self.checked, self.far
        spans, infos, plain = self.spans, self.infos, self.plain
        last, last_start, last_event = self.last, self.last_start, self.last_event
        order = self.order.append
        note_cls = unset = None
        if events.__class__ is list and is_typed(events):
            from .structs import UNSET as unset, Note as note_cls, as_dict  # noqa: N811
        try:
            for ev in events:
                if ev.__class__ is note_cls:  # a typed reader's Note: its fields read as such
                    t, ch, key, vel, track = ev.t, ev.ch, ev.key, ev.vel, ev.track
                    reach = t + ev.dur
                    if track is unset:
                        track = None
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
                base = plain[ch] if track is None else -1
                if base < 0:
                    base = self._part_of(track, ch, ev) << 7
                g = ch << 7 | key
                span = spans[g]
                if span is None:
                    span = self._group(g)
                span.append(t << 32 | reach)
                infos[g].append(base | vel)
                order(g)
        finally:
            self.last, self.last_start, self.last_event = last, last_start, last_event

    def add_pairs(self, evs: list, reader) -> list:
        """A typed chunk holding NoteOn/NoteOff lines, paired and filed in one pass: the
        reader's pairing (``Reader._paired``'s common case, over its open NoteOns) with no
        Note made for a pair. Everything else (other events, pairing's rare cases, a Note
        ``add`` must look at) goes through ``add`` in stream order, so the song is the one
        ``add`` makes of the paired chunk. Returns what is left for ``add``: nothing."""
        from .structs import UNSET, NoteOff, NoteOn
        from .stream import note_of

        ons, early, pt = reader.opened, reader.early, reader.pair_t
        far, spans, infos, plain = self.far, self.spans, self.infos, self.plain
        last, last_start, order = self.last, self.last_start, self.order.append
        top = top_t = None  # the NoteOn and NoteOff tick of the note reaching furthest
        one: list = []
        for ev in evs:
            cls = ev.__class__
            if cls is NoteOff:
                t = ev.t
                if t > pt:
                    pt = t
                k = ev.ch << 7 | ev.key
                q = ons.get(k)
                if not q:
                    reader.pair_rare(ev, t, k, False, one.append)
                    if not one:
                        continue
                    ev = one.pop()
                else:
                    on = q.pop(0)
                    start = on.t
                    reach = t if t > start else start + 1
                    base = plain[k >> 7]
                    if base >= 0 and reach <= far and on.track is UNSET:
                        if start > last_start:
                            last_start = start
                        if reach > last:
                            last = reach
                            top = on
                            top_t = t
                        span = spans[k]
                        if span is None:
                            span = self._group(k)
                        span.append(start << 32 | reach)
                        infos[k].append(base | on.vel)
                        order(k)
                        continue
                    ev = note_of(on, t)
            elif cls is NoteOn:
                t = ev.t
                if t > pt:
                    pt = t
                k = ev.ch << 7 | ev.key
                if ev.vel and (not early or k not in early):
                    q = ons.get(k)
                    if q is None:
                        ons[k] = [ev]
                    else:
                        q.append(ev)
                    continue
                reader.pair_rare(ev, t, k, ev.vel > 0, one.append)
                if not one:
                    continue
                ev = one.pop()
            # anything else is filed by add, in stream order
            self.last, self.last_start = last, last_start
            if top is not None:
                self.last_event, top = note_of(top, top_t), None
            self.add([ev])
            last, last_start = self.last, self.last_start
        self.last, self.last_start = last, last_start
        if top is not None:
            self.last_event = note_of(top, top_t)
        reader.pair_t = pt
        return []

    def _group(self, g: int) -> array:
        """A new channel and key's arrays; returns its spans."""
        span = self.spans[g] = array("q")
        self.infos[g] = array("q")
        self.groups.append(g)
        return span

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
        notes = self._note_runs(scale, end, warn)
        for (track, ch), n in order:
            tracks.append(self._channel_track(track, ch, n, notes[n], scale, end))
        del notes
        pieces = [b"MThd" + pack(">Lhhh", 6, type, len(tracks) if type else 1, ppq)]
        if type == 0:  # one track: the tracks' names have nowhere to go
            datas = [_merged_track(tracks, end, self.ranked) if len(tracks) <= _PARTS
                     else [_merged_bytes(tracks, end)]]
        else:  # each track's runs go once it is written, making room for the next one's bytes
            tracks.reverse()
            datas = (_track_bytes(*tracks.pop(), end) for _ in range(len(tracks)))
        for data in datas:
            pieces += (b"MTrk", pack(">L", sum(map(len, data))), *data)
        return b"".join(pieces)

    def _conductor(self, scale, end: int, title: str | None) -> tuple:
        others: list[tuple[int, bytes]] = []
        if title:
            _add(others, 0, _META, _meta(0x03, title.encode()))
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
            _add(others, t, _META, data)
        return (*_with_others([], others), 0)

    def _note_runs(self, scale, end: int, warn) -> list[list]:
        """Each part's note-ons and note-offs as sorted runs of sort keys, in file ticks.

        A note keeps at least one tick after rescaling; notes are cut at the End; a note that
        starts while another on the same channel and key still sounds ends that one (two
        notes starting together on a key become the longer one), so note-offs never pair
        with the wrong note-on in a DAW. Keys are ranked per channel in order of the first
        note that stays (the order note-ons on one tick are written in).
        """
        runs: list[list] = [[] for _ in self.parts]
        ranks = [0] * 16  # per channel: the keys ranked so far
        parts_on = [0] * 16
        for _, ch in self.parts:
            parts_on[ch] += 1
        count = {"cut": 0, "dropped": 0, "shortened": 0, "merged": 0}
        spans_of, infos_of = self.spans, self.infos
        if scale(self.last) <= end and (  # no note is cut or dropped
                scale(self.last_start) < end  # (nothing starts on the End: the notes need no look)
                or scale(max((max(spans_of[g]) >> 32 for g in self.groups), default=0)) < end):
            kept = [(g, None) for g in self.groups]  # in order of their first notes
        else:
            kept = self._cut_keys(scale, end, count)
        for g, cut in kept:
            spans, infos = spans_of[g], infos_of[g]
            spans_of[g] = infos_of[g] = None  # encoded once: make room as it goes
            ch = g >> 7
            note = _FLOAT | ranks[ch] << _KEYRANK | (g & 127) << 7
            ranks[ch] += 1
            self.ranked[ch].append(g & 127)
            on_bits, off_bits = note | _ON << _RANK, note | _OFF << _RANK | 64
            one_part = parts_on[ch] == 1
            part = infos[0] >> 7 & 0xFFFFFF  # the channel's one part, if one_part
            if cut is None and scale is int and one_part and _keys_in_place(spans, infos, on_bits,
                                                                            off_bits):
                runs[part] += (_doubles(spans), _doubles(infos))
                continue
            if cut is None:
                ons = [span >> 32 for span in spans]
                offs = [span & 0xFFFFFFFF for span in spans]
                if scale is not int:
                    ons = [scale(t) for t in ons]
                    offs = [max(scale(t), on + 1) for on, t in zip(ons, offs)]
            else:
                ons, offs, infos = cut
            if one_part and all(map(le, offs, islice(ons, 1, None))):
                # One part on the channel, notes in order, none overlapping: two sorted runs.
                runs[part] += (
                    _doubles(array("q", [t << _TICK | on_bits | info & 127
                                         for t, info in zip(ons, infos)])),
                    _doubles(array("q", [t << _TICK | off_bits for t in offs])))
            else:
                _resolve(ons, offs, infos, on_bits, off_bits, runs, count)
        if count["dropped"] or count["cut"]:
            warn(f"{count['dropped'] + count['cut']} notes reach past the End at tick {end} "
                 f"({count['cut']} cut there, {count['dropped']} starting at or after it dropped)")
        if count["shortened"] or count["merged"]:
            warn(f"{count['shortened'] + count['merged']} notes overlap another on the same "
                 f"channel and key ({count['shortened']} ended where the next starts, "
                 f"{count['merged']} starting together merged)")
        return runs

    def _cut_keys(self, scale, end: int, count: dict) -> list[tuple]:
        """The keys with notes left after the End, (key, (starts, ends, infos)) each, in
        order of their first note left: one pass over the stream order finds where each
        of those notes was."""
        kept = {}
        for g in self.groups:
            cut = self._cut(g, scale, end, count)
            if cut is not None:
                kept[g] = cut
        first = {g: cut[0] for g, cut in kept.items()}  # key -> its first kept note's index
        at = {}  # key -> that note's place in the stream
        seen = [0] * 2048
        for pos, g in enumerate(self.order):
            if seen[g] == first.get(g):
                at[g] = pos
            seen[g] += 1
        return [(g, kept[g][1]) for g in sorted(kept, key=at.__getitem__)]

    def _cut(self, g: int, scale, end: int, count: dict) -> tuple | None:
        """A key's notes in file ticks with the End applied: (the index of its first note
        left, (starts, ends, infos)), or None when none is left."""
        spans, infos = self.spans[g], self.infos[g]
        notes = []
        first = None
        for i, (span, info) in enumerate(zip(spans, infos)):
            on = scale(span >> 32)
            if on >= end:
                count["dropped"] += 1
                continue
            if first is None:
                first = i
            off = max(scale(span & 0xFFFFFFFF), on + 1)
            if off > end:
                off = end
                count["cut"] += 1
            notes.append((on, off, info))
        if not notes:
            return None
        ons, offs, infos = (list(column) for column in zip(*notes))
        return first, (ons, offs, infos)

    def _channel_track(self, track: str, ch: int, n: int, runs: list, scale, end: int) -> tuple:
        """One part's track, named by its Marker, else its ``track`` name, else its instrument."""
        evs = sorted(self.channel_events[n], key=_t)
        first = next((ev["program"] for ev in evs if ev["type"] == "ProgramChange"), None)
        name = self.names.get(n)
        text = name["text"] if name else track or _track_name(first or 0, ch)
        others: list[tuple[int, bytes]] = []
        _add(others, 0, _META, _meta(0x03, text.encode()))
        on_channel = [p for (t, c), p in self.parts.items() if c == ch]
        set_at_start = any(ev["t"] == 0 and ev["type"] == "ProgramChange"
                           for p in on_channel for ev in self.channel_events[p])
        if ch != DRUM_CHANNEL and not set_at_start and track == min(
                t for t, c in self.parts if c == ch):
            # A track's program is set at its start, so a DAW picks the instrument on import.
            _add(others, 0, _PROGRAM, bytes((0xC0 | ch, 0)))
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
            _add(others, t, rank, data)
        return (*_with_others(runs, others), ch)


def _resolve(ons: list, offs: list, infos, on_bits: int, off_bits: int, runs: list[list],
             count: dict) -> None:
    """One channel and key's notes, sorted by start (the longer first, else in stream order):
    a note still sounding when the next starts ends there; two starting together merge.
    Each part gets one sorted run of its notes' keys."""
    notes = sorted(zip(ons, offs, infos), key=_by_start)
    mine: dict[int, array] = {}
    prev_on = prev_off = -1
    prev_run = None
    for on, off, info in notes:
        if on == prev_on:
            count["merged"] += 1
            continue
        if prev_off > on:
            prev_off = on
            count["shortened"] += 1
        if prev_run is not None:
            prev_run.append(prev_off << _TICK | off_bits)
        run = mine.get(info >> 7 & 0xFFFFFF)
        if run is None:
            run = mine[info >> 7 & 0xFFFFFF] = array("q")
        run.append(on << _TICK | on_bits | info & 127)
        prev_on, prev_off, prev_run = on, off, run
    prev_run.append(prev_off << _TICK | off_bits)
    for part, run in mine.items():
        runs[part].append(_doubles(run))


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
        sharps, minor = key_signature(*parse_key(f"{ev['key']} {ev['mode']}"), str(ev['key']))
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


def _add(others: list[tuple[int, bytes]], tick: int, rank: int, data: bytes) -> None:
    """A message other than a note: its key (sub 0) and its bytes."""
    others.append((tick << _TICK | rank << _RANK, data))


def _with_others(runs: list, others: list[tuple[int, bytes]]) -> tuple[list, list[bytes]]:
    """A track's runs with its other messages as one more (sorted stably, so in the order
    they were added where tick and rank tie), and their bytes in that order."""
    others.sort(key=itemgetter(0))
    runs.append(_doubles(array("q", [_FLOAT | key for key, _ in others])))
    return runs, [data for _, data in others]


def _doubles(keys: array) -> memoryview:
    """An ``array('q')`` of key bits seen as the doubles they are (see _FLOAT)."""
    return memoryview(keys).cast("B").cast("d")


_WINDOW = 1 << 12  # keys worked on at a time: bounds a long track's temporaries (and they
#                    stay in the CPU's cache)


def _lanes(n: int, value: int) -> int:
    """``value`` in each of ``n`` 64-bit lanes of one integer, lane 0 lowest: Python's big
    integers then do the same arithmetic on n numbers at once (bit masks keep lanes apart)."""
    return int.from_bytes(value.to_bytes(8, "little") * n, "little")


def _keys_in_place(spans: array, infos: array, on_bits: int, off_bits: int) -> bool:
    """Turn one key's notes (``spans`` and ``infos`` in stream order) into the keys of their
    note-ons and note-offs, in place, if each note ends by the next one's start: both are
    sorted runs then. False, leaving them as they are, if not."""
    n = len(spans)
    lanes: dict[int, tuple] = {}
    for write in (False, True):
        for at in range(0, n, _WINDOW):
            k = min(_WINDOW, n - at)
            if k not in lanes:
                one = _lanes(k, 1)
                lanes[k] = one, one * 0xFFFFFFFF, one << 40, one * 127
            one, low, guard, vel = lanes[k]
            s = int.from_bytes(spans[at:at + k], "little")
            ons, offs = s >> 32 & low, s & low
            if not write:  # the next start in each lane; a borrow clears the guard bit
                last = spans[at + k] >> 32 if at + k < n else 0xFFFFFFFF
                nxt = ons >> 64 | last << 64 * (k - 1)
                if (nxt | guard) - offs & guard != guard:
                    return False
                continue
            vels = int.from_bytes(infos[at:at + k], "little") & vel
            memoryview(spans).cast("B")[8 * at:8 * (at + k)] = (
                ons << _TICK | one * on_bits | vels).to_bytes(8 * k, "little")
            memoryview(infos).cast("B")[8 * at:8 * (at + k)] = (
                offs << _TICK | one * off_bits).to_bytes(8 * k, "little")
    return True


def _in_order(runs: list, size: int = _WINDOW) -> Iterator[list[float]]:
    """The keys of sorted runs merged, ``size`` at a time (the last time fewer).

    Each round takes from every run the keys up to a bound that keeps the round near
    ``size``: the smallest of the keys ``size // runs`` ahead in each run that has that many
    left. list.sort merges the runs' pieces in C, fastest on floats."""
    runs = [run for run in runs if len(run)]
    ats = [0] * len(runs)
    step = max(size // max(len(runs), 1), 1)
    keys: list[float] = []
    while runs:
        ahead = [run[at + step] for run, at in zip(runs, ats) if at + step < len(run)]
        bound = min(ahead) if ahead else None
        for i, run in enumerate(runs):
            cut = len(run) if bound is None else bisect_right(run, bound, ats[i])
            keys += run[ats[i]:cut].tolist()
            ats[i] = cut
        left = [i for i, run in enumerate(runs) if ats[i] < len(run)]
        runs, ats = [runs[i] for i in left], [ats[i] for i in left]
        keys.sort()
        while len(keys) >= size:
            yield keys[:size]
            del keys[:size]
    if keys:
        yield keys


class _Lanes:
    """The constants _encode needs, in each of n lanes (see _lanes), for a track on ``ch``."""

    def __init__(self, n: int, ch: int, merged: bool = False):
        one = _lanes(n, 1)
        self.all = (1 << 64 * n) - 1
        self.low = one * 0xFFFFFF  # the bits below the tick
        self.high = one * (0xFFFF_FFFF_FFFF_FFFF ^ 0xFFFFFF)
        self.m7, self.m14, self.m21 = one * 0x7F, one * 0x3FFF, one * 0x1FFFFF
        self.units12 = one * 0x0000_007F_007F_0000  # the 7 low bits of units 1 and 2
        self.past = one << 48  # the bit past units 0-2
        self.b15 = one * 0x0000_8000_8000_8000  # the top bit of units 0-2
        self.c180 = one * 0x0000_0180_0180_0180
        self.ranks, self.ranks12 = one * (7 << _RANK), one * (3 << _RANK)
        self.b4, self.b23, self.b24 = one << 4, one << 23, one << 24
        self.status = one * (0x80 | ch | 0x100 << 48)
        self.placeholder = (0x80 | ch) ^ 0x200 | 0x100 << 16 | 0x100 << 32  # xor: see _encode
        # Type 0 (``merged``): a note's channel is in its key, bits 14-17 (see _merged_track).
        self.chs = one * (0xF << 14) if merged else 0
        self.b18 = one << 18


# A placeholder for a message other than a note in _encode's text: the second when its rank
# (so its kind of message) is the same as the previous message's.
_OTHER = re.compile("([\u0200\u0300])")


def _track_bytes(runs: list, payload: list[bytes], ch: int, end: int) -> list[bytes]:
    """A track's data, in pieces: its messages in key order with delta times and running
    status, then End of Track at ``end``."""
    pieces = []
    lanes: dict[int, _Lanes] = {}
    prev = _START
    sent = 0  # messages from the payload written so far
    for keys in _in_order(runs):
        n = len(keys)
        if n not in lanes:
            lanes[n] = _Lanes(n, ch)
        x = int.from_bytes(pack(f"<{n}d", *keys), "little")
        text, placeholders = _encode(x, n, prev, lanes[n])
        if placeholders:
            parts = _OTHER.split(text)
            for i in range(1, len(parts), 2):
                data = payload[sent]
                if parts[i] == "\u0300" and data[0] == payload[sent - 1][0] and data[0] != 0xFF:
                    data = data[1:]  # running status: what a channel message repeats goes
                parts[i] = data.decode("latin-1")
                sent += 1
            text = "".join(parts)
        pieces.append(text.encode("latin-1", "ignore"))
        prev = int(keys[-1]) & _KEY
    pieces.append(_varlen(end - (prev >> _TICK)) + b"\xff\x2f\x00")
    return pieces


def _encode(x: int, n: int, prev: int, m: _Lanes) -> tuple[str, bool]:
    """Sorted keys as text whose characters below 256 are the messages' bytes (delta time,
    status, key, velocity); the rest are left out when it is encoded as Latin-1. A message
    other than a note is a placeholder (see _OTHER) after its delta time. And whether there
    is any. ``prev`` is the key before the first.

    Each key is a 64-bit lane of one integer (see _lanes); each message comes out as two
    lanes of four UTF-16 units: three for the leading delta bytes, one for the last, then
    status, key, velocity and one unit always left out.
    """
    before = (x << 64 | _FLOAT | prev) & m.all  # each lane: the previous key
    # The tick's difference (no borrow: the bits below it are all set in x, clear in before).
    delta = ((x | m.low) - (before & m.high)) >> _TICK  # (the next lane leaks in above bit 40)
    # The delta's three leading 7-bit groups in units 0-2, the first in unit 0. A group is
    # written (with the continuation bit) from the first that is not zero: v | -v sets every
    # bit from v's lowest set bit up, so bit 15 of those units; a unit left out gets 0x180.
    lead = (delta >> 7 & m.m21) * (1 << 32 | 1 << 9) & m.units12 | delta >> 21 & m.m7
    times = lead | ((m.past - lead | lead) & m.b15) >> 7 ^ m.c180 | (delta & m.m7) << 48
    # Status (0x80 | ch, + 0x10 for a note-on; left out for running status: the previous
    # message has the same rank), key and velocity; for a message other than a note, the
    # placeholder (0x200 | running << 8) and two units left out. Unit 3 is always left out.
    changed = ((x ^ before) & m.ranks) + m.ranks & m.b24
    if m.chs:  # type 0: a note on another channel changes the status too
        changed |= (((x ^ before) & m.chs) + m.chs & m.b18) << 6
    other = (x & m.ranks12) + m.ranks12 & m.b23  # ranks 1-3: meta, program, controller
    messages = (x >> 19 & m.b4 | (x & m.m14) * (1 << 9 | 1 << 32) & m.units12
                | (changed ^ m.b24) >> 16 | m.status | (x & m.chs) >> 14)
    messages ^= (other >> 23) * m.placeholder
    units = bytearray(16 * n)
    lanes = memoryview(units).cast("Q")
    lanes[0::2] = memoryview(times.to_bytes(8 * n, "little")).cast("Q")
    lanes[1::2] = memoryview(messages.to_bytes(8 * n, "little")).cast("Q")
    return units.decode("utf-16-le"), other != 0


_PARTS = 128
"""Type 0 merges at most this many tracks (the conductor and the parts) the fast way."""


def _merged_track(tracks: list[tuple], end: int, ranked: list[list[int]]) -> list[bytes]:
    """Type 0: all tracks as one, ordered by tick, rank, then track; the parts' names go.

    Each track's keys are made to sort in that order: bits 14-20 hold the track and 7-13
    the key's rank on its channel (the order a track writes notes on one tick in), where a
    track's own keys hold that rank and the key. The tracks' runs are then merged as one
    track's are, and a table from rank, track and key rank gives each message its channel
    and key back, for _encode with the channel in its key (bits 14-17)."""
    table = [0] * (5 << 14)  # rank << 14 | track << 7 | key rank -> ch << 7 | key
    for n, (_, _, ch) in enumerate(tracks[1:], 1):
        for rank, key in enumerate(ranked[ch]):
            table[_ON << 14 | n << 7 | rank] = table[_OFF << 14 | n << 7 | rank] = ch << 7 | key
    runs, payloads = [], []
    for n, (track_runs, payload, _) in enumerate(tracks):
        if n:  # a part's name: the first of its other messages (tick 0, sorted stably)
            track_runs[-1], payload = track_runs[-1][1:], payload[1:]
        runs.append(_rekeyed(track_runs, n))
        payloads.append(iter(payload))
    pieces = []
    lanes: dict[int, tuple] = {}
    prev = _START
    last = b""  # the last message other than a note written
    for keys in _in_order(runs):
        n = len(keys)
        if n not in lanes:
            one = _lanes(n, 1)
            lanes[n] = (_Lanes(n, 0, merged=True), one * 0x1FFFF,
                        one * (0xFFFF_FFFF_FFFF_FFFF ^ 0x3FFF << 7))
        m, fields, rest = lanes[n]
        x = int.from_bytes(pack(f"<{n}d", *keys), "little")
        at = array("q", ((x >> 7) & fields).to_bytes(8 * n, "little")).tolist()
        found = itemgetter(*at)(table) if n > 1 else (table[at[0]],)
        x = x & rest | int.from_bytes(array("q", found), "little") << 7
        text, placeholders = _encode(x, n, prev, m)
        if placeholders:
            parts = _OTHER.split(text)
            owners = [i >> 7 & 127 for i in at if _META << 14 <= i < _ON << 14]
            for i, owner in zip(range(1, len(parts), 2), owners):
                data = next(payloads[owner])
                sent = data
                if parts[i] == "\u0300" and data[0] == last[0] and data[0] != 0xFF:
                    sent = data[1:]  # running status: what a channel message repeats goes
                parts[i] = sent.decode("latin-1")
                last = data
            text = "".join(parts)
        pieces.append(text.encode("latin-1", "ignore"))
        prev = x >> 64 * (n - 1) & _KEY
    pieces.append(_varlen(end - (prev >> _TICK)) + b"\xff\x2f\x00")
    return pieces


def _rekeyed(runs: list, n: int) -> memoryview:
    """A track's keys in order, made to sort among other tracks' (see _merged_track)."""
    out = array("q")
    masks: dict[int, tuple] = {}
    for keys in _in_order(runs):
        k = len(keys)
        if k not in masks:
            one = _lanes(k, 1)
            masks[k] = (one * (0xFFFF_FFFF_FFFF_FFFF ^ 0x1FFFFF), one * (127 << 7), one * 127,
                        one * (n << 14))
        high, rank, vel, track = masks[k]
        x = int.from_bytes(pack(f"<{k}d", *keys), "little")
        x = x & high | x >> 7 & rank | x & vel | track
        out.frombytes(x.to_bytes(8 * k, "little"))
    return _doubles(out)


def _merged_bytes(tracks: list[tuple], end: int) -> bytearray:
    """Type 0 for more than _PARTS tracks, one message at a time (as _merged_track orders
    them): the tracks' messages are merged as they are made (heapq.merge), so memory stays
    that of type 1."""
    out = bytearray()
    running = now = 0
    for tick_rank, _, data in merge(*(_messages(n, *track) for n, track in enumerate(tracks))):
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


def _messages(n: int, runs: list, payload: list[bytes], ch: int) -> Iterator[tuple]:
    """One track's messages in order, as (tick << 3 | rank, n, bytes); a part's name left out."""
    others = iter(payload)
    notes: dict[int, bytes] = {}  # the bytes of each note message, made once
    for keys in _in_order(runs):
        for key in keys:
            k = int(key) & _KEY
            rank = k >> _RANK & 7
            if rank == _ON or rank == _OFF:
                data = notes.get(k & 0x3FFF | rank << 14)
                if data is None:
                    data = notes[k & 0x3FFF | rank << 14] = bytes((
                        (0x90 if rank == _ON else 0x80) | ch, k >> 7 & 127, k & 127))
            else:
                data = next(others)
                if n and data[:2] == b"\xff\x03":  # a part's track name
                    continue
            yield k >> _RANK, n, data

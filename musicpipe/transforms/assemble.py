"""Assemble: songs from parts, in the stream (concat, loop, merge, section).

A part's length is its End, else its last note's end rounded up to the bar line (by its
TimeSigs). ``concat`` plays parts one after another, each shifted by the lengths before it;
``loop`` repeats one; ``merge`` plays parts together from tick 0; ``section`` names a point
(a Marker without a channel: a DAW shows it as a marker; MuseScore shows no MIDI marker,
to-musicxml writes it as a rehearsal mark).

Each part starts in its own meter: a part that sets no TimeSig at its start plays in 4/4
(MIDI's default), so one is written there when the part before left another meter in force.
Repeats: a Tempo, TimeSig, KeySig or ProgramChange that only repeats the one in force at its
tick (each part states its own; the file needs it once) is dropped. Conflicts: a Tempo,
TimeSig or KeySig at a tick where an earlier part (in argument order) already set a
different one is dropped, and counted in ``stats["conflicts"]``; the first part's Seed is
kept, later Seeds are dropped; a track name (a Marker with a channel) that names its channel
as before is dropped; every part's End is replaced by one End at the end of the whole.
"""

from __future__ import annotations

from bisect import bisect_right, insort
from collections.abc import Iterable, Iterator

from .. import budget
from ..events import MAX_TICK, TIMED
from ..meter import bar_line_at_or_after
from ..stream import DataError
from .reseed import at_head

SETTINGS = ("Tempo", "TimeSig", "KeySig")
_FIELDS = {"Tempo": ("bpm",), "TimeSig": ("num", "den"), "KeySig": ("key", "mode")}


class Part:
    """Follows a part as it streams by: its length so far, its TimeSigs."""

    def __init__(self) -> None:
        self.end: int | None = None
        self.last = 0
        self.sigs: list[tuple[int, int, int]] = []

    def see(self, ev: dict) -> None:
        typ = ev["type"]
        if typ == "End":
            self.end = ev["t"] if self.end is None else max(self.end, ev["t"])
        elif typ == "Note":
            self.last = max(self.last, ev["t"] + ev["dur"])
        elif typ == "TimeSig":
            self.sigs.append((ev["t"], ev["num"], ev["den"]))

    def length(self) -> int:
        """The End, else the last note's end rounded up to the bar line."""
        if self.end is not None:
            return self.end
        return min(bar_line_at_or_after(self.last, self.sigs), MAX_TICK)


class Settings:
    """The Tempo/TimeSig/KeySig set at each tick so far, to drop later conflicting ones, and
    each setting's values over time (and each channel's programs), to drop repeats."""

    def __init__(self, stats: dict | None = None):
        self.at: dict[tuple[str, int], tuple] = {}
        self.names: dict[int, str] = {}
        self.timeline: dict[tuple, list[tuple[int, tuple]]] = {}
        self.stats = stats if stats is not None else {}
        self.stats.setdefault("conflicts", 0)

    def kept(self, ev: dict) -> bool:
        """Whether a passing event stays: settings without conflict that change what is in
        force, new track names."""
        typ = ev["type"]
        if typ == "Marker" and ev.get("ch") is not None:
            if self.names.get(ev["ch"]) == ev["text"]:
                return False
            self.names[ev["ch"]] = ev["text"]
            return True
        if typ == "ProgramChange":
            return self.changes(("ProgramChange", ev["ch"]), ev["t"], (ev["program"],))
        if typ not in SETTINGS:
            return True
        return self.keep(ev) and self.changes(typ, ev["t"], tuple(ev[f] for f in _FIELDS[typ]))

    def keep(self, ev: dict) -> bool:
        value = tuple(ev[f] for f in _FIELDS[ev["type"]])
        prior = self.at.setdefault((ev["type"], ev["t"]), value)
        if prior != value:
            self.stats["conflicts"] += 1
            return False
        return True

    def in_force(self, what, t: int) -> tuple | None:
        line = self.timeline.get(what, ())
        i = bisect_right(line, t, key=_time)  # by time alone: values may be text (KeySig)
        return line[i - 1][1] if i else None

    def changes(self, what, t: int, value: tuple) -> bool:
        """Record ``value`` from ``t``; False when it is the one in force there already."""
        if self.in_force(what, t) == value:
            return False
        insort(self.timeline.setdefault(what, []), (t, value), key=_time)
        return True

    def meter_at_start(self, head: list[dict], start: int) -> dict | None:
        """The 4/4 a part starting at ``start`` plays in when ``head`` (its events at its
        tick 0) sets no meter while another is in force there; None when none is needed."""
        if any(ev["type"] == "TimeSig" for ev in head):
            return None
        if self.in_force("TimeSig", start) in (None, (4, 4)):
            return None
        self.changes("TimeSig", start, (4, 4))
        return {"type": "TimeSig", "t": start, "num": 4, "den": 4}


def _time(item: tuple[int, tuple]) -> int:
    return item[0]


def shifted(ev: dict, by: int) -> dict:
    """The event ``by`` ticks later (events without a time, and unknown types, unchanged).
    One moved past the stream's last tick is a DataError: the parts are too long."""
    if not by or ev["type"] not in TIMED:
        return ev
    out = ev.copy()
    out["t"] += by
    _check_tick(out["t"])
    return out


def _check_tick(t: int) -> None:
    if t > MAX_TICK:
        raise DataError(f"the parts reach tick {t:,}, past the stream's limit {MAX_TICK:,} "
                        "(about 621 hours at 120 BPM)")


def concat(parts: Iterable[Iterable[dict]], stats: dict | None = None) -> Iterator[dict]:
    """Parts one after another (see the module docstring); streams, holding no part."""
    return _combine(parts, stats, in_a_row=True)


def merge(parts: Iterable[Iterable[dict]], stats: dict | None = None) -> Iterator[dict]:
    """Parts together from tick 0, as `{ a; b; }` layers them, with one End at the longest."""
    return _combine(parts, stats, in_a_row=False)


def _combine(parts: Iterable[Iterable[dict]], stats: dict | None, *, in_a_row: bool) -> Iterator[dict]:
    settings = Settings(stats)
    offset = end = 0
    seeded = False
    for events in parts:
        part = Part()
        head: list[dict] | None = [] if offset else None  # its tick-0 events, until one later
        for ev in events:
            part.see(ev)
            typ = ev["type"]
            if typ == "End" or typ == "Seed" and seeded:
                continue
            seeded = seeded or typ == "Seed"
            if head is not None:
                if typ not in TIMED or ev["t"] == 0:
                    head.append(ev)
                    continue
                yield from _opened(head, offset, settings)
                head = None
            ev = shifted(ev, offset)
            if settings.kept(ev):
                yield ev
        if head is not None:
            yield from _opened(head, offset, settings)
        end = max(end, offset + part.length())
        _check_tick(end)
        if in_a_row:
            offset += part.length()
    yield {"type": "End", "t": end}


def _opened(head: list[dict], offset: int, settings: Settings) -> Iterator[dict]:
    """A part's first tick: the meter it starts in (see ``meter_at_start``), then its events."""
    meter = settings.meter_at_start(head, offset)
    if meter is not None:
        yield meter
    for ev in head:
        ev = shifted(ev, offset)
        if settings.kept(ev):
            yield ev


def loop(events: Iterable[dict], *, times: int | None = None, bars: int | None = None
         ) -> Iterator[dict]:
    """The part ``times`` times, or as many times as fit ``bars`` bars (the last one cut at
    the bar line: notes crossing it shortened). Holds the part in memory to repeat it."""
    from .trim import trim

    held = list(events)
    part = Part()
    for ev in held:
        part.see(ev)
    length = part.length()
    if length <= 0:
        raise DataError("a pass of the stream lasts 0 ticks (no notes, and no End or one at "
                        "0): give it a length, e.g. `trim --bars 1` writes an End on the bar line")
    body = [ev for ev in held if ev["type"] != "End"]
    if times is None:
        from ..meter import bar_tick

        total = bar_tick(bars or 1, part.sigs)
        if total > MAX_TICK:
            raise DataError(f"{bars:,} bars end at tick {total:,}, past the stream's limit "
                            f"{MAX_TICK:,}")
        times = -(-total // length)
    if times * max(1, len(body)) > budget.events():
        raise DataError(f"{times:,} passes of {len(body):,} events would write more than "
                        f"{budget.events():,} events")
    if times * length > MAX_TICK and bars is None:  # never a last pass cut short in silence
        raise DataError(f"{times:,} passes of {length:,} ticks end at tick {times * length:,}, "
                        f"past the stream's limit {MAX_TICK:,}: "
                        f"{MAX_TICK // length:,} fit")
    _check_tick((times - 1) * length + max([ev["t"] for ev in body if ev["type"] in TIMED],
                                           default=0))
    out = _repeat(body, length, times)
    if bars is not None:
        yield from trim(out, bars=bars)
        return
    yield from out
    yield {"type": "End", "t": times * length}


def _repeat(body: list[dict], length: int, times: int) -> Iterator[dict]:
    """The passes, without the settings and track names that only repeat those in force."""
    settings = Settings()
    for n in range(times):
        for ev in body:
            if n and ev["type"] == "Seed":
                continue
            ev = shifted(ev, n * length)
            if ev["type"] not in SETTINGS and ev["type"] not in ("ProgramChange", "Marker") \
                    or settings.kept(ev):
                yield ev


def section(events: Iterable[dict], name: str, at: int = 0) -> Iterator[dict]:
    """The stream with a section Marker named ``name`` at tick ``at`` (after its Seed)."""
    return at_head(events, {"type": "Marker", "t": at, "text": name})

"""Trim: cut trailing silence, or cut the piece to N bars, with an End on the bar line."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from heapq import heappop, heappush

from ..events import MAX_TICK, PPQ, TIMED
from ..meter import bar_line_at_or_after, bar_tick

TRIM_HELP = (
    "Without --bars/--ticks the End goes to the bar line at or after the last note's end "
    "(--exact: the note's end itself; --pad adds ticks first). That mode streams notes, but "
    "holds back other events that lie beyond every note so far (they are dropped if no note "
    "reaches them), so a stream whose automation comes before its notes is held in memory. "
    "--bars N and --ticks T stream: events from the cut on are dropped, notes crossing it "
    "are shortened to end on it (one that would keep less than an eighth of a beat and "
    "less than half its length, a note of the next bar pulled early, is dropped: no blips "
    "at the end), and the End is placed on it (also when the music is "
    "shorter: the piece is then padded to N bars). Bars follow the TimeSig events (default "
    "4/4); a TimeSig takes effect at the bar line at or after its tick. Unknown event types "
    "(and a Seed, whatever fields it carries) pass unchanged; earlier End lines are replaced. "
    "An End that would fall past tick 2147483647 is put there."
)


BLIP_ZONE = PPQ // 8  # a note crossing a cut that keeps less (and under half of it) is a blip


def trim(events: Iterable[dict], *, bars: int | None = None, ticks: int | None = None,
         exact: bool = False, pad: int = 0,
         warn: Callable[[str], None] | None = None) -> Iterator[dict]:
    """Cut to ``bars`` bars or ``ticks`` ticks, or (neither) cut trailing silence; see TRIM_HELP."""
    if bars is not None and ticks is not None:
        raise ValueError("give bars or ticks, not both")
    if bars is not None or ticks is not None:
        return _cut(events, bars, ticks, warn or (lambda msg: None))
    return _auto(events, exact, pad)


def _timed(ev: dict) -> bool:
    """A known event type with a time: unknown types (and a Seed) pass through untouched."""
    return ev["type"] in TIMED


def _cut(events, bars, ticks, warn) -> Iterator[dict]:
    sigs: list[tuple[int, int, int]] = []
    cut = min(ticks if ticks is not None else bar_tick(bars), MAX_TICK)
    reached = 0       # latest tick of anything passed on
    changed = False   # whether something was dropped or shortened
    warned = False
    for ev in events:
        typ = ev["type"]
        if typ == "Note":
            t = ev["t"]
            if t >= cut or (t + ev["dur"] > cut and 2 * (cut - t) < min(2 * BLIP_ZONE, ev["dur"])):
                changed = True
                continue
            if t + ev["dur"] > cut:
                ev = ev.copy()
                ev["dur"] = cut - t
                changed = True
            if t + ev["dur"] > reached:
                reached = t + ev["dur"]
            yield ev
            continue
        if typ == "End" or not _timed(ev):
            if typ != "End":
                yield ev
            continue
        if typ == "TimeSig" and bars is not None and ev["t"] < cut:
            sigs.append((ev["t"], ev["num"], ev["den"]))
            new = min(bar_tick(bars, sigs), MAX_TICK)
            if new != cut and (reached > new or changed) and not warned:
                warn(f"a TimeSig at tick {ev['t']} came after notes it moves the cut of; "
                     "put TimeSig lines first")
                warned = True
            cut = new
        if ev["t"] >= cut:
            continue
        reached = max(reached, ev["t"])
        yield ev
    yield {"type": "End", "t": cut}


def _auto(events, exact, pad) -> Iterator[dict]:
    sigs: list[tuple[int, int, int]] = []
    end = 0                            # latest note end so far
    held: list[tuple[int, int, dict]] = []  # (t, arrival, event) beyond every note so far
    arrival = 0
    last_end = None
    have_notes = False
    for ev in events:
        typ = ev["type"]
        if typ == "Note":
            have_notes = True
            e = ev["t"] + ev["dur"]
            yield ev
            if e > end:
                end = e
                while held and held[0][0] <= end:
                    yield heappop(held)[2]
            continue
        if typ == "End":
            last_end = ev["t"] if last_end is None else max(last_end, ev["t"])
            continue
        if not _timed(ev):
            yield ev
            continue
        if typ == "TimeSig":
            sigs.append((ev["t"], ev["num"], ev["den"]))
        if ev["t"] <= end:
            yield ev
        else:
            arrival += 1
            heappush(held, (ev["t"], arrival, ev))
    if not have_notes:  # nothing to measure: the stream passes unchanged
        while held:
            yield heappop(held)[2]
        if last_end is not None:
            yield {"type": "End", "t": last_end}
        return
    new_end = min(end + pad, MAX_TICK)
    if not exact:
        new_end = min(bar_line_at_or_after(new_end, sigs), MAX_TICK)
    while held and held[0][0] < new_end:
        yield heappop(held)[2]
    yield {"type": "End", "t": new_end}

"""trim: cut trailing silence, or cut the piece to N bars, with an End on the bar line."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from heapq import heappop, heappush

import click

from .. import cli
from ..events import EVENTS, PPQ

TRIM_HELP = (
    "Without --bars/--ticks the End goes to the bar line at or after the last note's end "
    "(--exact: the note's end itself; --pad adds ticks first). That mode streams notes, but "
    "holds back other events that lie beyond every note so far (they are dropped if no note "
    "reaches them), so a stream whose automation comes before its notes is held in memory. "
    "--bars N and --ticks T stream: events from the cut on are dropped, notes crossing it "
    "are shortened to end on it, and the End is placed on it (also when the music is "
    "shorter: the piece is then padded to N bars). Bars follow the TimeSig events (default "
    "4/4); a TimeSig takes effect at the bar line at or after its tick. Unknown event types "
    "pass unchanged; earlier End lines are replaced."
)


def bar_length(num: int, den: int) -> int:
    return num * PPQ * 4 // den


def bar_lines(sigs: list[tuple[int, int, int]]) -> Iterator[tuple[int, int, int]]:
    """Every bar from 0 on, endlessly, as (start tick, beats, beat length in ticks).

    ``sigs`` are (t, num, den) sorted by t; before the first, 4/4.
    """
    pos, num, den, i = 0, 4, 4, 0
    while True:
        while i < len(sigs) and sigs[i][0] <= pos:
            _, num, den = sigs[i]
            i += 1
        yield pos, num, PPQ * 4 // den
        pos += bar_length(num, den)


def bar_tick(bars: int, sigs: Iterable[tuple[int, int, int]] = ()) -> int:
    """The tick where bar ``bars + 1`` starts, i.e. the end of N bars."""
    for n, (pos, _, _) in enumerate(bar_lines(sorted(sigs))):
        if n == bars:
            return pos
    raise AssertionError("unreachable")


def bar_line_at_or_after(t: int, sigs: Iterable[tuple[int, int, int]] = ()) -> int:
    for pos, _, _ in bar_lines(sorted(sigs)):
        if pos >= t:
            return pos
    raise AssertionError("unreachable")


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
    """A known event type with a time: unknown types pass through untouched."""
    return ev["type"] in EVENTS and "t" in ev


def _cut(events, bars, ticks, warn) -> Iterator[dict]:
    sigs: list[tuple[int, int, int]] = []
    cut = ticks if ticks is not None else bar_tick(bars)
    reached = 0       # latest tick of anything passed on
    changed = False   # whether something was dropped or shortened
    warned = False
    for ev in events:
        typ = ev["type"]
        if typ == "Note":
            t = ev["t"]
            if t >= cut:
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
            new = bar_tick(bars, sigs)
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
    new_end = end + pad
    if not exact:
        new_end = bar_line_at_or_after(new_end, sigs)
    while held and held[0][0] < new_end:
        yield heappop(held)[2]
    yield {"type": "End", "t": new_end}


@cli.stage("trim", examples=[
    "trim < examples/riff.jsonl",
    "trim --bars 1 < examples/riff.jsonl",
    "trim --exact --pad 240 < examples/riff.jsonl",
    "seed 1 | transpose -s 0 | trim --ticks 960",
], epilog=TRIM_HELP)
@click.option("--bars", type=click.IntRange(1, 1_000_000), default=None,
              help="Cut to this many bars (bars from TimeSig, default 4/4).")
@click.option("--ticks", type=click.IntRange(0, 2**31 - 1), default=None,
              help="Cut at this tick.")
@click.option("--exact", is_flag=True,
              help="Without --bars/--ticks: End exactly at the last note's end, not the bar line.")
@click.option("--pad", type=click.IntRange(0, 2**31 - 1), default=0, show_default=True,
              help="Without --bars/--ticks: ticks of silence kept after the last note.")
def command(io: cli.StageIO, bars: int | None, ticks: int | None, exact: bool, pad: int):
    """Cut trailing silence, or cut the piece to N bars, closing notes cleanly.

    The result always ends with one End event on the cut (by default a bar line), so a DAW
    loop of the piece lines up.
    """
    if bars is not None and ticks is not None:
        raise click.UsageError("give --bars or --ticks, not both")
    return trim(io.events(), bars=bars, ticks=ticks, exact=exact, pad=pad, warn=io.warn)


main = command

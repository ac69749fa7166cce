"""Quantize: move note starts and ends toward a rhythmic grid, as a DAW's quantize does.

Each note is moved on its own (its snapped start and end depend only on itself), so the stage
streams in constant memory and keeps the order of any two notes: a note that ended before the
next one started still does. The grid counts from the latest TimeSig seen (0 without one), so a
triplet grid stays on the bar lines after a change to 5/8.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from itertools import chain

from ..events import MAX_TICK, PPQ

GRID_HELP = (
    "--grid is a note value: 1 2 4 8 16 32 64 (a whole note .. a 64th), with t for triplets "
    "(8t: three eighths in a quarter, 160 ticks). --strength moves each start and end that "
    "share of the way to the nearest grid line (100 = onto it). --swing delays every second "
    "grid line by that share of a third of a step (100 % = triplet feel; straight grids only). "
    "A note whose end meets its start is made one step long. The grid counts from the latest "
    "TimeSig (0 without one)."
)

_GRID = re.compile(r"(1|2|4|8|16|32|64)(t?)")


def parse_grid(text: str) -> int:
    """``"16"`` -> 120 ticks, ``"8t"`` -> 160: the grid's step in ticks.

    >>> parse_grid("16"), parse_grid("8t"), parse_grid("4")
    (120, 160, 480)
    """
    m = _GRID.fullmatch(str(text).strip().lower())
    if not m:
        raise ValueError(f"grid must be 1, 2, 4, 8, 16, 32 or 64, optionally with t for triplets "
                         f"(8t), got {text!r}")
    whole = 4 * PPQ
    return whole * 2 // (3 * int(m.group(1))) if m.group(2) else whole // int(m.group(1))


def quantize(events: Iterable[dict], grid: str = "16", *, strength: float = 100,
             swing: float = 0, lengths: bool = True, channels: Iterable[int] | None = None,
             tracks: Iterable[str] | None = None) -> Iterator[dict]:
    """Snap each Note's start (and end, with ``lengths``) toward ``grid`` (see GRID_HELP).

    ``strength`` and ``swing`` are percentages. ``channels`` and ``tracks`` limit it to those
    channels or parts (a note matching either is quantized; neither given: all notes, drums
    too). A part is a note's ``track``, or its channel's name (a Marker with ``ch`` earlier in
    the stream: "Bass" finds "Bass (Upright Bass)"). Other events pass unchanged; moved
    notes are copies.

    >>> n = {"type": "Note", "t": 130, "dur": 100, "ch": 0, "key": 60, "vel": 80}
    >>> [(e["t"], e["dur"]) for e in quantize([n], "16")]
    [(120, 120)]
    """
    batches = [events] if isinstance(events, list) else ([ev] for ev in events)
    return chain.from_iterable(quantize_batches(batches, grid, strength=strength, swing=swing,
                                                lengths=lengths, channels=channels, tracks=tracks))


def quantize_batches(batches: Iterable[list[dict]], grid: str = "16", *, strength: float = 100,
                     swing: float = 0, lengths: bool = True, channels: Iterable[int] | None = None,
                     tracks: Iterable[str] | None = None,
                     in_place: bool = False) -> Iterator[list[dict]]:
    """``quantize`` over lists of events, a list out for each list in; ``in_place`` changes
    the notes themselves (a stage's freshly read batches)."""
    step = parse_grid(grid)
    triplet = str(grid).strip().lower().endswith("t")
    if not 0 <= strength <= 100:
        raise ValueError(f"strength must be 0..100 %, got {strength}")
    if not 0 <= swing <= 100:
        raise ValueError(f"swing must be 0..100 %, got {swing}")
    if swing and triplet:
        raise ValueError("swing applies to straight grids; a triplet grid is swung already")
    only_ch = set(channels or ())
    only_tr = frozenset(tracks or ())
    wanted = {t.casefold() for t in only_tr}
    every = not only_ch and not only_tr
    delay = round(swing / 100 * step / 3)
    pull = strength / 100
    anchor = 0

    def snap(t: int) -> int:
        k, r = divmod(t - anchor, step)
        if k % 2 == 0:  # t lies between an on-line (k) and a swung off-line (k + 1)
            lo, hi = k * step, (k + 1) * step + delay
        else:
            lo, hi = k * step + delay, (k + 1) * step
            if r < delay:  # before this swung line: between it and the straight one before
                lo, hi = (k - 1) * step, k * step + delay
        r = t - anchor
        q = anchor + (lo if r - lo < hi - r else hi)
        return q if pull == 1 else t + round((q - t) * pull)

    for batch in batches:
        out = batch if in_place else []
        for i, ev in enumerate(batch):
            typ = ev["type"]
            if typ == "TimeSig":
                anchor = ev["t"]
            elif typ == "Marker" and wanted and ev.get("ch") is not None and \
                    {ev["text"].casefold(), ev["text"].split(" (")[0].casefold()} & wanted:
                only_ch.add(ev["ch"])  # the part named so: its channel
            elif typ == "Note" and (every or ev["ch"] in only_ch
                                    or _track(ev) in only_tr):
                t0 = ev["t"]
                t = min(max(snap(t0), 0), MAX_TICK)
                if lengths:
                    end = snap(t0 + ev["dur"])
                    dur = end - t if end > t else (step if pull == 1 else max(1, end - t))
                else:
                    dur = ev["dur"]
                dur = min(dur, MAX_TICK)
                if not in_place:
                    ev = ev.copy()
                ev["t"], ev["dur"] = t, dur
                if in_place:
                    batch[i] = ev
            if not in_place:
                out.append(ev)
        yield out


def _track(ev: dict) -> str | None:
    """A note's track name; a value that is no name (a list, a number) names no track."""
    track = ev.get("track")
    return track if isinstance(track, str) else None

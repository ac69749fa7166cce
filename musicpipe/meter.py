"""Bars and beats under time signatures: where bar lines fall, from (t, num, den) TimeSigs.

A TimeSig takes effect at the bar line at or after its tick; before the first, 4/4.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator

from .events import PPQ

DENOMINATORS = (1, 2, 4, 8, 16, 32, 64)


def parse_time_sig(text: str) -> tuple[int, int]:
    """``'3/4'`` -> (3, 4); numerator 1-255, denominator a power of 2 up to 64."""
    try:
        num, den = (int(x) for x in text.split("/"))
    except ValueError:
        raise ValueError(f"{text!r} is not a time signature like 3/4") from None
    if not 1 <= num <= 255 or den not in DENOMINATORS:
        raise ValueError(f"{text}: numerator 1-255, denominator a power of 2 up to 64")
    return num, den


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


def _regions(sigs: list[tuple[int, int, int]]) -> Iterator[tuple[int, int, int | None]]:
    """(start tick, bar length, bars until the next region or None) for each stretch of one
    time signature: a far bar costs as little as a near one (no bar-by-bar counting)."""
    pos, num, den, i = 0, 4, 4, 0
    while True:
        while i < len(sigs) and sigs[i][0] <= pos:
            _, num, den = sigs[i]
            i += 1
        length = bar_length(num, den)
        if i == len(sigs):
            yield pos, length, None
            return
        bars = -(-(sigs[i][0] - pos) // length)  # the next TimeSig waits for a bar line
        yield pos, length, bars
        pos += bars * length


def bar_tick(bars: int, sigs: Iterable[tuple[int, int, int]] = ()) -> int:
    """The tick where bar ``bars + 1`` starts, i.e. the end of N bars."""
    for pos, length, count in _regions(sorted(sigs)):
        if count is None or bars < count:
            return pos + bars * length
        bars -= count
    raise AssertionError("unreachable")


def bar_line_at_or_after(t: int, sigs: Iterable[tuple[int, int, int]] = ()) -> int:
    for pos, length, count in _regions(sorted(sigs)):
        if count is None or t <= pos + count * length:
            return pos + max(0, -(-(t - pos) // length)) * length
    raise AssertionError("unreachable")


def bar_count(t: int, sigs: Iterable[tuple[int, int, int]] = ()) -> int:
    """How many bars start before tick ``t``."""
    n = 0
    for pos, length, count in _regions(sorted(sigs)):
        if count is None or t <= pos + count * length:
            return n + max(0, -(-(t - pos) // length))
        n += count
    raise AssertionError("unreachable")


def seconds_at(tempos: list[tuple[int, float]]) -> Callable[[int], float]:
    """tick -> seconds under a tempo map [(tick, bpm)] sorted by tick (120 BPM before the first)."""
    points = [(0, 0.0, 120.0)]  # (tick, seconds at tick, bpm from there)
    for t, bpm in tempos:
        t0, s0, b0 = points[-1]
        s = s0 + (t - t0) * 60 / (b0 * PPQ)
        if t == t0:
            points[-1] = (t0, s0, bpm)
        else:
            points.append((t, s, bpm))
    starts = [p[0] for p in points]

    def at(tick: int) -> float:
        t0, s0, b0 = points[bisect_right(starts, tick) - 1]
        return s0 + (tick - t0) * 60 / (b0 * PPQ)

    return at

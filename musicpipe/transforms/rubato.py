"""Rubato: tempo variation over time, as Tempo events on a regular grid.

The music-pipe-rs stage of the same name, streaming: each grid point's Tempo is written as
soon as an event starting after it arrives, and the rest of the grid up to the piece's end
when the input ends.
"""

from __future__ import annotations

import math
from bisect import insort
from collections.abc import Iterable, Iterator

from ..events import TIMED
from ..rng import stage_rng
from ..stream import DataError

STYLES = ("ragtime", "waltz", "phrase", "drift", "random")
DEFAULT_BPM = 120.0
MAX_TEMPOS = 100_000
"""The most Tempo lines one rubato writes (100,000: hours of music at any sane interval)."""

RUBATO_HELP = (
    "Every --interval ticks (480: a quarter-note beat, so a score shows at most one tempo mark "
    "a beat) from 0 to the end of the piece a Tempo is written: the base tempo "
    "times (1 + a variation). The base is --bpm, else the stream's Tempo in force at that "
    "point (else 120); the stream's own Tempo lines are replaced. Styles (V = --variance %): "
    "ragtime pushes through 8-beat phrases and slows at their ends, plus random +-V/2; "
    "waltz leans on beat 1 of each 3/4 bar, plus random +-0.3V; phrase arches over 4 bars "
    "of 4/4 (faster mid-phrase, a ritardando at the end), plus random +-0.3V; drift wanders "
    "slowly within +-V; random jumps anywhere in +-V. Tempos are rounded to 0.01 BPM and kept "
    "in 4..1000. Input Tempo lines should come before the notes they govern, as generators "
    "write them. A piece that would need more than 100,000 Tempo lines exits 65: raise "
    "--interval."
)


def variation(style: str, t: int, r: float, v: float, state: list[float]) -> float:
    """The tempo factor minus 1 at tick ``t``; ``r`` uniform in [0, 1), ``v`` the variance
    as a fraction; ``state`` carries drift's walk between calls."""
    u = 2 * r - 1  # uniform in -1..1
    if style == "ragtime":
        pos = (t % 3840) / 3840
        shape = 0.02 * math.sin(pos * 2) if pos < 0.8 else -0.03 * (pos - 0.8) * 5
        return shape + u * v * 0.5
    if style == "waltz":
        return 0.02 * math.cos((t % 1440) / 1440 * 2 * math.pi) + u * v * 0.3
    if style == "phrase":
        pos = (t % 7680) / 7680
        shape = 0.7 * math.sin(math.pi * pos) - 0.35
        if pos > 0.85:
            shape -= 4 * (pos - 0.85)  # ritardando into the phrase's end
        return v * shape + u * v * 0.3
    if style == "drift":
        state[0] = max(-v, min(v, 0.85 * state[0] + u * v * 0.3))
        return state[0]
    return u * v


def rubato(events: Iterable[dict], seed: int, *, variance: float = 5.0, interval: int = 480,
           style: str = "ragtime", bpm: float | None = None, salt: str = "") -> Iterator[dict]:
    """Replace the stream's Tempo lines by a varied tempo every ``interval`` ticks.

    ``variance`` is in percent. One draw from ``stage_rng(seed, "rubato", salt)`` per grid
    point, in time order, so the result depends only on the seed and the piece's length.
    """
    if style not in STYLES:
        raise ValueError(f"style must be one of {STYLES}")
    if interval < 1:
        raise ValueError("interval must be >= 1 tick")
    rnd = stage_rng(seed, "rubato", *([salt] if salt else [])).random
    v = variance / 100
    state = [0.0]
    given: list[tuple[int, float]] = []  # the stream's Tempo lines not yet in force
    base = bpm if bpm is not None else DEFAULT_BPM
    grid = 0     # the next grid point to write
    end = 0      # the latest end of anything seen

    def tempo(t: int) -> dict:
        nonlocal base
        if bpm is None:
            while given and given[0][0] <= t:
                base = given.pop(0)[1]
        value = base * (1 + variation(style, t, rnd(), v, state))
        return {"type": "Tempo", "t": t, "bpm": round(min(1000.0, max(4.0, value)), 2)}

    seen_any = False
    for ev in events:
        typ = ev["type"]
        if typ == "Tempo":
            insort(given, (ev["t"], ev["bpm"]))
            continue
        if typ not in TIMED:
            yield ev
            continue
        seen_any = True
        t = ev["t"]
        if typ == "End":
            end = max(end, t)
            yield ev
            continue
        _check_grid(grid, t, interval)
        while grid <= t:
            yield tempo(grid)
            grid += interval
        e = t + ev["dur"] if typ == "Note" else t
        if e > end:
            end = e
        yield ev
    if not seen_any:  # nothing timed: keep the stream's tempo as it was
        for t, value in given:
            yield {"type": "Tempo", "t": t, "bpm": value}
        return
    _check_grid(grid, end, interval)
    while grid < end:
        yield tempo(grid)
        grid += interval


def _check_grid(grid: int, t: int, interval: int) -> None:
    """Refuse a grid that would run past MAX_TEMPOS points (an End far away, a tiny interval)."""
    if t // interval > MAX_TEMPOS:
        raise DataError(f"tick {t} at --interval {interval} needs {t // interval + 1:,} Tempo "
                        f"lines, more than {MAX_TEMPOS:,}: raise --interval")

"""Catching hits: the tempo nudged inside a region so a hit's second falls on a beat.

Film composers "catch" a hit by bending the tempo so a beat lands on it; then every layer
that plays on the beat plays on the hit, and an accent, a stop before it or a stinger sit
on the grid instead of a few milliseconds beside a beat. Here a region's tempo profile
(its body tempo and any ramp, ``[(tick, bpm)]`` from the region's start) is cut at the beat
nearest each hit, and each piece between two caught hits is scaled by its own factor so the
beat lands on the hit's second exactly; the region still starts and ends where it did. A hit
whose catching would move any piece's tempo by more than HIT_NUDGE stays where it is, at
its nearest tick, off the beat.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..events import PPQ

HIT_NUDGE = 0.05  # a piece's tempo moves by at most 5 % to catch a hit


def _elapsed(profile: Sequence[tuple[int, float]], tick: int) -> float:
    """Seconds from the region's start to ``tick`` under ``profile``."""
    total = 0.0
    for (t0, bpm), (t1, _) in zip(profile, list(profile[1:]) + [(tick, 0.0)]):
        if t0 >= tick:
            break
        total += (min(t1, tick) - t0) * 60 / (bpm * PPQ)
    return total


def _tick_near(profile: Sequence[tuple[int, float]], seconds: float, end: int) -> float:
    """The (fractional) tick at ``seconds`` under ``profile``."""
    points = list(profile) + [(end, 0.0)]
    done = 0.0
    for (t0, bpm), (t1, _) in zip(points, points[1:]):
        span = (t1 - t0) * 60 / (bpm * PPQ)
        if seconds <= done + span:
            return t0 + (seconds - done) * bpm * PPQ / 60
        done += span
    return float(end)


def _scaled(profile, ticks: int, anchors: dict[int, float],
            limits: tuple[float, float]) -> list[tuple[int, float]] | None:
    """``profile`` with each piece between anchors (tick -> second) scaled to fit them; None
    when a piece would move by more than HIT_NUDGE or a tempo leave ``limits``."""
    cuts = sorted(anchors.items())
    bounds = [(0, 0.0)] + cuts + [(ticks, _elapsed(profile, ticks))]
    out = []
    for (a, sa), (b, sb) in zip(bounds, bounds[1:]):
        base = _elapsed(profile, b) - _elapsed(profile, a)
        factor = base / (sb - sa) if sb > sa else 0.0
        if abs(factor - 1) > HIT_NUDGE:
            return None
        inside = [(t, bpm) for t, bpm in profile if a < t < b]
        start = [bpm for t, bpm in profile if t <= a][-1]  # the tempo in force at a
        out += [(a, start * factor)] + [(t, bpm * factor) for t, bpm in inside]
    lo, hi = limits
    return out if all(lo <= bpm <= hi for _, bpm in out) else None


def catch(profile: Sequence[tuple[int, float]], ticks: int, hits: Sequence[float],
          beat: int, limits: tuple[float, float]) -> tuple[list[tuple[int, float]], list[float]]:
    """The region's profile with the hits caught, and the hits it caught. Ticks and seconds
    count from the region's start; ``hits`` in order of time, strictly inside the region;
    ``beat``: the meter's beat in ticks; ``limits``: the slowest and fastest tempo allowed."""
    profile = list(profile)
    anchors: dict[int, float] = {}
    caught: list[float] = []
    current = profile
    for h in hits:
        b = round(_tick_near(profile, h, ticks) / beat) * beat
        if not 0 < b < ticks or b in anchors:
            continue
        trial = _scaled(profile, ticks, {**anchors, b: h}, limits)
        if trial is None:
            continue
        anchors[b] = h
        caught.append(h)
        current = trial
    return current, caught

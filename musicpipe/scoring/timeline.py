"""Whole bars on exact seconds: tempi fitted so bar lines fall where a plan says.

A piece (or a score region) of S seconds at a nominal tempo T lasts S * T / 60 quarter notes,
rarely a whole number of bars. ``fit_bars`` picks the nearest whole number of bars and the
tempo that makes them last exactly S seconds (a few percent off T); when no whole number of
bars is close enough (short pieces: 8 s of a 72 BPM mood is 2.4 bars) the last bar is
shortened by whole eighths, written as a TimeSig of its own, so the piece still ends on a
bar line. ``fit_timeline`` does this for every region of a score and joins regions whose
tempi differ by a ramp, one tempo step per beat over the last bars before the join, with
each region's tempo solved so the ramp costs no time: every boundary stays on its second.
The last region may slow into its final chord (``Segment.slowing``), its body tempo solved
around the ritardando in the same way, so the piece still ends on its second.

Pure functions over numbers: no moods, no events, no I/O. Tempo is in quarter notes per
minute, as in MIDI; times are in ticks at ``events.PPQ``.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from ..events import PPQ
from ..meter import bar_length, seconds_at
from .hits import catch

MIN_TEMPO, MAX_TEMPO = 20.0, 400.0  # what mood and the mood packs accept
WHOLE_BARS_TOLERANCE = 0.04  # `mood`: the fitted tempo within +-4 % of the mood's
REGION_TOLERANCE = 0.06      # a score region: "within a few percent"
RAMP_THRESHOLD = 0.02        # tempi closer than 2 % meet with a step, not a ramp


class FitError(ValueError):
    """No tempo in MIN_TEMPO..MAX_TEMPO puts whole bars on these seconds."""


@dataclass(frozen=True)
class Fit:
    """S seconds as whole bars: ``bars`` full bars of ``meter`` and an optional shorter last
    bar ``short`` (num, den), ``ticks`` long in all, at ``tempo`` BPM (``nominal`` asked)."""

    bars: int
    short: tuple[int, int] | None
    ticks: int
    tempo: float
    nominal: float
    meter: tuple[int, int]

    @property
    def percent(self) -> float:
        """How far the fitted tempo is from the nominal one, in percent (+ is faster)."""
        return (self.tempo / self.nominal - 1) * 100

    def time_sigs(self, start: int = 0) -> list[tuple[int, int, int]]:
        """The TimeSigs (tick, num, den) from ``start``: the meter, and the short bar's."""
        sigs = [(start, *self.meter)]
        if self.short is not None:
            sigs.append((start + self.bars * bar_length(*self.meter), *self.short))
        return sigs


def _short_meter(ticks: int, den: int) -> tuple[int, int]:
    """A short bar of ``ticks`` as a time signature: eighths (sixteenths under x/16),
    written in the bar's own beat where they add up (3/8 in 4/4, 2/4 not 4/8)."""
    unit_den = 16 if den >= 16 else 8
    num, d = ticks // (PPQ * 4 // unit_den), unit_den
    while num % 2 == 0 and d > den:
        num, d = num // 2, d // 2
    return num, d


def _candidates(quarters: float, meter: tuple[int, int]) -> list[tuple[int, tuple | None, int]]:
    """(bars, short meter or None, ticks) near ``quarters`` quarter notes: the whole numbers
    of bars either side, and the whole bars plus a short bar of each length in eighths."""
    num, den = meter
    bar = bar_length(num, den)
    unit = PPQ * 4 // (16 if den >= 16 else 8)
    nominal = quarters * PPQ
    below = int(nominal // bar)
    out = [(b, None, b * bar) for b in sorted({max(1, below), below + 1})]
    for rest in range(unit, bar, unit):
        out.append((below, _short_meter(rest, den), below * bar + rest))
    return out


def _constant(ticks: int, seconds: float) -> float:
    return ticks * 60 / (PPQ * seconds)


def fit_bars(seconds: float, tempo: float, meter: tuple[int, int] = (4, 4), *,
             bars: int | None = None, tolerance: float = WHOLE_BARS_TOLERANCE) -> Fit:
    """``seconds`` as whole bars of ``meter`` near ``tempo``, exactly.

    With ``bars``: exactly that many bars, at whatever tempo makes them last ``seconds``
    (FitError outside 20..400 BPM). Otherwise whole bars whose tempo is within
    ``tolerance`` (a fraction) of ``tempo``, the closest; else whole bars and a short last
    bar within it; else the closest of all (``Fit.percent`` tells the caller how far).

    >>> f = fit_bars(20, 124); (f.bars, f.short, round(f.tempo, 1))
    (10, None, 120.0)
    """
    num, den = meter
    if bars is not None:
        ticks = bars * bar_length(num, den)
        fitted = _constant(ticks, seconds)
        if not MIN_TEMPO <= fitted <= MAX_TEMPO:
            raise FitError(f"{bars} bars of {num}/{den} in {seconds:g} s need {fitted:.1f} BPM "
                           f"(tempo {MIN_TEMPO:g}..{MAX_TEMPO:g})")
        return Fit(bars, None, ticks, fitted, tempo, meter)
    fits = [Fit(b, short, ticks, _constant(ticks, seconds), tempo, meter)
            for b, short, ticks in _candidates(seconds * tempo / 60, meter)
            if MIN_TEMPO <= _constant(ticks, seconds) <= MAX_TEMPO]
    if not fits:
        raise FitError(f"{seconds:g} s holds no whole bar of {num}/{den} between "
                       f"{MIN_TEMPO:g} and {MAX_TEMPO:g} BPM")
    return _best(fits, tolerance)


def _best(fits: list[Fit], tolerance: float) -> Fit:
    def off(f: Fit) -> float:
        return abs(f.percent)

    limit = tolerance * 100
    for pool in ([f for f in fits if f.short is None and off(f) <= limit],
                 [f for f in fits if off(f) <= limit], fits):
        if pool:  # ties: the fewer ticks (the slower tempo), so the choice is stable
            return min(pool, key=lambda f: (off(f), f.ticks))
    raise AssertionError("unreachable")


# -- a score: regions on exact seconds ----------------------------------------------------


Slowing = Callable[[int, float], "tuple[float, list[tuple[int, float]]] | None"]


@dataclass(frozen=True)
class Segment:
    """What the timeline needs of a region: where it starts and its nominal tempo and meter;
    for the last region, ``slowing``: given its ticks and seconds, the body tempo and the
    Tempo changes [(tick, bpm)] of a ritardando into its final chord that make it last
    those seconds exactly, or None where it keeps time."""

    at: float
    tempo: float
    meter: tuple[int, int] = (4, 4)
    slowing: Slowing | None = field(default=None, compare=False)


@dataclass(frozen=True)
class RegionFit:
    """A region placed: seconds and ticks from ``at`` to ``end``, its bars and fitted tempo
    (the body tempo, before any ramp into the next region at ``ramp_tick``, or the last
    region's ritardando into its final chord at ``slow_tick``)."""

    at: float
    end: float
    tick: int
    end_tick: int
    fit: Fit
    ramp_tick: int | None
    slow_tick: int | None = None

    @property
    def tempo(self) -> float:
        return self.fit.tempo

    @property
    def percent(self) -> float:
        return self.fit.percent


@dataclass(frozen=True)
class Timeline:
    """The fitted piece: regions, tempo map [(tick, bpm)], TimeSigs [(tick, num, den)],
    the hits caught on a beat."""

    regions: tuple[RegionFit, ...]
    tempos: tuple[tuple[int, float], ...]
    time_sigs: tuple[tuple[int, int, int], ...]
    duration: float
    caught: tuple[float, ...] = ()  # the hits (seconds) caught on a beat

    @property
    def end_tick(self) -> int:
        return self.regions[-1].end_tick

    @cached_property
    def _at(self) -> Callable[[int], float]:
        return seconds_at(list(self.tempos))

    @cached_property
    def _starts(self) -> list[float]:
        return [self._at(t) for t, _ in self.tempos]

    def seconds(self, tick: int) -> float:
        """The second at which ``tick`` sounds."""
        return self._at(tick)

    def tick_at(self, second: float) -> int:
        """The tick nearest ``second`` (a hit's time): within half a tick, under 1 ms."""
        starts = self._starts
        i = max(0, bisect_right(starts, second) - 1)
        t0, bpm = self.tempos[i]
        return round(t0 + (second - starts[i]) * bpm * PPQ / 60)

    def bars(self) -> list[tuple[int, float]]:
        """Every bar line from 0 to the end as (tick, second), the end included."""
        ticks = []
        sigs = list(self.time_sigs)
        for i, (t, num, den) in enumerate(sigs):
            stop = sigs[i + 1][0] if i + 1 < len(sigs) else self.end_tick
            ticks.extend(range(t, stop, bar_length(num, den)))
        ticks.append(self.end_tick)
        return [(t, self._at(t)) for t in ticks]

    def position(self, tick: int) -> tuple[int, float]:
        """(bar, beat) of ``tick``, both counted from 1 as musicians do; beat in the bar's
        own beat unit (a quarter in 4/4, an eighth in 6/8)."""
        sigs = list(self.time_sigs)
        bar_no = 1
        for i, (t, num, den) in enumerate(sigs):
            stop = sigs[i + 1][0] if i + 1 < len(sigs) else math.inf
            length = bar_length(num, den)
            if tick < stop:
                k = (tick - t) // length
                return bar_no + k, 1 + (tick - t - k * length) / (PPQ * 4 / den)
            bar_no += (stop - t) // length
        raise AssertionError("unreachable")


def _ramp_steps(start: int, end: int, beat: int) -> list[tuple[int, int, float]]:
    """(tick, ticks, fraction of the way) for each beat of a ramp from ``start`` to ``end``:
    the tempo moves in equal steps and reaches the next region's only at ``end``."""
    ticks = list(range(start, end, beat))
    n = len(ticks)
    return [(t, min(beat, end - t), (j + 1) / (n + 1)) for j, t in enumerate(ticks)]


def _solve_body(seconds: float, body: int, steps: list[tuple[int, int, float]],
                following: float) -> float:
    """The body tempo X so that ``body`` ticks at X and the ramp steps from X toward
    ``following`` last exactly ``seconds`` (the duration falls as X rises: bisection)."""
    def length(x: float) -> float:
        total = body / x
        for _, ticks, f in steps:
            total += ticks / (x + (following - x) * f)
        return total * 60 / PPQ

    lo, hi = 1.0, 4000.0
    for _ in range(200):
        mid = (lo + hi) / 2
        if length(mid) > seconds:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-12 * hi:
            break
    return (lo + hi) / 2


def _ramp_bars(bars: int) -> int:
    """Ramp over the last two bars of a long region, the last bar of a short one, none in a
    one-bar region (its only bar is the body)."""
    return 2 if bars >= 8 else 1 if bars >= 2 else 0


def fit_timeline(segments: Sequence[Segment], duration: float, *, loop: bool = False,
                 hits: Sequence[float] = (), tolerance: float = REGION_TOLERANCE,
                 ramp_threshold: float = RAMP_THRESHOLD) -> Timeline:
    """Fit every region's bars and tempo so each starts at its exact second and the piece
    ends at ``duration`` on a bar line.

    ``segments`` start at 0 and are in order. Regions are fitted from the last to the first:
    a ramp out of region i heads for region i+1's tempo, already known. A region's fit is
    chosen as ``fit_bars`` chooses (whole bars within ``tolerance`` first), judged on its
    body tempo. The caller checks ``RegionFit.percent`` against what it accepts. ``loop``:
    the last region ramps back into the first one's tempo, so the seam has no tempo jump
    (the chain is fitted again with the first tempo known, a fixed few times: it settles
    to well under 0.01 %). Without ``loop``, the last region slows into its final chord
    where its ``Segment.slowing`` says so. ``hits`` (seconds) are caught on their nearest
    beat where the tempo around them need move little (``hits.catch``).
    """
    if not segments or segments[0].at != 0:
        raise ValueError("the first region starts at 0")
    ends = [s.at for s in segments[1:]] + [duration]
    placed = _fit_chain(segments, ends, None, tolerance, ramp_threshold)
    for _ in range(4 if loop and len(segments) > 1 else 0):
        placed = _fit_chain(segments, ends, placed[0][0].tempo, tolerance, ramp_threshold)
    return _assemble(segments, ends, placed, duration, sorted(hits))


def _fit_chain(segments, ends, wrap: float | None, tolerance: float, ramp_threshold: float):
    """(fit, ramp start tick in the region or None, its tempo profile [(tick, bpm)] from
    the region's start, the ritardando's start tick or None) for each region, fitted from
    the last back; ``wrap``: the tempo the last region leads into."""
    placed = []
    following = wrap
    for index in reversed(range(len(segments))):
        seg, end = segments[index], ends[index]
        seconds = end - seg.at
        if seconds <= 0:
            raise ValueError("regions in order of time, each before the end")
        num, den = seg.meter
        beat = PPQ * 4 // den
        fits = []
        for bars, short, ticks in _candidates(seconds * seg.tempo / 60, seg.meter):
            constant = _constant(ticks, seconds)
            ramp = _ramp_bars(bars)
            slowed = seg.slowing(ticks, seconds) if following is None and seg.slowing else None
            ramp_at = slow_at = None
            if slowed:
                tempo, changes = slowed
                profile, slow_at = [(0, tempo)] + changes, changes[0][0]
            elif following is not None and ramp and abs(following / constant - 1) > ramp_threshold:
                steps = _ramp_steps((bars - ramp) * bar_length(num, den), ticks, beat)
                tempo = _solve_body(seconds, steps[0][0], steps, following)
                profile = [(0, tempo)] + [(t, tempo + (following - tempo) * f) for t, _, f in steps]
                ramp_at = steps[0][0]
            else:
                tempo = constant
                profile = [(0, tempo)]
            if MIN_TEMPO <= tempo <= MAX_TEMPO:
                fits.append((Fit(bars, short, ticks, tempo, seg.tempo, seg.meter),
                             (ramp_at, profile, slow_at)))
        if not fits:
            raise FitError(f"region[{index}]: {seconds:g} s holds no whole bar of {num}/{den} "
                           f"between {MIN_TEMPO:g} and {MAX_TEMPO:g} BPM")
        best = _best([f for f, _ in fits], tolerance)
        placed.append((best, *next(rest for f, rest in fits if f is best)))
        following = best.tempo
    placed.reverse()
    return placed


def _assemble(segments, ends, placed, duration: float, hits: list[float]) -> Timeline:
    regions, tempos, sigs, caught = [], [], [], []
    tick = 0
    for seg, end, (fit, ramp_at, profile, slow_at) in zip(segments, ends, placed):
        regions.append(RegionFit(seg.at, end, tick, tick + fit.ticks, fit,
                                 None if ramp_at is None else tick + ramp_at,
                                 None if slow_at is None else tick + slow_at))
        inside = [h - seg.at for h in hits if seg.at < h < end]
        if inside:
            profile, on_beat = catch(profile, fit.ticks, inside, PPQ * 4 // fit.meter[1],
                                     (MIN_TEMPO, MAX_TEMPO))
            caught += [seg.at + h for h in on_beat]
        tempos.extend((tick + t, bpm) for t, bpm in profile)
        own = fit.time_sigs(tick)
        sigs.extend(own[1:] if sigs and sigs[-1][1:] == own[0][1:] else own)
        tick += fit.ticks
    return Timeline(tuple(regions), tuple(tempos), tuple(sigs), duration, tuple(caught))


def bar_intensities(bars: Sequence[tuple[float, float]],
                    keyframes: float | Sequence[tuple[float, float]]) -> list[int]:
    """One intensity 0..100 per bar, given as (start, end) seconds: the keyframes' line
    (seconds, value), linear between them and flat beyond, read at each bar's middle so a
    bar plays what most of it should; a number is the same for every bar."""
    if isinstance(keyframes, (int, float)):
        return [round(keyframes)] * len(bars)
    points = sorted(keyframes)
    times = [s for s, _ in points]
    out = []
    for start, end in bars:
        mid = (start + end) / 2
        i = bisect_right(times, mid)
        if i == 0:
            value = points[0][1]
        elif i == len(points):
            value = points[-1][1]
        else:
            (s0, v0), (s1, v1) = points[i - 1], points[i]
            value = v0 + (v1 - v0) * (mid - s0) / (s1 - s0)
        out.append(round(value))
    return out

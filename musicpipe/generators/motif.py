"""Motif: a seeded melodic phrase that moves mostly by step, resolves its leaps and cadences."""

from __future__ import annotations

import math

from ..events import PPQ
from ..notation import parse_duration
from ..rng import Rng, stage_rng
from ..theory import scale_pitch_classes, tonic_triad

CONTOURS = ("arch", "ascending", "descending", "wave", "random")
BAR = PPQ * 4

MOTIF_HELP = (
    "The phrase walks the scale (--root/--mode, default the major scale on --base) between "
    "--base and --base + --range semitones. Steps of one or two scale degrees dominate; "
    "--complexity (0-100) allows more leaps and busier rhythm; a leap of more than 4 "
    "semitones is followed by a step back the other way. --contour shapes the line: arch "
    "(up, then down), ascending, descending, wave, random. The last note lands on the "
    "root, third or fifth (a chord tone of the harmony when given) and is held longer; "
    "--cadence lands it on the root itself, approached by step, so the phrase closes. "
    "Rhythm: --dur mixed (default: seeded one-beat cells - quarter, two eighths, dotted "
    "eighth and sixteenth, four sixteenths... - busier with complexity), a fixed value (8), "
    "or a cycle (4,8,8 or 4.,8). The phrase lasts whole bars (4/4, or --time-sig; --bars N "
    "fills exactly N; --repeat loops it). --swing S (0-1) delays off-beat eighths by S x 80 "
    "ticks. Chords: when the stream holds Chord events (`chords ... | motif`), notes on "
    "beats take the tones of the chord in force and the phrase ends on one "
    "(--ignore-chords: not)."
)

# One-beat rhythm cells, with the least complexity each needs to be likely.
CELLS = (
    ((480,), 0), ((240, 240), 10), ((960,), 0), ((360, 120), 45), ((120, 120, 240), 60),
    ((240, 120, 120), 60), ((120, 120, 120, 120), 75), ((160, 160, 160), 70), ((720, 240), 30),
)


def cell_weights(complexity: int) -> list[float]:
    c = complexity / 100
    return [max(0.05, 1.0 - abs(need / 100 - c) * 2) if need else (1.2 - c) for _, need in CELLS]


def rhythm(rng: Rng, count: int | None, length: int | None, dur: str | None,
           complexity: int) -> list[int]:
    """Durations for ``count`` notes, or to fill ``length`` ticks exactly."""
    if dur not in (None, "", "mixed"):
        cycle = [parse_duration(d.strip()) for d in dur.split(",")]
        source = (cycle[i % len(cycle)] for i in range(10**9))
    else:
        weights = cell_weights(complexity)

        def cells():
            while True:
                yield from rng.weighted([c for c, _ in CELLS], weights)
        source = cells()
    out: list[int] = []
    total = 0
    for d in source:
        if length is not None:
            if total >= length:
                break
            d = min(d, length - total)
        elif len(out) >= count:
            break
        out.append(d)
        total += d
    return out


def _target(contour: str, p: float, anchors: list[float]) -> float:
    """Where the line heads at position p (0..1 of the phrase), as 0..1 of the range."""
    if contour == "ascending":
        return 0.1 + 0.8 * p
    if contour == "descending":
        return 0.9 - 0.8 * p
    if contour == "arch":
        return 0.15 + 0.75 * math.sin(math.pi * p)
    if contour == "wave":
        return 0.5 + 0.35 * math.sin(3 * math.pi * p)
    x = p * (len(anchors) - 1)
    i = min(int(x), len(anchors) - 2)
    return anchors[i] + (anchors[i + 1] - anchors[i]) * (x - i)


def part(seed: int, *, notes: int = 8, base: int = 60, range_: int = 12, complexity: int = 50,
         contour: str = "arch", dur: str | None = None, rest_prob: float = 0.1,
         chord_prob: float = 0.0, swing: float = 0.0, root: int | None = None,
         mode: str | None = None, ch: int = 0, vel: int = 96,
         harmony: list[tuple[int, tuple[int, ...]]] | None = None, bars: int | None = None,
         cadence: bool = False, bar: int = BAR, salt: str = "") -> list[dict]:
    """A phrase from tick 0: ``notes`` notes (or exactly ``bars`` bars), then an End.

    ``harmony`` is [(start tick, pitch classes)] sorted by start: notes on beats prefer the
    chord in force, and the phrase ends on one of its tones. ``cadence`` ends it on the
    tonic itself (the root of the scale), approached by step: a phrase that closes.
    ``bar`` is the bar length in ticks (a 3/4 bar is 1440).
    """
    if contour not in CONTOURS:
        raise ValueError(f"contour must be one of {', '.join(CONTOURS)}")
    rng = stage_rng(seed, "motif", *([salt] if salt else []))
    tonic = base % 12 if root is None else root
    pcs = set(scale_pitch_classes(tonic, mode or "major"))
    stable = set(tonic_triad(tonic, mode or "major"))
    keys = [k for k in range(max(0, base), min(127, base + range_) + 1) if k % 12 in pcs]
    if len(keys) < 3:
        raise ValueError(f"--range {range_} from {base} holds fewer than 3 scale notes")
    top = len(keys) - 1
    durs = rhythm(rng, notes, bars * bar if bars else None, dur, complexity)
    while cadence and bars and len(durs) > 2 and durs[-1] < PPQ:  # the close lasts a beat
        durs[-2:] = [durs[-2] + durs[-1]]
    anchors = [rng.random() for _ in range(4)]
    leap_p = 0.05 + 0.3 * complexity / 100

    def chord_at(t: int) -> set[int] | None:
        now = None
        for start, chord in harmony or ():
            if start > t:
                break
            now = chord
        return set(now) if now else None

    out: list[dict] = []
    idx = round(_target(contour, 0, anchors) * top)
    prev: int | None = None  # the last sounding note (an index into keys)
    leap = 0  # the interval into it, in semitones, when that was a leap (> 4)
    t = 0
    n = len(durs)
    for i, d in enumerate(durs):
        last = i == n - 1
        if 0 < i < n - 1 and not leap and rng.random() < rest_prob:
            t += d
            continue
        chord = chord_at(t)
        want = ({tonic} if cadence else chord or stable) if last else chord if t % PPQ == 0 else None
        if prev is None:
            idx = _nearest(keys, idx, want)
        elif leap:  # a leap is answered by a step back the other way
            idx = _step(keys, prev, -1 if leap > 0 else 1, want)
        else:
            goal = _target(contour, i / max(1, n - 1), anchors) * top
            toward = 1 if goal > idx else -1 if goal < idx else rng.choice((-1, 1))
            if i == n - 2:  # the cadence is approached by step: no leap is left hanging
                idx = _step(keys, prev, toward, want)
                if idx == prev:
                    idx = _step(keys, prev, -toward, want)
            else:
                size = rng.weighted((0, 1, 2, 3, 4), (0.12, 0.62, 0.2, leap_p, leap_p / 2))
                move = size * (toward if rng.random() < 0.8 else -toward)
                idx = min(top, max(0, idx + move))
                if idx == prev and move:
                    idx = min(top, max(0, prev - move))
                idx = _nearest(keys, idx, want)
        interval = 0 if prev is None else keys[idx] - keys[prev]
        leap = interval if abs(interval) > 4 else 0
        prev = idx
        key = keys[idx]
        length = d
        if last:  # a cadence: the last note rings to the end of its bar (at least a beat)
            length = d if bars else max(d, PPQ)
            end = t + length
            length += -end % bar
        accent = 8 if t % bar == 0 else 3 if t % PPQ == 0 else -4
        v = max(1, min(127, vel + accent + rng.randint(-4, 4)))
        start = t
        if swing and t % PPQ == PPQ // 2:
            delay = round(swing * PPQ / 6)
            start, length = t + delay, max(1, length - delay)
        out.append({"type": "Note", "t": start, "dur": length, "ch": ch, "key": key, "vel": v})
        if chord_prob and not last and rng.random() < chord_prob:
            for below in (2, 4):
                if idx - below >= 0:
                    out.append({"type": "Note", "t": start, "dur": length, "ch": ch,
                                "key": keys[idx - below], "vel": max(1, v - 12)})
        t += length if last else d
    end = max([t] + [e["t"] + e["dur"] for e in out])
    out.append({"type": "End", "t": end + (-end % bar)})
    return out


def _nearest(keys: list[int], idx: int, pcs: set[int] | None) -> int:
    """The index of the key nearest ``idx`` whose pitch class is in ``pcs`` (idx if none)."""
    if not pcs:
        return idx
    for dist in range(len(keys)):
        for j in (idx - dist, idx + dist):
            if 0 <= j < len(keys) and keys[j] % 12 in pcs:
                return j
    return idx


def _step(keys: list[int], prev: int, direction: int, pcs: set[int] | None) -> int:
    """A step from ``prev`` in ``direction``: one scale degree, or two (a third, never a
    leap) when only that lands on a tone in ``pcs``; ``prev`` at the edge of the range."""
    steps = [j for j in (prev + direction, prev + 2 * direction)
             if 0 <= j < len(keys) and abs(keys[j] - keys[prev]) <= 4]
    return next((j for j in steps if pcs and keys[j] % 12 in pcs), steps[0] if steps else prev)


def check_rhythm(value: str) -> str:
    """A rhythm spec (--dur), checked: mixed, or note values separated by commas."""
    if value != "mixed":
        for d in value.split(","):
            parse_duration(d.strip())
    return value

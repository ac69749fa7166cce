"""Phrase: a melody written bar by bar from one idea, the way a tune is built.

A phrase states a one-bar idea (a rhythm and a few mostly stepwise moves), repeats it as a
sequence on the next chord, develops it (the moves inverted, the rhythm varied) and closes
with a cadence bar that walks by step to its goal: the tonic (a full close), a tone of the
dominant (a half close, the question a returning phrase answers) or the tone next to the
tonic (a lead-in to a final chord that follows). Notes on strong beats lean to chord tones;
a leap is answered by a step back; nothing leaps more than a fifth. Pitches are indices
into ``keys``, the scale's keys in the register, so a move of one is a scale step.
"""

from __future__ import annotations

from ..rng import Rng
from .motif import CELLS

# Rhythm cells by groove, (ticks, complexity they suit): a style's melody speaks its beat's
# language (the triplet arpeggios of chiptune, clear of the eighths a pop hook lives on; the
# dotted-eighth echo of synthwave; the anticipations of a pop hook); other moods use motif's
# cells.
GROOVES = {
    "chiptune": (((160, 160, 160), 40), ((320, 160), 30), ((160, 320), 60), ((320, 320, 320), 55),
                 ((480,), 0), ((960,), 0), ((160, 160, 160, 480), 50)),
    "synthwave": (((360, 360, 240), 20), ((360, 600), 10), ((600, 360), 20), ((1080, 360, 480), 0),
                  ((360, 360, 360, 360, 480), 40)),
    "four-on-the-floor": (((240, 480, 240), 30), ((720, 240), 20), ((240, 720), 40),
                          ((360, 360, 240), 50), ((480,), 0)),
}


def weights_for(cells, complexity: int) -> list[float]:
    """How likely each cell is at a complexity (0-100): cells near it most."""
    c = complexity / 100
    return [max(0.05, 1.0 - abs(need / 100 - c) * 2) if need else (1.2 - c) for _, need in cells]

# Degree moves after a note and how likely each is (a third = 2, a fourth = 3, a fifth = 4).
MOVES = (0, 1, 2, 3, 4)
MOVE_WEIGHTS = (0.07, 0.66, 0.2, 0.05, 0.02)
CONTOUR_START = {"arch": 0.35, "ascending": 0.2, "descending": 0.75, "wave": 0.5, "random": 0.5}
CONTOUR_RISE = {"arch": 1, "ascending": 1, "descending": -1, "wave": 1, "random": 0}


class Idea:
    """What a phrase is built from: the idea's rhythm and moves, and its varied rhythm."""

    __slots__ = ("rhythm", "moves", "varied")

    def __init__(self, rhythm: list[int], moves: list[int], varied: list[int]):
        self.rhythm, self.moves, self.varied = rhythm, moves, varied


class Writer:
    """Writes bars of melody over chords: ``keys`` the scale in the register, ``tonic`` and
    ``dominant`` pitch-class sets for the closes, ``bar``/``beat`` in ticks."""

    def __init__(self, rng: Rng, keys: list[int], *, tonic: int, dominant: set[int], bar: int,
                 beat: int, complexity: int = 50, sparse: bool = False, rest: float = 0.05,
                 chromatic: float = 0.0, contour: str = "arch", cells=CELLS):
        self.rng, self.keys, self.tonic, self.dominant = rng, keys, tonic, dominant
        self.bar, self.beat = bar, beat
        self.complexity, self.sparse, self.rest, self.chromatic = complexity, sparse, rest, chromatic
        self.contour, self.cells = contour, cells
        self.rise = CONTOUR_RISE.get(contour, 0) or rng.choice((-1, 1))

    # -- rhythm ----------------------------------------------------------------------------
    def rhythm(self) -> list[int]:
        """One bar of one-beat cells (or half-bar values when sparse), filling it exactly."""
        if self.sparse:
            pool = [(self.beat * 2,), (self.beat * 3, self.beat), (self.beat, self.beat),
                    (self.beat * 2, self.beat * 2)]
            out: list[int] = []
            while sum(out) < self.bar:
                out += self.rng.choice(pool)
            return fit(out, self.bar)
        weights = weights_for(self.cells, self.complexity)
        out = []
        while sum(out) < self.bar:
            out += self.rng.weighted([c for c, _ in self.cells], weights)
        return fit(out, self.bar)

    def varied(self, rhythm: list[int]) -> list[int]:
        """The rhythm with one value split in two or two merged: the same bar, varied."""
        out = list(rhythm)
        splittable = [i for i, d in enumerate(out) if d >= self.beat and d % 2 == 0]
        if splittable and (len(out) < 3 or self.rng.random() < 0.6):
            i = self.rng.choice(splittable)
            out[i:i + 1] = [out[i] // 2, out[i] // 2]
        elif len(out) >= 2:
            i = self.rng.randint(0, len(out) - 2)
            out[i:i + 2] = [out[i] + out[i + 1]]
        return out

    def close_rhythm(self) -> list[int]:
        """A cadence bar: a short approach, then a long last note (at least half the bar)."""
        long = max(self.bar // 2, self.beat)
        first = self.bar - long
        if first <= 0:
            return [self.bar]
        options = [[first, long], [self.beat] * (first // self.beat) + [long] if first % self.beat == 0 else [first, long]]
        if self.complexity > 40 and first >= self.beat * 2:
            options.append([self.beat + self.beat // 2, self.beat // 2] + [self.beat] * (first // self.beat - 2) + [long])
        return self.rng.choice(options)

    # -- pitch -----------------------------------------------------------------------------
    def idea(self) -> Idea:
        rhythm = self.rhythm()
        moves = []
        direction = self.rise
        for _ in range(len(rhythm) - 1):
            size = self.rng.weighted(MOVES, MOVE_WEIGHTS)
            if moves and abs(moves[-1]) >= 3:  # a leap is answered by a step back
                size, direction = 1, -1 if moves[-1] > 0 else 1
            elif self.rng.random() < 0.3:
                direction = -direction
            moves.append(size * direction)
        return Idea(rhythm, moves, self.varied(rhythm))

    def start(self, chord: set[int], prev: int | None) -> int:
        """Where a phrase begins: a chord tone a step or two from the last note, or at the
        contour's starting height."""
        if prev is None:
            goal = round(CONTOUR_START.get(self.contour, 0.5) * (len(self.keys) - 1))
            return self.nearest(goal, chord)
        return self.nearest(self.step(prev, self.rise if self.rng.random() < 0.5 else -self.rise), chord, reach=1)

    def bar_notes(self, rhythm: list[int], moves: list[int], first: int, chord: set[int]) -> list[int]:
        """Indices for one bar: ``moves`` from ``first`` (cycled if the rhythm is longer),
        strong-beat notes pulled to a chord tone one step away."""
        out = [first]
        t = rhythm[0]
        for i in range(1, len(rhythm)):
            move = moves[(i - 1) % len(moves)] if moves else 0
            j = self.clamp(out[-1] + move)
            if t % (self.beat * 2) == 0:
                j = self.nearest(j, chord, reach=1)
            out.append(j)
            t += rhythm[i]
        return out

    def close(self, rhythm: list[int], prev: int, goal: str, chord: set[int]) -> list[int]:
        """A cadence bar: steps from ``prev`` to the goal (tonic, half or lead), which the
        last note holds."""
        target = self.goal(prev, goal, chord)
        out = []
        at = prev
        left = len(rhythm) - 1
        for i in range(left):
            remaining = target - at
            if abs(remaining) > left - i:  # far: move by a third toward it
                at = self.clamp(at + (2 if remaining > 0 else -2))
            elif remaining == 0:  # there already: a neighbour, then back
                at = self.clamp(at + (1 if i % 2 == 0 else -1) * self.rise)
            else:
                at = self.clamp(at + (1 if remaining > 0 else -1))
            out.append(at)
        out.append(target)
        return out

    def goal(self, prev: int, goal: str, chord: set[int]) -> int:
        tonics = [j for j, k in enumerate(self.keys) if k % 12 == self.tonic]
        if goal == "tonic" and tonics:  # a full close comes down to its tonic, if near
            return min(tonics, key=lambda j: (j > prev or prev - j > 4, abs(j - prev)))
        if goal == "lead" and tonics:  # the scale step above or below the nearest tonic
            home = min(tonics, key=lambda j: abs(j - prev))
            options = [j for j in (home + 1, home - 1) if 0 <= j < len(self.keys)]
            return min(options, key=lambda j: abs(j - prev)) if options else home
        return self.nearest(prev, self.dominant if goal == "half" else chord)

    # -- helpers ---------------------------------------------------------------------------
    def clamp(self, j: int) -> int:
        top = len(self.keys) - 1
        if j < 0:
            return min(top, -j)
        if j > top:
            return max(0, 2 * top - j)
        return j

    def step(self, j: int, direction: int) -> int:
        return self.clamp(j + direction)

    def nearest(self, j: int, pcs: set[int], reach: int | None = None) -> int:
        """The index nearest ``j`` whose key is in ``pcs`` (within ``reach`` steps, if set)."""
        limit = len(self.keys) if reach is None else reach
        for d in range(limit + 1):
            for k in (j - d, j + d):
                if 0 <= k < len(self.keys) and self.keys[k] % 12 in pcs:
                    return k
        return j

    def notes(self, starts: list[int], rhythm: list[int], idx: list[int],
              prev_key: int | None) -> list[tuple[int, int, int]]:
        """(t, dur, key) for one bar starting at tick ``starts``; leaps over a fifth are
        folded an octave toward the last note, inner off-beat notes may rest, and a whole
        step may be filled by a chromatic passing tone."""
        out = []
        t = starts
        last = prev_key
        for n, (d, j) in enumerate(zip(rhythm, idx)):
            key = self.keys[j]
            if last is not None and abs(key - last) > 7:
                octave = key - 12 if key > last else key + 12
                if self.keys[0] <= octave <= self.keys[-1]:
                    key = octave
            inner = 0 < n < len(rhythm) - 1 and (t - starts) % self.beat
            if inner and self.rng.random() < self.rest:
                t += d
                continue
            out.append((t, d, key))
            last = key
            t += d
        return self._passing(out)

    def _passing(self, notes: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
        if not self.chromatic:
            return notes
        out = []
        for a, b in zip(notes, notes[1:] + [None]):
            t, d, k = a
            if (b is not None and abs(b[2] - k) == 2 and d >= self.beat // 2 and b[0] == t + d
                    and self.rng.random() < self.chromatic):
                half = d // 2
                out += [(t, half, k), (t + half, d - half, (k + b[2]) // 2)]
            else:
                out.append(a)
        return out


def fit(values: list[int], total: int, *, fill: bool = False) -> list[int]:
    """Durations cut to last at most ``total``; with ``fill`` the last one stretched so they
    last exactly ``total``."""
    out, at = [], 0
    for v in values:
        if at >= total:
            break
        v = min(v, total - at)
        out.append(v)
        at += v
    if fill and at < total and out:
        out[-1] += total - at
    return out

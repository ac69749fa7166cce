"""The gain a render is written at: a loudness target under a true-peak ceiling, a sample
peak, or the level as rendered (under the ceiling), found in two passes over the mix.

The first pass (``Survey``) sees the mix once as it is rendered: its loudness, its largest
sample, and the largest sample of each BLOCK (a few KB an hour). ``plan`` then decides: when
no BLOCK could pass the ceiling at the gain the loudness asks for, the gain is one number,
exactly as a whole-track render found it. Otherwise the limiter runs over the mix read back
from its tape, and the loudness is measured again after it and the gain corrected until it
is within TOLERANCE (each pass reads and measures again only the chunks the limiter acts
in, and the one after each: no synthesis); a last trim takes back any
hair the gain changes add between samples. The last round's limiter gains are kept (where
they turn frames down, up to KEEP bytes) for the writing pass, which otherwise runs the
limiter once more. The gain is one for the mix and every stem, so the stems still sum to
the mix.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from .limiter import Limiter, candidates
from .loudness import BLOCK, CONTEXT, MIN_SECONDS, Meter, PeakMeter, Rescaled, envelope

TOLERANCE = 0.05         # LU: close enough to the target
REACH = 0.5              # dB under the threshold a BLOCK's true peak is computed to, so the
                         # next rounds (a little more gain: a lower threshold) reuse it
CHUNK = 16 * BLOCK       # frames the second pass reads from the tape at a time
KEEP = 32 * 2**20        # bytes of limiter gains a Level keeps for the writing pass


class Survey:
    """What the first pass keeps of the mix: its loudness (if asked), its largest sample,
    the largest sample of each BLOCK."""

    def __init__(self, rate: int, loudness: bool):
        import numpy as np

        self.meter = Meter(rate) if loudness else None
        self.peaks: list[float] = []
        self.rest = np.zeros((0, 2), dtype="float32")  # frames after the last whole BLOCK
        self.frames = 0

    def push(self, mix) -> None:
        import numpy as np

        if self.meter is not None:
            self.meter.push(mix)
        self.frames += len(mix)
        x = np.concatenate((self.rest, mix)) if len(self.rest) else mix
        whole = len(x) - len(x) % BLOCK
        self.peaks += _block_peaks(x[:whole])
        self.rest = x[whole:]

    def finish(self) -> None:
        self.peaks += _block_peaks(self.rest)
        self.rest = self.rest[:0]

    @property
    def top(self) -> float:
        return max(self.peaks, default=0.0)


def _block_peaks(x) -> list[float]:
    import numpy as np

    if not len(x):
        return []
    samples = np.abs(np.ascontiguousarray(x).reshape(-1))  # frames' channels side by side
    return np.maximum.reduceat(samples, np.arange(0, len(samples), BLOCK * x.shape[1])).tolist()


class Level:
    """The gain, chunk by chunk: one number, or the limiter's gains x a number (from the
    limiter, or ``kept`` by a Level before it: chunk -> the frames it turned down and their
    gains)."""

    def __init__(self, scale: float, limiter: Callable[[], Limiter] | None = None,
                 trim: float = 1.0, kept: dict | None = None):
        self.scale, self.trim, self.kept = scale, trim, kept
        self.limiter = limiter() if limiter else None
        self.keeping: dict | None = {} if limiter else None  # what this pass keeps
        self.size = 0

    def again(self, trim: float) -> Level | None:
        """This level's gains once more x ``trim``, from what it kept as it went through
        every chunk; None if they passed KEEP."""
        if self.keeping is None:
            return None
        return Level(self.scale, trim=trim, kept=self.keeping)

    def gain(self, lo: int, hi: int):
        """The gain of frames lo..hi (``apply``'s), chunks in order."""
        return self.limited(lo, hi)[0]

    def limited(self, lo: int, hi: int):
        """(gain, the frames of lo..hi the limiter turns down: None where it does nothing),
        chunks in order."""
        import numpy as np

        if self.kept is not None:
            if lo not in self.kept:
                return np.float64(self.scale * self.trim), None
            where, values = self.kept[lo]
            limit = np.ones(hi - lo)
            limit[where] = values
            return self.scale * limit * self.trim, limit < 1
        if self.limiter is None:
            return self.scale, None
        limit = self.limiter.gains(lo, hi)
        if limit is None:
            return np.float64(self.scale * self.trim), None
        down = limit < 1
        if self.keeping is not None:
            where = np.flatnonzero(down).astype(np.int32)
            self.size += where.nbytes + 8 * len(where)
            self.keeping[lo] = (where, limit[where])
            if self.size > KEEP:
                self.keeping = None
        return self.scale * limit * self.trim, down


def apply(block, gain):
    """``block`` x ``gain`` as float32: a float, in float32 (a piece the limiter leaves
    alone); a numpy float64, one for every frame or one per frame, in float64."""
    import numpy as np

    from . import _kernels

    if type(gain) is float:
        return (block * np.float32(gain)).astype("float32", copy=False)
    block = np.ascontiguousarray(block, dtype="float32")
    out = np.empty_like(block)
    _kernels.scale(block, block.shape[1], np.ascontiguousarray(gain, dtype="float64"), out)
    return out


def _times(block, gain):
    """``block`` x a numpy float64 gain (one, or one per frame), in float64."""
    import numpy as np

    return block * (gain[:, None] if np.ndim(gain) else gain)


def plan(survey: Survey, read: Callable, rate: int, *, loudness: float | None,
         ceiling: float, peak: float | None) -> tuple[Level, str | None]:
    """The Level for the mix the survey saw (``read(lo, hi)``: its frames from the tape):
    ``peak`` dBFS sample-peak normalisation, else ``loudness`` LUFS (None: as rendered)
    under a true-peak ``ceiling`` dBTP. Returns (level, note): ``note`` says what was done
    when it is worth a line on stderr."""
    import numpy as np

    survey.finish()
    frames = survey.frames
    if peak is not None:
        top = survey.top
        return Level(10 ** (peak / 20) / top if top > 0 else 1.0), None
    note = None
    gain_db = 0.0
    measured = survey.meter.lufs() if survey.meter and frames >= MIN_SECONDS * rate else -math.inf
    if loudness is not None and math.isfinite(measured):
        gain_db = loudness - measured
    elif loudness is not None:
        note = "too short or silent for a loudness measurement: only the ceiling applied"
        loudness = None
    peaks, tops = np.asarray(survey.peaks), {}
    for _ in range(8):
        hot = _hot(read, frames, peaks, tops, gain_db - ceiling)
        if not hot.any():
            # no peak passes: one gain, and the loudness is the measured one moved by it
            return Level(10 ** (gain_db / 20)), note
        level = _limited(read, frames, rate, gain_db, ceiling, hot)
        got, over = _measure(level, read, frames, rate, ceiling,
                             survey.meter if loudness is not None else None)
        if loudness is None or abs(got - loudness) <= TOLERANCE:
            break
        gain_db += loudness - got
    else:
        note = (f"{got:.1f} LUFS, not {loudness:g}: the peaks need more limiting than "
                f"{ceiling:g} dBTP allows in a few rounds (lower the target)")
    if loudness is None:
        note = (f"peaks limited by up to {level.limiter.deepest:.1f} dB to stay under "
                f"{ceiling:g} dBTP")
    # the limited audio's own true peak: interpolation around a gain change can still pass
    # the ceiling by a hair; a fixed trim takes it back
    trim = 10 ** (-(over + 0.01) / 20) if over > 0 else 1.0
    return level.again(trim) or _limited(read, frames, rate, gain_db, ceiling, hot, trim), note


def _hot(read, frames: int, peaks, tops: dict, excess: float):
    """Which BLOCKs hold a true peak that passes 1 (0 dB) x 10^(excess/20): the true peak
    of each BLOCK that could (``candidates``), where it could pass REACH under the threshold,
    is kept in ``tops`` (its value, and that lower threshold) for the rounds after."""
    import numpy as np

    threshold = 10 ** (-excess / 20)
    hot = candidates(peaks, threshold)
    for c in np.flatnonzero(hot):
        if c not in tops or tops[c][1] > threshold:
            lo, hi = c * BLOCK, min(frames, (c + 1) * BLOCK)
            reach = threshold * 10 ** (-REACH / 20)
            tops[c] = float(envelope(read(lo - CONTEXT, hi + CONTEXT), reach).max()), reach
        top = tops[c][0]
        hot[c] = top > 0 and 20 * math.log10(top) + excess > 0
    return hot


def _limited(read, frames, rate, gain_db, ceiling, hot, trim=1.0) -> Level:
    return Level(10 ** (gain_db / 20),
                 lambda: Limiter(read, frames, rate, gain_db, ceiling, hot), trim)


def _measure(level: Level, read, frames: int, rate: int, ceiling: float,
             meter: Meter | None) -> tuple[float, float]:
    """The loudness (if the survey ``meter`` is given) and how far the true peak passes the
    ceiling (dB; <= 0 when it does not) at ``level``. Only the chunks where the limiter acts,
    and the chunk after each, are read and measured again: elsewhere the audio is the
    surveyed one x the level's scale, whose loudness the survey knows and whose true peak
    stays under the ceiling (it would have been limited). In those chunks, the same holds
    for every frame the limiter leaves alone: the true peak is computed only where it turns
    down a frame in the value's context."""
    remeter = Rescaled(meter, level.scale) if meter is not None else None
    limit = 10 ** (ceiling / 20)
    peak, run = 0.0, None  # run: the PeakMeter of the current stretch of changed chunks
    after = False          # the chunk before acted: this one is measured again too
    for lo in range(0, frames, CHUNK):
        hi = min(frames, lo + CHUNK)
        gain, down = level.limited(lo, hi)
        acts = down is not None
        if not (acts or after):
            if run is not None:  # the stretch ends: the true peak up to its last frame
                run.push(read(lo, lo + CONTEXT) * level.scale, last=True)
                peak, run = max(peak, run.peak), None
            if remeter is not None:
                remeter.chunk()
            after = False
            continue
        out = _times(read(lo, hi), gain)
        if run is None:
            run = PeakMeter(above=limit, marked=True)
            run.push(read(lo - CONTEXT, lo) * level.scale)
        run.push(out, where=down)
        if remeter is not None:
            remeter.chunk(out)
        after = acts
    if run is not None:
        run.push(read(frames, frames + CONTEXT), last=True)
        peak = max(peak, run.peak)
    over = 20 * math.log10(peak) - ceiling if peak > 0 else -math.inf
    return (remeter.lufs() if remeter is not None else -math.inf), over

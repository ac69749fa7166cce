"""A look-ahead true-peak limiter that works through a long mix a chunk at a time.

The mix is read back from its tape (random access), so the look-ahead needs no buffer of
its own. Where a frame's true peak (``loudness.envelope``) x the gain would pass the
ceiling, the reduction it needs (dB over) is held by a centred maximum over 2 x LOOKAHEAD,
released at RELEASE dB/s, and smoothed by a moving average of the same window, which can
only reduce more than needed, never less, and so starts LOOKAHEAD before a peak. True peaks
are computed only in BLOCKs, and stretches of them, whose samples could pass (their largest
sample x the interpolator's largest gain): elsewhere nothing can need reduction.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from .loudness import BLOCK, CONTEXT, _phases, envelope

LOOKAHEAD = 0.005        # seconds the limiter starts before a peak (and its smoothing)
RELEASE = 80.0           # dB per second the limiter lets go at


def candidates(block_peaks, threshold: float):
    """Which BLOCKs (by their largest sample, and their neighbours') could hold a true peak
    over ``threshold`` (linear)."""
    import numpy as np

    _, bound = _phases()
    near = np.asarray(block_peaks, dtype="float64").copy()
    near[1:] = np.maximum(near[1:], block_peaks[:-1])
    near[:-1] = np.maximum(near[:-1], block_peaks[1:])
    return near * bound > threshold


class Limiter:
    """Per-frame gains (linear, <= 1) for consecutive chunks of a mix of ``frames`` frames
    that keep its true peak x 10^(gain_db/20) under ``ceiling`` dBTP. ``read(lo, hi)`` gives
    the mix's frames lo..hi (zeros outside it); ``hot`` says which BLOCKs could pass."""

    def __init__(self, read: Callable, frames: int, rate: int, gain_db: float,
                 ceiling: float, hot):
        import numpy as np

        self.read, self.n, self.hot = read, frames, hot
        self.over_db = ceiling - gain_db          # need = 20 log10(env) - over_db, at least 0
        self.above = 10 ** (self.over_db / 20)    # the envelope over which a frame needs any
        self.half = max(1, round(LOOKAHEAD * rate))
        self.release = RELEASE / rate
        self.held = np.zeros(0)                   # held need of frames held_lo..held_hi
        self.held_lo = self.held_hi = 0
        self.carry = -math.inf                    # the held need of frame held_hi - 1
        self.env: dict[int, object] = {}          # BLOCK number -> its true-peak envelope
        self.deepest = 0.0                        # the largest reduction given, in dB

    def gains(self, lo: int, hi: int):
        """The gains of frames lo..hi (called in order, lo = the last call's hi); None where
        the limiter does nothing there (every gain exactly 1)."""
        import numpy as np

        h = self.half
        start, end = max(0, lo - h), min(self.n, hi + h)
        if self._quiet(start, end):  # nothing held here: no arrays for a chunk of zeros
            kept = min(2 * h, end - start)  # the frames the next chunk's window shares
            self.held, self.held_lo, self.held_hi = np.zeros(kept), end - kept, end
            self.carry = 0.0
            return None
        self._hold_to(end)
        window = self.held[start - self.held_lo:min(self.n, hi + h) - self.held_lo]
        cut = max(0, hi - h - self.held_lo)  # frames before hi - h are not needed again
        self.held, self.held_lo = self.held[cut:], self.held_lo + cut
        if not window.any():
            return None
        padded = np.pad(window, (max(0, h - lo), max(0, hi + h - self.n)), mode="edge")
        total = np.concatenate(([0.0], np.cumsum(padded)))
        width = 2 * h + 1
        reduction = (total[width:] - total[:-width]) / width
        self.deepest = max(self.deepest, float(reduction.max()))
        gains = np.ones(len(reduction))  # 10 ** -0.0: where nothing is reduced
        acts = reduction > 0
        gains[acts] = 10 ** (-reduction[acts] / 20)
        return gains

    def _quiet(self, start: int, end: int) -> bool:
        """Whether the held need is zero over frames start..end without computing it: the
        hold so far has let go there, and no hot BLOCK lies where the need up to ``end``
        would be read (``_hold_to``)."""
        if self.carry > 0 or self.held[start - self.held_lo:].any():
            return False
        first = max(0, self.held_hi - self.half) // BLOCK
        return not self.hot[first:(min(self.n, end + self.half) - 1) // BLOCK + 1].any()

    def _hold_to(self, upto: int) -> None:
        """Extend the held need to frame ``upto`` (exclusive): a centred running maximum of
        the need over 2 x half + 1 frames, then the hold that falls at ``release`` a frame."""
        import numpy as np

        from . import _kernels

        a, h = self.held_hi, self.half
        if upto <= a:
            return
        need = self._need(a - h, upto + h)
        if need is None and self.carry - self.release <= 0:
            held = np.zeros(upto - a)
        else:
            held = np.empty(upto - a)
            _kernels.hold(np.zeros(upto - a + 2 * h) if need is None else need, 2 * h + 1,
                          self.release, self.carry, held)
        self.carry = float(held[-1])
        self.held = np.concatenate((self.held, held))
        self.held_hi = upto

    def _need(self, a: int, b: int):
        """Reduction needed (dB) for frames a..b (zero outside the mix), None if none."""
        import numpy as np

        first, last = max(0, a) // BLOCK, (min(b, self.n) - 1) // BLOCK
        hot = [c for c in range(first, last + 1) if 0 <= c < len(self.hot) and self.hot[c]]
        for c in [c for c in self.env if c < first]:
            del self.env[c]
        need = None
        for c in hot:
            if c not in self.env:
                lo, hi = c * BLOCK, min(self.n, (c + 1) * BLOCK)
                env = envelope(self.read(lo - CONTEXT, hi + CONTEXT), self.above)
                # the need is 0 well under ``above``: the logarithm only where it may not be
                passes = env > self.above * (1 - 1e-9)
                self.env[c] = np.zeros(len(env))
                self.env[c][passes] = np.maximum(0.0, 20 * np.log10(env[passes]) - self.over_db)
            lo, part = c * BLOCK, self.env[c]
            s, e = max(a, lo), min(b, lo + len(part))
            if e > s and part[s - lo:e - lo].any():
                if need is None:
                    need = np.zeros(b - a)
                need[s - a:e - a] = part[s - lo:e - lo]
        return need


"""Loudness and true peak: BS.1770-4 integrated loudness and an oversampled true peak,
measured over audio that arrives in blocks (``Meter``, ``PeakMeter``) in constant memory.

numpy is imported on first use; the loops over every sample are C (``_kernels.c``). The
loudness meter gives pyloudnorm's figures (the tests' reference) without its import of
scipy.signal, which took three quarters of a short render's time.
"""

from __future__ import annotations

import functools
import math

OVERSAMPLE = 4           # true peak: 4x oversampling (BS.1770-4 Annex 2)
TAPS = 65                # of the oversampling filter (16 per phase and the centre)
BLOCK = 4096             # frames: the true peak is computed only in blocks that could pass
SPAN = 64                # frames: ... and in those only in stretches of SPAN that could
MIN_SECONDS = 0.4        # one BS.1770 gating block: shorter audio has no integrated loudness
METER_CHUNK = 1 << 16    # frames the loudness meter filters at a time


def integrated(buf, rate: int) -> float:
    """Integrated loudness in LUFS (BS.1770-4: K-weighting, 400 ms blocks overlapping by
    75 %, absolute and relative gating) of (frames, channels) audio, every channel weighted
    1; -inf for silence or audio shorter than a block. The figures are pyloudnorm's (its
    K-weighting design and gating, to 1e-9 LU: a test compares), without its import of
    scipy.signal for the filter."""
    import numpy as np

    x = np.asarray(buf)
    meter = Meter(rate, x.reshape(len(x), -1).shape[1])
    meter.push(x)
    return meter.lufs()


class Meter:
    """``integrated`` over audio that arrives in blocks of any size, in constant memory.

    The audio is filtered as it comes (the filter's memory carries from block to block, so
    the figures are the same whatever the block size), keeping only the running energy at
    the 400 ms blocks' bounds (the bounds computed as pyloudnorm does), and the filter's
    state at the start of every METER_CHUNK frames (``Rescaled`` starts there)."""

    SIZE, STEP = 0.4, 0.25  # seconds; the fraction of a block each next one starts after

    def __init__(self, rate: int, channels: int = 2):
        import numpy as np

        self.rate, self.channels, self.frames = rate, channels, 0
        self.coeffs = _coefficients(rate)
        self.state = np.zeros((channels, len(self.coeffs), 2))  # the filters' memory
        self.total = np.zeros(channels)
        self.marks: dict[int, object] = {0: self.total.copy()}  # bound -> energy before it
        self.ahead = np.zeros(0, dtype=np.int64)  # bounds after the frames filtered so far
        self.j = self.covered = 0       # blocks from j on, and bounds over covered, not in it
        self.saved: list = []           # each chunk's filter state and energy before it

    def push(self, block) -> None:
        """Add (frames, channels) audio, any dtype."""
        import numpy as np

        block = np.asarray(block).reshape(len(block), -1)
        while len(block):
            if self.frames % METER_CHUNK == 0:
                self.saved.append((self.state.copy(), self.total.copy()))
            take = min(len(block), METER_CHUNK - self.frames % METER_CHUNK)
            self._filter(block[:take])
            block = block[take:]

    def _bounds_to(self, limit: int):
        """The next block bounds (lower and upper, as pyloudnorm computes them) up to
        ``limit``, sorted: the lower bounds of blocks from ``self.j`` on and their upper
        bounds (which may lie beyond it)."""
        import numpy as np

        size, step, rate, found = self.SIZE, self.STEP, self.rate, [self.ahead]
        while True:
            j = np.arange(self.j, self.j + 256)
            lower = (size * (j * step) * rate).astype(np.int64)
            upper = (size * (j * step + 1) * rate).astype(np.int64)
            found += [lower[lower <= limit], upper[lower <= limit]]
            if lower[-1] > limit:
                self.j, self.covered = int(j[np.argmax(lower > limit)]), limit
                bounds = np.sort(np.concatenate(found))  # np.unique would import numpy.ma
                keep = bounds > 0
                keep[1:] &= bounds[1:] != bounds[:-1]
                return bounds[keep]
            self.j += 256

    def _filter(self, y) -> None:
        start = self.frames
        self.frames += len(y)
        if self.covered < self.frames:
            self.ahead = self._bounds_to(self.frames + self.rate)
        here = self.ahead[self.ahead <= self.frames]  # bounds in (start, frames]
        self.ahead = self.ahead[len(here):]
        for b, energy in zip(here.tolist(), _weigh(y, self.coeffs, self.state, self.total,
                                                   here - start - 1)):
            self.marks[b] = energy

    def lufs(self) -> float:
        """The integrated loudness of everything pushed (-inf: silence, or under 400 ms)."""
        self.marks[self.frames] = self.total.copy()
        return _gated(self.marks, self.frames, self.rate)


class Rescaled:
    """The loudness of a Meter's audio x ``scale`` where a few METER_CHUNKs changed (the
    limiter's), without filtering the rest again: a chunk fed no audio adds its energy x
    scale^2; a changed one is filtered from the state the audio before it leaves. The chunk
    after a changed one must be fed too (the filter's memory carries the change into it,
    and has let go of it by that chunk's end: |pole|^65536 < 1e-150)."""

    def __init__(self, meter: Meter, scale: float):
        import numpy as np

        meter.marks[meter.frames] = meter.total.copy()
        self.meter, self.scale, self.k = meter, scale, 0
        self.bounds = np.array(sorted(meter.marks), dtype=np.int64)
        self.marks = {0: np.zeros(meter.channels)}
        self.total = np.zeros(meter.channels)
        self.state = None  # the filters' memory while chunks are fed audio

    def chunk(self, audio=None) -> None:
        """The next chunk: None (unchanged but for the scale) or its new (frames, channels)."""
        import numpy as np

        m, k = self.meter, self.k
        lo, hi = k * METER_CHUNK, min(m.frames, (k + 1) * METER_CHUNK)
        here = self.bounds[(self.bounds > lo) & (self.bounds <= hi)]
        states, before = m.saved[k]
        self.k += 1
        if audio is None:
            self.state = None
            s2 = self.scale * self.scale
            for b in here:
                self.marks[int(b)] = self.total + s2 * (m.marks[int(b)] - before)
            end = m.saved[k + 1][1] if k + 1 < len(m.saved) else m.total
            self.total = self.total + s2 * (end - before)
            return
        if self.state is None:  # the filters are linear: their memory scales with the audio
            self.state = states * self.scale
        for b, energy in zip(here.tolist(), _weigh(audio, m.coeffs, self.state, self.total,
                                                   here - lo - 1)):
            self.marks[b] = energy

    def lufs(self) -> float:
        return _gated(self.marks, self.meter.frames, self.meter.rate)


def _gated(marks: dict, n: int, rate: int) -> float:
    """BS.1770's gated loudness of ``n`` frames from the energy before each block bound."""
    import numpy as np

    size, step = Meter.SIZE, Meter.STEP
    j = np.arange(int(np.round((n / rate - size) / (size * step))) + 1)
    lower = (size * (j * step) * rate).astype(np.int64)
    upper = np.minimum((size * (j * step + 1) * rate).astype(np.int64), n)
    if not len(j):
        return -math.inf
    energy = lambda bounds: np.array([marks[int(b)] for b in bounds])  # noqa: E731
    z = energy(upper) - energy(lower)
    z /= size * rate  # blocks x channels: each block's mean square
    with np.errstate(divide="ignore", invalid="ignore"):
        block = -0.691 + 10 * np.log10(z.sum(axis=1))
        gated = block >= -70.0
        if gated.any():
            relative = -0.691 + 10 * np.log10(z[gated].mean(axis=0).sum()) - 10
            gated &= block > relative
        if not gated.any():
            return -math.inf
        return float(-0.691 + 10 * np.log10(z[gated].mean(axis=0).sum()))


def _weigh(x, coeffs, state, total, marks):
    """(frames, channels) audio through the K-weighting from ``state``, its squares added to
    ``total`` (both updated): the running total after each frame in ``marks`` (ascending
    indices), one row of channels each."""
    import numpy as np

    from . import _kernels

    x, wide = _samples(x)
    marks = np.ascontiguousarray(marks, dtype=np.int64)
    energies = np.empty((len(marks), x.shape[1]))
    _kernels.kweigh(x, x.shape[1], wide, coeffs, state, total, marks, energies)
    return energies


def _samples(x):
    """(frames, channels) audio as the kernels read it: C order, float32 or float64; and
    whether it is float64."""
    import numpy as np

    x = np.asarray(x)
    x = np.ascontiguousarray(x if x.dtype in (np.float32, np.float64) else x.astype(np.float64))
    return x.reshape(len(x), -1), x.dtype == np.float64


def _coefficients(rate: int):
    """The K-weighting stages as the kernel takes them: b0 b1 b2 a1 a2 per row."""
    import numpy as np

    return np.array([b + a[1:] for b, a in _k_weighting(rate)])


def _k_weighting(rate: int) -> list[tuple]:
    """BS.1770's two K-weighting stages, designed for ``rate`` as biquads (b, a) with a0 = 1
    by the Audio EQ Cookbook forms, as pyloudnorm does: a high shelf of +4 dB at 1500 Hz
    (Q 1/sqrt(2)), then a high pass at 38 Hz (Q 0.5)."""
    w = 2 * math.pi * 1500.0 / rate
    amp, cos = 10 ** (4.0 / 40), math.cos(w)
    root = 2 * math.sqrt(amp) * math.sin(w) / (2 / math.sqrt(2))  # 2 sqrt(A) alpha
    shelf_b = (amp * ((amp + 1) + (amp - 1) * cos + root), -2 * amp * ((amp - 1) + (amp + 1) * cos),
               amp * ((amp + 1) + (amp - 1) * cos - root))
    shelf_a = ((amp + 1) - (amp - 1) * cos + root, 2 * ((amp - 1) - (amp + 1) * cos),
               (amp + 1) - (amp - 1) * cos - root)
    w = 2 * math.pi * 38.0 / rate
    cos, alpha = math.cos(w), math.sin(w) / (2 * 0.5)
    pass_b = ((1 + cos) / 2, -(1 + cos), (1 + cos) / 2)
    pass_a = (1 + alpha, -2 * cos, 1 - alpha)
    return [(tuple(v / a[0] for v in b), tuple(v / a[0] for v in a))
            for b, a in ((shelf_b, shelf_a), (pass_b, pass_a))]


def mono_loss(buf, rate: int) -> float:
    """How many LU quieter the stereo mix becomes summed to mono ((L + R) / 2 on both sides)."""
    mono = buf.mean(axis=1, keepdims=True).repeat(2, axis=1)
    return integrated(buf, rate) - integrated(mono, rate)


def _interpolator():
    """The 4x oversampling filter: a 65-tap Kaiser-windowed sinc (beta 8), cut at the
    original Nyquist, as 4 phases; phase 0 is the samples themselves."""
    import numpy as np

    n = np.arange(TAPS) - (TAPS - 1) / 2
    h = np.sinc(n / OVERSAMPLE) * np.kaiser(TAPS, 8.0)
    return [h[k::OVERSAMPLE] * (OVERSAMPLE / h.sum()) for k in range(OVERSAMPLE)]


CONTEXT = (TAPS - 1) // 2 // OVERSAMPLE  # frames of audio each side an interpolated value needs


@functools.lru_cache(maxsize=1)
def _phases() -> tuple:
    """The interpolator's phases but the first (which is the samples themselves) as one
    array, a row each, and the most any phase can make of full-scale samples."""
    import numpy as np

    phases = _interpolator()
    return np.array(phases[1:]), max(float(np.abs(p).sum()) for p in phases)


def envelope(seg, above: float = 0.0, where=None):
    """Each frame's true peak for the frames of ``seg`` (frames, channels) but CONTEXT at
    each end (their context: zeros beyond the audio): the largest |value| over the channels
    of the sample and the three values interpolated after it (4x oversampling, BS.1770-4
    Annex 2). With ``above`` (linear), only in stretches of SPAN frames whose samples could
    make one pass it: elsewhere the sample's own peak, which stays under it (the meters and
    the limiter only ask what passes). With ``where`` (a bool per frame of ``seg``), only
    for frames whose context holds one marked: elsewhere the sample's own peak."""
    import numpy as np

    from . import _kernels

    x, wide = _samples(seg)
    env = np.zeros(max(0, len(x) - 2 * CONTEXT))
    if len(env):
        taps, bound = _phases()
        marks = b"" if where is None else np.ascontiguousarray(where, dtype=np.uint8)
        _kernels.envelope(x, x.shape[1], wide, len(env), CONTEXT, taps, taps.shape[1],
                          float(above), bound, SPAN, marks, env)
    return env


class PeakMeter:
    """The true peak of audio that arrives in blocks, in constant memory. Interpolated
    values are computed only where the samples could make one pass ``above`` (linear; 0:
    everywhere; ``envelope``): a meter that only asks "over the ceiling?" skips the rest.
    A meter ``marked`` takes with each block the frames that need them (``where``): the
    limiter's, whose audio elsewhere is known to stay under the ceiling."""

    def __init__(self, channels: int = 2, above: float = 0.0, marked: bool = False):
        import numpy as np

        self.above, self.peak = above, 0.0
        self.held = np.zeros((2 * CONTEXT, channels), dtype="float32")  # context + pending
        self.where = np.zeros(2 * CONTEXT, dtype=bool) if marked else None

    def push(self, block, last: bool = False, where=None) -> None:
        """Add (frames, channels) audio; for a ``marked`` meter, with its frames that need
        the interpolated values (None: none)."""
        import numpy as np

        seg = np.concatenate((self.held, np.asarray(block, dtype="float32")))
        if last:
            seg = np.concatenate((seg, np.zeros((CONTEXT, seg.shape[1]), dtype="float32")))
        self.held = seg[-2 * CONTEXT:]
        marks = None
        if self.where is not None:
            marks = np.zeros(len(seg), dtype=bool)
            marks[:2 * CONTEXT] = self.where
            if where is not None:
                marks[2 * CONTEXT:2 * CONTEXT + len(block)] = where
            self.where = marks[-2 * CONTEXT:]
        if len(seg) > 2 * CONTEXT:
            self.peak = max(self.peak, float(envelope(seg, self.above, marks).max()))

    def dbtp(self) -> float:
        """The true peak so far in dBTP (-inf for silence); call after the last push."""
        return 20 * math.log10(self.peak) if self.peak > 0 else -math.inf


def true_peak(buf) -> float:
    """The true peak in dBTP (-inf for silence)."""
    meter = PeakMeter(buf.shape[1] if buf.ndim == 2 else 1)
    meter.push(buf.reshape(len(buf), -1), last=True)
    return meter.dbtp()

"""Loudness and true peak: BS.1770-4 integrated loudness and an oversampled true peak,
measured over audio that arrives in blocks (``Meter``, ``PeakMeter``) in constant memory.

All of it is numpy, imported on first use. The loudness meter gives pyloudnorm's figures
(the tests' reference) without its import of scipy.signal, which took three quarters of a
short render's time.
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

    The audio is filtered METER_CHUNK frames at a time from frame 0 (blocks are gathered
    into such chunks, so the figures are the same whatever the block size), keeping only the
    running energy at the 400 ms blocks' bounds (the bounds computed as pyloudnorm does)."""

    SIZE, STEP = 0.4, 0.25  # seconds; the fraction of a block each next one starts after

    def __init__(self, rate: int, channels: int = 2):
        import numpy as np

        self.rate, self.channels, self.frames = rate, channels, 0
        self.stages = [_Stage(b, a, channels) for b, a in _k_weighting(rate)]
        self.total = np.zeros(channels)
        self.pending: list = []         # blocks not yet filtered (under one chunk)
        self.waiting = 0
        self.marks: dict[int, object] = {0: self.total.copy()}  # bound -> energy before it
        self.ahead = np.zeros(0, dtype=np.int64)  # bounds after the frames filtered so far
        self.j = self.covered = 0       # blocks from j on, and bounds over covered, not in it
        self.saved: list = []           # each chunk's filter state and energy before it

    def push(self, block) -> None:
        """Add (frames, channels) audio, any dtype (each chunk becomes float64 as filtered)."""
        import numpy as np

        block = np.asarray(block).reshape(len(block), -1)
        while len(block):
            take = min(len(block), METER_CHUNK - self.waiting)
            self.pending.append(block[:take])
            self.waiting += take
            block = block[take:]
            if self.waiting == METER_CHUNK:
                self._filter()

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

    def _filter(self) -> None:
        import numpy as np

        y = (np.concatenate(self.pending) if len(self.pending) > 1 else self.pending[0]).T
        self.pending, self.waiting = [], 0
        start = self.frames
        self.saved.append(([st.state() for st in self.stages], self.total))
        for stage in self.stages:
            y = stage(y)
        running = np.cumsum(y * y, axis=1)
        running += self.total[:, None]
        self.frames += y.shape[1]
        if self.covered < self.frames:
            self.ahead = self._bounds_to(self.frames + self.rate)
        here = self.ahead[self.ahead <= self.frames]  # bounds in (start, frames]
        self.ahead = self.ahead[len(here):]
        for b in here:
            self.marks[int(b)] = running[:, b - start - 1].copy()
        self.total = running[:, -1].copy()

    def lufs(self) -> float:
        """The integrated loudness of everything pushed (-inf: silence, or under 400 ms)."""
        import numpy as np

        if self.waiting:
            self._filter()
        self.marks[self.frames] = self.total
        return _gated(self.marks, self.frames, self.rate)


class Rescaled:
    """The loudness of a Meter's audio x ``scale`` where a few METER_CHUNKs changed (the
    limiter's), without filtering the rest again: a chunk fed no audio adds its energy x
    scale^2; a changed one is filtered from the state the audio before it leaves. The chunk
    after a changed one must be fed too (the filter's memory carries the change into it,
    and has let go of it by that chunk's end: |pole|^65536 < 1e-150)."""

    def __init__(self, meter: Meter, scale: float):
        import numpy as np

        if meter.waiting:
            meter._filter()
        meter.marks[meter.frames] = meter.total
        self.meter, self.scale, self.k = meter, scale, 0
        self.bounds = np.array(sorted(meter.marks), dtype=np.int64)
        self.marks = {0: np.zeros(meter.channels)}
        self.total = np.zeros(meter.channels)
        self.stages = None  # the filter while chunks are fed audio

    def chunk(self, audio=None) -> None:
        """The next chunk: None (unchanged but for the scale) or its new (frames, channels)."""
        import numpy as np

        m, k = self.meter, self.k
        lo, hi = k * METER_CHUNK, min(m.frames, (k + 1) * METER_CHUNK)
        here = self.bounds[(self.bounds > lo) & (self.bounds <= hi)]
        states, before = m.saved[k]
        self.k += 1
        if audio is None:
            self.stages = None
            s2 = self.scale * self.scale
            for b in here:
                self.marks[int(b)] = self.total + s2 * (m.marks[int(b)] - before)
            end = m.saved[k + 1][1] if k + 1 < len(m.saved) else m.total
            self.total = self.total + s2 * (end - before)
            return
        if self.stages is None:
            self.stages = [st.restored(state, self.scale) for st, state in zip(m.stages, states)]
        y = np.asarray(audio, dtype="float64").T
        for stage in self.stages:
            y = stage(y)
        running = np.cumsum(y * y, axis=1)
        running += self.total[:, None]
        for b in here:
            self.marks[int(b)] = running[:, b - lo - 1].copy()
        self.total = running[:, -1].copy()

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


class _Stage:
    """A biquad b / a (a[0] = 1) run over consecutive chunks (channels x frames) of a
    signal from rest, as scipy.signal.lfilter over the whole: the numerator as three
    shifted sums, then the poles as first-order recursions (two real ones one after the
    other; a complex pair as twice the real part of one of them, by partial fractions)."""

    def __init__(self, b: tuple, a: tuple, channels: int):
        import numpy as np

        self.b = b
        self.before = np.zeros((channels, 2))  # the last two frames of the input so far
        disc = a[1] * a[1] - 4 * a[2]
        if disc >= -1e-12:  # real (K-weighting's high pass: a double pole, up to rounding)
            root = math.sqrt(max(disc, 0.0))
            self.poles = [(-a[1] + root) / 2, (-a[1] - root) / 2]
            self.share = None
        else:
            self.poles = [complex(-a[1], math.sqrt(-disc)) / 2]
            self.share = 2 * self.poles[0] / (self.poles[0] - self.poles[0].conjugate())
        self.last = [np.zeros(channels, dtype=type(p)) for p in self.poles]

    def state(self) -> tuple:
        """What the filter carries from one chunk to the next."""
        return self.before.copy(), [last.copy() for last in self.last]

    def restored(self, state: tuple, scale: float) -> _Stage:
        """A copy of this stage in ``state`` x ``scale`` (the filter is linear)."""
        import copy

        stage = copy.copy(self)
        stage.before = state[0] * scale
        stage.last = [last * scale for last in state[1]]
        return stage

    def __call__(self, x):
        import numpy as np

        both = np.concatenate((self.before, x), axis=1)
        self.before = both[:, -2:]
        y = self.b[0] * both[:, 2:] + self.b[1] * both[:, 1:-1] + self.b[2] * both[:, :-2]
        for i, p in enumerate(self.poles):
            y = _one_pole(y, p, self.last[i])
            self.last[i] = y[:, -1]
        return y if self.share is None else (self.share * y).real


def _one_pole(u, p: float | complex, carry):
    """r[n] = u[n] + p r[n - 1] along each row, |p| < 1, from r[-1] = ``carry``, in numpy:
    in blocks short enough that |p|**-k stays under 1e3, a block's response from rest is a
    cumulative sum; what a block passes on (its last value) decays by |p|**block <= 1e-3 a
    block, so a few terms of that recursion reach full precision. Short blocks are held
    position-major (every block's k-th value in one row), so their cumulative sum is a few
    dozen long vector additions rather than thousands of short ones."""
    import numpy as np

    channels, n = u.shape
    if not p:
        return u
    block = max(1, min(n, math.ceil(math.log(1e3) / -math.log(abs(p)))))
    blocks = -(-n // block)
    down, up, after, q, decay = _powers(p, block, blocks)
    across = block <= SHORT
    rest = np.zeros((block, channels, blocks) if across else (channels, blocks, block),
                    dtype=type(p))
    view = rest.transpose(1, 2, 0) if across else rest  # [c, m, k]: u[c, m * block + k]
    whole = n // block
    view[:, :whole] = u[:, :whole * block].reshape(channels, whole, block)
    if whole < blocks:
        view[:, whole, :n - whole * block] = u[:, whole * block:]
    view *= down
    if across:
        for k in range(1, block):
            rest[k] += rest[k - 1]
    else:
        np.cumsum(rest, axis=2, out=rest)
    view *= up  # each block's response from rest
    # each block's last value: ends[m] = term[m] + q ends[m - 1], ends[-1] = carry
    term = view[:, :, -1]
    ends = term + carry[:, None] * decay
    for shift in range(1, blocks):
        term = q * term[:, :-1]
        ends[:, shift:] += term
        if abs(q) ** shift < 1e-18:
            break
    view += np.concatenate((carry[:, None], ends[:, :-1]), axis=1)[:, :, None] * after
    return view.reshape(channels, blocks * block)[:, :n]


SHORT = 64               # blocks of the one-pole sums up to this long are held position-major


@functools.lru_cache(maxsize=8)
def _powers(p: float | complex, block: int, blocks: int) -> tuple:
    """The powers of ``p`` a chunk's one-pole sums use (the same for every whole chunk)."""
    import numpy as np

    k = np.arange(block)
    q = p ** block
    return p ** -k, p ** k, p ** (k + 1), q, q ** np.arange(1, blocks + 1)


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
_PHASES: list = []


def _phases() -> tuple[list, float]:
    """The interpolator's phases and the most any of them can make of full-scale samples."""
    import numpy as np

    if not _PHASES:
        _PHASES.extend(_interpolator())
    return _PHASES, max(float(np.abs(p).sum()) for p in _PHASES)


def envelope(seg, above: float = 0.0):
    """Each frame's true peak for the frames of ``seg`` (frames, channels) but CONTEXT at
    each end (their context: zeros beyond the audio): the largest |value| over the channels
    of the sample and the three values interpolated after it (4x oversampling, BS.1770-4
    Annex 2). With ``above`` (linear), only in stretches of SPAN frames whose samples could
    make one pass it: elsewhere the sample's own peak, which stays under it (the meters and
    the limiter only ask what passes)."""
    import numpy as np

    x = np.asarray(seg, dtype="float64")
    n = len(x) - 2 * CONTEXT
    if above <= 0 or n <= 0:
        return _envelope(x, n)
    frame = np.abs(x[:, 0])
    for ch in range(1, x.shape[1]):
        np.maximum(frame, np.abs(x[:, ch]), out=frame)
    env = frame[CONTEXT:CONTEXT + n].copy()
    # frames s*SPAN.. of env need x[s*SPAN:(s+1)*SPAN + 2*CONTEXT]: spans s and s + 1 of x
    spans = np.maximum.reduceat(frame, np.arange(0, len(frame), SPAN))
    spans[:-1] = np.maximum(spans[:-1], spans[1:])
    _, bound = _phases()
    could = np.flatnonzero(spans * bound >= above * (1 - 1e-9))
    if not len(could):
        return env
    # runs of consecutive spans that could, each with its context, laid end to end and
    # computed in one go (a value only ever sees its own run's samples)
    breaks = np.flatnonzero(np.diff(could) > 1)
    firsts, lasts = could[np.r_[0, breaks + 1]], could[np.r_[breaks, len(could) - 1]]
    runs = [(f * SPAN, min(n, (g + 1) * SPAN)) for f, g in zip(firsts, lasts)]
    joined = _envelope(x[np.concatenate([np.arange(lo, hi + 2 * CONTEXT) for lo, hi in runs])],
                       sum(hi - lo + 2 * CONTEXT for lo, hi in runs) - 2 * CONTEXT)
    at = 0
    for lo, hi in runs:
        env[lo:hi] = joined[at:at + hi - lo]
        at += hi - lo + 2 * CONTEXT
    return env


def _envelope(x, n: int):
    """``envelope`` everywhere, of float64 ``x`` with ``n`` frames besides the context."""
    import numpy as np

    phases, _ = _phases()
    env = np.zeros(max(n, 0))
    for ch in range(x.shape[1]):  # column by column: max(axis=1) is slow
        np.maximum(env, np.abs(x[CONTEXT:CONTEXT + n, ch]), out=env)
        for phase in phases[1:]:  # phase 0 is the samples
            y = np.convolve(x[:, ch], phase)[2 * CONTEXT:2 * CONTEXT + n]
            np.maximum(env, np.abs(y), out=env)
    return env


class PeakMeter:
    """The true peak of audio that arrives in blocks, in constant memory. Interpolated
    values are computed only where the samples could make one pass ``above`` (linear; 0:
    everywhere; ``envelope``): a meter that only asks "over the ceiling?" skips the rest."""

    def __init__(self, channels: int = 2, above: float = 0.0):
        import numpy as np

        self.above, self.peak = above, 0.0
        self.held = np.zeros((2 * CONTEXT, channels), dtype="float32")  # context + pending

    def push(self, block, last: bool = False) -> None:
        import numpy as np

        seg = np.concatenate((self.held, np.asarray(block, dtype="float32")))
        if last:
            seg = np.concatenate((seg, np.zeros((CONTEXT, seg.shape[1]), dtype="float32")))
        self.held = seg[-2 * CONTEXT:]
        for lo in range(CONTEXT, len(seg) - CONTEXT, BLOCK):
            hi = min(lo + BLOCK, len(seg) - CONTEXT)
            env = envelope(seg[lo - CONTEXT:hi + CONTEXT], self.above)
            self.peak = max(self.peak, float(env.max()))

    def dbtp(self) -> float:
        """The true peak so far in dBTP (-inf for silence); call after the last push."""
        return 20 * math.log10(self.peak) if self.peak > 0 else -math.inf


def true_peak(buf) -> float:
    """The true peak in dBTP (-inf for silence)."""
    meter = PeakMeter(buf.shape[1] if buf.ndim == 2 else 1)
    meter.push(buf.reshape(len(buf), -1), last=True)
    return meter.dbtp()

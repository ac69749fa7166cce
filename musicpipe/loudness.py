"""Loudness and true peak: BS.1770-4 integrated loudness, an oversampled true peak and a
look-ahead true-peak limiter, so a render lands on a target loudness without passing a
ceiling.

All of it is numpy, imported on first use. The loudness meter gives pyloudnorm's figures
(the tests' reference) without its import of scipy.signal, which took three quarters of a
short render's time. Every function takes float audio (frames, 2) and returns a gain: a
number, or one per frame (the limiter's), so the same gain can be applied to the mix and to
each of its stems and the stems still sum to the mix.
"""

from __future__ import annotations

import math

OVERSAMPLE = 4           # true peak: 4x oversampling (BS.1770-4 Annex 2)
TAPS = 65                # of the oversampling filter (16 per phase and the centre)
BLOCK = 4096             # frames: the true peak is computed only in blocks that could pass
LOOKAHEAD = 0.005        # seconds the limiter starts before a peak (and its smoothing)
RELEASE = 80.0           # dB per second the limiter lets go at
TOLERANCE = 0.05         # LU: close enough to the target
MIN_SECONDS = 0.4        # one BS.1770 gating block: shorter audio has no integrated loudness
METER_CHUNK = 1 << 16    # frames the loudness meter filters at a time


def integrated(buf, rate: int) -> float:
    """Integrated loudness in LUFS (BS.1770-4: K-weighting, 400 ms blocks overlapping by
    75 %, absolute and relative gating) of (frames, channels) audio, every channel weighted
    1; -inf for silence or audio shorter than a block. The figures are pyloudnorm's (its
    K-weighting design and gating, to 1e-9 LU: a test compares), without its import of
    scipy.signal for the filter.

    The audio is filtered a chunk at a time, keeping only the running energy at the
    blocks' bounds (the bounds computed as pyloudnorm does)."""
    import numpy as np

    x = np.asarray(buf)  # each chunk becomes float64 as it is filtered: no copy of the whole
    x = x.reshape(len(x), -1)
    n, channels = x.shape
    size, step = 0.4, 0.25  # seconds; the fraction of a block each next one starts after
    j = np.arange(int(np.round((n / rate - size) / (size * step))) + 1)
    lower = (size * (j * step) * rate).astype(np.int64)
    upper = np.minimum((size * (j * step + 1) * rate).astype(np.int64), n)
    bounds = np.unique(np.concatenate((lower, upper, [0])))
    energy = np.zeros((len(bounds), channels))  # the energy of the frames before each bound
    stages = [_Stage(b, a, channels) for b, a in _k_weighting(rate)]
    total = np.zeros(channels)
    for start in range(0, n, METER_CHUNK):
        y = x[start:start + METER_CHUNK].T
        for stage in stages:
            y = stage(y)
        running = np.cumsum(y * y, axis=1)
        running += total[:, None]
        first, last = np.searchsorted(bounds, (start + 1, start + y.shape[1] + 1))
        energy[first:last] = running[:, bounds[first:last] - start - 1].T
        total = running[:, -1]
    z = (energy[np.searchsorted(bounds, upper)] - energy[np.searchsorted(bounds, lower)])
    z /= size * rate  # blocks x channels: each block's mean square
    with np.errstate(divide="ignore"):
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
    block, so a few terms of that recursion reach full precision."""
    import numpy as np

    channels, n = u.shape
    if not p:
        return u
    block = max(1, min(n, math.ceil(math.log(1e3) / -math.log(abs(p)))))
    blocks = -(-n // block)
    out = np.zeros((channels, blocks * block), dtype=type(p))
    out[:, :n] = u
    rest = out.reshape(channels, blocks, block)
    k = np.arange(block)
    rest *= p ** -k
    np.cumsum(rest, axis=2, out=rest)
    rest *= p ** k  # each block's response from rest
    # each block's last value: ends[m] = term[m] + q ends[m - 1], ends[-1] = carry
    q, term = p ** block, rest[:, :, -1]
    ends = term + carry[:, None] * q ** np.arange(1, blocks + 1)
    for shift in range(1, blocks):
        term = q * term[:, :-1]
        ends[:, shift:] += term
        if abs(q) ** shift < 1e-18:
            break
    rest += np.concatenate((carry[:, None], ends[:, :-1]), axis=1)[:, :, None] * p ** (k + 1)
    return out[:, :n]


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


def peak_envelope(buf, above: float = 0.0):
    """Each frame's true peak: the largest |value| over both channels of the samples and the
    three values interpolated after each (4x oversampling, BS.1770-4 Annex 2), in numpy.

    Only where an interpolated value could pass ``above`` (linear) is it computed: a block
    whose samples (and its neighbours') times the filter's largest tap sum stay under it keeps
    the samples' own peaks, which is all a limiter at that level needs to know."""
    import numpy as np

    x = np.asarray(buf, dtype="float64")
    env = np.zeros(len(x))
    for ch in range(x.shape[1] if x.ndim == 2 else 0):  # column by column: max(axis=1) is slow
        np.maximum(env, np.abs(x[:, ch]), out=env)
    phases = _interpolator()
    bound = max(float(np.abs(p).sum()) for p in phases)
    blocks = np.maximum.reduceat(env, np.arange(0, len(env), BLOCK)) if len(env) else env
    near = np.maximum(blocks, np.maximum(np.roll(blocks, 1), np.roll(blocks, -1)))
    delay = (TAPS - 1) // 2 // OVERSAMPLE
    for b in np.flatnonzero(near * bound > above):
        lo, hi = b * BLOCK, min(len(x), (b + 1) * BLOCK)
        start = max(0, lo - delay)
        seg = x[start:hi + delay]
        for phase in phases[1:]:  # phase 0 is the samples
            for ch in range(x.shape[1]):
                y = np.convolve(seg[:, ch], phase)[lo + delay - start:hi + delay - start]
                np.maximum(env[lo:hi], np.abs(y), out=env[lo:hi])
    return env


def true_peak(buf) -> float:
    """The true peak in dBTP (-inf for silence)."""
    env = peak_envelope(buf)
    peak = float(env.max()) if len(env) else 0.0
    return 20 * math.log10(peak) if peak > 0 else -math.inf


def limiter_gain(env, gain_db: float, ceiling: float, rate: int):
    """Per-frame gain (linear) that keeps ``env`` x 10^(gain_db/20) under ``ceiling`` dBTP:
    the gain falls over LOOKAHEAD before a peak, holds, and recovers at RELEASE dB/s.
    A frame never gets less reduction than it needs: a centred maximum over the look-ahead
    window, a decaying hold, then a moving average of the same window (every value it
    averages is at least the frame's need)."""
    import numpy as np

    with np.errstate(divide="ignore"):
        need = np.maximum(0.0, 20 * np.log10(env) + gain_db - ceiling)
    if not need.any():
        return None
    half = max(1, round(LOOKAHEAD * rate))
    held = _running_max(np.pad(need, half), 2 * half + 1)
    slope = RELEASE / rate * np.arange(len(held))
    held = np.maximum.accumulate(held + slope) - slope
    total = np.concatenate(([0.0], np.cumsum(np.pad(held, half, mode="edge"))))
    return 10 ** (-(total[2 * half + 1:] - total[:-2 * half - 1]) / (2 * half + 1) / 20)


def _running_max(x, width: int):
    """max(x[i:i + width]) for each i that fits (len(x) - width + 1 values), by doubling."""
    import numpy as np

    span, m = 1, x
    while span * 2 <= width:
        m = np.maximum(m[:-span], m[span:])
        span *= 2
    count = len(x) - width + 1
    return np.maximum(m[:count], m[width - span:width - span + count])


def normalize(buf, rate: int, *, loudness: float | None, ceiling: float):
    """The gain (a number, or an array per frame) that brings ``buf`` to ``loudness`` LUFS
    (None: leave the level) with its true peak at or under ``ceiling`` dBTP.

    The limiter takes off only what passes the ceiling; the loudness is measured again
    after it and the gain corrected until it is within TOLERANCE (a few rounds). Silence,
    or audio shorter than one 400 ms gating block, is only kept under the ceiling.
    Returns (gain, note): ``note`` says what was done when it is worth a line on stderr.
    """
    import numpy as np

    # without a loudness target the gain stays 1: only blocks that could pass the ceiling count
    env = peak_envelope(buf, above=10 ** (ceiling / 20) if loudness is None else 0.0)
    note = None
    gain_db = 0.0
    measured = integrated(buf, rate) if loudness is not None and len(buf) >= MIN_SECONDS * rate else -math.inf
    if loudness is not None and math.isfinite(measured):
        gain_db = loudness - measured
    elif loudness is not None:
        note = "too short or silent for a loudness measurement: only the ceiling applied"
        loudness = None
    for _ in range(8):
        limit = limiter_gain(env, gain_db, ceiling, rate)
        gain = 10 ** (gain_db / 20) * (limit if limit is not None else 1.0)
        if loudness is None:
            break
        got = integrated(buf * (gain[:, None] if limit is not None else gain), rate)
        if abs(got - loudness) <= TOLERANCE:
            break
        gain_db += loudness - got
    else:
        note = (f"{got:.1f} LUFS, not {loudness:g}: the peaks need more limiting than "
                f"{ceiling:g} dBTP allows in a few rounds (lower the target)")
    if limit is not None:
        reduction = -20 * math.log10(float(limit.min()))
        if loudness is None:
            note = f"peaks limited by up to {reduction:.1f} dB to stay under {ceiling:g} dBTP"
        # the limited audio's own true peak: interpolation around a gain change can still
        # pass the ceiling by a hair; a fixed trim takes it back
        over = true_peak(buf * gain[:, None]) - ceiling
        if over > 0:
            gain = gain * 10 ** (-(over + 0.01) / 20)
    return (np.asarray(gain, dtype="float64") if limit is not None else float(gain)), note


def apply(buf, gain):
    """``buf`` x ``gain`` (a number or one value per frame), as float32."""
    import numpy as np

    if isinstance(gain, float):
        return (buf * np.float32(gain)).astype("float32")
    return (buf * gain[:, None]).astype("float32")

"""Loudness and true peak: BS.1770-4 integrated loudness (pyloudnorm), an oversampled true
peak and a look-ahead true-peak limiter, so a render lands on a target loudness without
passing a ceiling.

True peak and the limiter are numpy alone (a plain render imports no scipy); pyloudnorm,
and with it scipy.signal, is imported only to measure loudness. Every function takes float audio (frames, 2) and returns a gain: a number, or one per frame
(the limiter's), so the same gain can be applied to the mix and to each of its stems and
the stems still sum to the mix. numpy, scipy and pyloudnorm are imported on first use.
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


def integrated(buf, rate: int) -> float:
    """Integrated loudness in LUFS (BS.1770-4: K-weighting, 400 ms blocks, gating);
    -inf for silence."""
    import pyloudnorm

    with _quiet():
        return float(pyloudnorm.Meter(rate).integrated_loudness(buf.astype("float64")))


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


class _quiet:
    """pyloudnorm warns (Python warnings) on clipped input; the level is ours to judge."""

    def __enter__(self):
        import warnings

        self._ctx = warnings.catch_warnings()
        self._ctx.__enter__()
        warnings.simplefilter("ignore")

    def __exit__(self, *exc):
        return self._ctx.__exit__(*exc)

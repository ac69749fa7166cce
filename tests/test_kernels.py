"""The compiled loops of the audio path (musicpipe/audio/_kernels.c) against the numpy
they replaced: the same values, to the bit where the render's bytes depend on it."""

import numpy as np
import pytest

from musicpipe.audio import _kernels, loudness


def test_the_true_peak_envelope_is_bs1770s_interpolation():
    """The compiled envelope against numpy's convolution with the same four phases, for
    float32 and float64 audio of one to three channels; a buffer too short for what it is
    asked is refused, not read past its end."""
    taps, _ = loudness._phases()
    rng = np.random.default_rng(4)
    for channels in (1, 2, 3):
        for dtype in ("float32", "float64"):
            x = (0.5 * rng.standard_normal((1000 + 2 * loudness.CONTEXT, channels))).astype(dtype)
            n, c = 1000, loudness.CONTEXT
            want = np.abs(x[c:c + n]).max(axis=1).astype("float64")
            for ch in range(channels):
                for phase in taps:
                    y = np.convolve(x[:, ch].astype("float64"), phase)[2 * c:2 * c + n]
                    want = np.maximum(want, np.abs(y))
            got = loudness.envelope(x)
            assert np.abs(got - want).max() <= 1e-12, (channels, dtype)
    short = np.zeros(10)
    with pytest.raises(ValueError, match="bytes"):
        _kernels.envelope(short, 1, 1, 100, loudness.CONTEXT, taps, taps.shape[1], 0.0, 1.0,
                          loudness.SPAN, b"", np.zeros(100))


def test_a_marked_envelope_interpolates_where_a_marked_frame_is_in_context():
    """With marks, the values whose context holds a marked frame are the whole envelope's;
    the rest are the samples' own peaks (no larger)."""
    rng = np.random.default_rng(7)
    c = loudness.CONTEXT
    x = (0.5 * rng.standard_normal((4000 + 2 * c, 2))).astype("float32")
    where = np.zeros(len(x), dtype=bool)
    where[[100, 2500, 2501]] = True
    whole, part = loudness.envelope(x), loudness.envelope(x, where=where)
    samples = np.abs(x[c:-c]).max(axis=1)
    seen = np.array([where[i:i + 2 * c + 1].any() for i in range(len(whole))])
    assert seen.sum() >= 2 * (2 * c + 1) and np.array_equal(part[seen], whole[seen])
    rest = part[~seen]  # in a span computed for a mark, or the sample's own peak
    assert ((rest == whole[~seen]) | (rest == samples[~seen])).all()
    assert (rest < whole[~seen]).sum() > len(rest) / 2  # most of it skipped


def test_the_hold_is_numpys_running_maximum_and_release_to_the_bit():
    """The limiter's held need: a centred running maximum, then a hold that falls a fixed
    step a frame from each peak and from the carry before the first."""
    rng = np.random.default_rng(5)
    for width, release, carry in ((1, 0.01, -np.inf), (9, 0.002, 0.5), (441, 0.0018, 3.0)):
        need = np.where(rng.random(5000 + width - 1) < 0.02, rng.random(5000 + width - 1) * 6, 0.0)
        windows = np.lib.stride_tricks.sliding_window_view(need, width)
        peak = windows.max(axis=1)
        slope = release * np.arange(1, len(peak) + 1)
        want = np.maximum.accumulate(peak + slope) - slope
        np.maximum(want, carry - slope, out=want)
        got = np.empty(len(peak))
        _kernels.hold(need, width, release, carry, got)
        assert np.array_equal(got, want), width
    with pytest.raises(ValueError, match="need"):
        _kernels.hold(np.zeros(10), 5, 0.1, 0.0, np.empty(10))


def test_scale_is_numpys_float64_product_rounded_once():
    """Gains per frame, or one for every frame, applied as numpy does it in float64."""
    from musicpipe.audio.level import apply

    rng = np.random.default_rng(6)
    block = rng.standard_normal((4096, 2)).astype("float32")
    gains = rng.random(4096)
    assert np.array_equal(apply(block, gains), (block * gains[:, None]).astype("float32"))
    one = np.float64(0.7321)
    assert np.array_equal(apply(block, one), (block * one).astype("float32"))


@pytest.mark.parametrize("bits", [16, 24])
def test_pcm_rounds_and_holds_in_range_as_numpy(bits):
    """Samples to integers: times 2^(bits-1) - 1, rounded half to even, clipped (never
    wrapped); the count of samples past full scale; NaN as silence."""
    from musicpipe.audio.encode import _pcm

    full = 2 ** (bits - 1)
    rng = np.random.default_rng(bits)
    x = np.concatenate((rng.uniform(-1.5, 1.5, 5000), [0.5 / (full - 1), 1.5 / (full - 1),
                        -0.5 / (full - 1), 1.0, -1.0, 1.0000001, -3.0])).astype("float32")
    want = np.clip(np.rint(x.astype("float64") * (full - 1)), -full, full - 1)
    ints, clipped = _pcm(x, bits)
    assert np.array_equal(ints >> 8 if bits == 24 else ints, want)
    assert clipped == np.count_nonzero(np.abs(x) > 1.0)
    assert _pcm(np.array([np.nan], dtype="float32"), bits)[0][0] == 0

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

"""The sound of the moods, measured: BS.1770 loudness and true peak of every built-in mood at
three seeds, mono compatibility, the lead's balance against the other layers (each layer
rendered alone as a stem), stems that sum to the mix. Each mood x seed is rendered once
(20 s, stems and mix, as `mood --stems` writes them) and measured from the 16-bit files as
soundfile reads them."""

import numpy as np
import pytest
import soundfile

from musicpipe import tracks
from musicpipe.audio import export, level, loudness
from musicpipe.audio.mixing import role_of
from musicpipe.moods.arrange import arrange, plan
from musicpipe.moods.packs import Library
from musicpipe.theory import parse_key

LIBRARY = Library([])
MOODS = LIBRARY.names()
SEEDS = (1, 2, 3)
SECONDS = 20
RATE = 44100
TARGET = -16.0


@pytest.fixture(scope="module")
def measured(tmp_path_factory):
    """(mood, seed) -> the figures of its 20 s render, computed on first use."""
    cache = {}

    def get(name, seed):
        if (name, seed) not in cache:
            mood = LIBRARY.resolve(name)
            events = arrange(mood, seconds=SECONDS, key=parse_key(mood.get("key", "C")), seed=seed)
            lead = next(ch for n, layer, gen, ch in plan(mood, mood.get("intensity", 50))
                        if role_of(gen, layer.get("pattern")) == "lead")
            parts = tracks.split(events)
            folder = tmp_path_factory.mktemp(f"{name}-{seed}")
            export.export(events, None, stems=str(folder), length=SECONDS, loudness=TARGET)
            read = lambda f: soundfile.read(folder / f, dtype="float64")[0]  # noqa: E731
            files = [read(t.filename("wav")) for t in parts]
            mix = read("mix.wav")
            layers = {t.ch: loudness.integrated(f, RATE) for t, f in zip(parts, files)}
            cache[name, seed] = {
                "lufs": loudness.integrated(mix, RATE), "peak": loudness.true_peak(mix),
                "mono_loss": loudness.mono_loss(mix, RATE), "frames": [len(f) for f in files],
                "residual": float(np.abs(sum(files) - mix).max()), "length": len(mix),
                "lead": layers.pop(lead), "others": layers}
        return cache[name, seed]

    return get


@pytest.mark.parametrize("name", MOODS)
def test_every_mood_and_seed_lands_on_minus_16_lufs_under_minus_1_dbtp(name, measured):
    for seed in SEEDS:
        m = measured(name, seed)
        assert abs(m["lufs"] - TARGET) <= 0.5, (seed, m["lufs"])
        assert m["peak"] <= -1.0 + 1e-3, (seed, m["peak"])
        assert m["length"] == SECONDS * RATE


@pytest.mark.parametrize("name", MOODS)
def test_summed_to_mono_no_mood_loses_more_than_3_lu(name, measured):
    for seed in SEEDS:
        assert measured(name, seed)["mono_loss"] <= 3.0, seed


@pytest.mark.parametrize("name", MOODS)
def test_the_lead_is_within_6_lu_of_the_loudest_other_layer(name, measured):
    for seed in SEEDS:
        m = measured(name, seed)
        loudest = max(m["others"].values())
        assert abs(m["lead"] - loudest) <= 6.0, (seed, m["lead"], m["others"])


@pytest.mark.parametrize("name", MOODS)
def test_stems_are_one_length_and_sum_to_the_mix(name, measured):
    for seed in SEEDS:
        m = measured(name, seed)
        assert set(m["frames"]) == {m["length"]}
        assert 20 * np.log10(max(m["residual"], 1e-12)) <= -60, seed


def test_bs1770_reads_a_sine_and_the_true_peak_between_samples():
    t = np.arange(RATE * 3) / RATE
    sine = 0.1 * np.sin(2 * np.pi * 997 * t)
    assert loudness.integrated(np.stack([sine, sine], axis=1), RATE) == pytest.approx(-20, abs=0.1)
    # a quarter of the rate, 45 degrees off: every sample at 0.707, the wave itself at 1.0
    quarter = np.sin(2 * np.pi * (RATE / 4) * t + np.pi / 4)
    stereo = np.stack([quarter, quarter], axis=1)
    assert 20 * np.log10(np.abs(stereo).max()) == pytest.approx(-3.01, abs=0.01)
    assert loudness.true_peak(stereo) == pytest.approx(0.0, abs=0.2)


@pytest.mark.parametrize("rate", [8000, 22050, 44100, 48000, 96000])
def test_the_loudness_meter_gives_pyloudnorms_figures(rate):
    """Our meter against the reference (pyloudnorm, a test dependency only): the same
    K-weighted energy as scipy's lfilter gives, fed in uneven chunks, and the same gated
    loudness for noise, a sine, bursts with silence between, a quiet tail, mono, odd lengths,
    clipped input and audio that never passes the gates."""
    import warnings

    import pyloudnorm
    import scipy.signal

    rng = np.random.default_rng(rate)
    x = rng.standard_normal((rate * 2 + 7, 3))  # three channels: a pair and one alone
    for dtype in ("float64", "float32"):  # the kernel reads both
        signal = x.astype(dtype)
        want = signal.astype("float64")
        for b, a in loudness._k_weighting(rate):
            want = scipy.signal.lfilter(b, a, want, axis=0)
        want = np.cumsum(want * want, axis=0)  # the running energy, every frame a mark
        state, total = np.zeros((3, 2, 2)), np.zeros(3)
        cuts = [0, 1, 2, 3, 1000, rate, len(x)]
        got = np.concatenate([loudness._weigh(signal[i:j], loudness._coefficients(rate), state,
                                              total, np.arange(j - i))
                              for i, j in zip(cuts, cuts[1:])])
        assert np.abs(got - want).max() <= 1e-10 * np.abs(want).max(), dtype
    t = np.arange(rate * 3) / rate
    signals = {
        "noise": 0.1 * rng.standard_normal((rate * 5, 2)),
        "sine": np.stack([0.3 * np.sin(2 * np.pi * 997 * t)] * 2, axis=1),
        "bursts": (np.repeat(rng.standard_normal((40, 2)) > 1, rate // 10, axis=0)
                   * rng.standard_normal((rate * 4, 2))),
        "quiet tail": np.concatenate((0.3 * rng.standard_normal((rate, 2)),
                                      1e-5 * rng.standard_normal((rate * 4, 2)))),
        "mono": 0.2 * rng.standard_normal((rate * 2, 1)),
        "odd length": 0.05 * rng.standard_normal((rate * 7 + 13, 2)),
        "clipped": np.clip(3 * rng.standard_normal((rate * 2, 2)), -1, 1),
        "under the gate": 1e-6 * rng.standard_normal((rate * 2, 2)),
    }
    meter = pyloudnorm.Meter(rate)
    for name, sig in signals.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            want = meter.integrated_loudness(sig)
        got = loudness.integrated(sig, rate)
        assert got == pytest.approx(want, abs=1e-9) or got == want == -np.inf, name
    assert loudness.integrated(np.zeros((rate, 2)), rate) == -np.inf
    assert loudness.integrated(signals["noise"][: rate // 3], rate) == -np.inf  # under 400 ms


def test_a_render_imports_no_scipy(tmp_path):
    """scipy.signal took three quarters of a short render's time (0.8 s of 1.1 s)."""
    from tests.conftest import BIN, sh

    out = tmp_path / "calm.wav"
    proc = sh(f"{BIN}/python -X importtime {BIN}/mood calm --duration 1 --seed 1 --out {out}")
    imported = {line.rsplit("|", 1)[-1].strip().split(".")[0]
                for line in proc.stderr.decode().splitlines() if line.startswith("import time:")}
    assert out.read_bytes()[:4] == b"RIFF" and "numpy" in imported and "scipy" not in imported


def leveled(x, target: float):
    """``x`` brought to ``target`` LUFS under -1 dBTP as a render is (two passes over it),
    and the note said."""
    survey = level.Survey(RATE, True)
    survey.push(x)

    def read(lo, hi):
        return np.pad(x[max(lo, 0):max(hi, 0)], ((max(0, -lo), max(0, hi - len(x))), (0, 0)))

    gain, note = level.plan(survey, read, RATE, loudness=target, ceiling=-1.0, peak=None)
    return np.concatenate([level.apply(read(lo, lo + level.CHUNK)[:len(x) - lo],
                                       gain.gain(lo, min(len(x), lo + level.CHUNK)))
                           for lo in range(0, len(x), level.CHUNK)]), note


def test_the_writing_pass_replays_the_kept_limiter_gains_as_the_limiter_gives_them(monkeypatch):
    """The last round's limiter gains, kept for the writing pass, are the ones a new run of
    the limiter gives (the fallback once they pass KEEP bytes): the same audio."""
    rng = np.random.default_rng(2)
    clicks = np.zeros((RATE * 6, 2))
    clicks[:: RATE // 5] = 0.8
    clicks += 0.05 * rng.standard_normal(clicks.shape)
    clicks = clicks.astype("float32")
    kept, _ = leveled(clicks, -14.0)
    monkeypatch.setattr(level, "KEEP", 0)
    again, _ = leveled(clicks, -14.0)
    assert np.array_equal(kept, again) and not np.array_equal(kept, clicks)


def test_the_limiter_reaches_a_loud_target_under_the_ceiling():
    rng = np.random.default_rng(1)
    clicks = np.zeros((RATE * 4, 2))
    clicks[:: RATE // 8] = 0.9  # a hit every 125 ms over noise: 20 dB peak-to-loudness
    clicks += 0.05 * rng.standard_normal(clicks.shape)
    clicks = clicks.astype("float32")
    out, note = leveled(clicks, -16.0)
    assert note is None and loudness.integrated(out, RATE) == pytest.approx(-16, abs=0.5)
    assert loudness.true_peak(out) <= -1.0 + 1e-3
    # noise alone has a 12 dB crest: -10 LUFS under -1 dBTP is out of reach, and said so
    out, note = leveled(clicks, -10.0)
    assert "not -10" in note and loudness.true_peak(out) <= -1.0 + 1e-3


def test_the_true_peak_asked_above_a_level_is_the_whole_envelope_wherever_it_passes():
    """Interpolated values are computed only in stretches whose samples could pass the level
    asked: there they are the whole envelope's own values, elsewhere they stay under it."""
    from musicpipe.audio import synth

    mix = synth.render(arrange(LIBRARY.resolve("synthwave"), seconds=3, key=parse_key("Am"),
                               seed=2), length=3)
    whole = loudness.envelope(mix)
    for above in (0.02, 0.1, 0.5 * whole.max(), whole.max(), 2 * whole.max()):
        part = loudness.envelope(mix, above)
        passes = whole >= above
        assert np.array_equal(part[passes], whole[passes]) and (part[~passes] < above).all()
        assert (part <= whole).all()


def test_a_channel_without_a_program_plays_program_0():
    """Program 0 is chosen only for the channels that play before choosing one: a note
    there sounds exactly as after an explicit ProgramChange 0."""
    from musicpipe.audio import synth

    notes = [{"type": "Note", "t": 0, "dur": 480, "ch": 0, "key": 60, "vel": 100}]
    chosen = [{"type": "ProgramChange", "t": 0, "ch": 0, "program": 0}] + notes
    bare = synth.render(notes, length=1)
    assert np.abs(bare).max() > 0.01 and np.array_equal(bare, synth.render(chosen, length=1))

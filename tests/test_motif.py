"""motif: phrases that move by step, resolve leaps, follow contour, scale and harmony."""

import hashlib
import statistics

import mido
import pytest

from musicpipe.generators.motif import part
from musicpipe.theory import scale_pitch_classes
from tests.conftest import events, notes, sh

SEEDS = range(200)
HARMONY = [(0, (0, 4, 7)), (1920, (5, 9, 0)), (3840, (7, 11, 2)), (5760, (0, 4, 7))]  # C F G C


def keys(phrase):
    return [e["key"] for e in phrase if e["type"] == "Note"]


def melody(phrase):
    """The top line: the highest key at each onset (--chord-prob adds notes below it)."""
    top = {}
    for e in phrase:
        if e["type"] == "Note":
            top[e["t"]] = max(top.get(e["t"], 0), e["key"])
    return [top[t] for t in sorted(top)]


def degrees(root, mode):
    """Every key of the scale, so that an index difference is a distance in scale degrees."""
    pcs = set(scale_pitch_classes(root, mode))
    return [k for k in range(128) if k % 12 in pcs]


def test_stepwise_motion_dominates_at_default_settings():
    scale = degrees(0, "major")
    steps = total = 0
    for seed in SEEDS:
        ks = keys(part(seed))
        for a, b in zip(ks, ks[1:]):
            total += 1
            steps += abs(scale.index(b) - scale.index(a)) <= 2
    assert total > 1000 and steps / total >= 0.6, steps / total


@pytest.mark.parametrize("kw", [
    {},  # defaults: rests between notes too
    {"notes": 24, "complexity": 100, "rest_prob": 0.3},
    {"bars": 4, "harmony": HARMONY, "complexity": 90},
    {"notes": 16, "chord_prob": 0.5, "complexity": 80},
    {"notes": 16, "root": 0, "mode": "minor-pentatonic", "complexity": 80},
], ids=["default", "busy", "harmony", "chords", "pentatonic"])
def test_every_leap_is_followed_by_a_step_back(kw):
    scale = degrees(0, kw.get("mode", "major"))
    leaps = 0
    for seed in SEEDS:
        ks = melody(part(seed, **kw))
        for a, b, c in zip(ks, ks[1:], ks[2:]):
            if abs(b - a) > 4:
                leaps += 1
                back = scale.index(c) - scale.index(b)
                assert (c - b) * (b - a) < 0 and abs(c - b) <= 4, (seed, a, b, c)
                if "harmony" not in kw:  # a third is allowed only to land on a chord tone
                    assert abs(back) == 1, (seed, a, b, c)
    assert leaps > 100  # the rule was exercised


def shape(contour, seed):
    """Mean key of each sixth of a long phrase (without its cadence note)."""
    ks = keys(part(seed, notes=24, contour=contour, range_=19))[:-1]
    return [statistics.mean(ks[j * len(ks) // 6:(j + 1) * len(ks) // 6]) for j in range(6)]


def mean_shape(contour):
    return [statistics.mean(col) for col in zip(*(shape(contour, s) for s in SEEDS))]


def test_ascending_and_descending():
    up, down = mean_shape("ascending"), mean_shape("descending")
    assert all(b > a for a, b in zip(up, up[1:])) and up[-1] > up[0] + 6, up
    assert all(b < a for a, b in zip(down, down[1:])) and down[-1] < down[0] - 6, down
    assert sum(shape("ascending", s)[-1] > shape("ascending", s)[0] for s in SEEDS) > 0.9 * len(SEEDS)


def test_arch_peaks_in_the_middle():
    where = []
    for seed in SEEDS:
        ks = keys(part(seed, notes=24, contour="arch", range_=19))
        where.append(ks.index(max(ks)) / (len(ks) - 1))
    assert 0.4 < statistics.mean(where) < 0.6, statistics.mean(where)
    arch = mean_shape("arch")
    assert max(arch[2:4]) > arch[0] + 6 and max(arch[2:4]) > arch[-1] + 2, arch


def test_wave_rises_falls_and_rises_again():
    wave = mean_shape("wave")
    assert wave[1] > wave[3] + 4 and wave[5] > wave[3] + 3, wave


def test_random_contour_goes_either_way():
    rises = [shape("random", s)[-1] > shape("random", s)[0] for s in SEEDS]
    assert 0.3 < sum(rises) / len(rises) < 0.7
    flat = mean_shape("random")
    assert max(flat) - min(flat) < 2, flat  # no built-in direction: each seed picks its own


def test_scale_awareness_and_a_stable_ending():
    dorian = set(scale_pitch_classes(2, "dorian"))
    for seed in range(50):
        phrase = part(seed, notes=12, base=50, root=2, mode="dorian", chord_prob=0.3)
        assert {k % 12 for k in keys(phrase)} <= dorian
        last = [e for e in phrase if e["type"] == "Note"][-1]
        assert last["key"] % 12 in {2, 5, 9}  # D F A
        assert last["dur"] >= 480 and last["dur"] >= max(n["dur"] for n in notes(phrase)[:-1]) / 2
        assert phrase[-1]["type"] == "End" and phrase[-1]["t"] % 1920 == 0
    for seed in range(50):  # the tonic chord of a pentatonic scale has its real fifth, G, not A
        assert keys(part(seed, root=0, mode="major-pentatonic"))[-1] % 12 in {0, 4, 7}


def test_notes_on_beats_follow_the_harmony():
    def on_chord(harmony):
        hits = total = 0
        for seed in SEEDS:
            phrase = part(seed, bars=4, harmony=harmony)
            for n in notes(phrase):
                if n["t"] % 480 == 0:
                    total += 1
                    hits += n["key"] % 12 in [c for start, c in HARMONY if start <= n["t"]][-1]
            assert notes(phrase)[-1]["key"] % 12 in (0, 4, 7) or not harmony
        return hits / total

    # "prefer": a beat that resolves a leap may keep its step instead of the chord tone
    assert on_chord(HARMONY) > 0.95 and on_chord(None) < 0.6


def test_accents_on_strong_beats():
    vels = {"bar": [], "beat": [], "off": []}
    for seed in SEEDS:
        for n in notes(part(seed, notes=16, vel=90)):
            vels["bar" if n["t"] % 1920 == 0 else "beat" if n["t"] % 480 == 0 else "off"].append(n["vel"])
    mean = {k: statistics.mean(v) for k, v in vels.items()}
    assert mean["bar"] > mean["beat"] + 3 > mean["off"] + 6, mean
    assert all(78 <= v <= 102 for v in sum(vels.values(), [])) and len(set(vels["bar"])) > 4


def test_rests_and_chords():
    assert all(len(notes(part(s, notes=10, rest_prob=0))) == 10 for s in range(20))
    sparse = [len(notes(part(s, notes=10, rest_prob=0.5))) for s in range(20)]
    assert statistics.mean(sparse) < 8 and min(sparse) >= 2  # the first and last note always sound
    scale = degrees(0, "major")
    stacks = 0
    for seed in range(20):  # the third and fifth below every note but the cadence, within the range
        onsets = {}
        for n in notes(part(seed, notes=10, chord_prob=1.0, rest_prob=0, base=48, range_=24)):
            onsets.setdefault(n["t"], []).append(n["key"])
        for t, ks in sorted(onsets.items())[:-1]:
            top = scale.index(max(ks))
            room = top - scale.index(48)
            assert sorted(ks) == [scale[top - b] for b in (4, 2, 0) if b <= room]
            stacks += room >= 4
    assert stacks > 100


def test_bars_fill_exactly_and_fixed_rhythms():
    phrase = part(1, bars=2, dur="8", rest_prob=0)
    assert phrase[-1] == {"type": "End", "t": 3840}
    assert [n["t"] for n in phrase[:-1]][:4] == [0, 240, 480, 720]
    cycle = part(1, notes=6, dur="4,8,8", rest_prob=0)
    assert [n["dur"] for n in cycle[:-1]][:5] == [480, 240, 240, 480, 240]


def test_swing_delays_offbeat_eighths():
    straight = part(2, notes=8, dur="8", rest_prob=0)
    swung = part(2, notes=8, dur="8", rest_prob=0, swing=1.0)
    assert [n["t"] for n in swung[:-1]][:4] == [0, 320, 480, 800]
    assert keys(straight) == keys(swung)


def test_seed_and_salt_decide_the_phrase():
    assert part(9, notes=16) == part(9, notes=16)
    assert part(9, notes=16) != part(10, notes=16)
    assert part(9, notes=16, salt="lead") != part(9, notes=16)


def test_music_pipe_rs_example_golden_and_determinism():
    out = sh("seed 12345 | motif --notes 16 --bpm 120").stdout
    assert out == sh("seed 12345 | motif --notes 16 --bpm 120").stdout
    evs = events(out)
    assert evs[1] == {"type": "Tempo", "t": 0, "bpm": 120.0} and len(notes(evs)) <= 16
    assert hashlib.sha256(out).hexdigest() == GOLDEN
    assert sh("seed 12346 | motif --notes 16 --bpm 120").stdout != out
    assert sh("motif --notes 16 --bpm 120 --seed 12345").stdout == out  # --seed = the stream's Seed


GOLDEN = "aadffa69b1c73e5eebf9f2d0272b022b8c592cede3e09f678adfc24f7e0b6ef7"


def test_motif_to_midi_with_a_patch(tmp_path):
    sh(f"seed 8 | motif --notes 8 --patch flute --name Flute --repeat 2 | to-midi --out {tmp_path}/f.mid")
    mid = mido.MidiFile(tmp_path / "f.mid")
    names = [m.name for t in mid.tracks for m in t if m.type == "track_name"]
    assert "Flute" in names
    assert any(m.type == "program_change" and m.program == 73 for t in mid.tracks for m in t)


def test_note_names_and_numbers_for_base_and_root():
    assert sh("motif --seed 3 --base D3 --root D").stdout == sh("motif --seed 3 --base 50 --root 2").stdout


@pytest.mark.parametrize("args, needle", [
    ("--range 1", b"--range"), ("--mode nope", b"scale --list"), ("--base H2", b"--base"),
    ("--dur 3", b"duration /3"), ("--contour zigzag", b"zigzag"), ("--notes 0", b"--notes"),
    ("--swing 2", b"--swing"),
])
def test_bad_options_are_one_line_exit_2(args, needle):
    proc = sh(f"motif --seed 1 {args}", check=False)
    assert proc.returncode == 2 and needle in proc.stderr and len(proc.stderr.splitlines()) == 1, proc.stderr

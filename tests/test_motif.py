"""motif: phrases that move by step, resolve leaps, follow contour, scale and harmony."""

import hashlib
import statistics

import mido
import pytest

from musicpipe.stages.motif import part
from musicpipe.theory import scale_pitch_classes
from tests.conftest import events, notes, sh

SEEDS = range(200)


def keys(phrase):
    return [e["key"] for e in phrase if e["type"] == "Note"]


def test_stepwise_motion_dominates():
    c_major = [k for k in range(60, 73) if k % 12 in scale_pitch_classes(0, "major")]
    steps = total = 0
    for seed in SEEDS:
        ks = keys(part(seed, notes=16))
        for a, b in zip(ks, ks[1:]):
            total += 1
            steps += abs(c_major.index(b) - c_major.index(a)) <= 2
    assert steps / total >= 0.6, steps / total


def test_leaps_resolve_by_step_the_other_way():
    leaps = 0
    for seed in SEEDS:
        ks = keys(part(seed, notes=24, rest_prob=0, complexity=90))[:-1]  # the cadence may jump
        for a, b, c in zip(ks, ks[1:], ks[2:]):
            if abs(b - a) > 4:
                leaps += 1
                assert (c - b) * (b - a) < 0 and abs(c - b) <= 2, (seed, a, b, c)
    assert leaps > 20  # the rule was exercised


@pytest.mark.parametrize("contour, check", [
    ("ascending", lambda first, mid, last: last > first + 2),
    ("descending", lambda first, mid, last: last < first - 2),
    ("arch", lambda first, mid, last: mid > first + 1 and mid > last + 1),
])
def test_contours_shape_the_line(contour, check):
    firsts, mids, lasts = [], [], []
    for seed in SEEDS:
        ks = keys(part(seed, notes=24, contour=contour, range_=19))
        third = len(ks) // 3
        firsts.append(statistics.mean(ks[:third]))
        mids.append(statistics.mean(ks[third:2 * third]))
        lasts.append(statistics.mean(ks[2 * third:]))
    assert check(statistics.mean(firsts), statistics.mean(mids), statistics.mean(lasts))


def test_scale_awareness_and_a_stable_ending():
    dorian = set(scale_pitch_classes(2, "dorian"))
    for seed in range(50):
        phrase = part(seed, notes=12, base=50, root=2, mode="dorian", chord_prob=0.3)
        assert {k % 12 for k in keys(phrase)} <= dorian
        last = [e for e in phrase if e["type"] == "Note"][-1]
        assert last["key"] % 12 in {2, 5, 9}  # D F A
        assert last["dur"] >= 480
        assert phrase[-1]["type"] == "End" and phrase[-1]["t"] % 1920 == 0


def test_notes_on_beats_follow_the_harmony():
    harmony = [(0, (0, 4, 7)), (1920, (5, 9, 0)), (3840, (7, 11, 2))]
    for seed in range(50):
        for n in part(seed, bars=3, harmony=harmony):
            if n["type"] == "Note" and n["t"] % 480 == 0:
                chord = [c for start, c in harmony if start <= n["t"]][-1]
                assert n["key"] % 12 in chord, (seed, n)


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


def test_music_pipe_rs_example_golden_and_determinism():
    out = sh("seed 12345 | motif --notes 16 --bpm 120").stdout
    assert out == sh("seed 12345 | motif --notes 16 --bpm 120").stdout
    evs = events(out)
    assert evs[1] == {"type": "Tempo", "t": 0, "bpm": 120.0} and len(notes(evs)) <= 16
    assert hashlib.sha256(out).hexdigest() == GOLDEN
    assert sh("seed 12346 | motif --notes 16 --bpm 120").stdout != out


GOLDEN = "84f682bce7ad978219388df918c09a63b9ccef1238b1e3cb776e0465cb93c5ad"


def test_motif_to_midi_with_a_patch(tmp_path):
    sh(f"seed 8 | motif --notes 8 --patch flute --name Flute --repeat 2 | to-midi --out {tmp_path}/f.mid")
    mid = mido.MidiFile(tmp_path / "f.mid")
    names = [m.name for t in mid.tracks for m in t if m.type == "track_name"]
    assert "Flute" in names
    assert any(m.type == "program_change" and m.program == 73 for t in mid.tracks for m in t)


@pytest.mark.parametrize("args, needle", [
    ("--range 1", b"--range"), ("--mode nope", b"scale --list"), ("--base H2", b"--base"),
    ("--dur 3", b"duration /3"), ("--contour zigzag", b"zigzag"),
])
def test_bad_options_are_one_line_exit_2(args, needle):
    proc = sh(f"motif --seed 1 {args}", check=False)
    assert proc.returncode == 2 and needle in proc.stderr and len(proc.stderr.splitlines()) == 1, proc.stderr

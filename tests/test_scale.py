import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from musicpipe.transforms.scale import POLICIES, scale_list, snap, snap_table
from musicpipe.theory import FLAT_NAMES, SCALE_ALIASES, SCALES, SHARP_NAMES, scale_pitch_classes
from tests.conftest import events, jsonl, notes, sh


def note(key, ch=0, t=0):
    return {"type": "Note", "t": t, "dur": 480, "ch": ch, "key": key, "vel": 90}


def keys(evs):
    return [e["key"] for e in evs if e["type"] == "Note"]


def edge_exception(key, root, mode):
    """The documented exception: key 0 or 127 whose nearer scale tone lies outside 0..127."""
    pcs = scale_pitch_classes(root, mode)
    outside = [k for k in (key - 2, key - 1, key + 1, key + 2) if not 0 <= k <= 127]
    nearer_inside = [k for k in range(key - 2, key + 3) if 0 <= k <= 127 and k % 12 in pcs]
    return key in (0, 127) and not nearer_inside and any(k % 12 in pcs for k in outside)


def test_music_pipe_rs_octave_jumps_do_not_happen_in_g_major():
    """music-pipe-rs turns 60 into 72 and 71 into 60 in G major; both are in G major."""
    out = keys(snap([note(60), note(71), note(61), note(65)], 7, "major"))
    assert out == [60, 71, 60, 64]  # C# ties C/D, F ties E/F#: both go down
    assert all(abs(a - b) <= 2 for a, b in zip(out, [60, 71, 61, 65]))


def test_at_least_20_scales_and_every_one_listed():
    assert len(SCALES) >= 20
    text = scale_list()
    for name in SCALES:
        assert f"\n{name} " in "\n" + text
    for church in ("major", "dorian", "phrygian", "lydian", "mixolydian", "minor", "locrian"):
        assert church in SCALES
    assert "Ionian" in text and "aeolian" in text and "C D Eb F G A Bb" in text


@settings(max_examples=300, deadline=None)
@given(root=st.integers(0, 11), mode=st.sampled_from(sorted(SCALES) + sorted(SCALE_ALIASES)),
       policy=st.sampled_from(POLICIES),
       stream=st.lists(st.tuples(st.integers(0, 127), st.integers(0, 15)), max_size=60))
def test_property_every_note_lands_in_the_scale_within_2_semitones(root, mode, policy, stream):
    src = [note(k, ch) for k, ch in stream]
    out = list(snap(src, root, mode, snap=policy))
    pcs = scale_pitch_classes(root, mode)
    assert len(out) == len(src)
    for before, after in zip(src, out):
        assert 0 <= after["key"] <= 127
        if before["ch"] == 9:
            assert after is before  # drums untouched
            continue
        assert after["key"] % 12 in pcs
        moved = abs(after["key"] - before["key"])
        assert moved <= 2 or (moved == 3 and edge_exception(before["key"], root, mode))
        if policy == "up" and after["key"] < before["key"]:
            assert not any(before["key"] + d <= 127 and (before["key"] + d) % 12 in pcs
                           for d in (1, 2))


def test_every_root_mode_and_policy_over_the_whole_keyboard():
    """Exhaustive: 12 roots x every scale x 3 policies x 128 keys, including 0 and 127."""
    exceptions = set()
    for mode in SCALES:
        for root in range(12):
            pcs = scale_pitch_classes(root, mode)
            for policy in POLICIES:
                table = snap_table(root, mode, policy)
                for key, new in enumerate(table):
                    assert 0 <= new <= 127 and new % 12 in pcs
                    if abs(new - key) > 2:
                        assert abs(new - key) == 3 and edge_exception(key, root, mode)
                        exceptions.add((mode, key))
                    if key % 12 in pcs:
                        assert new == key
    assert {m for m, _ in exceptions} <= {"hirajoshi", "in-sen", "iwato"}


def test_tie_goes_down_and_up_down_policies():
    # C whole-tone: C# is 1 from C and 1 from D
    assert snap_table(0, "whole-tone")[61] == 60
    assert snap_table(0, "whole-tone", "up")[61] == 62
    assert snap_table(0, "major", "down")[66] == 65
    assert snap_table(0, "major", "up")[66] == 67
    # C hirajoshi (C D Eb G Ab): F is 2 from Eb and 2 from G; E with `up` would move 3 -> Eb
    assert snap_table(0, "hirajoshi")[65] == 63
    assert snap_table(0, "hirajoshi", "up")[64] == 63


def test_drums_and_channels():
    src = [note(61, ch=9), note(61, ch=0), note(61, ch=1)]
    assert keys(snap(src, 0, "major")) == [61, 60, 60]
    assert keys(snap(src, 0, "major", drums=True)) == [60, 60, 60]
    assert keys(snap(src, 0, "major", channels=[1])) == [61, 61, 60]


def test_other_events_and_input_unchanged():
    src = [{"type": "Tempo", "t": 0, "bpm": 90}, note(61), {"type": "Odd", "key": 61}]
    out = list(snap(src, 0, "major"))
    assert out == [src[0], note(60), src[2]] and src[1]["key"] == 61


@pytest.mark.parametrize("root", SHARP_NAMES + FLAT_NAMES + ("Cb", "E#", "B#", "F##", "Bbb"))
def test_sharp_and_flat_roots_on_the_command_line(root):
    stream = jsonl([note(k) for k in range(0, 128)])
    out = keys(events(sh(f"scale --root '{root}' --mode dorian", input=stream).stdout))
    from musicpipe.theory import parse_pitch_class

    pcs = scale_pitch_classes(parse_pitch_class(root), "dorian")
    assert len(out) == 128 and all(k % 12 in pcs for k in out)
    assert all(abs(a - b) <= 2 for a, b in zip(out, range(128)))


def test_pipeline_key_option_and_pairs():
    pairs = (b'{"type":"NoteOn","t":0,"ch":0,"key":61,"vel":80}\n'
             b'{"type":"NoteOff","t":480,"ch":0,"key":61}\n')
    out = events(sh("scale --key 'Bb major'", input=pairs).stdout)
    assert out == [{"type": "Note", "t": 0, "dur": 480, "ch": 0, "key": 60, "vel": 80}]
    riff = events(sh("scale --key Am --snap up < examples/riff.jsonl").stdout)
    assert [n["key"] for n in notes(riff)] == [62, 65, 69, 67, 65, 64, 38, 43, 36, 38]


def test_list_and_bad_options():
    out = sh("scale --list").stdout.decode()
    assert len(out.splitlines()) == len(SCALES)
    for bad in ("--root H", "--mode nope", "--key 'Q minor'", "--snap sideways"):
        proc = sh(f"scale {bad}", check=False)
        assert proc.returncode == 2, bad
        assert len(proc.stderr.decode().strip().splitlines()) == 1, proc.stderr
        assert b"Traceback" not in proc.stderr
    assert b"nope" in sh("scale --mode nope", check=False).stderr

"""euclid: Bjorklund vectors, rotation, chance options, drum kits as one MIDI track."""

import hashlib

import mido
import pytest

from musicpipe.generators.euclid import bjorklund, parse_step, part
from tests.conftest import events, notes, sh


def pattern(pulses, steps, rotation=0):
    return "".join("x" if hit else "." for hit in bjorklund(pulses, steps, rotation))


@pytest.mark.parametrize("pulses, steps, expected", [
    (3, 8, "x..x..x."), (5, 8, "x.xx.xx."), (2, 5, "x.x.."), (4, 9, "x.x.x.x.."),
    (5, 12, "x..x.x..x.x."), (7, 16, "x..x.x.x..x.x.x."), (0, 4, "...."), (4, 4, "xxxx"),
    (1, 3, "x.."),
])
def test_pinned_vectors(pulses, steps, expected):
    assert pattern(pulses, steps) == expected


def test_every_pattern_is_maximally_even():
    """Bjorklund spreads pulses so that gaps differ by at most one step."""
    for steps in range(1, 33):
        for pulses in range(1, steps + 1):
            hits = [i for i, h in enumerate(bjorklund(pulses, steps)) if h]
            gaps = [(hits[(i + 1) % len(hits)] - h) % steps or steps for i, h in enumerate(hits)]
            assert len(hits) == pulses and max(gaps) - min(gaps) <= 1, (pulses, steps)


def test_rotation_shifts_left():
    assert pattern(3, 8, 1) == "..x..x.x"
    assert pattern(3, 8, -1) == ".x..x..x"
    assert pattern(3, 8, 8) == pattern(3, 8)


def test_steps_and_chance():
    assert parse_step("16") == 120 and parse_step("8t") == 160 and parse_step("t90") == 90
    plain = part(pulses=3, steps=8, seed=1)
    assert [n["t"] for n in plain if n["type"] == "Note"] == [0, 360, 720]
    assert plain[-1] == {"type": "End", "t": 960}
    accented = part(pulses=3, steps=8, accent=20, vel=90)
    assert [n["vel"] for n in accented[:-1]] == [110, 90, 90]
    ghosts = part(pulses=2, steps=16, ghost=1.0, vel=90, cycles=2)
    assert len(ghosts) - 1 == 32 and {n["vel"] for n in ghosts[:-1]} == {90, 30}
    assert len(part(pulses=8, steps=8, skip=1.0)) == 1
    varied = part(pulses=16, steps=16, vel_var=10, seed=4, cycles=4)
    assert len({n["vel"] for n in varied[:-1]}) > 5 and all(80 <= n["vel"] <= 110 for n in varied[:-1])
    assert varied == part(pulses=16, steps=16, vel_var=10, seed=4, cycles=4)
    assert varied != part(pulses=16, steps=16, vel_var=10, seed=5, cycles=4)


def test_music_pipe_rs_example_and_golden():
    out = sh("euclid --pulses 3 --steps 8 --note 36 --seed 1").stdout
    assert [(n["t"], n["key"], n["ch"]) for n in notes(events(out))] == [(0, 36, 9), (360, 36, 9), (720, 36, 9)]
    busy = sh("seed 11 | euclid -k 7 -n 16 --note closed-hat --ghost 0.4 --vel-var 9 --skip 0.1 --repeat 4").stdout
    assert busy == sh("seed 11 | euclid -k 7 -n 16 --note closed-hat --ghost 0.4 --vel-var 9 --skip 0.1 --repeat 4").stdout
    assert hashlib.sha256(busy).hexdigest() == GOLDEN


GOLDEN = "875266d59471b74f4ba39b4e2f6ee99ea71b1a1581b8355e3770b186eeb582e5"


def test_layered_kit_is_one_drum_track(tmp_path):
    sh("{ euclid --pulses 4 --steps 16 --note kick --repeat 2 --seed 1; "
       "euclid --pulses 3 --steps 8 --note snare --rotation 2 --repeat 4 --seed 1; "
       "euclid --pulses 7 --steps 16 --note closed-hat --repeat 2 --seed 1; } "
       f"| to-midi --out {tmp_path}/kit.mid")
    mid = mido.MidiFile(tmp_path / "kit.mid")
    tracks = [t for t in mid.tracks if any(m.type == "note_on" for m in t)]
    assert len(tracks) == 1
    ons = [m for m in tracks[0] if m.type == "note_on" and m.velocity]
    assert {m.channel for m in ons} == {9}
    assert sorted({m.note for m in ons}) == [36, 38, 42]
    assert len(ons) == 8 + 12 + 14


@pytest.mark.parametrize("args, needle", [
    ("--pulses 9 --steps 8", b"9 pulses do not fit in 8 steps"),
    ("--pulses 3 --steps 0", b"--steps"),
    ("--pulses 3 --steps 8 --note cowbel", b"unknown drum 'cowbel'"),
    ("--pulses 3 --steps 8 --step 12", b"step '12'"),
    ("--steps 8", b"--pulses"),
])
def test_bad_options_are_one_line_exit_2(args, needle):
    proc = sh(f"euclid {args}", check=False)
    assert proc.returncode == 2 and needle in proc.stderr, proc.stderr
    assert len(proc.stderr.splitlines()) == 1

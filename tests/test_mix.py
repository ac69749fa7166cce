"""mix: controllers written into the stream, kept in the .mid (read with mido), and heard in
the render; the mix library's conversions; mood layers' mix fields."""

import mido
import numpy as np
import pytest
import soundfile

from musicpipe.audio import mixing as mix
from musicpipe.moods.packs import Library
from tests.conftest import events, jsonl, sh

PHRASE = [{"type": "Seed", "seed": 1}, {"type": "Tempo", "t": 0, "bpm": 120},
          {"type": "ControlChange", "t": 0, "ch": 0, "cc": 7, "value": 30}] + [
    {"type": "Note", "t": i * 480, "dur": 480, "ch": 0, "key": 60 + (i % 3) * 4, "vel": 90}
    for i in range(4)] + [{"type": "End", "t": 1920}]


def ccs(evs, ch=0):
    return [(e["t"], e["cc"], e["value"]) for e in evs if e["type"] == "ControlChange" and e["ch"] == ch]


def test_levels_pans_and_curves_convert_the_way_the_synth_reads_them():
    assert [mix.level_cc(db) for db in (0, -4.2, -6, -12, -60)] == [127, 100, 90, 64, 4]
    assert [mix.pan_cc(mix.parse_pan(p)) for p in (-1, "L", "L30", "C", 0.5, "R", "right")] == [
        0, 0, 45, 64, 96, 127, 127]
    assert mix.parse_curve("40>127>60") == [40, 127, 60] and mix.parse_curve(100) == [100]
    for bad in ("X", 2, "L300"):
        with pytest.raises(ValueError):
            mix.parse_pan(bad)
    with pytest.raises(ValueError):
        mix.level_cc(3)


def test_the_stage_writes_the_controllers_after_the_seed_and_replaces_old_ones():
    out = events(sh("mix --ch 0 --ch 2 --level -6 --pan -0.3 --reverb 40 --chorus 0",
                    input=jsonl(PHRASE)).stdout)
    assert out[0] == {"type": "Seed", "seed": 1}
    assert ccs(out) == [(0, 7, 90), (0, 10, 45), (0, 91, 40), (0, 93, 0)]  # the CC 7 30 is gone
    assert ccs(out, 2) == ccs(out)
    assert [e for e in out if e["type"] == "Note"] == [e for e in PHRASE if e["type"] == "Note"]


def test_role_defaults_with_options_winning():
    out = events(sh("mix --ch 0 --role lead --reverb 5", input=jsonl(PHRASE)).stdout)
    assert ccs(out) == [(0, 7, mix.level_cc(mix.ROLES["lead"]["level"])), (0, 10, 64), (0, 91, 5),
                        (0, 93, 0)]


def test_expression_curve_and_pedalling_span_the_piece():
    out = events(sh("mix --ch 0 --expression '40>127' --sustain 2", input=jsonl(PHRASE)).stdout)
    expr = [(t, v) for t, cc, v in ccs(out) if cc == 11]
    assert expr[0] == (0, 40) and expr[-1] == (1920, 127)
    assert [v for _, v in expr] == sorted(v for _, v in expr)
    pedal = [(t, v) for t, cc, v in ccs(out) if cc == 64]
    assert pedal == [(0, 127), (960, 0), (960 + mix.PEDAL_LIFT, 127), (1920, 0)]


def test_bad_options_are_usage_errors():
    for args in ("--ch 0", "--ch 0 --pan middle-ish", "--ch 0 --expression '40>200'", "--level -6"):
        proc = sh(f"mix {args}", input=jsonl(PHRASE), check=False)
        assert proc.returncode == 2 and len(proc.stderr.splitlines()) == 1, (args, proc.stderr)


def test_to_midi_keeps_the_mix_and_the_render_plays_it(tmp_path):
    sh(f"mix --ch 0 --level -3 --pan L --reverb 0 | to-midi --out {tmp_path}/m.mid",
       input=jsonl(PHRASE))
    got = [(m.control, m.value) for t in mido.MidiFile(tmp_path / "m.mid").tracks for m in t
           if m.type == "control_change"]
    assert got == [(7, mix.level_cc(-3)), (10, 0), (91, 0)]

    flute = [{"type": "ProgramChange", "t": 0, "ch": 0, "program": 73}] + [
        e for e in PHRASE if e["type"] != "ControlChange"]  # a mono sample: pan moves all of it

    def render(args):
        sh(f"mix --ch 0 --reverb 0 --chorus 0 {args} | to-wav --out {tmp_path}/r.wav --length 2", input=jsonl(flute))
        return soundfile.read(tmp_path / "r.wav")[0]

    def rms(x):
        return 20 * np.log10(np.sqrt((x ** 2).mean()))

    centre, left, right = render("--pan C"), render("--pan L"), render("--pan R")
    quiet = render("--pan C --level -12")
    # measured: CC 10 moves this FluidR3 flute by some 7 dB between the sides, not all the way
    assert rms(left[:, 0]) - rms(left[:, 1]) > 5 and rms(right[:, 1]) - rms(right[:, 0]) > 5
    assert abs(rms(centre[:, 0]) - rms(centre[:, 1])) < 3
    loud = render("--pan C --level 0")
    assert rms(loud) - rms(quiet) == pytest.approx(12, abs=0.5)


def test_mood_layers_get_a_mix_from_their_fields_or_their_role(tmp_path):
    pack = tmp_path / "p.toml"
    pack.write_text('[[moods]]\nname = "duo"\ntempo = 120\n'
                    '[[moods.layers]]\nname = "melody"\ngenerator = "motif"\ninstruments = "flute"\n'
                    'level = -3\npan = "R40"\nreverb = 7\nexpression = "60>127"\n'
                    '[[moods.layers]]\nname = "keys"\npattern = "comping"\ninstruments = "piano"\n'
                    '[[moods.layers]]\nname = "bass"\ngenerator = "bass"\ninstruments = "synth-bass"\n')
    out = events(sh(f"mood duo --pack {pack} --duration 4 --seed 1").stdout)
    melody, keys, bass = ccs(out, 0), ccs(out, 1), ccs(out, 2)
    trim = {p: mix.trim(p, 0) for p in (73, 0, 38)}
    assert (0, 7, mix.level_cc(-3 + trim[73])) in melody and (0, 10, mix.pan_cc(0.4)) in melody
    assert (0, 91, 7) in melody and (0, 11, 60) in melody and melody[-1][1:] == (11, 127)
    assert (0, 10, mix.pan_cc(-mix.SIDE_PAN)) in keys and (0, 64, 127) in keys  # a piano: pedalled
    assert (0, 10, 64) in bass and (0, 93, 0) in bass and not [c for c in bass if c[1] == 64]
    bad = tmp_path / "bad.toml"
    bad.write_text('[[moods]]\nname = "b"\n[[moods.layers]]\nname = "x"\npan = "up"\n')
    assert "pan" in Library([str(bad)]).errors()[0]

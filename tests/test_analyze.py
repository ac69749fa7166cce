"""analyze: each measure on streams whose answer is known, and the stage through real pipes."""

from __future__ import annotations

import math

import orjson
import pytest

from musicpipe.analyze import (Piece, analyze, entropy, estimate_key, loop_similarity,
                               melody_measures, pitch_classes, polyphony, scale_consistency)
from tests.conftest import events, jsonl, sh

BAR = 1920


def n(t, dur, key, ch=0, vel=80):
    return {"type": "Note", "t": t, "dur": dur, "ch": ch, "key": key, "vel": vel}


def tuples(evs):
    return [(e["t"], e["dur"], e["ch"], e["key"], e["vel"]) for e in evs]


def test_pitch_class_entropy_and_scale_consistency():
    one = tuples([n(i * 480, 480, 60 + 12 * (i % 3)) for i in range(6)])
    assert entropy(pitch_classes(one)) == 0.0
    chromatic = tuples([n(i * 480, 480, 60 + i) for i in range(12)])
    assert entropy(pitch_classes(chromatic)) == pytest.approx(math.log2(12))
    assert scale_consistency(pitch_classes(chromatic)) == pytest.approx(7 / 12)
    c_major = tuples([n(i * 480, 480, k) for i, k in enumerate((60, 62, 64, 65, 67, 69, 71))])
    assert scale_consistency(pitch_classes(c_major)) == 1.0


@pytest.mark.parametrize("keys, durs, want", [
    ((60, 62, 64, 65, 67, 69, 71, 72, 67, 64, 60), (960, 240, 240, 240, 960, 240, 240, 960, 480, 480, 1920), (0, "major")),
    ((57, 59, 60, 62, 64, 65, 68, 69, 64, 60, 57), (960, 240, 240, 240, 960, 240, 240, 960, 480, 480, 1920), (9, "minor")),
])
def test_key_estimate(keys, durs, want):
    t, notes = 0, []
    for k, d in zip(keys, durs):
        notes.append(n(t, d, k))
        t += d
    root, mode, r = estimate_key(tuples(notes))
    assert (root, mode) == want and r > 0.6


def test_polyphony_counts_notes_sounding_where_any_sound():
    assert polyphony(tuples([n(0, BAR, 60), n(0, BAR, 64), n(0, BAR, 67)])) == 3.0
    assert polyphony(tuples([n(i * 480, 480, 60) for i in range(8)])) == 1.0
    # a bar of one note, a bar of two: 1.5; silence between them does not count
    assert polyphony(tuples([n(0, BAR, 60), n(2 * BAR, BAR, 60), n(2 * BAR, BAR, 64)])) == 1.5


def test_melody_steps_leaps_and_what_buries_it():
    line = [n(i * 480, 480, k) for i, k in enumerate((60, 62, 64, 76, 74, 74))]
    pad = [n(0, 960, 55, ch=1), n(960, 960, 64, ch=1), n(1920, 960, 76, ch=1)]
    m = melody_measures(Piece(line + pad).finish(), 0)
    assert (m["steps"], m["leaps_over_7"], m["repeats"]) == (0.6, 0.2, 0.2)
    # buried: E4 on the pad's E4 (a unison), then both D5s under its E5; not C4, D4 (pad G3), E5
    assert m["buried"] == 0.5 and m["unison"] == pytest.approx(1 / 6, abs=0.001)


def test_loop_similarity_finds_the_loop_length():
    """Bars alternating C and F major repeat every 2 bars whatever the melody does; a piece
    that climbs a semitone a bar never repeats."""
    chords = ((60, 64, 67), (65, 69, 72))
    loop = [n(b * BAR, BAR, k) for b in range(8) for k in chords[b % 2]]
    loop += [n(b * BAR + 480 * i, 480, 76 + (b * 3 + i) % 5, ch=1) for b in range(8) for i in range(4)]
    rep = loop_similarity(Piece(loop).finish())
    assert rep["lag"] == 2 and rep["similarity"] > 0.95 and rep["by_lag"]["1"] < 0.8, rep
    climb = [n(b * BAR, BAR, k + b) for b in range(8) for k in chords[0]]
    assert loop_similarity(Piece(climb).finish())["similarity"] < 0.7


def closing(end_t=4 * BAR, melody_key=72, drums=((3 * BAR, 49), (3 * BAR, 36)), extra=()):
    """Three bars of C major, then a final C chord from bar 4 to ``end_t``."""
    evs = [{"type": "KeySig", "t": 0, "key": "C", "mode": "major"}]
    for b, chord in enumerate(((0, 4, 7), (5, 9, 0), (7, 11, 2))):
        evs += [n(b * BAR, BAR, 48 + pc, ch=1) for pc in chord] + [n(b * BAR, BAR, 76 - b, ch=0)]
    final = 3 * BAR
    evs += [n(final, end_t - final, k, ch=1) for k in (48, 52, 55)] + [n(final, end_t - final, melody_key)]
    evs += [n(t, 120, k, ch=9) for t, k in drums] + list(extra)
    return evs + [{"type": "End", "t": end_t}]


def test_a_cadenced_ending_passes_every_check():
    end = analyze(closing(), melody=0)["ending"]
    assert end["final_onset_on_bar"] and end["final_chord_tonic"] and end["melody_last_tonic_chord"]
    assert end["melody_last_beats"] == 4.0 and end["drum_hits_final_bar"] == 1
    assert end["blips_last_beat"] == 0 and end["onsets_last_eighth_beat"] == 0


def test_endings_cut_off_are_caught():
    blip = closing(extra=[n(4 * BAR - 5, 5, 62)])
    end = analyze(blip, melody=0)["ending"]
    assert not end["final_onset_on_bar"] and end["blips_last_beat"] == 1
    assert end["onsets_last_eighth_beat"] == 1
    wrong = analyze(closing(melody_key=74), melody=0)["ending"]  # D over the C chord
    assert not wrong["melody_last_tonic_chord"] and wrong["final_chord_tonic"]
    busy = analyze(closing(drums=[(3 * BAR + i * 240, 42) for i in range(4)]), melody=0)["ending"]
    assert busy["drum_hits_final_bar"] == 4
    dominant = [e for e in closing() if not (e["type"] == "Note" and e["t"] == 3 * BAR and e["ch"] == 1)]
    dominant += [n(3 * BAR, BAR, k, ch=1) for k in (43, 47, 50)]
    assert not analyze(dominant, melody=0)["ending"]["final_chord_tonic"]


def test_the_key_given_wins_over_the_keysig_and_the_estimate():
    evs = closing()
    assert analyze(evs)["key"] == "C"
    assert analyze(evs, key=(9, "minor"))["key"] == "Am"
    assert not analyze(evs, key=(9, "minor"))["ending"]["final_chord_tonic"]


def test_the_melody_is_found_by_name_else_by_register():
    evs = closing()
    assert analyze(evs)["melody"]["ch"] == 0  # the highest single line
    named = [{"type": "Marker", "t": 0, "ch": 1, "text": "Lead synth"}] + evs
    assert analyze(named)["melody"]["ch"] == 1


def test_stage_passes_bytes_through_and_reports_on_stderr():
    stream = jsonl(closing())
    proc = sh("analyze", input=stream)
    assert proc.stdout == stream
    err = proc.stderr.decode()
    assert "key C" in err and "tonic chord yes" in err and "melody" in err


def test_json_report_to_stdout_or_a_file(tmp_path):
    stream = jsonl(closing())
    report = orjson.loads(sh("analyze --json - --melody 0", input=stream).stdout)
    assert report["ending"]["final_chord_tonic"] and report["melody"]["ch"] == 0
    proc = sh(f"analyze --json {tmp_path / 'r.json'} --key Am", input=stream)
    assert proc.stdout == stream
    assert orjson.loads((tmp_path / "r.json").read_bytes())["key"] == "Am"


def test_a_mood_through_analyze_in_a_pipeline(tmp_path):
    proc = sh(f"mood jazz --duration 12 --seed 4 | analyze --json {tmp_path / 'j.json'} | "
              f"to-midi --out {tmp_path / 'j.mid'}")
    report = orjson.loads((tmp_path / "j.json").read_bytes())
    assert report["key"] == "Bb" and report["seconds"] == 12.0
    assert (tmp_path / "j.mid").stat().st_size > 200 and b"analyze:" in proc.stderr


def test_loudness_of_a_rendered_wav(tmp_path):
    wav = tmp_path / "c.wav"
    sh(f"mood calm --duration 6 --seed 2 --out {wav}")
    report = orjson.loads(sh(f"mood calm --duration 6 --seed 2 | analyze --wav {wav} --json -").stdout)
    loud = report["loudness"]
    assert loud["integrated_lufs"] == pytest.approx(-16.0, abs=0.5)  # mood WAVs: -16 LUFS
    assert loud["true_peak_dbtp"] <= -0.99 and loud["last_second_lufs"] <= loud["loudest_second_lufs"]


def test_bad_input_keeps_the_good_lines_and_exits_65():
    good = jsonl(closing()[:3])
    proc = sh("analyze", input=good + b'{"type":"Note","t":-1}\n', check=False)
    assert proc.returncode == 65 and proc.stdout.startswith(good)
    assert events(proc.stdout[len(good):]) == [{"type": "Abort", "stage": "analyze", "message":
                                                'line 4: Note is missing field "dur" (1..2147483647)'}]
    assert b"line 4" in proc.stderr and len(proc.stderr.splitlines()) == 1


def test_empty_input_reports_nothing_to_measure():
    proc = sh("analyze --json -", input=b"")
    assert orjson.loads(proc.stdout)["notes"] == 0
    assert events(sh("analyze", input=b"").stdout) == []

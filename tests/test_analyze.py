"""analyze: each measure on streams whose answer is known, and the stage through real pipes."""

from __future__ import annotations

import math
import sys

import orjson
import pytest

from musicpipe import longform
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


# --- over minutes (issue 22): musicpipe.longform ---------------------------------------------

def chord(t, name, dur=BAR):
    return {"type": "Chord", "t": t, "dur": dur, "root": name[0], "quality": "", "name": name}


def piece(evs):
    """A Piece that lasts until its last Chord or note ends."""
    end = max(e["t"] + e["dur"] for e in evs if "dur" in e)
    return Piece(evs + [{"type": "End", "t": end}]).finish()


def test_chord_loop_from_chord_events_period_4_then_8():
    """C F G C five times (20 bars), then four other bars: a 20-bar loop of period 4 from bar
    1. An 8-bar loop played twice, then a bar off it: 16 bars of period 8."""
    four = [chord(b * BAR, "CFGC"[b % 4]) for b in range(20)]
    four += [chord((20 + b) * BAR, "ABDE"[b]) for b in range(4)]
    assert longform.chord_loop(longform.beat_chords(piece(four), None)) == \
        {"bars": 20, "period": 4, "start_bar": 1}
    eight = [chord(b * BAR, "CFGCAEDG"[b % 8]) for b in range(16)] + [chord(16 * BAR, "B")]
    assert longform.chord_loop(longform.beat_chords(piece(eight), None))["bars"] == 16
    assert longform.chord_loop(longform.beat_chords(piece(eight), None))["period"] == 8
    one_pass = [chord(b * BAR, "CFGCAEDG"[b]) for b in range(8)]  # never repeats
    assert longform.chord_loop(longform.beat_chords(piece(one_pass), None))["bars"] == 0


def test_chord_loop_reads_two_chords_a_bar_by_beat():
    """Bars of C C F F and C C G G alternate: every bar differs from its neighbour, but the
    4-bar period holds over all 12 bars."""
    evs = [chord(b * BAR + h * 960, ("C", "FG"[b % 2])[h], 960) for b in range(12) for h in range(2)]
    rows = longform.beat_chords(piece(evs), None)
    assert rows[0] == ["C", "C", "F", "F"] and rows[1] == ["C", "C", "G", "G"]
    assert longform.chord_loop(rows) == {"bars": 12, "period": 4, "start_bar": 1}


def test_chord_loop_inferred_from_the_accompaniment_not_the_melody():
    """No Chord events: the pad's held triads (C F G C, 3 times) make the loop; the melody,
    new every bar, and a passing note shorter than a quarter of a beat do not break it."""
    triads = {"C": (48, 52, 55), "F": (53, 57, 60), "G": (55, 59, 62)}
    evs = [n(b * BAR, BAR, k, ch=1) for b in range(12) for k in triads["CFGC"[b % 4]]]
    evs += [n(b * BAR, 480, 72 + b, ch=0) for b in range(12)]
    evs += [n(5 * BAR + 100, 60, 61, ch=1)]  # 60 ticks of C#: under a quarter of the beat
    rows = longform.beat_chords(piece(evs), 0)
    assert rows[0] == [(0, 4, 7)] * 4 and rows[1] == [(0, 5, 9)] * 4
    assert longform.chord_loop(rows) == {"bars": 12, "period": 4, "start_bar": 1}
    assert longform.chord_loop(longform.beat_chords(piece(evs), None))["bars"] == 0  # melody in


def test_melody_repeats_after_the_first_minute():
    """120 BPM 4/4: a bar is 2 s, the first minute 30 bars. Bars 1-30 each play another note;
    of the 10 bars after, 6 replay an earlier bar (one 10 ticks late: humanize's jitter), 4
    play new notes, and an empty bar is not counted."""
    evs = [{"type": "Tempo", "t": 0, "bpm": 120.0}]
    evs += [n(b * BAR, 480, 40 + b) for b in range(30)]
    evs += [n(b * BAR + (10 if b == 31 else 0), 480, 40 + b - 30) for b in range(30, 36)]
    evs += [n(b * BAR, 480, 90 + b - 36) for b in range(36, 40)]
    evs += [{"type": "End", "t": 41 * BAR}]  # bar 41 is empty
    assert longform.melody_repeats(piece(evs), 0) == {"share": 0.6, "bars": 10}
    late = [e if e.get("t") != 32 * BAR else dict(e, t=32 * BAR + 240) for e in evs]
    assert longform.melody_repeats(piece(late), 0)["share"] == 0.5  # an eighth late: new
    assert longform.melody_repeats(piece(evs[:20]), 0)["share"] is None  # under a minute


def test_density_over_8_bar_blocks_and_its_variation():
    """Two notes a bar for 8 bars, six for 8 more: blocks 2 and 6 notes a bar, cv 2/4 = 0.5;
    the 3 bars after (not a whole block) are not counted."""
    evs = [n(b * BAR + i * 240, 240, 60, ch=b % 3) for b in range(8) for i in range(2)]
    evs += [n(b * BAR + i * 240, 240, 60) for b in range(8, 16) for i in range(6)]
    evs += [n(b * BAR + i * 60, 60, 60) for b in range(16, 19) for i in range(30)]
    assert longform.density(piece(evs)) == {"block_bars": 8, "notes_per_bar": [2.0, 6.0], "cv": 0.5}
    assert longform.density(piece(evs[:16]))["cv"] is None  # one block


def test_melody_range_and_top_note_per_minute():
    """30 s of melody (120 BPM): C D E G E G C, range 7, the top G twice: 4 a minute."""
    evs = [n(i * BAR * 2, 480, k) for i, k in enumerate((60, 62, 64, 67, 64, 67, 60))]
    evs += [{"type": "End", "t": 15 * BAR}]
    report = analyze(evs, melody=0)["form"]["melody_arc"]
    assert report == {"range": 7, "top_hits": 2, "top_per_minute": 4.0}


def test_pitches_sounding_counts_distinct_pitches_where_any_sound():
    """A bar of C and E (C doubled on another channel: still 2 pitches), a silent bar, a bar
    of one note: (2 + 1) / 2 bars = 1.5; drums do not count in a piece's figure."""
    evs = [n(0, BAR, 60), n(0, BAR, 64), n(0, BAR, 60, ch=1), n(2 * BAR, BAR, 67)]
    assert longform.pitches_sounding(tuples(evs)) == 1.5
    assert analyze(evs + [n(BAR, BAR, 36, ch=9)])["form"]["pitches_sounding"] == 1.5
    assert longform.pitches_sounding(tuples([n(0, 960, 60), n(480, 960, 64)])) == pytest.approx(1.33, abs=0.01)


def test_chromatic_share_and_the_leading_tone_in_minor():
    """In D minor, B and C# (its raised 6th and 7th) belong to the key; Eb does not: 1 of 10
    notes. C# is the leading tone; a major key has none to report."""
    keys = (62, 64, 65, 67, 69, 70, 72, 73, 71, 63)  # D E F G A Bb C C# B Eb
    notes = tuples([n(i * 480, 480, k) for i, k in enumerate(keys)])
    assert longform.colour(notes, (2, "minor")) == {"chromatic_share": 0.1, "leading_tone_notes": 1}
    no_lt = [x for x in notes if x[3] != 73]
    assert longform.colour(no_lt, (2, "minor"))["leading_tone_notes"] == 0
    assert longform.colour(notes, (2, "dorian"))["leading_tone_notes"] == 1
    c_major = longform.colour(notes, (0, "major"))
    assert c_major["leading_tone_notes"] is None and c_major["chromatic_share"] == 0.3  # C# Bb Eb


def test_compare_two_pieces_by_beat_bar_and_onset():
    """A: chords C C F F, bass bars X X Y Y, melody C D E F on beats. B: chords C G F F (12 of
    16 beats the same), bass X Z Y W (2 of 4 bars in A), melody onsets 0, 490 (10 ticks off),
    1000 (40 off: another onset), 1440: 3 of A's 4 kept; of A's 3 steps, only the first is
    made by the same interval in B."""
    x, y = (36, 43), (41, 48)
    z, w = (38, 45), (36, 45)

    def song(chords, bass, melody):
        evs = [chord(b * BAR, c) for b, c in enumerate(chords)]
        evs += [n(b * BAR + i * 960, 960, k, ch=1) for b, bar in enumerate(bass) for i, k in enumerate(bar)]
        return evs + [n(t, 400, k, ch=0) for t, k in melody]

    a = song("CCFF", (x, x, y, y), ((0, 60), (480, 62), (960, 64), (1440, 65)))
    b = song("CGFF", (x, z, y, w), ((0, 62), (490, 64), (1000, 70), (1440, 67)))
    shared = analyze(b, melody=0, compare=a)["compare"]
    assert shared == {"chords_per_beat": 0.75, "beats": 16, "accompaniment_bars": 0.5, "bars": 4,
                      "melody_onsets": 0.75, "onsets": 4, "melody_intervals": 0.333}
    up = [dict(e, key=e["key"] + 2) if e["type"] == "Note" else e for e in a]  # a tone up
    shared = analyze(up, melody=0, compare=a)["compare"]
    assert shared["melody_onsets"] == 1.0 and shared["melody_intervals"] == 1.0
    assert shared["accompaniment_bars"] == 0.0  # every bass note moved


def test_stage_reports_form_and_compares_through_pipes(tmp_path):
    a = tmp_path / "a.jsonl"
    a.write_bytes(sh("mood upbeat --duration 70 --seed 1").stdout)
    proc = sh(f"mood upbeat --duration 70 --seed 1 --key D | analyze --compare {a} --json - --melody 0")
    report = orjson.loads(proc.stdout)
    assert report["compare"]["melody_onsets"] == 1.0 and report["compare"]["melody_intervals"] >= 0.3
    assert report["form"]["melody_repeats"]["bars"] > 0 and report["form"]["chord_loop"]["bars"] >= 0
    err = sh(f"mood upbeat --duration 70 --seed 2 | analyze --compare {a}").stderr.decode()
    assert "form: longest chord loop" in err and "compare: same chord on" in err


def test_a_bad_compare_file_is_one_line_naming_it(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(jsonl(closing()[:2]) + b'{"type":"Note","t":0}\n')
    proc = sh(f"analyze --compare {bad} --json -", input=jsonl(closing()), check=False)
    assert proc.returncode == 65 and len(proc.stderr.splitlines()) == 1
    assert f"--compare {bad}: line 3".encode() in proc.stderr
    missing = sh(f"analyze --compare {tmp_path / 'none.jsonl'}", input=b"", check=False)
    assert missing.returncode == 2


def test_the_long_form_table_prints_for_a_mood():
    """`python -m tests.formcheck NAME` (docs/longform.md): every table, with pass marks."""
    out = sh(f"{sys.executable} -m tests.formcheck calm").stdout.decode()
    assert out.startswith("### Summary") and out.count("| calm") == 5
    assert "longest chord loop" in out and "--key a tone up" in out and ("✓" in out or "✗" in out)


def test_compare_in_process_a_piece_with_itself(tmp_path):
    from click.testing import CliRunner

    from musicpipe.stages.analyze import command

    (tmp_path / "a.jsonl").write_bytes(jsonl(closing()))
    result = CliRunner().invoke(command, ["--compare", str(tmp_path / "a.jsonl"), "--json", "-"],
                                input=jsonl(closing()))
    assert result.exit_code == 0, result.output
    shared = orjson.loads(result.stdout_bytes)["compare"]
    assert shared["accompaniment_bars"] == shared["melody_onsets"] == shared["melody_intervals"] == 1.0
    assert shared["chords_per_beat"] == 1.0 and shared["beats"] == 16  # chords of the pad, inferred

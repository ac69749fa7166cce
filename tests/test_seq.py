"""seq as a real process: notation to notes, placement, errors, MIDI."""

import mido
import pytest

from tests.conftest import events, notes, sh


def test_music_pipe_rs_example_with_tempo():
    out = events(sh('seq "C4/4 D4/8 E4/8 R/4 G4/2" --bpm 120 --seed 1').stdout)
    assert out[:2] == [{"type": "Seed", "seed": 1}, {"type": "Tempo", "t": 0, "bpm": 120.0}]
    assert [(n["t"], n["dur"], n["key"]) for n in notes(out)] == [
        (0, 480, 60), (480, 240, 62), (720, 240, 64), (1440, 960, 67)]


def test_no_tempo_unless_asked_and_same_bytes_every_run():
    first = sh('seq "C4/4 [E4,G4]/2" --seed 3').stdout
    assert b"Tempo" not in first
    assert sh('seq "C4/4 [E4,G4]/2" --seed 3').stdout == first


def test_input_passes_through_then_the_part_follows():
    out = events(sh('seed 4 | seq "C4/4" | seq "D4/4" --ch 1 --patch bass --name Bass').stdout)
    assert out[0] == {"type": "Seed", "seed": 4}
    assert [(e["type"], e.get("ch")) for e in out[1:]] == [
        ("Note", 0), ("Marker", 1), ("ProgramChange", 1), ("Note", 1)]
    assert out[3]["program"] == 33 and out[2]["text"] == "Bass"


def test_repeat_keeps_trailing_rests_and_at_counts_bars():
    out = notes(events(sh('seq "C4/4 R/2" --repeat 3 --at 2bars --seed 1').stdout))
    assert [n["t"] for n in out] == [3840, 3840 + 1440, 3840 + 2880]
    out = notes(events(sh('seq "C4/4" --at 1.5 --seed 1').stdout))
    assert out[0]["t"] == 720


def test_at_in_bars_follows_the_streams_time_signature():
    src = b'{"type":"TimeSig","t":0,"num":3,"den":4}\n'
    out = notes(events(sh('seq "C4/4" --at 2bars --seed 1', input=src).stdout))
    assert out[0]["t"] == 2880


def test_file_with_comments_and_bar_checks(tmp_path):
    score = tmp_path / "score.txt"
    score.write_text("# waltz\nC4/2 E4/4 | G4/2. |\n")
    out = notes(events(sh(f"seq --file {score} --check-bars --time-sig 3/4 --seed 1").stdout))
    assert [n["key"] for n in out] == [60, 64, 67]
    proc = sh(f"seq --file {score} --check-bars --seed 1", check=False)
    assert proc.returncode == 2 and b"bar 1 lasts 1440 ticks, not 1920" in proc.stderr


@pytest.mark.parametrize("args, needle", [
    ('"C4/4 D4/0"', b"column 6: duration /0"),
    ('"C4/4 X4"', b"token 2 'X4' at column 6"),
    ('"C4/4 130/4"', b"token 2 '130/4'"),
    ('""', b"no notes or rests"),
    ("", b"no notes or rests"),
    ('"C4" --time-sig 3/5 --check-bars', b"power of 2"),
])
def test_errors_are_one_line_exit_2(args, needle):
    proc = sh(f"seq {args}", check=False)
    err = proc.stderr.decode().strip().splitlines()
    assert proc.returncode == 2 and len(err) == 1 and needle in proc.stderr, proc.stderr
    abort, = events(proc.stdout)  # the pipe's next stage learns that seq failed
    assert abort["type"] == "Abort" and abort["stage"] == "seq" and needle.decode() in abort["message"]


def test_numbers_only_is_still_coreutils_seq():
    assert sh("seq 2 4").stdout == b"2\n3\n4\n"
    assert notes(events(sh('seq "60/4" --seed 1').stdout))[0]["key"] == 60


def test_seq_to_midi_through_pipes(tmp_path):
    sh(f'seed 1 | seq "C4/4 D4/4 | [C4,E4,G4]/2" --bpm 90 --patch strings | to-midi --out {tmp_path}/s.mid')
    mid = mido.MidiFile(tmp_path / "s.mid")
    ons = [m for tr in mid.tracks for m in tr if m.type == "note_on" and m.velocity]
    assert sorted(m.note for m in ons) == [60, 60, 62, 64, 67]
    assert any(m.type == "program_change" and m.program == 48 for tr in mid.tracks for m in tr)


def test_from_midi_notation_feeds_seq(tmp_path):
    sh(f'seed 2 | motif --notes 12 --dur 8 | to-midi --out {tmp_path}/m.mid')
    text = sh(f"from-midi --notation --ch 0 {tmp_path}/m.mid").stdout.decode().strip()
    again = notes(events(sh(f'seq "{text}" --seed 2 --vel 90').stdout))
    orig = notes(events(sh(f"from-midi {tmp_path}/m.mid").stdout))
    assert [(n["t"], n["key"], n["vel"]) for n in again] == [(n["t"], n["key"], n["vel"]) for n in orig]

"""click: a metronome part following the stream's meter and tempo, through real pipes."""

from __future__ import annotations

import mido

from tests.conftest import events, notes, sh


def clicks(evs):
    return [(n["t"], n["key"], n["vel"]) for n in notes(evs) if n["ch"] == 9]


def test_accented_downbeats_follow_time_signature_changes_up_to_the_end():
    src = ('{"type":"TimeSig","t":0,"num":3,"den":4}\n{"type":"TimeSig","t":1440,"num":6,"den":8}\n'
           '{"type":"Note","t":0,"dur":100,"ch":0,"key":60,"vel":80}\n{"type":"End","t":2880}\n')
    out = events(sh("click", input=src).stdout)
    assert clicks(out) == [(0, 76, 120), (480, 77, 90), (960, 77, 90)] + \
        [(1440 + 240 * k, 76 if k == 0 else 77, 120 if k == 0 else 90) for k in range(6)]
    assert {"type": "Marker", "t": 0, "ch": 9, "text": "Click"} in out
    assert out[:4] == events(src)  # the stream passes through first


def test_without_an_end_it_clicks_to_the_bar_after_the_last_note_and_bars_sets_the_length():
    out = events(sh('seq "C4/1 C4/2"', input=None).stdout + sh('seq "C4/1 C4/2" | click').stdout)
    assert [t for t, _, _ in clicks(out)] == list(range(0, 3840, 480))
    four = events(sh("seed 1 | click --bars 2 --time-sig 6/8 --note side-stick --accent cowbell",
                     input=None).stdout)
    assert clicks(four)[:2] == [(0, 56, 120), (240, 37, 90)] and len(clicks(four)) == 12


def test_a_chosen_channel_and_key_and_the_midi_file_keeps_the_tempo_map(tmp_path):
    out = events(sh("seed 1 | motif --bars 2 --seed 2 | click --ch 15 --note C6 --accent G6").stdout)
    assert {(n["key"], n["vel"]) for n in notes(out) if n["ch"] == 15} == {(84, 90), (91, 120)}
    sh(f"seed 1 | motif --bars 2 --seed 2 | rubato --seed 1 | click | to-midi --out {tmp_path}/c.mid")
    mid = mido.MidiFile(tmp_path / "c.mid")
    names = [m.name for t in mid.tracks for m in t if m.type == "track_name"]
    assert "Click" in names and len([m for m in mid.tracks[0] if m.type == "set_tempo"]) == 8


def test_nothing_to_click_along_is_a_usage_error():
    proc = sh("seed 1 | click", check=False)
    assert proc.returncode == 2 and b"--bars" in proc.stderr and len(proc.stderr.splitlines()) == 1

"""concat, merge, loop, section: songs from parts, through real pipes and in-process."""

from __future__ import annotations

import mido
import pytest

from musicpipe.transforms.assemble import concat, loop, merge, section
from tests.conftest import events, midi_meter, notes, sh


def n(t, dur=480, key=60, ch=0):
    return {"type": "Note", "t": t, "dur": dur, "ch": ch, "key": key, "vel": 90}


def test_concat_places_each_part_where_the_last_one_ends():
    a = [{"type": "Seed", "seed": 1}, n(0, 1920), {"type": "End", "t": 1920}]
    b = [{"type": "Seed", "seed": 2}, n(0, 500)]  # no End: its note rounded up to the bar
    c = [n(0, 240, 64)]
    out = list(concat([a, b, c]))
    assert out[0] == {"type": "Seed", "seed": 1} and [e["t"] for e in notes(out)] == [0, 1920, 3840]
    assert out[-1] == {"type": "End", "t": 5760} and sum(e["type"] == "End" for e in out) == 1


def test_conflicting_settings_at_one_tick_keep_the_first():
    a = [{"type": "Tempo", "t": 0, "bpm": 100}, {"type": "Tempo", "t": 0, "bpm": 100}, n(0)]
    b = [{"type": "Tempo", "t": 0, "bpm": 140}, n(0)]
    stats: dict = {}
    out = list(merge([a, b], stats))
    assert [e["bpm"] for e in out if e["type"] == "Tempo"] == [100] and stats["conflicts"] == 1
    stats = {}
    out = list(concat([a, b], stats))  # in a row there is no conflict: b's tempo is at bar 2
    assert [(e["t"], e["bpm"]) for e in out if e["type"] == "Tempo"][-1] == (1920, 140)
    assert stats["conflicts"] == 0


def test_loop_times_and_bars():
    part = [n(0), n(480, 480, 62), {"type": "End", "t": 960}]
    assert [e["t"] for e in notes(loop(part, times=3))] == [0, 480, 960, 1440, 1920, 2400]
    cut = list(loop([n(0, 1440), {"type": "End", "t": 1440}], bars=2))  # 3 beats into 2 bars
    assert [(e["t"], e["dur"]) for e in notes(cut)] == [(0, 1440), (1440, 1440), (2880, 960)]
    assert cut[-1] == {"type": "End", "t": 3840}


def test_section_marks_after_the_seed():
    out = list(section([{"type": "Seed", "seed": 1}, n(0)], "verse"))
    assert out[1] == {"type": "Marker", "t": 0, "text": "verse"}


def test_intro_verse_chorus_in_a_row_to_midi_with_section_markers(tmp_path):
    sh(f"seed 1 | motif --bars 2 --patch piano | section intro > {tmp_path}/intro.jsonl")
    sh(f"chords 'I vi IV V' --key C | motif --bars 4 --seed 2 | section verse > {tmp_path}/verse.jsonl")
    sh(f"chords 'IV V I I' --key C --bars-per-chord 2 | section chorus > {tmp_path}/chorus.jsonl")
    sh(f"cd {tmp_path} && concat intro.jsonl verse.jsonl chorus.jsonl | to-midi --out song.mid")
    mid = mido.MidiFile(tmp_path / "song.mid")
    assert mid.length == pytest.approx((2 + 4 + 8) * 2.0)  # 14 bars at 120 BPM
    markers = [(m.text, t) for m, t in _timed(mid.tracks[0]) if m.type == "marker"]
    assert markers == [("intro", 0), ("verse", 2 * 1920), ("chorus", 6 * 1920)]
    assert mid.tracks[0][-1].type == "end_of_track" and sum(m.time for m in mid.tracks[0]) == 14 * 1920


def _timed(track):
    t = 0
    for m in track:
        t += m.time
        yield m, t


def test_concat_reads_stdin_as_dash_and_names_the_file_in_errors(tmp_path):
    (tmp_path / "bad.jsonl").write_text('{"type":"Note","t":0}\n')
    proc = sh(f"seed 3 | motif --bars 1 | concat - {tmp_path}/bad.jsonl", check=False)
    assert proc.returncode == 65 and b"bad.jsonl: line 1" in proc.stderr
    assert notes(events(proc.stdout))  # the good part came through first
    assert sh("concat - -", check=False).returncode == 2


def test_loop_and_merge_stages_and_the_exact_two_bars_of_a_humanized_motif(tmp_path):
    riff = events(sh("loop --times 2 < examples/riff.jsonl").stdout)
    assert riff[-1] == {"type": "End", "t": 3840}
    sh(f"seq 'C2/1' --ch 1 > {tmp_path}/low.jsonl")
    both = events(sh(f"seed 1 | motif --bars 1 | merge - {tmp_path}/low.jsonl").stdout)
    assert {e["ch"] for e in notes(both)} == {0, 1} and both[-1] == {"type": "End", "t": 1920}
    sh(f"seed 1 | motif --bars 2 | humanize | to-midi --out {tmp_path}/two.mid")
    assert mido.MidiFile(tmp_path / "two.mid").length == pytest.approx(4.0)  # 2 bars, not 3


def test_each_part_starts_in_its_own_meter_and_repeats_are_dropped():
    """A 3/4 bridge between 4/4 verses (which set no TimeSig): the verse is back in 4/4."""
    verse = [{"type": "Tempo", "t": 0, "bpm": 100}, {"type": "KeySig", "t": 0, "key": "G", "mode": "major"},
             {"type": "ProgramChange", "t": 0, "ch": 0, "program": 33}, n(0, 1920), {"type": "End", "t": 7680}]
    bridge = [{"type": "TimeSig", "t": 0, "num": 3, "den": 4}, {"type": "Tempo", "t": 0, "bpm": 100},
              {"type": "ProgramChange", "t": 0, "ch": 0, "program": 32}, n(0, 1440), {"type": "End", "t": 4320}]
    out = list(concat([verse, bridge, verse]))
    meta = [(e["type"], e["t"]) + tuple(v for k, v in e.items() if k not in ("type", "t", "ch"))
            for e in out if e["type"] in ("Tempo", "TimeSig", "KeySig", "ProgramChange")]
    assert meta == [("Tempo", 0, 100), ("KeySig", 0, "G", "major"), ("ProgramChange", 0, 33),
                    ("TimeSig", 7680, 3, 4), ("ProgramChange", 7680, 32),
                    ("TimeSig", 12000, 4, 4), ("ProgramChange", 12000, 33)]
    looped = list(loop(verse, times=3))
    assert [e["type"] for e in looped].count("Tempo") == 1 and len(notes(looped)) == 3


def test_a_three_four_bridge_between_verses_gives_22_bars_in_the_midi_file(tmp_path):
    sh('chords "I vi IV V" --key G --repeat 2 | bass --seed 1 | section verse > verse.jsonl && '
       'chords "IV V I" --key G --time-sig 3/4 --repeat 2 | bass --seed 1 | section bridge > bridge.jsonl && '
       'concat verse.jsonl bridge.jsonl verse.jsonl | to-midi --out song.mid', cwd=tmp_path)
    sigs, end = midi_meter(tmp_path / "song.mid")
    assert sorted(sigs) == [(15360, 3, 4), (24000, 4, 4)]
    bars = t = 0
    while t < end:
        meter = ([(s[1], s[2]) for s in sorted(sigs) if s[0] <= t] or [(4, 4)])[-1]
        t += 1920 * meter[0] // meter[1]
        bars += 1
    assert (bars, t) == (22, end)

"""quantize: grids, triplets, strength, swing, lengths, channels and parts, through real pipes."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from musicpipe.stages.quantize import command
from musicpipe.transforms.quantize import parse_grid, quantize
from tests.conftest import events, jsonl, notes, sh


def note(t, dur=100, ch=0, key=60, **kw):
    return {"type": "Note", "t": t, "dur": dur, "ch": ch, "key": key, "vel": 80, **kw}


def spans(evs):
    return [(e["t"], e["dur"]) for e in evs if e["type"] == "Note"]


def test_grid_values_in_ticks():
    assert [parse_grid(g) for g in ("1", "4", "8", "16", "64", "4t", "8t", "16t")] == \
        [1920, 480, 240, 120, 30, 320, 160, 80]
    for bad in ("3", "16x", "", "t"):
        with pytest.raises(ValueError, match="grid must be"):
            parse_grid(bad)


def test_starts_and_ends_snap_to_the_nearest_line_and_short_notes_get_a_step():
    src = [note(130, 100), note(235, 240), note(50, 20), {"type": "Tempo", "t": 7, "bpm": 90}]
    out = list(quantize(src, "16"))
    assert spans(out) == [(120, 120), (240, 240), (0, 120)]
    assert out[3] == src[3] and src[0]["t"] == 130  # other events untouched, the input too


def test_triplet_grid():
    assert spans(quantize([note(150, 170), note(330, 150)], "8t")) == [(160, 160), (320, 160)]


def test_strength_moves_part_of_the_way():
    assert spans(quantize([note(130, 100)], "16", strength=50)) == [(125, 110)]
    assert spans(quantize([note(130, 100)], "16", strength=0)) == [(130, 100)]


def test_swing_delays_every_second_line():
    # 16th grid, full swing: the off 16ths sit at +40 ticks (the triplet position).
    assert spans(quantize([note(130, 100), note(0, 115), note(240, 240)], "16", swing=100)) == \
        [(160, 80), (0, 160), (240, 240)]
    with pytest.raises(ValueError, match="straight grids"):
        list(quantize([note(0)], "8t", swing=50))


def test_keep_lengths_and_channels_and_parts():
    src = [note(130, 100, ch=0), note(130, 100, ch=9), note(130, 100, ch=2, track="Lead")]
    assert spans(quantize(src, "16", lengths=False)) == [(120, 100)] * 3
    assert spans(quantize(src, "16", channels=[9])) == [(130, 100), (120, 120), (130, 100)]
    assert spans(quantize(src, "16", tracks=["Lead"])) == [(130, 100), (130, 100), (120, 120)]
    named = [{"type": "Marker", "t": 0, "ch": 0, "text": "Bass (Upright Bass)"}] + src
    assert spans(quantize(named, "16", tracks=["bass"])) == [(120, 120), (130, 100), (130, 100)]


def test_the_grid_counts_from_the_latest_time_signature():
    src = [{"type": "TimeSig", "t": 1200, "num": 3, "den": 4}, note(1370, 150)]
    assert spans(quantize(src, "8t")) == [(1360, 160)]


def test_humanize_then_quantize_gives_the_grid_back_exactly():
    """Any shift under half a step (here up to 35 ticks plus 20 of swing, of 60) comes back."""
    grid = [{"type": "Seed", "seed": 5}] + [
        note(i * 120, 120 * (1 + i % 3), ch=(0, 1, 9)[i % 3], key=40 + i % 30) for i in range(400)]
    script = "humanize --timing 35 --velocity 0 --swing 0.25"
    assert spans(events(sh(script, input=jsonl(grid)).stdout)) != spans(grid)
    back = events(sh(f"{script} | quantize --grid 16", input=jsonl(grid)).stdout)
    assert sorted(map(tuple, (n.values() for n in notes(back)))) == \
        sorted(map(tuple, (n.values() for n in notes(grid))))


def test_a_mood_comes_out_on_the_sixteenth_grid():
    out = events(sh("mood jazz --duration 20 --seed 3 | quantize --grid 16", input=None).stdout)
    got = notes(out)
    assert len(got) > 100
    assert all(n["t"] % 120 == 0 and n["dur"] % 120 == 0 and n["dur"] >= 120 for n in got)


def test_bad_options_are_usage_errors():
    for args in ("--grid 12", "--strength 101", "--grid 8t --swing 30"):
        proc = sh(f"quantize {args}", input=jsonl([note(0)]), check=False)
        assert proc.returncode == 2, args
        assert len(proc.stderr.decode().strip().splitlines()) == 1 and b"Traceback" not in proc.stderr


def test_in_process_and_pair_form():
    result = CliRunner().invoke(command, ["--grid", "8"], input=jsonl([note(130, 100)]))
    assert result.exit_code == 0 and spans(events(result.stdout_bytes)) == [(240, 240)]
    pairs = (b'{"type":"NoteOn","t":10,"ch":0,"key":60,"vel":80}\n'
             b'{"type":"NoteOff","t":470,"ch":0,"key":60}\n')
    assert spans(events(sh("quantize --grid 4", input=pairs).stdout)) == [(0, 480)]


def test_a_track_that_is_no_name_names_no_part():
    """Found by the fuzz suite: a list as a note's track made --ch/--track exit 70."""
    line = '{"type":"Note","t":7,"dur":1,"ch":0,"key":0,"vel":1,"track":[]}\n'
    for option in ("--ch 1", "--track Bass"):
        proc = sh(f"quantize {option}", input=line)
        assert proc.stdout.decode() == line and proc.stderr == b""

"""rubato: a seeded Tempo grid over the piece, shaped by style, within the variance."""

import hashlib
import statistics

import mido
import pytest

from musicpipe.transforms.rubato import STYLES, rubato
from tests.conftest import events, jsonl, notes, sh


def piece(bars=8, bpm=100):
    evs = [{"type": "Seed", "seed": 1}, {"type": "Tempo", "t": 0, "bpm": bpm}]
    return evs + [{"type": "Note", "t": i * 480, "dur": 480, "ch": 0, "key": 60 + i % 7, "vel": 80}
                  for i in range(bars * 4)]


def tempos(evs):
    return [(e["t"], e["bpm"]) for e in evs if e["type"] == "Tempo"]


@pytest.mark.parametrize("style", STYLES)
def test_grid_covers_the_piece_within_the_variance(style):
    out = list(rubato(piece(), 3, variance=10, interval=240, style=style))
    grid = tempos(out)
    assert [t for t, _ in grid] == list(range(0, 8 * 1920, 240))
    assert all(100 * 0.8 <= bpm <= 100 * 1.2 for _, bpm in grid), grid
    assert len({bpm for _, bpm in grid}) > 5
    assert notes(out) == notes(piece())  # notes are untouched


def test_styles_differ_and_have_their_shapes():
    grids = {s: [b for _, b in tempos(rubato(piece(16), 4, variance=8, interval=240, style=s))]
             for s in STYLES}
    for a in STYLES:
        for b in STYLES:
            assert a == b or grids[a] != grids[b]
    drift, rand = grids["drift"], grids["random"]
    step = lambda g: statistics.mean(abs(x - y) for x, y in zip(g, g[1:]))  # noqa: E731
    assert step(drift) < step(rand)  # drift wanders, random jumps
    phrase = grids["phrase"]
    per_phrase = 7680 // 240
    middle = statistics.mean(phrase[i] for i in range(len(phrase)) if 0.3 < (i % per_phrase) / per_phrase < 0.7)
    end = statistics.mean(phrase[i] for i in range(len(phrase)) if (i % per_phrase) / per_phrase > 0.9)
    assert middle > end  # faster mid-phrase, a ritardando at its end


def test_same_seed_same_tempi_and_bpm_option():
    assert list(rubato(piece(), 9)) == list(rubato(piece(), 9))
    assert list(rubato(piece(), 9)) != list(rubato(piece(), 10))
    fixed = tempos(rubato(piece(), 9, bpm=60, variance=0, style="random"))
    assert {b for _, b in fixed} == {60.0}


def test_no_notes_keeps_the_tempo():
    src = [{"type": "Seed", "seed": 1}, {"type": "Tempo", "t": 0, "bpm": 90}]
    assert tempos(rubato(src, 1)) == [(0, 90)]


def test_golden_and_pipeline_to_midi(tmp_path):
    out = sh("rubato --seed 5 --style waltz --variance 6 --interval 240", input=jsonl(piece(4))).stdout
    assert hashlib.sha256(out).hexdigest() == GOLDEN
    sh(f"seed 2 | motif --bars 4 | rubato --style phrase | to-midi --out {tmp_path}/r.mid")
    mid = mido.MidiFile(tmp_path / "r.mid")
    tempo_msgs = [m for m in mid.tracks[0] if m.type == "set_tempo"]
    assert len(tempo_msgs) > 10 and len({m.tempo for m in tempo_msgs}) > 5
    assert events(sh("rubato --seed 5", input=jsonl(piece(1))).stdout)[0] == {"type": "Seed", "seed": 1}


def test_by_default_at_most_one_tempo_change_a_beat():
    out = events(sh("seed 1 | motif --bars 2 | rubato --style phrase", input=None).stdout)
    ticks = [e["t"] for e in out if e["type"] == "Tempo"]
    assert ticks == list(range(0, 3840, 480))


GOLDEN = "a372f040086198d3519b261c324f5a6663517e50cc92654fb5bdd52b2d477cf7"

"""Our `--pairs` output through the music-pipe-rs tools themselves: they read it all, and the
notes come out the same.

Needs their release binaries: MUSICPIPE_VERSUS=DIR (a folder with their transpose, scale,
humanize and to-midi; see `bin/bench versus`). Skipped without them.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from musicpipe.midi import midi_to_events
from musicpipe.stream import parse_lines
from tests.conftest import sh

THEIRS = Path(os.environ.get("MUSICPIPE_VERSUS", "/nonexistent"))
pytestmark = pytest.mark.skipif(not (THEIRS / "to-midi").exists(),
                                reason="music-pipe-rs binaries not given (MUSICPIPE_VERSUS=DIR)")

SOURCES = [
    "motif --seed 1 --bars 4 --bpm 110",
    "euclid --pulses 5 --steps 16 --seed 1",
    'seq "C4/4 E4/8 G4/8 C5/2" --bpm 96.5',
    "seed 3 | motif --bars 2 --patch strings | humanize",
    "mood jazz --duration 4 --seed 7",
]


def notes(evs: list[dict]) -> list[tuple]:
    return sorted((e["t"], e["dur"], e["ch"], e["key"], e["vel"]) for e in evs if e["type"] == "Note")


@pytest.mark.parametrize("source", SOURCES)
def test_their_transforms_read_our_pair_form_and_keep_the_notes(source):
    ours = parse_lines(sh(source).stdout)
    chain = (f"{THEIRS}/transpose --semitones 0 | {THEIRS}/scale --mode chromatic | "
             f"{THEIRS}/humanize --jitter-ticks 0 --jitter-vel 0")
    proc = sh(f"set -o pipefail; {source} --pairs | {chain}")  # any exit but 0 fails here
    assert b"Error" not in proc.stderr, proc.stderr
    assert notes(parse_lines(proc.stdout)) == notes(ours)


@pytest.mark.parametrize("source", SOURCES)
def test_their_to_midi_reads_our_pair_form(source, tmp_path):
    ours = parse_lines(sh(source).stdout)
    sh(f"set -o pipefail; {source} --pairs | {THEIRS}/to-midi --out {tmp_path}/theirs.mid")
    assert notes(midi_to_events(tmp_path / "theirs.mid")) == notes(ours)


def test_their_humanize_output_pairs_right_even_when_a_noteoff_comes_first():
    """Their humanize jitters NoteOn and NoteOff apart: short notes can end before they
    start. Every note still comes back, none dropped, no later note paired wrongly."""
    source = 'seq "C4/t10 R/t40 C4/t10 R/t40 D4/t10 R/t40" --repeat 40 --bpm 120'
    ours = notes(parse_lines(sh(source).stdout))
    proc = sh(f"set -o pipefail; {source} --pairs | {THEIRS}/humanize --jitter-ticks 12 | "
              "transpose -s 0")
    got = notes(parse_lines(proc.stdout))
    assert b"dropped" not in proc.stderr and b"closed at tick" not in proc.stderr, proc.stderr
    assert b"before their NoteOn" in proc.stderr  # the case this is about did happen
    assert sorted(n[3] for n in got) == sorted(n[3] for n in ours)
    assert len(got) == len(ours) and all(
        abs(a[0] - b[0]) <= 12 and 1 <= b[1] <= a[1] + 24 for a, b in zip(ours, got))

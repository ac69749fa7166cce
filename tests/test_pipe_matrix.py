"""The pipe-failure matrix (issue 16): every stage that can fail, alone or passed through by
every other stream stage, into every sink. Real processes through real pipes: the sink exits
65, names the stage that failed, and the file it was asked for stays byte for byte."""

from __future__ import annotations

import shutil

import pytest

from tests.conftest import ROOT, sh
from tests.test_abort import needs_font

BAD = """echo '{"type":"Note","t":0,"dur":0,"ch":0,"key":60,"vel":80}' | """
# How each stage is made to fail, and its exit code.
FAILING = {
    "seed": (BAD + "seed 1", 65),
    "transpose": (BAD + "transpose -s 2", 65),
    "scale": (BAD + "scale --root D", 65),
    "humanize": (BAD + "humanize --seed 1", 65),
    "rubato": (BAD + "rubato --seed 1", 65),
    "trim": (BAD + "trim --bars 1", 65),
    "viz": (BAD + "viz", 65),
    "motif": ("motif --notes 0 < /dev/null", 2),
    "seq": ('seq "C4 Xm" < /dev/null', 2),
    "euclid": ("euclid --pulses 9 --steps 8 < /dev/null", 2),
    "from-midi": ("from-midi examples/riff.jsonl", 65),
    "mood": ("mood no-such-mood --seed 1", 2),
    "chords": ("chords 'I XIV' < /dev/null", 2),
    "bass": (BAD + "bass", 65),
    "loop": (BAD + "loop --times 2", 65),
    "section": (BAD + "section verse", 65),
    "concat": ("concat no-such.jsonl < /dev/null", 2),
    "merge": (BAD + "merge - examples/riff.jsonl", 65),
    "analyze": (BAD + "analyze", 65),
}
# Stages that pass an upstream Abort on (generators pass their input through first).
MIDDLE = {
    "seed": "seed 2", "transpose": "transpose -s 1", "scale": "scale --root D",
    "humanize": "humanize --seed 1", "rubato": "rubato --seed 1", "trim": "trim",
    "viz": "viz", "motif": "motif --seed 1", "seq": 'seq "C4 E4"',
    "euclid": "euclid --pulses 3 --steps 8", "chords": "chords 'I V'", "bass": "bass",
    "loop": "loop --times 2", "section": "section verse", "concat": "concat -",
    "merge": "merge - examples/riff.jsonl", "analyze": "analyze",
}
SINKS = {
    "to-midi": ("keep.mid", "to-midi --out keep.mid", 'seq "C4 E4 G4" | to-midi --out keep.mid'),
    "to-wav": ("keep.wav", "to-wav --out keep.wav", 'seq "C4 E4" | to-wav --out keep.wav'),
    "viz --svg": ("keep.svg", "viz --svg keep.svg > /dev/null",
                  'seq "C4 E4" | viz --svg keep.svg > /dev/null'),
}


def _sink_params():
    return [pytest.param(name, marks=[needs_font] if name == "to-wav" else [])
            for name in SINKS]


@pytest.fixture
def workdir(tmp_path):
    """A folder with examples/ (from-midi's non-MIDI file comes from there)."""
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    return tmp_path


def _run(workdir, sink: str, pipe: str, failing: str, codes: list[int]):
    target, command, make = SINKS[sink]
    sh(make, cwd=workdir)
    before = (workdir / target).read_bytes()
    proc = sh(f'{{ {pipe} | {command}; echo "rc ${{PIPESTATUS[@]}}"; }} 2>err', cwd=workdir)
    got = [int(c) for c in proc.stdout.decode().split("rc ")[-1].split()]
    err = (workdir / "err").read_text()
    assert got == codes, err
    assert (workdir / target).read_bytes() == before
    assert f"kept {target}: the stream ended in an Abort from {failing}" in err, err
    assert "Traceback" not in err and "internal error" not in err


@pytest.mark.parametrize("sink", _sink_params())
@pytest.mark.parametrize("stage", sorted(FAILING))
def test_a_failing_stage_into_every_sink(workdir, stage, sink):
    pipe, code = FAILING[stage]
    upstream = [0] if pipe.startswith("echo") else []
    _run(workdir, sink, pipe, stage, upstream + [code, 65])


@pytest.mark.parametrize("sink", _sink_params())
@pytest.mark.parametrize("stage", sorted(MIDDLE))
def test_every_stage_passes_the_abort_to_every_sink(workdir, stage, sink):
    _run(workdir, sink, f'seq "C4 Xm" < /dev/null | {MIDDLE[stage]}', "seq", [2, 65, 65])

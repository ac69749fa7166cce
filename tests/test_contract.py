"""The stage contract (DESIGN.md), checked for every stage that exists, as real processes.

Empty input, a bad line (exit 65, one stderr line naming line and field, no traceback), the
music-pipe-rs pair form, `| head` (quiet), determinism, streaming (output before input
ends), and every example in every stage's --help.
"""

from __future__ import annotations

import os
import select
import shutil
import subprocess

import pytest

from musicpipe.stream import parse_lines
from musicpipe.umbrella import STAGES, _module, available
from tests.conftest import BIN, ENV, ROOT, jsonl, sh

# How each stage is run on a piped stream in these checks.
STREAM_STAGES = {
    "seed": "seed 5",
    "transpose": "transpose -s 2",
    "motif": "motif --seed 1",
    "seq": 'seq "C4/4 D4/4"',
    "euclid": "euclid --pulses 3 --steps 8 --seed 1",
    "scale": "scale --root D --mode dorian",
    "humanize": "humanize --seed 1",
    "rubato": "rubato --seed 1",
    "trim": "trim --bars 2",
    "viz": "viz",
    "analyze": "analyze",
    "mix": "mix --ch 0 --level -6 --pan L20",
    "quantize": "quantize --grid 16",
    "click": "click --bars 2",
}
# Transforms whose first output must appear before their input ends.
STREAMING = ["transpose", "scale", "humanize", "viz", "analyze", "seed", "mix", "quantize"]

PRESENT = set(available())


def present(names):
    return [pytest.param(n, marks=pytest.mark.skipif(n not in PRESENT, reason=f"{n} not built yet"))
            for n in names]


NOTES = [{"type": "Seed", "seed": 3}, {"type": "Tempo", "t": 0, "bpm": 100}] + [
    {"type": "Note", "t": i * 240, "dur": 240, "ch": i % 2, "key": 60 + i % 12, "vel": 80}
    for i in range(32)]


@pytest.fixture(scope="module")
def big_stream(tmp_path_factory):
    path = tmp_path_factory.mktemp("contract") / "big.jsonl"
    evs = [{"type": "Seed", "seed": 3}] + [
        {"type": "Note", "t": i * 60, "dur": 60, "ch": i % 3, "key": 48 + i % 24, "vel": 70}
        for i in range(100_000)]
    path.write_bytes(jsonl(evs))
    return path


def test_every_stage_is_built():
    assert available() == list(STAGES)


def test_every_stage_in_the_umbrella_has_a_console_script():
    for name in available():
        assert (BIN / name).exists(), name


@pytest.mark.parametrize("name", present(STREAM_STAGES))
def test_empty_input_gives_a_valid_stream(name):
    proc = sh(STREAM_STAGES[name], input=b"")
    parse_lines(proc.stdout)
    assert b"Traceback" not in proc.stderr


@pytest.mark.parametrize("name", present(STREAM_STAGES))
@pytest.mark.parametrize("bad, line, field", [
    (b'{"type":"Note","t":0,"dur":480,"ch":0,"key":200,"vel":80}', 2, '"key"'),
    (b'{"type":"Note","t":0,"dur":480,"ch":16,"key":60,"vel":80}', 2, '"ch"'),
    (b'{"type":"Note","t":0,"ch":0,"key":60,"vel":80}', 2, '"dur"'),
    (b'{"type":"Note","t":0,', 2, "invalid JSON"),
])
def test_bad_line_is_one_stderr_line_and_exit_65(name, bad, line, field):
    good = b'{"type":"Note","t":0,"dur":480,"ch":0,"key":60,"vel":80}\n'
    proc = sh(STREAM_STAGES[name], input=good + bad + b"\n" + good, check=False)
    err = proc.stderr.decode().strip().splitlines()
    assert proc.returncode == 65, proc.stderr
    assert len(err) == 1 and f"line {line}" in err[0] and field in err[0], err
    assert "Traceback" not in proc.stderr.decode()


@pytest.mark.parametrize("name", present(STREAM_STAGES))
def test_music_pipe_rs_pair_form_is_accepted(name):
    pairs = (b'{"type":"Seed","seed":4}\n{"type":"NoteOn","t":0,"ch":0,"key":60,"vel":80}\n'
             b'{"type":"NoteOff","t":480,"ch":0,"key":60}\n')
    proc = sh(STREAM_STAGES[name], input=pairs)
    out = parse_lines(proc.stdout)
    assert not [e for e in out if e["type"] in ("NoteOn", "NoteOff")]
    if name not in ("seq", "motif", "euclid"):
        assert [e for e in out if e["type"] == "Note"], out


@pytest.mark.parametrize("name", present(STREAM_STAGES))
def test_closed_pipe_exits_quietly(name, big_stream, tmp_path):
    script = (f"{STREAM_STAGES[name]} < {big_stream} 2>{tmp_path}/err | head -1; "
              f'echo "${{PIPESTATUS[0]}}" > {tmp_path}/rc')
    proc = sh(script)
    assert len(proc.stdout.splitlines()) == 1
    assert (tmp_path / "err").read_text() == ""
    assert (tmp_path / "rc").read_text().strip() == "0"


@pytest.mark.parametrize("name", present([s for s in STREAM_STAGES if s != "trim"]))
def test_every_note_of_a_long_stream_comes_through(name, big_stream):
    """Far more events than one read or one write batch: nothing is lost on the way."""
    out = sh(f"{STREAM_STAGES[name]} < {big_stream}").stdout
    assert out.count(b'"type":"Note"') >= 100_000


@pytest.mark.parametrize("name", present(STREAM_STAGES))
def test_stream_stages_do_not_import_midi_or_audio_libraries(name):
    """Start-up stays at click + orjson: mido, numpy, fluidsynth and music21 are for file stages only."""
    exe, _, args = STREAM_STAGES[name].partition(" ")
    proc = sh(f"{BIN}/python -X importtime {BIN / exe} {args}", input=b"")
    imported = {line.rsplit("|", 1)[-1].strip().split(".")[0]
                for line in proc.stderr.decode().splitlines() if line.startswith("import time:")}
    heavy = {"mido", "numpy", "fluidsynth", "music21"}
    assert not imported & heavy, imported & heavy


@pytest.mark.parametrize("name", present(STREAM_STAGES))
def test_same_input_same_bytes(name):
    stream = jsonl(NOTES)
    assert sh(STREAM_STAGES[name], input=stream).stdout == sh(STREAM_STAGES[name], input=stream).stdout


@pytest.mark.parametrize("name", present(STREAMING))
def test_output_starts_before_input_ends(name):
    """Write part of the input, keep the pipe open, and expect output to arrive."""
    proc = subprocess.Popen(["bash", "-c", f"exec {STREAM_STAGES[name]}"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV, cwd=ROOT)
    try:
        proc.stdin.write(jsonl(NOTES * 50))
        proc.stdin.flush()
        ready, _, _ = select.select([proc.stdout], [], [], 20)
        assert ready, f"{name} wrote nothing while its input was still open"
        assert os.read(proc.stdout.fileno(), 65536)
    finally:
        proc.stdin.close()
        proc.kill()
        proc.wait()


@pytest.mark.parametrize("name", present(STAGES))
def test_help_has_examples_and_they_run(name, tmp_path):
    command = _module(name).command
    proc = sh(f"{name} --help")
    assert b"Examples:" in proc.stdout, f"{name} --help has no examples"
    assert command.examples, name
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    for example in command.examples:
        run = sh(f"set -o pipefail; {example}", cwd=tmp_path, check=False, timeout=300)
        assert run.returncode == 0, f"example failed: {example}\n{run.stderr.decode()}"
        assert b"Traceback" not in run.stderr


@pytest.mark.parametrize("name", present(STAGES))
def test_umbrella_runs_the_same_stage(name):
    direct = sh(f"{name} --help").stdout
    via = sh(f"musicpipe {name} --help").stdout
    assert via.replace(f"musicpipe {name}".encode(), name.encode()) == direct


def test_bad_option_is_exit_2_with_one_line():
    proc = sh("transpose --no-such-option", check=False)
    assert proc.returncode == 2
    assert len(proc.stderr.decode().strip().splitlines()) == 1


def test_umbrella_help_lists_stages_and_agent_recipes():
    out = sh("python -m musicpipe --help").stdout.decode()
    for name in available():
        assert f"  {name} " in out
    assert "For AI agents" in out and "Exit codes" in out


def test_umbrella_unknown_stage_is_exit_2():
    proc = sh("musicpipe no-such-stage", check=False)
    assert proc.returncode == 2 and b"unknown stage" in proc.stderr


@pytest.mark.parametrize("script", sorted(p.name for p in (ROOT / "examples").glob("*.sh")))
def test_example_scripts_run(script, tmp_path):
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    proc = sh(f"examples/{script} {tmp_path}/out", cwd=tmp_path, check=False, timeout=300)
    assert proc.returncode == 0, proc.stderr.decode()
    assert b"Traceback" not in proc.stderr
    assert list(tmp_path.glob("out*")), "the example wrote nothing"


def test_the_library_does_not_import_click():
    """The music is a library: only the commands (cli, stages, umbrella) know click."""
    commands = {"musicpipe.cli", "musicpipe.umbrella", "musicpipe.coreutils_seq", "musicpipe.__main__",
                # uvicorn's h11 protocol, subclassed: uvicorn itself imports click
                "musicpipe.studio.timeouts"}
    modules = sorted(
        ".".join(("musicpipe",) + p.relative_to(ROOT / "musicpipe").with_suffix("").parts)
        .removesuffix(".__init__")
        for p in (ROOT / "musicpipe").rglob("*.py"))
    library = [m for m in modules if m not in commands and not m.startswith("musicpipe.stages")]
    assert "musicpipe.generators.motif" in library and "musicpipe.moods.arrange" in library
    code = ("import importlib, sys\n"
            f"for m in {library!r}:\n"
            "    importlib.import_module(m)\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'click'))")
    proc = sh(f"{BIN}/python -c \"$CODE\"", env={"CODE": code})
    assert proc.stdout.strip() == b"[]", proc.stdout


def test_the_librarys_docstring_examples_run():
    """Every ``>>>`` example in musicpipe's docstrings, so that none goes stale."""
    import doctest
    import importlib

    ran = failed = 0
    for path in sorted((ROOT / "musicpipe").rglob("*.py")):
        if ">>> " not in path.read_text(encoding="utf-8"):
            continue
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
        ran, failed = ran + result.attempted, failed + result.failed
    assert ran > 10 and not failed

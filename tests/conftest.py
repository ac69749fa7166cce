"""Shared test helpers: run stages as real processes through real pipes, or in-process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent  # the venv's bin: console scripts live here

# Stages are run with a clean, predictable environment: no colour, no pair form, CI's traps on.
ENV = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
       "NO_COLOR": "1", "PYTHONUNBUFFERED": "1", "CI": "true"}
ENV.pop("MUSICPIPE_NOTE_FORM", None)


def sh(script: str, *, input: bytes | str | None = b"", check: bool = True, cwd=None,
       env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run a shell pipeline (bash, pipefail off like a user's shell); stdout/stderr as bytes."""
    if isinstance(input, str):
        input = input.encode()
    proc = subprocess.run(["bash", "-c", script], input=input, capture_output=True,
                          cwd=cwd or ROOT, env={**ENV, **(env or {})}, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"`{script}` exited {proc.returncode}\nstderr:\n{proc.stderr.decode()}")
    return proc


def events(data: bytes | str) -> list[dict]:
    """Parse JSONL output into dicts (no validation: tests check what stages wrote)."""
    if isinstance(data, str):
        data = data.encode()
    return [orjson.loads(line) for line in data.splitlines() if line.strip()]


def jsonl(evs) -> bytes:
    return b"".join(orjson.dumps(e) + b"\n" for e in evs)


def notes(evs) -> list[dict]:
    return [e for e in evs if e.get("type") == "Note"]


@pytest.fixture
def tmp_out(tmp_path):
    return tmp_path


class Studio:
    """A real `musicpipe serve --port 0 --root ROOT` process on 127.0.0.1 (tests/test_studio*):
    its ``url`` and ``port``, renders kept in ``root``, the user's pack folder under
    ``config`` (its XDG_CONFIG_HOME)."""

    def __init__(self, proc, port: int, root: Path, config: Path):
        self.proc, self.port, self.root, self.config = proc, port, root, config
        self.url = f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    import re
    import signal
    import time
    import urllib.request

    base = tmp_path_factory.mktemp("studio")
    root, config = base / "renders", base / "config"
    proc = subprocess.Popen([str(BIN / "musicpipe"), "serve", "--port", "0", "--root", str(root)],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**ENV, "XDG_CONFIG_HOME": str(config)})
    line = proc.stderr.readline().decode()
    found = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
    assert found, f"no URL in {line!r}"
    server = Studio(proc, int(found.group(1)), root, config)
    for _ in range(300):  # the socket is bound; uvicorn listens once it has started
        try:
            with urllib.request.urlopen(f"{server.url}/api/packs", timeout=5):
                break
        except OSError:
            time.sleep(0.05)
    yield server
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert b"Traceback" not in err, err.decode()
    assert proc.returncode == 130, err.decode()  # Ctrl-C's exit code, after a clean stop


FUZZ_COUNTS: dict[str, int] = {}
"""Inputs the fuzz suite (tests/test_fuzz.py) tried, per stage: printed after the run."""
FUZZ_CODES: dict[int, int] = {}
"""How often each exit code came out of those inputs."""


def pytest_sessionfinish(session):
    """An xdist worker hands its fuzz counts to the controller, which prints the summary."""
    out = getattr(session.config, "workeroutput", None)
    if out is not None:
        module = sys.modules.get("tests.conftest")
        out["fuzz"] = [sorted(getattr(module, "FUZZ_COUNTS", FUZZ_COUNTS).items()),
                       sorted(getattr(module, "FUZZ_CODES", FUZZ_CODES).items())]


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    counts, codes = getattr(node, "workeroutput", {}).get("fuzz", ([], []))
    for table, pairs in ((FUZZ_COUNTS, counts), (FUZZ_CODES, codes)):
        for key, n in pairs:
            table[key] = table.get(key, 0) + n


def pytest_terminal_summary(terminalreporter):
    # Tests import this file as tests.conftest, pytest as conftest: two module objects.
    module = sys.modules.get("tests.conftest")
    shared = getattr(module, "FUZZ_COUNTS", FUZZ_COUNTS)
    if shared:
        counts = ", ".join(f"{stage} {n}" for stage, n in sorted(shared.items()))
        codes = ", ".join(f"{c}: {n}" for c, n in sorted(getattr(module, "FUZZ_CODES", FUZZ_CODES).items()))
        terminalreporter.write_line(f"fuzz: {sum(shared.values())} inputs tried: {counts}")
        terminalreporter.write_line(f"fuzz: exit codes {codes}")


def midi_meter(path) -> tuple[list[tuple[int, int, int]], int]:
    """A MIDI file's time signatures (tick, num, den) and its last event's tick, both at 480
    ticks a quarter, as mido reads them: the reader independent of musicpipe's."""
    import mido

    mid = mido.MidiFile(path)
    sigs, end = [], 0
    for track in mid.tracks:
        now = 0
        for m in track:
            now += m.time
            if m.type == "time_signature":
                sigs.append((now * 480 // mid.ticks_per_beat, m.numerator, m.denominator))
        end = max(end, now * 480 // mid.ticks_per_beat)
    return sigs, end

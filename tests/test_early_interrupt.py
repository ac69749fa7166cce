"""Ctrl-C or SIGTERM moments after a stage starts (issue 25): while Python is still importing
the stage, the console script exits 130 / 143 with no traceback and leaves no file behind.

The delays count from musicpipe.launch's first line (seen as SIGTERM caught in
/proc/PID/status): before it, Python's own start-up and pip's wrapper (`import re`) run,
which no code of ours can reach."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest

from conftest import BIN, ENV

DELAYS = (0, 0.02, 0.05, 0.1, 0.2)
COMMANDS = (
    ["seed", "1"],
    ["to-midi", "--out", "x.mid"],
    ["to-wav", "--out", "x.wav"],
    ["mood", "calm", "--duration", "300", "--out", "x.wav"],
    ["musicpipe", "transpose", "-s", "2"],
)


@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("argv", COMMANDS, ids=lambda a: " ".join(a[:2]))
def test_an_early_signal_exits_quietly(argv, how, tmp_path):
    for delay in DELAYS:
        proc = subprocess.Popen([str(BIN / argv[0]), *argv[1:]], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path,
                                env=ENV)
        _launched(proc.pid)
        time.sleep(delay)
        proc.send_signal(how)
        try:
            _, err = proc.communicate(timeout=60)
        finally:
            proc.kill()
        # before Python has installed any handler the kernel ends it: the shell shows 128 + n too
        assert proc.returncode in (128 + how, -how), (delay, proc.returncode, err.decode())
        assert b"Traceback" not in err, (delay, err.decode())
        assert os.listdir(tmp_path) == [], (delay, os.listdir(tmp_path))


def _launched(pid: int) -> None:
    """Wait until the process catches SIGTERM: musicpipe.launch has run its first lines."""
    bit = 1 << (signal.SIGTERM - 1)
    while True:
        try:
            with open(f"/proc/{pid}/status") as f:
                caught = next(int(line.split()[1], 16) for line in f if line.startswith("SigCgt"))
        except (FileNotFoundError, StopIteration):
            return
        if caught & bit:
            return
        time.sleep(0.001)

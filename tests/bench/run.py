"""Runs the benchmark sections in tests/bench/cases_*.py and prints one table each.

A section module defines ``SECTION`` (its name) and ``run(bench) -> list[Row]``; ``bench`` is
this module, whose helpers time real processes: wall time, peak memory of one child
(os.wait4, no GNU time needed), events per second.
"""

from __future__ import annotations

import importlib.util
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
BIN = Path(sys.executable).parent
ENV = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", "NO_COLOR": "1"}
WORK = Path(tempfile.mkdtemp(prefix="musicpipe-bench-"))


@dataclass
class Row:
    measure: str
    value: str
    target: str = ""
    command: str = ""


def run_timed(cmd: str | list[str], *, stdin_bytes: bytes | None = None, stdin_file: str | None = None,
              feed=None, cwd=None, expect: int = 0) -> tuple[float, int]:
    """Run one command; return (wall seconds, peak RSS in MB of that process).

    ``feed`` is an iterator of byte chunks written to the child's stdin from a thread, so a
    10 M event stream needs no 640 MB file and no generator process inside the measurement.
    """
    args = ["bash", "-c", f"exec {cmd}"] if isinstance(cmd, str) else cmd
    stdin = subprocess.PIPE if (stdin_bytes is not None or feed is not None) else (
        open(stdin_file, "rb") if stdin_file else subprocess.DEVNULL)
    start = time.perf_counter()
    proc = subprocess.Popen(args, stdin=stdin, stdout=subprocess.DEVNULL, env=ENV, cwd=cwd or ROOT)
    if feed is not None or stdin_bytes is not None:
        def pump():
            try:
                for chunk in (feed if feed is not None else [stdin_bytes]):
                    proc.stdin.write(chunk)
                proc.stdin.close()
            except BrokenPipeError:
                pass
        thread = threading.Thread(target=pump, daemon=True)
        thread.start()
    hwm = 0

    def sample():  # the child's own high-water mark, read after its exec
        nonlocal hwm
        hwm = max(hwm, _rss_kb(str(proc.pid), "VmHWM"))

    status, usage, wall = _wait_sampling(proc.pid, start, sample)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != expect:
        raise RuntimeError(f"benchmark command failed ({proc.returncode}): {cmd}")
    return wall, _peak_kb(usage, hwm) // 1024


def run_measured(cmd: str, *, stdin_file: str) -> tuple[float, float, int, int]:
    """Run a command or pipeline; return (CPU seconds of all its processes, wall seconds,
    peak MB, peak RSS sum MB). Peak: for one command, its own peak RSS; for a pipeline, the
    largest sum of its processes' proportional set sizes (PSS: a page shared by n processes,
    such as the interpreter's code, counts 1/n in each), sampled every 10 ms: what the
    machine held at once. The sum of their RSS, which counts shared pages in every process,
    comes last."""
    start = time.perf_counter()
    with open(stdin_file, "rb") as stdin:
        proc = subprocess.Popen(["bash", "-c", f"exec {cmd}" if "|" not in cmd else cmd],
                                stdin=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                env=ENV, cwd=ROOT, start_new_session=True)
    total = pss_total = hwm = 0

    def sample():
        nonlocal total, pss_total, hwm
        now = pss = 0
        for pid in os.listdir("/proc"):
            if pid.isdigit() and _group(pid) == proc.pid:
                now += _rss_kb(pid, "VmRSS")
                pss += _pss_kb(pid)
                if pid == str(proc.pid):
                    hwm = max(hwm, _rss_kb(pid, "VmHWM"))
        total = max(total, now)
        pss_total = max(pss_total, pss)

    status, usage, wall = _wait_sampling(proc.pid, start, sample)
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"benchmark command failed: {cmd}")
    peak = pss_total if "|" in cmd else max(_peak_kb(usage, hwm), total)
    return usage.ru_utime + usage.ru_stime, wall, peak // 1024, total // 1024


def _wait_sampling(pid: int, start: float, sample) -> tuple[int, object, float]:
    """Wait for process ``pid``, calling ``sample()`` from a thread every 10 ms meanwhile;
    return (wait status, its rusage, wall seconds since ``start``)."""
    done = threading.Event()

    def loop():
        while not done.wait(0.01):
            sample()

    sampler = threading.Thread(target=loop, daemon=True)
    sampler.start()
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - start
    done.set()
    sampler.join()
    return status, usage, wall


def _peak_kb(usage, hwm: int) -> int:
    """A child's peak RSS: its VmHWM as sampled after its exec, which counts only its own
    pages; ru_maxrss (for a child gone before the first sample) also counts the copy of this
    process it was forked from."""
    return hwm or usage.ru_maxrss


def _group(pid: str) -> int:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return int(f.read().rsplit(b")", 1)[1].split()[2])
    except (OSError, IndexError, ValueError):
        return -1


def _pss_kb(pid: str) -> int:
    """A process's proportional set size in kB (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as f:
            for line in f:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _rss_kb(pid: str, field: str = "VmRSS") -> int:
    """A /proc/PID/status memory figure in kB (0 when the process is gone)."""
    try:
        with open(f"/proc/{pid}/status", "rb") as f:
            for line in f:
                if line.startswith(field.encode()):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def median_time(cmd, repeat: int = 15, **kw) -> float:
    return statistics.median(run_timed(cmd, **kw)[0] for _ in range(repeat))


def best_time(cmd, repeat: int = 3, **kw) -> float:
    return min(run_timed(cmd, **kw)[0] for _ in range(repeat))


def note_stream(n: int, chunk_events: int = 20000):
    """Byte chunks of a Seed and n Notes on channels 0-3, the kind of stream stages see."""
    import orjson

    yield b'{"type":"Seed","seed":1}\n'
    for start in range(0, n, chunk_events):
        yield b"".join(orjson.dumps({"type": "Note", "t": i * 120, "dur": 120, "ch": i % 4,
                                     "key": 36 + (i * 7) % 48, "vel": 64 + i % 40}) + b"\n"
                       for i in range(start, min(n, start + chunk_events)))


def note_file(n: int) -> str:
    """A cached JSONL file of n notes (for stdin redirected from a file)."""
    path = WORK / f"notes-{n}.jsonl"
    if not path.exists():
        with open(path, "wb") as f:
            for chunk in note_stream(n):
                f.write(chunk)
    return str(path)


def main(argv: list[str]) -> int:
    modules = []
    for path in sorted(HERE.glob("cases_*.py")):
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        if not argv or module.SECTION in argv:
            modules.append(module)
    bench = sys.modules[__name__]
    print(f"musicpipe benchmark ({os.cpu_count()} cores, Python {sys.version.split()[0]})")
    for module in modules:
        rows = module.run(bench)
        print(f"\n## {module.SECTION}\n")
        w = [max(len(getattr(r, f)) for r in rows + [Row("measure", "value", "target")])
             for f in ("measure", "value", "target")]
        print(f"| {'measure'.ljust(w[0])} | {'value'.ljust(w[1])} | {'target'.ljust(w[2])} |")
        print(f"|{'-' * (w[0] + 2)}|{'-' * (w[1] + 2)}|{'-' * (w[2] + 2)}|")
        for r in rows:
            print(f"| {r.measure.ljust(w[0])} | {r.value.ljust(w[1])} | {r.target.ljust(w[2])} |")
        commands = [r for r in rows if r.command]
        if commands:
            print("\ncommands:")
            for r in commands:
                print(f"  {r.measure}: {r.command}")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    import shutil

    try:
        sys.exit(main(sys.argv[1:]))
    finally:
        shutil.rmtree(WORK, ignore_errors=True)

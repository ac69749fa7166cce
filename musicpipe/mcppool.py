"""The MCP server's worker processes: tool calls run at once, and can be cancelled.

A stage runs in-process with its own stdin/stdout, so one process runs one stage at a
time; the server hands its calls to a bounded pool of worker processes instead, each
``python -m musicpipe.mcppool ROOT SERVER_PID``, speaking one JSON line per request and reply on its
stdin/stdout. A cheap call does not wait behind a render (up to ``SIZE`` calls run at
once, more wait for a free worker), and a cancelled call ends its worker: SIGTERM (the
stage removes its temporary files), SIGKILL after ``GRACE`` seconds, a new worker next time.
Workers end with the server (their stdin closes; on Linux the kernel also kills them).
"""

from __future__ import annotations

import json
import os
import signal
import sys
import traceback
from typing import Any

SIZE = max(2, min(4, os.cpu_count() or 2))
"""Calls that run at once (2 to 4, by the number of CPUs); more wait their turn."""
GRACE = 2.0
"""Seconds a cancelled call's worker gets to clean up before it is killed."""
REPLY_MAX = 64 << 20
"""The longest reply line a worker may send (its payloads are bounded well below)."""
CALL_SECONDS = 600.0
"""How long a call may run before its worker is ended (``musicpipe mcp --call-seconds``)."""
MEMORY_SHARE = 0.75
"""A worker's address space is capped at this share of the machine's memory: a call that
asks for more fails with the stage's "out of memory" line, and the machine stays usable."""


class TooLong(Exception):
    """A call that ran past its time limit; its worker was ended."""


class WorkerDied(Exception):
    """The worker ended without answering (killed, out of memory, a crash)."""


class Pool:
    """Up to ``size`` worker processes for the folder ``root``, started when first needed."""

    def __init__(self, root: str, size: int = SIZE, seconds: float = CALL_SECONDS):
        import anyio

        self.root, self.seconds = root, seconds
        self.idle: list[_Worker] = []
        self.limiter = anyio.CapacityLimiter(size)

    async def call(self, tool: str, args: dict[str, Any]) -> dict[str, Any]:
        """The worker's answer: {"ok": reply} or {"error": one line}; WorkerDied, TooLong."""
        import anyio

        async with self.limiter:
            worker = self.idle.pop() if self.idle else await _Worker.start(self.root)
            try:
                with anyio.fail_after(self.seconds):
                    answer = await worker.ask({"tool": tool, "args": args})
            except TimeoutError:
                await worker.stop()
                raise TooLong(f"stopped after {self.seconds:g} s, the server's limit for a "
                              "call (musicpipe mcp --call-seconds); ask for less") from None
            except BaseException:  # cancelled, or the worker died: it is not reused
                await worker.stop()
                raise
            self.idle.append(worker)
            return answer

    async def close(self) -> None:
        while self.idle:
            await self.idle.pop().stop()


class _Worker:
    def __init__(self, process):
        from anyio.streams.buffered import BufferedByteReceiveStream

        self.process = process
        self.replies = BufferedByteReceiveStream(process.stdout)

    @classmethod
    async def start(cls, root: str) -> _Worker:
        import subprocess

        import anyio

        process = await anyio.open_process(
            [sys.executable, "-m", "musicpipe.mcppool", root, str(os.getpid())],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=None)
        return cls(process)

    async def ask(self, request: dict[str, Any]) -> dict[str, Any]:
        import anyio

        try:
            await self.process.stdin.send(json.dumps(request).encode() + b"\n")
            line = await self.replies.receive_until(b"\n", REPLY_MAX)
        except (anyio.EndOfStream, anyio.IncompleteRead, anyio.BrokenResourceError,
                anyio.DelimiterNotFound) as e:
            raise WorkerDied(f"its worker ended without an answer ({type(e).__name__})") from None
        return json.loads(line)

    async def stop(self) -> None:
        """End the worker: stdin closed and SIGTERM, SIGKILL after GRACE seconds."""
        import anyio

        with anyio.CancelScope(shield=True):
            try:
                await self.process.stdin.aclose()
                self.process.terminate()
            except (ProcessLookupError, anyio.BrokenResourceError, OSError):
                pass
            with anyio.move_on_after(GRACE):
                await self.process.wait()
            if self.process.returncode is None:
                self.process.kill()
                await self.process.wait()


def _die_with_parent(server: int) -> None:
    """Linux: the kernel sends SIGKILL when the server ends (even by kill -9); a server
    that ended before this was set is seen by its pid."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != server:
        os._exit(0)


def _cap_memory() -> None:
    import resource

    try:
        total = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        cap = int(total * MEMORY_SHARE)
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    except (ValueError, OSError):
        pass


def main() -> None:
    """A worker: read a request line, run the tool in the folder, write the reply line."""
    _die_with_parent(int(sys.argv[2]))
    _cap_memory()
    from .mcpfiles import Folder, Refused
    from .mcptools import TOOLS, Failure

    requests = os.fdopen(os.dup(0), "rb")
    replies = os.fdopen(os.dup(1), "wb")
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(2, 1)  # a library's stray print goes to the log, never into a reply
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # unwinds: temp files removed
    folder = Folder(sys.argv[1])
    os.chdir(folder.root)
    for line in requests:
        request = json.loads(line)
        tool = request["tool"]
        try:
            answer = {"ok": TOOLS[tool](folder, request["args"])}
        except Failure as e:
            answer = {"error": str(e)}
        except Refused as e:  # a name the server made itself (from a mood's name) refused
            answer = {"error": f"{tool}: {e}"}
        except (MemoryError, RecursionError) as e:
            answer = {"error": f"{tool}: too large to compute here ({type(e).__name__})"}
        except Exception as e:  # a bug: its traceback goes to the server's log
            traceback.print_exc()
            answer = {"error": f"{tool}: internal error {type(e).__name__}: "
                               f"{' '.join(str(e).split())[:200]}"}
        replies.write(json.dumps(answer).encode() + b"\n")
        replies.flush()


if __name__ == "__main__":
    main()

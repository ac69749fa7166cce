"""Where the studio's renders live, and the queue that keeps renders to a few at a time.

Every file name is the server's: a render gets a fresh folder (``mkdtemp`` under the
server's folder) named after the mood and seed plus a random part, and fixed file names in
it. Clients name a render by that folder's id, looked up in a table: no path from a request
ever reaches the file system.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import tempfile
import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

KINDS = {"wav": "audio/wav", "mid": "audio/midi", "jsonl": "application/jsonl",
         "svg": "image/svg+xml", "zip": "application/zip"}


class Refused(Exception):
    """A request the studio will not serve: ``status`` and a one-line ``message`` (plus
    ``extra`` fields for the JSON answer, e.g. the pipeline stage that failed)."""

    def __init__(self, message: str, status: int = 400, **extra):
        super().__init__(message)
        self.message, self.status, self.extra = message, status, extra


@dataclass
class Limits:
    """What one server allows: seconds of music, events a pipeline may make, request
    bytes, renders at once (``workers``) and waiting (``waiting``), renders kept, and how
    long a connection may sit idle and a request take to arrive (``timeouts``)."""

    seconds: float = 600.0
    events: int = 100_000
    body: int = 256 * 1024
    pipeline_chars: int = 4000
    workers: int = 2
    waiting: int = 8
    kept: int = 200
    idle_seconds: float = 5.0
    read_seconds: float = 10.0


class Store:
    """The renders of this server: ``root`` (kept) or a temporary folder (removed at exit)."""

    def __init__(self, root: str | None, kept: int):
        self.temporary = root is None
        self.root = os.path.realpath(root or tempfile.mkdtemp(prefix="musicpipe-studio-"))
        os.makedirs(self.root, exist_ok=True)
        self.kept = kept
        self.renders: OrderedDict[str, dict[str, str]] = OrderedDict()  # id -> kind -> path
        self.recipes: dict[str, dict] = {}  # id -> how its audio was levelled (for stems)
        self._lock = threading.Lock()

    def add(self, label: str, files: dict[str, bytes],
            recipe: dict) -> tuple[str, dict[str, str]]:
        """Write one render's files; returns its id and {kind: download name}."""
        from ..atomic import atomic_write

        stem = re.sub(r"[^A-Za-z0-9_-]+", "-", label).strip("-")[:60] or "piece"
        folder = tempfile.mkdtemp(prefix=f"{stem}-", dir=self.root)
        rid = os.path.basename(folder)
        paths, names = {}, {}
        for kind, data in files.items():
            names[kind] = f"{stem}.{kind}"
            paths[kind] = os.path.join(folder, names[kind])
            atomic_write(paths[kind], data)
        with self._lock:
            self.renders[rid] = paths
            self.recipes[rid] = recipe
            old = [self.renders.popitem(last=False)[0]
                   for _ in range(len(self.renders) - self.kept)]
            for gone in old:
                del self.recipes[gone]
        if self.temporary:
            for gone in old:
                shutil.rmtree(os.path.join(self.root, gone), ignore_errors=True)
        return rid, names

    def attach(self, rid: str, kind: str, data: bytes) -> tuple[str, str]:
        """Add a file to a render (its stems); returns its URL and download name."""
        from ..atomic import atomic_write

        stem = os.path.splitext(os.path.basename(self.path(rid, "jsonl")))[0]
        name = f"{stem}-stems.{kind}"
        path = os.path.join(os.path.dirname(self.path(rid, "jsonl")), name)
        atomic_write(path, data)
        with self._lock:
            self.renders.get(rid, {})[kind] = path
        return f"/files/{rid}/{kind}", name

    def path(self, rid: str, kind: str) -> str:
        with self._lock:
            found = self.renders.get(rid, {}).get(kind)
        if found is None:
            shown = repr(rid if len(rid) <= 80 else rid[:77] + "...")  # ids are under 70
            raise Refused(f"serve: no file {kind} of render {shown} (renders are kept while "
                          "the server runs, the last ones only)", 404)
        return found

    def close(self) -> None:
        if self.temporary:
            shutil.rmtree(self.root, ignore_errors=True)


class Queue:
    """Renders run ``workers`` at a time in threads, ``waiting`` more wait their turn; a
    request beyond that is refused at once (429) rather than left hanging."""

    def __init__(self, workers: int, waiting: int):
        self.pool = ThreadPoolExecutor(workers, thread_name_prefix="musicpipe-render")
        self.capacity = workers + waiting
        self.taken = 0  # touched on the event loop's thread only

    async def run(self, fn, *args):
        if self.taken >= self.capacity:
            raise Refused(f"serve: {self.taken} renders are running or waiting, the most this "
                          "server takes; try again in a moment", 429)
        self.taken += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self.pool, fn, *args)
        finally:
            self.taken -= 1

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)

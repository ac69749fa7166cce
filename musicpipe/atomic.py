"""Atomic file writes: a crash or an error never leaves a half-written .mid or .wav.

The data goes to a temporary file in the target's directory (same file system, so the final
``os.replace`` is atomic), is flushed to disk, then renamed over the target. On any error the
temporary file is removed and the target is left as it was (also on SIGTERM: cli turns it
into an exception). A target that exists but is not
a regular file (``/dev/null``, a named pipe) is written in place: a rename would replace the
device itself. A symlink's target file is replaced, the link kept.

    with atomic_path("out/song.wav") as tmp:
        render_to(tmp)              # anything that writes a file by name
    atomic_write("song.mid", data)  # or just bytes
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager


def _temp_name(path: str) -> str:
    head, tail = os.path.split(os.path.abspath(path))
    return os.path.join(head, f".{tail}.{os.getpid()}.{os.urandom(4).hex()}.tmp")


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[str]:
    """Yield a temporary path next to ``path``; on success it replaces ``path`` atomically.

    The temporary file is created empty (mode 0666 less the umask, like ``open``), so a
    writer that only appends or reopens it works too. Raises OSError when the directory
    is missing or not writable.
    """
    shown = os.fspath(path)
    path = os.path.realpath(path)  # through a symlink: replace the file, keep the link
    try:
        special = not stat.S_ISREG(os.stat(path).st_mode)
    except FileNotFoundError:
        special = False
    if special:  # /dev/null, /dev/stdout, a FIFO: renaming over it would replace the device
        yield path
        return
    tmp = _temp_name(path)
    try:  # created inside the try: a signal raised just after it still removes it
        try:
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        except OSError as e:  # name the file the user asked for, not the temporary one
            raise OSError(e.errno, e.strerror, shown) from None
        yield tmp
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:  # never created (a missing or read-only folder)
            pass
        raise


def atomic_write(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (see ``atomic_path``)."""
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            f.write(data)

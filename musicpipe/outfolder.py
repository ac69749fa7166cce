"""A folder one run fills with files (``to-midi --split``, ``to-wav --stems``), safe against
a second run.

The folder is made if missing and locked (``flock`` on the folder itself) while the run
writes, so two runs into one new folder cannot both pass the "holds files" check: the second
is refused at once. Without ``force`` a folder holding files is refused; with it, the files
the previous run wrote there and this one does not (a piece with fewer tracks) are removed,
and only those: a list of what musicpipe wrote is kept in the folder (``MANIFEST``), so a
file the user put there is never touched. A folder the run made is removed again when the
run fails or is interrupted, so a failure leaves no new, empty folder.

    with OutFolder("tracks/", force=True) as folder:
        folder.write("01-bass.mid", data)
        with folder.atomic("02-piano.wav") as tmp:  # a writer that streams into a file by name
            render_to(tmp)
"""

from __future__ import annotations

import fcntl
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .atomic import atomic_path, atomic_write
from .errors import OutputError

MANIFEST = ".musicpipe-files"
"""The names of the files musicpipe wrote into the folder, one a line."""


class OutFolder:
    def __init__(self, path: str | os.PathLike, force: bool):
        self.shown, self.path, self.force = short_path(str(path)), Path(path), force
        self.made = False
        self.fd: int | None = None
        self.before: set[str] = set()
        self.written: list[str] = []

    def __enter__(self) -> OutFolder:
        try:
            if self.path.exists() and not self.path.is_dir():
                raise OutputError(f"{self.shown}: not a folder")
            self.made = not self.path.exists()
            self.path.mkdir(parents=True, exist_ok=True)
            self.fd = os.open(self.path, os.O_RDONLY | os.O_DIRECTORY)
        except OSError as e:
            raise OutputError(f"cannot create {self.shown}: {e.strerror or e}") from None
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self._close()
            raise OutputError(f"{self.shown}: another run is writing into this folder; wait "
                              "for it to finish, or name another folder") from None
        try:
            held = os.listdir(self.path)
        except OSError as e:
            self._close()
            raise OutputError(f"cannot read {self.shown}: {e.strerror or e}") from None
        if held and not self.force:
            self._close()
            raise OutputError(f"{self.shown}: the folder holds files; pass --force to overwrite "
                              "them, or name an empty or new folder")
        self.before = self._manifest()
        return self

    def write(self, name: str, data: bytes) -> Path:
        """Write one file atomically (OutputError when it cannot be written)."""
        path = self.path / name
        try:
            atomic_write(path, data)
        except OSError as e:
            raise OutputError(f"cannot write {path}: {e.strerror or e}") from None
        self.written.append(name)
        return path

    @contextmanager
    def atomic(self, name: str) -> Iterator[str]:
        """A temporary path for ``name``, renamed into the folder when the block ends well
        (OSError when it cannot be made: the caller names the file)."""
        with atomic_path(self.path / name) as tmp:
            yield tmp
        self.written.append(name)

    def __exit__(self, kind, error, tb) -> None:
        if kind is not None and self.made and not self.written:
            self._close()
            try:
                os.rmdir(self.path)  # empty: its temporary files are gone by now
            except OSError:
                pass
            return
        try:
            kept = set(self.written)
            if kind is None:  # a whole new piece: the last one's other files go
                for name in sorted(self.before - kept):
                    try:
                        if stat.S_ISREG(os.lstat(self.path / name).st_mode):
                            os.unlink(self.path / name)
                    except FileNotFoundError:
                        pass
                    except OSError as e:
                        raise OutputError(f"cannot remove {self.path / name}: "
                                          f"{e.strerror or e}") from None
            else:  # cut short: both pieces' files are ours to remove next time
                kept |= self.before
            try:
                atomic_write(self.path / MANIFEST, "".join(f"{n}\n" for n in sorted(kept)).encode())
            except OSError as e:
                if kind is None:
                    raise OutputError(f"cannot write {self.path / MANIFEST}: "
                                      f"{e.strerror or e}") from None
        finally:
            self._close()

    def _manifest(self) -> set[str]:
        """The names the last run recorded; plain names only (never a path out of here)."""
        try:
            text = (self.path / MANIFEST).read_text("utf-8", "replace")
        except OSError:
            return set()
        return {n for n in text.splitlines()
                if n and n != MANIFEST and "/" not in n and n not in (".", "..")}

    def _close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)  # and with it the lock
            self.fd = None


def short_path(path: str) -> str:
    """A path as an error line shows it: a very long one cut in the middle."""
    return path if len(path) <= 80 else f"{path[:60]}...{path[-16:]}"

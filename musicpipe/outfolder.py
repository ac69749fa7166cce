"""A folder one run fills with files (``to-midi --split``), safe against a second run.

The folder is made if missing and locked (``flock`` on the folder itself) while the run
writes, so two runs into one new folder cannot both pass the "holds files" check: the second
is refused at once. Without ``force`` a folder holding files is refused; with it, the files
the previous run wrote there and this one does not (a piece with fewer tracks) are removed,
and only those: a list of what musicpipe wrote is kept in the folder (``MANIFEST``), so a
file the user put there is never touched.

    with OutFolder("tracks/", force=True) as folder:
        folder.write("01-bass.mid", data)
"""

from __future__ import annotations

import fcntl
import os
import stat
from pathlib import Path

from .atomic import atomic_write
from .errors import OutputError

MANIFEST = ".musicpipe-files"
"""The names of the files musicpipe wrote into the folder, one a line."""


class OutFolder:
    def __init__(self, path: str | os.PathLike, force: bool):
        self.shown, self.path, self.force = str(path), Path(path), force
        self.fd: int | None = None
        self.before: set[str] = set()
        self.written: list[str] = []

    def __enter__(self) -> OutFolder:
        try:
            if self.path.exists() and not self.path.is_dir():
                raise OutputError(f"{self.shown}: not a folder")
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

    def __exit__(self, kind, error, tb) -> None:
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

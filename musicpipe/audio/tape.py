"""A render kept on disk between its two passes: float32 frames in an unlinked temporary
file beside the output, so an hour of audio costs disk, not memory, and nothing is left
behind however the process ends."""

from __future__ import annotations

import os
import tempfile

from ..errors import OutputError


class Tape:
    """(frames, channels) float32 audio appended in blocks and read back from anywhere."""

    def __init__(self, channels: int, folder: str | None = None, most: int = 0):
        """``most``: the frames it may come to hold; refused at once (OutputError) when
        the folder's disk has no room for them."""
        import shutil

        self.channels, self.frames, self.folder = channels, 0, folder or tempfile.gettempdir()
        try:
            free = shutil.disk_usage(self.folder).free
            if most * channels * 4 > free:
                raise OutputError(f"the render needs {most * channels * 4 / 2**30:,.1f} GiB of "
                                  f"disk in {self.folder} while its files are written, and "
                                  f"{free / 2**30:,.1f} GiB are free")
            self.file = tempfile.TemporaryFile(dir=self.folder, prefix=".musicpipe-")
        except OSError as e:
            raise self._error(e) from None

    def _error(self, e: OSError) -> OutputError:
        return OutputError(f"cannot keep the render in {self.folder} (it needs about "
                           f"{self.channels * 4 * max(self.frames, 1) / 2**20:,.0f} MB there "
                           f"until the files are written): {e.strerror or e}")

    def append(self, block) -> None:
        import numpy as np

        try:
            self.file.write(np.ascontiguousarray(block, dtype="float32").data)
        except OSError as e:
            raise self._error(e) from None
        self.frames += len(block)

    def read(self, lo: int, hi: int):
        """Frames lo..hi, zeros where they fall outside the tape."""
        import numpy as np

        out = np.zeros((hi - lo, self.channels), dtype="float32")
        a, b = max(lo, 0), min(hi, self.frames)
        if b > a:
            try:  # the seek writes out what is buffered: the disk can fill here too
                self.file.seek(a * self.channels * 4)
                self.file.readinto(out[a - lo:b - lo].data)
            except OSError as e:
                raise self._error(e) from None
        return out

    def close(self) -> None:
        self.file.close()


def folder_for(path: str | None) -> str | None:
    """Where a tape for the output ``path`` goes: beside it (its file system has room for
    the output); None (the temporary folder) for stdout, a device or FIFO (/dev/null) and
    for stems alone."""
    if not path or path == "-" or (os.path.exists(path) and not os.path.isfile(path)):
        return None
    return os.path.dirname(os.path.abspath(path))

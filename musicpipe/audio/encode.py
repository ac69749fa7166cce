"""Audio files written a block at a time: WAV (here: 16/24-bit PCM or 32-bit float, its
header first, as the length is known before the first sample), FLAC, Ogg Vorbis and MP3 (by
libsndfile through soundfile, whose writes append). Ogg streams get a fixed serial number
(libsndfile draws a random one), rewritten page by page once the file is complete, so the
same stream gives the same bytes in every format.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable
from pathlib import Path

from ..errors import Unavailable

# extension -> (libsndfile format, {bits: subtype}); None: lossy, no bit depth
FORMATS: dict[str, tuple[str, dict[int, str] | None]] = {
    "wav": ("WAV", {16: "PCM_16", 24: "PCM_24", 32: "FLOAT"}),
    "flac": ("FLAC", {16: "PCM_16", 24: "PCM_24"}),
    "ogg": ("OGG", None),
    "mp3": ("MP3", None),
}
LOSSY = {"OGG": "VORBIS", "MP3": "MPEG_LAYER_III"}
SUPPORTED = ", ".join(f".{ext}" for ext in FORMATS)
MP3_RATES = (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000)
CEILING = -1.0
SNDFILE_INSTALL = ("install a libsndfile with it: `pip install --upgrade soundfile` (its wheels "
                   "bundle libsndfile 1.2 with FLAC, Vorbis and MP3), or `apt-get install "
                   "libsndfile1` from Debian 12 or newer")


class FormatError(ValueError):
    """An extension or bit depth the writer does not know (a usage error)."""


def format_of(path: str, bits: int | None = None) -> tuple[str, int | None]:
    """(extension, bits) for ``path``; bits defaults to 16 where a depth applies."""
    ext = Path(path).suffix.lower().lstrip(".")
    if ext not in FORMATS:
        raise FormatError(f"{path}: unknown audio format; supported: {SUPPORTED}")
    depths = FORMATS[ext][1]
    if depths is None:
        if bits is not None:
            raise FormatError(f"--bits applies to .wav and .flac; .{ext} is compressed")
        return ext, None
    if bits is None:
        return ext, 16
    if bits not in depths:
        raise FormatError(f".{ext} holds {' or '.join(map(str, depths))} bits, not {bits}")
    return ext, bits


def check_rate(ext: str, rate: int) -> None:
    """FormatError when ``ext`` cannot hold audio at ``rate`` Hz (MP3: MPEG 1, 2 and 2.5)."""
    if ext == "mp3" and rate not in MP3_RATES:
        raise FormatError(f".mp3 holds {', '.join(map(str, MP3_RATES))} Hz, not {rate}: "
                          "use .ogg, .flac or .wav at that rate")


def check_available(ext: str) -> None:
    """Unavailable (exit 69) when the installed libsndfile cannot write ``ext``."""
    if ext == "wav":
        return
    try:
        import soundfile
    except (ImportError, OSError) as e:
        raise Unavailable(f"soundfile/libsndfile is missing ({e}): {SNDFILE_INSTALL}") from None
    fmt, depths = FORMATS[ext]
    subtypes = [LOSSY[fmt]] if depths is None else list(depths.values())
    if fmt not in soundfile.available_formats() or not all(
            s in soundfile.available_subtypes(fmt) for s in subtypes):
        raise Unavailable(f"this libsndfile ({soundfile.__libsndfile_version__}) cannot write "
                          f".{ext}: {SNDFILE_INSTALL}")


def _pcm(buf, bits: int):
    """Rounded (never wrapped) integers: int16, or 24 bits in the top of an int32; and how
    many samples lay beyond full scale."""
    import numpy as np

    from . import _kernels

    buf = np.ascontiguousarray(buf, dtype="float32")
    ints = np.empty(buf.shape, dtype="<i2" if bits == 16 else "<i4")
    return ints, _kernels.pcm(buf, bits, ints)


class Writer:
    """One audio file of ``frames`` stereo frames, written a float32 block at a time, to a
    path or (WAV only) to ``sink``; counts the samples clipped at full scale."""

    def __init__(self, target: str | Callable[[bytes], object], ext: str, bits: int | None,
                 rate: int, frames: int):
        self.ext, self.bits, self.clipped = ext, bits, 0
        self.path = target if isinstance(target, str) else None
        if ext == "wav":
            self.file = open(target, "wb") if self.path else None
            self._put = self.file.write if self.path else target
            self._put(wav_header(rate, bits or 16, frames))
        else:
            import soundfile

            fmt, depths = FORMATS[ext]
            subtype = LOSSY[fmt] if depths is None else depths[bits]
            self.file = soundfile.SoundFile(target, "w", rate, 2, subtype, format=fmt)

    def write(self, block) -> None:
        import numpy as np

        if self.bits == 32:
            self._put(block.astype("<f4").tobytes())
        elif self.ext != "wav" and self.bits is None:  # lossy: the encoder takes floats
            self.clipped += int(np.count_nonzero(np.abs(block) > 1.0))
            self.file.write(np.clip(block, -1.0, 1.0))
        else:
            ints, clipped = _pcm(block, self.bits or 16)
            self.clipped += clipped
            if self.ext != "wav":
                self.file.write(ints)
            elif self.bits == 24:
                self._put((ints >> 8).view(np.uint8).reshape(-1, 4)[:, :3].tobytes())
            else:
                self._put(ints.tobytes())

    def close(self) -> None:
        """Finish the file (again: nothing)."""
        if self.file is None:
            return
        file, self.file = self.file, None
        file.close()
        if self.ext == "ogg" and self.path:
            fix_ogg_serial(self.path)


def wav_header(rate: int, bits: int, frames: int) -> bytes:
    """A stereo WAV file's header: 16/24-bit PCM, or 32-bit IEEE float (with the fact chunk)."""
    block = 2 * bits // 8
    size = frames * block
    if bits == 32:
        tag, extra = 3, struct.pack("<4sII", b"fact", 4, frames)
    else:
        tag, extra = 1, b""
    fmt = struct.pack("<4sIHHIIHH", b"fmt ", 16, tag, 2, rate, rate * block, block, bits)
    body = 4 + len(fmt) + len(extra) + 8 + size
    return struct.pack("<4sI", b"RIFF", body) + b"WAVE" + fmt + extra + struct.pack(
        "<4sI", b"data", size)


_BITREV = bytes(int(f"{i:08b}"[::-1], 2) for i in range(256))


def _ogg_crc(page: bytes) -> int:
    """Ogg's CRC-32 (polynomial 0x04c11db7, unreflected, no inversion), via zlib's
    reflected one on bit-reversed bytes."""
    raw = zlib.crc32(page.translate(_BITREV), 0xFFFFFFFF) ^ 0xFFFFFFFF
    return int(f"{raw:032b}"[::-1], 2)


def fix_ogg_serial(path: str, serial: int = 0x6D706970) -> None:
    """Every page of the file's (single) logical stream given one serial number and its CRC
    redone, in place, a page at a time."""
    with open(path, "r+b") as f:
        pos = 0
        while True:
            f.seek(pos)
            head = f.read(27)
            if len(head) < 27 or head[:4] != b"OggS":
                return
            table = f.read(head[26])
            page = bytearray(head + table + f.read(sum(table)))
            page[14:18] = struct.pack("<I", serial)
            page[22:26] = b"\0\0\0\0"
            page[22:26] = struct.pack("<I", _ogg_crc(bytes(page)))
            f.seek(pos)
            f.write(page)
            pos += len(page)

"""A stream to audio files: the mix (and its stems) brought to a level and written as WAV,
FLAC, Ogg Vorbis or MP3, chosen by the file's extension.

WAV is written here (16/24-bit PCM or 32-bit float, byte for byte the same every run); FLAC,
Ogg and MP3 by libsndfile through soundfile. Ogg streams get a fixed serial number (libsndfile
draws a random one) so the same stream gives the same bytes there too. Every file is written
atomically; stems go into a folder that is never overwritten without ``force``.
"""

from __future__ import annotations

import os
import struct
import zlib
from collections.abc import Callable
from pathlib import Path

from .errors import OutputError, Unavailable

# extension -> (libsndfile format, {bits: subtype}); None: lossy, no bit depth
FORMATS: dict[str, tuple[str, dict[int, str] | None]] = {
    "wav": ("WAV", {16: "PCM_16", 24: "PCM_24", 32: "FLOAT"}),
    "flac": ("FLAC", {16: "PCM_16", 24: "PCM_24"}),
    "ogg": ("OGG", None),
    "mp3": ("MP3", None),
}
LOSSY = {"OGG": "VORBIS", "MP3": "MPEG_LAYER_III"}
SUPPORTED = ", ".join(f".{ext}" for ext in FORMATS)
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


def encode(buf, rate: int, ext: str, bits: int | None) -> tuple[bytes, int]:
    """The file's bytes and how many samples were clipped at full scale."""
    import numpy as np

    clipped = int(np.count_nonzero(np.abs(buf) > 1.0))
    if ext == "wav":
        return wav_bytes(buf, rate, bits or 16), clipped if bits != 32 else 0
    import io

    import soundfile

    fmt, depths = FORMATS[ext]
    out = io.BytesIO()
    if depths is None:
        soundfile.write(out, np.clip(buf, -1.0, 1.0), rate, format=fmt, subtype=LOSSY[fmt])
    else:
        soundfile.write(out, _pcm(buf, bits), rate, format=fmt, subtype=depths[bits])
    data = out.getvalue()
    return (_fixed_ogg_serial(data) if fmt == "OGG" else data), clipped


def _pcm(buf, bits: int):
    """Rounded (never wrapped) integers: int16, or 24 bits in the top of an int32."""
    import numpy as np

    full = 2 ** (bits - 1)
    ints = np.clip(np.rint(buf.astype("float64") * (full - 1)), -full, full - 1)
    return ints.astype("<i2") if bits == 16 else (ints.astype("<i4") << 8)


def wav_bytes(buf, rate: int, bits: int = 16) -> bytes:
    """A stereo WAV file: 16/24-bit PCM, or 32-bit IEEE float (with the fact chunk)."""
    import numpy as np

    if bits == 32:
        data, tag, extra = buf.astype("<f4").tobytes(), 3, struct.pack("<4sII", b"fact", 4, len(buf))
    else:
        ints = _pcm(buf, bits)
        if bits == 24:
            data = (ints >> 8).astype("<i4").view(np.uint8).reshape(-1, 4)[:, :3].tobytes()
        else:
            data = ints.tobytes()
        tag, extra = 1, b""
    block = 2 * bits // 8
    fmt = struct.pack("<4sIHHIIHH", b"fmt ", 16, tag, 2, rate, rate * block, block, bits)
    body = b"WAVE" + fmt + extra + struct.pack("<4sI", b"data", len(data)) + data
    return struct.pack("<4sI", b"RIFF", len(body)) + body


_BITREV = bytes(int(f"{i:08b}"[::-1], 2) for i in range(256))


def _ogg_crc(page: bytes) -> int:
    """Ogg's CRC-32 (polynomial 0x04c11db7, unreflected, no inversion), via zlib's
    reflected one on bit-reversed bytes."""
    raw = zlib.crc32(page.translate(_BITREV), 0xFFFFFFFF) ^ 0xFFFFFFFF
    return int(f"{raw:032b}"[::-1], 2)


def _fixed_ogg_serial(data: bytes, serial: int = 0x6D706970) -> bytes:
    """Every page of the (single) logical stream given one serial number, CRCs redone."""
    out = bytearray(data)
    pos = 0
    while pos + 27 <= len(out) and out[pos:pos + 4] == b"OggS":
        segments = out[pos + 26]
        size = 27 + segments + sum(out[pos + 27:pos + 27 + segments])
        out[pos + 14:pos + 18] = struct.pack("<I", serial)
        out[pos + 22:pos + 26] = b"\0\0\0\0"
        out[pos + 22:pos + 26] = struct.pack("<I", _ogg_crc(bytes(out[pos:pos + size])))
        pos += size
    return bytes(out)


def stems_folder(path: str, force: bool) -> Path:
    """The stems folder, created; OutputError when it holds files and ``force`` is off."""
    folder = Path(path)
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"{path}: not a folder")
    if folder.is_dir() and any(folder.iterdir()) and not force:
        raise OutputError(f"{path}: the folder holds files; pass --force to overwrite them, "
                          "or name an empty or new folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputError(f"cannot create {path}: {e.strerror or e}") from None
    return folder


def master(buf, rate: int, *, loudness: float | None = None, ceiling: float = CEILING,
           peak: float | None = None):
    """The gain for the mix: ``peak`` dBFS sample-peak normalisation, else ``loudness`` LUFS
    (None: as rendered) under a true-peak ``ceiling`` dBTP. Returns (gain, note)."""
    import numpy as np

    from . import loudness as lu

    if peak is not None:
        top = float(np.abs(buf).max()) if len(buf) else 0.0
        return (10 ** (peak / 20) / top if top > 0 else 1.0), None
    return lu.normalize(buf, rate, loudness=loudness, ceiling=ceiling)


def export(events: list[dict], out: str | None, *, stems: str | None = None, force: bool = False,
           rate: int = 44100, bits: int | None = None, loudness: float | None = None,
           ceiling: float = CEILING, peak: float | None = None, gain: float = 1.0,
           soundfont: str | None = None, length: float | None = None, tail_cap: float = 5.0,
           progress: Callable[[float], None] | None = None,
           warn: Callable[[str], None] | None = None, sink: Callable[[bytes], object] | None = None):
    """Render ``events`` and write the mix to ``out`` ("-": WAV bytes to ``sink``) and, with
    ``stems``, one file per track plus ``mix.EXT`` into that folder. With stems the mix is
    the sum of the stems, and one gain (the mix's level and limiter) applies to all.
    Raises FormatError, Unavailable, OutputError."""
    from . import loudness as lu
    from . import render, tracks
    from .atomic import atomic_write

    warn = warn or (lambda msg: None)
    ext, bits = format_of(out if out and out != "-" else "x.wav", bits)
    check_available(ext)
    folder = stems_folder(stems, force) if stems else None
    kw = dict(rate=rate, gain=gain, soundfont=soundfont, length=length, tail_cap=tail_cap,
              progress=progress)
    if folder is not None:
        parts = tracks.split(events)
        bufs = render.render_stems([t.events for t in parts], **kw)
        mix = sum(bufs[1:], bufs[0].copy()) if bufs else render.render([], **kw)
    else:
        parts, bufs = [], []
        mix = render.render(events, **kw)
    level, note = master(mix, rate, loudness=loudness, ceiling=ceiling, peak=peak)
    if note:
        warn(note)
    files = [(out, lu.apply(mix, level))] if out else []
    if folder is not None:
        files.append((str(folder / f"mix.{ext}"), lu.apply(mix, level)))
        files += [(str(folder / t.filename(ext)), lu.apply(b, level)) for t, b in zip(parts, bufs)]
    for path, audio in files:
        data, clipped = encode(audio, rate, ext, bits)
        if clipped:
            warn(f"{os.path.basename(path)}: {clipped} samples clipped at full scale")
        if path == "-":
            sink(data)
            continue
        try:
            atomic_write(path, data)
        except OSError as e:
            raise OutputError(f"cannot write {path}: {e.strerror or e}") from None
    return len(mix)

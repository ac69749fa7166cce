"""Loop points in files, so a sampler, game engine or DAW repeats a piece where it should.

WAV: a RIFF ``smpl`` chunk with one forward loop, added to a finished file (written by
soundfile) by walking the chunk headers and appending: the audio is never read, so a file
of any length costs the same. MIDI: ``Marker`` events named ``loopStart`` and ``loopEnd``
(the names RPG Maker, many trackers and game engines look for); to-midi writes a Marker
without ``ch`` as a marker meta event on the conductor track, so they need nothing more.
"""

from __future__ import annotations

import os
import struct

MIDI_UNITY_NOTE = 60  # the smpl chunk's root key: middle C, "play as written"


class WavError(ValueError):
    """A file that is not a RIFF WAVE file this can add loop points to."""


def loop_markers(start: int, end: int) -> list[dict]:
    """The ``loopStart`` and ``loopEnd`` Marker events for a loop from tick ``start`` to
    tick ``end`` (the tick the loop jumps back from: the piece's End for a whole-piece loop)."""
    if not 0 <= start < end:
        raise ValueError(f"a loop from tick {start} to {end}: start 0 or later, before the end")
    return [{"type": "Marker", "t": start, "text": "loopStart"},
            {"type": "Marker", "t": end, "text": "loopEnd"}]


def _smpl(rate: int, start: int, last: int) -> bytes:
    """The chunk: sampler header (36 bytes), one loop (24): forward (type 0), endless (play
    count 0), its end the last frame played, inclusive, as the RIFF spec counts."""
    period = round(1e9 / rate)  # nanoseconds per frame
    header = struct.pack("<9I", 0, 0, period, MIDI_UNITY_NOTE, 0, 0, 0, 1, 0)
    loop = struct.pack("<6I", 0, 0, start, last, 0, 0)
    body = header + loop
    return b"smpl" + struct.pack("<I", len(body)) + body


def add_wav_loop(path: str | os.PathLike, start: int, end: int) -> None:
    """Give the WAV file at ``path`` one forward loop over frames ``start`` .. ``end``
    (``end`` exclusive: the frame the loop jumps back from, the file's length for a
    whole-file loop). A ``smpl`` chunk already there is replaced in place.

    Call it on the file before it is renamed into place (atomic writes): the chunk is
    written before the RIFF size that counts it, so an interrupted call leaves a file that
    reads as before.
    """
    with open(path, "r+b") as f:
        head = f.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            raise WavError(f"{os.fspath(path)}: not a RIFF WAVE file (RF64 and W64 carry no smpl chunk here)")
        riff_end = 8 + struct.unpack("<I", head[4:8])[0]
        rate = block = data_size = smpl = None
        pos = 12
        while pos + 8 <= riff_end:
            f.seek(pos)
            cid, size = struct.unpack("<4sI", f.read(8))
            if cid == b"fmt ":
                _, _, rate, _, block = struct.unpack("<HHIIH", f.read(14))
            elif cid == b"data":
                data_size = size
            elif cid == b"smpl":
                smpl = (pos, size)
            pos += 8 + size + (size & 1)
        if rate is None or data_size is None:
            raise WavError(f"{os.fspath(path)}: no fmt or data chunk")
        frames = data_size // block
        if not 0 <= start < end <= frames:
            raise ValueError(f"a loop over frames {start}..{end}: inside the file's {frames} frames")
        chunk = _smpl(rate, start, end - 1)
        if smpl is not None and smpl[1] == len(chunk) - 8:
            f.seek(smpl[0])
            f.write(chunk)
            return
        if riff_end + len(chunk) > 0xFFFFFFFF:
            raise WavError(f"{os.fspath(path)}: no room for a smpl chunk under RIFF's 4 GiB")
        if smpl is not None:
            raise WavError(f"{os.fspath(path)}: has a smpl chunk of another size already")
        f.seek(riff_end)
        f.write(chunk)
        f.truncate()
        f.flush()
        f.seek(4)
        f.write(struct.pack("<I", riff_end + len(chunk) - 8))

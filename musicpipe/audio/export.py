"""A stream to audio files: the mix (and its stems) rendered, brought to a level and
written as WAV, FLAC, Ogg Vorbis or MP3, chosen by the file's extension, in two passes of
blocks, so a piece of any length takes the same memory.

Pass one renders (one synth, or one per stem in step), measures the mix (``level.Survey``)
and keeps the audio on a tape (a temporary file beside the output). Pass two reads the tape
back, applies the gain (``level.plan``) and encodes every file as it goes. All files are
written to temporary names and renamed only once every one of them is complete, so a full
disk or an interrupt leaves the old files as they were (and no new, empty stems folder).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

from ..errors import OutputError
from .encode import FormatError, Writer, check_available, check_rate, format_of
from .level import CHUNK, Survey, apply, plan

CEILING = -1.0
RENDER_SHARE = 0.9       # of the progress bar: the first pass (synthesis); the rest writes
STEM_NAME = re.compile(r"(\d\d-[a-z0-9-]+|mix)\.(wav|flac|ogg|mp3)")

__all__ = ["CEILING", "FormatError", "check_available", "check_rate", "export", "format_of",
           "stems_folder"]


def stems_folder(path: str, force: bool, create: bool = True) -> Path:
    """The stems folder (created unless ``create`` is off); OutputError when it is not a
    folder, cannot be made, or holds files and ``force`` is off."""
    folder = Path(path)
    try:
        if folder.exists() and not folder.is_dir():
            raise OutputError(f"{path}: not a folder")
        if folder.is_dir() and any(folder.iterdir()) and not force:
            raise OutputError(f"{path}: the folder holds files; pass --force to overwrite "
                              "them, or name an empty or new folder")
        if create:
            folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:  # a name too long, a parent that is a file, no permission
        raise OutputError(f"cannot create {_short(path)}: {e.strerror or e}") from None
    return folder


def _short(path: str) -> str:
    return path if len(path) <= 80 else f"{path[:60]}...{path[-16:]}"


def export(events: list[dict], out: str | None, *, stems: str | None = None, force: bool = False,
           rate: int = 44100, bits: int | None = None, loudness: float | None = None,
           ceiling: float = CEILING, peak: float | None = None, gain: float = 1.0,
           soundfont: str | None = None, length: float | None = None, tail_cap: float = 5.0,
           loop: bool = False, progress: Callable[[float], None] | None = None,
           warn: Callable[[str], None] | None = None, sink: Callable[[bytes], object] | None = None):
    """Render ``events`` and write the mix to ``out`` ("-": WAV bytes to ``sink``) and, with
    ``stems``, one file per track plus ``mix.EXT`` into that folder. With stems the mix is
    the sum of the stems, and one gain (the mix's level and limiter) applies to all.
    ``peak`` dBFS sample-peak normalisation, else ``loudness`` LUFS (None: as rendered),
    under a true-peak ``ceiling`` dBTP. ``loop``: the piece is ``length`` seconds that
    repeat, its tail folded into its start (``fold``), and WAV files carry the loop (a
    ``smpl`` chunk over every frame). Returns the frames written.
    Raises FormatError, Unavailable, OutputError."""
    import numpy as np

    from .. import tracks
    from . import synth
    from .tape import Tape, folder_for

    warn = warn or (lambda msg: None)
    ext, bits = format_of(out if out and out != "-" else "x.wav", bits)
    check_rate(ext, rate)
    check_available(ext)
    if stems:
        stems_folder(stems, force, create=False)
    parts = tracks.split(events) if stems else []
    streams = [t.events for t in parts] or [events]
    played = None if loop else length  # a loop renders its whole tail, to fold it in
    most = synth.most_frames(streams, rate=rate, length=played, tail_cap=tail_cap)
    folder = folder_for(out)
    if folder and not os.path.isdir(folder):  # say so now, not after the render
        raise OutputError(f"cannot write {_short(out)}: No such file or directory")
    tape = Tape(2 * len(streams), folder, most)
    try:
        survey = Survey(rate, loudness is not None)
        for block in synth.blocks(streams, rate=rate, gain=gain, soundfont=soundfont,
                                  length=played, tail_cap=tail_cap,
                                  progress=_share(progress, 0.0, RENDER_SHARE)):
            tape.append(np.hstack(block) if len(block) > 1 else block[0])
            if not loop:
                survey.push(_mix(block))
        source = tape
        if loop:
            from .fold import Folded

            source = Folded(tape, round(length * rate))
            for lo in range(0, source.frames, CHUNK):
                survey.push(_mix(_parts(source.read(lo, min(source.frames, lo + CHUNK)))))

        def read(lo: int, hi: int):
            return _mix(_parts(source.read(lo, hi)))

        level, note = plan(survey, read, rate, loudness=loudness, ceiling=ceiling, peak=peak)
        if note:
            warn(note)
        targets = [out] if out else []
        if stems:
            targets.append(os.path.join(stems, f"mix.{ext}"))
            targets += [os.path.join(stems, t.filename(ext)) for t in parts]
        _write_all(source, level, targets, stems=stems, force=force, mixes=1 + bool(out and stems),
                   ext=ext, bits=bits, rate=rate, sink=sink, warn=warn, loop=loop,
                   progress=_share(progress, RENDER_SHARE, 1.0))
    finally:
        tape.close()
    return source.frames


def _share(progress, start: float, end: float):
    return None if progress is None else (lambda f: progress(start + (end - start) * f))


def _parts(x) -> list:
    return [x[:, i:i + 2] for i in range(0, x.shape[1], 2)]


def _mix(parts: list):
    """The stems' sum, in their order (one part is the mix itself)."""
    return parts[0] if len(parts) == 1 else sum(parts[1:], parts[0].copy())


def _write_all(tape, level, targets: list[str], *, stems: str | None, force: bool, mixes: int,
               ext: str, bits: int | None, rate: int, sink, warn, progress, loop: bool = False) -> None:
    """Every target written from the tape at ``level``: the first ``mixes`` get the mix,
    the rest the stems in order. All are complete before any is renamed into place, a
    loop's WAV files with their loop points."""
    from ..atomic import atomic_path
    from ..looppoints import add_wav_loop

    made = stems is not None and not os.path.isdir(stems)
    frames = tape.frames
    try:
        with ExitStack() as stack:
            if stems is not None:
                stems_folder(stems, force)
            writers, temps = [], []
            for path in targets:
                try:
                    temp = path if path == "-" else stack.enter_context(atomic_path(path))
                    temps.append(temp)
                    writers.append(Writer(sink if path == "-" else temp, ext, bits, rate, frames))
                except OSError as e:
                    raise OutputError(f"cannot write {_short(path)}: {e.strerror or e}") from None
                stack.callback(writers[-1].close)
            for lo in range(0, frames, CHUNK):
                hi = min(frames, lo + CHUNK)
                parts = _parts(tape.read(lo, hi))
                gain = level.gain(lo, hi)
                mix = apply(_mix(parts), gain)
                for i, writer in enumerate(writers):
                    audio = mix if i < mixes else apply(parts[i - mixes], gain)
                    _write(writer, audio, targets[i])
                if progress is not None:
                    progress(hi / frames)
            for writer, path, temp in zip(writers, targets, temps):
                _write(writer, None, path)  # closed: complete before any is renamed
                if loop and ext == "wav" and os.path.isfile(temp):  # not stdout or /dev/null
                    add_wav_loop(temp, 0, frames)
                if writer.clipped:
                    warn(f"{os.path.basename(path)}: {writer.clipped} samples clipped at full scale")
    except BaseException:
        if made:  # a folder this render made stays only with its files in it
            try:
                os.rmdir(stems)
            except OSError:
                pass
        raise
    if stems is not None and force:
        _remove_stale(stems, {os.path.basename(p) for p in targets})


def _write(writer, audio, path: str) -> None:
    """``audio`` written (None: the file closed), a failure as an OutputError."""
    try:
        writer.write(audio) if audio is not None else writer.close()
    except OSError as e:
        raise OutputError(f"cannot write {_short(path)}: {e.strerror or e}") from None
    except RuntimeError as e:  # soundfile's error for a failed libsndfile write (a full disk)
        raise OutputError(f"cannot write {_short(path)}: {e}") from None


def _remove_stale(folder: str, kept: set[str]) -> None:
    """Stem files of an earlier piece in ``folder`` (names as this writes them) that this
    piece did not write: --force replaces the piece, not only the files of the same name."""
    for name in os.listdir(folder):
        if name not in kept and STEM_NAME.fullmatch(name):
            try:
                os.unlink(os.path.join(folder, name))
            except OSError:
                pass

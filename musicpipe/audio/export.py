"""A stream to audio files: the mix (and its stems) rendered, brought to a level and
written as WAV, FLAC, Ogg Vorbis or MP3, chosen by the file's extension, in two passes of
blocks, so a piece of any length takes the same memory.

Pass one renders (one synth, or one per stem in step), measures the mix (``level.Survey``)
and keeps the audio on a tape (a temporary file beside the output). Pass two reads the tape
back, applies the gain (``level.plan``) and encodes every file as it goes. All files are
written to temporary names and renamed only once every one of them is complete, so a full
disk or an interrupt leaves the old files as they were. The stems folder is an ``OutFolder``
(as ``to-midi --split``'s), held from the start: a second run into it is refused at once,
--force removes only the files the previous run wrote, a failure leaves no new folder.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from contextlib import ExitStack

from ..errors import OutputError
from ..outfolder import OutFolder, short_path as _short
from .encode import FormatError, Writer, check_available, check_rate, format_of
from .level import CHUNK, Survey, apply, plan

CEILING = -1.0
RENDER_SHARE = 0.9       # of the progress bar: the first pass (synthesis); the rest writes

__all__ = ["CEILING", "FormatError", "check_available", "check_rate", "export", "format_of"]


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
    warn = warn or (lambda msg: None)
    ext, bits = format_of(out if out and out != "-" else "x.wav", bits)
    check_rate(ext, rate)
    check_available(ext)
    with ExitStack() as held:
        stems_out = held.enter_context(OutFolder(stems, force)) if stems else None
        return _render(events, out, stems_out, ext=ext, bits=bits, rate=rate, loudness=loudness,
                       ceiling=ceiling, peak=peak, gain=gain, soundfont=soundfont, length=length,
                       tail_cap=tail_cap, loop=loop, progress=progress, warn=warn, sink=sink)


def _render(events: list[dict], out: str | None, stems: OutFolder | None, *, ext: str,
            bits: int | None, rate: int, loudness, ceiling, peak, gain, soundfont, length,
            tail_cap, loop, progress, warn, sink) -> int:
    """``export`` once the stems folder (if any) is held."""
    import numpy as np

    from .. import tracks
    from . import synth
    from .tape import Tape, folder_for

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
            targets.append(f"mix.{ext}")
            targets += [t.filename(ext) for t in parts]
        _write_all(source, level, targets, stems=stems, mixes=1 + bool(out and stems),
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


def _write_all(tape, level, targets: list[str], *, stems: OutFolder | None, mixes: int,
               ext: str, bits: int | None, rate: int, sink, warn, progress,
               loop: bool = False) -> None:
    """Every target written from the tape at ``level``: the first ``mixes`` get the mix,
    the rest the stems in order (the names in ``stems`` after ``out``, if any). All are
    complete before any is renamed into place, a loop's WAV files with their loop points."""
    from ..atomic import atomic_path
    from ..looppoints import add_wav_loop

    outside = mixes - 1 if stems else len(targets)  # ``out``, if any; then the stems folder
    frames = tape.frames
    with ExitStack() as stack:
        writers, shown, temps = [], [], []
        for i, target in enumerate(targets):
            inside = i >= outside
            shown.append(os.path.join(stems.shown, target) if inside else target)
            try:
                if target == "-" and not inside:
                    temp = target
                else:
                    temp = stack.enter_context(stems.atomic(target) if inside
                                               else atomic_path(target))
                temps.append(temp)
                writers.append(Writer(sink if temp == "-" else temp, ext, bits, rate, frames))
            except OSError as e:
                raise OutputError(f"cannot write {_short(shown[-1])}: {e.strerror or e}") from None
            stack.callback(writers[-1].close)
        for lo in range(0, frames, CHUNK):
            hi = min(frames, lo + CHUNK)
            parts = _parts(tape.read(lo, hi))
            gain = level.gain(lo, hi)
            mix = apply(_mix(parts), gain)
            for i, writer in enumerate(writers):
                audio = mix if i < mixes else apply(parts[i - mixes], gain)
                _write(writer, audio, shown[i])
            if progress is not None:
                progress(hi / frames)
        for writer, path, temp in zip(writers, shown, temps):
            _write(writer, None, path)  # closed: complete before any is renamed
            if loop and ext == "wav" and os.path.isfile(temp):  # not stdout or /dev/null
                add_wav_loop(temp, 0, frames)
            if writer.clipped:
                warn(f"{os.path.basename(path)}: {writer.clipped} samples clipped at full scale")


def _write(writer, audio, path: str) -> None:
    """``audio`` written (None: the file closed), a failure as an OutputError."""
    try:
        writer.write(audio) if audio is not None else writer.close()
    except OSError as e:
        raise OutputError(f"cannot write {_short(path)}: {e.strerror or e}") from None
    except RuntimeError as e:  # soundfile's error for a failed libsndfile write (a full disk)
        raise OutputError(f"cannot write {_short(path)}: {e}") from None

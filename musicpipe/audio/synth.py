"""Events -> audio with FluidSynth in-process, a block at a time.

pyfluidsynth and numpy are imported here only, when a render starts. The synth runs
sample-accurately: between two events exactly the frames that separate them are rendered,
as floats, so fades, loudness and the conversion to the file's format (audio.export) are
ours and exact. Audio comes out in blocks, so a render of any length takes the same memory;
stems are rendered by one synth per track, in step, block by block. Every setting that
shapes the sound is fixed (``SETTINGS``), so a render never drifts with FluidSynth's
defaults and the same stream gives the same bytes.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import BadOption, Unavailable
from ..events import DRUM_CHANNEL
from ..meter import seconds_at
from .soundfonts import INSTALL, find_soundfont

RATE = 44100
GAIN = 1.0
TAIL_CAP = 5.0          # seconds of release tail at most
SILENCE = 10 ** (-80 / 20)   # -80 dBFS: the tail has ended
WINDOW = 0.05           # seconds: tail test window and the fade at a cut
DRUM_BANK = 128

# FluidSynth settings fixed explicitly (types matter: a float setting given an int is ignored).
SETTINGS: dict[str, int | float] = {
    "synth.polyphony": 256,
    "synth.midi-channels": 16,
    "synth.cpu-cores": 1,
    "synth.reverb.active": 1,
    "synth.reverb.room-size": 0.4,
    "synth.reverb.damp": 0.2,
    "synth.reverb.width": 0.8,
    "synth.reverb.level": 0.5,
    "synth.chorus.active": 1,
    "synth.chorus.nr": 3,
    "synth.chorus.level": 0.3,
    "synth.chorus.speed": 0.3,
    "synth.chorus.depth": 4.0,
    "synth.dynamic-sample-loading": 1,
}

_IMPORT = threading.Lock()


def _import_fluidsynth():
    """pyfluidsynth, imported with fd 1 pointed at /dev/null: it prints where it found the
    library (with CI set), and stdout belongs to the stream. Once only, under a lock: two
    threads swapping fd 1 at once (the studio renders in threads) could leave it closed."""
    with _IMPORT:
        if "fluidsynth" in sys.modules:
            return sys.modules["fluidsynth"]
        return _import_quietly()


def _import_quietly():
    if sys.stdout is not None:  # None: fd 1 was closed when Python started
        sys.stdout.flush()
    try:
        saved = os.dup(1)
    except OSError:  # fd 1 is closed (`to-wav --out x.wav >&-`): nothing there to protect
        saved = None
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        with _soname_known():
            import fluidsynth
    except (ImportError, OSError) as e:
        raise Unavailable(f"the FluidSynth library is missing ({e}): {INSTALL}") from None
    finally:
        if sys.stdout is not None:
            sys.stdout.flush()
        if saved is not None:
            os.dup2(saved, 1)
            os.close(saved)
        if devnull != 1:  # with fd 1 closed, devnull took its place and keeps it, so no
            os.close(devnull)  # file opened later (the tape) becomes fd 1 under C's printf
    return fluidsynth


SONAME = "libfluidsynth.so.3"   # the library as Debian's libfluidsynth3 installs it


@contextmanager
def _soname_known():
    """pyfluidsynth finds its library with ctypes.util.find_library, which runs ldconfig in
    a subprocess: a hundredth of a second of every render. Where SONAME loads, the lookup
    answers with it at once while pyfluidsynth is imported; elsewhere it is left alone."""
    import ctypes
    import ctypes.util

    try:
        ctypes.CDLL(SONAME)
    except OSError:
        yield
        return
    find = ctypes.util.find_library
    ctypes.util.find_library = lambda name: SONAME if name == "fluidsynth" else find(name)
    try:
        yield
    finally:
        ctypes.util.find_library = find


def _schedule(events: Iterable[dict], rate: int):
    """Timed actions (frame, order, kind, args) and the piece's end in frames."""
    evs = list(events)
    tempos = sorted((e["t"], float(e["bpm"])) for e in evs if e["type"] == "Tempo")
    secs = seconds_at(tempos)

    def frame(t: int) -> int:
        return round(secs(t) * rate)

    actions = []
    end_tick = None
    last = 0
    for e in evs:
        typ = e["type"]
        if typ == "Note":
            actions.append((frame(e["t"]), 2, "on", (e["ch"], e["key"], e["vel"])))
            actions.append((frame(e["t"] + e["dur"]), 0, "off", (e["ch"], e["key"])))
            last = max(last, e["t"] + e["dur"])
        elif typ == "ProgramChange":
            actions.append((frame(e["t"]), 1, "program", (e["ch"], e["program"])))
        elif typ == "ControlChange":
            actions.append((frame(e["t"]), 1, "cc", (e["ch"], e["cc"], e["value"])))
        elif typ == "PitchBend":
            actions.append((frame(e["t"]), 1, "bend", (e["ch"], e["value"])))
        elif typ == "ChannelPressure":
            actions.append((frame(e["t"]), 1, "pressure", (e["ch"], e["value"])))
        elif typ == "End":
            end_tick = max(end_tick or 0, e["t"])
    actions.sort(key=lambda a: (a[0], a[1], a[3]))
    return actions, frame(end_tick if end_tick is not None else last)


class _Synth:
    """One FluidSynth instance with the fixed settings and a float writer."""

    def __init__(self, font: Path, rate: int, gain: float, defaults: Iterable[int]):
        """``defaults``: the channels given program 0 now (a channel is silent until a
        program is selected); the others wait for their own, so no unused preset's
        samples are loaded (the drum kit alone took 23 ms)."""
        fs = _import_fluidsynth()
        import ctypes

        import numpy

        self.np = numpy
        self.fs = fs
        self.synth = fs.Synth(gain=float(gain), samplerate=float(rate), **SETTINGS)
        got, lo, hi = _sample_rate(fs, self.synth.settings)
        if got != rate:
            self.synth.delete()
            raise BadOption(f"--rate {rate}: this FluidSynth renders at {lo:g}..{hi:g} Hz only")
        with _LOAD:  # one load at a time: the log and fd 2 are the process's (studio threads)
            log = _log(fs)
            with _stderr_caught() as chatter:  # libinstpatch's glib warnings, on fd 2 itself
                self.sfid = self.synth.sfload(str(font))
            first = (log.lines + chatter or [""])[0]
        if self.sfid < 0:
            self.synth.delete()
            raise Unavailable(f"FluidSynth could not load the SoundFont {font}"
                              + (f" ({first})" if first else ""))
        self._write = fs._fl.fluid_synth_write_float
        self._write.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p, ctypes.c_int,
                                ctypes.c_int, ctypes.c_void_p, ctypes.c_int, ctypes.c_int]
        for ch in defaults:
            self.program(ch, 0)

    def program(self, ch: int, program: int) -> None:
        bank = DRUM_BANK if ch == DRUM_CHANNEL else 0
        if self.synth.program_select(ch, self.sfid, bank, program) != 0:
            self.synth.program_select(ch, self.sfid, bank, 0)  # the font lacks it: its first

    def pressure(self, ch: int, value: int) -> None:
        """Channel aftertouch (pyfluidsynth has no wrapper for it: the C call itself)."""
        import ctypes

        call = self.fs._fl.fluid_synth_channel_pressure
        call.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int]
        call(self.synth.synth, ch, value)

    def render_into(self, buf, start: int, frames: int) -> None:
        """Write ``frames`` stereo frames into the float32 array ``buf`` (frames, 2) at ``start``."""
        if frames <= 0:
            return
        ptr = buf.ctypes.data + start * 8
        self._write(self.synth.synth, frames, ptr, 0, 2, ptr, 1, 2)

    def close(self) -> None:
        self.synth.delete()


def _sample_rate(fs, settings) -> tuple[float, float, float]:
    """The rate FluidSynth will really render at, and its allowed range: a rate outside it is
    ignored without a word, and a WAV header claiming it would play at the wrong pitch."""
    import ctypes

    lib = fs._fl
    for name in ("fluid_settings_getnum", "fluid_settings_getnum_range"):
        getattr(lib, name).argtypes = [ctypes.c_void_p, ctypes.c_char_p] + [
            ctypes.POINTER(ctypes.c_double)] * (1 if name == "fluid_settings_getnum" else 2)
    got, lo, hi = ctypes.c_double(), ctypes.c_double(), ctypes.c_double()
    lib.fluid_settings_getnum(settings, b"synth.sample-rate", ctypes.byref(got))
    lib.fluid_settings_getnum_range(settings, b"synth.sample-rate", ctypes.byref(lo),
                                    ctypes.byref(hi))
    return got.value, lo.value, hi.value


class _Log:
    """FluidSynth's own messages, caught instead of printed on our stderr: its errors are
    summarised in our one line (a broken SoundFont), the rest dropped. Installed once per
    process (FluidSynth keeps the callback for good)."""

    def __init__(self, fs):
        import ctypes

        self.lines: list[str] = []
        lib = fs._fl
        kind = ctypes.CFUNCTYPE(None, ctypes.c_int, ctypes.c_char_p, ctypes.c_void_p)
        self._callback = kind(self._collect)
        lib.fluid_set_log_function.argtypes = [ctypes.c_int, kind, ctypes.c_void_p]
        for level in range(5):  # FLUID_PANIC, ERR, WARN, INFO, DBG
            lib.fluid_set_log_function(level, self._callback, None)

    def _collect(self, level: int, message: bytes, data) -> None:
        if level <= 1:  # panic and errors; warnings and chatter are dropped
            self.lines.append(message.decode("utf-8", "replace").strip())


@contextmanager
def _stderr_caught() -> Iterator[list[str]]:
    """fd 2 pointed at a temporary file for the block; its non-blank lines land in the list."""
    import tempfile

    lines: list[str] = []
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as tmp:
        os.dup2(tmp.fileno(), 2)
        try:
            yield lines
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            tmp.seek(0)
            lines += [ln.strip() for ln in tmp.read(65536).decode("utf-8", "replace").splitlines()
                      if ln.strip()]


_LOG: _Log | None = None
_LOAD = threading.Lock()


def _log(fs) -> _Log:
    global _LOG
    if _LOG is None:
        _LOG = _Log(fs)
    _LOG.lines.clear()
    return _LOG


BLOCK = 16384           # frames rendered between two looks at the audio


def render(events: Iterable[dict], **options):
    """The stream as one float32 stereo numpy array (frames, 2), for short pieces (tests,
    the levels table); ``blocks`` takes the same options and keeps memory flat."""
    import numpy as np

    return np.concatenate([b[0] for b in blocks([list(events)], **options)])


def blocks(parts: list[list[dict]], *, rate: int = RATE, gain: float = GAIN,
           soundfont: str | os.PathLike | None = None, length: float | None = None,
           tail_cap: float = TAIL_CAP, progress: Callable[[float], None] | None = None
           ) -> Iterator[list]:
    """Each part (a stream) rendered by its own synth, in step: for each block, a list of
    float32 arrays (frames, 2), one per part, all of the same length. One part is the mix;
    several are stems, whose sum is the mix.

    Length: exactly ``length`` seconds (with a fade over the last 50 ms), else the piece
    (the latest End, else the last note's end, over all parts) plus the release tail, cut
    once a 50 ms window of the parts' sum stays under -80 dBFS (at most ``tail_cap``
    seconds; a stem that falls 40 dB under that alone renders silence from there) and faded
    to true zero over that window. Levels and files are audio.export's."""
    font = find_soundfont(str(soundfont) if soundfont else None)
    window = max(1, round(WINDOW * rate))
    return _faded(_rendered(font, parts, rate=rate, gain=gain, length=length,
                            tail_cap=tail_cap, progress=progress), window, len(parts))


def most_frames(parts: list[list[dict]], *, rate: int = RATE, length: float | None = None,
                tail_cap: float = TAIL_CAP) -> int:
    """The most frames ``blocks`` can give for these options (the whole tail)."""
    if length is not None:
        return max(1, round(length * rate))
    end = max((_schedule(part, rate)[1] for part in parts), default=0)
    return max(1, end + round(tail_cap * rate))


def _rendered(font: Path, parts: list[list[dict]], *, rate: int, gain: float,
              length: float | None, tail_cap: float, progress):
    schedules = [_schedule(part, rate) for part in parts]
    end = max((piece_end for _, piece_end in schedules), default=0)
    total = round(length * rate) if length is not None else end + round(tail_cap * rate)
    stop = total if length is not None else end
    synths = []
    try:
        for actions, _ in schedules:
            synths.append(_Player(_Synth(font, rate, gain, _unset(actions)), actions, stop))
        pos = 0
        while pos < stop:
            n = min(BLOCK, stop - pos)
            yield [p.play(pos, n) for p in synths]
            pos += n
            if progress is not None:
                progress(pos / max(1, total))
        if length is None:
            yield from _tail(synths, pos, total, rate, len(parts))
    finally:
        for p in synths:
            p.synth.close()
    if progress is not None:
        progress(1.0)


def _unset(actions: list) -> set[int]:
    """The channels that play a note before any program is chosen for them."""
    chosen, unset = set(), set()
    for _, _, kind, args in actions:
        if kind == "program":
            chosen.add(args[0])
        elif kind == "on" and args[0] not in chosen:
            unset.add(args[0])
    return unset


def _tail(players: list[_Player], pos: int, total: int, rate: int, parts: int):
    """After the piece: all notes released, then 50 ms windows until the parts' sum stays
    under SILENCE (a part alone under SILENCE / 100 stops sounding: its own tail is over)."""
    import numpy as np

    window = max(1, round(WINDOW * rate))
    alone = SILENCE if parts == 1 else SILENCE / 100
    for p in players:
        for ch in range(16):
            p.synth.synth.cc(ch, 123, 0)  # all notes off: release tails from here
    while pos < total:
        n = min(window, total - pos)
        out = []
        for p in players:
            buf = np.zeros((n, 2), dtype=np.float32)
            if p.sounding:
                p.synth.render_into(buf, 0, n)
                p.sounding = float(np.abs(buf).max()) >= alone
            out.append(buf)
        yield out
        pos += n
        mix = out[0] if parts == 1 else sum(out[1:], out[0].copy())
        if float(np.abs(mix).max()) < SILENCE:
            return


class _Player:
    """One synth and its timed actions, rendering a block at a time."""

    def __init__(self, synth: _Synth, actions: list, stop: int):
        self.synth, self.actions, self.next, self.sounding = synth, actions, 0, True
        self.stop = stop  # actions at or after it are not played (the cut, or the piece's end)

    def play(self, pos: int, n: int):
        """Frames pos..pos + n, with every action due before pos + n sent at its frame."""
        import numpy as np

        buf = np.empty((n, 2), dtype=np.float32)
        at, end, synth, s = pos, pos + n, self.synth, self.synth.synth
        actions = self.actions
        while self.next < len(actions) and actions[self.next][0] < min(end, self.stop):
            frame, _, kind, args = actions[self.next]
            self.next += 1
            synth.render_into(buf, at - pos, frame - at)
            at = max(at, frame)
            if kind == "on":
                s.noteon(*args)
            elif kind == "off":
                s.noteoff(*args)
            elif kind == "program":
                synth.program(*args)
            elif kind == "bend":
                s.pitch_bend(*args)
            elif kind == "pressure":
                synth.pressure(*args)
            else:
                s.cc(*args)
        synth.render_into(buf, at - pos, end - at)
        return buf


def _faded(parts_blocks, window: int, parts: int):
    """The blocks passed on ``window`` frames late, and the last ``window`` frames (or all,
    if fewer) faded to exact zero, so a cut never clicks; at least one frame."""
    import numpy as np

    held = None
    for block in parts_blocks:
        held = block if held is None else [np.concatenate((h, b)) for h, b in zip(held, block)]
        if len(held[0]) > window:
            yield [h[:-window] for h in held]
            held = [h[-window:] for h in held]
    if held is None or not len(held[0]):
        held = [np.zeros((1, 2), dtype=np.float32) for _ in range(parts)]
    fade = np.linspace(1.0, 0.0, len(held[0]) if len(held[0]) < window else window,
                       dtype=np.float32)[:, None]
    for h in held:
        h[-len(fade):] *= fade
    yield held

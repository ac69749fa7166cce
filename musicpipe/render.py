"""Events -> audio with FluidSynth in-process, and where SoundFonts are found.

pyfluidsynth and numpy are imported here only, when a render starts. The synth runs
sample-accurately: between two events exactly the frames that separate them are rendered,
as floats, so fades, loudness and the conversion to the file's format (musicpipe.export)
are ours and exact. Stems are rendered by one synth per track with the same settings.
Every setting that shapes the sound is fixed (``SETTINGS``), so a render never drifts with
FluidSynth's defaults and the same stream gives the same bytes.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import BadOption, Unavailable
from .events import DRUM_CHANNEL
from .meter import seconds_at

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

BYTES_PER_FRAME = 96    # peak memory per stereo frame, measured with --loudness (oversampled peaks)


def memory_budget() -> int:
    """Bytes a render may use: half the machine's memory (a longer piece is refused up front)."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // 2
    except (ValueError, OSError):
        return 4 << 30


def check_budget(frames: int, rate: int, what: str) -> None:
    """Refuse a render of ``frames`` that would not fit the memory budget (not attempted):
    BadOption (exit 2) for --length, DataError (65) for a piece that long."""
    need = frames * BYTES_PER_FRAME
    if need > memory_budget():
        from .stream import DataError

        hours = frames / rate / 3600
        message = (f"{what} lasts {hours:,.1f} hours: rendering it needs {need / 2**30:,.1f} "
                   f"GiB, more than the {memory_budget() / 2**30:,.1f} GiB allowed (half this "
                   "machine's memory)")
        raise BadOption(message) if what.startswith("--") else DataError(message)


INSTALL = ("run bin/setup, or `sudo apt-get install libfluidsynth3 fluid-soundfont-gm`")

_SYSTEM_FONTS = (
    "/usr/share/sounds/sf2/default-GM.sf2", "/usr/share/sounds/sf2/FluidR3_GM.sf2",
    "/usr/share/sounds/sf3/MuseScore_General.sf3", "/usr/share/sounds/sf2/MuseScore_General.sf2",
    "/usr/share/sounds/sf2/TimGM6mb.sf2", "/usr/share/soundfonts/FluidR3_GM.sf2",
    "/usr/share/soundfonts/default.sf2",
)


def _fonts_in(folder: Path) -> list[Path]:
    try:  # an unreadable HOME (a service user) holds no fonts
        return sorted(p for p in folder.iterdir()
                      if p.suffix.lower() in (".sf2", ".sf3") and p.is_file())
    except OSError:
        return []


def soundfont_candidates(explicit: str | None = None) -> list[tuple[str, Path]]:
    """Every place a SoundFont is looked for, in order, as (source, path)."""
    found: list[tuple[str, Path]] = []
    if explicit:
        found.append(("--soundfont", Path(explicit)))
    env = os.environ.get("MUSICPIPE_SOUNDFONT")
    if env:
        p = Path(env)
        found += [("$MUSICPIPE_SOUNDFONT", f) for f in _fonts_in(p)] if p.is_dir() else [
            ("$MUSICPIPE_SOUNDFONT", p)]
    project = Path(__file__).resolve().parent.parent / "soundfonts"
    for folder in dict.fromkeys((Path.cwd() / "soundfonts", project)):
        found += [("soundfonts/", f) for f in _fonts_in(folder)]
    data = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local/share")
    found += [("user data dir", f) for f in _fonts_in(data / "musicpipe" / "soundfonts")]
    found += [("system", Path(p)) for p in _SYSTEM_FONTS]
    return found


def soundfont_table(explicit: str | None) -> str:
    """Where SoundFonts are looked for, found or missing, and the one used (`--list-soundfonts`)."""
    lines, used = [], None
    for source, path in soundfont_candidates(explicit):
        there = path.is_file()
        mark = " "
        if there and used is None:
            used, mark = path, "*"
        lines.append(f"{mark} {'found  ' if there else 'missing'}  {source:<22} {path}")
    lines.append(f"using: {used}" if used else "using: none (run bin/setup or pass --soundfont)")
    return "\n".join(lines) + "\n"


def find_soundfont(explicit: str | None = None) -> Path:
    """The SoundFont to use: the first candidate that exists; Unavailable when none does."""
    if explicit and not Path(explicit).is_file():
        raise Unavailable(f"--soundfont {explicit}: no such file")
    env = os.environ.get("MUSICPIPE_SOUNDFONT")
    if not explicit and env and not Path(env).exists():
        raise Unavailable(f"MUSICPIPE_SOUNDFONT={env}: no such file or folder")
    for _, path in soundfont_candidates(explicit):
        if path.is_file():
            return path
    raise Unavailable(f"no SoundFont found: {INSTALL}, or pass --soundfont FILE.sf2 "
                      "(or set MUSICPIPE_SOUNDFONT); `to-wav --list-soundfonts` shows where "
                      "they are looked for")


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
    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        import fluidsynth
    except (ImportError, OSError) as e:
        raise Unavailable(f"the FluidSynth library is missing ({e}): {INSTALL}") from None
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)
    return fluidsynth


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

    def __init__(self, font: Path, rate: int, gain: float):
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
        for ch in range(16):  # a channel is silent until a program is selected
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


def render(events: Iterable[dict], *, rate: int = RATE, gain: float = GAIN,
           soundfont: str | os.PathLike | None = None, length: float | None = None,
           tail_cap: float = TAIL_CAP, progress: Callable[[float], None] | None = None):
    """The stream as float32 stereo samples, a numpy array (frames, 2), at FluidSynth's level.

    Length: exactly ``length`` seconds (with a fade over the last 50 ms), else the piece
    (its End, else its last note's end) plus the release tail, cut once a 50 ms window stays
    under -80 dBFS (at most ``tail_cap`` seconds) and faded to true zero over that window.
    Levels, loudness and the file format are musicpipe.export's.
    """
    font = find_soundfont(str(soundfont) if soundfont else None)
    buf = _render_one(font, list(events), rate=rate, gain=gain, length=length,
                      tail_cap=tail_cap, progress=progress)
    return _fade(buf, rate)


def render_stems(parts: list[list[dict]], *, rate: int = RATE, gain: float = GAIN,
                 soundfont: str | os.PathLike | None = None, length: float | None = None,
                 tail_cap: float = TAIL_CAP, progress: Callable[[float], None] | None = None):
    """Each part (a stream: one track and the conductor events) rendered alone by its own
    synth with the same settings; their sum is the mix. They share the piece's end (all
    notes are released there), the tail is cut where the mix's would be (tested on their
    sum), and all are faded alike. Returns the list of float32 arrays (frames, 2)."""
    import numpy as np

    font = find_soundfont(str(soundfont) if soundfont else None)
    end = max((_schedule(part, rate)[1] for part in parts), default=0)
    bufs = []
    for i, part in enumerate(parts):
        step = None if progress is None else (lambda f, i=i: progress((i + f) / len(parts)))
        bufs.append(_render_one(font, part, rate=rate, gain=gain, length=length,
                                tail_cap=tail_cap, progress=step, end=end,
                                silence=SILENCE / 100))
    frames = max((len(b) for b in bufs), default=1)
    bufs = [np.pad(b, ((0, frames - len(b)), (0, 0))) for b in bufs]
    if length is None and bufs:
        frames = _tail_cut(sum(bufs[1:], bufs[0].copy()), end, rate)
    return [_fade(b[:frames], rate) for b in bufs]


def _tail_cut(buf, start: int, rate: int) -> int:
    """Where the render loop would have cut ``buf``: after the first 50 ms window from
    ``start`` on that stays under SILENCE."""
    window = max(1, round(WINDOW * rate))
    pos = start
    while pos < len(buf):
        n = min(window, len(buf) - pos)
        pos += n
        if float(abs(buf[pos - n:pos]).max()) < SILENCE:
            break
    return max(pos, 1)


def _render_one(font: Path, events: list[dict], *, rate: int, gain: float, length: float | None,
                tail_cap: float, progress: Callable[[float], None] | None, end: int | None = None,
                silence: float = SILENCE):
    """One synth renders the events: sample-accurate, then the tail until a window stays
    under ``silence`` (see ``render``). ``end``: the piece's end in frames, if not its own."""
    actions, piece_end = _schedule(events, rate)
    piece_end = piece_end if end is None else end
    if length is None:
        check_budget(piece_end + round(tail_cap * rate), rate, "the piece")
    else:
        check_budget(round(length * rate), rate, f"--length {length:g}")
    synth = _Synth(font, rate, gain)
    np = synth.np
    try:
        total = round(length * rate) if length is not None else piece_end + round(tail_cap * rate)
        buf = np.zeros((max(total, 1), 2), dtype=np.float32)
        stop = total if length is not None else piece_end
        pos = 0
        s = synth.synth
        for i, (frame, _, kind, args) in enumerate(actions):
            if frame >= stop:
                break
            synth.render_into(buf, pos, min(frame, total) - pos)
            pos = max(pos, min(frame, total))
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
            if progress is not None and i % 256 == 0:
                progress(pos / max(1, total))
        if length is None:
            synth.render_into(buf, pos, stop - pos)
            pos = stop
            for ch in range(16):
                s.cc(ch, 123, 0)  # all notes off: release tails from here
            window = max(1, round(WINDOW * rate))
            while pos < total:
                n = min(window, total - pos)
                synth.render_into(buf, pos, n)
                pos += n
                if float(np.abs(buf[pos - n:pos]).max()) < silence:
                    break
            buf = buf[:max(pos, 1)]
        else:
            synth.render_into(buf, pos, total - pos)
    finally:
        synth.close()
    if progress is not None:
        progress(1.0)
    return buf


def _fade(buf, rate: int):
    """The last 50 ms faded to exact zero (a cut never clicks)."""
    import numpy as np

    fade = min(len(buf), max(1, round(WINDOW * rate)))
    buf[-fade:] *= np.linspace(1.0, 0.0, fade, dtype=np.float32)[:, None]
    return buf

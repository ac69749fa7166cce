"""Events -> audio with FluidSynth in-process, and where SoundFonts are found.

pyfluidsynth and numpy are imported here only, when a render starts. The synth runs
sample-accurately: between two events exactly the frames that separate them are rendered,
as floats, so gain, normalisation, fades and the int16 conversion are ours and exact.
Every setting that shapes the sound is fixed (``SETTINGS``), so a render never drifts with
FluidSynth's defaults and the same stream gives the same bytes.
"""

from __future__ import annotations

import io
import os
import sys
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

from .errors import Unavailable
from .events import DRUM_CHANNEL, PPQ

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
    "synth.chorus.level": 1.2,
    "synth.chorus.speed": 0.3,
    "synth.chorus.depth": 4.0,
    "synth.dynamic-sample-loading": 1,
}

INSTALL = ("run bin/setup, or `sudo apt-get install libfluidsynth3 fluid-soundfont-gm`")

_SYSTEM_FONTS = (
    "/usr/share/sounds/sf2/default-GM.sf2", "/usr/share/sounds/sf2/FluidR3_GM.sf2",
    "/usr/share/sounds/sf3/MuseScore_General.sf3", "/usr/share/sounds/sf2/MuseScore_General.sf2",
    "/usr/share/sounds/sf2/TimGM6mb.sf2", "/usr/share/soundfonts/FluidR3_GM.sf2",
    "/usr/share/soundfonts/default.sf2",
)


def _fonts_in(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in (".sf2", ".sf3") and p.is_file())


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


def seconds_at(tempos: list[tuple[int, float]]) -> Callable[[int], float]:
    """tick -> seconds under a tempo map [(tick, bpm)] sorted by tick (120 BPM before the first)."""
    points = [(0, 0.0, 120.0)]  # (tick, seconds at tick, bpm from there)
    for t, bpm in tempos:
        t0, s0, b0 = points[-1]
        s = s0 + (t - t0) * 60 / (b0 * PPQ)
        if t == t0:
            points[-1] = (t0, s0, bpm)
        else:
            points.append((t, s, bpm))
    from bisect import bisect_right

    starts = [p[0] for p in points]

    def at(tick: int) -> float:
        t0, s0, b0 = points[bisect_right(starts, tick) - 1]
        return s0 + (tick - t0) * 60 / (b0 * PPQ)

    return at


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
        self.sfid = self.synth.sfload(str(font))
        if self.sfid < 0:
            self.synth.delete()
            raise Unavailable(f"FluidSynth could not load the SoundFont {font}")
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


def render(events: Iterable[dict], *, rate: int = RATE, gain: float = GAIN,
           soundfont: str | os.PathLike | None = None, length: float | None = None,
           tail_cap: float = TAIL_CAP, normalize: float | None = None,
           progress: Callable[[float], None] | None = None, warn: Callable[[str], None] | None = None):
    """The stream as int16 stereo samples, a numpy array (frames, 2).

    Length: exactly ``length`` seconds (with a fade over the last 50 ms), else the piece
    (its End, else its last note's end) plus the release tail, cut once a 50 ms window stays
    under -80 dBFS (at most ``tail_cap`` seconds) and faded to true zero over that window.
    ``normalize`` (dBFS) scales the peak to that level; otherwise samples beyond full scale
    are clipped with a warning.
    """
    font = find_soundfont(str(soundfont) if soundfont else None)
    actions, piece_end = _schedule(events, rate)
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
                if float(np.abs(buf[pos - n:pos]).max()) < SILENCE:
                    break
            buf = buf[:pos]
        else:
            synth.render_into(buf, pos, total - pos)
    finally:
        synth.close()
    if progress is not None:
        progress(1.0)
    return _finish(buf, rate, normalize, warn, np)


def _finish(buf, rate: int, normalize: float | None, warn, np):
    """Normalise, fade the last window to zero, convert to int16 without wrapping."""
    peak = float(np.abs(buf).max()) if len(buf) else 0.0
    if normalize is not None and peak > 0:
        buf *= np.float32(10 ** (normalize / 20) / peak)
    fade = min(len(buf), max(1, round(WINDOW * rate)))
    if fade:
        buf[-fade:] *= np.linspace(1.0, 0.0, fade, dtype=np.float32)[:, None]
    scaled = buf * np.float32(32767)
    over = int(np.count_nonzero(np.abs(scaled) > 32767))
    if over and warn is not None:
        warn(f"{over} samples clipped at full scale: lower --gain or use --normalize")
    return np.clip(np.rint(scaled), -32768, 32767).astype("<i2")


def wav_bytes(samples, rate: int = RATE) -> bytes:
    """A 16-bit stereo PCM WAV file holding ``samples`` (frames, 2)."""
    import wave

    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(samples.tobytes())
    return out.getvalue()


def write_wav(events: Iterable[dict], path: str | os.PathLike, *, rate: int = RATE, **kw) -> int:
    """Render and write a WAV atomically; returns the number of frames."""
    from .atomic import atomic_write

    samples = render(events, rate=rate, **kw)
    atomic_write(path, wav_bytes(samples, rate))
    return len(samples)

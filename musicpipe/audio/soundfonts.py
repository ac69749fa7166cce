"""Where SoundFonts are found: --soundfont, $MUSICPIPE_SOUNDFONT, soundfonts/ folders, the
user data dir, then the system GM fonts (docs/render.md)."""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import Unavailable

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
    project = Path(__file__).resolve().parents[2] / "soundfonts"
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

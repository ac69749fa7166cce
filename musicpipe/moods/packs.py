"""Mood packs: TOML files of moods, where they are found, how they are checked and inherited.

One schema (``MOOD``, ``LAYER``, ...) drives validation, ``extends`` merging and the format
reference in docs/moods.md. The format is a superset of midi-cli-rs packs: their fields
(``base_mood``, ``default_tempo``, ``default_key``, ``default_intensity``, ``[moods.harmony]``,
``[moods.dynamics]``, layers with instruments, register, density, pattern) are read and used
as they are. Layers are written ``[[moods.layers]]`` (with ``name``) or ``[moods.layers.NAME]``;
both load into one table by name, so ``extends`` can merge them.
"""

from __future__ import annotations

import math
import os
import re
import stat
import tomllib
from pathlib import Path

from ..audio.mixing import MIN_LEVEL, parse_curve, parse_pan
from ..theory import (TheoryError, parse_drum, parse_key, parse_note, parse_program,
                      parse_progression, parse_roman, scale_name)


class PackError(ValueError):
    """A broken pack or mood; the message names the file, the mood and the field."""


class Field:
    """One field: its kind, range or choices, default, and a line of documentation."""

    __slots__ = ("kind", "lo", "hi", "choices", "doc", "alias_of", "check")

    def __init__(self, kind, doc, *, lo=None, hi=None, choices=None, alias_of=None, check=None):
        self.kind, self.doc, self.lo, self.hi = kind, doc, lo, hi
        self.choices, self.alias_of, self.check = choices, alias_of, check


def _key(v):
    parse_key(v)


def _scale(v):
    if v not in SCALE_WORDS:
        scale_name(v)


def _nonempty(v):
    if isinstance(v, list) and not v:
        raise ValueError("an empty list: give at least one")


def _program(v):
    _nonempty(v)
    for item in v if isinstance(v, list) else [v]:
        if isinstance(item, str) and item in KITS:
            continue
        parse_program(item)


def _progression(v):
    if isinstance(v, list) and not all(isinstance(c, str) for c in v):
        raise ValueError("a list of chords is text items like \"ii7\"")
    parse_progression(" ".join(v) if isinstance(v, list) else v, 0, "major")


def _seq_notes(v):
    from ..generators.seq import part

    part(v)


def _cadence(v):
    if v not in CADENCE_NAMES:
        for numeral in v.split():
            parse_roman(numeral, 0, "major")


def _drum(v):
    parse_drum(v)


def _note(v):
    if isinstance(v, str):
        parse_note(v)


def _time_sig(v):
    num, _, den = v.partition("/")
    if not (num.isdigit() and den.isdigit() and 1 <= int(num) <= 32 and int(den) in (2, 4, 8, 16)):
        raise ValueError(f"{v!r} is not a time signature like 4/4, 3/4 or 6/8")


SCALE_WORDS = {"natural_minor": "minor", "pentatonic": None, "blues": None}
KITS = {"standard": 0, "room": 8, "power": 16, "electronic": 24, "808": 25, "tr-808": 25,
        "jazz": 32, "brush": 40, "orchestra": 48}
GENERATORS = ("motif", "euclid", "seq", "chords", "bass", "arp")
PATTERNS = ("melodic", "sparse", "sustained", "rhythmic", "comping", "arpeggiated", "walking",
            "pedal", "octave", "root", "drums")
CURVES = ("flat", "crescendo", "decrescendo", "arch", "wave")
CONTOURS = ("arch", "ascending", "descending", "wave", "random")
SECTION_KINDS = ("intro", "A", "B", "C", "outro")
DRUM_STYLES = ("four-on-the-floor", "backbeat", "synthwave", "chiptune", "jazz", "lofi",
               "cinematic", "heartbeat", "march", "show")
CADENCE_NAMES = ("authentic", "plagal", "dark", "jazz", "epic", "soft")

VOICE = {
    "note": Field((str, int), "drum by GM name (kick, snare, closed-hat...) or key", check=_drum),
    "pulses": Field(int, "onsets per cycle (default 4; scaled by density)", lo=0, hi=64),
    "steps": Field(int, "steps per cycle (default 16)", lo=1, hi=64),
    "rotation": Field(int, "steps to rotate left (default 0)", lo=-64, hi=64),
    "step": Field(int, "step length in ticks (default 120, a sixteenth)", lo=10, hi=1920),
    "velocity": Field(int, "velocity (default: the layer's)", lo=1, hi=127),
    "accent": Field(int, "velocity added to the first pulse (default 10)", lo=0, hi=60),
    "ghost": Field(float, "chance of a ghost note on an empty step (default 0)", lo=0, hi=1),
    "skip": Field(float, "chance a pulse is left out (default 0)", lo=0, hi=1),
    "min_intensity": Field(int, "the voice plays only from this intensity on", lo=0, hi=100),
}
REGISTER = {
    "base": Field((int, str), "lowest key, a number or a note name like C3 (default: motif "
                  "60, chords 52, bass 36, arp 60)", lo=0, hi=127, check=_note),
    "range": Field(int, "semitones above base (default: motif 14, chords 19, bass 14, arp 24)",
                   lo=2, hi=60),
}
LAYER = {
    "generator": Field(str, "what plays the layer (default: from pattern, else the name)",
                       choices=GENERATORS),
    "pattern": Field(str, "how it plays (midi-cli-rs); picks the generator when none is "
                     "given (default: chords sustained, bass root)", choices=PATTERNS),
    "instruments": Field((list, str, int), "GM instrument names or numbers; the seed picks "
                         "one; drums: a kit: standard, room, power, electronic, 808, jazz, "
                         "brush, orchestra (default: piano; drums standard)", check=_program),
    "instrument": Field((list, str, int), "alias of instruments", alias_of="instruments",
                        check=_program),
    "ch": Field(int, "MIDI channel (default: the next free one; drums 9)", lo=0, hi=15),
    "register": Field(dict, "{ base, range }: where the layer plays"),
    "octave": Field(int, "register base at C of this octave (4: C4 = 60) when register has "
                    "no base", lo=-1, hi=9),
    "density": Field(float, "how many notes: rests, pulses, comping hits (default 0.6)",
                     lo=0, hi=1),
    "velocity": Field(int, "base velocity (default: dynamics.velocity_base)", lo=1, hi=127),
    "min_intensity": Field(int, "the layer plays only from this intensity on (default 0)",
                           lo=0, hi=100),
    "contour": Field((str, list), "melody shape(s); the seed picks one (default: all but "
                     "random)", choices=CONTOURS, check=_nonempty),
    "complexity": Field(int, "melody leaps and rhythm variety (default: from density)",
                        lo=0, hi=100),
    "phrase_length": Field(int, "melody: notes per phrase (default: 2-bar phrases)", lo=1, hi=64),
    "accent_on": Field(list, "accents: downbeat, phrase_end (default none)",
                       choices=("downbeat", "phrase_end")),
    "swing": Field(float, "melody: off-beat eighths delayed (1 = triplet; default 0)",
                   lo=0, hi=1),
    "notes": Field(str, "seq: notes in seq notation, written in C, moved to the key "
                   "(default C4/1)", check=_seq_notes),
    "rate": Field(str, "arp and rhythmic note value (default 8; arp 16 when dense)",
                  choices=("4", "8", "16", "8t")),
    "octaves": Field(int, "arp: octaves spanned (default 2)", lo=1, hi=4),
    "voices": Field(list, "euclid: drum voices, each { note, pulses, steps, ... } (default: "
                    "kick, snare from intensity 30, closed hat from 50)"),
    "style": Field(str, "drums: a style's bar pattern instead of euclid voices; density thins "
                   "only hats and ghost notes", choices=DRUM_STYLES),
    "fills": Field(int, "drums: a fill where a section turns into the next, and sometimes one "
                   "in the middle of a section of 2N bars or more (default 4; 0: none)", lo=0, hi=32),
    "sections": Field(list, "where the layer plays: intro, A, B, C, outro (default: melodies "
                      "from A on, drums from A to the outro, the rest everywhere)",
                      choices=SECTION_KINDS),
    "chromatic": Field(float, "melody: chance of a chromatic passing tone between notes a "
                       "whole step apart (default 0)", lo=0, hi=1),
    "level": Field(float, "mix: dB below full volume (CC 7), before the instrument's trim "
                   "(default by role: lead -10, bass, drums and arp -12, keys -14, pad -16)",
                   lo=MIN_LEVEL, hi=0),
    "pan": Field((float, int, str), "mix: -1 (left) .. 1 (right), or L, R, C, L30, R50 (CC 10; "
                 "default: centre, keys and arps alternately L35 / R35)", check=parse_pan),
    "reverb": Field(int, "mix: reverb send, CC 91 (default by role: lead 30, bass 10, drums "
                    "20, keys and arp 40, pad 60)", lo=0, hi=127),
    "chorus": Field(int, "mix: chorus send, CC 93 (default 0; pads 20)", lo=0, hi=127),
    "expression": Field((int, str), "mix: CC 11, a value or a curve over the piece like "
                        "\"64>127>64\" (a swell; default: none)", check=parse_curve),
    "sustain": Field(bool, "mix: sustain pedal (CC 64), re-pedalled at each chord (default: "
                     "on for pianos and electric pianos)"),
    "enabled": Field(bool, "false removes an inherited layer (default true)"),
}
HARMONY = {
    "progression": Field((str, list), "Roman numerals in the key (\"i VI III VII\") or chord "
                         "names, as text or a list", check=_progression),
    "scale": Field(str, "melody scale: a scale name (scale --list), natural_minor, "
                   "pentatonic or blues (default: the key's)", check=_scale),
    "tension": Field(float, "sevenths from the scale above 0.5 (default 0.3)", lo=0, hi=1),
    "voicing": Field(str, "chord voicing (default close)", choices=("close", "spread", "open")),
    "bars_per_chord": Field(int, "bars each chord lasts (default 1)", lo=1, hi=8),
    "progression_b": Field((str, list), "the B section's progression (default: a contrasting "
                           "one the seed picks)"),
}
DYNAMICS = {
    "velocity_base": Field(int, "base velocity of every layer (default 80)", lo=1, hi=127),
    "velocity_range": Field(int, "seeded velocity variation, +- (default 8)", lo=0, hi=60),
    "build_curve": Field(str, "loudness over the piece (default flat)", choices=CURVES),
}
TRANSFORM_STAGES = ("scale", "humanize")
SCALE_TRANSFORM = {
    "stage": Field(str, "scale: snap notes into a scale", choices=TRANSFORM_STAGES),
    "scale": Field(str, "the scale (default: harmony.scale, else the key's)", check=_scale),
    "snap": Field(str, "which way an outside note moves (default nearest)", choices=("nearest", "up", "down")),
    "layers": Field(list, "layer names (default: the seq layers; motifs are written in the "
                    "scale with deliberate passing tones, chords, bass and arps keep their "
                    "chromatic chord tones)"),
}
HUMANIZE_TRANSFORM = {
    "stage": Field(str, "humanize: seeded timing, velocity, length", choices=TRANSFORM_STAGES),
    "timing": Field(int, "timing variation in ticks, +- (default 6)", lo=0, hi=120),
    "velocity": Field(int, "velocity variation, +- (default: dynamics.velocity_range)",
                      lo=0, hi=60),
    "length": Field(int, "length variation in ticks, +- (default 0)", lo=0, hi=240),
    "swing": Field(float, "off-beat eighths delayed (1 = triplet; default 0)", lo=0, hi=1),
    "layers": Field(list, "layer names (default: every layer)"),
}
TRANSFORMS = {"scale": SCALE_TRANSFORM, "humanize": HUMANIZE_TRANSFORM}
DEFAULT_TRANSFORMS = [{"stage": "scale"}, {"stage": "humanize"}]
MOOD = {
    "name": Field(str, "the name you type (case does not matter)"),
    "description": Field(str, "one line"),
    "tags": Field(list, "words to find it by"),
    "extends": Field(str, "inherit every field from this mood, then override"),
    "base_mood": Field(str, "alias of extends (midi-cli-rs)", alias_of="extends"),
    "tempo": Field((int, float), "BPM (default 100)", lo=20, hi=400),
    "default_tempo": Field((int, float), "alias of tempo (midi-cli-rs)", lo=20, hi=400,
                           alias_of="tempo"),
    "key": Field(str, "key: C, Am, F#m, Bb ... (default C)", check=_key),
    "default_key": Field(str, "alias of key (midi-cli-rs)", alias_of="key", check=_key),
    "intensity": Field(int, "density, loudness and how many layers play (default 50)", lo=0, hi=100),
    "default_intensity": Field(int, "alias of intensity (midi-cli-rs)", lo=0, hi=100,
                               alias_of="intensity"),
    "time_sig": Field(str, "time signature like 3/4 (default 4/4)", check=_time_sig),
    "harmony": Field((dict, str, list), "a progression (text or a list of chords; default: seeded) or a "
                     "[moods.harmony] table"),
    "bars_per_chord": Field(int, "bars each chord lasts (= harmony.bars_per_chord)", lo=1, hi=8),
    "form": Field(list, "sections in order, each a phrase (default: the seed picks a form of "
                  "the mood's style: AABA, verse-chorus-bridge, ABAC, rondo, through-composed "
                  "for drones; long pieces go on with breakdowns, builds and a lift)",
                  choices=SECTION_KINDS),
    "cadence": Field(str, "how the piece closes into the final tonic chord (default "
                     "authentic, V-I): plagal IV-I, dark bII-i, jazz ii-V-I, epic bVI-bVII-I, "
                     "soft IV-V-I, or Roman numerals", check=_cadence),
    "dynamics": Field(dict, "[moods.dynamics] table"),
    "layers": Field((list, dict), "[[moods.layers]] tables with a name, or [moods.layers.NAME]"),
    "transforms": Field(list, "[[moods.transforms]]: run in order over the layers' notes "
                        "(default: scale, then humanize)"),
}
TABLES = {"harmony": HARMONY, "dynamics": DYNAMICS, "register": REGISTER}
PACK = {"name": str, "version": str, "author": str, "description": str, "license": str,
        "url": str}


def _check(schema: dict, data: dict, where: str) -> dict:
    """``data`` checked against ``schema``; aliases renamed. Raises ValueError(field: msg)."""
    out = {}
    for k, v in data.items():
        field = schema.get(k)
        path = f"{where}{k}"
        if field is None:
            raise ValueError(f"{path}: unknown field (known: {', '.join(schema)})")
        if field.kind is float and isinstance(v, int) and not isinstance(v, bool):
            if abs(v) >= 2**1023:  # past any float
                raise ValueError(f"{path}: a {len(str(abs(v)))}-digit number is out of range "
                                 f"{field.lo}..{field.hi}")
            v = float(v)
        kinds = field.kind if isinstance(field.kind, tuple) else (field.kind,)
        if isinstance(v, bool) and bool not in kinds or not isinstance(v, kinds):
            names = " or ".join({str: "text", int: "a whole number", float: "a number",
                                 list: "a list", dict: "a table", bool: "true/false"}[t] for t in kinds)
            raise ValueError(f"{path}: {v!r} should be {names}")
        if isinstance(v, float) and not math.isfinite(v):
            raise ValueError(f"{path}: {v} is not a finite number")
        if isinstance(v, (int, float)) and not isinstance(v, bool) and (
                (field.lo is not None and v < field.lo) or (field.hi is not None and v > field.hi)):
            raise ValueError(f"{path}: {v} is out of range {field.lo}..{field.hi}")
        if field.choices:
            for item in v if isinstance(v, list) else [v]:
                if item not in field.choices:
                    raise ValueError(f"{path}: {item!r} is not one of {', '.join(field.choices)}")
        if field.check:
            try:
                field.check(v)
            except (TheoryError, ValueError, KeyError, OverflowError) as e:
                raise ValueError(f"{path}: {e}") from None
        if k == "harmony" and not isinstance(v, dict):
            v = {"progression": v}
        if k in ("progression", "progression_b") and isinstance(v, list):
            if not v or not all(isinstance(c, str) for c in v):
                raise ValueError(f"{path}: a list of chords is text items like \"ii7\"")
            v = " ".join(v)
        if k in TABLES:
            v = _check(TABLES[k], v, f"{path}.")
        elif k == "layers" and schema is MOOD:
            v = _layers(v, path)
        elif k == "transforms":
            v = [_transform(item, f"{path}[{i}]") for i, item in enumerate(v)]
        elif k == "voices":
            v = [_check(VOICE, voice if isinstance(voice, dict) else _not_table(f"{path}[{i}]"),
                        f"{path}[{i}].") for i, voice in enumerate(v)]
        elif k in ("tags", "layers") and not all(isinstance(t, str) for t in v):
            raise ValueError(f"{path}: a list of text")
        out[field.alias_of or k] = v
    if schema is MOOD and "bars_per_chord" in out:
        out["harmony"] = {**out.get("harmony", {}), "bars_per_chord": out.pop("bars_per_chord")}
    return out


def _not_table(path: str):
    raise ValueError(f"{path}: should be a table")


def _layers(v: list | dict, path: str) -> dict:
    """Both layer forms -> {name: layer}, in order."""
    if isinstance(v, dict):
        return {name: _check(LAYER, layer if isinstance(layer, dict) else _not_table(
            f"{path}.{name}"), f"{path}.{name}.") for name, layer in v.items()}
    out = {}
    for i, layer in enumerate(v):
        where = f"{path}[{i}]"
        if not isinstance(layer, dict):
            _not_table(where)
        layer = dict(layer)
        name = layer.pop("name", None)
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"{where}.name: every layer needs a name")
        if name in out:
            raise ValueError(f"{where}.name: {name!r} is used by another layer")
        out[name] = _check(LAYER, layer, f"{where}.")
    return out


def _transform(item, where: str) -> dict:
    if not isinstance(item, dict):
        _not_table(where)
    stage = item.get("stage")
    if stage not in TRANSFORMS:
        raise ValueError(f"{where}.stage: {stage!r} is not one of {', '.join(TRANSFORM_STAGES)}")
    return _check(TRANSFORMS[stage], item, f"{where}.")


class Pack:
    """One loaded file: its moods (checked, unresolved) and the errors of broken ones."""

    def __init__(self, path: str, source: str):
        self.path, self.source = path, source
        self.moods: dict[str, dict] = {}
        self.errors: list[str] = []
        self.skipped = False  # not read at all (a FIFO, too large, unreadable)

    def fail(self, msg: str) -> None:
        self.errors.append(f"{self.path}: {msg}")


MAX_PACK = 1 << 20
"""The largest pack file read (1 MiB): packs are small text files, never a stream."""
MAX_EXTENDS = 32
"""The longest ``extends`` chain."""


class _Skipped(OSError):
    """A pack path that is no regular file, or too large: skipped with a warning."""


def _read_pack(path: str | os.PathLike) -> str:
    """The text of a pack file. Opened without blocking (a FIFO named *.toml must not hang
    every mood command) and checked to be a regular file under MAX_PACK bytes."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise _Skipped("not a regular file (a FIFO, device or socket)")
        if st.st_size > MAX_PACK:
            raise _Skipped(f"larger than {MAX_PACK >> 20} MiB")
        with os.fdopen(fd, "rb", closefd=False) as f:
            data = f.read(MAX_PACK + 1)
    finally:
        os.close(fd)
    if len(data) > MAX_PACK:
        raise _Skipped(f"larger than {MAX_PACK >> 20} MiB")
    return data.decode("utf-8")


_LOADED: dict[tuple, bytes] = {}  # (path, mtime, size) -> marshalled (moods, errors)


def load_pack(path: str | os.PathLike, source: str, text: str | None = None) -> Pack:
    """Read one pack; a broken mood is recorded in ``errors`` and the others still load.

    A file read before and unchanged since (same mtime and size) is not parsed again: a
    process composing many moods (the Python API, the MCP server, batch workers) pays the
    TOML parse once. Each load gets its own copy."""
    import marshal

    key = None
    if text is None:
        try:
            st = os.stat(path)
            key = (str(path), st.st_mtime_ns, st.st_size)
        except OSError:
            pass
    if key in _LOADED:
        pack = Pack(str(path), source)
        pack.moods, pack.errors, pack.skipped = marshal.loads(_LOADED[key])
        return pack
    pack = _load_pack(path, source, text)
    if key is not None:
        try:
            _LOADED[key] = marshal.dumps((pack.moods, pack.errors, pack.skipped))
        except ValueError:  # a TOML date: not worth caching
            pass
    return pack


def _load_pack(path: str | os.PathLike, source: str, text: str | None) -> Pack:
    pack = Pack(str(path), source)
    try:
        data = tomllib.loads(text if text is not None else _read_pack(path))
    except _Skipped as e:
        pack.fail(f"skipped: {e}")
        pack.skipped = True
        return pack
    except (OSError, UnicodeDecodeError) as e:
        pack.fail(f"cannot read: {getattr(e, 'strerror', None) or e}")
        pack.skipped = True
        return pack
    except ValueError as e:  # TOMLDecodeError, or an integer of more than 4300 digits
        pack.fail(f"not valid TOML: {e}")
        return pack
    except RecursionError:
        pack.fail("not valid TOML: nested too deeply")
        return pack
    unknown = set(data) - {"pack", "moods"}
    if unknown:
        pack.fail(f"unknown top-level table(s): {', '.join(sorted(unknown))} (a pack has [pack] "
                  "and [[moods]])")
    info = data.get("pack", {})
    if not isinstance(info, dict) or any(
            not (k in PACK and isinstance(v, str) or k == "native" and isinstance(v, dict))
            for k, v in info.items()):
        pack.fail(f"[pack] holds text fields: {', '.join(PACK)} (and midi-cli-rs's "
                  "[pack.native], which is not loaded)")
    moods = data.get("moods", [])
    if not isinstance(moods, list):
        pack.fail("moods: write each mood as [[moods]]")
        return pack
    for i, raw in enumerate(moods):
        name = raw.get("name") if isinstance(raw, dict) else None
        label = f'mood "{name}"' if isinstance(name, str) else f"moods[{i}]"
        try:
            if not isinstance(name, str) or not name.strip():
                raise ValueError("name: every mood needs a name")
            pack.moods[name] = _check(MOOD, raw, "")
        except ValueError as e:
            pack.fail(f"{label}, {e}")
            if isinstance(name, str):
                pack.moods[name] = {"name": name, "_error": f"{pack.path}: {label}, {e}"}
    return pack


BUILTIN_DIR = Path(__file__).resolve().parent


def _is_dir(p: Path) -> bool:
    try:
        return p.is_dir()
    except OSError:  # unreadable parent, a symlink loop: no folder of packs
        return False


def _tomls(folder: Path) -> list[Path]:
    """The *.toml files of a folder; none when it is missing or unreadable (a service user
    whose HOME cannot be read still gets the built-in moods)."""
    try:
        return sorted(p for p in folder.iterdir() if p.suffix == ".toml")
    except OSError:
        return []


def user_folder() -> Path:
    """The user's pack folder: $XDG_CONFIG_HOME/musicpipe/moods (~/.config/... by default)."""
    return Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config") / "musicpipe" / "moods"


def sources(extra: list[str] = ()) -> list[tuple[str, Path]]:
    """Pack files in load order (later ones override moods of the same name)."""
    out = [("built-in", p) for p in _tomls(BUILTIN_DIR)]
    out += [("user", p) for p in _tomls(user_folder())]
    for entry in filter(None, os.environ.get("MUSICPIPE_MOODS", "").split(os.pathsep)):
        p = Path(entry)
        out += [("$MUSICPIPE_MOODS", f) for f in _tomls(p)] if _is_dir(p) else [
            ("$MUSICPIPE_MOODS", p)]
    out += [("--pack", Path(p)) for p in extra]
    return out


class Library:
    """Every mood from every source, resolved on demand. Names match case-insensitively
    (as in midi-cli-rs); a later definition of a name hides the earlier ones, except from
    itself: ``extends`` naming its own mood means the one it replaces."""

    def __init__(self, extra: list[str] = ()):
        self.packs: list[Pack] = []
        self.moods: dict[str, list[tuple[dict, Pack]]] = {}  # lower-case name -> definitions
        for source, path in sources(extra):
            self.add(load_pack(path, source))

    def add(self, pack: Pack) -> None:
        """Load ``pack`` last: its moods win (the studio checks an edited pack this way)."""
        self.packs.append(pack)
        for name, mood in pack.moods.items():
            self.moods.setdefault(name.lower(), []).append((mood, pack))

    def errors(self) -> list[str]:
        return [e for p in self.packs for e in p.errors]

    def skipped(self) -> list[str]:
        """The errors of pack files not read at all: every mood command warns of them."""
        return [e for p in self.packs if p.skipped for e in p.errors]

    def names(self) -> list[str]:
        return sorted(defs[-1][0]["name"] for defs in self.moods.values()
                      if "_error" not in defs[-1][0])

    def resolve(self, name: str, _below: int | None = None, _seen: tuple = ()) -> dict:
        """The mood with everything it extends merged in. Raises KeyError for an unknown
        name, PackError for a broken mood or chain."""
        defs = self.moods.get(name.lower(), [])[:_below]
        if not defs:
            raise KeyError(name)
        mood, pack = defs[-1]
        where = f'{pack.path}: mood "{mood["name"]}"'
        if "_error" in mood:
            raise PackError(mood["_error"])
        me = (name.lower(), len(defs))
        if len(_seen) >= MAX_EXTENDS:
            raise PackError(f"{where}, extends: a chain longer than {MAX_EXTENDS} moods")
        if me in _seen:
            chain = " -> ".join(n for n, _ in _seen + (me,))
            raise PackError(f"{where}, extends: a cycle ({chain})")
        base = mood.get("extends")
        if base is None:
            merged = dict(mood)
        else:
            below = len(defs) - 1 if base.lower() == name.lower() else None
            try:
                merged = merge(self.resolve(base, below, _seen + (me,)), mood)
            except KeyError:
                raise PackError(f'{where}, extends: no mood "{base}"'
                                + (" before this one" if below is not None else "")) from None
            merged.pop("extends")
        if not _seen:
            _check_resolved(merged, where)
        return merged

    def source_of(self, name: str) -> str:
        mood, pack = self.moods[name.lower()][-1]
        return f"{pack.source} {pack.path}" if pack.source != "built-in" else "built-in"


def _check_resolved(mood: dict, where: str) -> None:
    """What only the whole mood can show: it has layers; transforms name real layers."""
    if not mood.get("layers"):
        raise PackError(f"{where}, layers: none (give layers, or extends / base_mood)")
    for i, transform in enumerate(mood.get("transforms", [])):
        for layer in transform.get("layers", []):
            if layer not in mood["layers"]:
                raise PackError(f"{where}, transforms[{i}].layers: no layer {layer!r} (layers: "
                                f"{', '.join(mood['layers'])})")


def merge(base: dict, over: dict) -> dict:
    """``over`` on top of ``base``: tables merge key by key, layers by name (a layer with
    ``enabled = false`` is removed); everything else is replaced."""
    out = dict(base)
    for k, v in over.items():
        if k == "layers":
            layers = {n: dict(layer) for n, layer in base.get("layers", {}).items()}
            for name, layer in v.items():
                merged = {**layers.get(name, {}), **layer}
                if "register" in layer and name in layers:
                    merged["register"] = {**layers[name].get("register", {}), **layer["register"]}
                layers[name] = merged
            out[k] = {n: layer for n, layer in layers.items() if layer.get("enabled", True)}
        elif k in TABLES and isinstance(v, dict):
            out[k] = {**base.get(k, {}), **v}
        else:
            out[k] = v
    return out


def to_toml(mood: dict) -> str:
    """A resolved mood as a [[moods]] entry that can be pasted into a pack."""
    def value(v) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, str):
            return _toml_string(v)
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        if isinstance(v, dict):
            return "{ " + ", ".join(f"{k} = {value(x)}" for k, x in v.items()) + " }"
        return repr(v)

    lines = ["[[moods]]"]
    lines += [f"{k} = {value(v)}" for k, v in mood.items() if k not in ("layers", "transforms")
              and not isinstance(v, dict)]
    for k, v in mood.items():
        if isinstance(v, dict) and k != "layers":
            lines += ["", f"[moods.{k}]"] + [f"{f} = {value(x)}" for f, x in v.items()]
    for name, layer in mood.get("layers", {}).items():
        lines += ["", "[[moods.layers]]", f"name = {value(name)}"]
        lines += [f"{f} = {value(x)}" for f, x in layer.items()]
    for transform in mood.get("transforms", []):
        lines += ["", "[[moods.transforms]]"] + [f"{f} = {value(x)}" for f, x in transform.items()]
    return "\n".join(lines) + "\n"


def _toml_string(text: str) -> str:
    """A TOML basic string: quotes, backslashes and control characters (newline, escape,
    DEL) escaped, so any name prints as TOML that reads back to the same text."""
    def escape(c: str) -> str:
        return {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r"}.get(
            c, f"\\u{ord(c):04x}")

    return '"' + re.sub(r'["\\\x00-\x1f\x7f]', lambda m: escape(m.group()), text) + '"'


def reference_markdown() -> str:
    """docs/moods.md's field tables, from the schema (``python -m musicpipe.moods.packs``)."""
    def kind(f: Field) -> str:
        kinds = f.kind if isinstance(f.kind, tuple) else (f.kind,)
        return " or ".join({str: "text", int: "integer", float: "number", list: "list",
                            dict: "table", bool: "bool"}[k] for k in kinds)

    def table(title: str, schema: dict) -> list[str]:
        rows = [f"### {title}", "", "| field | type | range / choices | meaning |", "|---|---|---|---|"]
        for name, f in schema.items():
            allowed = ", ".join(f.choices) if f.choices else (
                f"{f.lo}..{f.hi}" if f.lo is not None else "")
            rows.append(f"| `{name}` | {kind(f)} | {allowed} | {f.doc} |")
        return rows + [""]

    lines = table("`[[moods]]`", MOOD) + table("`[[moods.layers]]` (plus `name`)", LAYER)
    lines += table("`voices` items (euclid layers)", VOICE) + table("`register`", REGISTER)
    lines += table("`[moods.harmony]`", HARMONY) + table("`[moods.dynamics]`", DYNAMICS)
    lines += table('`[[moods.transforms]]` with `stage = "scale"`', SCALE_TRANSFORM)
    lines += table('`[[moods.transforms]]` with `stage = "humanize"`', HUMANIZE_TRANSFORM)
    return "\n".join(lines)


if __name__ == "__main__":
    print(reference_markdown())

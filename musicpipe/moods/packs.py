"""Mood packs: TOML files of moods, where they are found, how they are checked and inherited.

One schema (``MOOD``, ``LAYER``, ...) drives validation, ``extends`` merging and the format
reference in docs/moods.md. The format is a superset of midi-cli-rs packs: their fields
(``base_mood``, ``default_tempo``, ``default_key``, ``default_intensity``, ``[moods.harmony]``,
``[moods.dynamics]``, ``[moods.layers.NAME]`` with instruments, register, density, pattern)
are read and used as they are.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

from ..theory import TheoryError, parse_drum, parse_key, parse_program, scale_name


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


def _program(v):
    for item in v if isinstance(v, list) else [v]:
        if isinstance(item, str) and item in KITS:
            continue
        parse_program(item)


def _drum(v):
    parse_drum(v)


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

VOICE = {
    "note": Field((str, int), "drum by GM name (kick, snare, closed-hat...) or key", check=_drum),
    "pulses": Field(int, "onsets per cycle", lo=0, hi=64),
    "steps": Field(int, "steps per cycle", lo=1, hi=64),
    "rotation": Field(int, "steps to rotate left", lo=-64, hi=64),
    "step": Field(int, "step length in ticks (120 = a sixteenth)", lo=10, hi=1920),
    "velocity": Field(int, "velocity 1-127", lo=1, hi=127),
    "accent": Field(int, "velocity added to the first pulse", lo=0, hi=60),
    "ghost": Field(float, "chance of a ghost note on an empty step", lo=0, hi=1),
    "skip": Field(float, "chance a pulse is left out", lo=0, hi=1),
    "min_intensity": Field(int, "the voice plays only from this intensity on", lo=0, hi=100),
}
REGISTER = {
    "base": Field(int, "lowest MIDI key", lo=0, hi=127),
    "range": Field(int, "semitones above base", lo=2, hi=60),
}
LAYER = {
    "generator": Field(str, "what plays the layer", choices=GENERATORS),
    "pattern": Field(str, "how it plays (midi-cli-rs); picks the generator when none is "
                     "given", choices=PATTERNS),
    "instruments": Field((list, str, int), "GM instrument names or numbers; the seed picks "
                         "one (drums: a kit: standard, room, power, electronic, 808, jazz, "
                         "brush, orchestra)", check=_program),
    "instrument": Field((list, str, int), "alias of instruments", alias_of="instruments",
                        check=_program),
    "ch": Field(int, "MIDI channel (default: the next free one; drums 9)", lo=0, hi=15),
    "register": Field(dict, "{ base, range } in MIDI keys"),
    "density": Field(float, "0-1: how many notes (rests, pulses, comping hits)", lo=0, hi=1),
    "velocity": Field(int, "base velocity (default: dynamics.velocity_base)", lo=1, hi=127),
    "min_intensity": Field(int, "the layer plays only from this intensity on", lo=0, hi=100),
    "contour": Field((str, list), "melody shape(s); the seed picks one", choices=CONTOURS),
    "complexity": Field(int, "melody leaps and rhythm variety", lo=0, hi=100),
    "phrase_length": Field(int, "melody: notes per phrase (default: 2-bar phrases)", lo=1, hi=64),
    "accent_on": Field(list, "accents: downbeat, phrase_end", choices=("downbeat", "phrase_end")),
    "swing": Field(float, "off-beat eighths delayed (1 = triplet)", lo=0, hi=1),
    "notes": Field(str, "seq notation for generator seq (written in C; moved to the key)"),
    "rate": Field(str, "arp/rhythmic note value: 4, 8, 16, 8t", choices=("4", "8", "16", "8t")),
    "octaves": Field(int, "arp: octaves spanned", lo=1, hi=4),
    "voices": Field(list, "euclid: drum voices, each { note, pulses, steps, ... }"),
    "enabled": Field(bool, "false removes an inherited layer"),
}
HARMONY = {
    "progression": Field(str, "Roman numerals in the key (i VI III VII) or chord names"),
    "scale": Field(str, "melody scale: a scale name (scale --list), natural_minor, "
                   "pentatonic or blues (default: the key's)", check=_scale),
    "tension": Field(float, "0-1: sevenths, darker progressions", lo=0, hi=1),
    "voicing": Field(str, "chord voicing", choices=("close", "spread", "open")),
    "bars_per_chord": Field(int, "bars each chord lasts", lo=1, hi=8),
}
DYNAMICS = {
    "velocity_base": Field(int, "base velocity of every layer", lo=1, hi=127),
    "velocity_range": Field(int, "seeded velocity variation, +-", lo=0, hi=60),
    "build_curve": Field(str, "loudness over the piece", choices=CURVES),
}
HUMANIZE = {
    "timing": Field(int, "seeded timing variation in ticks, +-", lo=0, hi=120),
    "velocity": Field(int, "seeded velocity variation, +- (default: dynamics.velocity_range)",
                      lo=0, hi=60),
    "swing": Field(float, "swing of off-beat eighths", lo=0, hi=1),
}
MOOD = {
    "name": Field(str, "the mood's name (letters, digits, -)"),
    "description": Field(str, "one line"),
    "tags": Field(list, "words to find it by"),
    "extends": Field(str, "inherit every field from this mood, then override"),
    "base_mood": Field(str, "alias of extends (midi-cli-rs)", alias_of="extends"),
    "tempo": Field((int, float), "BPM", lo=20, hi=400),
    "default_tempo": Field((int, float), "alias of tempo (midi-cli-rs)", lo=20, hi=400,
                           alias_of="tempo"),
    "key": Field(str, "key: C, Am, F#m, Bb ...", check=_key),
    "default_key": Field(str, "alias of key (midi-cli-rs)", alias_of="key"),
    "intensity": Field(int, "0-100: density, loudness and how many layers play", lo=0, hi=100),
    "default_intensity": Field(int, "alias of intensity (midi-cli-rs)", lo=0, hi=100,
                               alias_of="intensity"),
    "time_sig": Field(str, "time signature", check=_time_sig),
    "harmony": Field(dict, "[moods.harmony] table"),
    "dynamics": Field(dict, "[moods.dynamics] table"),
    "humanize": Field(dict, "[moods.humanize] table"),
    "layers": Field(dict, "[moods.layers.NAME] tables"),
}
TABLES = {"harmony": HARMONY, "dynamics": DYNAMICS, "humanize": HUMANIZE, "register": REGISTER}
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
            v = float(v)
        kinds = field.kind if isinstance(field.kind, tuple) else (field.kind,)
        if isinstance(v, bool) and bool not in kinds or not isinstance(v, kinds):
            names = " or ".join({str: "text", int: "a whole number", float: "a number",
                                 list: "a list", dict: "a table", bool: "true/false"}[t] for t in kinds)
            raise ValueError(f"{path}: {v!r} should be {names}")
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
            except (TheoryError, ValueError, KeyError) as e:
                raise ValueError(f"{path}: {e}") from None
        if k in TABLES:
            v = _check(TABLES[k], v, f"{path}.")
        elif k == "layers":
            v = {name: _check(LAYER, layer if isinstance(layer, dict) else _not_table(
                f"{path}.{name}"), f"{path}.{name}.") for name, layer in v.items()}
        elif k == "voices":
            v = [_check(VOICE, voice if isinstance(voice, dict) else _not_table(f"{path}[{i}]"),
                        f"{path}[{i}].") for i, voice in enumerate(v)]
        elif k == "tags" and not all(isinstance(t, str) for t in v):
            raise ValueError(f"{path}: tags are text")
        out[field.alias_of or k] = v
    return out


def _not_table(path: str):
    raise ValueError(f"{path}: should be a table")


class Pack:
    """One loaded file: its moods (checked, unresolved) and the errors of broken ones."""

    def __init__(self, path: str, source: str):
        self.path, self.source = path, source
        self.moods: dict[str, dict] = {}
        self.errors: list[str] = []

    def fail(self, msg: str) -> None:
        self.errors.append(f"{self.path}: {msg}")


def load_pack(path: str | os.PathLike, source: str, text: str | None = None) -> Pack:
    """Read one pack; a broken mood is recorded in ``errors`` and the others still load."""
    pack = Pack(str(path), source)
    try:
        data = tomllib.loads(text if text is not None else Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as e:
        pack.fail(f"cannot read: {getattr(e, 'strerror', None) or e}")
        return pack
    except tomllib.TOMLDecodeError as e:
        pack.fail(f"not valid TOML: {e}")
        return pack
    unknown = set(data) - {"pack", "moods"}
    if unknown:
        pack.fail(f"unknown top-level table(s): {', '.join(sorted(unknown))} (a pack has [pack] "
                  "and [[moods]])")
    info = data.get("pack", {})
    if not isinstance(info, dict) or any(k not in PACK or not isinstance(v, str) for k, v in info.items()):
        pack.fail(f"[pack] holds text fields: {', '.join(PACK)}")
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


def sources(extra: list[str] = ()) -> list[tuple[str, Path]]:
    """Pack files in load order (later ones override moods of the same name)."""
    out = [("built-in", p) for p in sorted(BUILTIN_DIR.glob("*.toml"))]
    config = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    out += [("user", p) for p in sorted((config / "musicpipe" / "moods").glob("*.toml"))]
    for entry in filter(None, os.environ.get("MUSICPIPE_MOODS", "").split(os.pathsep)):
        p = Path(entry)
        out += [("$MUSICPIPE_MOODS", f) for f in sorted(p.glob("*.toml"))] if p.is_dir() else [
            ("$MUSICPIPE_MOODS", p)]
    out += [("--pack", Path(p)) for p in extra]
    return out


class Library:
    """Every mood from every source, resolved on demand."""

    def __init__(self, extra: list[str] = ()):
        self.packs = [load_pack(path, source) for source, path in sources(extra)]
        self.moods: dict[str, tuple[dict, Pack]] = {}
        for pack in self.packs:
            for name, mood in pack.moods.items():
                self.moods[name] = (mood, pack)

    def errors(self) -> list[str]:
        return [e for p in self.packs for e in p.errors]

    def names(self) -> list[str]:
        return sorted(n for n, (m, _) in self.moods.items() if "_error" not in m)

    def resolve(self, name: str, _seen: tuple[str, ...] = ()) -> dict:
        """The mood with everything it extends merged in. Raises KeyError for an unknown
        name, PackError for a broken mood or chain."""
        if name not in self.moods:
            raise KeyError(name)
        mood, pack = self.moods[name]
        if "_error" in mood:
            raise PackError(mood["_error"])
        if name in _seen:
            raise PackError(f'{pack.path}: mood "{name}", extends: a cycle '
                            f'({" -> ".join(_seen + (name,))})')
        base = mood.get("extends")
        if base is None:
            return {k: v for k, v in mood.items()}
        if base not in self.moods:
            raise PackError(f'{pack.path}: mood "{name}", extends: no mood "{base}"')
        merged = merge(self.resolve(base, _seen + (name,)), mood)
        merged.pop("extends", None)
        return merged

    def source_of(self, name: str) -> str:
        mood, pack = self.moods[name]
        return f"{pack.source} {pack.path}" if pack.source != "built-in" else "built-in"


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
            return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        if isinstance(v, dict):
            return "{ " + ", ".join(f"{k} = {value(x)}" for k, x in v.items()) + " }"
        return repr(v)

    lines = ["[[moods]]"]
    tables = []
    for k, v in mood.items():
        if isinstance(v, dict):
            tables.append(k)
        else:
            lines.append(f"{k} = {value(v)}")
    for k in tables:
        if k == "layers":
            for name, layer in mood[k].items():
                lines += ["", f"[moods.layers.{name}]"]
                lines += [f"{f} = {value(x)}" for f, x in layer.items()]
        else:
            lines += ["", f"[moods.{k}]"] + [f"{f} = {value(x)}" for f, x in mood[k].items()]
    return "\n".join(lines) + "\n"


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

    lines = table("`[[moods]]`", MOOD) + table("`[moods.layers.NAME]`", LAYER)
    lines += table("`voices` items (euclid layers)", VOICE) + table("`register`", REGISTER)
    lines += table("`[moods.harmony]`", HARMONY) + table("`[moods.dynamics]`", DYNAMICS)
    lines += table("`[moods.humanize]`", HUMANIZE)
    return "\n".join(lines)


if __name__ == "__main__":
    print(reference_markdown())

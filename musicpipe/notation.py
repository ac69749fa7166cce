"""The text notation of `seq` (and `from-midi --notation`): parse it into notes, write notes as it.

    C4/4 D4/8 E4/8 R/4 [C4,E4,G4]/2 C4/2~C4/8 G4/4.*110 | 60/8t 62/8t 64/8t

A token is a pitch (``C4``, ``F#3``, ``Bb2``, C4 = 60, or a MIDI number 0-127), a chord
``[C4,E4,G4]`` or a rest ``R``, then an optional duration ``/VALUE`` and an optional velocity
``*VEL``. Duration and velocity carry over to the following tokens until changed (the first
defaults are a quarter note and the caller's velocity). See docs/notation.md.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from functools import lru_cache

from .events import PPQ
from .theory import TheoryError, note_name, parse_note

VALUES = {"1": PPQ * 4, "2": PPQ * 2, "4": PPQ, "8": PPQ // 2, "16": PPQ // 4, "32": PPQ // 8,
          "64": PPQ // 16}
DURATION_HELP = ("durations are /1 /2 /4 /8 /16 /32 /64, dotted /4. /4.., triplets /8t, ticks "
                 "/t480, beats /b0.75, sums /2+8")

_ELEMENT = re.compile(r"""^(?P<pitch>\[[^\]]*\]|R|r|[A-Ga-g](?:\#{1,2}|b{1,2})?-?\d+|\d+)
                          (?:/(?P<dur>[^*~]+))?(?:\*(?P<vel>\d+))?$""", re.X)
_VALUE = re.compile(r"^(?:(?P<n>\d+)(?P<mod>\.{1,2}|t)?|t(?P<ticks>\d+)|b(?P<beats>\d+(?:\.\d+)?))$")


class NotationError(ValueError):
    """A token that cannot be read; the message names it and its column."""


class Element:
    """One token: keys (empty for a rest), duration in ticks (None: carry over), velocity;
    ``own``: each key's own (duration, velocity) in a chord like ``[C4/2,E4*80]/4``, None
    where it takes the token's."""

    __slots__ = ("keys", "dur", "vel", "own")

    def __init__(self, keys: tuple[int, ...], dur: int | None, vel: int | None,
                 own: tuple[tuple[int | None, int | None], ...] = ()):
        self.keys, self.dur, self.vel = keys, dur, vel
        self.own = own or ((None, None),) * len(keys)


BAR = "|"


def tokens(text: str) -> Iterator[tuple[int, int, str]]:
    """(line, column, token), both 1-based, for each whitespace-separated token; spaces inside
    [] allowed."""
    i, n, line, seen, line_start = 0, len(text), 1, 0, 0
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        if text[i] == "#":  # a comment to the end of the line
            while i < n and text[i] != "\n":
                i += 1
            continue
        start, depth = i, 0
        while i < n and (depth or not text[i].isspace()):
            depth += text[i] == "["
            depth -= text[i] == "]" and depth > 0
            i += 1
        line += text.count("\n", seen, start)  # newlines since the last token (even in a chord)
        line_start = max(line_start, text.rfind("\n", seen, start) + 1)
        seen = start
        yield line, start - line_start + 1, text[start:i]


def parse_duration(spec: str) -> int:
    """``'4.'`` -> 720, ``'8t'`` -> 160, ``'t100'`` -> 100, ``'b0.75'`` -> 360, ``'2+8'`` -> 1200."""
    total = 0
    for part in spec.split("+"):
        m = _VALUE.match(part)
        if not m:
            raise ValueError(f"duration /{spec} is not one of: {DURATION_HELP}")
        if m["ticks"] is not None:
            ticks = int(m["ticks"])
        elif m["beats"] is not None:
            ticks = round(float(m["beats"]) * PPQ)
        else:
            if m["n"] not in VALUES:
                raise ValueError(f"duration /{spec} is not allowed ({DURATION_HELP})")
            ticks = VALUES[m["n"]]
            if m["mod"] == "t":
                ticks = ticks * 2 // 3
            elif m["mod"]:
                ticks = ticks * (7 if len(m["mod"]) == 2 else 3) // (4 if len(m["mod"]) == 2 else 2)
        if ticks < 1:
            raise ValueError(f"duration /{spec} is shorter than one tick")
        total += ticks
    return total


_ENTRY = re.compile(r"^(?P<pitch>[^/*]+)(?:/(?P<dur>[^*]+))?(?:\*(?P<vel>\d+))?$")


def _pitches(text: str) -> list[tuple[int, int | None, int | None]]:
    """The (key, own duration, own velocity) of a pitch, a chord's each (sorted by key; a
    pitch written twice plays twice), or none for a rest."""
    if text in ("R", "r"):
        return []
    names = [p.strip() for p in text[1:-1].split(",")] if text.startswith("[") else [text]
    if not all(names):
        raise ValueError(f"chord {text} has an empty pitch")
    entries = []
    for name in names:
        m = _ENTRY.match(name) if text.startswith("[") else None
        pitch = m["pitch"].strip() if m else name
        try:
            key = parse_note(pitch)
        except TheoryError as e:
            raise ValueError(str(e)) from None
        if not 0 <= key <= 127:
            raise ValueError(f"pitch {pitch} is key {key}, outside 0..127")
        vel = int(m["vel"]) if m and m["vel"] is not None else None
        if vel is not None and not 1 <= vel <= 127:
            raise ValueError(f"velocity *{vel} of {pitch} is outside 1..127")
        entries.append((key, parse_duration(m["dur"]) if m and m["dur"] is not None else None, vel))
    return sorted(entries, key=lambda e: e[0])


def _element(token: str) -> Element:
    m = _ELEMENT.match(token)
    if not m:
        raise ValueError("expected a pitch (C4, F#3, Bb2, 60), a chord [C4,E4,G4] or a rest R, "
                         "then /DURATION and *VELOCITY")
    vel = int(m["vel"]) if m["vel"] is not None else None
    if vel is not None and not 1 <= vel <= 127:
        raise ValueError(f"velocity *{vel} is outside 1..127")
    dur = parse_duration(m["dur"]) if m["dur"] is not None else None
    entries = _pitches(m["pitch"])
    return Element(tuple(k for k, _, _ in entries), dur, vel, tuple((d, v) for _, d, v in entries))


def parse(text: str) -> list[Element | str]:
    """Elements and BAR markers; ties (``~``) are merged into one element.

    Errors give the token's column, and its line too when the text has several (``--file``).
    """
    out: list[Element | str] = []
    count = 0
    lines = "\n" in text.rstrip()
    for line, column, token in tokens(text):
        count += 1
        if token == BAR:
            out.append(BAR)
            continue
        try:
            elements = []
            for part in token.split("~"):
                if not part:
                    raise ValueError("a tie ~ joins two notes: C4/2~C4/8")
                elements.append(_element(part))
            head = elements[0]
            for tied in elements[1:]:
                if tied.keys != head.keys:
                    raise ValueError("a tie ~ joins the same pitches: C4/2~C4/8")
                if any(o != (None, None) for o in head.own + tied.own):
                    raise ValueError("a tie ~ joins plain chords: write [C4/2,E4]/4 without ~")
                if head.dur is None or tied.dur is None:
                    raise ValueError("both sides of a tie need a duration: C4/2~C4/8")
                head.dur += tied.dur
                head.vel = head.vel if head.vel is not None else tied.vel
        except ValueError as e:
            where = f"line {line}, column {column}" if lines else f"column {column}"
            raise NotationError(f"token {count} {token!r} at {where}: {e}") from None
        out.append(head)
    if not any(isinstance(e, Element) for e in out):
        raise NotationError("no notes or rests: write notes like \"C4/4 E4/8 G4/8\"")
    return out


def to_notes(items: list[Element | str], *, ch: int = 0, vel: int = 96,
             bar: int | None = None) -> tuple[list[dict], int]:
    """Notes from tick 0 and the total length; with ``bar`` (ticks), every bar between
    ``|`` markers must be exactly that long."""
    notes: list[dict] = []
    t, dur, bar_start, bar_no = 0, PPQ, 0, 1
    for item in items:
        if item == BAR:
            if bar is not None and t - bar_start != bar:
                raise NotationError(f"bar {bar_no} lasts {t - bar_start} ticks, not {bar} "
                                    f"(one bar of the time signature)")
            bar_start, bar_no = t, bar_no + 1
            continue
        dur = item.dur if item.dur is not None else dur
        vel = item.vel if item.vel is not None else vel
        notes += [{"type": "Note", "t": t, "dur": d or dur, "ch": ch, "key": k, "vel": v or vel}
                  for k, (d, v) in zip(item.keys, item.own)]
        t += dur
    if bar is not None and t > bar_start and t - bar_start != bar:
        raise NotationError(f"bar {bar_no} lasts {t - bar_start} ticks, not {bar} "
                            f"(one bar of the time signature)")
    return notes, t


_NAMES = {ticks: name for name, ticks in VALUES.items()}
for _name, _ticks in list(VALUES.items()):
    _NAMES.setdefault(_ticks * 3 // 2, _name + ".")
    if _ticks * 2 % 3 == 0:
        _NAMES.setdefault(_ticks * 2 // 3, _name + "t")


# Sum parts, longest first: plain and dotted values read well in a sum (``2+8``), triplets
# and a dotted whole do not (1000 ticks is clearer as t1000 than 2+32t).
_SUM_PARTS = sorted((t for t, name in _NAMES.items() if not name.endswith("t") and name != "1."),
                    reverse=True)


@lru_cache(maxsize=1024)
def duration_name(ticks: int) -> str:
    """A readable spelling of a duration: a value (``480`` -> ``'4'``, ``160`` -> ``'8t'``),
    else a sum of up to four (``1200`` -> ``'2+8'``, ``7680`` -> ``'1+1+1+1'``), else ticks
    (``100`` -> ``'t100'``)."""
    if ticks in _NAMES:
        return _NAMES[ticks]
    parts, left = [], ticks
    for value in _SUM_PARTS:
        while left >= value and len(parts) < 4:
            parts.append(_NAMES[value])
            left -= value
    return "+".join(parts) if left == 0 else f"t{ticks}"


def format_notes(notes: Iterable[dict], vel: int = 96, grid: int | None = None) -> str:
    """One channel's notes as notation from tick 0: notes, [chords] and R rests.

    Notes starting together form a chord that steps on after its longest note, or where
    the next onset starts if that is sooner; a note whose length or velocity differs from
    the chord's keeps its own inside the brackets (``[C4/2,E4*70]/4``: held past the next
    onset, or softer), so every note comes back as it was, doubled ones too. Velocity is
    written where it changes (``*N``, starting from ``vel``; a chord takes its loudest
    note's). With ``grid`` (ticks), onsets and ends move to the nearest grid line first (a
    note keeps one grid step at least), so humanized timing reads as the values it plays.

    >>> format_notes([{"t": 0, "dur": 480, "key": 60, "vel": 96},
    ...               {"t": 960, "dur": 240, "key": 64, "vel": 80},
    ...               {"t": 960, "dur": 240, "key": 67, "vel": 80}])
    'C4/4 R/4 [E4,G4]/8*80'
    >>> format_notes([{"t": 0, "dur": 960, "key": 60, "vel": 96},
    ...               {"t": 0, "dur": 480, "key": 64, "vel": 70},
    ...               {"t": 480, "dur": 480, "key": 67, "vel": 96}])
    '[C4/2,E4*70]/4 G4/4'
    """
    onsets: dict[int, list[dict]] = {}
    for n in notes:
        if grid:
            t = (n["t"] + grid // 2) // grid * grid
            end = max(t + grid, (n["t"] + n["dur"] + grid // 2) // grid * grid)
            n = {**n, "t": t, "dur": end - t}
        onsets.setdefault(n["t"], []).append(n)
    times = sorted(onsets)
    out, now = [], 0
    for i, t in enumerate(times):
        if t > now:
            out.append(f"R/{duration_name(t - now)}")
        group = onsets[t]
        length = max(n["dur"] for n in group)
        if i + 1 < len(times):
            length = min(length, times[i + 1] - t)
        loudest = max(n.get("vel", vel) for n in group)
        entries = [note_name(n["key"]) + (f"/{duration_name(n['dur'])}" if n["dur"] != length else "")
                   + (f"*{n.get('vel', vel)}" if n.get("vel", vel) != loudest else "")
                   for n in sorted(group, key=lambda n: n["key"])]
        plain = len(set(entries)) == len(entries) and all("/" not in e and "*" not in e for e in entries)
        names = entries[0] if plain and len(entries) == 1 else "[" + ",".join(entries) + "]"
        token = f"{names}/{duration_name(length)}"
        if loudest != vel:
            token += f"*{loudest}"
            vel = loudest
        out.append(token)
        now = t + length
    return " ".join(out)


def format_parts(events: Iterable[dict], channels: Iterable[int] = (), grid: int | None = None) -> str:
    """Every part (track and channel) with notes as a block that ``seq --file`` reads back
    onto its own channel: an ``@part`` line (channel, program, name), then its notation
    wrapped at about 100 characters. Only ``channels`` when given."""
    from .theory import track_name

    parts: dict[tuple[str, int], list[dict]] = {}
    names: dict[tuple[str, int], str] = {}
    programs: dict[tuple[str, int], int] = {}
    for ev in events:
        typ = ev["type"]
        if "ch" not in ev or typ not in ("Note", "ProgramChange", "Marker"):
            continue
        part = (ev.get("track") or "", ev["ch"])
        if typ == "Note":
            parts.setdefault(part, []).append(ev)
        elif typ == "ProgramChange":
            programs.setdefault(part, ev["program"])
        else:
            names.setdefault(part, ev["text"])
    only = set(channels)
    out = []
    for part in sorted(parts, key=lambda p: (p[1], p[0])):
        track, ch = part
        if only and ch not in only:
            continue
        program = programs.get(part, programs.get(("", ch)))
        name = track or names.get(part) or names.get(("", ch)) or track_name(program, ch)
        head = f"@part ch={ch}" + (f" program={program}" if program is not None else "")
        out.append(head + f' name="{name}"' + (f' track="{track}"' if track else ""))
        out += _wrapped(format_notes(parts[part], grid=grid).split(" "))
    return "\n".join(out) + "\n" if out else ""


def left_out(events: Iterable[dict], channels: Iterable[int] = ()) -> dict[str, int]:
    """What ``format_parts`` cannot carry, by event type: everything but the notes, each
    part's first program and first name (tempo, meter, key, sections, controllers, pitch
    bends, later program changes). Only ``channels``' events count when given."""
    only = set(channels)
    seen: set = set()
    out: dict[str, int] = {}
    for ev in events:
        typ = ev["type"]
        if typ in ("Note", "End", "Seed") or only and ev.get("ch") not in only:
            continue
        if typ in ("ProgramChange", "Marker") and "ch" in ev:
            part = (typ, ev.get("track") or "", ev["ch"])
            if part not in seen:
                seen.add(part)
                continue
        name = "section Marker" if typ == "Marker" and "ch" not in ev else typ
        out[name] = out.get(name, 0) + 1
    return out


def _wrapped(tokens: list[str], width: int = 100) -> list[str]:
    lines, line = [], ""
    for tok in tokens:
        if line and len(line) + 1 + len(tok) > width:
            lines.append(line)
            line = tok
        else:
            line = f"{line} {tok}" if line else tok
    return lines + ([line] if line else [])


_PART = re.compile(r'(\w+)=("([^"]*)"|\S+)')


def split_parts(text: str) -> list[tuple[dict, str]]:
    """Notation text cut at its ``@part`` lines: (header fields, body) pairs, each body
    padded with the newlines before it so that its errors name lines of the whole text.
    Text before the first ``@part`` (or all of it, without any) is one part with an
    empty header. Header fields: ch (0-15), program (a number or GM name), name, track."""
    parts: list[tuple[dict, list[str], int]] = [({}, [], 1)]
    for number, line in enumerate(text.splitlines(), 1):
        if line.lstrip().startswith("@part"):
            fields = {}
            rest = line.lstrip()[5:]
            for m in _PART.finditer(rest):
                fields[m.group(1)] = m.group(3) if m.group(3) is not None else m.group(2)
            unknown = set(fields) - {"ch", "program", "name", "track"}
            if unknown or _PART.sub("", rest).strip():
                raise NotationError(f"line {number}: an @part line is @part ch=N program=P "
                                    f'name="..." track="...", not {line.strip()!r}')
            parts.append((fields, [], number + 1))
        else:
            parts[-1][1].append(line)
    # Each body keeps its place in the text, so errors name the line of the whole file.
    out = [(fields, "\n" * (first - 1) + "\n".join(body)) for fields, body, first in parts]
    return [p for p in out if p[0] or p[1].strip()]

"""The event schema: one table of event types, their fields and ranges.

Everything that needs to know what an event looks like reads ``EVENTS``: validation
(compiled once into one small checker function per type, so checking costs about as much
as hand-written code), MIDI conversion and the format reference in ``docs/events.md``.

    >>> check({"type": "Note", "t": 0, "dur": 480, "ch": 0, "key": 60, "vel": 90})
    >>> check({"type": "Note", "t": 0, "dur": 480, "ch": 0, "key": 200, "vel": 90})
    Traceback (most recent call last):
    musicpipe.events.EventError: Note field "key" is 200, allowed 0..127
"""

from __future__ import annotations

PPQ = 480
"""Ticks per quarter note: every ``t`` and ``dur`` in a stream is in these ticks."""

DRUM_CHANNEL = 9
"""General MIDI's percussion channel (0-based)."""

MAX_TICK = 2**31 - 1
MAX_SEED = 2**64 - 1
MAX_LINE_MIB = 1
"""The longest stream line, in MiB (stream.MAX_LINE): longer is a data error, not a hang."""


class EventError(ValueError):
    """An event breaks the schema; the message names the field and its allowed range."""


class Field:
    """One field of an event type: kind "int", "number" or "str", range lo..hi inclusive.

    A plain class, not a dataclass: importing dataclasses costs every stage ~10 ms at start.
    """

    __slots__ = ("name", "kind", "lo", "hi", "required", "doc", "pow2", "valid")

    def __init__(self, name: str, kind: str, lo=None, hi=None, required: bool = True,
                 doc: str = "", pow2: bool = False, valid: str | None = None):
        self.name, self.kind, self.lo, self.hi = name, kind, lo, hi
        self.required, self.doc, self.pow2 = required, doc, pow2
        self.valid = valid  # a text field's vocabulary: a key of VOCABULARIES

    def allowed(self) -> str:
        """The allowed values as a user reads them in an error or the reference."""
        if self.kind == "str":
            return VOCABULARIES[self.valid][1] if self.valid else "text"
        if self.pow2:
            return "a power of 2, 1..64"
        hi = "" if self.hi is None else f"{self.hi:g}" if self.kind == "number" else str(self.hi)
        return f"{self.lo:g}..{hi}" if self.kind == "number" else f"{self.lo}..{hi}"


class EventType:
    __slots__ = ("name", "fields", "doc")

    def __init__(self, name: str, fields: tuple[Field, ...], doc: str):
        self.name, self.fields, self.doc = name, fields, doc


def _t(doc: str = "start time in ticks (480 per quarter note), absolute") -> Field:
    return Field("t", "int", 0, MAX_TICK, doc=doc)


def _ch(doc: str = "MIDI channel, 0-based; 9 is General MIDI drums") -> Field:
    return Field("ch", "int", 0, 15, doc=doc)


def _7bit(name: str, doc: str, lo: int = 0) -> Field:
    return Field(name, "int", lo, 127, doc=doc)


def _parses(parse_name: str, template: str = "{}"):
    """A test: True when theory's ``parse_name`` accepts the text put in ``template``
    (theory is imported on first use: only a KeySig needs it)."""
    def ok(value: str) -> bool:
        from . import theory

        try:
            getattr(theory, parse_name)(template.format(value))
        except ValueError:
            return False
        return True

    return ok


VOCABULARIES = {
    "note": (_parses("parse_key", "{} major"), "a note name: C, F#, Bb"),
    "scale": (_parses("scale_name"), "a scale or mode name (scale --list)"),
    "chord": (_parses("parse_chord"), "a chord symbol: C, Am7, F#dim, Bbmaj7"),
}
"""Text fields with a vocabulary: (test, what the reference and errors say)."""


EVENTS: dict[str, EventType] = {
    e.name: e
    for e in (
        EventType(
            "Seed",
            (Field("seed", "int", 0, MAX_SEED, doc="the stream's random seed"),),
            "Set once at the head of a stream; every stage passes it on and derives its "
            "randomness from it. Later Seed lines (layered streams) are dropped.",
        ),
        EventType(
            "Tempo",
            (_t(), Field("bpm", "number", 4, 1000, doc="quarter notes per minute")),
            "Tempo change from `t` on.",
        ),
        EventType(
            "TimeSig",
            (
                _t(),
                Field("num", "int", 1, 64, doc="beats per bar"),
                Field("den", "int", 1, 64, pow2=True, doc="beat unit (4 = quarter)"),
            ),
            "Time signature from `t` on; bars are counted from it.",
        ),
        EventType(
            "ProgramChange",
            (_t(), _ch(), _7bit("program", "General MIDI program, 0-based (0 = piano)")),
            "Selects the instrument of a channel.",
        ),
        EventType(
            "ControlChange",
            (_t(), _ch(), _7bit("cc", "controller number"), _7bit("value", "controller value")),
            "A MIDI controller (7 = volume, 10 = pan, 64 = sustain, 91 = reverb ...).",
        ),
        EventType(
            "PitchBend",
            (_t(), _ch(), Field("value", "int", -8192, 8191, doc="bend: 0 none, -8192 .. 8191 "
                                "the full range down and up (2 semitones in General MIDI)")),
            "Bends every note of the channel from `t` on, until the next PitchBend.",
        ),
        EventType(
            "ChannelPressure",
            (_t(), _ch(), _7bit("value", "pressure (aftertouch) 0-127")),
            "Aftertouch for the whole channel from `t` on.",
        ),
        EventType(
            "Note",
            (
                _t(),
                Field("dur", "int", 1, MAX_TICK, doc="length in ticks"),
                _ch(),
                _7bit("key", "MIDI key; 60 = C4 (middle C)"),
                _7bit("vel", "velocity", lo=1),
            ),
            "The canonical note: one self-contained line, so grep, sort and head never "
            "orphan half a note.",
        ),
        EventType(
            "NoteOn",
            (_t(), _ch(), _7bit("key", "MIDI key"), _7bit("vel", "velocity; 0 means NoteOff")),
            "Accepted on input (the music-pipe-rs form) and paired with its NoteOff into one "
            "Note. Emitted only when the pair form is asked for.",
        ),
        EventType(
            "NoteOff",
            (_t(), _ch(), _7bit("key", "MIDI key"), Field("vel", "int", 0, 127, False, "release velocity")),
            "Ends the earliest open NoteOn on the same channel and key (or, coming first, the "
            "next NoteOn there if it starts within 60 ticks: see the pair form below).",
        ),
        EventType(
            "Marker",
            (
                _t(),
                Field("text", "str", doc="section or track name"),
                Field("ch", "int", 0, 15, False, "when given, names the track of that channel"),
            ),
            "A named point: a section name, or with `ch` the name of a channel's track.",
        ),
        EventType(
            "KeySig",
            (
                _t(),
                Field("key", "str", doc="the tonic: C, F#, Bb ...", valid="note"),
                Field("mode", "str", doc="major, minor, or a mode or scale name (dorian ...)",
                      valid="scale"),
            ),
            "The key from `t` on: written as the MIDI key-signature meta event (the sharps "
            "or flats of the mode's notes), so notation programs show the key.",
        ),
        EventType(
            "Chord",
            (
                _t(),
                Field("dur", "int", 1, MAX_TICK, doc="how long the chord holds, in ticks"),
                Field("root", "str", doc="the root: C, F#, Bb ..."),
                Field("quality", "str", doc="the chord's quality as a lead sheet writes it: "
                      "\"\" (major), m, 7, maj7, m7, dim, sus4 ..."),
                Field("name", "str", doc="the chord symbol: Ebmaj7, F#m, G7", valid="chord"),
            ),
            "The harmony in force: written by mood (one per chord of the progression) so "
            "that later stages and readers know the changes. It makes no sound.",
        ),
        EventType(
            "Abort",
            (
                Field("stage", "str", doc="the stage that failed (or first passed it on)"),
                Field("message", "str", doc="its one-line error, as printed on stderr"),
            ),
            "The last line of a stage that failed. Every stage passes it on and exits 65 after "
            "it; no sink (to-midi, to-wav, viz --svg) writes a file from a stream that holds "
            "one (`--force` writes anyway). See \"Failures in a pipe\" below.",
        ),
        EventType(
            "End",
            (_t("length of the piece in ticks"),),
            "The length of the piece: a DAW loop ends exactly here. The latest End wins.",
        ),
    )
}


TIMED = frozenset(name for name, et in EVENTS.items() if any(f.name == "t" for f in et.fields))
"""The types whose ``t`` is a checked time (a ``t`` on a Seed or an unknown type is just data)."""


def _test_source(et: EventType) -> tuple[list[str], str]:
    """Source lines loading an event's fields, and one expression true when any is bad."""
    loads, tests = [], []
    for i, f in enumerate(et.fields):
        v = f"v{i}"
        loads.append(f'{v} = ev["{f.name}"]' if f.required else f'{v} = ev.get("{f.name}")')
        if f.kind == "str":
            test = f"{v}.__class__ is not str"
            if f.valid:
                test += f" or not _valid_{f.valid}({v})"
        else:
            cls = f"{v}.__class__ is not int" if f.kind == "int" else f"{v}.__class__ not in _NUM"
            test = f"{cls} or not {f.lo!r} <= {v} <= {f.hi!r}"
            if f.pow2:
                test += f" or {v} & ({v} - 1)"
        if not f.required:
            test = f"({v} is not None and ({test}))"
        tests.append(f"({test})")
    return loads, " or ".join(tests)


def _checker_source(et: EventType) -> str:
    """One straight-line checker for a type, generated from its table entry.

    Generated code, like dataclasses' __init__: every field's type and range folded into one
    boolean expression, evaluated once per event. A loop over Field objects would cost several
    times more, and every stage checks every event it reads. Only when the expression fails
    does ``_bad`` work out which field to name.
    """
    loads, test = _test_source(et)
    return f"def check_{et.name}(ev):\n    " + "\n    ".join(loads) + f"\n    if {test}:\n        _bad(ev)\n"


def _batch_checker_source(special: frozenset[str]) -> str:
    """``check_batch(events, handle, out, ons, early, pt) -> pt``: a whole batch checked,
    and NoteOn/NoteOff paired, in one generated loop.

    Every type's test is inlined behind one ``if typ == ...`` chain (Note, NoteOn and NoteOff
    first: most lines are notes), so a batch costs one call instead of one per event. Types
    in ``special`` go to ``handle(typ, ev, append)`` after their check; unknown types pass.
    The common shape of the pair form is paired right here: a NoteOn opens a note (``ons``:
    channel << 7 | key -> the open NoteOns, oldest first) and a NoteOff closes the oldest
    one into a Note. The rest goes to ``handle``: a NoteOff with nothing open or closing a
    NoteOn with more fields to carry, a NoteOn with velocity 0, or one on a key whose NoteOff
    came first (``early``). ``pt`` is the latest time of a NoteOn or NoteOff so far. On the
    first bad event it raises (EventError, KeyError or TypeError) with the good ones in
    ``out`` so far: the caller finds the line and the field with ``check``.
    """
    first = ("Note", "NoteOn", "NoteOff")
    order = list(first) + [n for n in EVENTS if n not in first]
    lines = ["def check_batch(evs, handle, out, ons, early, pt):", "    append = out.append",
             "    for ev in evs:", '        typ = ev["type"]']
    body = {
        "NoteOn": ["if v0 > pt:", "    pt = v0", "k = v1 << 7 | v2",
                   "if not v3 or k in early:", "    handle(typ, ev, append)",
                   "else:", "    q = ons.get(k)", "    if q is None:", "        ons[k] = [ev]",
                   "    else:", "        q.append(ev)"],
        "NoteOff": ["if v0 > pt:", "    pt = v0", "q = ons.get(v1 << 7 | v2)",
                    "if q and len(q[0]) == 5:", "    on = q.pop(0)", '    t = on["t"]',
                    '    append({"type": "Note", "t": t, "dur": v0 - t if v0 > t else 1, '
                    '"ch": v1, "key": v2, "vel": on["vel"]})',
                    "else:", "    handle(typ, ev, append)"],
    }
    for i, name in enumerate(order):
        loads, test = _test_source(EVENTS[name])
        lines.append(f'        {"if" if i == 0 else "elif"} typ == "{name}":')
        lines += [f"            {line}" for line in loads]
        lines.append(f"            if {test}:\n                raise EventError")
        step = body.get(name) or (["handle(typ, ev, append)"] if name in special else ["append(ev)"])
        lines += [f"            {line}" for line in step]
    lines += ["        elif typ.__class__ is str:", "            append(ev)",
              "        else:", "            raise TypeError", "    return pt", ""]
    return "\n".join(lines)


# The stream's special types: the Reader keeps one Seed and holds back an Abort (NoteOn and
# NoteOff are paired in check_batch itself, the rare cases in the Reader).
READER_SPECIAL = frozenset(("Seed", "Abort"))


def _compile_all() -> dict:
    """Compile every generated function in one exec: one compile() call keeps start-up short."""
    src = "".join(_checker_source(et) for et in EVENTS.values()) + _batch_checker_source(READER_SPECIAL)
    namespace = {"_bad": _bad, "_NUM": (int, float), "EventError": EventError}
    namespace.update({f"_valid_{name}": test for name, (test, _) in VOCABULARIES.items()})
    exec(src, namespace)  # noqa: S102 - source built from the EVENTS table
    return namespace


def _bad(ev: dict) -> None:
    for field in EVENTS[ev["type"]].fields:
        value = ev.get(field.name)
        if value is None and not field.required:
            continue
        _check_field(ev["type"], field, value)


def _check_field(typ: str, field: Field, value) -> None:
    """Raise the EventError that names this field, if its value breaks the table."""
    name = field.name
    if field.kind == "str":
        ok = value.__class__ is str
        if ok and field.valid and not VOCABULARIES[field.valid][0](value):
            raise EventError(f'{typ} field "{name}" is {_short(value)}, allowed {field.allowed()}')
    elif field.kind == "int":
        ok = value.__class__ is int and field.lo <= value <= field.hi and not (
            field.pow2 and value & (value - 1))
    else:
        ok = value.__class__ in (int, float) and field.lo <= value <= field.hi
    if ok:
        return
    want = "text" if field.kind == "str" else "an integer" if field.kind == "int" else "a number"
    if field.kind != "str" and value.__class__ in (int, float) and value.__class__ is not bool:
        if field.kind == "number" or value.__class__ is int:
            raise EventError(f'{typ} field "{name}" is {value!r}, allowed {field.allowed()}')
    shown = "missing" if value is None else f"{_json_kind(value)} {_short(value)}"
    allowed = "" if field.kind == "str" else f" ({field.allowed()})"
    raise EventError(f'{typ} field "{name}" must be {want}{allowed}, got {shown}')


def _json_kind(v) -> str:
    return {bool: "boolean", int: "integer", float: "number", str: "text", list: "array",
            dict: "object", type(None): "null"}.get(type(v), type(v).__name__)


def _short(v) -> str:
    s = repr(v) if not isinstance(v, str) else '"' + v + '"'
    return s if len(s) <= 30 else s[:27] + "..."


_GENERATED = _compile_all()
CHECKERS = {name: _GENERATED[f"check_{name}"] for name in EVENTS}
check_batch = _GENERATED["check_batch"]


def check(ev: dict) -> None:
    """Raise EventError if a known event breaks the table; unknown types pass.

    Unknown fields pass too: a stage must hand on what it does not understand.
    """
    typ = ev.get("type")
    checker = CHECKERS.get(typ) if typ.__class__ is str else None
    if checker is not None:
        try:
            checker(ev)
        except KeyError as e:
            field = EVENTS[typ].fields
            name = e.args[0]
            allowed = next(f.allowed() for f in field if f.name == name)
            raise EventError(f'{typ} is missing field "{name}" ({allowed})') from None
    elif typ.__class__ is not str:
        if typ is None:
            raise EventError('missing field "type" (one of ' + ", ".join(EVENTS) + ")")
        raise EventError(f'field "type" must be text, got {_json_kind(typ)} {_short(typ)}')


def reference_markdown() -> str:
    """The event-format reference page, generated from the table (docs/events.md)."""
    out = [
        "# The event stream",
        "",
        "<!-- generated from musicpipe/events.py by `python -m musicpipe.events`; do not edit -->",
        "",
        "One JSON object per line (JSON Lines), UTF-8, `type` first. Time `t` is absolute, in",
        f"integer ticks at **{PPQ} ticks per quarter note**. Channels are 0-15 "
        f"({DRUM_CHANNEL} = General MIDI drums). Streams need not be sorted: layered parts are",
        "concatenated, and stages that need order sort. Unknown event types and unknown fields",
        "pass through every stage unchanged. Blank lines are ignored.",
        "",
        "Any event with a channel may carry a `track` (text, a name): the part it belongs to.",
        "to-midi writes one track per track name and channel, so two parts on one channel stay",
        "two tracks in a DAW; from-midi sets it when a file has several tracks on one channel;",
        "every stage passes it on.",
        "",
        "Example:",
        "",
        "```",
        '{"type":"Seed","seed":42}',
        '{"type":"Tempo","t":0,"bpm":120}',
        '{"type":"ProgramChange","t":0,"ch":0,"program":48}',
        '{"type":"Note","t":0,"dur":480,"ch":0,"key":60,"vel":90}',
        '{"type":"End","t":1920}',
        "```",
        "",
    ]
    for et in EVENTS.values():
        out += [f"## {et.name}", "", et.doc, "", "| field | type | allowed | meaning |",
                "|---|---|---|---|"]
        for f in et.fields:
            opt = "" if f.required else " (optional)"
            out.append(f"| `{f.name}`{opt} | {f.kind} | {f.allowed()} | {f.doc} |")
        out.append("")
    out += [
        "## Errors",
        "",
        "A line that is not JSON, not an object, lacks a field or has one out of range stops",
        "the stage with one line on stderr naming the line number and the field, for example",
        "`transpose: line 3: Note field \"key\" is 200, allowed 0..127`, and exit code 65.",
        "",
        "## Failures in a pipe",
        "",
        "A shell pipe reports only its last stage's exit code, so a failure travels down the",
        "stream itself. A stage that fails (bad input 65, a bad option 2, a missing component",
        "69, an unwritable file 73, a bug 70) prints its one line on stderr and, when its stdout",
        "is a stream (not a terminal), writes one Abort line as its last line:",
        "",
        "```",
        '{"type":"Abort","stage":"seq","message":"Invalid value for NOTATION: token 2 ..."}',
        "```",
        "",
        "A stage whose stdout is not a stream writes no Abort, a bad command line included:",
        "`mood --out`/`--stems`/`--list`/`--show`, `from-midi --notation`, `to-midi --out FILE`",
        "write a file or text, so `mood calm --out x.mp3 --rate 5 | cat` prints nothing on stdout.",
        "",
        "Every stage that reads an Abort passes the events before it on, then the Abort as its",
        "own last line, says `passed on the Abort from seq` on stderr and exits 65. The sinks",
        "(`to-midi`, `to-wav`, `viz --svg`, `analyze --json FILE`, `mood --out`, and their",
        "`--split`/`--stems` folders) write no file from a stream that ended",
        "in an Abort, is empty or holds no notes: they exit 65 with one line such as",
        "`to-midi: kept keep.mid: the stream ended in an Abort from seq; --force writes it",
        "anyway`, and an existing file stays byte for byte as it was. `--force` writes anyway",
        "(an empty piece on purpose, or what arrived before the failure).",
        "",
        "A stage that is killed (SIGKILL, power loss) writes no Abort; `set -o pipefail` still",
        "reports it. A closed pipe (`| head`) and Ctrl-C are not failures: no Abort.",
        "",
        "## Limits",
        "",
        f"A line longer than {MAX_LINE_MIB} MiB is a data error naming its line number, so a",
        "stream that is not JSON Lines (`< /dev/zero`, a binary file) ends with exit 65 instead",
        "of filling memory. A number must fit in 64 bits (a wider one, which would come back",
        "as a float, is a data error).",
        "",
        "## Ranges",
        "",
        "Every value a stage writes is inside the table above; option values are finite",
        "numbers in their documented range (`nan`, `inf` are usage errors, exit 2). Where a",
        "stage would step outside, it does one of three things, always the same for that stage:",
        "",
        "| stage | would write | does |",
        "|---|---|---|",
        "| `seq`, `motif`, `euclid` | a note past tick 2147483647 (`--at`, `--repeat`, a long "
        "duration), or more than 2,000,000 notes | refuses up front: exit 2, one line |",
        "| `humanize` | a start before 0 or past 2147483647, a length past it | clamps |",
        "| `trim` | an End past 2147483647 (`--pad`, a far bar line) | clamps the End |",
        "| `rubato` | more than 100,000 Tempo lines (a far End, a tiny `--interval`) | exit 65 |",
        "| `from-midi` | events past tick 2147483647 (huge delta times) | drops them, counted "
        "on stderr; lengths clamped |",
        "| `transpose` | a key outside 0..127 | `--out-of-range octave/clamp/drop`, counted |",
        "| `viz` | a roll wider than 20,000 columns, more than 2,000 bar lines | a wider "
        "step, no bar lines |",
        "",
        "## The NoteOn/NoteOff pair form",
        "",
        "Streams of the Rust music-pipe-rs tools carry notes as NoteOn/NoteOff pairs",
        '(`{"type":"NoteOn","t":0,"ch":0,"key":60,"vel":80}`). Every stage pairs them into',
        "Notes on input (a NoteOn with velocity 0 is a NoteOff; a NoteOff closes the earliest",
        "open NoteOn on its channel and key; a NoteOn still open at the end of the input is",
        "closed at the latest time seen, with a warning).",
        "",
        "A NoteOff may come a little before its own NoteOn: music-pipe-rs `humanize` moves both",
        "ends of a note independently and then sorts by time, so a note shorter than twice its",
        "jitter can end before it starts. A NoteOff with no NoteOn open therefore waits for the",
        "next NoteOn on its channel and key: if that starts at most 60 ticks (a 32nd note)",
        "later, the NoteOff ends it (a 1-tick note; counted on stderr) and later notes on the",
        "key pair as they should; otherwise the NoteOff is an orphan, dropped and counted.",
        "",
        "The pair form is slower to read than Notes: twice the lines to parse, and a step of",
        "Python per line to pair them (transpose takes about 1.6 times as long on it; `bin/bench",
        "versus` measures it). Between musicpipe stages, let notes travel as Notes; to-midi",
        "files each pair straight into the file's arrays, with no Note made in between.",
        "",
        "Set `MUSICPIPE_NOTE_FORM=pairs` (or",
        "pass `--pairs` to any stage) to write what those tools read: Seed, Tempo,",
        "ProgramChange, NoteOn, NoteOff and End only. Each Note becomes a NoteOn/NoteOff pair,",
        "a tempo is written in whole bpm (a fractional one is rounded, halves up), and every",
        "other event (TimeSig, KeySig, Marker, ControlChange, PitchBend, Chord, unknown types)",
        "is left out; the stage says on stderr how many of each, e.g.",
        "`motif: pair form: left out 1 Marker, 1 TimeSig (music-pipe-rs reads only ...)`.",
        "A failed stage still ends its output with its Abort line, which their tools refuse:",
        "the pipeline stops there too.",
        "",
    ]
    return "\n".join(out)


if __name__ == "__main__":
    print(reference_markdown(), end="")

"""Score plans: moods on a timeline, read from TOML or JSON into small typed objects.

One set of msgspec Structs is the format: it parses, checks ranges and types, and gives the
JSON Schema in docs/score.md (``schema()``), so the three cannot drift apart. What a type
cannot say (regions in order, keyframes inside their region, hits inside the piece, known
moods) is checked by ``check`` and ``check_moods``. Every error is one line naming the
field, ``region[2].at: 45 is past duration 40`` (regions and hits counted from 0, as jq
and JSON Pointer count), and exits 65.
"""

from __future__ import annotations

import difflib
import math
import re
import tomllib
from collections.abc import Iterable
from typing import Annotated, Literal

import msgspec
from msgspec import Meta, Struct

from ..events import MAX_SEED
from ..stream import DataError
from ..theory import TheoryError, parse_key

MAX_DURATION = 3600.0   # seconds: what `mood --duration` accepts
MIN_DURATION = 0.5
MAX_REGIONS = 64
MAX_HITS = 256
MAX_KEYFRAMES = 64
MAX_PLAN_BYTES = 1 << 20  # a plan is a page of text; a mood pack may be as large
MAX_NAME = 64
HIT_KINDS = ("accent", "stop", "stinger", "riser-to")
ENDINGS = ("cadence", "ring", "fade")


class PlanError(DataError):
    """A plan that cannot be played; the message names the field. Exit 65."""


Second = Annotated[float, Meta(ge=0, le=MAX_DURATION)]
Level = Annotated[float, Meta(ge=0, le=100)]
Tempo = Annotated[float, Meta(ge=20, le=400, description="BPM, 20..400")]
Key = Annotated[str, Meta(min_length=1, max_length=MAX_NAME, description=(
    "a key as mood takes it: C, Am, F#m, Bb major, D dorian"))]
Name = Annotated[str, Meta(min_length=1, max_length=MAX_NAME)]
Keyframes = Annotated[list[tuple[Second, Level]], Meta(
    min_length=1, max_length=MAX_KEYFRAMES,
    description="[seconds of the piece, intensity] pairs inside the region, in order of "
                "time: linear between them, flat before the first and after the last")]


class Region(Struct, forbid_unknown_fields=True, kw_only=True):
    """A mood from ``at`` seconds to the next region's start (the last: to the end)."""

    mood: Annotated[Name, Meta(description="a mood's name (`mood --list`)")]
    at: Annotated[Second, Meta(description="start in seconds; the first region at 0")]
    intensity: Level | Keyframes | None = None
    key: Key | None = None
    tempo: Tempo | None = None
    name: Annotated[Name, Meta(description="the section's marker in the .mid "
                                           "(default: the mood's name)")] | None = None


class Hit(Struct, forbid_unknown_fields=True, kw_only=True):
    """A moment the music marks with the whole band (docs/score.md says what each plays)."""

    at: Annotated[Second, Meta(description="the second it lands on")]
    kind: Annotated[Literal[HIT_KINDS], Meta(description=", ".join(HIT_KINDS))]
    label: Annotated[Name, Meta(description="a marker in the .mid (default: the kind)")] | None = None


class Plan(Struct, forbid_unknown_fields=True, kw_only=True):
    """A score plan: regions of moods on a timeline, hit points, one seed for the whole."""

    duration: Annotated[float, Meta(ge=MIN_DURATION, le=MAX_DURATION,
                                    description="length in seconds, exact")]
    region: Annotated[list[Region], Meta(min_length=1, max_length=MAX_REGIONS, description=(
        "the moods in order of time, the first at 0"))]
    hit: Annotated[list[Hit], Meta(max_length=MAX_HITS, description=(
        "moments the whole band marks"))] = []
    seed: Annotated[int, Meta(ge=0, description="0..2^64-1 (--seed wins over it; neither: a "
                                                "random one, printed on stderr)",
                              extra_json_schema={"maximum": MAX_SEED})] | None = None
    key: Annotated[Key, Meta(description="every region's key unless it gives its own "
                                         "(default: each mood's)")] | None = None
    tempo: Annotated[Tempo, Meta(description="every region's tempo unless it gives its own "
                                             "(default: each mood's)")] | None = None
    loop: Annotated[bool, Meta(description="the end leads back into the start, "
                                           "loop points in the files")] = False
    ending: Annotated[Literal[ENDINGS], Meta(description=(
        "cadence: a cadence and the final chord on the end (default); ring: the final chord "
        "struck on the last downbeat and left to ring; fade: the last bars fade out; "
        "not with loop"))] | None = None
    title: Annotated[Name, Meta(description="the piece's name in the .mid")] | None = None


def schema() -> dict:
    """The plan's JSON Schema, from the Structs themselves."""
    out = msgspec.json.schema(Plan)
    out["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return out


def parse(text: str | bytes, fmt: str | None = None) -> Plan:
    """A checked plan from TOML or JSON text (``fmt`` 'toml' or 'json'; None: JSON when it
    starts with ``{``). Raises PlanError."""
    raw = text.encode() if isinstance(text, str) else text
    if len(raw) > MAX_PLAN_BYTES:
        raise PlanError(f"the plan is larger than {MAX_PLAN_BYTES >> 20} MiB")
    if fmt is None:
        fmt = "json" if raw.lstrip()[:1] == b"{" else "toml"
    try:
        data = _decode(raw, fmt)
        if not isinstance(data, dict):
            raise PlanError("the plan is not a table (JSON: an object {...})")
        plan = msgspec.convert(data, Plan)
    except UnicodeDecodeError as e:
        raise PlanError(f"the plan is not UTF-8 text (byte {e.start})") from None
    except msgspec.ValidationError as e:
        raise PlanError(_explain(str(e), data)) from None
    except RecursionError:  # [[[[... a few thousand deep: no plan looks like that
        raise PlanError("the plan is nested too deeply") from None
    check(plan)
    return plan


def _decode(raw: bytes, fmt: str) -> object:
    if fmt == "json":
        try:
            return msgspec.json.decode(raw)
        except msgspec.DecodeError as e:
            raise PlanError(f"JSON: {e}") from None
    try:
        return tomllib.loads(raw.decode())
    except tomllib.TOMLDecodeError as e:
        raise PlanError(f"TOML: {e}") from None


_TYPES = {"float": "a number", "int": "a whole number", "str": "text", "array": "a list",
          "object": "a table", "bool": "true or false", "null": "null"}


def _words(types: re.Match) -> str:
    """`float | array | null` as "a number, a list or null"."""
    words = [_TYPES.get(t, t) for t in types.group(1).split(" | ")]
    return ", ".join(words[:-1]) + " or " + words[-1] if len(words) > 1 else words[0]


def _explain(message: str, data: dict) -> str:
    """msgspec's ``Expected `float` <= 3600.0 - at `$.region[2].at``` as
    ``region[2].at: 4000: expected a number <= 3600``: field first, the value, the range."""
    what, _, where = message.partition(" - at `$")
    path = where.rstrip("`").lstrip(".")
    m = re.fullmatch(r"Object (contains unknown|missing required) field `(.*)`", what)
    if m:
        field = f"{path}.{m.group(2)}" if path else m.group(2)
        if m.group(1) == "missing required":
            return f"{field}: missing (required)"
        known = _fields_at(path)
        close = difflib.get_close_matches(m.group(2), known, n=1)
        hint = f"did you mean {close[0]}? " if close else ""
        return f"{field}: unknown field; {hint}fields: {', '.join(known)}"
    what = re.sub(r"`([a-z |]+)`", _words, what)
    what = re.sub(r"(\d+)\.0\b", r"\1", what)
    value = _lookup(data, path)
    shown = "" if value is _MISSING else f"{_show(value)}: "
    what = what.replace("Expected ", "expected ").replace("Invalid enum value", "not one of")
    if "not one of" in what:
        what = f"not one of {', '.join(_choices(path))}"
    return f"{path or 'plan'}: {shown}{what}"


_MISSING = object()


def _show(value: object) -> str:
    if isinstance(value, float):
        return f"{value:g}"  # nan and inf as TOML writes them, not JSON's null
    text = msgspec.json.encode(value).decode()
    return text if len(text) <= 40 else text[:37] + "..."


def _lookup(data: object, path: str) -> object:
    for name, index in re.findall(r"(\w[\w-]*)|\[(\d+)\]", path):
        try:
            data = data[name] if name else data[int(index)]
        except (KeyError, IndexError, TypeError):
            return _MISSING
    return data


def _fields_at(path: str) -> list[str]:
    """The fields of the table at ``path``: ``region[2]``'s, ``hit[0]``'s, the plan's."""
    return list({"region": Region, "hit": Hit}.get(path.split("[")[0], Plan).__struct_fields__)


def _choices(path: str) -> tuple[str, ...]:
    return ENDINGS if path == "ending" else HIT_KINDS


def _region_ends(plan: Plan) -> list[float]:
    return [r.at for r in plan.region[1:]] + [plan.duration]


def check(plan: Plan) -> None:
    """What the types cannot say: the first region at 0, regions in order inside the
    piece, keyframes in their region and in order, hits inside the piece, keys that parse,
    a seed in range, no ending on a loop."""
    d = plan.duration
    if plan.seed is not None and plan.seed > MAX_SEED:
        raise PlanError(f"seed: {plan.seed} is past the largest seed 2^64-1")
    _key("key", plan.key)
    for i, r in enumerate(plan.region):
        at = f"region[{i}].at"
        if i == 0 and r.at != 0:
            raise PlanError(f"{at}: {r.at:g} must be 0: the first region starts the piece")
        if r.at >= d:
            raise PlanError(f"{at}: {r.at:g} is past duration {d:g}" if r.at > d else
                            f"{at}: {r.at:g} is the end of the piece (duration {d:g})")
        if i and r.at <= plan.region[i - 1].at:
            raise PlanError(f"{at}: {r.at:g} is not after region[{i - 1}].at "
                            f"{plan.region[i - 1].at:g} (regions in order of time, no overlap)")
    for i, (r, end) in enumerate(zip(plan.region, _region_ends(plan))):
        _key(f"region[{i}].key", r.key)
        if isinstance(r.intensity, list):
            last = -math.inf
            for j, (s, _) in enumerate(r.intensity):
                field = f"region[{i}].intensity[{j}]"
                if not r.at <= s <= end:
                    raise PlanError(f"{field}: {s:g} s is outside the region ({r.at:g}..{end:g} s)")
                if s < last:
                    raise PlanError(f"{field}: {s:g} s comes before the keyframe before it "
                                    f"({last:g} s; keyframes in order of time)")
                last = s
    for i, h in enumerate(plan.hit):
        if h.at > d:
            raise PlanError(f"hit[{i}].at: {h.at:g} is past duration {d:g}")
        if h.kind == "riser-to" and h.at == 0:
            raise PlanError(f"hit[{i}].at: a riser-to needs time to rise before it; 0 is the start")
    if plan.loop and plan.ending is not None:
        raise PlanError(f"ending: {plan.ending!r} with loop = true: a loop has no ending "
                        "(its end leads back into its start); drop one")


def _key(field: str, text: str | None) -> None:
    if text is None:
        return
    try:
        parse_key(text)
    except (TheoryError, ValueError) as e:
        raise PlanError(f"{field}: {e}") from None


def check_moods(plan: Plan, names: Iterable[str]) -> None:
    """Every region's mood among ``names`` (case does not matter, as for `mood`); an
    unknown one fails with the close names."""
    names = list(names)
    lower = {n.lower() for n in names}
    for i, r in enumerate(plan.region):
        if r.mood.lower() not in lower:
            close = difflib.get_close_matches(r.mood.lower(), [n.lower() for n in names],
                                              n=3, cutoff=0.5)
            hint = f"did you mean {', '.join(close)}? " if close else ""
            raise PlanError(f"region[{i}].mood: no mood {r.mood!r}; {hint}"
                            f"moods: {', '.join(names)}")


def schema_markdown() -> str:
    """The schema block of docs/score.md (``python -m musicpipe.scoring.plan`` prints it)."""
    import json

    return "<!-- schema -->\n```json\n" + json.dumps(schema(), indent=2) + "\n```\n"


if __name__ == "__main__":
    print(schema_markdown(), end="")

"""Typed events: msgspec Structs generated from the event table, decoded and checked in C.

The hot stages (transpose, scale, humanize, to-midi) read their input through these: one
``decode_lines`` call turns a chunk of lines into Structs and checks every field's type and
range on the way, several times faster than parsing to dicts and checking them in Python.
A chunk takes this path only when every line is a typed event with no unknown field and
the Structs encode back to exactly the chunk's bytes (the canonical form every stage
writes), so a stage's output never depends on which path a chunk took. A chunk of only
NoteOn/NoteOff lines skips that check: it becomes new Notes either way. Anything else
(a Seed, a KeySig, an unknown type or field, a blank line, an error to name) goes the dict
way of ``musicpipe.stream``.

Types whose table entry msgspec cannot check fully (a KeySig's vocabulary) and the ones the
reader treats specially (Seed, Abort) have no Struct.
"""

from __future__ import annotations

from typing import Annotated, Literal, Union

import msgspec
from msgspec import UNSET, Meta, UnsetType

from .events import EVENTS, Field

SKIPPED = frozenset(("Seed", "Abort"))


def _annotation(f: Field):
    if f.kind == "str":
        return str
    if f.pow2:
        return Literal[tuple(1 << n for n in range(7))]
    bounded = Meta(ge=f.lo, le=f.hi)
    if f.kind == "int":
        return Annotated[int, bounded]
    return Union[Annotated[int, bounded], Annotated[float, bounded]]


def _struct(name: str):
    fields = EVENTS[name].fields
    spec = []
    for f in fields:
        kind = _annotation(f)
        spec.append((f.name, kind) if f.required else (f.name, Union[kind, UnsetType], UNSET))
    if any(f.name == "ch" for f in fields):
        spec.append(("track", Union[str, UnsetType], UNSET))
    # gc=False: a struct of numbers and text never takes part in a reference cycle.
    return msgspec.defstruct(name, spec, tag=True, forbid_unknown_fields=True, gc=False,
                             module=__name__)


TYPES = {name: _struct(name) for name, et in EVENTS.items()
         if name not in SKIPPED and not any(f.valid for f in et.fields)}
"""Event type name -> its Struct class."""

Note = TYPES["Note"]
NoteOn = TYPES["NoteOn"]
NoteOff = TYPES["NoteOff"]
End = TYPES["End"]

_decode_lines = msgspec.json.Decoder(Union[tuple(TYPES.values())]).decode_lines
_decode_pairs = msgspec.json.Decoder(Union[NoteOn, NoteOff]).decode_lines
encode_lines = msgspec.json.Encoder().encode_lines
"""JSON Lines bytes for a list of Structs (the same bytes orjson writes for their dicts)."""


PAIRS = frozenset((NoteOn, NoteOff))


def decode(text: bytes, pairs: bool = False) -> tuple[list, set] | None:
    """The Structs of a chunk of complete lines (no final newline) and the set of their
    classes, or None when it must go the dict way (see the module docstring). ``pairs``:
    the chunk likely holds only NoteOn/NoteOff lines (the one before did), so try that
    first and skip finding out which classes the Structs have."""
    if pairs:
        try:
            return _decode_pairs(text), PAIRS
        except (msgspec.ValidationError, msgspec.DecodeError):
            pass
    try:
        evs = _decode_lines(text)
    except (msgspec.ValidationError, msgspec.DecodeError):
        return None
    kinds = set(map(type, evs))
    if not kinds <= PAIRS and encode_lines(evs)[:-1] != text:
        return None  # (NoteOn/NoteOff lines alone need no check: they become new Notes)
    return evs, kinds


def as_dict(ev) -> dict:
    """A Struct as the dict the stream reader would have made of its line."""
    d = {"type": ev.__class__.__name__}
    for name in ev.__struct_fields__:
        value = getattr(ev, name)
        if value is not UNSET:
            d[name] = value
    return d


def as_struct(ev: dict):
    """A checked event dict as its Struct, or None when it has no Struct (its type has none,
    or it carries fields the table does not know)."""
    cls = TYPES.get(ev["type"])
    if cls is None:
        return None
    known = cls.__struct_fields__
    if any(name not in known for name in ev if name != "type"):
        return None
    return cls(**{name: value for name, value in ev.items() if name != "type"})

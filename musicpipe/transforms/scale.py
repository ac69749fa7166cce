"""Scale: snap notes to a scale or mode.

Each key moves to a tone of the scale at most 2 semitones away, never by an octave: the
snapping is a 128-entry table built once per run, so a note costs one list lookup.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import chain

from ..events import DRUM_CHANNEL
from ..stream import dicts, is_typed
from ..theory import FLAT_NAMES, SCALE_ALIASES, SCALE_DOCS, SCALES, scale_pitch_classes
from .reseed import at_head

POLICIES = ("nearest", "up", "down")

SNAP_HELP = (
    "Snapping: a key already in the scale stays. Otherwise `nearest` takes the closer scale "
    "tone, a tie going DOWN (C# in C whole-tone becomes C); `up`/`down` take the tone in that "
    "direction, or the other one when that is more than 2 semitones away. So a note moves at "
    "most 2 semitones and never changes octave. Only at the edges of 0..127, when the nearer "
    "tone lies outside the MIDI range (key 0 or 127 in a few gapped scales: hirajoshi, "
    "in-sen, iwato), it moves 3 semitones to the tone inside the range."
)

# One-line descriptions for `scale --list` where theory.SCALE_DOCS has none.
_MORE_DOCS = {
    "major-pentatonic": "five notes, no half steps; folk, pop",
    "minor-pentatonic": "five notes; rock and blues riffs",
    "blues": "minor pentatonic with the flat 5th (blue note)",
    "major-blues": "major pentatonic with the flat 3rd",
    "whole-tone": "all whole steps; floating, dreamlike",
    "diminished": "whole-half octatonic; tense, symmetric",
    "half-whole": "half-whole octatonic; dominant 7th colour",
    "phrygian-dominant": "Phrygian with a major 3rd; flamenco, klezmer",
    "lydian-dominant": "Lydian with a flat 7th; overtone scale",
    "altered": "super-Locrian; every tension on a dominant",
    "harmonic-major": "major with a flat 6th",
    "double-harmonic": "two augmented 2nds; Byzantine, Arabic",
    "hungarian-minor": "harmonic minor with a raised 4th",
    "neapolitan-minor": "harmonic minor with a flat 2nd",
    "neapolitan-major": "melodic minor with a flat 2nd",
    "bebop-dominant": "mixolydian plus the major 7th passing tone",
    "bebop-major": "major plus the flat 6th passing tone",
    "hirajoshi": "Japanese pentatonic; koto tuning",
    "in-sen": "Japanese pentatonic with a flat 2nd",
    "iwato": "Japanese pentatonic; dark, sparse",
    "yo": "Japanese pentatonic without half steps",
    "egyptian": "suspended pentatonic",
    "prometheus": "Scriabin's mystic-chord scale",
    "augmented": "alternating minor 3rds and half steps",
    "enigmatic": "Verdi's enigmatic scale",
}


def snap_table(root: int, mode: str, snap: str = "nearest") -> list[int]:
    """``table[key]`` is the snapped key, for every key 0..127 (see SNAP_HELP)."""
    if snap not in POLICIES:
        raise ValueError(f"snap must be one of {POLICIES}")
    pcs = frozenset(scale_pitch_classes(root % 12, mode))
    table = []
    for key in range(128):
        if key % 12 in pcs:
            table.append(key)
            continue
        below = next((key - d for d in range(1, 12) if key - d >= 0 and (key - d) % 12 in pcs), None)
        above = next((key + d for d in range(1, 12) if key + d <= 127 and (key + d) % 12 in pcs), None)
        down = key - below if below is not None else 99
        up = above - key if above is not None else 99
        if snap == "up" and up <= 2:
            pick = above
        elif snap == "down" and down <= 2:
            pick = below
        else:
            pick = below if down <= up else above
        table.append(pick)
    return table


def snap(events: Iterable[dict], root: int, mode: str, *, snap: str = "nearest",
         drums: bool = False, channels: Iterable[int] | None = None,
         stats: dict | None = None) -> Iterator[dict]:
    """Snap every Note's key into the scale ``mode`` on ``root`` (pitch class 0-11).

    Channel 9 (GM drums) is left alone unless ``drums``; ``channels`` limits the change to
    those channels. Other events, and notes already in the scale, pass as the same objects;
    a moved note is a copy. ``stats`` (a dict) receives the count of moved notes ("moved").

    >>> [e["key"] for e in snap([{"type": "Note", "t": 0, "dur": 1, "ch": 0, "key": 61, "vel": 9}], 0, "major")]
    [60]
    """
    batches = [events] if isinstance(events, list) else ([ev] for ev in events)
    return chain.from_iterable(snap_batches(batches, root, mode, snap=snap, drums=drums,
                                            channels=channels, stats=stats))


def snap_batches(batches: Iterable[list[dict]], root: int, mode: str, *, snap: str = "nearest",
                 drums: bool = False, channels: Iterable[int] | None = None,
                 stats: dict | None = None, in_place: bool = False) -> Iterator[list[dict]]:
    """``snap`` over lists of events, a list out for each list in. ``in_place`` changes the
    notes themselves, for lists nobody else holds (a stage's freshly read batches)."""
    table = snap_table(root, mode, snap)
    only = frozenset(channels) if channels else frozenset(range(16))
    if not drums:
        only -= {DRUM_CHANNEL}
    moved = 0
    try:
        for batch in batches:
            fresh = in_place
            if is_typed(batch):  # Structs (a typed reader's)
                if in_place:
                    moved += _snap_structs(batch, table, only)
                    yield batch
                    continue
                batch, fresh = dicts(batch), True
            if fresh:  # the stage's hot loop
                for ev in batch:
                    if ev["type"] == "Note":
                        key = ev["key"]
                        new = table[key]
                        if new != key and ev["ch"] in only:
                            ev["key"] = new
                            moved += 1
                yield batch
                continue
            out = []
            for ev in batch:
                if ev["type"] == "Note":
                    key = ev["key"]
                    new = table[key]
                    if new != key and ev["ch"] in only:
                        ev = ev.copy()
                        ev["key"] = new
                        moved += 1
                out.append(ev)
            yield out
    finally:
        if stats is not None:
            stats["moved"] = moved


def _snap_structs(batch: list, table: list[int], only: frozenset) -> int:
    """The hot loop over Structs, in place; returns how many notes moved."""
    from ..structs import Note

    moved = 0
    for ev in batch:
        if ev.__class__ is Note:
            key = ev.key
            new = table[key]
            if new != key and ev.ch in only:
                ev.key = new
                moved += 1
    return moved


# Scale tones on C as musicians spell most of them: flats, but the raised 4th as F#.
_ON_C = FLAT_NAMES[:6] + ("F#",) + FLAT_NAMES[7:]


def scale_list() -> str:
    """The table `scale --list` prints: name, intervals, notes on C, description, aliases."""
    aliases: dict[str, list[str]] = {}
    for alias, name in SCALE_ALIASES.items():
        aliases.setdefault(name, []).append(alias)
    width = max(map(len, SCALES))
    lines = []
    for name, steps in SCALES.items():
        doc = SCALE_DOCS.get(name) or _MORE_DOCS.get(name, "")
        also = f" (also: {', '.join(aliases[name])})" if name in aliases else ""
        notes = " ".join(_ON_C[s] for s in steps)
        lines.append(f"{name.ljust(width)}  {' '.join(f'{s:2d}' for s in steps):<24}"
                     f"  {notes:<24}  {doc}{also}")
    return "\n".join(lines) + "\n"


def with_key(events: Iterable[dict], keysig: dict) -> Iterator[dict]:
    """The stream with ``keysig`` as its KeySig: first after the Seed; earlier ones dropped."""
    return at_head((ev for ev in events if ev["type"] != "KeySig"), keysig)

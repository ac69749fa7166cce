"""Transpose: shift notes by semitones."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from ..events import DRUM_CHANNEL

POLICIES = ("octave", "clamp", "drop")


def transpose(events: Iterable[dict], semitones: int, *, drums: bool = False,
              channels: Iterable[int] | None = None, policy: str = "octave",
              stats: dict | None = None) -> Iterator[dict]:
    """Shift every Note by ``semitones``; other events pass unchanged.

    Drums (channel 9) are left alone unless ``drums``: a transposed kick is another drum.
    A key pushed out of 0..127 is, by ``policy``: ``octave`` moved back by whole octaves
    (pitch class kept, the default), ``clamp``ed to 0 or 127, or ``drop``ped. ``stats``
    (a dict) receives the count under "out_of_range".

    >>> [e["key"] for e in transpose([{"type": "Note", "t": 0, "dur": 1, "ch": 0, "key": 60, "vel": 9}], 7)]
    [67]
    """
    if policy not in POLICIES:
        raise ValueError(f"policy must be one of {POLICIES}")
    only = frozenset(channels) if channels else None
    out_of_range = 0
    try:
        for ev in events:
            if ev["type"] == "Note" and (drums or ev["ch"] != DRUM_CHANNEL) and (
                    only is None or ev["ch"] in only):
                key = ev["key"] + semitones
                if not 0 <= key <= 127:
                    out_of_range += 1
                    if policy == "drop":
                        continue
                    key = _octave_fold(key) if policy == "octave" else min(127, max(0, key))
                ev = ev.copy()
                ev["key"] = key
            yield ev
    finally:
        if stats is not None:
            stats["out_of_range"] = out_of_range


def _octave_fold(key: int) -> int:
    while key < 0:
        key += 12
    while key > 127:
        key -= 12
    return key

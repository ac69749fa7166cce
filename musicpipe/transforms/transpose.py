"""Transpose: shift notes by semitones."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import chain

from ..events import DRUM_CHANNEL
from ..stream import dicts, is_typed

POLICIES = ("octave", "clamp", "drop")


def transpose(events: Iterable[dict], semitones: int, *, drums: bool = False,
              channels: Iterable[int] | None = None, policy: str = "octave",
              stats: dict | None = None) -> Iterator[dict]:
    """Shift every Note by ``semitones``; other events pass unchanged (moved notes are copies).

    Drums (channel 9) are left alone unless ``drums``: a transposed kick is another drum.
    A key pushed out of 0..127 is, by ``policy``: ``octave`` moved back by whole octaves
    (pitch class kept, the default), ``clamp``ed to 0 or 127, or ``drop``ped. ``stats``
    (a dict) receives the count under "out_of_range".

    >>> [e["key"] for e in transpose([{"type": "Note", "t": 0, "dur": 1, "ch": 0, "key": 60, "vel": 9}], 7)]
    [67]
    """
    batches = [events] if isinstance(events, list) else ([ev] for ev in events)
    return chain.from_iterable(transpose_batches(batches, semitones, drums=drums, channels=channels,
                                                 policy=policy, stats=stats))


def transpose_batches(batches: Iterable[list[dict]], semitones: int, *, drums: bool = False,
                      channels: Iterable[int] | None = None, policy: str = "octave",
                      stats: dict | None = None, in_place: bool = False) -> Iterator[list[dict]]:
    """``transpose`` over lists of events, a list out for each list in. ``in_place`` changes
    the notes themselves, for lists nobody else holds (a stage's freshly read batches,
    which may be Structs: see ``musicpipe.structs``)."""
    if policy not in POLICIES:
        raise ValueError(f"policy must be one of {POLICIES}")
    only = frozenset(channels) if channels else frozenset(range(16))
    if not drums:
        only -= {DRUM_CHANNEL}
    out_of_range = 0
    fold = _octave_fold if policy == "octave" else _clamp
    try:
        for batch in batches:
            fresh = in_place
            if is_typed(batch):  # Structs (a typed reader's)
                if in_place and policy != "drop":
                    out_of_range += _transpose_structs(batch, semitones, only, fold)
                    yield batch
                    continue
                batch, fresh = dicts(batch), True
            if fresh and policy != "drop":  # the stage's hot loop
                for ev in batch:
                    if ev["type"] == "Note" and ev["ch"] in only:
                        key = ev["key"] + semitones
                        if not 0 <= key <= 127:
                            out_of_range += 1
                            key = fold(key)
                        ev["key"] = key
                yield batch
                continue
            out = []
            for ev in batch:
                if ev["type"] == "Note" and ev["ch"] in only:
                    key = ev["key"] + semitones
                    if not 0 <= key <= 127:
                        out_of_range += 1
                        if policy == "drop":
                            continue
                        key = fold(key)
                    if not fresh:
                        ev = ev.copy()
                    ev["key"] = key
                out.append(ev)
            yield out
    finally:
        if stats is not None:
            stats["out_of_range"] = out_of_range


def _transpose_structs(batch: list, semitones: int, only: frozenset, fold) -> int:
    """The hot loop over Structs, in place; returns how many keys were folded."""
    from ..structs import Note

    folded = 0
    for ev in batch:
        if ev.__class__ is Note and ev.ch in only:
            key = ev.key + semitones
            if not 0 <= key <= 127:
                folded += 1
                key = fold(key)
            ev.key = key
    return folded


def _clamp(key: int) -> int:
    return min(127, max(0, key))


def _octave_fold(key: int) -> int:
    while key < 0:
        key += 12
    while key > 127:
        key -= 12
    return key

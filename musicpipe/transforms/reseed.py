"""The head of a stream: a new Seed, or any event put first after the Seed."""

from __future__ import annotations

from collections.abc import Iterable, Iterator


def reseed(events: Iterable[dict], seed: int) -> Iterator[dict]:
    """The Seed first, then the events with any earlier Seed lines dropped."""
    yield {"type": "Seed", "seed": seed}
    for ev in events:
        if ev.get("type") != "Seed":
            yield ev


def at_head(events: Iterable[dict], first: dict) -> Iterator[dict]:
    """The stream with ``first`` right after its Seed (or first of all, without one)."""
    placed = False
    for ev in events:
        if not placed and ev["type"] != "Seed":
            yield first
            placed = True
        yield ev
    if not placed:
        yield first

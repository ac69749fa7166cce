"""Reseed: put a new Seed at the head of a stream."""

from __future__ import annotations

from collections.abc import Iterable, Iterator


def reseed(events: Iterable[dict], seed: int) -> Iterator[dict]:
    """The Seed first, then the events with any earlier Seed lines dropped."""
    yield {"type": "Seed", "seed": seed}
    for ev in events:
        if ev.get("type") != "Seed":
            yield ev

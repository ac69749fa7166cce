"""Per-stage random generators derived from the stream's Seed.

Each stage (and each mood layer) gets its own generator, derived from the stream seed and a
name with BLAKE2b, never Python's salted ``hash()``. Draws go through ``random.Random.random()``
only: Python guarantees that method's sequence for an integer seed across versions, while
``randint``/``choice`` may change. Everything else here is built on it, so the same
seed gives the same music on every Python >= 3.11 and every machine.

    >>> a, b = stage_rng(42, "motif"), stage_rng(42, "motif")
    >>> [a.randint(0, 9) for _ in range(8)] == [b.randint(0, 9) for _ in range(8)]
    True
"""

from __future__ import annotations

import os
import random
from collections.abc import Sequence
from typing import TypeVar

from .events import MAX_SEED

try:  # BLAKE2 without importing hashlib, which loads OpenSSL (~15 ms of every stage's start)
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - CPython always builds _blake2
    from hashlib import blake2b

T = TypeVar("T")

__all__ = ["MAX_SEED", "Rng", "derive", "random_seed", "stage_rng"]


def derive(seed: int, *names: str | int) -> int:
    """A 64-bit seed for one consumer of a stream seed: derive(42, "motif", "bass")."""
    text = ":".join([str(seed), *map(str, names)]).encode()
    return int.from_bytes(blake2b(text, digest_size=8).digest(), "big")


def random_seed() -> int:
    """A fresh seed for a stream that has none; small enough to read out and type back."""
    return int.from_bytes(os.urandom(4), "big")


class Rng:
    """A seeded generator whose every draw derives from Random.random()."""

    __slots__ = ("random",)

    def __init__(self, seed: int):
        self.random = random.Random(seed).random

    def uniform(self, a: float, b: float) -> float:
        return a + (b - a) * self.random()

    def randint(self, a: int, b: int) -> int:
        """An integer in a..b inclusive."""
        return a + min(int(self.random() * (b - a + 1)), b - a)


    def choice(self, seq: Sequence[T]) -> T:
        return seq[min(int(self.random() * len(seq)), len(seq) - 1)]

    def weighted(self, seq: Sequence[T], weights: Sequence[float]) -> T:
        """One item, with probability proportional to its weight."""
        total = sum(weights)
        x = self.random() * total
        for item, w in zip(seq, weights):
            x -= w
            if x < 0:
                return item
        return seq[-1]


def stage_rng(seed: int, *names: str | int) -> Rng:
    """The generator of one stage (or one layer of a mood) for a stream seed."""
    return Rng(derive(seed, *names))

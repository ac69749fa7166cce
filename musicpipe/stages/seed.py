"""seed: start (or re-seed) a stream with a Seed event."""

from __future__ import annotations

from collections.abc import Iterator

import click

from .. import cli
from ..events import MAX_SEED
from ..transforms.reseed import reseed


@cli.stage("seed", examples=[
    "seed 42 | motif --notes 8 | viz",
    "seed | motif            # a random seed, printed on stderr",
    "seed 7 < examples/riff.jsonl      # re-seed an existing stream",
])
@click.argument("seed", required=False, type=click.IntRange(0, MAX_SEED))
def command(io: cli.StageIO, seed: int | None):
    """Start a stream with a Seed: every random stage after it derives its choices from it.

    With no SEED a random one is chosen and printed on stderr. Piped input passes through
    after the new Seed; Seed lines in it are replaced.
    """
    if seed is None:
        from ..rng import random_seed

        seed = random_seed()
        io.warn(f"seed {seed}")
    events = () if io.stdin_is_terminal() else _without_dedupe(io)
    return reseed(events, seed)


def _without_dedupe(io: cli.StageIO) -> Iterator[dict]:
    events = io.events()
    io.reader.dedupe_seeds = False  # every old Seed is replaced, none is worth a warning
    return events


main = command

"""rubato: tempo variation over time (musicpipe.transforms.rubato)."""

from __future__ import annotations

import click

from .. import cli
from ..transforms.rubato import RUBATO_HELP, STYLES, rubato


@cli.stage("rubato", examples=[
    "rubato < examples/riff.jsonl",
    "rubato --style phrase --variance 8 --interval 480 < examples/riff.jsonl",
    "seed 5 | transpose -s 0 | rubato --style waltz --bpm 90",
], epilog=RUBATO_HELP)
@cli.seed_option
@click.option("--variance", type=cli.FloatRange(0, 50), default=5.0, show_default=True,
              help="Largest random tempo change, percent.")
@click.option("--interval", type=click.IntRange(1, 2**31 - 1), default=480, show_default=True,
              help="Ticks between tempo changes (480 = a beat, 240 = an eighth note).")
@click.option("--style", type=click.Choice(STYLES), default="ragtime", show_default=True,
              help="Shape of the variation (see below).")
@click.option("--bpm", type=cli.FloatRange(4, 1000), default=None,
              help="Base tempo (default: the stream's Tempo, else 120).")
def command(io: cli.StageIO, seed: int | None, variance: float, interval: int, style: str,
            bpm: float | None):
    """Add tempo variation (rubato): a varied Tempo every --interval ticks.

    The randomness comes from the stream's Seed (or --seed).
    """
    events, seed = io.seeded_events(seed)
    return rubato(events, seed, variance=variance, interval=interval, style=style, bpm=bpm)


main = command

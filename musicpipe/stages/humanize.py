"""humanize: seeded timing, velocity and length variation (musicpipe.transforms.humanize)."""

from __future__ import annotations

import click

from .. import cli
from ..transforms.humanize import AMOUNT_HELP, humanize_batches, parse_amount


def _amount(ctx, param, value):
    try:
        parse_amount(value, f"--{param.name}")
    except ValueError as e:
        raise click.BadParameter(str(e)) from None
    return value


@cli.stage("humanize", examples=[
    "humanize < examples/riff.jsonl",
    "humanize --timing 5% --velocity 12 --length 10% --swing 0.5 < examples/riff.jsonl",
    "seed 9 | transpose -s 0 | humanize --seed 4",
], epilog=AMOUNT_HELP)
@cli.seed_option
@click.option("--timing", default="10", callback=_amount, show_default=True,
              help="Largest start shift: ticks, or % of a quarter note.")
@click.option("--velocity", default="8", callback=_amount, show_default=True,
              help="Largest velocity change: units, or % of the note's velocity.")
@click.option("--length", default="0", callback=_amount, show_default=True,
              help="Largest length change: ticks, or % of the note's length.")
@click.option("--swing", type=cli.FloatRange(0, 1), default=0.0, show_default=True,
              help="Delay off-beat eighths: 0 straight .. 1 triplet swing.")
@click.option("--ch", "channels", type=click.IntRange(0, 15), multiple=True,
              help="Only these channels (repeatable); default all, drums included.")
def command(io: cli.StageIO, seed: int | None, timing: str, velocity: str, length: str,
            swing: float, channels: tuple[int, ...]):
    """Humanize notes: seeded variation of timing, velocity and length, optional swing.

    The randomness comes from the stream's Seed (or --seed): the same seed gives the same
    performance every run.
    """
    batches, seed = io.seeded_batches(seed, typed=True)
    io.writer.write_batches(humanize_batches(batches, seed, timing=timing, velocity=velocity,
                                             length=length, swing=swing, channels=channels,
                                             in_place=True))


main = command

"""quantize: move notes onto a rhythmic grid (musicpipe.transforms.quantize)."""

from __future__ import annotations

import click

from .. import cli
from ..transforms.quantize import GRID_HELP, parse_grid, quantize_batches


@cli.stage("quantize", examples=[
    "mood jazz --duration 20 --seed 3 | quantize --grid 16 | to-midi --out jazz.mid",
    "seed 1 | motif | humanize | quantize --grid 8 --strength 60   # tighter, still loose",
    "seed 1 | motif --bars 2 | quantize --grid 8t                  # onto eighth triplets",
    "seed 1 | motif | quantize --grid 16 --swing 50 --keep-lengths",
    "mood lofi --duration 8 --seed 1 | quantize --ch 9             # only the drums",
    "mood jazz --duration 8 --seed 1 | quantize --track Melody --grid 8",
], epilog=GRID_HELP)
@click.option("--grid", default="16", show_default=True, callback=cli.parsed(lambda v: (parse_grid(v), v)[1]),
              help="Note value of the grid: 4, 8, 16, 32 ...; 8t, 16t for triplets.")
@click.option("--strength", type=cli.FloatRange(0, 100), default=100, show_default=True,
              help="How far toward the grid, in % (100: onto it).")
@click.option("--swing", type=cli.FloatRange(0, 100), default=0, show_default=True,
              help="Delay every second grid line, in % of a third of a step (100: triplet feel).")
@click.option("--keep-lengths", is_flag=True, help="Move starts only; every note keeps its length.")
@click.option("--ch", "channels", type=click.IntRange(0, 15), multiple=True,
              help="Only these channels (repeatable); default all, drums included.")
@click.option("--track", "tracks", multiple=True, metavar="NAME",
              help="Only the notes of this part (repeatable): a `track` name, or a channel's "
                   "name (Bass finds a mood's \"Bass (Upright Bass)\").")
def command(io: cli.StageIO, grid: str, strength: float, swing: float, keep_lengths: bool,
            channels: tuple[int, ...], tracks: tuple[str, ...]):
    """Quantize notes: move starts and ends onto (or toward) a grid.

    Each note moves on its own, so the stage streams: output starts before the input ends.
    `humanize | quantize` at 100 % gives the grid back exactly.
    """
    if swing and grid.strip().lower().endswith("t"):
        raise click.BadParameter("applies to straight grids; a triplet grid is swung already",
                                 param_hint="'--swing'")
    io.writer.write_batches(quantize_batches(io.batches(), grid, strength=strength, swing=swing,
                                             lengths=not keep_lengths, channels=channels,
                                             tracks=tracks, in_place=True))


main = command

"""trim: cut trailing silence, or cut the piece to N bars (musicpipe.transforms.trim)."""

from __future__ import annotations

import click

from .. import cli
from ..transforms.trim import TRIM_HELP, trim


@cli.stage("trim", examples=[
    "trim < examples/riff.jsonl",
    "trim --bars 1 < examples/riff.jsonl",
    "trim --exact --pad 240 < examples/riff.jsonl",
    "seed 1 | transpose -s 0 | trim --ticks 960",
], epilog=TRIM_HELP)
@click.option("--bars", type=click.IntRange(1, 1_000_000), default=None,
              help="Cut to this many bars (bars from TimeSig, default 4/4).")
@click.option("--ticks", type=click.IntRange(0, 2**31 - 1), default=None,
              help="Cut at this tick.")
@click.option("--exact", is_flag=True,
              help="Without --bars/--ticks: End exactly at the last note's end, not the bar line.")
@click.option("--pad", type=click.IntRange(0, 2**31 - 1), default=0, show_default=True,
              help="Without --bars/--ticks: ticks of silence kept after the last note.")
def command(io: cli.StageIO, bars: int | None, ticks: int | None, exact: bool, pad: int):
    """Cut trailing silence, or cut the piece to N bars, closing notes cleanly.

    The result always ends with one End event on the cut (by default a bar line), so a DAW
    loop of the piece lines up.
    """
    if bars is not None and ticks is not None:
        raise click.UsageError("give --bars or --ticks, not both")
    return trim(io.events(), bars=bars, ticks=ticks, exact=exact, pad=pad, warn=io.warn)


main = command

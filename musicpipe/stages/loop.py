"""loop: repeat the stream (musicpipe.transforms.assemble)."""

from __future__ import annotations

import click

from .. import cli
from ..transforms.assemble import loop


@cli.stage("loop", examples=[
    "seq 'C4/4 E4 G4 C5' | loop --times 4 | to-midi --out arp.mid",
    "euclid --pulses 3 --steps 8 | loop --bars 4 | viz > /dev/null",
], epilog=(
    "One pass lasts the stream's End, else its last note's end rounded up to the bar line. "
    "--bars N fills exactly N bars (of the stream's TimeSig, default 4/4): the last pass is "
    "cut at the bar line like `trim --bars`. loop holds the stream in memory to repeat it. "
    "A stream without a length (no notes, no End) is refused, and so are passes that would "
    "end past the stream's last tick (2^31-1) or write more than 2,000,000 events."))
@click.option("--times", type=click.IntRange(1, 100_000), default=None, help="Play it N times.")
@click.option("--bars", type=click.IntRange(1, 100_000), default=None,
              help="Repeat it to fill exactly N bars.")
def command(io: cli.StageIO, times: int | None, bars: int | None):
    """Repeat the stream: --times N passes, or enough to fill --bars N bars."""
    if (times is None) == (bars is None):
        raise click.UsageError("give --times N or --bars N")
    return loop(io.events(), times=times, bars=bars)


main = command

"""transpose: shift notes by semitones (musicpipe.transforms.transpose)."""

from __future__ import annotations

import click

from .. import cli
from ..transforms.transpose import POLICIES, transpose_batches


@cli.stage("transpose", examples=[
    "seed 42 | motif | transpose --semitones 5",
    "seed 42 | motif | transpose -s -12          # an octave down",
    "seed 1 | euclid --pulses 3 --steps 8 | transpose -s 2 --drums",
    "transpose -s 3 --ch 0 --ch 1 < examples/riff.jsonl   # only channels 0 and 1",
])
@click.option("--semitones", "-s", type=click.IntRange(-127, 127), default=0, show_default=True,
              help="Semitones to shift by; negative is down (--semitones -12).")
@click.option("--drums", is_flag=True, help="Transpose channel 9 (GM drums) too.")
@click.option("--ch", "channels", type=click.IntRange(0, 15), multiple=True,
              help="Only these channels (repeatable); default all.")
@click.option("--out-of-range", "policy", type=click.Choice(POLICIES), default="octave",
              show_default=True,
              help="Keys pushed past 0..127: move back by octaves, clamp to 0/127, or drop.")
def command(io: cli.StageIO, semitones: int, drums: bool, channels: tuple[int, ...], policy: str):
    """Shift notes up or down by semitones.

    Notes on channel 9 (General MIDI drums) are left alone unless --drums. Keys pushed out
    of 0..127 follow --out-of-range; how many is counted on stderr.
    """
    stats: dict = {}
    io.writer.write_batches(transpose_batches(io.batches(typed=True), semitones, drums=drums, channels=channels,
                                              policy=policy, stats=stats, in_place=True))
    if stats.get("out_of_range"):
        verb = {"octave": "moved by octaves into", "clamp": "clamped to", "drop": "dropped, outside"}[policy]
        io.warn(f"{stats['out_of_range']} notes {verb} 0..127")


main = command

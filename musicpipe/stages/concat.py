"""concat: stream files played one after another (musicpipe.transforms.assemble)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import click

from .. import cli
from ..transforms.assemble import __doc__ as ASSEMBLE_DOC
from ..transforms.assemble import concat

EPILOG = " ".join(ASSEMBLE_DOC.split("\n\n", 1)[1].split())


def parts(io: cli.StageIO, files: tuple[str, ...], combine: Callable) -> Iterator[dict]:
    """``combine`` (concat or merge) over the files' streams; conflicts counted on stderr."""
    if list(files).count("-") > 1:
        raise click.UsageError("stdin (-) can be read once")
    stats: dict = {}
    yield from combine((io.file_events(f) for f in files), stats)
    if stats["conflicts"]:
        io.warn(f"{stats['conflicts']} Tempo/TimeSig/KeySig lines conflicting with an earlier "
                "part at the same tick dropped")


@cli.stage("concat", epilog=EPILOG, examples=[
    "seed 1 | motif --bars 2 | section intro > intro.jsonl",
    "chords 'I vi IV V' --key C | motif --bars 4 --seed 2 | section verse > verse.jsonl",
    "concat intro.jsonl verse.jsonl verse.jsonl | to-midi --out song.mid",
    "seed 1 | motif --bars 2 | concat - examples/riff.jsonl | viz > /dev/null",
])
@click.argument("files", nargs=-1, required=True, metavar="FILE...")
def command(io: cli.StageIO, files: tuple[str, ...]):
    """Play stream files one after another (`-` is stdin): each starts where the one before
    ends (its End, else its last note rounded up to the bar)."""
    return parts(io, files, concat)


main = command

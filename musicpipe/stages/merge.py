"""merge: stream files played together (musicpipe.transforms.assemble)."""

from __future__ import annotations

import click

from .. import cli
from ..transforms.assemble import merge
from .concat import EPILOG, parts


@cli.stage("merge", epilog=EPILOG, examples=[
    "seq 'C4/4 E4 G4 C5' > melody.jsonl && seq 'C2/1' --ch 1 --patch bass > bass.jsonl",
    "merge melody.jsonl bass.jsonl | to-midi --out layers.mid",
    "seed 1 | motif --bars 2 | merge - examples/riff.jsonl | viz > /dev/null",
])
@click.argument("files", nargs=-1, required=True, metavar="FILE...")
def command(io: cli.StageIO, files: tuple[str, ...]):
    """Play stream files together from tick 0, as `{ cat a; cat b; }` would, with one End at
    the longest (`-` is stdin)."""
    return parts(io, files, merge)


main = command

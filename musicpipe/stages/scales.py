"""`musicpipe scales`: the names stages accept (musicpipe.names), a command, not a stage."""

from __future__ import annotations

import click
import orjson

from .. import cli, names


@cli.stage("scales", stream_out=False, examples=[
    "musicpipe scales | grep -i dorian",
    "musicpipe scales --json | jq -r '.[].name'",
])
@click.option("--json", "as_json", is_flag=True, help="One JSON array, for programs.")
def command(io: cli.StageIO, as_json: bool):
    """Every scale and mode (for scale --mode, motif --mode, --key): name, semitones above the root, aliases, what it sounds like."""
    rows = names.scales()
    cli.write_stdout(orjson.dumps(rows).decode() + "\n" if as_json else names.listing(rows))


main = command

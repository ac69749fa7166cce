"""`musicpipe instruments`: the names stages accept (musicpipe.names), a command, not a stage."""

from __future__ import annotations

import click
import orjson

from .. import cli, names


@cli.stage("instruments", stream_out=False, examples=[
    "musicpipe instruments | grep -i bass",
    "musicpipe instruments --json | jq -r '.[] | select(.program == 33) | .aliases[]'",
])
@click.option("--json", "as_json", is_flag=True, help="One JSON array, for programs.")
def command(io: cli.StageIO, as_json: bool):
    """The 128 General MIDI instruments (for --patch): program number, name, the short names stages accept."""
    rows = names.instruments()
    cli.write_stdout(orjson.dumps(rows).decode() + "\n" if as_json else names.listing(rows))


main = command

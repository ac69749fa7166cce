"""`musicpipe drums`: the names stages accept (musicpipe.names), a command, not a stage."""

from __future__ import annotations

import click
import orjson

from .. import cli, names


@cli.stage("drums", stream_out=False, examples=[
    "musicpipe drums | grep -i hat",
    "musicpipe drums --json | jq '.[0]'",
])
@click.option("--json", "as_json", is_flag=True, help="One JSON array, for programs.")
def command(io: cli.StageIO, as_json: bool):
    """The General MIDI drum sounds (channel 9, for euclid --note and seq): key, name, the short names stages accept."""
    rows = names.drums()
    cli.write_stdout(orjson.dumps(rows).decode() + "\n" if as_json else names.listing(rows))


main = command

"""One builder for the commands that list the names stages accept (`musicpipe instruments`,
`drums`, `scales`): text for people, `--json` for programs, from musicpipe.names."""

from __future__ import annotations

from collections.abc import Callable

import click
import orjson

from .. import cli, names


def listing_command(name: str, rows: Callable[[], list[dict]], about: str,
                    examples: list[str]) -> click.Command:
    """The command ``musicpipe NAME [--json]`` printing ``rows()``; ``about`` is its help."""

    def command(io: cli.StageIO, as_json: bool):
        table = rows()
        cli.write_stdout(orjson.dumps(table).decode() + "\n" if as_json else names.listing(table))

    command.__doc__ = about
    option = click.option("--json", "as_json", is_flag=True, help="One JSON array, for programs.")
    return cli.stage(name, stream_out=False, examples=examples)(option(command))

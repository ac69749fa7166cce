"""`musicpipe mcp`: the MCP server for AI agents (musicpipe.mcpserver), a command, not a stage."""

from __future__ import annotations

import click

from .. import cli
from ..mcppool import CALL_SECONDS


@cli.stage("mcp", stream_out=False, examples=[
    "musicpipe mcp --root ~/music      # an MCP client starts this; it talks JSON-RPC on stdio",
    "musicpipe mcp                     # files in ~/.local/share/musicpipe/mcp (XDG_DATA_HOME)",
    "musicpipe mcp --call-seconds 120  # stop any call after two minutes",
])
@click.option("--root", type=click.Path(file_okay=False), default=None, metavar="DIR",
              help="The folder tools read and write files in (created if missing); nothing "
                   "outside it, and no dot-file in it, is touched. Default: the server's own "
                   "folder, $XDG_DATA_HOME/musicpipe/mcp or ~/.local/share/musicpipe/mcp, "
                   "never the folder the client starts it in.")
@click.option("--call-seconds", type=cli.FloatRange(1, 86400), default=CALL_SECONDS,
              show_default=True, metavar="S",
              help="A call that runs longer is stopped and answered with an error (its "
                   "worker ended).")
def command(io: cli.StageIO, root: str | None, call_seconds: float):
    """A Model Context Protocol server on stdin/stdout for AI agents: tools list_moods,
    compose_mood, run_pipeline, render, analyze, list_instruments, list_drums, list_scales.

    Calls run at once in a small pool of worker processes and can be cancelled; every
    request gets an answer (a JSON-RPC error for a bad line); replies are bounded (larger
    output goes to a new file). Client configuration: see the README ("MCP server").
    """
    from ..mcpserver import serve

    serve(root, call_seconds)


main = command

"""`musicpipe mcp`: the MCP server for AI agents (musicpipe.mcpserver), a command, not a stage."""

from __future__ import annotations

import click

from .. import cli


@cli.stage("mcp", stream_out=False, examples=[
    "musicpipe mcp --root ~/music      # an MCP client starts this; it talks JSON-RPC on stdio",
])
@click.option("--root", type=click.Path(file_okay=False), default=".", show_default=True,
              metavar="DIR", help="The folder tools read and write files in (created if "
                                  "missing); nothing outside it is touched.")
def command(io: cli.StageIO, root: str):
    """A Model Context Protocol server on stdin/stdout for AI agents: tools list_moods,
    compose_mood, run_pipeline, render, analyze, list_instruments, list_drums, list_scales.

    Every tool runs the stages in-process and fails with their one-line messages. Client
    configuration: see the README ("MCP server").
    """
    from ..mcpserver import serve

    serve(root)


main = command

"""`musicpipe mcp`: the MCP server for AI agents (musicpipe.mcpserver), a command, not a stage."""

from __future__ import annotations

import click

from .. import cli
from ..mcppool import CALL_SECONDS


def _loopback(text: str) -> int:
    """``127.0.0.1:PORT`` or ``localhost:PORT`` -> PORT; the server binds 127.0.0.1 only."""
    host, _, port = text.rpartition(":")
    if host not in ("127.0.0.1", "localhost") or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise ValueError(f"{text!r}: give 127.0.0.1:PORT or localhost:PORT (PORT 1-65535); "
                         "the server listens on loopback only")
    return int(port)


@cli.stage("mcp", stream_out=False, examples=[
    "musicpipe mcp --root ~/music      # an MCP client starts this; it talks JSON-RPC on stdio",
    "musicpipe mcp                     # files in ~/.local/share/musicpipe/mcp (XDG_DATA_HOME)",
    "musicpipe mcp --call-seconds 120  # stop any call after two minutes",
    "musicpipe mcp --http 127.0.0.1:8766 --root ~/music   # streamable HTTP at "
    "http://127.0.0.1:8766/mcp",
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
@click.option("--http", "http", callback=cli.parsed(_loopback), default=None,
              metavar="127.0.0.1:PORT",
              help="Serve streamable HTTP at http://127.0.0.1:PORT/mcp instead of stdio: "
                   "loopback only (127.0.0.1 or localhost); a request whose Host is not this "
                   "address, or from another site's page (Origin), is refused with 403.")
def command(io: cli.StageIO, root: str | None, call_seconds: float, http):
    """A Model Context Protocol server on stdin/stdout for AI agents: tools list_moods,
    compose_mood, run_pipeline, render, analyze, list_instruments, list_drums, list_scales.

    Calls run at once in a small pool of worker processes and can be cancelled; every
    request gets an answer (a JSON-RPC error for a bad line); replies are bounded (larger
    output goes to a new file). Client configuration: see the README ("MCP server").
    """
    from ..mcpserver import serve

    sock = None
    if http is not None:
        from ..studio.app import listen

        try:
            sock = listen(http)
        except OSError as e:
            raise click.BadParameter(f"cannot listen on 127.0.0.1:{http} ({e.strerror or e}); "
                                     "is another server there? Choose another port",
                                     param_hint="'--http'") from None
        io.warn(f"MCP over streamable HTTP at http://127.0.0.1:{http}/mcp (Ctrl-C stops it)")
    serve(root, call_seconds, sock)


main = command

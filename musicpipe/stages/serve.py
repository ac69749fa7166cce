"""`musicpipe serve`: the local web studio (musicpipe.studio), a command, not a stage."""

from __future__ import annotations

import click

from .. import cli

SERVE_HELP = (
    "The studio listens on 127.0.0.1 only and answers only requests addressed to it "
    "(Host 127.0.0.1:PORT or localhost:PORT). Renders are kept in a temporary folder that "
    "is removed when the server stops, or under --root DIR, where they stay; names are the "
    "server's. Mood packs are saved into the user's pack folder "
    "($XDG_CONFIG_HOME/musicpipe/moods). Limits: 600 s of music and 100,000 events a "
    "request, refused before they are built; a silent connection is closed after 5 s, and "
    "a request must arrive within 10 s. Stop it with Ctrl-C. See docs/studio.md."
)


@cli.stage("serve", stream_out=False, epilog=SERVE_HELP, examples=[
    "musicpipe serve                      # then open http://127.0.0.1:8765/",
    "musicpipe serve --port 9000 --root ~/music/studio   # keep the renders",
    "musicpipe serve --port 0             # any free port (the URL is printed)",
])
@click.option("--port", "-p", type=click.IntRange(0, 65535), default=8765, show_default=True,
              help="The port on 127.0.0.1 (0: any free one).")
@click.option("--root", type=click.Path(file_okay=False), default=None, metavar="DIR",
              help="Keep the renders in this folder (created if missing) instead of a "
                   "temporary one.")
def command(io: cli.StageIO, port: int, root: str | None):
    """A local web studio: browse moods and render them (audio, piano roll, downloads),
    run pipelines, compare seeds A/B, edit mood packs. Open the printed URL in a browser."""
    import os

    from ..errors import OutputError
    from ..studio.app import listen, serve

    if root is not None:
        try:
            os.makedirs(root, exist_ok=True)
        except OSError as e:
            raise OutputError(f"--root {root}: {e.strerror or e}") from None
    try:
        sock = listen(port)
    except OSError as e:
        raise click.BadParameter(f"{port}: cannot listen on 127.0.0.1:{port} "
                                 f"({e.strerror or e}); --port 0 picks a free one",
                                 param_hint="--port") from None
    io.warn(f"the studio is at http://127.0.0.1:{sock.getsockname()[1]}/ (Ctrl-C stops it)")
    serve(sock, root)
    return None


main = command

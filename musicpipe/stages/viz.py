"""viz: pass the stream through byte for byte, and draw it on stderr (or as an SVG).

The input bytes go to stdout exactly as they came, a chunk at a time, but only once the
lines in them have been validated: on bad data, stdout holds the complete lines before the
bad one and the stage exits 65 with the Reader's message. The drawing is musicpipe.draw.
"""

from __future__ import annotations

import os
import sys

import click

from .. import cli
from ..draw import Piece, piano_roll, sparkline, svg
from ..events import PPQ
from ..stream import DataError


def _terminal_width() -> int:
    try:
        return os.get_terminal_size(sys.stderr.fileno()).columns
    except (OSError, ValueError, AttributeError):
        return int(os.environ.get("COLUMNS", "0") or 0) or 80


@cli.stage("viz", stream_out=False, abort_out=True, examples=[
    "viz < examples/riff.jsonl > /dev/null",
    "viz --roll < examples/riff.jsonl | transpose -s 12 > /dev/null",
    "viz --svg riff.svg < examples/riff.jsonl > /dev/null",
    "seed 1 | viz --svg empty.svg --force > /dev/null    # an empty picture, on purpose",
], epilog=(
    "stdout is the input, byte for byte (checked, so bad input still exits 65 after the "
    "good lines before it, then an Abort line). The drawing goes to stderr after the input ends; viz keeps a "
    "compact copy of every note for it (about 40 bytes a note). Roll symbols: the channel "
    "number in hex at a note's onset, '=' while it sounds, '*' where channels meet, '|' "
    "bars, ':' beats; note names use C4 = 60. Colour only on a terminal without NO_COLOR. "
    "Bounded for any piece: more than 2,000 bars are drawn without bar and beat lines, and a "
    "roll that would be wider than 20,000 columns gets a wider --step (said on stderr)."))
@click.option("--roll", is_flag=True, help="Draw a piano roll instead of the sparkline.")
@click.option("--step", type=click.IntRange(1, 2**31 - 1), default=PPQ // 4, show_default=True,
              help="Ticks per piano-roll column (120 = a sixteenth).")
@click.option("--width", type=click.IntRange(16, 10_000), default=None,
              help="Drawing width in characters (default: the terminal's, else 80).")
@click.option("--svg", "svg_path", type=click.Path(dir_okay=False), default=None,
              help="Also write a piano-roll SVG picture to this file (atomically).")
@click.option("--force", is_flag=True,
              help="Write the --svg picture even of a stream that ended in an Abort or holds "
                   "no notes.")
def command(io: cli.StageIO, roll: bool, step: int, width: int | None, svg_path: str | None,
            force: bool):
    """Pass the stream through unchanged and draw it on stderr: a sparkline per channel
    (default) or a piano roll (--roll); --svg writes a picture to open in a browser.

    An Abort in the stream (a stage before failed) passes through; viz then exits 65 and
    writes no --svg picture, nor one of a stream without notes (--force writes it).
    """
    piece = Piece()
    count = [0]

    def add(batch: list[dict]) -> None:
        count[0] += len(batch)
        piece.add(batch)

    aborted = io.observe(add)
    color = cli.use_color()
    width = width or _terminal_width()
    if roll:
        drawing = piano_roll(piece, step, width, color)
    else:
        drawing = sparkline(piece, max(8, width - 15), color)
    sys.stderr.write(drawing)
    if svg_path:
        try:
            cli.refuse_file(svg_path, abort=aborted and aborted.event,
                            notes=len(piece.notes) // 5, events=count[0], force=force)
        except DataError as e:
            if aborted is None:
                raise
            aborted.note = str(e)  # one line: what was kept, and why
            raise aborted from None
        cli.save(svg_path, svg(piece).encode())
        io.warn(f"wrote {svg_path}")
    if aborted is not None:
        raise aborted
    return None


main = command

"""viz: pass the stream through byte for byte, and draw it on stderr (or as an SVG).

The input bytes go to stdout exactly as they came, a chunk at a time, but only once the
lines in them have been validated: on bad data, stdout holds the complete lines before the
bad one and the stage exits 65 with the Reader's message. The drawing is musicpipe.draw.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable

import click

from .. import cli
from ..draw import Piece, piano_roll, sparkline, svg
from ..errors import OutputError
from ..events import PPQ
from ..stream import Aborted, DataError, Reader


class _Tee:
    """The Reader's input: hands over stdin's bytes and writes them to ``sink`` once checked.

    The Reader only reads again after its last batch was validated and drawn, so at each
    read every complete line so far is good and goes out; the partial line waits.
    """

    def __init__(self, fp, sink: Callable[[bytes], object]):
        self._read = getattr(fp, "read1", None) or fp.read
        self.sink = sink
        self.pending = bytearray()
        self.lines_out = 0
        self.last_line = b""
        self.last_byte = b""

    def read1(self, n: int = -1) -> bytes:
        cut = self.pending.rfind(b"\n") + 1
        if cut:
            self._write(cut)
        data = self._read(n)
        self.pending += data
        return data

    def _write(self, cut: int) -> None:
        data = bytes(self.pending[:cut])
        del self.pending[:cut]
        self.lines_out += data.count(b"\n")
        if data.strip():
            self.last_line = data.rstrip().rsplit(b"\n", 1)[-1]
        if data:
            self.last_byte = data[-1:]
        self.sink(data)

    def ended_with_abort(self) -> bool:
        """True when the last line passed through is an Abort (then none is added)."""
        import orjson

        try:
            ev = orjson.loads(self.last_line)
        except orjson.JSONDecodeError:
            return False
        return isinstance(ev, dict) and ev.get("type") == "Abort"

    def finish(self) -> None:
        if self.pending:
            self._write(len(self.pending))

    def end_line(self) -> None:
        """Before an Abort line: end a last line that came without its newline."""
        if self.last_byte not in (b"", b"\n"):
            try:
                self.sink(b"\n")
            except OSError:
                pass

    def fail(self, error: DataError) -> None:
        """Write the complete lines before the bad one the error names."""
        m = re.match(r"line (\d+):", str(error))
        if not m:
            return
        cut = 0
        for _ in range(int(m.group(1)) - 1 - self.lines_out):
            cut = self.pending.find(b"\n", cut) + 1
            if not cut:
                return
        if cut:
            self._write(cut)


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
    tee: list[_Tee] = []
    try:
        _pass_and_draw(io, roll, step, width, svg_path, force, tee)
    except BaseException:
        if tee:
            tee[0].end_line()  # the Abort line that follows starts a line of its own
        raise
    return None


def _pass_and_draw(io, roll, step, width, svg_path, force, tee_out: list) -> None:
    piece = Piece()
    count = 0
    aborted = None
    fp = getattr(sys.stdin, "buffer", None)
    if fp is not None:
        if fp.isatty():
            io.warn("reading events from the terminal (end with Ctrl-D); pipe a stream in, "
                    "e.g. `seed 1 | motif | viz`")
        tee = _Tee(fp, io.writer.sink)
        tee_out.append(tee)
        reader = Reader(tee, warn=io.warn, dedupe_seeds=False)
        try:
            for batch in reader.batches():
                count += len(batch)
                piece.add(batch)
        except Aborted as e:
            tee.finish()
            e.passed = tee.ended_with_abort()
            aborted = e
        except DataError as e:
            tee.fail(e)
            raise
        else:
            tee.finish()
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
                            notes=len(piece.notes) // 5, events=count, force=force)
        except DataError as e:
            if aborted is None:
                raise
            aborted.note = str(e)
            raise aborted from None
        from ..atomic import atomic_write

        try:
            atomic_write(svg_path, svg(piece).encode())
        except OSError as e:
            raise OutputError(f"cannot write {svg_path}: {e.strerror or e}") from None
        io.warn(f"wrote {svg_path}")
    if aborted is not None:
        raise aborted


main = command

"""from-midi: read a MIDI file into a stream (or into `seq` notation)."""

from __future__ import annotations

import sys
import time

import click

from .. import cli
from ..notation import parse_duration
from ..stream import DataError


@cli.stage("from-midi", not_stream=("--notation",), examples=[
    "to-midi --out riff.mid < examples/riff.jsonl && from-midi riff.mid | head -5",
    "to-midi --out riff.mid < examples/riff.jsonl && from-midi --notation --ch 0 riff.mid",
    "mood jazz --seed 1 --duration 6 --out j.mid && from-midi --notation --grid 16 j.mid > j.txt "
    "&& seq --file j.txt | head -3",
    "to-midi --out - < examples/riff.jsonl | from-midi - | transpose -s 12 | to-midi --out up.mid",
])
@click.argument("file", metavar="FILE", default="-",
                type=click.Path(dir_okay=False, allow_dash=True, exists=True))
@click.option("--notation", "as_notation", is_flag=True,
              help="Print `seq` notation instead of the stream: one @part block per track "
                   "(channel, program, name) that `seq --file` reads back into the same notes "
                   "(doubled ones and each note's length and velocity included); what it "
                   "cannot carry (tempo, meter, key, controllers ...) is counted on stderr.")
@click.option("--ch", "channels", type=click.IntRange(0, 15), multiple=True,
              help="With --notation: only these channels (repeatable).")
@click.option("--grid", callback=cli.parsed(parse_duration), default=None, metavar="VALUE",
              help="With --notation: round onsets and ends to this note value (16, 32, 8t) so "
                   "humanized timing reads as plain values; default exact ticks.")
def command(io: cli.StageIO, file: str, as_notation: bool, channels: tuple[int, ...], grid):
    """Read a Standard MIDI File (type 0 or 1, any resolution) into a stream at 480 PPQ.

    FILE `-` (the default) reads the file's bytes from stdin. Emits Tempo, TimeSig, KeySig,
    ProgramChange, ControlChange, PitchBend, ChannelPressure, Note, Marker (a track's name
    becomes a Marker with its channel) and End, in time order. Tracks that share a channel
    keep apart: their events carry the track's name as `track`, and to-midi writes them
    back as separate tracks. Times are rescaled to the nearest tick; data bytes above 127
    are clipped with a warning; polyphonic aftertouch and sysex are dropped (counted on
    stderr). A file that is not MIDI, truncated or corrupt exits 65. Reading a big file
    takes seconds (2 M notes: about 4 s): on a terminal, a bar on stderr shows the time left.
    """
    from .. import midi

    io.stream_out = not as_notation  # notation text: no Abort line after it
    if file == "-":
        if io.stdin_is_terminal():
            raise click.UsageError("give a MIDI FILE, or pipe one in (from-midi - < song.mid)")
        source, label = sys.stdin.buffer, "stdin"
    else:
        source, label = file, file
    bar = Progress.on(sys.stderr)

    def warn(msg: str) -> None:
        if bar is not None:
            bar.end_line()
        io.warn(msg)

    try:
        batches = midi.read_midi(source, warn=warn, progress=bar)
    except midi.MidiFileError as e:
        if bar is not None:
            bar.end_line()
        raise DataError(f"{label}: {e}") from None
    if as_notation:
        from ..notation import format_parts, left_out
        from ..stream import dicts

        events = [ev for batch in batches for ev in dicts(batch)]
        io.writer.sink(format_parts(events, channels, grid).encode())
        missing = left_out(events, channels)
        if missing:
            io.warn("the notation carries the notes, each part's program and name; left out: "
                    + ", ".join(f"{n} {typ}" for typ, n in sorted(missing.items())))
        if grid:
            io.warn("--grid moved onsets and ends to the grid: the notes are not the file's")
        return None
    io.writer.write_batches(batches)
    if bar is not None:
        bar.end_line()
    return None


class Progress:
    """``from-midi: [#####.....] 40%, 3 s left`` on a terminal's stderr, redrawn in place,
    once a read has taken ``AFTER`` seconds (a short read shows nothing); call it with the
    fraction done."""

    AFTER = 1.5

    def __init__(self, stream, clock=time.monotonic):
        self.stream, self.clock = stream, clock
        self.start = self.shown = clock()
        self.drawn = False

    @classmethod
    def on(cls, stream) -> Progress | None:
        """A bar on ``stream`` if it is a terminal, else None: pipes and agents see nothing."""
        return cls(stream) if hasattr(stream, "isatty") and stream.isatty() else None

    def __call__(self, frac: float) -> None:
        now = self.clock()
        spent = now - self.start
        if spent < self.AFTER or now - self.shown < 0.2 or frac <= 0:
            return
        self.shown = now
        filled = int(min(frac, 1) * 30)
        left = spent / frac * (1 - frac)
        self.stream.write(f"\rfrom-midi: [{'#' * filled}{'.' * (30 - filled)}] {frac:4.0%}, "
                          f"{left:.0f} s left ")
        self.stream.flush()
        self.drawn = True

    def end_line(self) -> None:
        """Clear the bar's line, so what is written next starts on a clean line."""
        if self.drawn:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self.drawn = False


main = command

"""to-midi: write the stream as a Standard MIDI File a DAW imports as named tracks."""

from __future__ import annotations

import sys

import click

from .. import cli
from ..stream import DataError, Reader


class _Window:
    """The binary input, keeping only its last two chunks: enough to find the line of an
    event in the batch being read (the whole input is never kept)."""

    def __init__(self, fp):
        self._read = getattr(fp, "read1", None) or fp.read
        self.chunks = (b"", b"")
        self.eof = False

    def read1(self, n: int) -> bytes:
        data = self._read(n)
        if data:
            self.chunks = (self.chunks[1], data)
        else:
            self.eof = True
        return data

    def snapshot(self, lineno: int) -> tuple:
        """What ``line_of`` needs later; ``lineno`` is the reader's last line so far."""
        return self.chunks, lineno, self.eof


def line_of(snapshot: tuple, ev: dict) -> int | None:
    """The line that holds ``ev`` (a Note made of a pair: its NoteOn, else its NoteOff if
    the NoteOn was read long before), or None."""
    import orjson

    (a, b), last, eof = snapshot
    pieces = (a + b).split(b"\n")
    if not eof or not pieces[-1]:
        pieces.pop()  # a line not read yet (or nothing after the last newline)
    pair = ev["type"] == "Note"
    on = {"type": "NoteOn", "t": ev["t"], "ch": ev.get("ch"), "key": ev.get("key"), "vel": ev.get("vel")}
    off = None
    for n, line in enumerate(pieces, last - len(pieces) + 1):
        try:
            got = orjson.loads(line)
        except orjson.JSONDecodeError:
            continue
        if got == ev or pair and isinstance(got, dict) and all(got.get(k) == v for k, v in on.items()):
            return n
        if pair and off is None and isinstance(got, dict) and got.get("type") in ("NoteOff", "NoteOn") \
                and got.get("t") == ev["t"] + ev["dur"] and got.get("ch") == on["ch"] \
                and got.get("key") == on["key"]:
            off = n
    return off


def _is_terminal(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


@cli.stage("to-midi", stream_out=False, examples=[
    "transpose -s 2 < examples/riff.jsonl | to-midi --out riff.mid",
    "to-midi --type 0 --ppq 96 < examples/riff.jsonl > riff-type0.mid",
    "to-midi --title Riff --out - < examples/riff.jsonl | from-midi - | head -3",
    "seed 1 | to-midi --force --out empty.mid     # a file with no notes, on purpose",
    "mood jazz --duration 4 --seed 1 | to-midi --split tracks/   # 01-bass.mid, 02-piano.mid ...",
])
@click.option("--out", "-o", metavar="FILE",
              help="The .mid file to write (atomically); `-` for stdout. Default: stdout "
                   "when it is not a terminal.")
@click.option("--type", "smf_type", type=click.Choice(["0", "1"]), default="1", show_default=True,
              help="1: a conductor track and one named track per channel. 0: a single track, "
                   "for hardware that wants one.")
@click.option("--ppq", type=click.IntRange(1, 32767), default=480, show_default=True,
              help="Ticks per quarter note in the file; the stream's 480 are rescaled "
                   "(to the nearest tick, a note keeps at least one).")
@click.option("--title", metavar="TEXT",
              help="Song title: the name of the conductor track (default: none).")
@click.option("--split", metavar="DIR",
              help="Write one .mid per track into DIR instead (01-melody.mid ..., each with "
                   "the tempo map); a folder with files in it needs --force, and one that "
                   "another run is writing into is refused (exit 73).")
@click.option("--force", is_flag=True,
              help="With --split: write into a DIR that holds files, removing the ones an "
                   "earlier --split wrote there that this one does not (a list of them is kept "
                   "in DIR/.musicpipe-files; other files are left alone); write even a stream "
                   "that ended in an Abort, is empty or holds no notes.")
def command(io: cli.StageIO, out: str | None, smf_type: str, ppq: int, title: str | None,
            split: str | None, force: bool):
    """Write the stream as a Standard MIDI File that imports into a DAW as named tracks.

    Type 1 (the default): track 1 is the conductor (tempo map, time and key signatures,
    section markers), then one track per channel (and per `track` name on it) in channel
    order, named by its Marker with `ch`, else its track name, else its instrument
    (Strings, Bass, Drums ...), with its program at the start. All tracks end on the
    stream's End, else on the bar line after the last note (a tail under a sixteenth past
    it adds no bar), so DAW loops line up.
    Overlapping notes on one key end where the next starts. Reads the whole stream before
    writing (the tracks need all of it). A stream that ended in an Abort (a stage before
    failed), is empty or holds no notes writes nothing and exits 65, the old file kept
    (--force writes it). See docs/midi.md.
    """
    if split:
        return _split(io, split, force, type=int(smf_type), ppq=ppq, title=title)
    _check_extension(out)
    if out is None and _is_terminal(sys.stdout):
        raise click.UsageError("stdout is a terminal: give --out FILE (or --out - to force)")
    from .. import midi

    fp = sys.stdin.buffer if sys.stdin is not None else None
    if fp is not None and fp.isatty():
        io.warn("reading events from the terminal (end with Ctrl-D); pipe a stream in, "
                "e.g. `seed 1 | motif | to-midi --out tune.mid`")
    window = _Window(fp) if fp is not None else None
    reader = (Reader(window, warn=io.warn, abort_raises=False, typed=True)
              if window is not None else None)
    song = midi.Song(checked=True, ppq=ppq, mark=lambda ev: window.snapshot(reader.lineno))
    events = 0

    def pair_into_song(evs: list) -> list:
        nonlocal events
        events += len(evs)
        return song.add_pairs(evs, reader)

    if reader is not None:
        reader.pair_typed = pair_into_song
    try:
        for batch in reader.batches() if reader is not None else ():
            song.add(batch)
            events += len(batch)
        data = song.encode(type=int(smf_type), ppq=ppq, title=title, warn=io.warn)
    except midi.MidiError as e:
        line = line_of(e.where, e.event) if e.where is not None else None
        raise DataError(f"line {line}: {e}" if line else str(e)) from None
    cli.refuse_file(out, abort=reader and reader.abort, notes=song.notes, events=events,
                    force=force)
    if out is None or out == "-":
        io.writer.sink(data)
        return None
    cli.save(out, data)
    return None


AUDIO = {"wav", "wave", "flac", "ogg", "oga", "opus", "mp3", "aif", "aiff", "m4a", "aac", "wma"}
SCORES = {"musicxml", "mxl", "xml"}


def _check_extension(out: str | None) -> None:
    """--out x.wav would write MIDI bytes under an audio name: say which stage writes that."""
    ext = out.rsplit(".", 1)[-1].lower() if out and "." in out.rsplit("/", 1)[-1] else ""
    if ext in AUDIO:
        raise click.BadParameter(f"{out} names an audio file; to-midi writes MIDI (.mid): "
                                 f"render audio with `to-wav --out {out}`", param_hint="'--out'")
    if ext in SCORES:
        raise click.BadParameter(f"{out} names a score; to-midi writes MIDI (.mid): write "
                                 f"MusicXML with `to-musicxml --out {out}`", param_hint="'--out'")


def _split(io: cli.StageIO, folder: str, force: bool, **kw) -> None:
    """One file per track (musicpipe.tracks), named and numbered as to-wav's stems."""
    from .. import midi, tracks
    from ..outfolder import OutFolder

    reader = io.reader_for_sink()
    events = list(reader)
    cli.refuse_file(folder, abort=reader.abort, events=len(events), force=force,
                    notes=sum(1 for e in events if e["type"] == "Note"))
    files = []
    for track in tracks.split(events):  # every file made before the folder is touched
        try:
            files.append((track.filename("mid"), midi.midi_bytes(track.events, warn=io.warn, **kw)))
        except midi.MidiError as e:
            raise DataError(str(e)) from None
    with OutFolder(folder, force) as target:
        for name, data in files:
            target.write(name, data)
    return None


main = command

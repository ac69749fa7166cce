"""analyze: pass the stream through and report what a listener hears (musicpipe.analyze)."""

from __future__ import annotations

import sys

import click

from .. import cli
from ..errors import one_line
from ..stream import Aborted, DataError
from ..theory import parse_key

ANALYZE_HELP = (
    "Measures, per track and for the piece: notes, range, pitch classes, pitch-class entropy "
    "(bits), scale consistency (the largest share of notes in one major or minor scale), "
    "polyphony (mean notes sounding), notes per second; the key (--key, else the stream's "
    "KeySig, else a Krumhansl-Kessler estimate); the melody (--melody CH, else a track named "
    "melody/lead, else the highest single-line track): steps (1-2 semitones), leaps over 7 "
    "semitones, repeats, notes with an accompaniment note at or above them (buried) or at the "
    "unison; repetition: how alike each bar's harmony is to the bar 1, 2, 4 or 8 bars "
    "earlier (cosine of their chroma, the time each pitch class sounds; a chord loop under "
    "the whole piece is near 1.0); the ending: the final sound on a bar line, the "
    "tonic chord under it, the last melody note and how long it is held, drum hits in the "
    "final bar, blips (notes under 10 ticks) in the last beat, the final bar's velocity "
    "against the piece's. Over minutes (form): the longest chord loop (bars in which the "
    "bar-by-bar chords, from Chord events or else the accompaniment's held pitch classes per "
    "beat, repeat with a period of 4 or 8 bars), the share of melody bars after the first "
    "minute that repeat an earlier bar (same onsets to a 32nd note and keys, from the bar line), "
    "notes per bar over 8-bar blocks and their coefficient of variation, the melody's range "
    "(semitones) and how often a minute its top note is struck, the mean number of distinct "
    "pitches sounding, the share of notes outside the key's scale (minor has its raised 6th and "
    "7th), and in a minor key how many notes sound the leading tone. --compare A.jsonl adds how "
    "much the stream shares with A: the same chord per beat, accompaniment bars (per channel, "
    "the same notes from the bar line), A's melody onsets found within a 64th note. --wav adds loudness (ITU-R BS.1770-4) and the true peak. stdout "
    "is the input, byte for byte, unless --json - puts the report there instead."
)


@cli.stage("analyze", stream_out=False, abort_out=True, epilog=ANALYZE_HELP, examples=[
    "mood calm --duration 20 --seed 7 | analyze > /dev/null",
    "mood jazz --seed 2 | analyze --json - | head -20",
    "seed 3 | motif --bars 4 | analyze --key C --json report.json | to-midi --out m.mid",
    "mood lofi --seed 1 --out lofi.wav && mood lofi --seed 1 | analyze --wav lofi.wav > /dev/null",
    "mood jazz -d 60 --seed 1 > a.jsonl && mood jazz -d 60 --seed 2 | analyze --compare a.jsonl > /dev/null",
])
@click.option("--json", "json_out", metavar="FILE|-",
              help="Write the report as JSON to FILE (atomically), or to stdout with -.")
@click.option("--key", "key", callback=cli.parsed(parse_key), default=None, metavar="KEY",
              help="Judge the ending in this key (C, Am, D dorian); default the KeySig or estimate.")
@click.option("--melody", type=click.IntRange(0, 15), default=None, metavar="CH",
              help="The melody's channel (default: found by track name or register).")
@click.option("--wav", "wav", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Also measure this audio file's loudness and true peak (the stream rendered; "
                   "WAV, FLAC, OGG, MP3).")
@click.option("--compare", "compare", type=click.Path(exists=True, dir_okay=False), default=None,
              metavar="A.jsonl",
              help="Also say how much the stream shares with this stream (chords per beat, "
                   "accompaniment bars, melody onsets).")
@click.option("--force", is_flag=True,
              help="Write the --json FILE report even of a stream that ended in an Abort or "
                   "holds no notes.")
def command(io: cli.StageIO, json_out: str | None, key, melody: int | None, wav: str | None,
            compare: str | None, force: bool):
    """Pass the stream through and report on stderr what a listener hears: key, melody,
    repetition, the ending, per-track measures (--json for programs).

    An Abort in the stream (a stage before failed) passes through; analyze then exits 65
    and writes no --json FILE report, nor one of a stream without notes (--force writes it).
    """
    from ..analyze import Piece, analyze, loudness, report_text

    piece = Piece()
    count = [0]

    def add(batch) -> None:
        batch = list(batch)
        count[0] += len(batch)
        piece.add(batch)

    aborted = None
    if json_out == "-":
        io.stream_out = False  # stdout is the report: no Abort line after it
        try:
            add(io.events())
        except Aborted as e:
            e.note = f"wrote no report: {e}"
            raise
    else:
        aborted = io.observe(add)
    report = analyze(piece, key=key, melody=melody, compare=compare and _read(compare))
    if wav:
        try:
            report["loudness"] = loudness(wav)
        except (ValueError, OSError, EOFError, RuntimeError) as e:  # soundfile's LibsndfileError
            raise DataError(f"--wav {wav}: {e}") from None
    sys.stderr.write("".join(one_line(line) + "\n" for line in report_text(report).splitlines()))
    if json_out:
        import orjson

        data = orjson.dumps(report, option=orjson.OPT_INDENT_2) + b"\n"
        if json_out == "-":
            io.writer.sink(data)
        else:
            try:
                cli.refuse_file(json_out, abort=aborted and aborted.event,
                                notes=len(piece.notes), events=count[0], force=force)
            except DataError as e:
                if aborted is None:
                    raise
                aborted.note = str(e)
                raise aborted from None
            cli.save(json_out, data)
    if aborted is not None:
        raise aborted
    return None


def _read(path: str):
    """The events of the --compare file: a bad line or an Abort in it is a data error that
    names the file."""
    from ..analyze import Piece
    from ..stream import Reader

    piece = Piece()
    try:
        with open(path, "rb") as fp:
            for batch in Reader(fp, dedupe_seeds=False).batches():
                piece.add(batch)
    except DataError as e:
        raise DataError(f"--compare {path}: {e}") from None
    except OSError as e:
        raise DataError(f"--compare {path}: {e.strerror or e}") from None
    return piece


main = command

"""to-musicxml: the stream as a MusicXML score for notation programs (musicpipe.musicxml)."""

from __future__ import annotations


import click

from .. import cli
from ..errors import Unavailable
from ..musicxml import __doc__ as SCORE_DOC
from ..musicxml import parse_grids

INSTALL = ("to-musicxml needs music21, which musicpipe installs only on request: "
           "pip install 'musicpipe[musicxml]' (in this checkout: .venv/bin/pip install -e '.[musicxml]')")


def _grids(ctx, param, value):
    try:
        parse_grids(value)
    except ValueError as e:
        raise click.BadParameter(str(e)) from None
    return value


@cli.stage("to-musicxml", stream_out=False, examples=[
    "mood jazz --duration 20 --seed 3 | to-musicxml --out jazz.musicxml --title 'Jazz'",
    "chords 'C Am | F G7' --style pad | bass --seed 1 | to-musicxml --out chart.mxl",
    "seed 1 | motif --bars 4 | humanize | to-musicxml --grid 16,8t --out tune.musicxml",
], epilog=" ".join(SCORE_DOC.split("\n\n")[1].split()))
@click.option("--out", "-o", metavar="FILE", required=True,
              help="The score to write (atomically): .musicxml (or .xml) text, .mxl compressed; "
                   "`-` for MusicXML text on stdout.")
@click.option("--grid", default="16", show_default=True, callback=_grids,
              help="The note values notation may use, comma-separated: 16, 8, 32, 16,8t "
                   "(eighth triplets too).")
@click.option("--title", default=None, help="The score's title.")
@click.option("--force", is_flag=True,
              help="Write even a stream that ended in an Abort, is empty or holds no notes.")
def command(io: cli.StageIO, out: str, grid: str, title: str | None, force: bool):
    """Write the stream as a MusicXML score: parts named after the tracks, key and time
    signatures, tempo marks, chord symbols, sections as rehearsal marks, drums on a
    percussion staff; opens in MuseScore, Sibelius, Dorico, Finale."""
    ext = out.rsplit(".", 1)[-1].lower() if "." in out else ""
    if out != "-" and ext not in ("musicxml", "xml", "mxl"):
        raise click.BadParameter(f"{out}: a score is .musicxml, .xml or .mxl (MIDI: to-midi, "
                                 "audio: to-wav)", param_hint="'--out'")
    try:
        import music21  # noqa: F401 - checked before the stream is read
    except ImportError:
        raise Unavailable(INSTALL) from None
    from ..musicxml import build, musicxml

    reader = io.reader_for_sink()
    events = list(reader)
    cli.refuse_file(out, abort=reader.abort, events=len(events), force=force,
                    notes=sum(1 for e in events if e["type"] == "Note"))
    data = musicxml(build(events, grid=grid, title=title, warn=io.warn), compressed=ext == "mxl")
    if out == "-":
        io.writer.sink(data)
        return None
    cli.save(out, data)
    return None


main = command

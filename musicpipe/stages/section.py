"""section: name a point of the stream (musicpipe.transforms.assemble)."""

from __future__ import annotations

import click

from .. import cli
from ..generators.place import AT_HELP, PartError, at_tick, parse_at
from ..transforms.assemble import section


@cli.stage("section", examples=[
    "seed 3 | motif --bars 4 | section verse > verse.jsonl",
    "concat verse.jsonl verse.jsonl | section Chorus --at 4bars | to-midi --out song.mid",
], epilog=(
    "A section is a Marker without a channel: to-midi writes it as a marker meta event on "
    "the conductor track, which DAWs show as a marker (cue); MuseScore does not show MIDI "
    "markers, but `to-musicxml` writes sections as rehearsal marks. Name each part with `section`, then put them end to end with `concat`."))
@click.argument("name")
@click.option("--at", callback=cli.parsed(parse_at), default=None, metavar="TIME",
              help=AT_HELP + " Default: the start.")
def command(io: cli.StageIO, name: str, at):
    """Mark a section: a named Marker at the start of the stream (or --at)."""
    try:
        start = at_tick(at)
    except PartError as e:
        raise click.BadParameter(str(e), param_hint="--at") from None
    return section(io.events(), name, start)


main = command

"""seq: explicit notes from text notation (musicpipe.generators.seq, musicpipe.notation)."""

from __future__ import annotations

import click

from .. import cli
from ..generators import place
from ..generators.seq import SEQ_HELP, part
from ..notation import NotationError, split_parts
from ..stream import DataError
from ..theory import parse_program

MAX_SCORE = 1 << 20  # characters of --file: a score, not a stream
from . import generator


@cli.stage("seq", epilog=SEQ_HELP, examples=[
    'seq "C4/4 D4/8 E4/8 R/4 G4/2" --bpm 120 | viz --roll',
    'seq "[C4,E4,G4]/2 [F4,A4,C5]/2 | [G4,B4,D5]/2. R/4" --patch strings | to-midi --out chords.mid',
    'seq "D2/8 D2 A1 D2 F2/4 E2 | C2/2~C2/8 G1/8 A1/4" --ch 1 --patch bass --repeat 4 --check-bars',
    'seed 3 | motif --notes 8 | seq "C3/1 G2/1" --ch 1 --patch cello --name Cello | to-midi --out duo.mid',
    'seq --file examples/bassline.txt --ch 1 --patch fretless-bass --at 1bar | head -3',
])
@click.argument("notation", nargs=-1)
@click.option("--file", "path", type=click.File("r", encoding="utf-8"), default=None,
              help="Read the notation from a file (# comments allowed) instead of arguments.")
@click.option("--check-bars", is_flag=True,
              help="Every bar between | must fill --time-sig (default 4/4).")
@generator.options(ch=0, vel=96)
def command(io: cli.StageIO, notation, path, check_bars, ch, patch, vel, bpm, repeat, at, name,
            time_sig, seed):
    """Explicit notes, chords and rests from text: seq "C4/4 E4/8 G4/8 [C4,E4,G4]/2".

    Several arguments are joined with spaces. Piped input passes through first; the notes
    follow, starting at --at.
    """
    if path is not None and notation:
        raise click.UsageError("give the notation as arguments or --file, not both")
    try:
        text = path.read(MAX_SCORE + 1) if path is not None else " ".join(notation)
    except UnicodeDecodeError as e:
        raise DataError(f"--file {path.name}: not UTF-8 text (byte {e.start})") from None
    if len(text) > MAX_SCORE:
        raise DataError(f"--file {path.name}: longer than {MAX_SCORE >> 20} MiB")
    try:
        parts = [_part(fields, body, ch, patch, name, vel, check_bars, time_sig)
                 for fields, body in split_parts(text)] or [_part({}, text, ch, patch, name, vel,
                                                                  check_bars, time_sig)]
    except NotationError as e:
        raise click.BadParameter(str(e), param_hint="NOTATION") from None

    def make(used_seed, sigs):
        start = place.at_tick(at, sigs)
        out = []
        for i, (notes, part_ch, program, part_name) in enumerate(parts):
            out += place.place(notes, start=start, repeat=repeat, ch=part_ch, program=program,
                               bpm=bpm if i == 0 else None, name=part_name,
                               time_sig=time_sig if i == 0 else None)
        return out

    return generator.run(io, seed, make, random=False)


def _part(fields: dict, body: str, ch: int, patch, name, vel: int, check_bars: bool, time_sig):
    """One part's notes, channel, program and name: an @part header's, else the options'."""
    try:
        ch = int(fields.get("ch", ch))
        if not 0 <= ch <= 15:
            raise ValueError
    except ValueError:
        raise NotationError(f"@part ch={fields['ch']}: a channel is 0-15") from None
    program = patch
    if "program" in fields:
        try:
            program = parse_program(fields["program"])
        except ValueError as e:
            raise NotationError(f"@part program: {e}") from None
    notes = part(body, ch=ch, vel=vel, check_bars=check_bars, time_sig=time_sig or (4, 4))
    if fields.get("track"):
        notes = [dict(e, track=fields["track"]) if e["type"] == "Note" else e for e in notes]
    return notes, ch, program, fields.get("name", name)


main = command

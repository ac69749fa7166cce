"""seq: explicit notes from text notation (the grammar lives in musicpipe.notation)."""

from __future__ import annotations

import click

from .. import cli, generate
from ..notation import NotationError, parse, to_notes

SEQ_HELP = (
    "Notation: a pitch C4 (C4 = 60, middle C; sharps C#4, flats Bb3) or a MIDI number 0-127; "
    "a chord [C4,E4,G4]; a rest R. Then /DURATION: /1 /2 /4 /8 /16 /32 /64, dotted /4. "
    "/4.., triplet /8t, ticks /t480, beats /b0.75, sums /2+8; then *VELOCITY (1-127). "
    "Ties: C4/2~C4/8. Duration and velocity carry over to the next tokens until changed "
    "(the first defaults are /4 and --vel). Bar lines | are ignored, or checked against "
    "--time-sig with --check-bars. # starts a comment (in --file). Full grammar: "
    "docs/notation.md. With only numbers as arguments (seq 1 10) the system's coreutils "
    "seq runs instead."
)


def part(text: str, *, ch: int = 0, vel: int = 96, check_bars: bool = False,
         time_sig: tuple[int, int] = (4, 4)) -> list[dict]:
    """The notes of ``text`` from tick 0, then an End at its length (rests count)."""
    bar = time_sig[0] * 4 * 480 // time_sig[1] if check_bars else None
    notes, length = to_notes(parse(text), ch=ch, vel=vel, bar=bar)
    return notes + [{"type": "End", "t": length}]


def _time_sig(ctx, param, value):
    try:
        num, den = (int(x) for x in value.split("/"))
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a time signature like 3/4") from None
    if not 1 <= num <= 255 or den not in (1, 2, 4, 8, 16, 32, 64):
        raise click.BadParameter(f"{value}: numerator 1-255, denominator a power of 2 up to 64")
    return num, den


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
@click.option("--check-bars", is_flag=True, help="Every bar between | must fill --time-sig.")
@click.option("--time-sig", callback=_time_sig, default="4/4", show_default=True,
              help="The bar length --check-bars checks against.")
@generate.options(ch=0, vel=96)
def command(io: cli.StageIO, notation, path, check_bars, time_sig, ch, patch, vel, bpm, repeat,
            at, name, seed):
    """Explicit notes, chords and rests from text: seq "C4/4 E4/8 G4/8 [C4,E4,G4]/2".

    Several arguments are joined with spaces. Piped input passes through first; the notes
    follow, starting at --at.
    """
    if path is not None and notation:
        raise click.UsageError("give the notation as arguments or --file, not both")
    text = path.read() if path is not None else " ".join(notation)
    try:
        notes = part(text, ch=ch, vel=vel, check_bars=check_bars, time_sig=time_sig)
    except NotationError as e:
        raise click.BadParameter(str(e), param_hint="NOTATION") from None

    return generate.run(io, seed, lambda used_seed, sigs: generate.place(
        notes, start=generate.at_tick(at, sigs), repeat=repeat, ch=ch, program=patch, bpm=bpm,
        name=name), random=False)


main = command

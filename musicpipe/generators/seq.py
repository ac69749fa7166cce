"""Seq: explicit notes from text notation (the grammar lives in musicpipe.notation)."""

from __future__ import annotations

from ..notation import parse, to_notes

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

"""click: a metronome part over the stream (musicpipe.generators.metronome)."""

from __future__ import annotations

from itertools import islice

import click

from .. import budget, cli
from ..generators import place
from ..generators.metronome import clicks
from ..meter import bar_line_at_or_after, bar_tick
from ..theory import TheoryError, parse_drum, parse_note
from . import generator

CLICK_HELP = (
    "A click on every beat of the stream's meter (its TimeSigs; 4/4 without one; the "
    "denominator is the beat: eighths in 6/8), the first beat of each bar accented with "
    "--accent and --accent-vel, up to the stream's End (else its last note, rounded up to the "
    "bar line), or for --bars. The clicks sit on ticks, so the stream's Tempo events (rubato "
    "included) carry them: a DAW plays them with the music. The part is the track \"Click\"; "
    "on channel 9 the sounds are GM drums (hi-wood-block, low-wood-block, side-stick, "
    "cowbell, claves ...: `musicpipe drums`), on another channel they are keys (C6)."
)


def sound(text: str) -> int:
    """A GM drum name or key number, else a note name (C6)."""
    try:
        return parse_drum(text)
    except TheoryError:
        try:
            return parse_note(text)
        except ValueError:
            raise TheoryError(f"unknown sound {text!r}: a GM drum name (low-wood-block, "
                              "side-stick; `musicpipe drums`), a key number or a note (C6)") from None


@cli.stage("click", epilog=CLICK_HELP, examples=[
    "mood jazz --duration 8 --seed 1 | click | to-midi --out jazz-click.mid",
    "chords 'I IV V I' --time-sig 3/4 --bpm 90 | click --note side-stick --accent cowbell",
    "seed 1 | click --bars 4 --time-sig 6/8 --bpm 100 | to-wav --out click.wav",
    "seed 1 | motif --bars 2 | click --ch 15 --note C6 --accent G6 --patch woodblock",
])
@click.option("--note", callback=cli.parsed(sound), default="low-wood-block", show_default=True,
              help="The sound of the other beats: a GM drum name or key, or a note on --ch.")
@click.option("--accent", callback=cli.parsed(sound), default="hi-wood-block", show_default=True,
              help="The sound of each bar's first beat.")
@click.option("--accent-vel", type=click.IntRange(1, 127), default=120, show_default=True,
              help="Velocity of the accented downbeats.")
@click.option("--bars", type=click.IntRange(1, 100_000), default=None,
              help="Click this many bars (default: to the stream's End or its last note).")
@generator.options(ch=9, vel=90, role="Click")
def command(io: cli.StageIO, note, accent, accent_vel, bars, ch, patch, vel, bpm, repeat, at,
            name, time_sig, seed):
    """A metronome part: a click on every beat, accented downbeats, following the
    stream's meter and tempo to its end."""
    seen = {"end": None, "last": 0}

    def listen(ev):
        typ = ev["type"]
        if typ == "End":
            seen["end"] = max(seen["end"] or 0, ev["t"])
        elif typ == "Note":
            seen["last"] = max(seen["last"], ev["t"] + ev["dur"])

    def make(used_seed, sigs):
        if time_sig is not None:
            sigs = sigs + [(0, *time_sig)]
        start = place.at_tick(at, sigs)
        if bars is not None:
            end = bar_tick(bars, sigs) + start
        else:
            end = seen["end"] if seen["end"] is not None else bar_line_at_or_after(seen["last"], sigs)
        if end <= start:
            raise click.UsageError("nothing to click along: the stream has no notes and no End; "
                                   "give --bars N")
        beats = clicks(end, sigs, ch=ch, key=note, accent_key=accent, vel=vel, accent_vel=accent_vel)
        part = list(islice((n for n in beats if n["t"] >= start), budget.events() + 1))
        place.check_size(len(part), repeat)  # a far End: refused before more is built
        for n in part:
            n["t"] -= start
        return place.place(part + [{"type": "End", "t": end - start}], start=start, repeat=repeat,
                           ch=ch, program=patch, bpm=bpm, name=name or "Click", time_sig=time_sig)

    return generator.run(io, seed, make, random=False, listen=listen)


main = command

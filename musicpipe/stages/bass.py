"""bass: a bass line over the stream's chords (musicpipe.generators.bass)."""

from __future__ import annotations

import click

from .. import cli
from ..generators import place
from ..generators.accompany import RATES
from ..generators.bass import STYLES, part
from ..harmony import changes, from_events, progression
from ..meter import bar_length
from ..stream import DataError
from ..theory import SCALES, TheoryError, parse_key, parse_note
from . import generator

BASS_HELP = (
    "The line follows the Chord events in the stream (write them with `chords` or `mood`), "
    "at their times; or --chords PROGRESSION (numerals in --key, or symbols), placed at --at "
    "like any part. Styles: root (held; on a chord of two bars and more the second bar may "
    "take its third or fifth, and a passing note leads into a root a third away), root-fifth "
    "(root, then the fifth on the half bar), octave (root and octave at --rate), rhythmic "
    "(roots at --rate, --density of them), walking (quarter notes: the root on each chord's "
    "first beat, chord and scale tones between, a chromatic approach to the next root), "
    "pedal (the tonic every bar: the --key's, else the stream's KeySig's, else the first "
    "chord's root). The scale of passing tones is the key's when known."
)


@cli.stage("bass", epilog=BASS_HELP, examples=[
    'chords "I vi IV V" --key G | bass --style walking --seed 2 --patch acoustic-bass | to-midi --out b.mid',
    'bass --chords "Am F C G" --style octave --rate 8 --repeat 2 --seed 1',
    'mood jazz --duration 8 --seed 1 | bass --style pedal --ch 5 | viz > /dev/null',
])
@click.option("--style", type=click.Choice(STYLES), default="root", show_default=True)
@click.option("--chords", "chords_text", metavar="PROGRESSION", default=None,
              help="Play over this progression instead of the stream's Chord events.")
@click.option("--key", "key", callback=cli.parsed(parse_key), default=None, metavar="KEY",
              help="The key of --chords numerals and of pedal (default: the stream's KeySig, else C).")
@click.option("--bars-per-chord", type=click.IntRange(1, 64), default=1, show_default=True,
              help="With --chords: bars each chord lasts.")
@click.option("--base", callback=cli.parsed(parse_note), default="E1", show_default=True,
              metavar="NOTE", help="Lowest key of the line (--base + --range at most 127).")
@click.option("--range", "range_", type=click.IntRange(5, 36), default=14, show_default=True,
              help="Semitones above --base the line may use.")
@click.option("--rate", type=click.Choice(tuple(RATES)), default="8", show_default=True,
              help="Note value of octave and rhythmic.")
@click.option("--density", type=cli.FloatRange(0, 1), default=0.7, show_default=True,
              help="How many notes rhythmic keeps, and how often root passes into the next chord.")
@generator.options(ch=2, vel=90, role="Bass",
                   instrument="acoustic-bass for walking, electric-bass-finger for the others")
def command(io: cli.StageIO, style, chords_text, key, bars_per_chord, base, range_, rate, density,
            ch, patch, vel, bpm, repeat, at, name, time_sig, seed):
    """A bass line over the chords in the stream (or --chords): root, root-fifth, octave,
    rhythmic, walking or pedal."""
    generator.check_register(base, range_)
    bar = bar_length(*time_sig) if time_sig else bar_length(4, 4)
    patch = (32 if style == "walking" else 33) if patch is None else patch
    name = "Bass" if name is None else name
    written = None
    if chords_text:
        root, mode = key or (0, "major")
        try:
            written = changes(progression(chords_text, root, mode), bars_per_chord=bars_per_chord, bar=bar)
        except TheoryError as e:
            raise click.BadParameter(str(e), param_hint="--chords") from None
    heard: list[dict] = []
    keysig: list[tuple[int, str]] = []

    def listen(ev):
        if ev["type"] == "Chord":
            heard.append(ev)
        elif ev["type"] == "KeySig" and not keysig:
            keysig.append(parse_key(f"{ev['key']} {ev['mode']}"))

    def make(used_seed, sigs):
        follow = written or from_events(heard)
        if not follow:
            raise click.UsageError("no Chord events in the stream: pipe `chords ...` or `mood ...` "
                                   "in, or give --chords \"I IV V I\"")
        tonal = key or (keysig[0] if keysig else None)
        scale = {(tonal[0] + s) % 12 for s in SCALES[tonal[1]]} if tonal else None
        try:
            notes = part(follow, style=style, base=base, span=range_,
                         tonic=tonal[0] if tonal else None, scale=scale, seed=used_seed, bar=bar,
                         step=RATES[rate], density=density, ch=ch, vel=vel)
        except place.PartError as e:
            if written:
                raise
            raise DataError(f"the stream's Chord events: {e}") from None
        start = place.at_tick(at, sigs) if written else 0
        return place.place(notes, start=start, repeat=repeat if written else 1, ch=ch,
                           program=patch, bpm=bpm, name=name, time_sig=time_sig)

    return generator.run(io, seed, make, random=style not in ("pedal", "root-fifth"), listen=listen)


main = command

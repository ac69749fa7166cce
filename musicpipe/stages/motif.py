"""motif: a seeded melodic phrase (musicpipe.generators.motif)."""

from __future__ import annotations

import click

from .. import cli
from ..generators import place
from ..generators.motif import BAR, CONTOURS, MOTIF_HELP, check_rhythm, part
from ..harmony import from_events
from ..meter import bar_length
from ..theory import SCALES, parse_note, parse_pitch_class, scale_name
from . import generator


@cli.stage("motif", epilog=MOTIF_HELP, examples=[
    "seed 12345 | motif --notes 16 --bpm 120 | viz --roll",
    "seed 7 | motif --root D --mode dorian --contour wave --complexity 70 --patch flute | to-midi --out flute.mid",
    "seed 3 | motif --bars 2 --dur 8 --swing 0.6 --rest-prob 0.2 --repeat 4 --patch vibraphone",
    "seed 4 | motif --bars 4 --root A --mode minor --cadence | analyze --key Am > /dev/null",
    "seed 5 | motif --base C3 --range 19 --contour descending --chord-prob 0.4 --patch piano | scale --root C --mode minor",
])
@click.option("--notes", type=click.IntRange(1, 1_000_000), default=8, show_default=True,
              help="How many notes (rests included).")
@click.option("--bars", type=click.IntRange(1, 100_000), default=None,
              help="Fill exactly this many bars (4/4, or --time-sig) instead of counting notes.")
@click.option("--base", callback=cli.parsed(parse_note), default="C4", show_default=True,
              metavar="NOTE",
              help="Lowest note of the range (C4 = 60, or a number).")
@click.option("--range", "range_", type=click.IntRange(2, 60), default=12, show_default=True,
              help="Semitones above --base the melody may use.")
@click.option("--complexity", type=click.IntRange(0, 100), default=50, show_default=True,
              help="More leaps and busier rhythm as it grows.")
@click.option("--contour", type=click.Choice(CONTOURS), default="arch", show_default=True)
@click.option("--dur", callback=cli.parsed(check_rhythm), default="mixed", show_default=True,
              metavar="SPEC",
              help="Rhythm: mixed, a note value (8, 4., 16t) or a cycle (4,8,8).")
@click.option("--rest-prob", type=cli.FloatRange(0, 1), default=0.1, show_default=True,
              help="Chance that an inner note is a rest.")
@click.option("--chord-prob", type=cli.FloatRange(0, 1), default=0.0, show_default=True,
              help="Chance that a note gets the scale's third and fifth below it.")
@click.option("--swing", type=cli.FloatRange(0, 1), default=0.0, show_default=True,
              help="Delay off-beat eighths (1 = triplet feel).")
@click.option("--root", callback=cli.parsed(parse_pitch_class), default=None, metavar="NOTE",
              help="Scale root (C, F#, Bb); default the pitch class of --base.")
@click.option("--cadence", is_flag=True,
              help="End on the scale's root, approached by step: a closing phrase.")
@click.option("--follow-chords/--ignore-chords", default=None,
              help="Put notes on beats on the tones of the stream's Chord events (the "
                   "default when there are any, e.g. after `chords`).")
@click.option("--mode", callback=cli.parsed(scale_name), default=None, metavar="SCALE",
              help=f"Scale or mode ({len(SCALES)} names, `scale --list`); default major.")
@generator.options(ch=0, vel=90)
def command(io: cli.StageIO, notes, bars, base, range_, complexity, contour, dur, rest_prob,
            chord_prob, swing, root, cadence, follow_chords, mode, ch, patch, vel, bpm, repeat, at,
            name, time_sig, seed):
    """A seeded melodic phrase: stepwise, shaped by a contour, in a scale, ending on a cadence.

    The same seed gives the same phrase, byte for byte; the seed comes from the stream's Seed
    (or --seed).
    """
    try:
        part(0, notes=1, base=base, range_=range_, root=root, mode=mode)
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="--range") from None
    try:
        place.check_size(bars * 16 if bars else notes, repeat)  # at most 16 notes a bar
    except place.PartError as e:
        raise click.BadParameter(str(e), param_hint="--repeat") from None

    heard: list[dict] = []

    def make(used_seed, sigs):
        start = place.at_tick(at, sigs)
        harmony = None
        if heard and follow_chords is not False:
            harmony = [(max(0, c.start - start), c.pcs) for c in from_events(heard)
                       if c.end > start] or None
        phrase = part(used_seed, notes=notes, bars=bars, base=base, range_=range_,
                      complexity=complexity, contour=contour, dur=dur, rest_prob=rest_prob,
                      chord_prob=chord_prob, swing=swing, root=root, mode=mode, ch=ch, vel=vel,
                      cadence=cadence, harmony=harmony,
                      bar=bar_length(*time_sig) if time_sig else BAR)
        return place.place(phrase, start=start, repeat=repeat, ch=ch, program=patch, bpm=bpm,
                           name=name, time_sig=time_sig)

    def listen(ev):
        if ev["type"] == "Chord":
            heard.append(ev)

    return generator.run(io, seed, make, listen=listen)


main = command

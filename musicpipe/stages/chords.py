"""chords: a chord progression as Chord events and voiced notes (musicpipe.generators.accompany)."""

from __future__ import annotations

import click

from .. import cli
from ..generators import place
from ..generators.accompany import RATES, STYLES, part
from ..harmony import key_event, progression, slots, spells_flats
from ..meter import bar_length
from ..theory import TheoryError, parse_key, parse_note
from . import generator


def spelled_key(text: str) -> tuple[int, str, str]:
    """``"Gb"`` -> (6, "major", "Gb"): the key and its tonic as written, for the signature."""
    root, mode = parse_key(text)
    return root, mode, text.strip()[0].upper() + text.strip()[1:2].replace("♭", "b").replace("♯", "#").strip("mM -")


CHORDS_HELP = (
    "PROGRESSION is Roman numerals in --key (I vi IV V, ii7 V7 Imaj7, i bVI bVII: upper case "
    "major, lower case minor, ° diminished, 7 and maj7 sevenths, b/# shift the root) or chord "
    "symbols (Am7 D7 Gmaj7 C/E is not read: write the chord), spelled as written (F#m7b5, "
    "Gb; so is --key's signature: Gb six flats, not F#'s six sharps). Bar lines share a bar: "
    "'C Am | F G7' plays C and Am for two beats each in bar 1. Each chord (or bar) lasts "
    "--bars-per-chord bars (of --time-sig, default 4/4); each is written as a Chord event "
    "(t, dur, root, quality, name), which `motif` and `bass` later in the pipe follow, and "
    "its voicing: --voices tones (a seventh chord drops its fifth for 3) within --base .. "
    "--base + --range, built down from the top, each chord's top voice near the last one's "
    "(close, spread: the root alone below, open: the second voice dropped an octave). "
    "Styles: block (struck every bar), pad (held), comp (seeded jazz hits on and off the "
    "beat), rhythmic (repeated at --rate, --density of them), arp (broken upward at --rate). "
    "With --key a KeySig is written too. `--pairs` leaves the Chord events out."
)


@cli.stage("chords", epilog=CHORDS_HELP, examples=[
    'chords "I vi IV V" --key G --patch piano | to-midi --out chords.mid',
    'chords "Am7 D7 Gmaj7 Cmaj7" --style comp --voicing spread --seed 3 | viz --roll > /dev/null',
    'chords "i VI III VII" --key "F# minor" --style pad --patch warm-pad --bars-per-chord 2 '
    '| motif --bars 8 --root F# --mode minor --seed 1 | bass --style root-fifth --seed 1 '
    '| to-midi --out song.mid',
    'chords "I IV V I" --key D --time-sig 3/4 --style arp --rate 8 --repeat 2',
    'chords "C Am | F G7 | C" --style pad        # two chords in each of bars 1 and 2',
    'chords "Gb Ebm | Cb Db7" --key Gb | to-midi --out gb.mid   # six flats, as written',
])
@click.argument("chords_text", nargs=-1, required=True, metavar="PROGRESSION")
@click.option("--key", "key", callback=cli.parsed(spelled_key), default=None, metavar="KEY",
              help="The key Roman numerals are in (C, Am, F# minor, D dorian); default C.")
@click.option("--bars-per-chord", type=click.IntRange(1, 64), default=1, show_default=True)
@click.option("--style", type=click.Choice(STYLES), default="block", show_default=True)
@click.option("--voicing", type=click.Choice(("close", "spread", "open")), default="close",
              show_default=True)
@click.option("--voices", type=click.IntRange(1, 6), default=3, show_default=True,
              help="Tones per chord.")
@click.option("--base", callback=cli.parsed(parse_note), default="C3", show_default=True,
              metavar="NOTE", help="Lowest key of the voicings (--base + --range at most 127).")
@click.option("--range", "range_", type=click.IntRange(5, 48), default=14, show_default=True,
              help="Semitones above --base the voicings may use.")
@click.option("--rate", type=click.Choice(tuple(RATES)), default="8", show_default=True,
              help="Note value of rhythmic and arp.")
@click.option("--density", type=cli.FloatRange(0, 1), default=0.7, show_default=True,
              help="rhythmic and comp: how many hits.")
@generator.options(ch=1, vel=76, role="Chords",
                   instrument="warm-pad for --style pad, acoustic-grand-piano for the others")
def command(io: cli.StageIO, chords_text, key, bars_per_chord, style, voicing, voices, base,
            range_, rate, density, ch, patch, vel, bpm, repeat, at, name, time_sig, seed):
    """A chord progression: Chord events for the pipe and the chords voiced on a channel.

    `chords "I vi IV V" --key G` or `chords Am7 D7 Gmaj7`.
    """
    generator.check_register(base, range_)
    root, mode, spelled = key or (0, "major", None)
    try:
        chords = progression(" ".join(chords_text), root, mode, tonic=spelled)
    except TheoryError as e:
        raise click.BadParameter(str(e), param_hint="PROGRESSION") from None
    bar = bar_length(*time_sig) if time_sig else bar_length(4, 4)
    flats = spells_flats(root, mode, spelled)
    patch = (89 if style == "pad" else 0) if patch is None else patch
    name = "Chords" if name is None else name

    def make(used_seed, sigs):
        notes = part(chords, bars_per_chord=bars_per_chord, bar=bar, style=style,
                     voicing_style=voicing, voices=voices, base=base, span=range_, ch=ch,
                     vel=vel, density=density, step=RATES[rate], seed=used_seed, flats=flats)
        notes[-1] = {"type": "End", "t": slots(chords) * bars_per_chord * bar}  # bars may hold several
        start = place.at_tick(at, sigs)
        head = [] if key is None else [key_event(root, mode, start, spelled)]
        return head + place.place(notes, start=start, repeat=repeat, ch=ch, program=patch,
                                  bpm=bpm, name=name, time_sig=time_sig)

    return generator.run(io, seed, make, random=style in ("comp", "rhythmic"))


main = command

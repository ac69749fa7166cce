"""euclid: Euclidean rhythms on General MIDI drums (musicpipe.generators.euclid)."""

from __future__ import annotations

import click

from .. import cli
from ..generators import place
from ..generators.euclid import EUCLID_HELP, parse_step, part
from ..theory import parse_drum
from . import generator


@cli.stage("euclid", epilog=EUCLID_HELP, examples=[
    "euclid --pulses 3 --steps 8 --note 36 | viz --roll",
    "euclid --pulses 5 --steps 8 --note snare --rotation 2 --repeat 4 --seed 1 | to-midi --out five.mid",
    "{ euclid --pulses 4 --steps 16 --note kick --repeat 2; euclid --pulses 3 --steps 8 "
    "--note snare --rotation 2 --repeat 4; euclid --pulses 7 --steps 16 --note closed-hat "
    "--repeat 2 --vel 70 --ghost 0.3 --seed 3; } | to-midi --out kit.mid",
    "seed 9 | euclid --pulses 5 --steps 12 --note ride --step 8t --vel-var 12 --skip 0.1",
])
@click.option("--pulses", "-k", type=click.IntRange(0, 1024), required=True,
              help="Onsets per cycle.")
@click.option("--steps", "-n", type=click.IntRange(1, 1024), required=True,
              help="Steps per cycle.")
@click.option("--rotation", "-r", type=int, default=0, show_default=True,
              help="Shift the pattern this many steps to the left (negative: right).")
@click.option("--note", callback=cli.parsed(parse_drum), default="kick", show_default=True,
              metavar="DRUM",
              help="Drum by GM name (kick, snare, closed-hat, open-hat, ride, clap...) or key.")
@click.option("--step", "step", callback=cli.parsed(parse_step), default="16", show_default=True,
              metavar="VALUE", help="Step length: 4, 8, 16, 32, 8t, 16t or ticks (t120).")
@click.option("--accent", type=click.IntRange(0, 126), default=0, show_default=True,
              help="Velocity added to the first pulse of each cycle.")
@click.option("--ghost", type=cli.FloatRange(0, 1), default=0.0, show_default=True,
              help="Chance of a soft ghost note on each empty step.")
@click.option("--vel-var", type=click.IntRange(0, 126), default=0, show_default=True,
              help="Seeded velocity variation, +-this much.")
@click.option("--skip", type=cli.FloatRange(0, 1), default=0.0, show_default=True,
              help="Chance that a pulse is left out.")
@generator.options(ch=9, vel=100)
def command(io: cli.StageIO, pulses, steps, rotation, note, step, accent, ghost, vel_var, skip,
            ch, patch, vel, bpm, repeat, at, name, time_sig, seed):
    """Euclidean rhythms: PULSES onsets spread evenly over STEPS steps.

    Channel 9 (General MIDI drums) by default; --patch on channel 9 picks a GM drum kit
    (0 standard, 8 room, 16 power, 24 electronic, 32 jazz, 40 brush).
    """
    if pulses > steps:
        raise click.BadParameter(f"{pulses} pulses do not fit in {steps} steps", param_hint="--pulses")

    try:
        place.check_size(steps, repeat)  # ghost notes can fill every step
    except place.PartError as e:
        raise click.BadParameter(str(e), param_hint="--repeat") from None

    def make(used_seed, sigs):
        notes = part(pulses=pulses, steps=steps, rotation=rotation, note=note, step=step, vel=vel,
                     accent=accent, ghost=ghost, vel_var=vel_var, skip=skip, seed=used_seed,
                     ch=ch, cycles=repeat)
        return place.place(notes, start=place.at_tick(at, sigs), ch=ch, program=patch,
                           bpm=bpm, name=name, time_sig=time_sig)

    return generator.run(io, seed, make, random=bool(ghost or vel_var or skip))


main = command

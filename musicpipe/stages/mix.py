"""mix: level, pan, reverb and chorus sends, expression and sustain per channel, as the
ControlChange events a DAW and the renderer read (musicpipe.audio.mixing)."""

from __future__ import annotations

import click

from .. import cli
from ..events import PPQ
from ..audio.mixing import MIN_LEVEL, ROLES, SIDE_PAN, parse_curve, parse_pan, remix

MIX_HELP = (
    "CC 7 (volume) and CC 11 (expression) follow the SoundFont/GM law, 40 x log10(value/127) "
    "dB, so --level -6 writes CC 7 90 (0 dB = 127; the GM default 100 is -4.2 dB). CC 10 pans "
    "(64 centre), CC 91 / CC 93 are the reverb and chorus sends, CC 64 the sustain pedal. The "
    "controllers given replace the same ones already on those channels. --role starts from a "
    "mixing engineer's defaults (lead: forward, centred, dry of chorus; bass and drums "
    "centred; pad: reverb and a little chorus; keys and arp: to the side); options given win. "
    "to-midi keeps the controllers; to-wav plays them."
)


def _mix(level, pan, reverb, chorus, expression, sustain, role) -> dict:
    mix = {} if role is None else dict(ROLES[role])
    if mix.get("pan") == "side":
        mix["pan"] = -SIDE_PAN
    given = {"level": level, "pan": pan, "reverb": reverb, "chorus": chorus,
             "expression": expression}
    mix.update({k: v for k, v in given.items() if v is not None})
    if sustain is not None:
        mix["sustain"] = sustain > 0
    return mix


@cli.stage("mix", epilog=MIX_HELP, examples=[
    "seed 1 | motif --ch 1 | mix --ch 1 --level -6 --pan -0.3 --reverb 40",
    "mood jazz --duration 4 --seed 1 | mix --ch 2 --level -3 --pan R20 | to-midi --out j.mid",
    "seed 2 | motif --bars 4 --patch strings | mix --ch 0 --role pad --expression '40>127>60'",
    "seed 3 | motif --bars 4 --patch piano | mix --ch 0 --sustain 4 | to-wav --out p.wav",
])
@click.option("--ch", "channels", type=click.IntRange(0, 15), multiple=True, required=True,
              help="The channel to mix (repeatable: the same mix on each).")
@click.option("--role", type=click.Choice(list(ROLES)), default=None,
              help="Start from this role's defaults (see below).")
@click.option("--level", type=cli.FloatRange(MIN_LEVEL, 0), default=None, metavar="DB",
              help="Volume, dB below full (CC 7): -6 -> 90.")
@click.option("--pan", callback=cli.parsed(parse_pan), default=None, metavar="POS",
              help="-1 (left) .. 1 (right), or L, R, C, L30, R50 (CC 10).")
@click.option("--reverb", type=click.IntRange(0, 127), default=None, help="Reverb send, CC 91.")
@click.option("--chorus", type=click.IntRange(0, 127), default=None, help="Chorus send, CC 93.")
@click.option("--expression", callback=cli.parsed(lambda v: ">".join(map(str, parse_curve(v)))),
              default=None, metavar="CURVE",
              help="CC 11: a value, or a curve over the piece: 40>127>60 swells.")
@click.option("--sustain", type=cli.FloatRange(0, 64), default=None, metavar="BEATS",
              help="Sustain pedal (CC 64) re-pedalled every BEATS quarter notes; 0: off.")
def command(io: cli.StageIO, channels, role, level, pan, reverb, chorus, expression, sustain):
    """Set a channel's mix: level, pan, reverb and chorus sends, expression, sustain pedal.

    Writes ControlChange events at the start of the stream (after its Seed), so the .mid
    shows the mix in a DAW and to-wav renders it. Streams, except with an expression curve
    or --sustain, which need the piece's length (its End, else its last note's end).
    """
    mix = _mix(level, pan, reverb, chorus, expression, sustain, role)
    if not mix:
        raise click.UsageError("give something to set: --level, --pan, --reverb, --chorus, "
                               "--expression, --sustain or --role")
    every = max(1, round(sustain * PPQ)) if sustain else None
    return remix(io.events(), channels, mix, pedal_every=every)


main = command

"""What every generator stage (motif, seq, euclid) shares: its options and the passthrough.

The command passes the piped stream through first (``cli.StageIO.generator_input``), then
appends its part, so layered parts are concatenated: ``{ seed 1 | motif; euclid --seed 1; }
| to-midi``. Placing the part is ``musicpipe.generators.place``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

import click

from .. import cli
from ..events import DRUM_CHANNEL
from ..generators.place import AT_HELP, PartError, parse_at
from ..meter import parse_time_sig
from ..theory import parse_program


def options(*, ch: int = 0, vel: int = 96, patch: bool = True, role: str | None = None,
            instrument: str | None = None) -> Callable:
    """The common generator options: --ch --patch --vel --bpm --repeat --at --name
    --time-sig --seed.

    ``ch`` and ``vel`` are this generator's defaults (euclid: channel 9); ``patch=False``
    leaves --patch out. ``role`` (Bass) and ``instrument`` (what --patch defaults to, said
    in words) only show in the help: the stage applies them.
    """
    def decorate(fn: Callable) -> Callable:
        opts = [
            click.option("--ch", type=click.IntRange(0, 15), default=ch, show_default=True,
                         help=f"MIDI channel, 0-based ({DRUM_CHANNEL} = GM drums)."),
            click.option("--vel", type=click.IntRange(1, 127), default=vel, show_default=True,
                         help="Velocity (loudness) 1-127."),
            click.option("--bpm", type=cli.FloatRange(4, 1000), default=None,
                         help="Also write a Tempo event (none unless given)."),
            click.option("--repeat", type=click.IntRange(1, 100_000), default=1,
                         show_default=True, help="Play the part this many times."),
            click.option("--at", callback=cli.parsed(parse_at), default=None, metavar="TIME",
                         help=AT_HELP),
            click.option("--name", default=None,
                         help="Track name (a Marker on the channel; DAWs show it)"
                              + (f"; default {role}." if role else ".")),
            click.option("--time-sig", callback=cli.parsed(parse_time_sig), default=None,
                         metavar="N/D",
                         help="Also write a TimeSig (3/4, 6/8); bars then follow it."),
            cli.seed_option,
        ]
        if patch:
            opts.insert(1, click.option(
                "--patch", callback=cli.parsed(parse_program), default=None, metavar="PROGRAM",
                help="GM instrument: a number 0-127 or a name (piano, strings, bass, "
                     "flute...)" + (f"; default {instrument}." if instrument else ".")))
        for opt in reversed(opts):
            fn = opt(fn)
        return fn

    return decorate


def check_register(base: int, range_: int) -> None:
    """Refuse a register (--base .. --base + --range) that reaches past MIDI's top key."""
    if base + range_ > 127:
        raise click.BadParameter(
            f"key {base} plus --range {range_} reaches key {base + range_}, past 127: give "
            f"--base {127 - range_} or lower, or a smaller --range", param_hint="--base")


def run(io: cli.StageIO, seed: int | None,
        make: Callable[[int | None, list[tuple[int, int, int]]], Iterable[dict]], *,
        random: bool = True, listen: Callable[[dict], object] | None = None) -> Iterator[dict]:
    """Pass the piped stream through, then append ``make(seed, sigs)``'s events.

    ``make`` receives the seed in force and the TimeSigs seen in the input ((t, num, den)),
    for --at in bars. A part that draws no random numbers says ``random=False``: then no
    seed is invented (and announced) for it. ``listen`` sees every event passed through
    (the chords a bass line or a melody follows). A part past tick 2^31-1 or of more than
    ``budget.events()`` notes (``PartError``) is a usage error, exit 2.
    """
    sigs: list[tuple[int, int, int]] = []
    used = yield from _returning(io.generator_input(seed, random=random), sigs, listen)
    try:
        part = make(used, sigs)
    except PartError as e:  # the options ask for a part the stream cannot hold
        raise click.UsageError(str(e)) from None
    yield from part


def _returning(events: Iterator[dict], sigs: list, listen=None) -> Iterator[dict]:
    """Pass ``events`` through, noting TimeSigs (and showing each to ``listen``); returns
    what the generator returned."""
    while True:
        try:
            ev = next(events)
        except StopIteration as stop:
            return stop.value
        if ev["type"] == "TimeSig":
            sigs.append((ev["t"], ev["num"], ev["den"]))
        if listen is not None:
            listen(ev)
        yield ev

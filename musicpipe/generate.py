"""What every generator (motif, seq, euclid) shares: its part's header, placement and options.

A generator is a pure function ``part(...) -> list[dict]`` that writes its notes from tick 0;
``place`` puts the part where it belongs (``--at``), repeats it (``--repeat``) and adds the
header a DAW needs (Tempo when asked for, ProgramChange, a Marker naming the track). The
click command passes the piped stream through first (``cli.StageIO.generator_input``), so
layered parts are concatenated: ``{ seed 1 | motif; euclid --seed 1; } | to-midi``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator

import click

from . import cli
from .events import DRUM_CHANNEL, PPQ
from .theory import parse_program

_AT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(b|beats?|bars?|t|ticks?)?\s*$", re.I)

AT_HELP = ("Start time: beats (`8`, `8b`), bars (`2bars`, in the stream's time signature, "
           "4/4 by default) or ticks (`960t`).")


def parse_at(text: str | int | float) -> tuple[float, str]:
    """``'8'`` -> (8, 'beats'); ``'2bars'`` -> (2, 'bars'); ``'960t'`` -> (960, 'ticks')."""
    m = _AT.match(str(text))
    if not m:
        raise ValueError(f"{text!r} is not a start time: use beats (8), bars (2bars) or ticks (960t)")
    unit = (m.group(2) or "b").lower()
    kind = "bars" if unit.startswith("bar") else "ticks" if unit.startswith("t") else "beats"
    return float(m.group(1)), kind


def at_tick(at: tuple[float, str] | None, sigs: Iterable[tuple[int, int, int]] = ()) -> int:
    """The tick of a parsed ``--at``; bars follow ``sigs`` ((t, num, den) TimeSigs)."""
    if at is None:
        return 0
    amount, kind = at
    if kind == "ticks":
        return round(amount)
    if kind == "beats":
        return round(amount * PPQ)
    from .stages.trim import bar_tick

    whole = int(amount)
    start = bar_tick(whole, sigs)
    if amount != whole:
        start += round((bar_tick(whole + 1, sigs) - start) * (amount - whole))
    return start


def span(events: Iterable[dict]) -> int:
    """The length of a part: its End, else the latest end of anything in it."""
    end = 0
    for ev in events:
        if ev["type"] == "End":
            return ev["t"]
        end = max(end, ev.get("t", 0) + ev.get("dur", 0))
    return end


def place(part: list[dict], *, start: int = 0, repeat: int = 1, length: int | None = None,
          ch: int | None = None, program: int | None = None, bpm: float | None = None,
          name: str | None = None) -> list[dict]:
    """A part placed at ``start``, played ``repeat`` times (each ``length`` ticks long,
    default the part's span), behind its header: Tempo (only when ``bpm`` is given),
    a Marker naming the track and the ProgramChange (for ``ch``). End lines in ``part``
    only set its length; the result has none, so layered parts never cut each other short.
    """
    length = span(part) if length is None else length
    body = [ev for ev in part if ev["type"] != "End"]
    out: list[dict] = []
    if bpm is not None:
        out.append({"type": "Tempo", "t": start, "bpm": bpm})
    if name and ch is not None:
        out.append({"type": "Marker", "t": start, "ch": ch, "text": name})
    if program is not None and ch is not None:
        out.append({"type": "ProgramChange", "t": start, "ch": ch, "program": program})
    for n in range(repeat):
        shift = start + n * length
        for ev in body:
            ev = ev.copy()
            ev["t"] += shift
            out.append(ev)
    return out


def options(*, ch: int = 0, vel: int = 96, patch: bool = True) -> Callable:
    """The common generator options: --ch --patch --vel --bpm --repeat --at --name --seed.

    ``ch`` and ``vel`` are this generator's defaults (euclid: channel 9); ``patch=False``
    leaves --patch out.
    """
    def decorate(fn: Callable) -> Callable:
        opts = [
            click.option("--ch", type=click.IntRange(0, 15), default=ch, show_default=True,
                         help=f"MIDI channel, 0-based ({DRUM_CHANNEL} = GM drums)."),
            click.option("--vel", type=click.IntRange(1, 127), default=vel, show_default=True,
                         help="Velocity (loudness) 1-127."),
            click.option("--bpm", type=click.FloatRange(4, 1000), default=None,
                         help="Also write a Tempo event (none unless given)."),
            click.option("--repeat", type=click.IntRange(1, 100_000), default=1,
                         show_default=True, help="Play the part this many times."),
            click.option("--at", callback=cli.parsed(parse_at), default=None, metavar="TIME",
                         help=AT_HELP),
            click.option("--name", default=None,
                         help="Track name (a Marker on the channel; DAWs show it)."),
            cli.seed_option,
        ]
        if patch:
            opts.insert(1, click.option(
                "--patch", callback=cli.parsed(parse_program), default=None, metavar="PROGRAM",
                help="GM instrument: a number 0-127 or a name (piano, strings, bass, "
                     "flute...)."))
        for opt in reversed(opts):
            fn = opt(fn)
        return fn

    return decorate


def run(io: cli.StageIO, seed: int | None,
        make: Callable[[int | None, list[tuple[int, int, int]]], Iterable[dict]], *,
        random: bool = True) -> Iterator[dict]:
    """Pass the piped stream through, then append ``make(seed, sigs)``'s events.

    ``make`` receives the seed in force and the TimeSigs seen in the input ((t, num, den)),
    for --at in bars. A part that draws no random numbers says ``random=False``: then no
    seed is invented (and announced) for it.
    """
    sigs: list[tuple[int, int, int]] = []
    used = yield from _returning(io.generator_input(seed, random=random), sigs)
    yield from make(used, sigs)


def _returning(events: Iterator[dict], sigs: list) -> Iterator[dict]:
    """Pass ``events`` through, noting TimeSigs; returns what the generator returned."""
    while True:
        try:
            ev = next(events)
        except StopIteration as stop:
            return stop.value
        if ev["type"] == "TimeSig":
            sigs.append((ev["t"], ev["num"], ev["den"]))
        yield ev

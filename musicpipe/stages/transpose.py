"""transpose: shift notes by semitones."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import click

from .. import cli
from ..events import DRUM_CHANNEL

POLICIES = ("octave", "clamp", "drop")


def transpose(events: Iterable[dict], semitones: int, *, drums: bool = False,
              channels: Iterable[int] | None = None, policy: str = "octave",
              stats: dict | None = None) -> Iterator[dict]:
    """Shift every Note by ``semitones``; other events pass unchanged.

    Drums (channel 9) are left alone unless ``drums``: a transposed kick is another drum.
    A key pushed out of 0..127 is, by ``policy``: ``octave`` moved back by whole octaves
    (pitch class kept, the default), ``clamp``ed to 0 or 127, or ``drop``ped. ``stats``
    (a dict) receives the count under "out_of_range".

    >>> [e["key"] for e in transpose([{"type": "Note", "t": 0, "dur": 1, "ch": 0, "key": 60, "vel": 9}], 7)]
    [67]
    """
    if policy not in POLICIES:
        raise ValueError(f"policy must be one of {POLICIES}")
    only = frozenset(channels) if channels else None
    out_of_range = 0
    try:
        for ev in events:
            if ev["type"] == "Note" and (drums or ev["ch"] != DRUM_CHANNEL) and (
                    only is None or ev["ch"] in only):
                key = ev["key"] + semitones
                if not 0 <= key <= 127:
                    out_of_range += 1
                    if policy == "drop":
                        continue
                    key = _octave_fold(key) if policy == "octave" else min(127, max(0, key))
                ev = ev.copy()
                ev["key"] = key
            yield ev
    finally:
        if stats is not None:
            stats["out_of_range"] = out_of_range


def _octave_fold(key: int) -> int:
    while key < 0:
        key += 12
    while key > 127:
        key -= 12
    return key


@cli.stage("transpose", examples=[
    "seed 42 | motif | transpose --semitones 5",
    "seed 42 | motif | transpose -s -12          # an octave down",
    "seed 1 | euclid --pulses 3 --steps 8 | transpose -s 2 --drums",
    "transpose -s 3 --ch 0 --ch 1 < examples/riff.jsonl   # only channels 0 and 1",
])
@click.option("--semitones", "-s", type=click.IntRange(-127, 127), default=0, show_default=True,
              help="Semitones to shift by; negative is down (--semitones -12).")
@click.option("--drums", is_flag=True, help="Transpose channel 9 (GM drums) too.")
@click.option("--ch", "channels", type=click.IntRange(0, 15), multiple=True,
              help="Only these channels (repeatable); default all.")
@click.option("--out-of-range", "policy", type=click.Choice(POLICIES), default="octave",
              show_default=True,
              help="Keys pushed past 0..127: move back by octaves, clamp to 0/127, or drop.")
def command(io: cli.StageIO, semitones: int, drums: bool, channels: tuple[int, ...], policy: str):
    """Shift notes up or down by semitones.

    Notes on channel 9 (General MIDI drums) are left alone unless --drums. Keys pushed out
    of 0..127 follow --out-of-range; how many is counted on stderr.
    """
    stats: dict = {}
    yield from transpose(io.events(), semitones, drums=drums, channels=channels, policy=policy,
                         stats=stats)
    if stats.get("out_of_range"):
        verb = {"octave": "moved by octaves into", "clamp": "clamped to", "drop": "dropped, outside"}[policy]
        io.warn(f"{stats['out_of_range']} notes {verb} 0..127")


main = command

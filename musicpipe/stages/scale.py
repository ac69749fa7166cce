"""scale: snap notes to a scale or mode (musicpipe.transforms.scale)."""

from __future__ import annotations

from itertools import chain

import click

from .. import cli
from ..theory import parse_key, parse_pitch_class, scale_name
from ..harmony import key_event
from ..transforms.scale import POLICIES, SNAP_HELP, scale_list, snap_batches, with_key


@cli.stage("scale", examples=[
    "scale --root D --mode dorian < examples/riff.jsonl",
    "scale --key 'Bb blues' --snap up < examples/riff.jsonl",
    "scale --key Bb --set-key < examples/riff.jsonl | to-midi --out riff-in-bb.mid",
    "seed 3 | transpose -s 1 | scale --root F# --mode minor-pentatonic",
    "scale --list",
], epilog=SNAP_HELP)
@click.option("--root", "-r", callback=cli.parsed(parse_pitch_class), default="C", show_default=True,
              help="Root note: C, F#, Bb, ... (or a pitch class 0-11).")
@click.option("--mode", "-m", callback=cli.parsed(scale_name), default="major",
              show_default=True,
              help="Scale or mode name (see --list; aliases like aeolian, ionian work).")
@click.option("--key", "key", callback=cli.parsed(parse_key), default=None,
              help="Root and mode in one: 'Am', 'D dorian', 'Bb major' (overrides --root/--mode).")
@click.option("--snap", "policy", type=click.Choice(POLICIES), default="nearest",
              show_default=True, help="Direction for keys outside the scale (see below).")
@click.option("--drums", is_flag=True, help="Snap channel 9 (GM drums) too.")
@click.option("--ch", "channels", type=click.IntRange(0, 15), multiple=True,
              help="Only these channels (repeatable); default all but drums.")
@click.option("--set-key", is_flag=True,
              help="Also write a KeySig of this key first, so notation shows it.")
@click.option("--list", "list_", is_flag=True, help="Print the scales and exit.")
def command(io: cli.StageIO, root: int, mode: str, key, policy: str, drums: bool,
            channels: tuple[int, ...], set_key: bool, list_: bool):
    """Snap notes to a scale or mode: every key moves to the nearest tone of the scale.

    Notes on channel 9 (General MIDI drums) are left alone unless --drums.
    """
    if list_:
        io.writer.sink(scale_list().encode())
        return None
    if key is not None:
        root, mode = key
    batches = snap_batches(io.batches(typed=not set_key), root, mode, snap=policy, drums=drums, channels=channels,
                           in_place=True)
    if set_key:
        return with_key(chain.from_iterable(batches), key_event(root, mode))
    io.writer.write_batches(batches)
    return None


main = command

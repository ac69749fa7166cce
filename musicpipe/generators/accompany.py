"""Accompany: chords played over a progression, as the `chords` stage and mood layers play them.

A voicing (``harmony.voicing``) is played over one chord's span in a style: ``pad`` held,
``block`` struck on every bar, ``comp`` jazz hits on and off the beat (seeded), ``rhythmic``
repeated on a grid (density leaves some out), ``arp`` broken up, down or up and down.
"""

from __future__ import annotations

from ..events import PPQ
from ..harmony import Chord, changes, voicing
from ..rng import Rng, stage_rng
from .place import check_size

STYLES = ("pad", "block", "comp", "rhythmic", "arp")
RATES = {"4": PPQ, "8": PPQ // 2, "16": PPQ // 4, "8t": PPQ // 3}
ARP_SHAPES = ("up", "down", "updown", "broken", "pedal")


def note(t: int, dur: int, ch: int, key: int, vel: float) -> dict:
    """A Note; a key past either end of 0..127 (a line reaching over the register's edge)
    moves by octaves back inside, keeping its pitch class."""
    while key > 127:
        key -= 12
    while key < 0:
        key += 12
    return {"type": "Note", "t": t, "dur": max(1, dur), "ch": ch, "key": key,
            "vel": max(1, min(127, round(vel)))}


def hits(style: str, start: int, end: int, keys: list[int], *, ch: int, vel: float, rng: Rng | None,
         bar: int = 4 * PPQ, beat: int = PPQ, density: float = 0.6, step: int = PPQ // 2,
         shape: str = "up", gap: int = 10) -> list[dict]:
    """The notes of one chord from ``start`` to ``end`` in ``style`` (``keys`` its voicing,
    low to high; for ``arp`` the tones to break). Only comp and rhythmic draw on ``rng``."""
    if style == "pad":
        return [note(start, end - start - gap, ch, k, vel) for k in keys]
    if style == "block":
        return [note(t, min(t + bar, end) - t - gap, ch, k, vel * (1.0 if t == start else 0.9))
                for t in range(start, end, bar) for k in keys]
    out = []
    if style == "comp":
        for b in range(start, end, beat):
            for off in (0, beat * 2 // 3):
                if rng.random() < density * (0.55 if off else 0.35):
                    out += [note(b + off, beat // 3, ch, k, vel * rng.uniform(0.8, 1.0)) for k in keys]
    elif style == "rhythmic":
        for t in range(start, end, step):
            if t == start or rng.random() < density:
                accent = 1.0 if t % beat == 0 else 0.85
                out += [note(t, step - 20, ch, k, vel * accent) for k in keys]
    else:  # arp
        if shape == "broken":  # alternate tones: 1 3 5, then 2 4
            order = [keys[i] for i in sorted(range(len(keys)), key=lambda i: (i % 2, i))]
        elif shape == "pedal":  # the lowest tone between each of the others (Alberti-like)
            order = [x for k in keys[1:] for x in (keys[0], k)] or keys
        else:
            order = keys[::-1] if shape == "down" else keys + keys[-2:0:-1] if shape == "updown" else keys
        for j, t in enumerate(range(start, end, step)):
            out.append(note(t, step - 10, ch, order[j % len(order)], vel * (1.0 if t % beat == 0 else 0.8)))
    return out


def part(chords: list[Chord], *, bars_per_chord: int = 1, bar: int = 4 * PPQ, beat: int = PPQ,
         style: str = "block", voicing_style: str = "close", voices: int = 3, base: int = 48,
         span: int = 19, ch: int = 1, vel: int = 80, density: float = 0.6, step: int = PPQ // 2,
         shape: str = "up", seed: int | None = 0, flats: bool = True) -> list[dict]:
    """The ``chords`` stage's part from tick 0: a Chord event and the voiced notes for each
    chord (in ``base`` .. ``base + span``, each top voice near the last one), then an End."""
    if style not in STYLES:
        raise ValueError(f"style must be one of {', '.join(STYLES)}")
    span_ticks = bars_per_chord * bar  # at most this many notes, counted before any is made:
    per_chord = {"pad": voices, "block": -(-span_ticks // bar) * voices,
                 "comp": 2 * -(-span_ticks // beat) * voices, "rhythmic": -(-span_ticks // step) * voices,
                 "arp": -(-span_ticks // step)}[style]
    check_size(per_chord * len(chords))
    rng = stage_rng(seed, "chords") if style in ("comp", "rhythmic") else None
    out: list[dict] = []
    top = None
    for change in changes(chords, bars_per_chord=bars_per_chord, bar=bar):
        keys = voicing(change.chord, floor=base, ceiling=base + span, voices=voices,
                       style=voicing_style, near=top)
        if style == "arp":
            keys = keys + [k + 12 for k in keys if k + 12 <= min(127, base + span + 12)]
        top = max(keys) if keys else top
        out.append(change.chord.event(change.start, change.end - change.start, flats))
        out += hits(style, change.start, change.end, keys, ch=ch, vel=vel, rng=rng, bar=bar,
                    beat=beat, density=density, step=step, shape=shape)
    out.append({"type": "End", "t": len(chords) * bars_per_chord * bar})
    return out

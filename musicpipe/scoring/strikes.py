"""What the band plays at a hit, and into each region: accents, stops, stingers, risers, fills.

A hit is played by the whole band, not laid over it: the drums, the bass and the chords
strike the chord of the moment on its tick and the melody's note there is the loudest of its
phrase (accent); the band falls silent for the beat before it (stop); a brass stab rings over
the band (stinger); a snare roll and a rising line climb through the bar before it (riser-to).
Into each region: the drums' fill, or where the region before has no drums a cymbal swell,
and a crash on the new region's first downbeat. Plain functions over the piece's notes (dicts,
changed in place or added), given where each layer plays (``Band``).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..events import DRUM_CHANNEL, PPQ
from ..harmony import Chord
from ..moods import drums
from ..rng import Rng
from ..theory import parse_drum

CRASH, KICK, SNARE = parse_drum("crash"), parse_drum("kick"), parse_drum("snare")
FILL_DRUMS = {SNARE} | {parse_drum(t) for t in drums.TOMS}
STINGER_PROGRAM = 61  # Brass Section


@dataclass
class Band:
    """Who plays where at a tick: the region's layers by role (channels), its chord, its beat."""

    melody: list[int]
    chords: list[int]
    bass: list[int]
    drums: bool
    chord: Chord
    beat: int
    bar: int


def _note(t: int, dur: int, ch: int, key: int, vel: float) -> dict:
    return {"type": "Note", "t": t, "dur": max(1, dur), "ch": ch, "key": key,
            "vel": max(1, min(127, round(vel)))}


def _keys(chord: Chord, lo: int, hi: int) -> list[int]:
    return [k for k in range(lo, hi + 1) if k % 12 in chord.pcs]


def _strike(notes: list[dict], ch: int, keys: list[int], t: int, dur: int, vel: float) -> None:
    """Keys struck on ``t``: a note of the key already there (within a 32nd) is moved onto
    the tick and made as loud, others are added."""
    near = PPQ // 8
    for k in keys:
        there = next((n for n in notes if n["ch"] == ch and n["key"] == k
                      and abs(n["t"] - t) <= near), None)
        if there is not None:
            there["t"], there["vel"] = t, max(there["vel"], min(127, round(vel)))
            there["dur"] = max(there["dur"], dur)
        else:
            notes.append(_note(t, dur, ch, k, vel))


def accent(notes: list[dict], t: int, band: Band, stab: int | None) -> None:
    """Everybody on the hit: crash and kick, the bass on the chord's root, the chords (or
    the ``stab`` channel where the region has none) on its tones, and the melody's note
    there the loudest of its phrase; the music goes on."""
    beat = band.beat
    _strike(notes, DRUM_CHANNEL, [CRASH, KICK], t, PPQ // 2, 118)
    root = band.chord.root
    for ch in band.bass:
        _strike(notes, ch, [next(k for k in range(33, 45) if k % 12 == root)], t, beat, 112)
    for ch in band.chords or ([stab] if stab is not None else []):
        _strike(notes, ch, _keys(band.chord, 55, 71)[:4], t, beat, 104)
    for ch in band.melody:
        tune = [n for n in notes if n["ch"] == ch and abs(n["t"] - t) <= 2 * band.bar]
        at = [n for n in tune if n["t"] <= t < n["t"] + n["dur"] or t <= n["t"] < t + beat // 2]
        if at:
            loudest = max(n["vel"] for n in tune)
            at[0]["vel"] = min(127, max(at[0]["vel"], loudest + 6))


def stop(notes: list[dict], controls: list[dict], t: int, band: Band) -> list[dict]:
    """A stop-time break: nothing sounds in the beat before the hit (notes there are cut or
    dropped, a held sustain pedal lifts and goes down again on the hit), then the accent.
    Returns the notes kept; the pedal changes are added to ``controls``."""
    gap = max(0, t - band.beat)
    kept = []
    for n in notes:
        if gap <= n["t"] < t:
            continue
        if n["t"] < gap < n["t"] + n["dur"]:
            n["dur"] = gap - n["t"]
        kept.append(n)
    pedal: dict[int, int] = {}
    for e in controls:
        if e.get("cc") == 64 and e["t"] <= gap:
            pedal[e["ch"]] = e["value"]
    for ch, value in sorted(pedal.items()):
        if value >= 64:
            controls += [{"type": "ControlChange", "t": gap, "ch": ch, "cc": 64, "value": 0},
                         {"type": "ControlChange", "t": t, "ch": ch, "cc": 64, "value": 127}]
    return kept


def stinger(notes: list[dict], t: int, band: Band, stab: int | None) -> None:
    """A short loud exclamation over the band: a brass chord stab on the ``stab`` channel,
    high and close, ringing about a beat, with a crash."""
    _strike(notes, DRUM_CHANNEL, [CRASH], t, PPQ, 122)
    if stab is not None:
        _strike(notes, stab, _keys(band.chord, 62, 79)[:4], t, band.beat, 120)


def riser(notes: list[dict], t: int, band: Band, stab: int | None, start: int) -> None:
    """A build that peaks on the hit, from ``start`` (the bar before it, or the region's
    start): a snare roll in sixteenths, thirty-seconds over its last beat, growing from
    soft to loud; a line on the ``stab`` channel climbing the chord's tones in eighths up to
    the hit; then the accent."""
    span = t - start
    if span <= 0:
        return
    step = PPQ // 4
    at = start
    while at < t:
        fine = t - at <= band.beat
        f = (at - start) / span
        notes.append(_note(at, step // 2, DRUM_CHANNEL, SNARE, 35 + 75 * f))
        at += step // 2 if fine else step
    tones = _keys(band.chord, 52, 84) if stab is not None else []
    count = max(1, span // (PPQ // 2))
    top = [k for k in tones if k <= 79][-1] if tones else 72
    climb = [k for k in tones if k <= top][-count:]
    for i, k in enumerate(climb):
        when = t - (len(climb) - i) * (PPQ // 2)
        if when >= start:
            notes.append(_note(when, PPQ // 2 - 10, stab, k, 60 + 50 * (i + 1) / len(climb)))


def into_region(notes: list[dict], join: int, before: Band, after: Band, rng: Rng) -> None:
    """Into a region at ``join``: where the drums played before it and no fill is heard in
    the beat before the join (the drum part may close otherwise), a snare-and-toms fill
    over that beat; where no drums played, a cymbal swell over the last two beats. Then a
    crash on the join, with the kick where the new region has drums."""
    beat = before.beat
    if before.drums:
        heard = any(n["ch"] == DRUM_CHANNEL and n["key"] in FILL_DRUMS and join - beat <= n["t"] < join
                    for n in notes)
        if not heard:
            start = join - beat
            notes[:] = [n for n in notes if not (n["ch"] == DRUM_CHANNEL and start <= n["t"] < join)]
            notes += [_note(start + off, PPQ // 4, DRUM_CHANNEL, key, 100 * f)
                      for off, key, f in drums.fill(rng.choice(("toms", "snare-roll")), beat, 1,
                                                    beat, rng=rng)]
    else:
        start, step = max(0, join - 2 * beat), PPQ // 8
        for i, at in enumerate(range(start, join, step)):
            notes.append(_note(at, step, DRUM_CHANNEL, CRASH, 22 + 60 * i / max(1, (join - start) // step)))
    _strike(notes, DRUM_CHANNEL, [CRASH] + ([KICK] if after.drums else []), join, PPQ,
            105 if after.drums else 80)


def untangle(notes: list[dict]) -> list[dict]:
    """No two notes of one key on one channel overlap (a MIDI file could not tell their
    ends apart): the earlier is cut where the later starts; one struck twice on a tick
    is kept once, the louder."""
    notes.sort(key=lambda n: (n["ch"], n["key"], n["t"], -n["vel"]))
    out: list[dict] = []
    for n in notes:
        prev = out[-1] if out else None
        if prev is not None and (prev["ch"], prev["key"]) == (n["ch"], n["key"]):
            if prev["t"] == n["t"]:
                prev["dur"] = max(prev["dur"], n["dur"])
                continue
            if prev["t"] + prev["dur"] > n["t"]:
                prev["dur"] = n["t"] - prev["t"]
        out.append(n)
    return out

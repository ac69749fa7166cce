"""Bass: a bass line over chord changes, as the `bass` stage and mood layers play it.

Styles: ``root`` (held; the second bar of a long chord on its third or fifth, a passing note
into a root a third away), ``root-fifth`` (root, then the fifth on the half bar),
``octave`` (root and its octave on the rate's grid, staccato), ``rhythmic`` (roots on the grid),
``walking`` (quarter notes: root on the chord's first beat, chord tones on the strong beats
(1 and 3), chord and scale tones between, a chromatic approach to the next root, the root at
the line's end; never outside ``base .. base + span``), ``pedal`` (the tonic
every bar whatever the chord).
"""

from __future__ import annotations

from .. import budget
from ..events import MAX_TICK
from ..rng import Rng, stage_rng
from .accompany import note
from .place import PartError

STYLES = ("root", "root-fifth", "octave", "rhythmic", "walking", "pedal")


def keys_in(pcs, lo: int, hi: int) -> list[int]:
    return [k for k in range(max(0, lo), min(127, hi) + 1) if k % 12 in pcs]


def line(changes: list, *, style: str, base: int, span: int, tonic: int, scale: set[int],
         rng: Rng, bar: int, beat: int, step: int, density: float, ch: int, vel: float,
         after=None) -> list[dict]:
    """The notes over ``changes`` (each with ``start``, ``end``, ``chord``), in ``base`` ..
    ``base + span``; ``after`` is the chord that follows the last change, if any."""

    def lowest(pc: int) -> int:
        keys = keys_in({pc}, base, base + span)
        return keys[0] if keys else base + (pc - base) % 12

    out: list[dict] = []
    for i, sp in enumerate(changes):
        root = lowest(sp.chord.root)
        following = changes[i + 1].chord if i + 1 < len(changes) else after
        nxt = lowest(following.root) if following is not None else root
        pcs = set(sp.chord.pcs)
        if style == "pedal":
            home = lowest(tonic)
            out += [note(t, min(bar, sp.end - t) - 10, ch, home, vel) for t in range(sp.start, sp.end, bar)]
        elif style == "walking":
            beats = list(range(sp.start, sp.end, beat))
            key = root
            lo, hi = base, base + span
            for j, t in enumerate(beats):
                strong = t % bar == 0 or bar == 4 * beat and t % (2 * beat) == 0  # 1 (and 3)
                if j == 0:
                    key = root
                elif t % bar == 0:  # a later bar of a long chord: the nearest chord tone
                    key = min(keys_in(pcs, key - 6, key + 6) or [root], key=lambda k: abs(k - key))
                elif j == len(beats) - 1:
                    side = rng.choice((-1, 1))  # chromatic approach to the next root
                    key = nxt + (side if lo <= nxt + side <= hi else -side)
                    if following is None:  # the line's end: home on the root
                        key = root
                    elif strong:  # on a strong beat: the chord tone nearest the next root
                        key = min(keys_in(pcs, lo, hi) or [root], key=lambda k: (abs(k - nxt), k))
                else:
                    pool = [k for k in keys_in((pcs if strong else pcs | scale), key - 4, key + 4)
                            if k != key and lo <= k <= hi] or [key]
                    key = rng.choice(pool)
                while key < lo:
                    key += 12
                while key > hi:
                    key -= 12
                out.append(note(t, beat - 30, ch, key, vel * (1.0 if j % 2 == 0 else 0.88)))
        elif style in ("rhythmic", "octave"):
            for j, t in enumerate(range(sp.start, sp.end, step)):
                if t != sp.start and rng.random() > density:
                    continue
                key = root + 12 if style == "octave" and j % 2 else root
                gate = step // 2 if style == "octave" else step - 20  # the octave bass bounces
                out.append(note(t, gate, ch, key, vel * (1.0 if t % beat == 0 else 0.85)))
        elif style == "root-fifth":
            fifth = lowest(sp.chord.pcs[2] if len(sp.chord.pcs) > 2 else sp.chord.root)
            for t in range(sp.start, sp.end, bar // 2):
                key = root if (t - sp.start) % bar == 0 else fifth
                out.append(note(t, min(bar // 2, sp.end - t) - 20, ch, key, vel * (1.0 if key == root else 0.9)))
        else:  # root
            held = None
            for j, t in enumerate(range(sp.start, sp.end, bar)):
                end = min(t + bar, sp.end)
                key = root
                if j % 2 == 1 and rng.random() < 0.5:
                    key = lowest(sp.chord.pcs[rng.choice((1, 2))])
                between = keys_in(scale, min(key, nxt) + 1, max(key, nxt) - 1)
                if end == sp.end and abs(nxt - key) in (3, 4) and between and rng.random() < density:
                    # a passing note: the scale step between this note and the next root
                    out.append(note(t, end - t - beat - 10, ch, key, vel))
                    out.append(note(end - beat, beat - 20, ch, between[0], vel * 0.85))
                    held = None
                elif held is not None and held["key"] == key:
                    held["dur"] = end - held["t"] - 20  # the same root again: keep holding it
                else:
                    held = note(t, end - t - 20, ch, key, vel)
                    out.append(held)
    return out


def part(changes: list, *, style: str = "root", base: int = 36, span: int = 14,
         tonic: int | None = None, scale: set[int] | None = None, seed: int | None = 0,
         bar: int = 1920, beat: int = 480, step: int = 240, density: float = 0.7, ch: int = 2,
         vel: int = 90) -> list[dict]:
    """The ``bass`` stage's part over ``changes`` (absolute ticks), then an End at the last
    change's end. ``tonic`` (for pedal) defaults to the first chord's root; ``scale`` (the
    walking line's passing tones) to every chord's tones."""
    if style not in STYLES:
        raise ValueError(f"style must be one of {', '.join(STYLES)}")
    if not changes:
        return []
    _check_bounds(changes, style=style, bar=bar, beat=beat, step=step)
    tonic = changes[0].chord.root if tonic is None else tonic
    scale = scale or {pc for c in changes for pc in c.chord.pcs}
    notes = line(changes, style=style, base=base, span=span, tonic=tonic, scale=scale,
                 rng=stage_rng(seed, "bass"), bar=bar, beat=beat, step=step, density=density,
                 ch=ch, vel=vel)
    return notes + [{"type": "End", "t": changes[-1].end}]


def _check_bounds(changes: list, *, style: str, bar: int, beat: int, step: int) -> None:
    """Refuse (PartError) before any note is made: changes past the stream's last tick, or
    a line of more notes than a part may hold (a chord lasting the whole timeline)."""
    end = max(c.end for c in changes)
    if end > MAX_TICK:
        raise PartError(f"the chords end at tick {end:,}, past the stream's limit {MAX_TICK:,}")
    grid = {"pedal": bar, "walking": beat, "root-fifth": bar // 2, "root": bar}.get(style, step)
    extra = 1 if style == "root" else 0  # root's passing note before the next chord
    count = sum(-(-(c.end - c.start) // grid) + extra for c in changes)
    if count > budget.events():
        raise PartError(f"a {style} line over these chords would hold {count:,} notes, more "
                        f"than {budget.events():,}: shorter chords, or a style with fewer notes")

"""Drum parts for moods: a style's bar pattern per section (the seed picks a variant of its
kick and snare for each theme), fills from a pool where a phrase turns into the next
section, a crash where a section starts, the style's feel (a lofi snare behind the beat, a
pushed jazz ride) and one final hit on the last downbeat.

A style is a pattern per voice on a grid of steps per bar (16 sixteenths, or 12 eighth-note
triplets for swing). Density thins only the voices marked thin (hats, ghost notes): the
kick and the backbeat stay whole, so a four-on-the-floor stays four on the floor.
"""

from __future__ import annotations

from ..rng import Rng
from ..theory import parse_drum

# style -> [(drum, pattern, velocity factor, thin)]; a pattern is one bar, 'x' a hit,
# 'o' a softer hit, '.' silence; its length is the grid (16 or 12 steps a bar).
STYLES: dict[str, list[tuple[str, str, float, bool]]] = {
    "four-on-the-floor": [("kick", "x...x...x...x...", 1.0, False),
                          ("clap", "....x.......x...", 0.9, False),
                          ("closed-hat", "..x...x...x...x.", 0.7, True),
                          ("closed-hat", "o...o...o...o...", 0.45, True),
                          ("open-hat", "..............x.", 0.6, True)],
    "backbeat": [("kick", "x.......x.x.....", 1.0, False),
                 ("snare", "....x.......x...", 0.95, False),
                 ("closed-hat", "x.x.x.x.x.x.x.x.", 0.7, True)],
    "synthwave": [("kick", "x.......x.......", 1.0, False),
                  ("kick", "..........o.....", 0.8, True),
                  ("snare", "....x.......x...", 1.0, False),
                  ("closed-hat", "x.x.x.x.x.x.x.x.", 0.6, True),
                  ("tambourine", "....o.......o...", 0.5, True)],
    "chiptune": [("kick", "x.....x.x.......", 1.0, False),
                 ("snare", "....x.......x..o", 0.9, False),
                 ("closed-hat", "xoxoxoxoxoxoxoxo", 0.55, True)],
    "jazz": [("ride", "x..x.xx..x.x", 0.75, False),   # spang-a-lang on the triplet grid
             ("pedal-hat", "...x.....x..", 0.7, False),  # hi-hat foot on 2 and 4
             ("kick", "o..o..o..o..", 0.35, True),      # feathered
             ("snare", "........o..o", 0.35, True)],    # comping ghosts
    "lofi": [("kick", "x......x..x.....", 0.9, False),
             ("snare", "....x.......x...", 0.8, False),
             ("closed-hat", "x.o.x.o.x.o.x.o.", 0.5, True),
             ("closed-hat", "...........o....", 0.35, True)],
    "cinematic": [("bass-drum", "x.........x.....", 1.0, False),
                  ("low-tom", "......o.......o.", 0.7, True)],
    "heartbeat": [("kick", "x..o............", 0.8, False),
                  ("low-floor-tom", "........o.......", 0.5, True)],
    "march": [("snare", "x.xox.xox.xoxxx.", 0.85, False),
              ("bass-drum", "x.......x.......", 1.0, False)],
    "show": [("kick", "x.......x.......", 0.9, False),
             ("snare", "....x.......x...", 0.85, False),
             ("ride", "x..x.xx..x.x", 0.65, True)],
}
# Swing styles: the 12-step patterns above sit on eighth-note triplets.
# Variants: the seed swaps one voice's pattern for one of these, per theme.
VARIANTS: dict[str, list[tuple[int, str]]] = {
    "four-on-the-floor": [(2, "x.x.x.x.x.x.x.x."), (1, "....x.......x..x")],
    "backbeat": [(0, "x.....x...x....."), (0, "x.......x..x..x."), (2, "x.xxx.x.x.xxx.x.")],
    "synthwave": [(0, "x.....x.x......."), (3, "xxxxxxxxxxxxxxxx")],
    "chiptune": [(0, "x...x...x...x..."), (2, "x.x.x.x.x.x.x.x."), (1, "....x..x....x...")],
    "jazz": [(0, "x..x.xx..xxx"), (3, "....o.....o.")],
    "lofi": [(0, "x.....x...x....."), (0, "x..x......x..x..")],
    "cinematic": [(1, "....o.o.....o.o.")],
    "heartbeat": [(0, "x..o....x..o....")],
    "march": [(0, "x.x.x.xox.x.xxx.")],
    "show": [(0, "x.....x.x.......")],
}
# The style's feel: ticks each drum sits off the grid (+ behind, - ahead of the beat).
FEEL: dict[str, dict[str, int]] = {
    "lofi": {"snare": 22, "closed-hat": 10},
    "jazz": {"ride": -10, "pedal-hat": 4},
    "show": {"ride": -6},
    "backbeat": {"snare": 6},
    "four-on-the-floor": {"closed-hat": -4},
}
TOMS = ("high-tom", "hi-mid-tom", "low-mid-tom", "low-tom", "high-floor-tom", "low-floor-tom")
FILLS = ("toms", "snare-roll", "kick-snare", "open-hat", "triplet-toms")
SWUNG = {"jazz", "show"}


def pattern(style: str, variant: int) -> list[tuple[str, str, float, bool]]:
    """The style's voices with variant ``variant`` (0: as written) swapped in."""
    voices = list(STYLES[style])
    options = VARIANTS.get(style, [])
    if 0 < variant <= len(options):
        i, line = options[variant - 1]
        drum, _, factor, thin = voices[i]
        voices[i] = (drum, line, factor, thin)
    return voices


def feel(style: str | None, key: int) -> int:
    """The ticks a drum of ``style`` sits off the grid."""
    return next((off for drum, off in FEEL.get(style or "", {}).items() if parse_drum(drum) == key), 0)


def _grid_ticks(pattern: str, bar: int) -> list[int]:
    return [i * bar // len(pattern) for i in range(len(pattern))]


def bar_hits(style: str, bar: int, *, density: float, rng: Rng, intensity: int, variant: int = 0
             ) -> list[tuple[int, int, float]]:
    """(offset in the bar, drum key, velocity factor) for one bar of ``style``."""
    out = []
    keep = min(1.0, max(0.15, 2.2 * density - 0.9))  # the hats open up with the section
    for drum, pattern_, factor, thin in pattern(style, variant):
        if thin and intensity < 25:
            continue
        key = parse_drum(drum)
        for offset, mark in zip(_grid_ticks(pattern_, bar), pattern_):
            if mark == "." or (thin and rng.random() > keep):
                continue
            out.append((offset, key, factor * (0.7 if mark == "o" else 1.0)))
    if intensity > 70:  # driven: ghost snares and hats in the gaps
        taken = {o for o, _, _ in out}
        ghost, hat = parse_drum("snare"), parse_drum("closed-hat" if style != "jazz" else "ride")
        grid = 12 if len(STYLES[style][0][1]) == 12 else 16
        for i in range(grid):
            at = i * bar // grid
            if at not in taken and rng.random() < (intensity - 60) / 50:
                out.append((at, ghost if i % 2 else hat, 0.35))
    return out


def fill(kind: str, bar: int, beats: int, beat: int, *, rng: Rng) -> list[tuple[int, int, float]]:
    """A fill of ``kind`` (FILLS) over the last ``beats`` beats of a bar, louder as it goes:
    sixteenths down the toms, a snare roll, kick and snare traded, an open hat into the
    downbeat, or triplets down the toms (for swing)."""
    start = bar - beats * beat
    toms = [parse_drum(t) for t in TOMS]
    snare, kick = parse_drum("snare"), parse_drum("kick")
    per = 3 if kind == "triplet-toms" else 4
    steps = beats * per
    out = []
    for i in range(steps):
        at = start + i * beat // per
        rise = 0.7 + 0.3 * i / max(1, steps - 1)
        if kind == "snare-roll":
            out.append((at, snare, rise * (0.8 if i % 2 else 1.0)))
        elif kind == "kick-snare":
            if i % 2 == 0:
                out.append((at, kick if i % 4 == 0 else snare, rise))
        elif kind == "open-hat":
            if i == steps - 2:
                out.append((at, parse_drum("open-hat"), 0.8))
            elif i % 2 == 0:
                out.append((at, snare, rise))
        else:  # toms, triplet-toms
            if rng.random() < 0.15 and i not in (0, steps - 1):
                continue
            key = snare if i == 0 else toms[min(len(toms) - 1, i * len(toms) // steps)]
            out.append((at, key, rise))
    return out


def vary(hits: list[tuple[int, int, float]], style: str, bar: int, *, rng: Rng
         ) -> list[tuple[int, int, float]]:
    """A drummer's bar-to-bar variation, half the time: a ghost of the style's first
    drum on a free off-beat, a hit left out (never the downbeat), or a note on the bar's
    off-beat sixteenths from its second voice."""
    x = rng.random()
    if x >= 0.5 or not hits:
        return hits
    grid = len(STYLES[style][0][1])
    free = [i * bar // grid for i in range(1, grid) if i * bar // grid not in {h[0] for h in hits}]
    if x < 0.2 and free:
        return hits + [(rng.choice(free), parse_drum(STYLES[style][0][0]), 0.6)]
    if x < 0.35:
        inner = [h for h in hits if h[0] > 0]
        if inner:
            gone = rng.choice(inner)
            return [h for h in hits if h is not gone]
        return hits
    second = STYLES[style][min(1, len(STYLES[style]) - 1)][0]
    if free:
        return hits + [(rng.choice(free), parse_drum(second), 0.5)]
    return hits


def crash_and_kick() -> list[tuple[int, int, float]]:
    """A section's first downbeat, and the piece's final hit: crash and kick together."""
    return [(0, parse_drum("crash"), 0.95), (0, parse_drum("kick"), 1.0)]

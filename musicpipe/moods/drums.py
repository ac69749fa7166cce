"""Drum parts for moods: a style's bar pattern per section, fills at phrase ends, a crash
where a section starts, and one final hit on the last downbeat.

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
              ("bass-drum", "x.......x.......", 1.0, False),
              ("crash", "x...............", 0.6, True)],
    "show": [("kick", "x.......x.......", 0.9, False),
             ("snare", "....x.......x...", 0.85, False),
             ("ride", "x..x.xx..x.x", 0.65, True)],
}
# Swing styles: the 12-step patterns above sit on eighth-note triplets.
TOMS = ("high-tom", "hi-mid-tom", "low-mid-tom", "low-tom", "high-floor-tom", "low-floor-tom")


def _grid_ticks(pattern: str, bar: int) -> list[int]:
    return [i * bar // len(pattern) for i in range(len(pattern))]


def bar_hits(style: str, bar: int, *, density: float, rng: Rng, intensity: int
             ) -> list[tuple[int, int, float]]:
    """(offset in the bar, drum key, velocity factor) for one bar of ``style``."""
    out = []
    keep = min(1.0, 0.35 + density)
    for drum, pattern, factor, thin in STYLES[style]:
        if thin and intensity < 25:
            continue
        key = parse_drum(drum)
        for offset, mark in zip(_grid_ticks(pattern, bar), pattern):
            if mark == "." or (thin and rng.random() > keep):
                continue
            out.append((offset, key, factor * (0.7 if mark == "o" else 1.0)))
    return out


def fill(bar: int, beats: int, beat: int, *, rng: Rng) -> list[tuple[int, int, float]]:
    """A fill over the last ``beats`` beats of a bar: sixteenths down the toms, louder as
    they go, the snare on the first of them."""
    start = bar - beats * beat
    steps = beats * 4
    toms = [parse_drum(t) for t in TOMS]
    out = []
    for i in range(steps):
        if rng.random() < 0.15 and i not in (0, steps - 1):
            continue
        key = parse_drum("snare") if i == 0 else toms[min(len(toms) - 1, i * len(toms) // steps)]
        out.append((start + i * beat // 4, key, 0.75 + 0.25 * i / max(1, steps - 1)))
    return out


def crash_and_kick() -> list[tuple[int, int, float]]:
    """A section's first downbeat, and the piece's final hit: crash and kick together."""
    return [(0, parse_drum("crash"), 0.95), (0, parse_drum("kick"), 1.0)]

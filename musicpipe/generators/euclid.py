"""Euclid: Euclidean rhythms by Bjorklund's algorithm, on General MIDI drums by name."""

from __future__ import annotations

from ..events import PPQ
from ..rng import stage_rng

EUCLID_HELP = (
    "PULSES onsets are spread as evenly as possible over STEPS steps (Bjorklund's algorithm, "
    "as in Toussaint's 'The Euclidean Algorithm Generates Traditional Musical Rhythms'): "
    "3/8 is x..x..x. (the tresillo), 5/8 x.xx.xx., 7/16 x..x.x.x..x.x.x.; a pattern starts on "
    "a pulse. --rotation R starts the cycle R steps later in the pattern, i.e. shifts it R "
    "steps to the left (earlier): 3/8 rotated by 1 is ..x..x.x. --accent adds velocity to the "
    "first pulse of each cycle; --ghost P puts a ghost note (a third of --vel) on each empty "
    "step with probability P; --skip P drops each pulse with probability P; --vel-var V moves "
    "each velocity by a seeded amount in -V..+V. With --repeat, every cycle draws anew."
)

STEP_UNITS = {"1": PPQ * 4, "2": PPQ * 2, "4": PPQ, "8": PPQ // 2, "16": PPQ // 4,
              "32": PPQ // 8, "8t": PPQ // 3, "16t": PPQ // 6, "4t": PPQ * 2 // 3}


def bjorklund(pulses: int, steps: int, rotation: int = 0) -> list[bool]:
    """The Euclidean rhythm E(pulses, steps), rotated ``rotation`` steps to the left.

    >>> "".join("x" if p else "." for p in bjorklund(3, 8))
    'x..x..x.'
    """
    if steps < 1:
        raise ValueError("steps must be at least 1")
    if not 0 <= pulses <= steps:
        raise ValueError(f"pulses must be in 0..{steps} (the number of steps)")
    if pulses == 0:
        return [False] * steps
    # Bjorklund: pair the remainder sequences with the front ones until at most one remains.
    groups = [[True] for _ in range(pulses)]
    rest = [[False] for _ in range(steps - pulses)]
    while len(rest) > 1:
        n = min(len(groups), len(rest))
        paired = [groups[i] + rest[i] for i in range(n)]
        leftover = groups[n:] or rest[n:]
        groups, rest = paired, leftover
    pattern = [step for group in groups + rest for step in group]
    r = rotation % steps
    return pattern[r:] + pattern[:r]


def parse_step(text: str) -> int:
    """A step length: a note value (16 = a sixteenth, 8t = an eighth triplet) or ticks (t120)."""
    text = str(text).strip()
    if text in STEP_UNITS:
        return STEP_UNITS[text]
    if text.startswith("t") and text[1:].isdigit() and int(text[1:]) > 0:
        return int(text[1:])
    raise ValueError(f"step {text!r}: use a note value ({', '.join(STEP_UNITS)}) or ticks like t120")


def part(*, pulses: int, steps: int, rotation: int = 0, note: int = 36, step: int = PPQ // 4,
         vel: int = 100, accent: int = 0, ghost: float = 0.0, vel_var: int = 0,
         skip: float = 0.0, seed: int | None = 0, ch: int = 9, cycles: int = 1,
         salt: str = "") -> list[dict]:
    """``cycles`` cycles of the rhythm from tick 0 as Notes (each one step long), plus an End.

    Random choices (--skip, --ghost, --vel-var) come from ``stage_rng(seed, "euclid", salt)``,
    drawn per step in order, so a cycle differs from the next only when they ask for chance;
    without them ``seed`` is not used (and may be None).
    """
    pattern = bjorklund(pulses, steps, rotation)
    first = pattern.index(True) if pulses else -1
    chancy = ghost > 0 or skip > 0 or vel_var > 0
    rng = stage_rng(seed, "euclid", *([salt] if salt else [])) if chancy else None
    out: list[dict] = []
    for c in range(cycles):
        for i, hit in enumerate(pattern):
            t = (c * steps + i) * step
            if hit:
                v = vel + (accent if i == first else 0)
                if chancy and rng.random() < skip:
                    continue
            elif chancy and rng.random() < ghost:
                v = max(1, vel // 3)
            else:
                continue
            if vel_var:
                v += rng.randint(-vel_var, vel_var)
            out.append({"type": "Note", "t": t, "dur": step, "ch": ch, "key": note,
                        "vel": max(1, min(127, v))})
    out.append({"type": "End", "t": cycles * steps * step})
    return out

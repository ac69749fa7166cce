"""Instrument trims: how many dB each General MIDI program needs to sound as loud as the
others, so a mood's layer levels mean the same whichever instrument the seed picks.

Measured on Debian's FluidR3_GM.sf2 (the default font) by rendering the same phrase with
every program and taking its BS.1770 loudness against the median; other GM fonts are close
enough for a starting balance. Regenerate with ``python -m musicpipe.audio.levels``.
"""

from __future__ import annotations

from ..events import DRUM_CHANNEL

# dB per GM program 0..127, clamped to +-12 (regenerate with python -m musicpipe.audio.levels)
TRIMS = (
    3, 4, -1, 4, -3, 2, 0, 1, 1, 0, 2, 5, 2, 10, -1, 8,
    1, -3, -2, -1, 0, 3, 2, 2, 2, 2, -2, 1, 8, -4, -7, -6,
    0, -1, 0, -2, 4, 2, 1, -5, -2, 1, 3, 3, 0, 1, 2, 12,
    1, -2, -3, -3, 0, -2, 0, 2, 0, -5, -1, -1, -3, -1, -1, 0,
    -2, -3, 0, 0, -2, 2, -1, -4, -1, -1, -1, -2, -3, -4, -6, -3,
    -3, -3, -1, 0, -1, -2, 3, -1, -1, 4, 0, -1, -2, -4, -1, -3,
    -1, 1, 3, -3, -1, 5, 2, -2, 2, 3, 8, 4, 6, -2, -2, 0,
    4, 8, 3, 11, 3, 4, -1, 10, 1, 1, 2, -4, -4, 12, 0, -1,
)
LOW = frozenset((*range(32, 40), 42, 43, 58, 70))   # basses, cello, contrabass, tuba, bassoon
LIMIT = 12


def trim(program: int, ch: int) -> float:
    """The trim in dB for a program on a channel (drum kits: 0)."""
    return 0.0 if ch == DRUM_CHANNEL else float(TRIMS[program])


def phrase(program: int) -> list[dict]:
    """The measuring phrase: eight half notes over a major triad, in the program's register."""
    base = 36 if program in LOW else 60
    keys = [0, 4, 7, 12, 7, 4, 0, 4]
    return [{"type": "ProgramChange", "t": 0, "ch": 0, "program": program}] + [
        {"type": "Note", "t": i * 480, "dur": 480, "ch": 0, "key": base + k, "vel": 90}
        for i, k in enumerate(keys)]


def measure() -> list[int]:
    """Every program's trim, measured now with the SoundFont in use."""
    import statistics

    from .loudness import integrated
    from .synth import RATE, render

    loud = [integrated(render(phrase(p), length=4.5), RATE) for p in range(128)]
    ref = statistics.median(loud)
    return [max(-LIMIT, min(LIMIT, round(ref - x))) for x in loud]


if __name__ == "__main__":
    values = measure()
    rows = [", ".join(f"{v}" for v in values[i:i + 16]) for i in range(0, 128, 16)]
    print("TRIMS = (\n" + "".join(f"    {r},\n" for r in rows) + ")")

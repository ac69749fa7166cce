"""The ending: a ritardando into the final chord where the style allows, and a final chord
that is let go before the piece ends, so its release has died away before the last fade.

The tempo map is built from the tempos MIDI stores (whole microseconds per quarter note),
so the piece still lasts exactly as long as asked: the final chord takes what is left.
"""

from __future__ import annotations

from ...events import PPQ
from .style import RITARDANDO

DEPTH = 0.16        # the final chord's tempo, this much slower than the piece's
HOLD = 1.5          # beats the final chord must keep (at its own tempo) for a ritardando
RELEASE = 1.2       # seconds the final chord is let go before the end


def _us(bpm: float) -> int:
    return round(60_000_000 / bpm)


def ritardando(style: str, *, tempo: float, seconds: float, final_start: int, beat: int,
               bar: int) -> tuple[list[tuple[int, float]], int] | None:
    """The slowing Tempo changes [(tick, bpm)] over the bars before ``final_start`` (two
    bars, else one, else half of one: what leaves the final chord HOLD beats), and the End
    tick that lands on ``seconds``; None where the style keeps time or there is no room."""
    if style not in RITARDANDO or final_start < 2 * bar:
        return None
    us = _us(tempo)
    final_us = round(us / (1 - DEPTH))
    for beats in (2 * bar // beat, bar // beat, max(1, bar // beat // 2)):
        start = final_start - beats * beat
        steps = [round(us / (1 - DEPTH * (i + 1) / (beats + 1))) for i in range(beats)]
        elapsed = (start * us + sum(beat * s for s in steps)) / 1e6 / PPQ
        left = seconds - elapsed
        ticks = round(left * 1e6 / final_us * PPQ)
        if ticks >= HOLD * beat:  # the last tempo fitted to whole ticks: exact to a microsecond
            last = round(left * 1e6 * PPQ / ticks)
            tempos = [(start + i * beat, 60_000_000 / s) for i, s in enumerate(steps)]
            return tempos + [(final_start, 60_000_000 / last)], final_start + ticks
    return None


def release(ticks_left: int, beat: int, bpm: float) -> int:
    """How long the final chord's notes last: let go RELEASE seconds before the end, but
    held at least a beat."""
    early = round(RELEASE * bpm / 60 * PPQ)
    return max(min(beat, ticks_left), ticks_left - early)

"""Whole bars for a mood: the piece ends on a bar line and still lasts its exact seconds.

Without a tempo, the mood's tempo is fitted (``score.timeline.fit_bars``, within +-4 %) so
the piece is whole bars, or whole bars and a shorter last bar with a TimeSig of its own
where none is that close (8 s of a slow mood). A style that slows into its final chord
costs the ritardando's time first, so the body tempo, solved around it, stays near the
mood's too. ``bars`` asks for a number of bars: in the seconds given (the tempo follows),
or at the tempo given (the seconds follow). A loop is the nearest whole number of bars.
"""

from __future__ import annotations

from ..events import PPQ
from ..meter import bar_length, parse_time_sig
from ..scoring.timeline import WHOLE_BARS_TOLERANCE, fit_bars
from .plan import ending
from .plan.style import style_of

DEFAULT_TEMPO = 100


def whole_bars(mood: dict, *, seconds: float | None, tempo: float | None,
               bars: int | None, loop: bool = False) -> tuple[int, list[tuple[int, int, int]], float]:
    """(End tick, TimeSigs [(tick, num, den)], the constant tempo that fills ``seconds``):
    the engine solves the body tempo again around a ritardando. ``FitError`` where the
    bars asked need a tempo outside 20..400 BPM."""
    meter = parse_time_sig(mood.get("time_sig", "4/4"))
    bar = bar_length(*meter)
    nominal = float(tempo or mood.get("tempo", DEFAULT_TEMPO))
    if loop and bars is None:  # a loop is whole bars, no short one: the nearest number
        bars = max(1, round(seconds * nominal / 60 * PPQ / bar))
    if bars is not None:
        if seconds is None:
            return bars * bar, [(0, *meter)], nominal
        fit = fit_bars(seconds, nominal, meter, bars=bars)  # FitError: outside 20..400 BPM
        return fit.ticks, fit.time_sigs(), fit.tempo
    style, beat = style_of(mood), PPQ * 4 // meter[1]
    # a ritardando costs up to a sixth of a short piece, and its cost depends on the bars
    # chosen: fit the spans it may leave, keep the fit whose body tempo is the mood's
    fits = {f.ticks: f for f in (fit_bars(seconds * (1 - k / 72), nominal, meter) for k in range(13))}

    def off(fit) -> tuple[bool, float]:  # the body tempo played, around the ritardando
        played = (fit.ticks + ending.extra(style, fit.ticks, bar, beat)) * 60 / (PPQ * seconds)
        return abs(played / nominal - 1) > WHOLE_BARS_TOLERANCE, abs(played / nominal - 1)

    fit = min(fits.values(), key=lambda f: (off(f)[0], f.short is not None, off(f)[1], f.ticks))
    return fit.ticks, fit.time_sigs(), fit.ticks * 60 / (PPQ * seconds)

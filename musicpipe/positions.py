"""Times as people write them (bar 2, beat 1.5; 6 quarter notes) <-> ticks, under a stream's
time signatures. Shared by notes-as-JSON (``musicpipe.notes``) and editing sessions
(``musicpipe.edit``), so a position means the same thing in both.

A position is one of:

- a number: quarter notes from the start of the piece (0 = the start, 6.5 = the "and" of
  beat 3 in bar 2 of 4/4);
- ``"BAR:BEAT"`` or ``{"bar": BAR, "beat": BEAT}``: bar and beat counted from 1, as a score
  counts them; a beat is the time signature's beat (a quarter in 4/4, an eighth in 6/8) and
  may be fractional (``"2:1.5"`` is half a beat into bar 2); ``"3"`` is bar 3's first beat.

A length is a number of quarter notes, or ``{"bars": N, "beats": M}`` in the meter where it
starts.

    >>> m = Meter([])
    >>> m.tick("2:1.5"), m.tick(6.5), m.position(2160)
    (2160, 3120, '2:1.5')
"""

from __future__ import annotations

from bisect import bisect_right

from .events import MAX_TICK, PPQ
from .meter import bar_count, bar_tick

MAX_BAR = 100_000


class PositionError(ValueError):
    """A position or length that is not one, or lies outside the piece's range."""


class Meter:
    """The bar lines of a stream: ``sigs`` are its TimeSig events (or (t, num, den))."""

    def __init__(self, sigs):
        self.sigs = sorted((s["t"], s["num"], s["den"]) if isinstance(s, dict) else tuple(s)
                           for s in sigs)
        self._starts = [s[0] for s in self.sigs]

    def _sig_at(self, t: int) -> tuple[int, int]:
        i = bisect_right(self._starts, t) - 1
        return (4, 4) if i < 0 else self.sigs[i][1:]

    def bar_start(self, bar: int) -> int:
        """The tick where bar ``bar`` (from 1) starts."""
        return bar_tick(bar - 1, self.sigs)

    def beat_ticks(self, t: int) -> int:
        return PPQ * 4 // self._sig_at(t)[1]

    def bar_ticks(self, t: int) -> int:
        num, den = self._sig_at(t)
        return num * PPQ * 4 // den

    def tick(self, value) -> int:
        """A position (see the module docstring) as a tick."""
        if isinstance(value, dict):
            return self._bar_beat(value.get("bar"), value.get("beat", 1))
        if isinstance(value, str):
            bar, _, beat = value.strip().partition(":")
            try:
                bar, beat = int(bar), float(beat) if beat else 1
            except ValueError:
                raise PositionError(f'"{value}" is not a position like "2:1.5" (bar:beat from 1) '
                                    "or a number of quarter notes") from None
            return self._bar_beat(bar, beat)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise PositionError(f"{value!r} is not a position (a number of quarter notes, "
                                '"bar:beat" or {"bar":..,"beat":..})')
        if not 0 <= value <= MAX_TICK / PPQ:
            raise PositionError(f"{value:g} quarter notes is outside 0..{MAX_TICK // PPQ}")
        return round(value * PPQ)

    def _bar_beat(self, bar, beat) -> int:
        if isinstance(bar, bool) or not isinstance(bar, int) or not 1 <= bar <= MAX_BAR:
            raise PositionError(f"bar {bar!r} is outside 1..{MAX_BAR}")
        start = self.bar_start(bar)
        num, _ = self._sig_at(start)
        if isinstance(beat, bool) or not isinstance(beat, (int, float)) or not 1 <= beat < num + 1:
            shown = f"{beat:g}" if isinstance(beat, (int, float)) else repr(beat)
            raise PositionError(f"beat {shown} is not in bar {bar}, which has {num} beats "
                                f"(1 up to but not including {num + 1})")
        t = start + round((beat - 1) * self.beat_ticks(start))
        if t > MAX_TICK:
            raise PositionError(f"bar {bar} beat {beat:g} is past the longest piece")
        return t

    def length(self, value, at: int) -> int:
        """A length starting at tick ``at`` as ticks (at least 1)."""
        if isinstance(value, dict):
            bars, beats = value.get("bars", 0), value.get("beats", 0)
            ticks = round(bars * self.bar_ticks(at) + beats * self.beat_ticks(at))
        elif isinstance(value, bool) or not isinstance(value, (int, float)):
            raise PositionError(f'{value!r} is not a length (quarter notes or {{"bars":..,"beats":..}})')
        else:
            ticks = round(value * PPQ)
        if ticks < 1:
            raise PositionError(f"{value!r} is shorter than one tick (1/{PPQ} of a quarter note)")
        if at + ticks > MAX_TICK:
            raise PositionError(f"{value!r} from there ends past the longest piece")
        return ticks

    def position(self, t: int) -> str:
        """A tick as ``"BAR:BEAT"`` (the beat with up to 3 decimals)."""
        bar = bar_count(t + 1, self.sigs)
        start = self.bar_start(bar)
        beat = 1 + (t - start) / self.beat_ticks(start)
        return f"{bar}:{round(beat, 3):g}"

    def bars(self, text: str) -> tuple[int, int]:
        """``"3"`` or ``"3-4"`` (bars from 1, inclusive) as the ticks [start, end)."""
        first, _, last = str(text).strip().partition("-")
        try:
            a, b = int(first), int(last) if last else int(first)
        except ValueError:
            raise PositionError(f'"{text}" is not bars like "3" or "3-4"') from None
        if not 1 <= a <= b <= MAX_BAR:
            raise PositionError(f'bars "{text}": first and last in 1..{MAX_BAR}, first <= last')
        return self.bar_start(a), self.bar_start(b + 1)

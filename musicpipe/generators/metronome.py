"""Metronome: a click on every beat of the stream's meter, the downbeats accented.

The clicks are ticks on the bar lines of the stream's TimeSigs, so they follow its Tempo
events by themselves (a tempo map turns the same ticks into other seconds), for recording
against in a DAW.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..meter import bar_lines


def clicks(end: int, sigs: list[tuple[int, int, int]], *, ch: int = 9, key: int = 77,
           accent_key: int = 76, vel: int = 90, accent_vel: int = 120) -> Iterator[dict]:
    """A Note on each beat (the TimeSig's denominator: eighths in 6/8) before ``end``; the
    first beat of each bar uses ``accent_key`` and ``accent_vel``. A click lasts a 16th or
    its beat, whichever is shorter. Lazy: a caller can stop at a size it refuses.

    >>> [(n["t"], n["key"]) for n in clicks(1440, [(0, 3, 4)])]
    [(0, 76), (480, 77), (960, 77)]
    """
    for start, beats, beat in bar_lines(sorted(sigs)):
        if start >= end:
            return
        for k in range(beats):
            t = start + k * beat
            if t >= end:
                return
            yield {"type": "Note", "t": t, "dur": min(120, beat, end - t), "ch": ch,
                   "key": accent_key if k == 0 else key, "vel": accent_vel if k == 0 else vel}

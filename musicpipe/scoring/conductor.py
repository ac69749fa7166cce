"""The conductor's part of a scored piece: everything but the notes, as stream events.

Tempo events for the fitted tempo map (ramps included), a TimeSig wherever the meter
changes (short bars too), a KeySig where a region's key differs from the one before, a
Marker naming each region and each hit, loopStart/loopEnd for a loop, and the End on the
last bar line. The moods' notes go between them; none of this depends on how they are made.
"""

from __future__ import annotations

from ..harmony import key_event
from ..looppoints import loop_markers
from .check import Resolved
from .plan import Plan
from .timeline import Timeline

_ORDER = {"Tempo": 0, "TimeSig": 1, "KeySig": 2, "Marker": 3, "End": 4}


def conductor(plan: Plan, regions: list[Resolved], timeline: Timeline) -> list[dict]:
    """The events, sorted by tick (at one tick: Tempo, TimeSig, KeySig, Marker, End)."""
    out = [{"type": "Tempo", "t": t, "bpm": bpm} for t, bpm in timeline.tempos]
    out += [{"type": "TimeSig", "t": t, "num": num, "den": den}
            for t, num, den in timeline.time_sigs]
    key = None
    for r, placed in zip(regions, timeline.regions):
        if r.key != key:
            out.append(key_event(*r.key, t=placed.tick))
            key = r.key
        out.append({"type": "Marker", "t": placed.tick, "text": r.name})
    for h in plan.hit:
        out.append({"type": "Marker", "t": timeline.tick_at(h.at), "text": h.label or h.kind})
    if plan.loop:
        out += loop_markers(0, timeline.end_tick)
    out.append({"type": "End", "t": timeline.end_tick})
    out.sort(key=lambda e: (e["t"], _ORDER[e["type"]]))
    return out

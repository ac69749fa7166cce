"""Placing a generator's part: where it starts (``--at``), how often it repeats, its header.

A generator is a pure function ``part(...) -> list[dict]`` that writes its notes from tick 0;
``place`` puts the part where it belongs, repeats it and adds the header a DAW needs (Tempo
when asked for, ProgramChange, a Marker naming the track).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .. import budget
from ..events import MAX_TICK, PPQ
from ..meter import bar_tick

_AT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(b|beats?|bars?|t|ticks?)?\s*$", re.I)


class PartError(ValueError):
    """A part that would not fit the stream: past tick 2^31-1, or too many notes."""


def check_size(notes: int, repeat: int = 1) -> None:
    """Refuse a part of more notes than ``budget.events()`` (2,000,000 in the shell) before
    building it."""
    if notes * repeat > budget.events():
        raise PartError(f"the part would hold {notes * repeat:,} notes, more than "
                        f"{budget.events():,}: "
                        "lower --repeat or the part's length")


AT_HELP = ("Start time: beats (`8`, `8b`), bars (`2bars`, in the stream's time signature, "
           "4/4 by default) or ticks (`960t`).")


def parse_at(text: str | int | float) -> tuple[float, str]:
    """``'8'`` -> (8, 'beats'); ``'2bars'`` -> (2, 'bars'); ``'960t'`` -> (960, 'ticks')."""
    m = _AT.match(str(text))
    if not m:
        raise ValueError(f"{text!r} is not a start time: use beats (8), bars (2bars) or ticks (960t)")
    unit = (m.group(2) or "b").lower()
    kind = "bars" if unit.startswith("bar") else "ticks" if unit.startswith("t") else "beats"
    return float(m.group(1)), kind


def at_tick(at: tuple[float, str] | None, sigs: Iterable[tuple[int, int, int]] = ()) -> int:
    """The tick of a parsed ``--at``; bars follow ``sigs`` ((t, num, den) TimeSigs)."""
    if at is None:
        return 0
    amount, kind = at
    if kind == "ticks":
        start = round(amount)
    elif kind == "beats":
        start = round(amount * PPQ)
    else:
        whole = int(amount)
        start = bar_tick(whole, sigs)
        if amount != whole:
            start += round((bar_tick(whole + 1, sigs) - start) * (amount - whole))
    if start > MAX_TICK:
        raise PartError(f"--at is tick {start:,}, past the stream's limit {MAX_TICK:,}")
    return start


def span(events: Iterable[dict]) -> int:
    """The length of a part: its End, else the latest end of anything in it."""
    end = 0
    for ev in events:
        if ev["type"] == "End":
            return ev["t"]
        end = max(end, ev.get("t", 0) + ev.get("dur", 0))
    return end


def place(part: list[dict], *, start: int = 0, repeat: int = 1, length: int | None = None,
          ch: int | None = None, program: int | None = None, bpm: float | None = None,
          name: str | None = None, time_sig: tuple[int, int] | None = None) -> list[dict]:
    """A part placed at ``start``, played ``repeat`` times (each ``length`` ticks long,
    default the part's span), behind its header: Tempo and TimeSig (only when ``bpm`` and
    ``time_sig`` are given), a Marker naming the track and the ProgramChange (for ``ch``).
    End lines in ``part`` only set its length; the result has none, so layered parts never
    cut each other short.
    """
    length = span(part) if length is None else length
    body = [ev for ev in part if ev["type"] != "End"]
    check_size(len(body), repeat)
    last = start + (repeat - 1) * length + max(
        [ev.get("t", 0) + ev.get("dur", 0) for ev in body], default=0)
    if last > MAX_TICK:
        raise PartError(f"the part would end at tick {last:,}, past the stream's limit "
                        f"{MAX_TICK:,} (about 621 hours at 120 BPM): lower --at, --repeat "
                        "or the lengths")
    out: list[dict] = []
    if bpm is not None:
        out.append({"type": "Tempo", "t": start, "bpm": bpm})
    if time_sig is not None:
        out.append({"type": "TimeSig", "t": start, "num": time_sig[0], "den": time_sig[1]})
    if name and ch is not None:
        out.append({"type": "Marker", "t": start, "ch": ch, "text": name})
    if program is not None and ch is not None:
        out.append({"type": "ProgramChange", "t": start, "ch": ch, "program": program})
    for n in range(repeat):
        shift = start + n * length
        for ev in body:
            ev = ev.copy()
            ev["t"] += shift
            out.append(ev)
    return out

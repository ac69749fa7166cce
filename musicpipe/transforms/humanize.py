"""Humanize: seeded timing, velocity and length variation, with optional swing.

A note never starts before 0, never ends before it starts, and never overlaps its own next
repetition on the same channel and key. That last rule needs to see the next note on the key,
so each note is held back until that note arrives or until the input's time has moved past
the held note's end plus the largest timing shift: no later note can reach back over it then.
At most one note per channel and key (2048) is held, so memory stays bounded and output
keeps flowing while input arrives.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from heapq import heappop, heappush
from math import floor
from itertools import chain

from ..events import MAX_TICK, PPQ
from ..rng import stage_rng
from ..stream import dicts, is_typed, time_of

SWING_TICKS = PPQ // 6
"""Full swing (1.0) moves an off-beat eighth to the last triplet of the beat: 80 ticks later."""

AMOUNT_HELP = (
    "Amounts are ticks (480 per quarter note) or a percentage: --timing 5% is 5% of a "
    "quarter note (24 ticks), --velocity 10% and --length 10% are of each note's own velocity "
    "and length. Each note moves by a uniform random amount in -N..+N. --swing S (0..1) "
    "delays notes that start on an off-beat eighth by S x 80 ticks (1 = triplet swing); one "
    "that ended by the next beat keeps its end. A note is held back until the next note on its "
    "key arrives or the input has moved past it (bounded: one note per channel and key), and "
    "is shortened if its next repetition would start before it ends. That guarantee is exact "
    "when each channel's notes arrive in time order, as every generator writes them. Times "
    "and lengths stay inside the stream's range: a start is clamped to 0..2147483647, a "
    "length to 1..2147483647."
)


def parse_amount(value: int | float | str, what: str) -> tuple[float, bool]:
    """``10`` -> (10, False) ticks or units; ``"5%"`` -> (0.05, True) a fraction."""
    text = str(value).strip()
    pct = text.endswith("%")
    try:
        amount = float(text[:-1]) / 100 if pct else int(text)
    except ValueError:
        raise ValueError(f"{what} must be a whole number or a percentage like 5%, got {value!r}") from None
    if not 0 <= amount <= (1 if pct else MAX_TICK):  # nan fails this too
        raise ValueError(f"{what} must be 0..100% or a whole number 0..{MAX_TICK}, got {value!r}")
    return amount, pct


def humanize(events: Iterable[dict], seed: int, *, timing: int | str = 10,
             velocity: int | str = 8, length: int | str = 0, swing: float = 0.0,
             channels: Iterable[int] | None = None, salt: str = "") -> Iterator[dict]:
    """Vary each Note's start, velocity and length by seeded random amounts (see AMOUNT_HELP).

    Every note draws three numbers (timing, velocity, length) from
    ``stage_rng(seed, "humanize", salt)`` in input order, so the same seed and input give the same output, and changing one amount leaves
    the others' draws alone. ``channels`` limits the change to those channels. Other events
    pass at once, but the End is held to the end: the last notes are kept inside it (cut
    short, never moved past it). Notes come out when released (see the module docstring),
    in order of their release time (end + largest timing shift), ties by channel and key.
    """
    batches = [events] if isinstance(events, list) else ([ev] for ev in events)
    return chain.from_iterable(humanize_batches(batches, seed, timing=timing, velocity=velocity,
                                                length=length, swing=swing, channels=channels,
                                                salt=salt))


def humanize_batches(batches: Iterable[list[dict]], seed: int, *, timing: int | str = 10,
                     velocity: int | str = 8, length: int | str = 0, swing: float = 0.0,
                     channels: Iterable[int] | None = None, salt: str = "",
                     in_place: bool = False) -> Iterator[list[dict]]:
    """``humanize`` over lists of events: a list out for each list in (the notes released by
    then), and a last one at the end. ``in_place`` changes the notes themselves, for lists
    nobody else holds (a stage's freshly read batches)."""
    if not 0 <= swing <= 1:
        raise ValueError(f"swing must be 0..1, got {swing}")
    t_amt, t_pct = parse_amount(timing, "timing")
    v_amt, v_pct = parse_amount(velocity, "velocity")
    l_amt, l_pct = parse_amount(length, "length")
    if t_pct:
        t_amt = round(t_amt * PPQ)
    t_amt = int(t_amt)
    t_span = 2 * t_amt + 1
    v_span = 2 * v_amt + 1
    l_span = 2 * l_amt + 1
    delay = round(swing * SWING_TICKS)
    beat, half = PPQ, PPQ // 2
    only = frozenset(channels) if channels else frozenset(range(16))
    some = len(only) < 16  # else every channel: no test per note
    rnd = stage_rng(seed, "humanize", *([salt] if salt else [])).random

    # floor() below is int() for these non-negative numbers, at two thirds of its cost.
    # Held notes by channel*128+key: (release time, the note, its input t, new t, new dur).
    # A heap entry whose key has since been released, or held again with another release
    # time, is skipped.
    held: dict[int, tuple] = {}
    heap: list[tuple[int, int]] = []
    now = 0
    end = None  # the stream's End, held back so that the last notes can be kept inside it
    note_cls = end_cls = None  # the Structs' classes, once a typed batch comes
    for batch in batches:
        out: list = []
        emit = out.append
        typed = is_typed(batch)
        fresh = in_place
        if typed and not in_place:
            batch, typed, fresh = dicts(batch), False, True
        elif typed and note_cls is None:
            from ..structs import End as end_cls, Note as note_cls  # noqa: N813
        for ev in batch:
            if typed:
                if ev.__class__ is not note_cls or some and ev.ch not in only:
                    if ev.__class__ is end_cls:
                        end = ev if end is None or ev.t >= time_of(end) else end
                    else:
                        emit(ev)
                    continue
                t0, dur, vel, k = ev.t, ev.dur, ev.vel, ev.ch << 7 | ev.key
            else:
                typ = ev["type"]
                if typ != "Note" or ev["ch"] not in only:
                    if typ == "End":
                        end = ev if end is None or ev["t"] >= time_of(end) else end
                    else:
                        emit(ev)
                    continue
                if not fresh:
                    ev = ev.copy()
                t0, dur, vel, k = ev["t"], ev["dur"], ev["vel"], ev["ch"] << 7 | ev["key"]
            if t0 > now:
                now = t0
                while heap and heap[0][0] <= now:
                    r, hk = heappop(heap)
                    h = held.get(hk)
                    if h is not None and h[0] == r:
                        del held[hk]
                        emit(h[1])
            t = t0 + floor(rnd() * t_span) - t_amt
            if delay and t0 % beat == half:
                t += delay
                if t0 % beat + dur <= beat and dur > delay:
                    dur -= delay
            if t < 0:
                t = 0
            elif t > MAX_TICK:
                t = MAX_TICK
            if v_pct:
                a = floor(vel * v_amt + 0.5)
                vel += floor(rnd() * (2 * a + 1)) - a
            else:
                vel += floor(rnd() * v_span) - v_amt
            if vel < 1:
                vel = 1
            elif vel > 127:
                vel = 127
            if not l_amt:
                rnd()  # drawn all the same: the amounts' draws stay independent
            else:
                if l_pct:
                    a = floor(dur * l_amt + 0.5)
                    dur += floor(rnd() * (2 * a + 1)) - a
                else:
                    dur += floor(rnd() * l_span) - l_amt
                if dur < 1:
                    dur = 1
                elif dur > MAX_TICK:
                    dur = MAX_TICK
            h = held.get(k)
            if h is not None:
                pt = h[3]
                if t0 >= h[2]:  # the held note's next repetition: start after it, cut it short
                    if t <= pt:
                        t = min(pt + 1, MAX_TICK)
                    if pt + h[4] > t:
                        _set(h[1], pt, max(1, t - pt))
                    emit(h[1])
                else:  # an earlier note arriving late: keep it clear of the held one if it can
                    if t < pt < t + dur:
                        dur = pt - t
                    emit(_set(ev, t, dur, vel))
                    continue
            if typed:
                ev.t, ev.dur, ev.vel = t, dur, vel
            else:
                ev["t"], ev["dur"], ev["vel"] = t, dur, vel
            release = t + dur + t_amt
            held[k] = (release, ev, t0, t, dur)
            heappush(heap, (release, k))
        yield out
    out = []
    for _, h in sorted(held.items(), key=_release_order):
        if end is not None and h[3] + h[4] > time_of(end):  # never past the End
            t = max(0, min(h[3], time_of(end) - 1))  # an End at 0 holds no note
            _set(h[1], t, max(1, time_of(end) - t))
        out.append(h[1])
    if end is not None:
        out.append(end)
    yield out


def _set(ev, t: int, dur: int, vel: int | None = None):
    """A note (a dict or a Struct) given a new time, length and maybe velocity."""
    if ev.__class__ is dict:
        ev["t"], ev["dur"] = t, dur
        if vel is not None:
            ev["vel"] = vel
    else:
        ev.t, ev.dur = t, dur
        if vel is not None:
            ev.vel = vel
    return ev


def _release_order(item: tuple[int, list]) -> tuple[int, int]:
    return item[1][0], item[0]  # release time, then channel and key

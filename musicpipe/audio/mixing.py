"""The mix as MIDI controllers: level, pan, reverb and chorus sends, expression, sustain.

A mix is written into the stream as ControlChange events, so the .mid carries it into a DAW
and the renderer plays it. FluidSynth follows the SoundFont 2 default modulators: CC 7
(volume) and CC 11 (expression) each attenuate by 40 x log10(value / 127) dB, CC 10 pans
(64 = centre), CC 91 and CC 93 are the reverb and chorus sends. Levels here are dB below
full volume (0 dB = CC 7 127; the GM default 100 is -4.2 dB).

    >>> level_cc(-6), pan_cc(parse_pan("L30")), parse_curve("64>127")
    (90, 45, [64, 127])
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from ..events import DRUM_CHANNEL, PPQ
from .levels import trim

VOLUME, PAN, EXPRESSION, SUSTAIN, REVERB, CHORUS = 7, 10, 11, 64, 91, 93
FIELDS = {"level": VOLUME, "pan": PAN, "reverb": REVERB, "chorus": CHORUS,
          "expression": EXPRESSION, "sustain": SUSTAIN}
MIN_LEVEL = -60.0
SIDE_PAN = 0.35          # where side layers (keys, arps) sit, alternately left and right
PEDAL_LIFT = 30          # ticks the pedal stays up at a change: the old chord stops ringing
CURVE_STEP = PPQ // 4    # an expression curve moves in sixteenth-note steps
MAX_CONTROLLERS = 2_000_000  # the most pedal events one mix writes: more is refused, not tried

# Role defaults, the way a mixing engineer starts: bass and kick centred and dry of chorus;
# the lead centred, forward (louder) and nearly dry; pads centred (their stereo samples are
# already wide) with more reverb; keys and arps to the sides. Levels leave headroom below
# CC 7 127, so instrument trims (musicpipe.levels) can raise a quiet instrument.
ROLES: dict[str, dict] = {
    "lead": {"level": -10.0, "pan": 0.0, "reverb": 30, "chorus": 0},
    "bass": {"level": -12.0, "pan": 0.0, "reverb": 10, "chorus": 0},
    "drums": {"level": -12.0, "pan": 0.0, "reverb": 20, "chorus": 0},
    "pad": {"level": -16.0, "pan": 0.0, "reverb": 60, "chorus": 20},
    "keys": {"level": -14.0, "pan": "side", "reverb": 40, "chorus": 0},
    "arp": {"level": -12.0, "pan": "side", "reverb": 40, "chorus": 0},
}
PIANOS = range(0, 6)     # acoustic and electric pianos: pedalled by default


def role_of(generator: str, pattern: str | None = None) -> str:
    """A layer's role from what plays it: motif/seq lead, bass, drums, arp, pad or keys."""
    if generator in ("motif", "seq"):
        return "lead"
    if generator == "euclid":
        return "drums"
    if generator in ("bass", "arp"):
        return generator
    return "pad" if pattern in (None, "sustained") else "keys"


def level_cc(db: float) -> int:
    """dB below full volume -> CC 7 (or CC 11) value, 1..127."""
    if not MIN_LEVEL <= db <= 0:
        raise ValueError(f"level {db:g} dB is out of range {MIN_LEVEL:g}..0")
    return max(1, min(127, round(127 * 10 ** (db / 40))))


_PAN_WORDS = {"c": 0.0, "center": 0.0, "centre": 0.0, "middle": 0.0, "l": -1.0, "left": -1.0,
              "r": 1.0, "right": 1.0}


def parse_pan(v: float | int | str) -> float:
    """-1 (left) .. 1 (right), or words: L, R, C, left, right, centre, L30 / R30 (percent)."""
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        p = float(v)
    else:
        word = str(v).strip().lower()
        if word in _PAN_WORDS:
            p = _PAN_WORDS[word]
        elif word[:1] in ("l", "r") and word[1:].isdigit():
            p = int(word[1:]) / 100 * (-1 if word[0] == "l" else 1)
        else:
            try:
                p = float(word)
            except ValueError:
                raise ValueError(f"pan {v!r}: give -1..1, or L, R, C, L30, R50") from None
    if not -1 <= p <= 1:
        raise ValueError(f"pan {v!r} is out of range -1..1 (L100..R100)")
    return p


def pan_cc(p: float) -> int:
    """-1..1 -> CC 10: 0 hard left, 64 centre, 127 hard right."""
    return max(0, min(127, round(64 + p * 64)))


def parse_curve(v: int | str) -> list[int]:
    """An expression: one CC 11 value, or a curve of values spread evenly over the piece,
    written "64>127>64" (a swell) or "127>40" (a fade)."""
    points = [v] if isinstance(v, int) and not isinstance(v, bool) else str(v).split(">")
    try:
        out = [int(p) for p in points]
    except ValueError:
        raise ValueError(f"expression {v!r}: give 0..127 or a curve like 64>127>64") from None
    if not all(0 <= p <= 127 for p in out):
        raise ValueError(f"expression {v!r}: values are 0..127")
    return out


def _cc(t: int, ch: int, cc: int, value: int) -> dict:
    return {"type": "ControlChange", "t": t, "ch": ch, "cc": cc, "value": value}


def controllers(ch: int, mix: dict, *, end: int = 0, changes: list[int] = ()) -> list[dict]:
    """The ControlChange events of one channel's mix, in time order.

    ``mix`` holds any of level (dB), pan (-1..1 or words), reverb, chorus (sends 0..127),
    expression (a value or a curve, spread over ``end`` ticks) and sustain (true: the pedal
    goes down after each of ``changes`` (chord starts) and lifts at the next).
    """
    out = []
    if "level" in mix:
        out.append(_cc(0, ch, VOLUME, level_cc(mix["level"])))
    if "pan" in mix:
        out.append(_cc(0, ch, PAN, pan_cc(parse_pan(mix["pan"]))))
    for name in ("reverb", "chorus"):
        if name in mix:
            out.append(_cc(0, ch, FIELDS[name], int(mix[name])))
    if "expression" in mix:
        out += expression(ch, parse_curve(mix["expression"]), end)
    if mix.get("sustain"):
        out += sustain(ch, changes or [0], end)
    elif "sustain" in mix:
        out.append(_cc(0, ch, SUSTAIN, 0))
    return sorted(out, key=lambda e: e["t"])


def expression(ch: int, curve: list[int], end: int) -> list[dict]:
    """CC 11 along a curve of evenly spread points from 0 to ``end``, in sixteenth steps
    (only where the value changes). The work follows the changes, not the length: within
    a segment the value moves one way, so the next change is found by bisection (a curve
    over 2^31 ticks costs what one over a bar does)."""
    if len(curve) == 1 or end <= 0:
        return [_cc(0, ch, EXPRESSION, curve[0])]
    segment = end / (len(curve) - 1)

    def at(k: int) -> tuple[int, int]:  # (segment, value) at the k-th sixteenth
        pos = min(k * CURVE_STEP / segment, len(curve) - 1.0)
        i = min(int(pos), len(curve) - 2)
        return i, round(curve[i] + (curve[i + 1] - curve[i]) * (pos - i))

    out, k, last, before = [], 0, end // CURVE_STEP, None
    while k <= last:
        here = at(k)
        if here[1] != before:
            out.append(_cc(k * CURVE_STEP, ch, EXPRESSION, here[1]))
            before = here[1]
        lo, hi = k + 1, last + 1  # the first step after k in another segment or at another value
        while lo < hi:
            mid = (lo + hi) // 2
            if at(mid) != here:
                hi = mid
            else:
                lo = mid + 1
        k = lo
    return out


def sustain(ch: int, changes: list[int], end: int) -> list[dict]:
    """Legato pedalling: up at each change, down again PEDAL_LIFT ticks later (so the new
    notes are caught and the old ones stop), up at the end."""
    out = []
    for t in sorted(set(changes)):
        if t >= end and end > 0:
            break
        if t > 0:
            out.append(_cc(t, ch, SUSTAIN, 0))
        out.append(_cc(t + (PEDAL_LIFT if t > 0 else 0), ch, SUSTAIN, 127))
    if end > 0:
        out.append(_cc(end, ch, SUSTAIN, 0))
    return out


def layer_mix(layer: dict, role: str, *, side: int = 0, program: int | None = None,
              trim: float = 0.0) -> dict:
    """A mood layer's mix: its own fields over the role's defaults. ``side`` numbers the
    side layers (0 left, 1 right, ...); ``trim`` (dB) levels the instrument (see levels.py)
    and is added to the level; pianos are pedalled unless the layer says otherwise."""
    mix = {**ROLES[role], **{k: layer[k] for k in FIELDS if k in layer}}
    if mix["pan"] == "side":
        mix["pan"] = SIDE_PAN * (-1 if side % 2 == 0 else 1)
    mix["level"] = max(MIN_LEVEL, min(0.0, mix["level"] + trim))
    if "sustain" not in layer and program in PIANOS and role != "drums":
        mix["sustain"] = True
    return mix


def mood_controllers(layers: list[tuple[dict, str, int, int]], *, changes: list[int],
                     end: int) -> list[dict]:
    """The controllers of a mood's layers, each (layer, generator, channel, program): the
    layer's mix fields over its role's defaults and its instrument's trim; side layers
    alternate left and right; sustain re-pedals at each of ``changes`` (chord starts)."""
    out, side = [], 0
    for layer, generator, ch, program in layers:
        role = role_of(generator, layer.get("pattern"))
        drums = ch == DRUM_CHANNEL
        mix = layer_mix(layer, role, side=side, program=None if drums else program,
                        trim=trim(program, ch))
        side += ROLES[role]["pan"] == "side" and "pan" not in layer
        out += controllers(ch, mix, end=end, changes=changes)
    return out


def remix(events: Iterable[dict], channels: Iterable[int], mix: dict, *,
          pedal_every: int | None = None) -> Iterator[dict]:
    """The stream with ``mix`` set on ``channels`` (the mix stage): the controllers it names
    replace any of the same number already on those channels, and are written after the
    Seed (at t=0; a curve or pedalling over time). It streams, except that an expression
    curve or pedalling every ``pedal_every`` ticks needs the piece's end, so then the stream
    is read first (its End, else its last note's end)."""
    channels = sorted(set(channels))
    ccs = {FIELDS[k] for k in mix}
    needs_end = "expression" in mix and len(parse_curve(mix["expression"])) > 1 or bool(
        mix.get("sustain"))
    events = iter(events) if not needs_end else list(events)
    end, changes = 0, []
    if needs_end:
        ends = [e["t"] for e in events if e.get("type") == "End"]
        end = max(ends) if ends else max((e["t"] + e.get("dur", 0) for e in events
                                          if e.get("type") == "Note"), default=0)
        every = pedal_every or max(end, 1)
        pedals = -(-max(end, 1) // every)
        if 2 * pedals > MAX_CONTROLLERS:
            from ..stream import DataError

            raise DataError(f"pedalling every {every} ticks over the piece's {end:,} ticks "
                            f"would write {2 * pedals:,} controllers, more than "
                            f"{MAX_CONTROLLERS:,}: a longer --sustain, or a shorter piece")
        changes = list(range(0, max(end, 1), every))
    head = next(events, None) if not needs_end else (events.pop(0) if events else None)
    if head is not None and head.get("type") == "Seed":
        yield head
        head = None
    for ch in channels:
        yield from controllers(ch, mix, end=end, changes=changes)
    if head is not None:
        events = [head, *events] if needs_end else _chain(head, events)
    for ev in events:
        if ev.get("type") == "ControlChange" and ev["ch"] in channels and ev["cc"] in ccs:
            continue
        yield ev


def _chain(first: dict, rest: Iterator[dict]) -> Iterator[dict]:
    yield first
    yield from rest


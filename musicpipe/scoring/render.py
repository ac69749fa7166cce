"""A score plan played: one piece, its regions composed by the mood engine on the fitted timeline.

Each region is its mood in its key, ``RegionFit.ticks`` long, with the intensity curve bar
by bar (``moods.arrange.region``); every region but the last leads into the next one's key
(a pivot and the new dominant) and its drums fill into it; the last ends with a cadence and
its final chord, slowing into it where its mood would (the timeline's ritardando; ``ending
= "ring"`` lets the chord ring to the end, ``"fade"`` plays on and fades),
or in a loop leads back into the first. One seed drives every region, so a mood that comes
back brings its themes back. Layers keep a channel for the whole piece (a DAW track each:
``calm``'s melody and ``heroic``'s are two tracks) while channels last, and the hits and the
joins are played by the band (``strikes``). The conductor (``conductor``) adds tempo, meter,
keys, markers and the End.
"""

from __future__ import annotations

from ..audio.mixing import controllers
from ..events import DRUM_CHANNEL, PPQ
from ..harmony import tonic
from ..meter import bar_length
from ..rng import stage_rng
from ..theory import track_name
from . import strikes
from .check import check
from .conductor import conductor
from .plan import Plan
from .timeline import Timeline, bar_intensities

FADE_SECONDS = 4.0  # a fade ending: at least the last two bars, at least this long
ROLES = {"motif": "melody", "chords": "chords", "arp": "chords", "bass": "bass"}


class Channels:
    """A channel for each (mood, layer) of the piece, the drums on the drum channel: new
    layers take free channels, and when none is left the one whose layer played least
    recently is handed over (its program and mix set again where it changes hands)."""

    def __init__(self) -> None:
        self.owner: dict[tuple[str, str], int] = {}
        self.last_used: dict[int, int] = {}  # channel -> the last region that used it

    def take(self, index: int, mood: str, layer: str, drums: bool) -> int:
        if drums:
            return DRUM_CHANNEL
        key = (mood, layer)
        if key in self.owner and self.last_used.get(self.owner[key], -1) != index:
            ch = self.owner[key]
        else:
            free = [c for c in range(16) if c != DRUM_CHANNEL and c not in self.last_used]
            if free:
                ch = free[0]
            else:
                ch = min((c for c in self.last_used if self.last_used[c] != index),
                         key=lambda c: (self.last_used[c], c))
                self.owner = {k: c for k, c in self.owner.items() if c != ch}
            self.owner[key] = ch
        self.last_used[ch] = index
        return ch


def compose(plan: Plan, library, *, seed: int) -> list[dict]:
    """The piece as stream events, from the Seed to the End (``PlanError`` for a bad plan)."""
    from ..moods.arrange import region

    regions, timeline = check(plan, library)
    lines = timeline.bars()
    channels = Channels()
    notes: list[dict] = []
    other: list[dict] = []  # Chord events, lifts' KeySigs, controllers, programs, names
    named: set[int] = set()
    bands: list[tuple[int, int, list[tuple[int, int, object]], dict]] = []
    last = len(regions) - 1
    for i, (r, placed) in enumerate(zip(regions, timeline.regions)):
        mood = library.resolve(r.mood)
        bars = [(s, e) for (t, s), (_, e) in zip(lines, lines[1:])
                if placed.tick <= t < placed.end_tick]
        onward = (regions[i + 1].key if i < last else regions[0].key if plan.loop
                  else r.key if plan.ending == "fade" else None)
        part = region(mood, ticks=placed.end_tick - placed.tick, key=r.key, tempo=placed.tempo,
                      levels=bar_intensities(bars, r.intensity), seed=seed, onward=onward)
        where = {ch: channels.take(i, r.mood, name, ch == DRUM_CHANNEL)
                 for name, (_, ch) in part.layers.items()}
        at = placed.tick
        for e in part.head:
            ch = where.get(e.get("ch"), e.get("ch"))
            if e["type"] == "Marker":  # a track's name: the region's, then the layer's
                if ch in named:
                    continue
                named.add(ch)
                region_name = "" if ch == DRUM_CHANNEL else r.name.replace("_", " ").title() + " "
                e = dict(e, t=0, text=region_name + e["text"])  # (the drums: every region's)
            else:
                e = dict(e, t=e["t"] + at)
            other.append(dict(e, ch=ch) if "ch" in e else e)
        for e in part.body:
            e = dict(e, t=e["t"] + at)
            if "ch" in e:
                e["ch"] = where[e["ch"]]
            (notes if e["type"] == "Note" else other).append(e)
        roles = {"melody": [], "chords": [], "bass": [], "drums": False}
        for name, (gen, ch) in part.layers.items():
            if ch == DRUM_CHANNEL:
                roles["drums"] = True
            elif gen in ROLES:
                roles[ROLES[gen]].append(where[ch])
        harmony = [(s + at, e + at, chord) for s, e, chord in part.harmony]
        bands.append((placed.tick, placed.end_tick, harmony, roles))
    stab = _stab_channel(channels, other, named, plan)

    def band(tick: int) -> strikes.Band:
        i = max(j for j, b in enumerate(bands) if b[0] <= tick)
        start, end, harmony, roles = bands[i]
        chord = next((c for s, e, c in harmony if s <= tick < e),
                     harmony[-1][2] if harmony else tonic(*regions[i].key))
        meter = next((num, den) for t, num, den in reversed(timeline.time_sigs) if t <= start)
        return strikes.Band(roles["melody"], roles["chords"], roles["bass"], roles["drums"],
                            chord, PPQ * 4 // meter[1], bar_length(*meter))

    for i in range(1, len(regions)):
        join = timeline.regions[i].tick
        strikes.into_region(notes, join, band(join - 1), band(join),
                            stage_rng(seed, "score", "fill", i))
    for h in plan.hit:
        t = min(timeline.tick_at(h.at), timeline.end_tick - 1)
        b = band(t)
        pitched = stab if stab is not None else next(iter(b.melody + b.chords + b.bass), None)
        if h.kind == "stop":
            notes = strikes.stop(notes, other, t, b)
        if h.kind in ("accent", "stop"):
            strikes.accent(notes, t, b, pitched)
        elif h.kind == "stinger":
            strikes.stinger(notes, t, b, pitched)
        else:
            strikes.riser(notes, t, b, pitched, max(0, t - b.bar))
            strikes.accent(notes, t, b, pitched)
    end = timeline.end_tick
    if plan.ending == "ring" and not plan.loop:
        _ring(notes, other, bands[-1][2], end)
    if plan.ending == "fade" and not plan.loop:
        other += _fade(timeline, other, end)
    if any(n["ch"] == DRUM_CHANNEL for n in notes) and DRUM_CHANNEL not in named:
        other += [{"type": "Marker", "t": 0, "ch": DRUM_CHANNEL, "text": "Percussion (Drums)"},
                  {"type": "ProgramChange", "t": 0, "ch": DRUM_CHANNEL, "program": 0}]
        other += controllers(DRUM_CHANNEL, {"level": -6.0, "reverb": 40})
    notes = [n for n in strikes.untangle(notes) if n["t"] < end]
    for n in notes:
        n["dur"] = max(1, min(n["dur"], end - n["t"]))
    order = {"Tempo": 0, "TimeSig": 1, "KeySig": 2, "Marker": 3, "ProgramChange": 4,
             "ControlChange": 5, "Chord": 6, "Note": 7}
    body = sorted(conductor(plan, regions, timeline)[:-1] + other + notes, key=lambda e: (
        e["t"], order.get(e["type"], 8), e.get("ch", -1), e.get("key", 0)))
    return [{"type": "Seed", "seed": seed}] + body + [{"type": "End", "t": end}]


def _stab_channel(channels: Channels, other: list[dict], named: set[int], plan: Plan) -> int | None:
    """The stinger's brass (and a riser's climbing line) on a channel of its own where one is
    free; None where no hit needs one or no channel is free (then the region's melody plays
    them)."""
    if not any(h.kind in ("stinger", "riser-to") for h in plan.hit):
        return None
    free = [c for c in range(16) if c != DRUM_CHANNEL and c not in channels.last_used]
    if not free:
        return None
    ch = channels.take(len(plan.region), "", "stinger", False)
    named.add(ch)
    other += [{"type": "Marker", "t": 0, "ch": ch, "text": f"Stinger ({track_name(strikes.STINGER_PROGRAM, ch)})"},
              {"type": "ProgramChange", "t": 0, "ch": ch, "program": strikes.STINGER_PROGRAM}]
    other += controllers(ch, {"level": -4.0, "pan": 0.0, "reverb": 50})
    return ch


def _ring(notes: list[dict], other: list[dict], harmony, end: int) -> None:
    """``ending = "ring"``: the final chord, struck on the last downbeat, rings to the end
    (its notes held, the pedal kept down)."""
    if not harmony:
        return
    start = harmony[-1][0]
    for n in notes:
        if n["t"] >= start:
            n["dur"] = end - n["t"]
    other[:] = [e for e in other if not (e.get("cc") == 64 and e["t"] > start and e["value"] < 64)]


def _fade(timeline: Timeline, other: list[dict], end: int) -> list[dict]:
    """``ending = "fade"``: every channel's expression falls to nothing over the last bars
    (two bars, or more to last FADE_SECONDS), in sixteenth steps."""
    lines = [t for t, _ in timeline.bars()]
    start = lines[max(0, len(lines) - 3)]
    while start > 0 and timeline.seconds(end) - timeline.seconds(start) < FADE_SECONDS:
        start = max(t for t in lines if t < start)
    level: dict[int, int] = {}
    for e in sorted(other, key=lambda e: e["t"]):
        if e.get("cc") == 11 and e["t"] <= start:
            level[e["ch"]] = e["value"]
        elif e["type"] == "ProgramChange":
            level.setdefault(e["ch"], 127)
    out = []
    step = PPQ // 4
    for ch, value in sorted(level.items()):
        for t in range(start, end, step):
            v = round(value * (1 - (t - start + step) / (end - start)))
            out.append({"type": "ControlChange", "t": t, "ch": ch, "cc": 11, "value": max(0, v)})
    return out

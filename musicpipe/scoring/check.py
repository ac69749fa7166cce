"""A plan against the mood library: each region's mood, key, tempo and meter, the fitted
timeline, and the report `score --check` prints (text for people, JSON for programs).

Reads moods only through the pack format (``tempo``, ``key``, ``time_sig``, ``intensity``
of a resolved mood), so it does not depend on how the mood engine plays them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..events import PPQ
from ..meter import bar_length
from ..theory import key_name, parse_key
from .plan import Plan, PlanError, check_moods
from .timeline import (REGION_TOLERANCE, FitError, Segment, Timeline, bar_intensities,
                       fit_timeline)


@dataclass(frozen=True)
class Resolved:
    """A region with everything filled in: from the region, else the plan, else the mood."""

    name: str
    mood: str
    key: tuple[int, str]
    segment: Segment
    intensity: float | list[tuple[float, float]]


def resolve(plan: Plan, mood_of: Callable[[str], dict]) -> list[Resolved]:
    """Each region's mood, key, tempo, meter and intensity; ``mood_of`` gives a resolved
    mood by name (``Library.resolve``)."""
    from ..moods.arrange import DEFAULT_INTENSITY, DEFAULT_TEMPO  # what a mood without them plays

    out = []
    ends_played = not plan.loop and (plan.ending or "cadence") == "cadence"
    for i, r in enumerate(plan.region):
        mood = mood_of(r.mood)
        own = parse_key(mood.get("key", "C"))
        key = r.key or plan.key
        root, mode = parse_key(key, default=None) if key else own
        num, den = (int(x) for x in mood.get("time_sig", "4/4").split("/"))
        tempo = r.tempo or plan.tempo or float(mood.get("tempo", DEFAULT_TEMPO))
        intensity = r.intensity if r.intensity is not None else mood.get("intensity", DEFAULT_INTENSITY)
        slowing = _slowing(mood, (num, den)) if ends_played and i == len(plan.region) - 1 else None
        out.append(Resolved(r.name or mood["name"], mood["name"], (root, mode or own[1]),
                            Segment(r.at, tempo, (num, den), slowing), intensity))
    return out


def _slowing(mood: dict, meter: tuple[int, int]):
    """The last region's ritardando into its final chord, as the mood slows at the end of a
    piece of its own (``moods.plan.ending``: the two bars before the final chord, which
    starts where the region's part puts it); None where its style keeps time."""
    from ..moods.plan import ending
    from ..moods.plan.style import RITARDANDO, style_of

    style = style_of(mood)
    if style not in RITARDANDO:
        return None
    bar, beat = bar_length(*meter), PPQ * 4 // meter[1]

    def slowing(ticks: int, seconds: float):
        final = min(ticks, ending.body_bars(style, ticks, bar, beat) * bar)
        return ending.ritardando_to(style, end=ticks, tempo=0.0, seconds=seconds,
                                    final_start=final, beat=beat, bar=bar)
    return slowing


def fitted(plan: Plan, regions: list[Resolved]) -> Timeline:
    """The timeline, or PlanError naming a region too short or too long for whole bars
    within REGION_TOLERANCE of its tempo (with the lengths that would fit)."""
    try:
        timeline = fit_timeline([r.segment for r in regions], plan.duration, loop=plan.loop,
                                hits=[h.at for h in plan.hit])
    except FitError as e:
        raise PlanError(str(e)) from None
    for i, (r, placed) in enumerate(zip(regions, timeline.regions)):
        if abs(placed.percent) > REGION_TOLERANCE * 100:
            seg = r.segment
            seconds = placed.end - placed.at
            bar_beats = bar_length(*seg.meter) / PPQ
            bars = seconds * seg.tempo / 60 / bar_beats
            fits = sorted({max(1, int(bars)), int(bars) + 1})
            lengths = " or ".join(f"{b * bar_beats * 60 / seg.tempo:.2f} s" for b in fits)
            raise PlanError(
                f"region[{i}]: {seconds:g} s of {r.mood} at {seg.tempo:g} BPM is {bars:.2f} bars; "
                f"bar lines there need {placed.tempo:.1f} BPM ({placed.percent:+.1f} %, more than "
                f"{REGION_TOLERANCE * 100:g} %): make it {lengths} long, or give it a tempo")
    return timeline


def check(plan: Plan, library) -> tuple[list[Resolved], Timeline]:
    """Everything `score --check` checks: moods known, keys and tempi resolved, bars fitted."""
    check_moods(plan, library.names())
    regions = resolve(plan, library.resolve)
    return regions, fitted(plan, regions)


def report(plan: Plan, regions: list[Resolved], timeline: Timeline) -> dict:
    """The fitted timeline as data: regions (seconds, ticks, bars, tempi, fit in percent,
    the ramp or the ritardando, key, intensity per bar), hits (tick, bar and beat, caught on the beat or not,
    the error in ms), tempo map."""
    at = timeline.seconds
    bar_lines = timeline.bars()
    rows = []
    for i, (r, placed) in enumerate(zip(regions, timeline.regions)):
        bars = [(s, e) for (t, s), (_, e) in zip(bar_lines, bar_lines[1:])
                if placed.tick <= t < placed.end_tick]
        fit = placed.fit
        rows.append({
            "index": i, "name": r.name, "mood": r.mood, "at": placed.at, "end": placed.end,
            "tick": placed.tick, "end_tick": placed.end_tick,
            "bar": timeline.position(placed.tick)[0], "bars": fit.bars,
            "short_bar": f"{fit.short[0]}/{fit.short[1]}" if fit.short else None,
            "meter": f"{fit.meter[0]}/{fit.meter[1]}", "tempo": r.segment.tempo,
            "fitted_tempo": round(placed.tempo, 4), "fit_percent": round(placed.percent, 2),
            "ramp_from": None if placed.ramp_tick is None else round(at(placed.ramp_tick), 4),
            "slows_from": None if placed.slow_tick is None else round(at(placed.slow_tick), 4),
            "key": key_name(*r.key), "intensity": bar_intensities(bars, r.intensity)})
    hits = []
    for i, h in enumerate(plan.hit):
        tick = timeline.tick_at(h.at)
        bar, beat = timeline.position(tick)
        hits.append({"index": i, "at": h.at, "kind": h.kind, "label": h.label or h.kind,
                     "tick": tick, "bar": bar, "beat": round(beat, 3),
                     "on_beat": h.at in timeline.caught or (  # caught, or there already
                         beat == int(beat) and abs(at(tick) - h.at) < 1e-6),
                     "error_ms": round((at(tick) - h.at) * 1000, 3)})
    return {"duration": plan.duration, "end_tick": timeline.end_tick,
            "end_seconds": round(at(timeline.end_tick), 6), "bars": len(bar_lines) - 1,
            "seed": plan.seed, "loop": plan.loop, "ending": None if plan.loop else plan.ending or "cadence",
            "regions": rows, "hits": hits,
            "tempo_map": [[t, round(bpm, 4)] for t, bpm in timeline.tempos],
            "time_sigs": [[t, num, den] for t, num, den in timeline.time_sigs]}


def _turns(r: dict) -> str:
    """Where a region's tempo leaves its body tempo: a ramp into the next, or a ritardando."""
    if r["ramp_from"] is not None:
        return f", ramp from {r['ramp_from']:.3f} s"
    if r.get("slows_from") is not None:
        return f", slowing into the final chord from {r['slows_from']:.3f} s"
    return ""


def fit_line(r: dict) -> str:
    """One region's fit, for stderr while a plan plays: bars, tempo asked and fitted."""
    bars = f"{r['bars']}" + (f"+{r['short_bar']}" if r["short_bar"] else "")
    ramp = _turns(r)
    return (f"region {r['index']} {r['name']} at {r['at']:.3f} s: {bars} bars of {r['meter']}, "
            f"{r['tempo']:g} -> {r['fitted_tempo']:.2f} BPM ({r['fit_percent']:+.1f} %){ramp}")


def report_text(data: dict) -> str:
    """The report for people: one line per region and per hit."""
    lines = [f"{data['duration']:g} s, {len(data['regions'])} regions, {data['bars']} bars, "
             f"{len(data['hits'])} hits, ends at {data['end_seconds']:.3f} s on a bar line"
             + (", loops" if data["loop"] else f", ending: {data['ending']}")]
    lines.append(f"{'region':<6}  {'from s':>7}  {'to s':>7}  {'mood (name)':<21}  {'bars':<9} "
                 f"{'tempo -> fitted (fit)':<26}  {'key':<4}  intensity")
    for r in data["regions"]:
        name = r["mood"] if r["name"] == r["mood"] else f"{r['mood']} ({r['name']})"
        bars = f"{r['bars']}" + (f"+{r['short_bar']}" if r["short_bar"] else "")
        level = r["intensity"]
        level = f"{level[0]}" if min(level) == max(level) else f"{level[0]}..{level[-1]}"
        ramp = _turns(r)
        lines.append(f"{r['index']:<6}  {r['at']:>7.3f}  {r['end']:>7.3f}  {name[:21]:<21}  "
                     f"{bars + ' ' + r['meter']:<9} {r['tempo']:>5g} -> {r['fitted_tempo']:>6.2f} "
                     f"({r['fit_percent']:+.1f} %)    {r['key']:<4}  {level}{ramp}")
    for h in data["hits"]:
        where = "caught on the beat" if h["on_beat"] else "off the beat"
        lines.append(f"hit {h['index']}: {h['kind']} at {h['at']:.3f} s: bar {h['bar']}, beat "
                     f"{h['beat']:g}, tick {h['tick']} ({h['error_ms']:+.2f} ms, {where})")
    return "\n".join(lines) + "\n"

"""A resolved mood + duration, key, tempo, intensity and seed -> the event stream.

The piece is planned first (``form``): sections of whole phrases, a cadence, and a final
tonic chord on the last downbeat that rings to the exact end. Each layer then plays its
part on its own channel: the melody (motif layers) is written phrase by phrase from an
idea and comes back when its section does; chords, arpeggios and pads are voiced below the
melody so they never bury or double it; the bass holds roots with passing notes where the
style allows; drums play their style's pattern with fills at phrase ends, a crash where a
section starts and one final hit. Intensity drops layers (``min_intensity``), thins them
and scales loudness. Transforms (scale snap, humanize) run over the body; the ending is
added after, so it starts exactly on the bar line. The piece is exactly ``seconds`` long:
at the tempo asked (constant, the End where it falls), else in whole bars (``whole``) at a
fitted tempo, slowing into the final chord where the style does. A loop (``loop``) has no
final chord: its last bar leads back into its first.
"""

from __future__ import annotations

import math
from functools import cached_property

from ..events import DRUM_CHANNEL, PPQ
from ..generators import accompany, bass, euclid, seq
from ..generators.accompany import RATES, note
from ..generators.bass import keys_in
from ..audio.mixing import mood_controllers
from ..generators.motif import CELLS
from ..generators.phrase import GROOVES, Writer
from ..harmony import Chord, diatonic, family, key_event, lead, spells_flats
from ..rng import Rng, stage_rng
from ..theory import (SCALES, parse_drum, parse_key,
                      parse_note, parse_program, scale_name, track_name)
from ..transforms.humanize import humanize
from ..transforms.scale import snap
from ..looppoints import loop_markers
from . import drums
from .whole import DEFAULT_TEMPO, whole_bars
from .plan import ending, form
from .plan.melody import Melody
from .plan.style import has_pulse, style_of
from .packs import DEFAULT_TRANSFORMS, KITS, SCALE_WORDS, SECTION_KINDS

DEFAULT_INTENSITY = 50
DEFAULT_VOICES = [{"note": "kick", "pulses": 4, "steps": 16},
                  {"note": "snare", "pulses": 2, "steps": 16, "rotation": 4, "min_intensity": 30},
                  {"note": "closed-hat", "pulses": 8, "steps": 16, "velocity": 70,
                   "min_intensity": 50}]
FINAL_LOUDNESS = 0.8
BLIP = 40  # ticks: a body note cut shorter than this by the ending is dropped
LOOP_EASE = 2  # bars: either side of a loop's seam, its energy eases to the middle level


class Span:
    """A stretch where one chord holds: ticks ``start``..``end``, the ``section`` (None for
    the final chord)."""

    __slots__ = ("start", "end", "chord", "section")

    def __init__(self, start: int, end: int, chord: Chord, section):
        self.start, self.end, self.chord, self.section = start, end, chord, section

    @property
    def pcs(self) -> tuple[int, ...]:
        return self.chord.pcs


class Context:
    """What every layer needs to know about the piece: key, meter, form, dynamics. The
    piece is composed on the mood's written tonic (in the mode asked for) and moved to the
    key asked for at the end, so ``--key`` transposes one piece rather than writing another."""

    def __init__(self, mood: dict, *, key: tuple[int, str], tempo: float, intensity: int,
                 seed: int, ticks: int, seconds: float | None = None, whole: bool = False,
                 loop: bool = False, levels: list[int] | None = None,
                 onward: tuple[int, str] | None = None):
        self.mood, self.seed, self.intensity = mood, seed, intensity
        self.levels = levels  # a score region's intensity bar by bar (its curve)
        self.name = mood.get("name", "")
        self.default_intensity = mood.get("intensity", DEFAULT_INTENSITY)
        self.root, self.mode = key
        self.tempo = tempo
        num, den = (int(x) for x in mood.get("time_sig", "4/4").split("/"))
        self.time_sig = (num, den)
        self.beat = PPQ * 4 // den
        self.bar = num * self.beat
        self.ticks = ticks
        self.loop = loop
        self.leads = loop or onward is not None  # no final chord: the music goes on
        harmony = mood.get("harmony", {})
        self.tension = harmony.get("tension", 0.3)
        written = parse_key(mood.get("key", "C"))[1]
        self.style = style_of(mood)
        self.pulse = has_pulse(mood)
        # The final chord starts on the last bar line at least a beat before the end; a
        # loop has none: its body plays to the end and leads back into its start, as a
        # score region leads into the next (a short last bar is the body's, cut short).
        self.body_bars = -(-ticks // self.bar) if self.leads else ending.body_bars(
            self.style, ticks, self.bar, self.beat)
        self.final_start = min(ticks, self.body_bars * self.bar)
        # a ritardando into the final chord, which then takes what is left of the seconds;
        # in whole bars the End stays on its bar line and the body tempo is solved instead
        self.tempos = []
        if whole and not loop:
            fitted = ending.ritardando_to(self.style, end=ticks, tempo=tempo, seconds=seconds,
                                          final_start=self.final_start, beat=self.beat, bar=self.bar)
            if fitted:
                self.tempo, self.tempos = fitted
        elif seconds is not None:
            rit = ending.ritardando(self.style, tempo=tempo, seconds=seconds,
                                    final_start=self.final_start, beat=self.beat, bar=self.bar)
            if rit:
                self.tempos, ticks = rit
        self.ticks = ticks
        self.form = form.plan(mood, bars=self.body_bars, root=self.root, mode=self.mode,
                              style=self.style, rng_of=self.rng, loop=loop)
        if loop:
            ending.into_the_start(self.form)
        elif onward is not None:
            ending.into_key(self.form, (self.root, self.mode), onward)
        self.turn = self._turn(onward) if onward is not None else None
        self.voicing = harmony.get("voicing", "close")
        self.moved = family(written) != family(self.mode)  # played in the other mode family
        self.scale = self.scale_of(harmony.get("scale"))
        self.scale_pcs = {(self.root + i) % 12 for i in SCALES[self.scale]}
        self.spans = self._spans()
        dyn = mood.get("dynamics", {})
        self.velocity = dyn.get("velocity_base", 80)
        self.velocity_range = dyn.get("velocity_range", 8)
        self.curve = dyn.get("build_curve", "flat")
        if loop and self.curve != "wave":
            self.curve = "flat"  # a loop's dynamics meet at the seam: no build, no arch
        self.melody: list[tuple[int, int, int]] = []  # (t, dur, key) of the melody layers

    def scale_of(self, word: str | None) -> str:
        """A pack's scale word (natural_minor, pentatonic, a scale name) in this key. A
        mood played in the other mode family than it is written in (upbeat in Am) keeps
        only ``pentatonic`` (of the new family): its other scales belong to the old key."""
        if not word:
            return self.mode
        if word == "pentatonic":
            word = "minor pentatonic" if family(self.mode) == "minor" else "major pentatonic"
        elif self.moved:
            return self.mode
        word = SCALE_WORDS.get(word) or word
        return word if word in SCALES else scale_name(word)

    def _spans(self) -> list[Span]:
        out: list[Span] = []
        for s in self.form.sections:
            for i, chord in enumerate(s.chords):
                chord = self._colour(chord)
                start = (s.start + i) * self.bar
                end = min(start + self.bar, self.final_start)
                if out and out[-1].section is s and out[-1].chord == chord:
                    out[-1].end = end
                else:
                    out.append(Span(start, end, chord, s))
        out.append(Span(self.final_start, self.ticks, self.form.final, None))
        return out

    def _turn(self, onward: tuple[int, str]) -> tuple[int, set[int]] | None:
        """Where a region's last chord (the next key's dominant) starts, and the pitch
        classes a tune may hold over it: its tones, and tones of both keys that rub against
        none of them (no half step from a chord tone)."""
        if not self.form.sections or not self.form.sections[-1].chords:
            return None
        last = self.form.sections[-1]
        chord = set(last.chords[-1].pcs)
        both = ({(self.root + i) % 12 for i in SCALES[family(self.mode)]}
                & {(onward[0] + i) % 12 for i in SCALES[family(onward[1])]})
        calm = {p for p in both if not any((p - c) % 12 in (1, 11) for c in chord)}
        return (last.start + last.bars - 1) * self.bar, chord | calm

    def _colour(self, chord: Chord) -> Chord:
        """Above tension 0.5 a triad gets its seventh from the scale (the key's own colour)."""
        if self.tension <= 0.5 or len(chord.intervals) != 3:
            return chord
        pcs = {(self.root + i) % 12 for i in SCALES[family(self.mode)]}
        seventh = 11 if (chord.root + 11) % 12 in pcs and chord.intervals[1] == 4 else 10
        return Chord(chord.root, chord.intervals + (seventh,))

    def body_spans(self) -> list[Span]:
        return self.spans[:-1]

    @property
    def final(self) -> Span:
        return self.spans[-1]

    def rng(self, *names) -> Rng:
        """The generator of one decision: the seed, the mood's name and the decision's
        names, so one seed is unrelated tunes in two moods and no decision draws on
        another's stream."""
        return stage_rng(self.seed, "mood", self.name, *names)

    def level(self, t: int) -> int:
        """The intensity at tick t: the piece's, or a score region's curve at that bar."""
        if self.levels is None:
            return self.intensity
        return self.levels[max(0, min(len(self.levels) - 1, t // self.bar))]

    def energy(self, t: int) -> float:
        """The section's energy at tick t (a build rises through its bars); 1 outside."""
        s = self.form.section_at_bar(t // self.bar) if t < self.final_start else None
        if s is None:
            return 1.0
        energy = s.energy
        if s.role == "build":
            energy = 0.8 + 0.35 * (t / self.bar - s.start) / max(1, s.bars)
        if self.loop and len(self.form.sections) > 1:  # the seam at the piece's middle level
            bars = t / self.bar
            near = min(bars, self.body_bars - bars)
            if near < LOOP_EASE:
                middle = self._middle_energy
                energy = middle + (energy - middle) * near / LOOP_EASE
        return energy

    @cached_property
    def _middle_energy(self) -> float:
        """A loop's sections' energy, bar by bar on average: its ends meet there."""
        sections = self.form.sections
        return sum(s.energy * s.bars for s in sections) / max(1, sum(s.bars for s in sections))

    def shape(self, t: int) -> float:
        """The mood's build curve at tick t (0.7-1.1)."""
        p = t / max(1, self.final_start)
        return {"flat": 1.0, "crescendo": 0.8 + 0.3 * p, "decrescendo": 1.1 - 0.3 * p,
                "arch": 0.85 + 0.25 * math.sin(math.pi * p),
                "wave": 0.95 + 0.1 * math.sin(2 * math.pi * p * 2)}[self.curve]

    def loudness(self, t: int) -> float:
        """The build curve times the intensity and the section's energy, at tick t; the
        final chord is softer than the piece."""
        section = FINAL_LOUDNESS if t >= self.final_start else self.energy(t)
        return min(self.shape(t), 1.05) * section * (0.65 + 0.5 * self.level(t) / 100)

    def ceiling(self, start: int, end: int, default: int) -> int:
        """The highest key accompaniment may use from ``start`` to ``end``: under the lowest
        melody note sounding then (the melody stays on top, never doubled)."""
        under = [k for t, d, k in self.melody if t < end and t + d > start]
        return min(under) - 1 if under else default

    def busy(self, start: int, end: int) -> float:
        """Melody notes per beat from ``start`` to ``end``: a busy tune thins the pads."""
        count = sum(1 for t, _, _ in self.melody if start <= t < end)
        return count * self.beat / max(1, end - start)


def _generator(name: str, layer: dict) -> str:
    if "generator" in layer:
        return layer["generator"]
    pattern = layer.get("pattern")
    by_pattern = {"melodic": "motif", "sparse": "motif", "sustained": "chords",
                  "comping": "chords", "arpeggiated": "arp", "walking": "bass", "pedal": "bass",
                  "octave": "bass", "drums": "euclid"}
    if pattern in by_pattern:
        return by_pattern[pattern]
    low = _register(layer, (60, 0))[0] < 48 or "bass" in name
    if pattern == "rhythmic":
        return "bass" if low else "chords"
    if "drum" in name or "perc" in name or layer.get("ch") == DRUM_CHANNEL:
        return "euclid"
    return {"melody": "motif", "lead": "motif", "bass": "bass", "arp": "arp"}.get(name, "chords")


def _density(ctx: Context, layer: dict, *, tune: bool = False, t: int | None = None) -> float:
    """How many notes a layer plays: its density at the mood's own intensity (all the
    tune ever uses: the knob must not rewrite it), scaled for the accompaniment by how far
    the intensity asked is from the mood's, by the section's energy and the build curve."""
    own = layer.get("density", 0.6) * (0.5 + ctx.default_intensity / 100)
    if tune:
        return max(0.05, min(1.0, own))
    energy = 1.0 if t is None else ctx.energy(t) * ctx.shape(t)
    more = 1 + 1.5 * ((ctx.intensity if t is None else ctx.level(t)) - ctx.default_intensity) / 100
    return max(0.05, min(1.0, own * max(0.1, more) * energy))


def _register(layer: dict, default: tuple[int, int]) -> tuple[int, int]:
    reg = layer.get("register", {})
    base = reg.get("base", 12 * (layer["octave"] + 1) if "octave" in layer else default[0])
    return parse_note(base) if isinstance(base, str) else base, reg.get("range", default[1])


DEFAULT_SECTIONS = {"motif": ("A", "B", "C", "outro"), "euclid": ("A", "B", "C", "outro"),
                    "arp": ("A", "B", "C", "outro")}
BREAKDOWN_REST = {"euclid", "bass", "arp"}  # the layers a breakdown leaves out


def plays(layer: dict, gen: str, section: form.Section | None, pulse: bool = True) -> bool:
    """Whether the layer plays in a section (None, the final chord: every layer does); a
    breakdown leaves the drums, bass and arpeggios out, or in a mood without a pulse the
    tune (an interlude of its chords and bass)."""
    if section is None:
        return True
    if section.role == "breakdown" and not layer.get("sections") and (
            gen in BREAKDOWN_REST if pulse else gen == "motif"):
        return False
    return section.kind in layer.get("sections", DEFAULT_SECTIONS.get(gen, SECTION_KINDS))


def _groove(mood: dict) -> str | None:
    """The drum style of the mood, which its melody's rhythm speaks."""
    return next((layer["style"] for layer in mood.get("layers", {}).values() if layer.get("style")), None)


def layer_motif(ctx: Context, name: str, layer: dict, ch: int, vel: int) -> list[dict]:
    """The melody (moods.plan.melody): each section's bars from its theme's idea, developed
    and varied on return; the final note is the tonic."""
    rng_of = lambda *names: ctx.rng(name, "melody", *names)  # noqa: E731
    contours = layer.get("contour", ["arch", "wave", "ascending", "descending"])
    contours = contours if isinstance(contours, list) else [contours]
    base, span = _register(layer, (60, 14))
    density = _density(ctx, layer, tune=True)
    sparse = layer.get("pattern") == "sparse"
    complexity = layer.get("complexity", 30 + round(40 * density) - (25 if sparse else 0))
    if "phrase_length" in layer:  # notes per (4-bar) phrase, as midi-cli-rs packs give it
        complexity = max(0, min(100, round((layer["phrase_length"] / 4 - 2) * 25)))
    keys = keys_in({(ctx.root + i) % 12 for i in SCALES[ctx.scale]}, base, base + span)
    if len(keys) < 3:
        keys = keys_in(ctx.scale_pcs, base, base + 12)
    dominant = set(diatonic(5, ctx.root, ctx.mode).pcs)
    contour = rng_of("contour").choice(contours)
    writer = Writer(rng_of("writer"), keys, tonic=ctx.root, dominant=dominant, bar=ctx.bar,
                    beat=ctx.beat, complexity=max(0, min(100, complexity)),
                    sparse=sparse and density < 0.6, rest=0.04 + 0.12 * (1 - density),
                    chromatic=layer.get("chromatic", 0.0), contour=contour,
                    cells=GROOVES.get(_groove(ctx.mood), CELLS))
    tune = Melody(writer, rng_of, bar=ctx.bar, beat=ctx.beat, contour=contour,
                  groove=_groove(ctx.mood))
    sections = [s for s in ctx.form.sections if plays(layer, "motif", s, ctx.pulse)]
    climax = next((s for s in sections if s.role == "lift"), None) or (
        sections[min(len(sections) - 1, int(len(sections) * 0.7))] if sections else None)
    out: list[tuple[int, int, int]] = []
    prev_key = prev_idx = None
    for n, section in enumerate(sections):
        following = sections[n + 1] if n + 1 < len(sections) else None
        goal = ("lead" if section.last else "half" if following is not None and (
            following.theme == section.theme or section.chords[-1].root != ctx.root) else "tonic")
        chords = [set(Chord(c.root - section.shift, c.intervals).pcs) for c in
                  (ctx._colour(c) for c in section.chords)]
        bars = tune.section(section, chords, climax=section is climax, goal=goal, prev=prev_idx)
        notes = tune.render(bars, section.start * ctx.bar, prev_key,
                            rng_of("render", section.theme, section.index, section.start))
        notes = [(t, d, k + section.shift) for t, d, k in notes]
        if notes:
            prev_key = notes[-1][2]
        prev_idx = next((j for j in reversed(bars[-1][1]) if j >= 0), None) if bars else None
        out += notes
    final = ctx.final
    home = [k for k in keys if k % 12 == ctx.root] or [base + (ctx.root - base) % 12]
    last = min(home, key=lambda k: abs(k - prev_key)) if prev_key is not None else home[0]
    out.append((final.start, final.end - final.start, last))
    if ctx.turn is not None:  # over the next key's dominant: its tones, or tones both keys share
        start, allowed = ctx.turn
        out = [(t, d, k if t < start or k % 12 in allowed else
                next((k + j for j in (-1, 1, -2, 2, -3, 3) if (k + j) % 12 in allowed), k))
               for t, d, k in out]
    ctx.melody += out
    accents = layer.get("accent_on", [])
    swing = layer.get("swing", 0.0)
    feel = rng_of("velocity")
    notes = []
    for t, d, k in out:
        v = vel + (8 if t % ctx.bar == 0 else 3 if t % ctx.beat == 0 else -4)
        if "downbeat" in accents and t % ctx.bar == 0:
            v += 12
        if swing and t % ctx.beat == ctx.beat // 2:
            delay = round(swing * PPQ / 6)
            t, d = t + delay, max(1, d - delay)
        notes.append(note(t, d, ch, k, v + feel.randint(-3, 3)))
    return notes


def _bass_roots(ctx: Context) -> list[int | None]:
    """The bass's key under each span (the chord's root, the tonic under a pedal), for
    leading the top voice of the chords against it; None where no bass plays."""
    layers = ctx.mood.get("layers", {})
    found = next(((n, layer) for n, layer in layers.items() if _generator(n, layer) == "bass"), None)
    if found is None:
        return [None] * len(ctx.spans)
    name, layer = found
    base, span = _register(layer, (36, 14))
    pedal = layer.get("pattern") == "pedal"
    out = []
    for sp in ctx.spans:
        pc = ctx.root if pedal else sp.chord.root
        keys = keys_in({pc}, base, base + span)
        out.append(keys[0] if keys and plays(layer, "bass", sp.section, ctx.pulse) else None)
    return out


def voices_for(ctx: Context, sp: Span, style: str, arp: bool) -> int:
    """2-4 voices: four on the final chord, under a silent tune and when the intensity is
    driven above the mood's own; two when the melody is
    busy (a note a beat or more; half that under held or repeated chords), or when an
    arpeggio already spells the chord; three otherwise."""
    if sp.section is None:
        return 4 if style == "pad" else 3
    level = ctx.level(sp.start)
    if level >= 80 and level > ctx.default_intensity:
        return 4  # driven: full chords
    busy = ctx.busy(sp.start, sp.end)
    if busy >= 1.0 or arp or (style in ("rhythmic", "pad") and busy >= 0.5):
        return 2
    if style == "pad" and busy == 0 and len(sp.chord.intervals) >= 4:
        return 4
    return 3


def layer_chords(ctx: Context, name: str, layer: dict, ch: int, vel: int) -> list[dict]:
    """Chords voiced below the melody and led from one to the next (common tones kept,
    smallest motion, inversions, no parallel fifths or octaves against the bass): held
    (sustained; re-struck on the half bar when the intensity runs high), comped (jazz) or
    repeated (rhythmic); the final chord held."""
    rng = ctx.rng(name, "chords", "hits")
    base, span = _register(layer, (52, 19))
    style = {"comping": "comp", "rhythmic": "rhythmic"}.get(layer.get("pattern"), "pad")
    roots = _bass_roots(ctx)
    arps = [layer for n, layer in ctx.mood.get("layers", {}).items() if _generator(n, layer) == "arp"]
    out = []
    prev = None
    prev_bass = None
    for sp, bass_key in zip(ctx.spans, roots):
        if not plays(layer, "chords", sp.section, ctx.pulse):
            prev = None
            continue
        ceiling = min(ctx.ceiling(sp.start, sp.end, base + span), base + span)
        keys = lead(sp.chord, floor=base - 7, ceiling=ceiling, voices=voices_for(ctx, sp, style, any(
                        plays(a, "arp", sp.section, ctx.pulse)
                        and a.get("min_intensity", 0) <= ctx.level(sp.start) for a in arps)),
                    prev=prev, bass=bass_key, prev_bass=prev_bass,
                    spread=ctx.voicing in ("spread", "open"))
        if not keys:
            continue
        prev, prev_bass = keys, bass_key
        play = "pad" if sp.section is None or sp.section.role == "breakdown" else style  # held
        density = _density(ctx, layer, t=sp.start)
        if play == "pad" and sp.section is not None and (
                ctx.level(sp.start) * ctx.energy(sp.start) >= 75 or ctx.energy(sp.start) >= 1.1):
            play = "block"  # intensity, a chorus: the pad pulses
        notes = accompany.hits(play, sp.start, sp.end, keys, ch=ch, vel=vel, rng=rng,
                               bar=ctx.bar // 2 if play == "block" else ctx.bar, beat=ctx.beat,
                               density=density, step=RATES[layer.get("rate", "8")],
                               gap=0 if sp.section is None else 10)
        if play == "pad" and sp.section is not None:
            notes = _pad_feel(ctx, ctx.rng(name, "pad", sp.section.theme, sp.section.index).choice(
                PAD_FEELS), sp, notes)
        out += notes
    return out


PAD_FEELS = ("held", "held", "stagger", "restrike", "suspend")


def _pad_feel(ctx: Context, feel: str, sp: Span, notes: list[dict]) -> list[dict]:
    """How a section's pad holds its chords: held; staggered (the upper voices a beat
    after the lowest); re-struck on the bar's third beat (the half bar); or with a
    suspension (the fourth above the root for a beat, falling to the third)."""
    if feel == "held" or len(notes) < 2 or sp.end - sp.start < 2 * ctx.beat:
        return notes
    notes = sorted(notes, key=lambda n: n["key"])
    if feel == "stagger":
        return notes[:1] + [dict(n, t=n["t"] + ctx.beat, dur=n["dur"] - ctx.beat) for n in notes[1:]]
    if feel == "restrike":
        half = sp.start + ctx.bar // 2
        if half >= sp.end:
            return notes
        return [dict(n, dur=half - n["t"] - 10) for n in notes] + [
            dict(n, t=half, dur=n["t"] + n["dur"] - half, vel=max(1, round(n["vel"] * 0.85))) for n in notes]
    third = (sp.chord.root + sp.chord.intervals[1]) % 12
    fourth = (sp.chord.root + 5) % 12
    out = []
    for n in notes:
        if n["key"] % 12 == third and not any(m["key"] % 12 == fourth for m in notes):
            up = n["key"] + (fourth - third) % 12
            out += [dict(n, key=up, dur=ctx.beat - 10), dict(n, t=n["t"] + ctx.beat, dur=n["dur"] - ctx.beat)]
        else:
            out.append(n)
    return out


# A bass pattern and the ones the seed may play instead, section by section.
BASS_VARIANTS = {"root": ("root", "root", "root-fifth"), "octave": ("octave", "octave", "rhythmic"),
                 "rhythmic": ("rhythmic", "rhythmic", "octave"), "root-fifth": ("root-fifth", "root")}


def layer_bass(ctx: Context, name: str, layer: dict, ch: int, vel: int) -> list[dict]:
    """The bass line (musicpipe.generators.bass) section by section, in a variant of its
    pattern the seed picks per theme; the root of the final chord held to the end."""
    base, span = _register(layer, (36, 14))
    written = layer.get("pattern", "root")
    written = written if written in bass.STYLES else "root"
    out = []
    spans = ctx.body_spans()
    for section in ctx.form.sections:
        if not plays(layer, "bass", section, ctx.pulse):
            continue
        mine = [sp for sp in spans if sp.section is section]
        if not mine:
            continue
        following = next((sp.chord for sp in spans if sp.start >= mine[-1].end), ctx.final.chord)
        style = ctx.rng(name, "bass", "variant", section.theme).choice(
            BASS_VARIANTS.get(written, (written,)))
        line = bass.line(mine, style=style, base=base, span=span, tonic=ctx.root,
                         scale=ctx.scale_pcs, rng=ctx.rng(name, "bass", section.theme, section.index),
                         bar=ctx.bar, beat=ctx.beat, step=RATES[layer.get("rate", "8")],
                         density=_density(ctx, layer, t=section.start * ctx.bar), ch=ch, vel=vel,
                         after=following)
        if style == "root":  # (a pedal is a drone: it holds)
            line = _held_bass(ctx, ctx.rng(name, "bass", "feel", section.theme).choice(HELD_FEELS), line)
        out += line
    home = keys_in({ctx.root}, base, base + span) or [base + (ctx.root - base) % 12]
    final = ctx.final
    return out + [note(final.start, final.end - final.start, ch, home[0], vel)]


HELD_FEELS = ("held", "two", "fifth", "push")


def _held_bass(ctx: Context, feel: str, notes: list[dict]) -> list[dict]:
    """How a held bass moves in a section: held; in two (struck again on the half bar, or
    stepping to the fifth below there, as a ballad's bass does); or pushed (each note after
    the first arrives an eighth early, on the bar before)."""
    if feel == "held":
        return notes
    out = []
    for i, n in enumerate(notes):
        if feel in ("two", "fifth") and n["dur"] > ctx.bar // 2 + ctx.beat:
            half = ctx.bar // 2
            key = n["key"] - 5 if feel == "fifth" and n["key"] - 5 >= 24 else n["key"]
            out += [dict(n, dur=half - 20), dict(n, t=n["t"] + half, dur=n["dur"] - half, key=key,
                                                   vel=max(1, round(n["vel"] * 0.85)))]
        elif feel == "push" and i and n["t"] % ctx.bar == 0 and out and out[-1]["dur"] > ctx.beat:
            eighth = ctx.beat // 2
            out[-1] = dict(out[-1], dur=out[-1]["dur"] - eighth)
            out.append(dict(n, t=n["t"] - eighth, dur=n["dur"] + eighth))
        else:
            out.append(n)
    return out


def layer_arp(ctx: Context, name: str, layer: dict, ch: int, vel: int) -> list[dict]:
    """Chord tones broken up and down on the rate's grid, below the melody, in a shape the
    seed picks per theme; the final chord is one held tone."""
    base, span = _register(layer, (60, 24))
    step = RATES[layer.get("rate", "16" if _density(ctx, layer, tune=True) > 0.5 else "8")]
    octaves = layer.get("octaves", 2)
    out = []
    for sp in ctx.spans:
        if not plays(layer, "arp", sp.section, ctx.pulse):
            continue
        top = min(base + span, base + 12 * octaves, ctx.ceiling(sp.start, sp.end, 127))
        keys = keys_in(set(sp.pcs), base, top)
        if len(keys) < 2:
            keys = keys_in(set(sp.pcs), base - 12, max(top, base))[-3:]
        if not keys:
            continue
        if sp.section is None:
            out.append(note(sp.start, sp.end - sp.start, ch, keys[0], vel * 0.9))
            continue
        shape = ctx.rng(name, "arp", sp.section.theme).choice(accompany.ARP_SHAPES)
        rate = step
        if (ctx.level(sp.start) * ctx.energy(sp.start) < 40 or ctx.energy(sp.start) < 0.95) and step < ctx.beat:
            rate = step * 2  # quiet, a verse: the arpeggio slows to half
        out += accompany.hits("arp", sp.start, sp.end, keys, ch=ch, vel=vel, rng=None,
                              beat=ctx.beat, step=rate, shape=shape)
    return out


def layer_drums(ctx: Context, name: str, layer: dict, ch: int, vel: int) -> list[dict]:
    """A style's pattern (``style``, in a variant the seed picks per theme) or euclid voices
    bar by bar through the sections. A fill from the pool closes a section that leads into
    another (two beats into a build's goal), and sometimes the middle of a long one (at
    most every ``fills`` bars); a crash opens each section after the first; the drums sit
    where the style's feel puts them; the final chord gets one hit. The outro plays at half
    density, a build from half to full."""
    every = layer.get("fills", 4)
    style = layer.get("style")
    out: list[tuple[int, int, float]] = []
    played_before = False
    sections = ctx.form.sections
    for n, section in enumerate(sections):
        if not plays(layer, "euclid", section, ctx.pulse):
            continue
        rng = ctx.rng(name, "drums", section.theme, section.index, section.start)
        variant = ctx.rng(name, "drums", "variant", section.theme).randint(
            0, len(drums.VARIANTS.get(style, [])) if style else 0)
        following = sections[n + 1] if n + 1 < len(sections) else (
            sections[0] if ctx.leads else None)  # a loop's fill leads back into the start
        pool = [f for f in drums.FILLS if (f == "triplet-toms") == (style in drums.SWUNG)] or ["toms"]
        middle = every and section.bars >= 2 * every and rng.random() < 0.35
        for i in range(section.bars):
            start = (section.start + i) * ctx.bar
            dens = _density(ctx, layer, t=start) * (0.5 if section.kind == "outro" else 1.0)
            if section.role == "build":
                dens *= 0.5 + 0.5 * i / max(1, section.bars - 1)
            if style:
                hits = drums.vary(drums.bar_hits(style, ctx.bar, density=dens, rng=rng,
                                                 intensity=ctx.level(start), variant=variant),
                                  style, ctx.bar, rng=rng)
            else:
                hits = _euclid_bar(ctx, name, layer, dens, section.start + i)
            last = i == section.bars - 1
            into = last and following is not None and following.kind != "outro"
            if every and section.kind != "outro" and (into or (middle and i == section.bars // 2 - 1)):
                beats = 2 if into and (section.role == "build" or ctx.level(start) > 60) else 1
                cut = ctx.bar - beats * ctx.beat
                hits = [h for h in hits if h[0] < cut] + drums.fill(
                    rng.choice(pool), ctx.bar, beats, ctx.beat, rng=rng)
            if i == 0 and played_before:
                hits = [h for h in hits if h[0] > 0] + drums.crash_and_kick()
            out += [(start + off, key, f) for off, key, f in hits]
        played_before = True
    final = ctx.final
    out += [(final.start, key, f * 0.7) for _, key, f in drums.crash_and_kick()]
    seen, notes = set(), []
    for t, key, f in sorted(out):
        if (t, key) not in seen:
            seen.add((t, key))
            dur = ctx.final.end - t if t == final.start else PPQ // 4
            at = t if t == final.start else max(0, t + drums.feel(style, key))
            notes.append(note(at, dur, ch, key, vel * f))
    return notes


def _euclid_bar(ctx: Context, name: str, layer: dict, density: float, bar_no: int
                ) -> list[tuple[int, int, float]]:
    """One bar of a layer's euclid voices (pack drums without a style). Density thins a
    voice's pulses but never adds any: a four-on-the-floor stays four."""
    out = []
    for i, voice in enumerate(layer.get("voices", DEFAULT_VOICES)):
        if voice.get("min_intensity", 0) > ctx.level(bar_no * ctx.bar):
            continue
        steps = voice.get("steps", 16)
        written = voice.get("pulses", 4)
        pulses = max(1 if written else 0, min(written, round(written * (0.5 + density))))
        step = voice.get("step", PPQ // 4)
        base = voice.get("velocity")
        part = euclid.part(pulses=pulses, steps=steps, rotation=voice.get("rotation", 0),
                           note=parse_drum(voice["note"]), step=step, vel=base or 100,
                           accent=voice.get("accent", 10), ghost=voice.get("ghost", 0.0) * density,
                           vel_var=ctx.velocity_range // 2, skip=voice.get("skip", 0.0),
                           seed=ctx.seed, ch=DRUM_CHANNEL, cycles=math.ceil(ctx.bar / (steps * step)),
                           salt=f"{name}.{i}.{bar_no}")
        factor = (base / 100 if base else 1.0) / 100
        out += [(e["t"], e["key"], e["vel"] * factor) for e in part
                if e["type"] == "Note" and e["t"] < ctx.bar]
    return out


def layer_seq(ctx: Context, name: str, layer: dict, ch: int, vel: int) -> list[dict]:
    """Written notes (in C, moved to the key) repeated through the body (through the whole
    piece when it is only the final chord)."""
    part = seq.part(layer.get("notes", "C4/1"), ch=ch, vel=vel)
    span = max(1, part[-1]["t"])
    shift = 0 if ch == DRUM_CHANNEL else (ctx.root + 6) % 12 - 6
    limit = ctx.final_start or ctx.ticks
    out = []
    for t in range(0, limit, span):
        out += [dict(e, t=e["t"] + t, key=min(127, max(0, e["key"] + shift)))
                for e in part if e["type"] == "Note" and e["t"] + t < limit]
    return out


GENERATE = {"motif": layer_motif, "chords": layer_chords, "bass": layer_bass,
            "arp": layer_arp, "euclid": layer_drums, "seq": layer_seq}


def plan(mood: dict, intensity: int) -> list[tuple[str, dict, str, int]]:
    """The layers that play at this intensity: (name, layer, generator, channel)."""
    used = {layer["ch"] for layer in mood.get("layers", {}).values() if "ch" in layer}
    free = (c for c in range(16) if c != DRUM_CHANNEL and c not in used)
    out = []
    for name, layer in mood.get("layers", {}).items():
        gen = _generator(name, layer)
        ch = layer.get("ch")
        if ch is None:
            ch = DRUM_CHANNEL if gen == "euclid" else next(free, 15)
        if layer.get("min_intensity", 0) <= intensity:
            out.append((name, layer, gen, ch))
    return out


def transform(ctx: Context, body: list[dict], channels: dict[str, int], *,
              final: bool = False) -> list[dict]:
    """The mood's transforms in order, each on its layers' channels (default: scale on the
    seq layers, which are written in C; humanize on all). Motif layers are written in the
    scale already, with deliberate chromatic passing tones. A silent layer is skipped. The
    ``final`` chord is snapped but not humanized: it stays on its bar line."""
    gens = {name: _generator(name, layer) for name, layer in ctx.mood.get("layers", {}).items()}
    for i, spec in enumerate(ctx.mood.get("transforms", DEFAULT_TRANSFORMS)):
        default = [n for n in channels if spec["stage"] == "humanize" or gens[n] == "seq"]
        chans = {channels[n] for n in spec.get("layers", default) if n in channels}
        if not chans or (final and spec["stage"] != "scale"):
            continue
        if spec["stage"] == "scale":
            scale = ctx.scale
            if "scale" in spec:
                scale = ctx.scale_of(spec["scale"])
            body = list(snap(body, ctx.root, scale, snap=spec.get("snap", "nearest"),
                             channels=chans))
        else:  # each layer its own stream: one layer's notes never move another's
            for name in spec.get("layers", default):
                if name not in channels:
                    continue
                body = list(humanize(body, ctx.seed, timing=spec.get("timing", 6),
                                     velocity=spec.get("velocity", ctx.velocity_range),
                                     length=spec.get("length", 0), swing=spec.get("swing", 0.0),
                                     channels={channels[name]}, salt=f"mood.{ctx.name}.{i}.{name}"))
    return body


def arrange(mood: dict, *, seconds: float | None, key: tuple[int, str],
            tempo: float | None = None, intensity: int | None = None, seed: int = 0,
            bars: int | None = None, loop: bool = False) -> list[dict]:
    """The whole piece: header, every layer's notes, End at exactly ``seconds``.

    Without ``tempo`` (or with ``bars``) the piece is whole bars (``moods.whole``): the
    tempo is fitted near the mood's, and ``seconds`` is None with ``tempo`` and ``bars``
    (the length follows from them). With ``tempo`` alone, that tempo and End mid-bar.
    ``loop``: whole bars (the nearest number, ``tempo`` fitted too) with no final chord,
    ritardando or build curve, the last bar leading into the first, and loopStart/loopEnd
    Markers."""
    intensity = mood.get("intensity", DEFAULT_INTENSITY) if intensity is None else intensity
    whole = tempo is None or bars is not None or loop
    if whole:
        ticks, sigs, tempo = whole_bars(mood, seconds=seconds, tempo=tempo, bars=bars, loop=loop)
    else:
        ticks, sigs = max(1, round(seconds * tempo / 60 * PPQ)), []
    written = parse_key(mood.get("key", "C"))[0]
    ctx = Context(mood, key=(written, key[1]), tempo=float(tempo), intensity=intensity, seed=seed,
                  ticks=ticks, seconds=seconds, whole=whole, loop=loop)
    head = [{"type": "Seed", "seed": seed}, {"type": "Tempo", "t": 0, "bpm": ctx.tempo},
            {"type": "TimeSig", "t": 0, "num": ctx.time_sig[0], "den": ctx.time_sig[1]},
            key_event(*key)]
    head += [{"type": "TimeSig", "t": t, "num": num, "den": den} for t, num, den in sigs[1:]]
    part = play(ctx, key)
    slower = [{"type": "Tempo", "t": t, "bpm": bpm} for t, bpm in ctx.tempos]
    markers = loop_markers(0, ctx.ticks) if loop else []
    return head + part.head + _in_order(slower + part.body + markers) + [
        {"type": "End", "t": ctx.ticks}]


def region(mood: dict, *, ticks: int, key: tuple[int, str], tempo: float, levels: list[int],
           seed: int, onward: tuple[int, str] | None) -> Part:
    """One region of a score (``musicpipe.scoring``), ``ticks`` long from tick 0: the mood in
    ``key`` with its intensity bar by bar (``levels``: layers come in and drop out, thin and
    fill, soften and swell with it), leading into ``onward`` (the next region's key: its
    last bars turn there through a pivot and the new dominant, the drums fill into it), or
    ending with a cadence and its final chord where ``onward`` is None. The score's
    conductor owns tempo, meter and keys; the part is notes, chords and the mix."""
    written = parse_key(mood.get("key", "C"))[0]
    shift = (key[0] - written + 6) % 12 - 6
    toward = None if onward is None else ((onward[0] - shift) % 12, onward[1])
    ctx = Context(mood, key=(written, key[1]), tempo=float(tempo), intensity=max(levels),
                  seed=seed, ticks=ticks, levels=levels, onward=toward)
    return play(ctx, key)


class Part:
    """A mood's notes over a piece or a region: ``head`` (track names, programs and the mix
    at its start), ``body`` (notes, Chord events, a lift's KeySigs), ``layers`` (name ->
    (generator, channel)), ``harmony`` ((start, end, Chord) in the key played)."""

    __slots__ = ("head", "body", "layers", "harmony")

    def __init__(self, head: list[dict], body: list[dict], layers: dict[str, tuple[str, int]],
                 harmony: list[tuple[int, int, Chord]]):
        self.head, self.body, self.layers, self.harmony = head, body, layers, harmony


_ORDER = {"Tempo": 0, "KeySig": 1, "Chord": 2}


def _in_order(events: list[dict]) -> list[dict]:
    return sorted(events, key=lambda e: (e["t"], _ORDER.get(e["type"], 3), e.get("ch", 0),
                                         e["key"] if e["type"] == "Note" else 0))


def play(ctx: Context, key: tuple[int, str]) -> Part:
    """Every layer of ``ctx``'s mood, composed on its written tonic and moved to ``key``."""
    ticks = ctx.ticks
    shift = (key[0] - ctx.root + 6) % 12 - 6  # the asked key, from the written one
    layers = plan(ctx.mood, ctx.intensity)
    named = set()
    head: list[dict] = []
    channels: dict[str, int] = {}  # layer name -> channel, for transforms
    mixed = []  # (layer, generator, channel, program): the mix hook below
    for name, layer, gen, ch in layers:
        channels[name] = ch
        choices = layer.get("instruments", ["standard"] if ch == DRUM_CHANNEL else ["piano"])
        choices = choices if isinstance(choices, list) else [choices]
        pick = ctx.rng(name, "instrument").choice(choices)
        program = KITS[pick] if ch == DRUM_CHANNEL and pick in KITS else parse_program(pick)
        if ch not in named:
            named.add(ch)
            label = name.replace("_", " ").title()
            head.append({"type": "Marker", "t": 0, "ch": ch,
                         "text": f"{label} ({'Drums' if ch == DRUM_CHANNEL else track_name(program, ch)})"})
            head.append({"type": "ProgramChange", "t": 0, "ch": ch, "program": program})
            mixed.append((layer, gen, ch, program))
    # the mix (issue 11): each layer's level, pan, sends, expression, sustain at the head
    # the final chord is let go before the end (its release decays before the fade): the
    # sustain pedal lifts with it
    held = ending.release(ticks - ctx.final_start, ctx.beat, ctx.tempos[-1][1] if ctx.tempos else ctx.tempo)
    head += [dict(e, t=ctx.final_start + held) if e.get("cc") == 64 and e["t"] == ticks else e
             for e in mood_controllers(mixed, changes=[sp.start for sp in ctx.spans], end=ticks)]
    body: list[dict] = []
    last: list[dict] = []  # the final chord's notes
    # Melodies first: the accompaniment is voiced under them.
    for name, layer, gen, ch in sorted(layers, key=lambda item: item[2] != "motif"):
        notes = GENERATE[gen](ctx, name, layer, ch, layer.get("velocity", ctx.velocity))
        floor = layer.get("min_intensity", 0)
        for n in notes:  # dynamics: the build curve, intensity and section
            if ctx.levels is not None and floor > ctx.level(n["t"]):
                continue  # a score region's curve below this layer here: it rests
            n["vel"] = max(1, min(127, round(n["vel"] * ctx.loudness(n["t"]))))
            (last if n["t"] >= ctx.final_start else body).append(n)
    body = transform(ctx, body, channels)
    notes = [dict(n, dur=max(1, min(n["dur"], ctx.final_start + held - n["t"])))
             for n in transform(ctx, last, channels, final=True) if not ctx.leads]
    for n in body:
        end = min(n["t"] + n["dur"], ctx.final_start)
        if n["t"] >= end or (end - n["t"] < BLIP <= n["dur"]):
            continue
        notes.append(dict(n, dur=end - n["t"]) if end - n["t"] != n["dur"] else n)
    for n in notes:  # to the key asked for; near the top (or bottom) of MIDI: back by octaves
        if n["ch"] != DRUM_CHANNEL:
            n["key"] += shift
        while n["key"] > 127:
            n["key"] -= 12
        while n["key"] < 0:
            n["key"] += 12
    flats = spells_flats(*key)  # chord names spelled as the key is
    harmony = [(sp.start, sp.end, Chord((sp.chord.root + shift) % 12, sp.chord.intervals))
               for sp in ctx.spans if sp.end > sp.start]  # a loop's final span is empty
    chords = [chord.event(start, end - start, flats) for start, end, chord in harmony]
    lifts = []  # a lift's key signature, and home's again after it
    for s in ctx.form.sections:
        if s.shift:
            lifts += [key_event((key[0] + s.shift) % 12, key[1], s.start * ctx.bar),
                      key_event(*key, min(ticks, (s.start + s.bars) * ctx.bar))]
    return Part(head, _in_order(lifts + chords + notes),
                {name: (gen, ch) for name, _, gen, ch in layers}, harmony)

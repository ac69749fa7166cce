"""A resolved mood + duration, key, tempo, intensity and seed -> the event stream.

The piece is planned first (``form``): sections of whole phrases, a cadence, and a final
tonic chord on the last downbeat that rings to the exact end. Each layer then plays its
part on its own channel: the melody (motif layers) is written phrase by phrase from an
idea and comes back when its section does; chords, arpeggios and pads are voiced below the
melody so they never bury or double it; the bass holds roots with passing notes where the
style allows; drums play their style's pattern with fills at phrase ends, a crash where a
section starts and one final hit. Intensity drops layers (``min_intensity``), thins them
and scales loudness. Transforms (scale snap, humanize) run over the body; the ending is
added after, so it starts exactly on the bar line. The tempo is constant, so the piece is
exactly ``seconds`` long.
"""

from __future__ import annotations

import math

from ..events import DRUM_CHANNEL, PPQ
from ..generators import accompany, bass, euclid, seq
from ..generators.accompany import RATES, note
from ..generators.bass import keys_in
from ..generators.phrase import Writer
from ..harmony import Chord, diatonic, family, key_event, spells_flats, voicing
from ..audio.mixing import mood_controllers
from ..rng import Rng, stage_rng
from ..theory import (SCALES, parse_drum, parse_key,
                      parse_note, parse_program, scale_name, track_name)
from ..transforms.humanize import humanize
from ..transforms.scale import snap
from . import drums, form
from .packs import DEFAULT_TRANSFORMS, KITS, SCALE_WORDS, SECTION_KINDS

DEFAULT_TEMPO = 100
DEFAULT_INTENSITY = 50
PROGRESSIONS = {  # (mode family, tension high?) -> templates the seed picks from
    ("major", False): ("I vi IV V", "I IV I V", "I V vi IV", "I IV vi V"),
    ("major", True): ("I iii vi IV", "ii7 V7 Imaj7 vi7", "I bVII IV I", "vi IV I V"),
    ("minor", False): ("i VI III VII", "i iv i v", "i VI iv v", "i VII VI VII"),
    ("minor", True): ("i iv VII III", "i bII i V", "i iv V i", "i VI ii° V"),
}
DEFAULT_VOICES = [{"note": "kick", "pulses": 4, "steps": 16},
                  {"note": "snare", "pulses": 2, "steps": 16, "rotation": 4, "min_intensity": 30},
                  {"note": "closed-hat", "pulses": 8, "steps": 16, "velocity": 70,
                   "min_intensity": 50}]
SECTION_LOUDNESS = {"intro": 0.85, "A": 1.0, "B": 1.06, "C": 1.03, "outro": 0.9}
FINAL_LOUDNESS = 0.8
BLIP = 40  # ticks: a body note cut shorter than this by the ending is dropped


class Span:
    """A stretch where one chord holds: ticks ``start``..``end``, the ``section`` (None for
    the final chord), and whether it starts a new bar of a phrase."""

    __slots__ = ("start", "end", "chord", "section")

    def __init__(self, start: int, end: int, chord: Chord, section):
        self.start, self.end, self.chord, self.section = start, end, chord, section

    @property
    def pcs(self) -> tuple[int, ...]:
        return self.chord.pcs


class Context:
    """What every layer needs to know about the piece: key, meter, form, dynamics."""

    def __init__(self, mood: dict, *, key: tuple[int, str], tempo: float, intensity: int,
                 seed: int, ticks: int):
        self.mood, self.seed, self.intensity = mood, seed, intensity
        self.root, self.mode = key
        self.tempo = tempo
        num, den = (int(x) for x in mood.get("time_sig", "4/4").split("/"))
        self.time_sig = (num, den)
        self.beat = PPQ * 4 // den
        self.bar = num * self.beat
        self.ticks = ticks
        # The final chord starts on the last bar line at least a beat before the end.
        self.body_bars = max(0, (ticks - self.beat) // self.bar)
        self.final_start = self.body_bars * self.bar
        harmony = mood.get("harmony", {})
        self.tension = harmony.get("tension", 0.3)
        written = parse_key(mood.get("key", "C"))[1]
        if harmony.get("progression"):
            chords, written_in = harmony["progression"], written
        else:
            chords, written_in = stage_rng(seed, "mood", "harmony").choice(
                PROGRESSIONS[(family(self.mode), self.tension > 0.5)]), None
        self.form = form.plan(mood, bars=self.body_bars, root=self.root, mode=self.mode,
                              chords=chords, written=written_in, rng=self.rng("form"))
        self.voicing = harmony.get("voicing", "close")
        self.moved = family(written) != family(self.mode)  # played in the other mode family
        self.scale = self.scale_of(harmony.get("scale"))
        self.scale_pcs = {(self.root + i) % 12 for i in SCALES[self.scale]}
        self.spans = self._spans()
        dyn = mood.get("dynamics", {})
        self.velocity = dyn.get("velocity_base", 80)
        self.velocity_range = dyn.get("velocity_range", 8)
        self.curve = dyn.get("build_curve", "flat")
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
                if out and out[-1].section is s and out[-1].chord == chord:
                    out[-1].end = start + self.bar
                else:
                    out.append(Span(start, start + self.bar, chord, s))
        out.append(Span(self.final_start, self.ticks, self.form.final, None))
        return out

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
        return stage_rng(self.seed, "mood", *names)

    def loudness(self, t: int) -> float:
        """The build curve times the intensity and the section's weight, at tick t; the
        final chord is softer than the piece."""
        p = t / max(1, self.final_start)
        shape = {"flat": 1.0, "crescendo": 0.8 + 0.3 * p, "decrescendo": 1.1 - 0.3 * p,
                 "arch": 0.85 + 0.25 * math.sin(math.pi * p),
                 "wave": 0.95 + 0.1 * math.sin(2 * math.pi * p * 2)}[self.curve]
        if t >= self.final_start:
            section = FINAL_LOUDNESS
        else:
            s = self.form.section_at_bar(t // self.bar)
            section = SECTION_LOUDNESS.get(s.kind, 1.0) if s else 1.0
        return min(shape, 1.05) * section * (0.65 + 0.5 * self.intensity / 100)

    def ceiling(self, start: int, end: int, default: int) -> int:
        """The highest key accompaniment may use from ``start`` to ``end``: under the lowest
        melody note sounding then (the melody stays on top, never doubled)."""
        under = [k for t, d, k in self.melody if t < end and t + d > start]
        return min(under) - 1 if under else default


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


def _density(ctx: Context, layer: dict) -> float:
    return max(0.05, min(1.0, layer.get("density", 0.6) * (0.5 + ctx.intensity / 100)))


def _register(layer: dict, default: tuple[int, int]) -> tuple[int, int]:
    reg = layer.get("register", {})
    base = reg.get("base", 12 * (layer["octave"] + 1) if "octave" in layer else default[0])
    return parse_note(base) if isinstance(base, str) else base, reg.get("range", default[1])


DEFAULT_SECTIONS = {"motif": ("A", "B", "C", "outro"), "euclid": ("A", "B", "C", "outro"),
                    "arp": ("A", "B", "C", "outro")}


def plays(layer: dict, gen: str, section: form.Section | None) -> bool:
    """Whether the layer plays in a section (None, the final chord: every layer does)."""
    if section is None:
        return True
    return section.kind in layer.get("sections", DEFAULT_SECTIONS.get(gen, SECTION_KINDS))


def layer_motif(ctx: Context, name: str, layer: dict, ch: int, vel: int) -> list[dict]:
    """The melody: phrases from an idea per section kind; a returning section repeats its
    phrase (re-closing its last bar when the cadence differs); the final note is the tonic."""
    rng = ctx.rng(name, "motif")
    contours = layer.get("contour", ["arch", "wave", "ascending", "descending"])
    contours = contours if isinstance(contours, list) else [contours]
    base, span = _register(layer, (60, 14))
    density = _density(ctx, layer)
    sparse = layer.get("pattern") == "sparse"
    complexity = layer.get("complexity", 30 + round(40 * density) - (25 if sparse else 0))
    if "phrase_length" in layer:  # notes per (4-bar) phrase, as midi-cli-rs packs give it
        complexity = max(0, min(100, round((layer["phrase_length"] / 4 - 2) * 25)))
    keys = keys_in({(ctx.root + i) % 12 for i in SCALES[ctx.scale]}, base, base + span)
    if len(keys) < 3:
        keys = keys_in(ctx.scale_pcs, base, base + 12)
    dominant = set(diatonic(5, ctx.root, ctx.mode).pcs)
    writer = Writer(rng, keys, tonic=ctx.root, dominant=dominant, bar=ctx.bar, beat=ctx.beat,
                    complexity=max(0, min(100, complexity)), sparse=sparse and density < 0.6,
                    rest=0.04 + 0.12 * (1 - density), chromatic=layer.get("chromatic", 0.0),
                    contour=rng.choice(contours))
    swing = layer.get("swing", 0.0)
    written: dict[str, list[tuple[list[int], list[int]]]] = {}  # kind -> bars (rhythm, indices)
    ideas: dict[str, object] = {}
    out: list[tuple[int, int, int]] = []
    prev_idx: int | None = None
    prev_key: int | None = None
    sections = ctx.form.sections
    for n, section in enumerate(sections):
        if not plays(layer, "motif", section):
            prev_idx = prev_key = None
            continue
        following = sections[n + 1] if n + 1 < len(sections) else None
        goal = ("lead" if section.last else "half" if section.kind == "B" or (
            following is not None and following.kind == section.kind) else "tonic")
        kind = "A" if section.kind == "outro" else section.kind
        if kind not in ideas:
            ideas[kind] = writer.idea()
        idea = ideas[kind]
        memory = written.setdefault(kind, [])
        for i in range(section.bars):
            chord = set(ctx._colour(section.chords[i]).pcs)
            start = (section.start + i) * ctx.bar
            closing = i == section.bars - 1
            half = section.bars >= 6 and i == section.bars // 2 - 1
            if not closing and not half and i < len(memory) and prev_idx is not None and i > 0:
                rhythm, idx = memory[i]  # a returning section: the same bar again
            elif closing or half:
                rhythm = writer.close_rhythm()
                idx = writer.close(rhythm, prev_idx if prev_idx is not None else writer.start(chord, None),
                                   "half" if half else goal, chord)
            else:
                role = i % 4 if section.bars >= 6 else i
                if role == 0 or prev_idx is None:
                    first = writer.start(chord, prev_idx)
                    rhythm, moves = idea.rhythm, idea.moves
                elif role == 1:  # a sequence: the idea again from the next chord's tone
                    first = writer.nearest(memory[i - 1][1][0] + writer.rise, chord, reach=1) \
                        if i - 1 < len(memory) else writer.start(chord, prev_idx)
                    rhythm, moves = idea.rhythm, idea.moves
                else:  # development: inverted moves, varied rhythm
                    first = writer.start(chord, prev_idx)
                    rhythm, moves = idea.varied, [-m for m in idea.moves]
                idx = writer.bar_notes(rhythm, moves, first, chord)
            if i >= len(memory):
                memory.append((rhythm, idx))
            notes = writer.notes(start, rhythm, idx, prev_key)
            if notes:
                prev_key = notes[-1][2]
            prev_idx = idx[-1]
            out += notes
    final = ctx.final
    home = [k for k in keys if k % 12 == ctx.root] or [base + (ctx.root - base) % 12]
    last = min(home, key=lambda k: abs(k - prev_key)) if prev_key is not None else home[0]
    out.append((final.start, final.end - final.start, last))
    ctx.melody += out
    accents = layer.get("accent_on", [])
    notes = []
    for t, d, k in out:
        v = vel + (8 if t % ctx.bar == 0 else 3 if t % ctx.beat == 0 else -4)
        if "downbeat" in accents and t % ctx.bar == 0:
            v += 12
        if swing and t % ctx.beat == ctx.beat // 2:
            delay = round(swing * PPQ / 6)
            t, d = t + delay, max(1, d - delay)
        notes.append(note(t, d, ch, k, v + rng.randint(-3, 3)))
    return notes


def layer_chords(ctx: Context, name: str, layer: dict, ch: int, vel: int) -> list[dict]:
    """Chords voiced below the melody: held (sustained), comped (jazz) or repeated (rhythmic);
    the final chord held to the end."""
    rng = ctx.rng(name, "chords")
    base, span = _register(layer, (52, 19))
    style = {"comping": "comp", "rhythmic": "rhythmic"}.get(layer.get("pattern"), "pad")
    out = []
    top = None
    for sp in ctx.spans:
        if not plays(layer, "chords", sp.section):
            continue
        ceiling = ctx.ceiling(sp.start, sp.end, base + span)
        keys = voicing(sp.chord, floor=base - 7, ceiling=min(ceiling, base + span),
                       voices=3, style=ctx.voicing, near=top)  # a seventh drops its fifth
        if not keys:
            continue
        top = max(keys)
        out += accompany.hits("pad" if sp.section is None else style, sp.start, sp.end, keys,
                              ch=ch, vel=vel, rng=rng, bar=ctx.bar, beat=ctx.beat,
                              density=_density(ctx, layer), step=RATES[layer.get("rate", "8")],
                              gap=0 if sp.section is None else 10)
    return out


def layer_bass(ctx: Context, name: str, layer: dict, ch: int, vel: int) -> list[dict]:
    """The bass line (musicpipe.generators.bass) through the body; the root of the final
    chord held to the end."""
    base, span = _register(layer, (36, 14))
    style = layer.get("pattern", "root")
    body = [sp for sp in ctx.body_spans() if plays(layer, "bass", sp.section)]
    out = bass.line(body, style=style if style in bass.STYLES else "root", base=base, span=span,
                    tonic=ctx.root, scale=ctx.scale_pcs, rng=ctx.rng(name, "bass"), bar=ctx.bar,
                    beat=ctx.beat, step=RATES[layer.get("rate", "8")],
                    density=_density(ctx, layer), ch=ch, vel=vel, after=ctx.final.chord)
    home = keys_in({ctx.root}, base, base + span) or [base + (ctx.root - base) % 12]
    final = ctx.final
    return out + [note(final.start, final.end - final.start, ch, home[0], vel)]


def layer_arp(ctx: Context, name: str, layer: dict, ch: int, vel: int) -> list[dict]:
    """Chord tones broken up and down on the rate's grid, below the melody; the final chord
    is one held tone."""
    rng = ctx.rng(name, "arp")
    base, span = _register(layer, (60, 24))
    step = RATES[layer.get("rate", "16" if _density(ctx, layer) > 0.5 else "8")]
    octaves = layer.get("octaves", 2)
    shape = rng.choice(accompany.ARP_SHAPES)
    out = []
    for sp in ctx.spans:
        if not plays(layer, "arp", sp.section):
            continue
        top = min(base + span, base + 12 * octaves, ctx.ceiling(sp.start, sp.end, 127))
        keys = keys_in(set(sp.pcs), base, top)
        if len(keys) < 2:
            keys = keys_in(set(sp.pcs), base - 12, max(top, base))[-3:]
        if not keys:
            continue
        if sp.section is None:
            out.append(note(sp.start, sp.end - sp.start, ch, keys[0], vel * 0.9))
        else:
            out += accompany.hits("arp", sp.start, sp.end, keys, ch=ch, vel=vel, rng=rng,
                                  beat=ctx.beat, step=step, shape=shape)
    return out


def layer_drums(ctx: Context, name: str, layer: dict, ch: int, vel: int) -> list[dict]:
    """A style's pattern (``style``) or euclid voices bar by bar through the sections; a
    fill ends every ``fills`` bars and each section, a crash opens each section after the
    first, and the final chord gets one hit. The outro plays at half density."""
    rng = ctx.rng(name, "drums")
    density = _density(ctx, layer)
    every = layer.get("fills", 4)
    style = layer.get("style")
    out: list[tuple[int, int, float]] = []
    played_before = False
    for section in ctx.form.sections:
        if not plays(layer, "euclid", section):
            continue
        dens = density * (0.5 if section.kind == "outro" else 1.0)
        for i in range(section.bars):
            start = (section.start + i) * ctx.bar
            if style:
                hits = drums.bar_hits(style, ctx.bar, density=dens, rng=rng, intensity=ctx.intensity)
            else:
                hits = _euclid_bar(ctx, name, layer, dens, section.start + i)
            last = i == section.bars - 1
            if every and section.kind != "outro" and (last or (i + 1) % every == 0):
                beats = 2 if last and ctx.intensity > 60 else 1
                cut = ctx.bar - beats * ctx.beat
                hits = [h for h in hits if h[0] < cut] + drums.fill(ctx.bar, beats, ctx.beat, rng=rng)
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
            notes.append(note(t, dur, ch, key, vel * f))
    return notes


def _euclid_bar(ctx: Context, name: str, layer: dict, density: float, bar_no: int
                ) -> list[tuple[int, int, float]]:
    """One bar of a layer's euclid voices (pack drums without a style). Density thins a
    voice's pulses but never adds any: a four-on-the-floor stays four."""
    out = []
    for i, voice in enumerate(layer.get("voices", DEFAULT_VOICES)):
        if voice.get("min_intensity", 0) > ctx.intensity:
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
        else:
            body = list(humanize(body, ctx.seed, timing=spec.get("timing", 6),
                                 velocity=spec.get("velocity", ctx.velocity_range),
                                 length=spec.get("length", 0), swing=spec.get("swing", 0.0),
                                 channels=chans, salt=f"mood.{i}"))
    return body


def arrange(mood: dict, *, seconds: float, key: tuple[int, str], tempo: float | None = None,
            intensity: int | None = None, seed: int = 0) -> list[dict]:
    """The whole piece: header, every layer's notes, End at exactly ``seconds``."""
    tempo = float(tempo or mood.get("tempo", DEFAULT_TEMPO))
    intensity = mood.get("intensity", DEFAULT_INTENSITY) if intensity is None else intensity
    ticks = max(1, round(seconds * tempo / 60 * PPQ))
    ctx = Context(mood, key=key, tempo=tempo, intensity=intensity, seed=seed, ticks=ticks)
    keysig = key_event(ctx.root, ctx.mode)
    head = [{"type": "Seed", "seed": seed}, {"type": "Tempo", "t": 0, "bpm": tempo},
            {"type": "TimeSig", "t": 0, "num": ctx.time_sig[0], "den": ctx.time_sig[1]}, keysig]
    layers = plan(mood, intensity)
    named = set()
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
    head += mood_controllers(mixed, changes=[sp.start for sp in ctx.spans], end=ticks)
    body: list[dict] = []
    ending: list[dict] = []
    # Melodies first: the accompaniment is voiced under them.
    for name, layer, gen, ch in sorted(layers, key=lambda item: item[2] != "motif"):
        notes = GENERATE[gen](ctx, name, layer, ch, layer.get("velocity", ctx.velocity))
        for n in notes:  # dynamics: the build curve, intensity and section
            n["vel"] = max(1, min(127, round(n["vel"] * ctx.loudness(n["t"]))))
            (ending if n["t"] >= ctx.final_start else body).append(n)
    body = transform(ctx, body, channels)
    notes = [n if n["t"] + n["dur"] <= ticks else dict(n, dur=ticks - n["t"])
             for n in transform(ctx, ending, channels, final=True)]
    for n in body:
        end = min(n["t"] + n["dur"], ctx.final_start)
        if n["t"] >= end or (end - n["t"] < BLIP <= n["dur"]):
            continue
        notes.append(dict(n, dur=end - n["t"]) if end - n["t"] != n["dur"] else n)
    for n in notes:  # a register near the top (or bottom) of a pack: back by octaves
        while n["key"] > 127:
            n["key"] -= 12
        while n["key"] < 0:
            n["key"] += 12
    flats = spells_flats(ctx.root, ctx.mode)  # chord names spelled as the key is
    chords = [sp.chord.event(sp.start, sp.end - sp.start, flats) for sp in ctx.spans]
    body = sorted(chords + notes, key=lambda e: (e["t"], e["type"] != "Chord", e.get("ch", 0), e.get("key", 0)))
    return head + body + [{"type": "End", "t": ticks}]

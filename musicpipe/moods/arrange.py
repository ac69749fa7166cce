"""A resolved mood + duration, key, tempo, intensity and seed -> the event stream.

Each layer is one part on its own channel with its own instrument, written by a generator
function (motif, euclid, seq from musicpipe.generators; chords, bass and arp here) over a chord
progression. Intensity drops layers (``min_intensity``), thins or fills them (density) and
scales loudness; the seed picks contours, rhythms, voicings and instruments. Transforms
(scale snap, humanize) then run over the notes, and the piece is cut to exactly the
requested number of ticks at a constant tempo, so its length in seconds is exact.
"""

from __future__ import annotations

import math

from ..events import DRUM_CHANNEL, PPQ
from ..generators import euclid, motif, seq
from ..mix import mood_controllers
from ..rng import Rng, stage_rng
from ..theory import (SCALES, parse_drum, parse_note, parse_program, parse_progression,
                      scale_name, track_name)
from ..transforms.humanize import humanize
from ..transforms.scale import snap
from .packs import DEFAULT_TRANSFORMS, KITS, SCALE_WORDS

DEFAULT_TEMPO = 100
DEFAULT_INTENSITY = 50
PROGRESSIONS = {  # (mode family, tension high?) -> templates the seed picks from
    ("major", False): ("I vi IV V", "I IV I V", "I V vi IV", "I IV vi V"),
    ("major", True): ("I iii vi IV", "ii7 V7 Imaj7 vi7", "I bVII IV I", "vi IV I V"),
    ("minor", False): ("i VI III VII", "i iv i v", "i VI iv v", "i VII VI VII"),
    ("minor", True): ("i iv VII III", "i bII i V", "i iv V i", "i VI ii° V"),
}
STEPS = {"4": PPQ, "8": PPQ // 2, "16": PPQ // 4, "8t": PPQ // 3}
DEFAULT_VOICES = [{"note": "kick", "pulses": 4, "steps": 16},
                  {"note": "snare", "pulses": 2, "steps": 16, "rotation": 4, "min_intensity": 30},
                  {"note": "closed-hat", "pulses": 8, "steps": 16, "velocity": 70,
                   "min_intensity": 50}]


class Context:
    """What every layer generator needs to know about the piece."""

    def __init__(self, mood: dict, *, key: tuple[int, str], tempo: float, intensity: int,
                 seed: int, ticks: int):
        self.mood, self.seed, self.intensity = mood, seed, intensity
        self.root, self.mode = key
        self.tempo = tempo
        num, den = (int(x) for x in mood.get("time_sig", "4/4").split("/"))
        self.time_sig = (num, den)
        self.bar = num * PPQ * 4 // den
        self.ticks = ticks
        self.bars = max(1, math.ceil(ticks / self.bar))
        self.length = self.bars * self.bar
        harmony = mood.get("harmony", {})
        rng = stage_rng(seed, "mood", "harmony")
        minorish = self.mode not in ("major", "lydian", "mixolydian")
        self.tension = harmony.get("tension", 0.3)
        text = harmony.get("progression") or rng.choice(
            PROGRESSIONS[("minor" if minorish else "major", self.tension > 0.5)])
        chords = parse_progression(text, self.root, self.mode)
        per = harmony.get("bars_per_chord", 1)
        self.chords: list[tuple[int, int, tuple[int, ...]]] = []  # (start, end, pcs)
        for i in range(math.ceil(self.bars / per)):
            root, intervals = chords[i % len(chords)]
            if self.tension > 0.5 and len(intervals) == 3:
                intervals = intervals + ((10,) if intervals[1] == 3 else (11 if i % len(chords) == 0 else 10,))
            start = i * per * self.bar
            self.chords.append((start, min(self.length, start + per * self.bar),
                                tuple((root + iv) % 12 for iv in intervals)))
        self.voicing = harmony.get("voicing", "close")
        self.scale = self.scale_of(harmony.get("scale"), self.mode)
        dyn = mood.get("dynamics", {})
        self.velocity = dyn.get("velocity_base", 80)
        self.velocity_range = dyn.get("velocity_range", 8)
        self.curve = dyn.get("build_curve", "flat")

    @staticmethod
    def scale_of(word: str | None, mode: str) -> str:
        """A scale word from a pack (natural_minor, pentatonic, a scale name) in this mode."""
        if not word:
            return mode
        minorish = mode not in ("major", "lydian", "mixolydian")
        if word == "pentatonic":
            word = "minor pentatonic" if minorish else "major pentatonic"
        word = SCALE_WORDS.get(word) or word
        return word if word in SCALES else scale_name(word)

    def harmony(self) -> list[tuple[int, tuple[int, ...]]]:
        return [(start, pcs) for start, _, pcs in self.chords]

    def rng(self, *names) -> Rng:
        return stage_rng(self.seed, "mood", *names)

    def loudness(self, t: int) -> float:
        """The build curve times the intensity, at tick t."""
        p = t / max(1, self.ticks)
        shape = {"flat": 1.0, "crescendo": 0.75 + 0.35 * p, "decrescendo": 1.1 - 0.35 * p,
                 "arch": 0.8 + 0.3 * math.sin(math.pi * p),
                 "wave": 0.95 + 0.12 * math.sin(2 * math.pi * p * 2)}[self.curve]
        return shape * (0.65 + 0.5 * self.intensity / 100)


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


def _keys_in(pcs, lo: int, hi: int) -> list[int]:
    return [k for k in range(max(0, lo), min(127, hi) + 1) if k % 12 in pcs]


def _note(t, dur, ch, key, vel) -> dict:
    return {"type": "Note", "t": t, "dur": max(1, dur), "ch": ch, "key": key,
            "vel": max(1, min(127, round(vel)))}


def layer_motif(ctx: Context, name: str, layer: dict, ch: int, vel: int) -> list[dict]:
    rng = ctx.rng(name, "motif")
    contour = layer.get("contour", ["arch", "wave", "ascending", "descending"])
    contours = contour if isinstance(contour, list) else [contour]
    base, span = _register(layer, (60, 14))
    density = _density(ctx, layer)
    sparse = layer.get("pattern") == "sparse"
    rest = 0.05 + (0.55 if sparse else 0.35) * (1 - density)
    complexity = layer.get("complexity", 30 + round(40 * density) - (25 if sparse else 0))
    out: list[dict] = []
    phrase_bars = 2 if ctx.bar * 2 <= ctx.length else 1
    seeds = [rng.randint(0, 2**31), rng.randint(0, 2**31)]
    form = (0, 0, 1, 0)  # A A B A: a melody repeats before it varies
    t = 0
    i = 0
    while t < ctx.length:
        harmony = [(max(0, s - t), pcs) for s, e, pcs in ctx.chords if e > t]
        kw = dict(base=base, range_=span, complexity=max(0, min(100, complexity)),
                  contour=contours[(seeds[form[i % 4]] + i // 4) % len(contours)],
                  dur="2,4" if sparse and density < 0.3 else None, rest_prob=rest,
                  swing=layer.get("swing", 0.0), root=ctx.root, mode=ctx.scale, ch=ch, vel=vel,
                  harmony=harmony)
        if "phrase_length" in layer:
            phrase = motif.part(seeds[form[i % 4]], notes=layer["phrase_length"], **kw)
        else:
            phrase = motif.part(seeds[form[i % 4]], bars=phrase_bars, **kw)
        end = phrase[-1]["t"]
        accents = layer.get("accent_on", [])
        notes = [e for e in phrase if e["type"] == "Note"]
        for n in notes:
            n = dict(n, t=n["t"] + t)
            if "downbeat" in accents and n["t"] % ctx.bar == 0:
                n["vel"] = min(127, n["vel"] + 12)
            out.append(n)
        if "phrase_end" in accents and notes:
            out[-1]["vel"] = min(127, out[-1]["vel"] + 12)
        t += max(end, ctx.bar)
        i += 1
    return out


def _voicing(ctx: Context, rng: Rng, pcs: tuple[int, ...], base: int, span: int) -> list[int]:
    """Chord keys in the register: close (stacked from the lowest root), spread (root low,
    the rest an octave up) or open (alternate tones raised an octave); seeded inversions."""
    root_keys = _keys_in({pcs[0]}, base, base + 11)
    low = root_keys[0] if root_keys else base
    keys = []
    for pc in pcs:
        k = low + (pc - low) % 12
        keys.append(k)
    if ctx.voicing == "spread":
        keys = [keys[0]] + [k + 12 for k in keys[1:]]
    elif ctx.voicing == "open":
        keys = [k + 12 if i % 2 else k for i, k in enumerate(keys)]
    inversion = rng.randint(0, min(2, len(keys) - 1))
    keys = sorted(keys)
    for _ in range(inversion):
        keys = keys[1:] + [keys[0] + 12]
    while max(keys) > base + span + 12 and min(keys) - 12 >= 0:
        keys = [k - 12 for k in keys]
    return sorted(set(k for k in keys if 0 <= k <= 127))


def layer_chords(ctx: Context, name: str, layer: dict, ch: int, vel: int) -> list[dict]:
    rng = ctx.rng(name, "chords")
    base, span = _register(layer, (52, 19))
    density = _density(ctx, layer)
    pattern = layer.get("pattern", "sustained")
    out = []
    for start, end, pcs in ctx.chords:
        keys = _voicing(ctx, rng, pcs, base, span)
        if pattern == "sustained":
            out += [_note(start, end - start - 10, ch, k, vel) for k in keys]
        elif pattern == "comping":  # jazz: short chords on and off the beat, seeded
            for beat in range(start, end, PPQ):
                for off in (0, PPQ * 2 // 3):
                    if rng.random() < density * (0.55 if off else 0.35):
                        out += [_note(beat + off, PPQ // 3, ch, k, vel * rng.uniform(0.8, 1.0))
                                for k in keys]
        else:  # rhythmic: repeated chords on the rate's grid, density leaves some out
            step = STEPS[layer.get("rate", "8")]
            for t in range(start, end, step):
                if t == start or rng.random() < density:
                    accent = 1.0 if t % PPQ == 0 else 0.85
                    out += [_note(t, step - 20, ch, k, vel * accent) for k in keys]
    return out


def layer_bass(ctx: Context, name: str, layer: dict, ch: int, vel: int) -> list[dict]:
    rng = ctx.rng(name, "bass")
    base, span = _register(layer, (36, 14))
    pattern = layer.get("pattern", "root")
    density = _density(ctx, layer)
    scale_pcs = {(ctx.root + i) % 12 for i in SCALES[ctx.scale]}
    out = []

    def lowest(pc):
        keys = _keys_in({pc}, base, base + span)
        return keys[0] if keys else base + (pc - base) % 12

    for i, (start, end, pcs) in enumerate(ctx.chords):
        root = lowest(pcs[0])
        if pattern == "pedal":
            tonic = lowest(ctx.root)
            out += [_note(t, min(ctx.bar, end - t) - 10, ch, tonic, vel) for t in range(start, end, ctx.bar)]
        elif pattern == "walking":  # quarter notes: root, chord or scale tones, an approach
            nxt = lowest(ctx.chords[(i + 1) % len(ctx.chords)][2][0])
            beats = list(range(start, end, PPQ))
            key = root
            for j, t in enumerate(beats):
                if j == 0:
                    key = root
                elif j == len(beats) - 1:
                    key = nxt + rng.choice((-1, 1))  # chromatic approach to the next root
                else:
                    pool = _keys_in(set(pcs) | scale_pcs, key - 4, key + 4)
                    pool = [k for k in pool if k != key] or [key]
                    key = rng.choice(pool)
                key = max(base - 5, min(base + span + 5, key))
                out.append(_note(t, PPQ - 30, ch, key, vel * (1.0 if j % 2 == 0 else 0.88)))
        elif pattern in ("rhythmic", "octave"):
            step = STEPS[layer.get("rate", "8")]
            for j, t in enumerate(range(start, end, step)):
                if t != start and rng.random() > density:
                    continue
                key = root + 12 if pattern == "octave" and j % 2 else root
                out.append(_note(t, step - 20, ch, key, vel * (1.0 if t % PPQ == 0 else 0.85)))
        else:  # root: the chord's root, held
            out.append(_note(start, end - start - 20, ch, root, vel))
    return out


def layer_arp(ctx: Context, name: str, layer: dict, ch: int, vel: int) -> list[dict]:
    rng = ctx.rng(name, "arp")
    base, span = _register(layer, (60, 24))
    step = STEPS[layer.get("rate", "16" if _density(ctx, layer) > 0.5 else "8")]
    octaves = layer.get("octaves", 2)
    shape = rng.choice(("up", "down", "updown"))
    out = []
    for start, end, pcs in ctx.chords:
        keys = _keys_in(set(pcs), base, min(base + span, base + 12 * octaves))
        if shape == "down":
            keys = keys[::-1]
        elif shape == "updown":
            keys = keys + keys[-2:0:-1]
        for j, t in enumerate(range(start, end, step)):
            out.append(_note(t, step - 10, ch, keys[j % len(keys)], vel * (1.0 if t % PPQ == 0 else 0.8)))
    return out


def layer_euclid(ctx: Context, name: str, layer: dict, ch: int, vel: int) -> list[dict]:
    density = _density(ctx, layer)
    out = []
    for i, voice in enumerate(layer.get("voices", DEFAULT_VOICES)):
        if voice.get("min_intensity", 0) > ctx.intensity:
            continue
        steps = voice.get("steps", 16)
        pulses = max(1 if voice.get("pulses", 4) else 0,
                     min(steps, round(voice.get("pulses", 4) * (0.6 + 0.8 * density))))
        step = voice.get("step", PPQ // 4)
        cycles = math.ceil(ctx.length / (steps * step))
        part = euclid.part(pulses=pulses, steps=steps, rotation=voice.get("rotation", 0),
                           note=parse_drum(voice["note"]), step=step, vel=voice.get("velocity", vel),
                           accent=voice.get("accent", 10), ghost=voice.get("ghost", 0.0) * density,
                           vel_var=ctx.velocity_range // 2, skip=voice.get("skip", 0.0),
                           seed=ctx.seed, ch=ch, cycles=cycles, salt=f"{name}.{i}")
        out += [e for e in part if e["type"] == "Note"]
    return out


def layer_seq(ctx: Context, name: str, layer: dict, ch: int, vel: int) -> list[dict]:
    part = seq.part(layer.get("notes", "C4/1"), ch=ch, vel=vel)
    span = part[-1]["t"]
    shift = 0 if ch == DRUM_CHANNEL else (ctx.root + 6) % 12 - 6  # written in C: to the key
    out = []
    for t in range(0, ctx.length, max(1, span)):
        out += [dict(e, t=e["t"] + t, key=min(127, max(0, e["key"] + shift)))
                for e in part if e["type"] == "Note"]
    return out


GENERATE = {"motif": layer_motif, "chords": layer_chords, "bass": layer_bass,
            "arp": layer_arp, "euclid": layer_euclid, "seq": layer_seq}


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


def transform(ctx: Context, body: list[dict], channels: dict[str, int]) -> list[dict]:
    """The mood's transforms in order, each on its layers' channels (default: scale on the
    motif and seq layers, humanize on all). A layer silent at this intensity is skipped."""
    gens = {name: _generator(name, layer) for name, layer in ctx.mood.get("layers", {}).items()}
    for i, spec in enumerate(ctx.mood.get("transforms", DEFAULT_TRANSFORMS)):
        default = [n for n in channels if spec["stage"] == "humanize" or gens[n] in ("motif", "seq")]
        chans = {channels[n] for n in spec.get("layers", default) if n in channels}
        if not chans:
            continue
        if spec["stage"] == "scale":
            scale = ctx.scale
            if "scale" in spec:
                scale = Context.scale_of(spec["scale"], ctx.mode)
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
    head = [{"type": "Seed", "seed": seed}, {"type": "Tempo", "t": 0, "bpm": tempo},
            {"type": "TimeSig", "t": 0, "num": ctx.time_sig[0], "den": ctx.time_sig[1]}]
    body: list[dict] = []
    named = set()
    channels: dict[str, int] = {}  # layer name -> channel, for transforms
    mixed = []  # (layer, generator, channel, program): the mix hook below
    for name, layer, gen, ch in plan(mood, intensity):
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
        vel = layer.get("velocity", ctx.velocity)
        body += GENERATE[gen](ctx, name, layer, ch, vel)
    # the mix (issue 11): each layer's level, pan, sends, expression, sustain at the head
    head += mood_controllers(mixed, changes=[start for start, _, _ in ctx.chords], end=ticks)
    for n in body:  # dynamics: the build curve and intensity
        n["vel"] = max(1, min(127, round(n["vel"] * ctx.loudness(n["t"]))))
    body = transform(ctx, body, channels)
    notes = []
    for n in body:
        if n["t"] >= ticks:
            continue
        if n["t"] + n["dur"] > ticks:
            n = dict(n, dur=ticks - n["t"])
        notes.append(n)
    notes.sort(key=lambda n: (n["t"], n["ch"], n["key"]))
    return head + notes + [{"type": "End", "t": ticks}]

"""The form: the piece's bars as sections that contrast and return, chosen by the seed.

A style has a pool of forms (AABA, verse-chorus-bridge, ABAC, rondo; drones are
through-composed); the seed picks one, and a long piece goes on past it in cycles of
development: a breakdown (layers drop out), a build (density and loudness rise into the
return), the theme again, and once, late, a lift (a step up) where the style allows, which
turns home on the dominant. Sections are phrases of 8 bars (4 in a short piece); an intro of
0-4 bars (the home chord, a vamp of the A or B progression, a turn to the dominant, or the
colour of the subdominant or the sixth; its length shifts the phrases against another
seed's) and, from 24 bars on, a 2-bar outro frame them; the last section ends in the mood's
cadence, approached as the seed picks, and every other one closes on its phrase's own chord
or the dominant. A four-chord progression in an 8-bar phrase may change chord every bar or
every two (the seed's harmonic rhythm).
"""

from __future__ import annotations

from ...harmony import Chord, family, tonic
from ...rng import Rng
from . import harmony
from .style import LIFT

FORMS = {
    "pop": ("AABA", "ABABCB", "ABAC", "ABACA"),
    "gentle": ("AABA", "ABAC", "ABACA", "ABAB"),
    "show": ("AABA", "ABAC", "ABABCB"),
    "epic": ("ABABCB", "AABA", "ABACA", "ABAC"),
    "jazz": ("AABA", "ABAC", "AABA"),
    "dark": ("ABACA", "ABAC", "AABA", "ABCD"),
    "drone": ("ABCD",),
}
FORM_NAMES = {"AABA": "AABA", "ABABCB": "verse-chorus-bridge", "ABAC": "ABAC",
              "ABACA": "rondo", "ABAB": "verse-chorus", "ABCD": "through-composed"}
# How hard a section plays (density of the accompaniment, loudness): the verse (A) holds
# back, the chorus (B) opens up, a breakdown drops, a lift is the peak.
ENERGY = {"intro": 0.75, "outro": 0.8, "A": 0.92, "B": 1.12, "C": 1.0}
ROLE_ENERGY = {"breakdown": 0.65, "build": 0.9, "lift": 1.15, "plain": 1.0}


class Section:
    """A stretch of bars with one role. ``kind`` (intro, A, B, C, outro) says which layers
    play; ``theme`` names its melody (A, B, C, D...: a through-composed piece never returns);
    ``index`` counts the sections of its theme so far; ``role`` is plain, breakdown, build
    or lift (``shift`` semitones up); ``chords`` one Chord per bar."""

    __slots__ = ("kind", "theme", "start", "bars", "chords", "index", "last", "role", "shift")

    def __init__(self, kind: str, theme: str, start: int, bars: int, index: int, role: str = "plain"):
        self.kind, self.theme, self.start, self.bars, self.index = kind, theme, start, bars, index
        self.role, self.shift, self.last = role, 0, False
        self.chords: list[Chord] = []

    @property
    def energy(self) -> float:
        return ENERGY.get(self.kind, 1.0) * ROLE_ENERGY[self.role] * (1.03 if self.index else 1.0)

    def __repr__(self) -> str:
        return f"Section({self.theme}{self.index} {self.role} bar {self.start} x{self.bars})"


class Form:
    """Sections over ``body`` bars, then the final tonic chord from bar ``body`` to the end."""

    def __init__(self, sections: list[Section], body: int, final: Chord, name: str):
        self.sections, self.body, self.final, self.name = sections, body, final, name

    def section_at_bar(self, bar: int) -> Section | None:
        return next((s for s in self.sections if s.start <= bar < s.start + s.bars), None)


def kind_of(theme: str) -> str:
    """A theme's section kind for the layers: A, B, C; later themes of a through-composed
    piece alternate B and C."""
    return theme if theme in "ABC" else "BC"[(ord(theme) - ord("D")) % 2]


def themes(letters: str, phrases: int, style: str, rng_of) -> list[tuple[str, str]]:
    """(theme, role) for ``phrases`` sections: the form's letters, then cycles of
    development; a breakdown, a build into the return, and one lift late in the piece."""
    through = letters == "ABCD"
    out = [(t, "plain") for t in letters]
    if through:  # a drone's tide: it thins out, then gathers
        out = [("A", "plain"), ("B", "plain"), ("C", "breakdown"), ("D", "build")]
    k = 0
    while len(out) < phrases:
        rng = rng_of("cycle", k)
        if through:
            out.append((chr(ord("A") + len(out)) if len(out) < 20 else "ABC"[len(out) % 3],
                        rng.choice(("plain", "breakdown", "plain", "build"))))
        else:
            away = rng.choice(("B", "C")) if "C" in letters else "B"
            cycle = [(away, "breakdown"), ("A", "build"), ("A", "plain")]
            if rng.random() < 0.5:
                cycle = [("B", "plain")] + cycle
            out += cycle
        k += 1
    out = out[:phrases]
    if phrases >= 3 and not through and out[-1] != ("A", "plain"):
        out[-1] = ("A", "plain")  # the piece ends on its theme, home
    if style in LIFT and phrases >= 6:
        late = [i for i, (t, r) in enumerate(out) if i >= phrases * 0.55 and i < phrases - 1
                and r == "plain" and t in "AB"]
        if late:
            out[late[0]] = (out[late[0]][0], "lift")
    return out


def plan(mood: dict, *, bars: int, root: int, mode: str, style: str, rng_of,
         loop: bool = False) -> Form:
    """The form for ``bars`` bars before the final chord; ``rng_of(*names)`` gives the
    generator of one decision (form, intro, harmony, each section's re-harmonisation). A
    ``loop`` has no frame: no intro, no outro (it has no beginning or end to frame)."""
    per = mood.get("harmony", {}).get("bars_per_chord", 1)
    a, b, c = harmony.pick(mood, style, root, mode, rng_of("progressions"))
    given = [k for k in mood.get("form", []) if k not in ("intro", "outro")]
    letters = "".join(given) if given else rng_of("form").choice(FORMS[style])
    framed = () if loop else mood.get("form", ("intro", "outro"))
    intro = 0
    if "intro" in framed and bars >= 8:
        intro = rng_of("intro").choice(range(min(4, bars // 8) + 1))  # it shifts the phrases
    outro = 2 if "outro" in framed and bars >= 24 else 0
    body = bars - intro - outro
    phrase = 8 if body >= 8 * min(3, len(letters)) else 4
    count = max(1, round(body / phrase)) if body > 0 else 0
    if not mood.get("harmony", {}).get("progression"):  # seeded chords move faster in a short phrase
        per = max(1, min(per, phrase // min(len(a), 4)))
        if len(a) * 2 <= phrase and style != "jazz" and rng_of("harmonic rhythm").random() < 0.5:
            per = 2  # a four-chord progression over an 8-bar phrase: a chord every two bars
    order = themes(letters, count, style, rng_of)
    close = harmony.closing(mood.get("cadence", "authentic"), root, mode, rng_of("cadence"))
    sources = {"A": a, "B": b, "C": c}
    out: list[Section] = []
    seen: dict[str, int] = {}
    at = 0
    if intro:
        s = Section("intro", "intro", 0, intro, 0)
        how = rng_of("intro", "chord").choice(("tonic", "vamp", "vamp B", "dominant", "subdominant",
                                              "relative"))
        s.chords = _cycle(_per_bar(a, per), intro) if how == "vamp" else [tonic(root, mode)] * intro
        if how == "vamp B":  # the B progression's opening, which sets off away from home
            s.chords = _cycle(_per_bar(b, per), intro)
        if how in ("subdominant", "relative"):  # a lead-in from IV (iv) or vi (VI)
            s.chords = [harmony.intro_chord(how, root, mode)] * intro
        if how == "dominant" and intro >= 2:
            s.chords[-1] = harmony.half_close(root, mode, style)
        out.append(s)
        at = intro
    left = body
    for i, (theme, role) in enumerate(order):
        n = left if i == len(order) - 1 else min(phrase, left)  # the last takes what is left
        if n <= 0:
            break
        s = Section(kind_of(theme), theme, at, n, seen.get(theme, 0), role)
        seen[theme] = s.index + 1
        source = sources.get(theme) or _rotate(sources["ABC"[ord(theme) % 3]], ord(theme) % 4)
        chords = _cycle(_per_bar(source, per), n, s.index * n)  # a return goes on through it
        rng = rng_of("reharmonise", theme, s.index)
        amount = (0.15 if s.index == 0 else 0.45) if style != "drone" else 0.2
        first = chords[:len(chords) // 2] if n >= 8 else chords
        second = chords[len(first):]
        chords = harmony.substitute(first, style=style, root=root, mode=mode, rng=rng,
                                    amount=amount) + \
            harmony.substitute(second, style=style, root=root, mode=mode, rng=rng,
                               amount=max(0.35, amount))
        s.chords = chords
        out.append(s)
        at += n
        left -= n
    if outro:
        s = Section("outro", "outro", at, outro, 0)
        s.chords = [tonic(root, mode)] * outro if style == "drone" else _cycle(_per_bar(a, per), outro)
        out.append(s)
    body_sections = [s for s in out if s.kind != "intro"]
    for s, nxt in zip(body_sections, body_sections[1:]):
        if s.role == "lift":
            s.shift = 2
            s.chords = [Chord(ch.root + 2, ch.intervals) for ch in s.chords]
            s.chords[-1] = harmony.dominant7(root + 7)  # the turn home
        elif s.bars >= 4 and s.kind != "outro" and (
                nxt.theme == "A" and s.theme != "A"
                or rng_of("half close", s.theme, s.index).random() < 0.3):
            s.chords[-1] = harmony.half_close(root, mode, style)
    if family(mode) == "minor" and body_sections and not any(
            ch == harmony.half_close(root, mode, style) for s in body_sections for ch in s.chords):
        closing = [s for s in body_sections if s.bars >= 2 and s.role != "lift"]
        if len(closing) >= 2:  # a minor piece sounds its leading tone at least once
            closing[-2].chords[-1] = harmony.half_close(root, mode, style)
    if out:
        last = out[-1]
        last.last = True
        if per > 1 and last.bars >= 4 * len(close):
            close = [ch for ch in close for _ in range(per)]
        k = min(len(close), last.bars, max(2, last.bars // 2))  # the section keeps its start
        last.chords[last.bars - k:] = close[len(close) - k:]
    return Form(out, bars, tonic(root, mode), FORM_NAMES.get(letters, letters))


def _per_bar(chords: list[Chord], per: int) -> list[Chord]:
    return [c for c in chords for _ in range(per)]


def _cycle(chords: list[Chord], n: int, start: int = 0) -> list[Chord]:
    return [chords[(start + i) % len(chords)] for i in range(n)]


def _rotate(chords: list[Chord], k: int) -> list[Chord]:
    k %= len(chords)
    return chords[k:] + chords[:k]

"""The form of a mood piece: its duration laid out as sections of whole phrases, a cadence,
and a final tonic chord that rings to the exact end.

The final chord starts on the last bar line at least one beat before the end, so the piece
always closes on a downbeat and lasts exactly as long as asked. The bars before it follow
the mood's ``form`` (default intro, A, A, B, A, outro): the intro and outro are short and
thin, the body sections are phrases of the progression's length; the form repeats its
middle (A B A...) for long pieces, and the last phrase ends in the mood's cadence.
"""

from __future__ import annotations

from ..harmony import B_PROGRESSIONS, Chord, cadence, family, progression, tonic
from ..rng import Rng

DEFAULT_FORM = ("intro", "A", "A", "B", "A", "outro")


class Section:
    """A stretch of bars with one role: ``kind`` is intro, outro, or a letter (A, B, C);
    ``chords`` is one Chord per bar; ``index`` counts the sections of this kind so far."""

    __slots__ = ("kind", "start", "bars", "chords", "index", "last")

    def __init__(self, kind: str, start: int, bars: int, chords: list[Chord], index: int):
        self.kind, self.start, self.bars, self.chords, self.index = kind, start, bars, chords, index
        self.last = False  # the section that ends in the cadence

    def __repr__(self) -> str:
        return f"Section({self.kind}{self.index} bar {self.start} x{self.bars})"


class Form:
    """Sections over ``body`` bars, then the final tonic chord from bar ``body`` to the end."""

    def __init__(self, sections: list[Section], body: int, final: Chord):
        self.sections, self.body, self.final = sections, body, final

    def chord_at_bar(self, bar: int) -> Chord:
        for s in self.sections:
            if s.start <= bar < s.start + s.bars:
                return s.chords[bar - s.start]
        return self.final

    def section_at_bar(self, bar: int) -> Section | None:
        return next((s for s in self.sections if s.start <= bar < s.start + s.bars), None)


def phrase_bars(chords: int, per_chord: int) -> int:
    """A phrase is the progression once through, kept to 2-8 bars (a multiple of 2)."""
    bars = chords * per_chord
    return max(2, min(8, bars - bars % 2 if bars > 2 else bars))


def plan(mood: dict, *, bars: int, root: int, mode: str, chords: str, written: str | None,
         rng: Rng) -> Form:
    """The form for ``bars`` bars before the final chord (see the module docstring), on the
    A progression ``chords`` (numerals or chord names, written for a key in ``written``
    mode: moved to another mode family, they are re-spelled on the same degrees)."""
    harmony = mood.get("harmony", {})
    per = harmony.get("bars_per_chord", 1)
    a = progression(chords, root, mode, written=written)
    b_text = harmony.get("progression_b") or rng.choice(B_PROGRESSIONS[family(mode)])
    b = progression(b_text, root, mode, written=written if harmony.get("progression_b") else None)
    close = cadence(mood.get("cadence", "authentic"), root, mode)
    phrase = phrase_bars(len(a), per)
    form = list(mood.get("form", DEFAULT_FORM))
    sections = _layout(form, bars, phrase)
    out: list[Section] = []
    counts: dict[str, int] = {}
    at = 0
    for kind, n in sections:
        if kind == "intro":  # on the home chord
            chords = [a[0]] * n
        elif kind == "outro":
            chords = _cycle(_per_bar(a, per), n)
        else:
            source = b if kind == "B" else a
            chords = _cycle(_per_bar(source, per), n)
        out.append(Section(kind, at, n, chords, counts.get(kind, 0)))
        counts[kind] = counts.get(kind, 0) + 1
        at += n
    if out:
        last = out[-1]
        last.last = True
        k = min(len(close), last.bars)  # the cadence takes the last bars of the last section
        last.chords[last.bars - k:] = close[len(close) - k:]
    return Form(out, bars, tonic(root, mode))


def _per_bar(chords: list[Chord], per: int) -> list[Chord]:
    return [c for c in chords for _ in range(per)]


def _cycle(chords: list[Chord], n: int) -> list[Chord]:
    return [chords[i % len(chords)] for i in range(n)]


def _layout(form: list[str], bars: int, phrase: int) -> list[tuple[str, int]]:
    """(kind, bars) for each section, filling exactly ``bars``."""
    if bars <= 0:
        return []
    middle = [k for k in form if k not in ("intro", "outro")] or ["A"]
    intro = 0 if "intro" not in form or bars < 6 else (2 if bars < 24 else 4)
    outro = 0 if "outro" not in form or bars < 10 else 2
    body = bars - intro - outro
    again = middle[2:] if len(middle) > 2 and middle[0] == middle[1] else middle
    if body < phrase * len(middle) and len(middle) > 2 and middle[0] == middle[1]:
        middle = middle[1:]  # no room for the whole form: A B A rather than A A and no B
    while phrase > 4 and body < phrase * len(middle):
        phrase //= 2  # long phrases halve until the form's contrast fits
    out: list[tuple[str, int]] = [("intro", intro)] if intro else []
    order = list(middle)
    i = 0
    while body > 0:
        if i >= len(order):
            order += again
        n = min(phrase, body)
        if body - n == 1:  # no one-bar leftover: the last phrase takes it
            n += 1
        out.append((order[i], n))
        body -= n
        i += 1
    if outro:
        out.append(("outro", outro))
    return out

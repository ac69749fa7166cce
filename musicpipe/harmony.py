"""Harmony: chords in a key, progressions, cadences and voicings.

One vocabulary for everything that plays chords: a ``Chord`` is a root pitch class and its
intervals; progressions are Roman numerals in a key (or chord names); a cadence is the
chords that lead into the final tonic; a voicing puts a chord's tones on keys, below a
ceiling (the melody) and above a floor, moving as little as it can from the last one.
"""

from __future__ import annotations

import re
from fractions import Fraction

from .theory import (CHORDS, FLAT_NAMES, PITCH_CLASSES, SCALES, SHARP_NAMES, TheoryError,
                     key_signature, parse_chord, parse_roman, scale_name)

_NUMERAL = re.compile(r"^(b|#)?([ivIV]+)(°|dim|\+|aug)?(maj7|7)?$")
_DEGREES = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6, "vii": 7}
MAJORISH = ("major", "lydian", "mixolydian", "major-pentatonic", "major-blues", "bebop-major",
            "bebop-dominant", "lydian-dominant", "harmonic-major")

# The chords that lead into the final tonic, by cadence name (Roman numerals in the key).
CADENCES = {
    "authentic": {"major": "V", "minor": "V"},
    "plagal": {"major": "IV", "minor": "iv"},
    "dark": {"major": "bII", "minor": "bII"},  # the Phrygian/Neapolitan close of thrillers
    "jazz": {"major": "ii7 V7", "minor": "ii° V7"},
    "epic": {"major": "bVI bVII", "minor": "VI VII"},
    "soft": {"major": "IV V", "minor": "iv V"},
}

class Chord:
    """A chord: root pitch class and intervals above it (semitones). ``spelled`` keeps the
    symbol as the user wrote it (F#m7b5, Gb: names follow the writer, not the key); ``share``
    is the part of its slot it lasts (1/2 for each of two chords written in one bar)."""

    __slots__ = ("root", "intervals", "spelled", "share")

    def __init__(self, root: int, intervals: tuple[int, ...], spelled: str | None = None,
                 share: Fraction = Fraction(1)):
        self.root, self.intervals = root % 12, tuple(intervals)
        self.spelled, self.share = spelled, share

    @property
    def pcs(self) -> tuple[int, ...]:
        return tuple((self.root + i) % 12 for i in self.intervals)

    @property
    def quality(self) -> str:
        """'m7', 'maj7', '' (major): the symbol's quality, from the chord table."""
        return next((q for q, iv in CHORDS.items() if iv == self.intervals), "?")

    def name(self, flats: bool = True) -> str:
        """'Am7', 'Bb', 'F#dim': the root and the chord quality as a lead sheet writes it."""
        if self.spelled:
            return self.spelled
        return (FLAT_NAMES if flats else SHARP_NAMES)[self.root] + self.quality

    def event(self, t: int, dur: int, flats: bool = True) -> dict:
        """The stream's Chord event for this chord from ``t``, lasting ``dur`` ticks."""
        root = re.match(r"[A-G][#b]?", self.spelled).group() if self.spelled else \
            (FLAT_NAMES if flats else SHARP_NAMES)[self.root]
        return {"type": "Chord", "t": t, "dur": dur, "root": root,
                "quality": self.quality, "name": self.name(flats)}

    def __eq__(self, other) -> bool:
        return isinstance(other, Chord) and (self.root, self.intervals) == (other.root, other.intervals)

    def __hash__(self) -> int:
        return hash((self.root, self.intervals))

    def __repr__(self) -> str:
        return f"Chord({self.name()})"


def family(mode: str) -> str:
    """'major' or 'minor': which way a mode's third goes (dorian, phrygian... are minor)."""
    return "major" if scale_name(mode) in MAJORISH else "minor"


def diatonic(degree: int, root: int, mode: str, seventh: bool = False) -> Chord:
    """The chord built in thirds on a scale degree (1-7) of a seven-note mode."""
    steps = SCALES[scale_name(mode)]
    if len(steps) != 7:
        steps = SCALES[family(mode)]
    tones = [steps[(degree - 1 + k) % 7] + 12 * ((degree - 1 + k) // 7) for k in (0, 2, 4, 6)]
    base = tones[0]
    return Chord(root + base, tuple(t - base for t in tones[: 4 if seventh else 3]))


def numeral(text: str, root: int, mode: str, *, respell: bool = False) -> Chord:
    """A Roman numeral in a key. Written case gives the quality (V major, ii minor), unless
    ``respell``: then the chord on that degree of ``mode`` (a progression moved to another
    mode keeps its degrees), but a major V stays major in minor (the leading tone's pull)
    and accidentals (bII, bVII) keep what is written."""
    m = _NUMERAL.match(text.strip())
    if not m or m.group(2).lower() not in _DEGREES:
        raise TheoryError(f"not a Roman numeral chord: {text!r} (examples: I, vi, IV, V7, ii7, bVII)")
    degree = _DEGREES[m.group(2).lower()]
    if respell and not m.group(1) and not m.group(3) and not (degree == 5 and m.group(2).isupper()):
        chord = diatonic(degree, root, mode, seventh=bool(m.group(4)))
        if m.group(4) == "maj7" and len(chord.intervals) == 4:
            chord = Chord(chord.root, chord.intervals[:3] + (11,))
        return chord
    return Chord(*parse_roman(text, root, mode))


class Change:
    """A chord from tick ``start`` to ``end``: one step of a progression in time."""

    __slots__ = ("start", "end", "chord")

    def __init__(self, start: int, end: int, chord: Chord):
        self.start, self.end, self.chord = start, end, chord

    @property
    def pcs(self) -> tuple[int, ...]:
        return self.chord.pcs

    def __repr__(self) -> str:
        return f"Change({self.chord.name()} {self.start}..{self.end})"


def changes(chords: list[Chord], *, bars_per_chord: int = 1, bar: int = 1920, start: int = 0
            ) -> list[Change]:
    """The progression laid out in time: each chord ``bars_per_chord`` bars long, or its
    ``share`` of that when a bar holds several (``progression("C Am | F G7")``)."""
    span = bars_per_chord * bar
    out, at = [], Fraction(0)
    for c in chords:
        out.append(Change(start + round(at * span), start + round((at + c.share) * span), c))
        at += c.share
    return out


def slots(chords: list[Chord]) -> int:
    """How many slots (bars, or --bars-per-chord groups) a progression fills."""
    return round(sum(c.share for c in chords))


def from_events(events: list[dict]) -> list[Change]:
    """The stream's Chord events as changes, in time order (the reader has checked that
    each name is a chord symbol: an unknown one is a data error on its line, not skipped)."""
    return [Change(ev["t"], ev["t"] + ev["dur"], Chord(*parse_chord(ev["name"])))
            for ev in sorted(events, key=lambda e: e["t"])]


def spell_degree(tonic: str, numeral_text: str, pc: int) -> str | None:
    """The root of a numeral's chord spelled on its scale degree's letter in the key of
    ``tonic`` as written: IV in Gb is Cb (not B), III in E is G#, bVII in C is Bb; None
    when that would take more than one sharp or flat.

    >>> spell_degree("Gb", "IV", 11), spell_degree("C", "bVII", 10), spell_degree("E", "III", 8)
    ('Cb', 'Bb', 'G#')
    """
    m = _NUMERAL.match(numeral_text.strip())
    if not m or m.group(2).lower() not in _DEGREES:
        return None
    letters = "CDEFGAB"
    letter = letters[(letters.index(tonic[0].upper()) + _DEGREES[m.group(2).lower()] - 1) % 7]
    shift = (pc - PITCH_CLASSES[letter] + 6) % 12 - 6
    return letter + {-1: "b", 0: "", 1: "#"}[shift] if -1 <= shift <= 1 else None


def progression(text: str | list, root: int, mode: str, *, written: str | None = None,
                tonic: str | None = None) -> list[Chord]:
    """'I V vi IV', 'Am F C G' or a list of either -> chords, a chord symbol spelled as
    written. With bar lines ('C Am | F G7') each bar is one slot, shared evenly by its
    chords. Numerals written for a mood in ``written`` mode and played in a ``mode`` of the
    other family are re-spelled (see ``numeral``), so every layer agrees on the key. With
    ``tonic`` (the key's tonic as written: Gb) numerals are named on their degrees' letters
    (IV in Gb: Cb)."""
    bars = [text] if isinstance(text, list) or "|" not in text else text.split("|")
    respell = written is not None and family(written) != family(mode)
    out = []
    for group in bars:
        tokens = [tok for tok in (group if isinstance(group, list) else re.split(r"[\s,\-]+", group.strip())) if tok]
        if not tokens and len(bars) > 1:
            raise TheoryError(f"an empty bar in {text!r}: write a chord between each pair of bar lines")
        share = Fraction(1, len(tokens)) if len(bars) > 1 else Fraction(1)
        for tok in tokens:
            if tok[0] in "ABCDEFG":
                chord = Chord(*parse_chord(tok), spelled=tok.strip())
            else:
                chord = numeral(tok, root, mode, respell=respell)
                name = spell_degree(tonic, tok, chord.root) if tonic else None
                if name and chord.quality != "?":
                    chord.spelled = name + chord.quality
            chord.share = share
            out.append(chord)
    if not out:
        raise TheoryError(f"empty chord progression: {text!r}")
    return out


def cadence(kind: str, root: int, mode: str) -> list[Chord]:
    """The chords before the final tonic for a cadence name (see CADENCES) or numerals."""
    text = CADENCES[kind][family(mode)] if kind in CADENCES else kind
    return progression(text, root, mode)


def spells_flats(root: int, mode: str, spelled: str | None = None) -> bool:
    """Whether the key's notes are spelled with flats (its signature has flats, or none);
    ``spelled``, the tonic as the user wrote it (Gb, F#), decides the six-accidental keys."""
    return key_signature(root, mode, spelled)[0] <= 0


def key_event(root: int, mode: str, t: int = 0, spelled: str | None = None) -> dict:
    """The KeySig of a key, its tonic spelled as its signature spells it (F#m, Eb), or as
    the user wrote it (``spelled``: Gb, Cb)."""
    sharps, _ = key_signature(root, mode, spelled)
    name = spelled or (FLAT_NAMES if sharps < 0 else SHARP_NAMES)[root]
    return {"type": "KeySig", "t": t, "key": name, "mode": mode}


def tonic(root: int, mode: str) -> Chord:
    return diatonic(1, root, mode)


def voicing(chord: Chord, *, floor: int, ceiling: int, voices: int = 3, style: str = "close",
            near: int | None = None) -> list[int]:
    """Keys for ``chord`` between ``floor`` and ``ceiling`` (inclusive), built down from the
    top so that nothing sounds above the ceiling (the melody's lowest note): ``voices``
    tones (a seventh chord drops its fifth first), the top one nearest ``near`` (the last
    top: small moves) among the chord tones in the top octave. ``spread`` puts the root
    alone at the bottom; ``open`` drops the second voice from the top an octave."""
    floor, ceiling = max(0, floor), min(127, ceiling)  # a register over the edge: MIDI's keys
    pcs = list(chord.pcs)
    if voices < len(pcs) and len(pcs) >= 4:
        pcs.remove(chord.pcs[2])  # the fifth adds least
    pcs = pcs[:max(1, voices)]
    tops = [k for k in range(max(floor, ceiling - 11), ceiling + 1) if k % 12 in pcs]
    if not tops:
        return []
    top = min(tops, key=lambda k: (abs(k - near), -k)) if near is not None else tops[-1]
    keys = [top]
    k = top - 1
    while len(keys) < len(pcs) and k >= floor:
        if k % 12 in pcs and k % 12 not in {x % 12 for x in keys}:
            keys.append(k)
        k -= 1
    if style == "spread":
        low = next((k for k in range(floor, floor + 12) if k % 12 == chord.root), None)
        if low is not None and low < min(keys) - 2:
            keys = [x for x in keys if x % 12 != chord.root or x == top] + [low]
    elif style == "open" and len(keys) >= 3 and keys[1] - 12 >= floor:
        keys[1] -= 12
    return sorted(set(keys))


def _tone_sets(chord: Chord, voices: int) -> list[tuple[int, ...]]:
    """The pitch-class sets a voicing of ``voices`` may keep: every set with the third (the
    chord's quality); all tones when there are enough voices."""
    from itertools import combinations

    pcs = chord.pcs
    if voices >= len(pcs):
        return [pcs]
    return [c for c in combinations(pcs, voices) if pcs[1] in c]


def parallel(top: tuple[int, int], bass: tuple[int, int]) -> bool:
    """Whether a top voice and the bass move into the same perfect fifth or octave they
    left: parallel (or, just as bare to the ear, contrary) fifths or octaves, as
    music21's VoiceLeadingQuartet names them."""
    (t0, t1), (b0, b1) = top, bass
    if t0 == t1 or b0 == b1:
        return False
    return (t0 - b0) % 12 == (t1 - b1) % 12 and (t1 - b1) % 12 in (0, 7)


def lead(chord: Chord, *, floor: int, ceiling: int, voices: int, prev: list[int] | None,
         bass: int | None = None, prev_bass: int | None = None, spread: bool = False) -> list[int]:
    """A voicing of ``chord`` led from the last one (``prev``): every inversion (and its
    open position when ``spread``) of every set of its tones with the third, between
    ``floor`` and ``ceiling``, is scored by how far its voices move, common tones held, the
    top voice's step, a seventh or root left out, and never parallel fifths or octaves with
    the bass (``prev_bass`` -> ``bass``); the smoothest wins."""
    doubled = voices > len(chord.pcs)
    candidates = []
    for pcs in _tone_sets(chord, voices):
        for top in range(ceiling, max(floor, ceiling - 16) - 1, -1):
            if top % 12 not in pcs:
                continue
            keys, k = [top], top - 1
            want = list(pcs)
            want.remove(top % 12)
            while want and k >= floor:
                if k % 12 in want:
                    keys.append(k)
                    want.remove(k % 12)
                k -= 1
            if want:
                continue
            keys.sort()
            if doubled and keys[0] % 12 == chord.root and keys[0] + 12 not in keys and keys[0] + 12 <= ceiling:
                keys = sorted(keys + [keys[0] + 12])
            candidates.append(keys)
            if spread and len(keys) >= 3 and keys[-2] - 12 >= floor:
                candidates.append(sorted(keys[:-2] + [keys[-2] - 12, keys[-1]]))
    if not candidates:
        return []
    seventh = chord.pcs[3] if len(chord.pcs) >= 4 else None

    def cost(keys: list[int]) -> float:
        pcs = {k % 12 for k in keys}
        c = (seventh is not None and seventh not in pcs) + 0.5 * (chord.root not in pcs)
        if prev:
            c += sum(min(abs(k - p) for p in prev) for k in keys)
            c -= 4 * len(set(keys) & set(prev))  # a common tone held
            c += max(0, abs(keys[-1] - prev[-1]) - 4) * 2
            if bass is not None and prev_bass is not None and parallel((prev[-1], keys[-1]), (prev_bass, bass)):
                c += 100
        else:
            c += abs(keys[-1] - (ceiling - 3))
        if keys[0] < 52 and len(keys) > 1 and keys[1] - keys[0] < 5:
            c += 4  # a close third low down is mud
        return c

    return min(candidates, key=cost)

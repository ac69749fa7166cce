"""The chords of a piece: progressions from the style's pool, and the style's substitutions.

The seed picks an A progression (the mood's own is one of the pool), a contrasting one for the
B section and the bridge, and every return of a section is re-harmonised a little: jazz swaps
a dominant for its tritone substitute or a tonic for its relative and puts a secondary
dominant before a ii; pop and film music borrow iv from the minor, tonicise vi or V with their
own dominants, and use bVII; minor styles close their phrases on a major V (the leading tone)
and turn a tonic into the dominant seventh of the iv that follows it. Walks take the style's
own chords too (jazz's backdoor iv-bVII, a drone's modal bVII and iv, gentle's V of vi), and
the last section approaches the mood's cadence in one of the ways the seed picks (CLOSES).
"""

from __future__ import annotations

from ...harmony import Chord, family, progression
from ...rng import Rng

# (style, mode family) -> (A progressions, B progressions); numerals in the key.
POOLS = {
    ("pop", "major"): (("I V vi IV", "I vi IV V", "I IV vi V", "vi IV I V", "I iii IV V",
                        "I IV V IV"),
                       ("IV V iii vi", "vi IV ii V", "IV I ii V", "vi iii IV V")),
    ("pop", "minor"): (("i VI III VII", "i VII VI VII", "i iv VI V", "i VI VII V", "i III VII iv"),
                       ("iv VII III VI", "VI VII iv V", "iv i VI V", "VI iv VII V")),
    ("gentle", "major"): (("I vi IV V", "I IV vi IV", "I iii IV I", "I IV ii V", "I iii vi IV",
                           "IV I V vi"),
                          ("vi iii IV I", "ii V iii vi", "IV V vi iii", "vi IV ii V")),
    ("gentle", "minor"): (("i VI III VII", "i iv VI v", "i VII VI iv", "i III iv i"),
                          ("VI III iv V", "iv VII III VI", "VI VII i v")),
    ("jazz", "major"): (("ii7 V7 Imaj7 vi7", "Imaj7 vi7 ii7 V7", "iii7 vi7 ii7 V7",
                         "IVmaj7 V7 iii7 vi7", "Imaj7 IVmaj7 iii7 VI7"),
                        ("iii7 VI7 ii7 V7", "IVmaj7 bVII7 iii7 VI7", "II7 ii7 V7 Imaj7",
                         "vi7 II7 ii7 V7")),
    ("jazz", "minor"): (("i7 iv7 ii° V7", "i7 VImaj7 ii° V7", "iv7 VII7 IIImaj7 VImaj7",
                         "i7 iv7 VII7 IIImaj7"),
                        ("iv7 VII7 IIImaj7 V7", "VImaj7 ii° V7 i7", "IIImaj7 VImaj7 ii° V7")),
    ("show", "major"): (("I vi ii7 V7", "I VI7 ii7 V7", "Imaj7 vi7 ii7 V7", "I I7 IV iv",
                         "iii7 VI7 ii7 V7"),
                        ("IV iv I VI7", "II7 V7 I vi", "IV V iii vi", "vi II7 ii7 V7")),
    ("show", "minor"): (("i iv ii° V7", "i VI ii° V7", "i VII VI V7"),
                        ("iv VII III VI", "VI ii° V7 i")),
    ("epic", "major"): (("I V vi IV", "I bVII IV I", "vi IV I V", "I IV vi V", "I V vi iii",
                         "I iii IV V"),
                        ("vi IV I V", "IV V vi iii", "vi V IV V", "ii IV V vi")),
    ("epic", "minor"): (("i VI III VII", "i VII VI VII", "i iv VI V", "i VI iv V", "i III VII VI",
                         "i v VI III"),
                        ("VI VII iv V", "iv VI VII III", "VI III VII i", "iv i VI V")),
    ("dark", "major"): (("I iv I V", "I vi iv V", "I bVI IV V", "I iii vi V"),
                        ("vi iv I V", "IV vi V I")),
    ("dark", "minor"): (("i bII i V", "i iv V i", "i VI ii° V", "i bII VII i", "i iv bII V"),
                        ("iv VI V i", "VI ii° iv V", "iv VI bII V")),
    ("drone", "major"): (("I IV vi IV", "I vi IV I", "I ii IV I", "I V vi IV", "IV I vi V"),
                         ("vi IV I V", "ii vi IV I", "IV vi V I")),
    ("drone", "minor"): (("i ii° i bII", "i VI i iv", "i bII i VII", "i iv i V", "i VI iv i"),
                         ("iv i bII i", "VI iv ii° V", "bII i iv V")),
}


# Where each chord may go next (a functional walk), and which chords lead home to the
# tonic (a progression loops, so its last chord must). Sevenths come from the mood's tension.
NEXT = {
    "major": {"I": "IV V vi ii iii", "ii": "V IV vi iii", "iii": "vi IV ii", "IV": "V I ii vi iii",
              "V": "vi I IV iii", "vi": "IV ii V iii"},
    "minor": {"i": "iv VI III VII v ii°", "ii°": "V v VII", "III": "VI VII iv i",
              "iv": "V VII i VI v", "v": "VI i iv", "V": "i VI", "VI": "VII III iv ii° V",
              "VII": "III i VI v"},
}
HOME = {"major": {"V", "IV", "ii"}, "minor": {"V", "VII", "iv"}}
EXTRA = {  # style: (family, chord, where it may follow, where it goes)
    "dark": [("minor", "bII", "iv VI", "V i")],
    "jazz": [("major", "VI", "I iii", "ii"), ("major", "III", "I IV", "vi"),
             ("major", "iv", "IV", "bVII I"), ("major", "bVII", "", "I")],  # the backdoor
    "show": [("major", "VI", "I iii", "ii"), ("major", "iv", "IV", "I")],
    "epic": [("major", "bVII", "I IV", "IV I")],
    "gentle": [("major", "iv", "IV", "I"), ("major", "III", "I IV", "vi")],
    "drone": [("major", "bVII", "I IV vi", "IV I"), ("major", "iv", "IV", "I"),
              ("minor", "bII", "i iv", "i VII")],
}


def walk(style: str, mode: str, rng, length: int = 4) -> str:
    """A progression of ``length`` chords by the style's functional moves, from the tonic
    (or, sometimes, the subdominant or the sixth), ending on a chord that leads home."""
    fam = family(mode)
    table = {k: v.split() for k, v in NEXT[fam].items()}
    for f, chord, after, goes in EXTRA.get(style, []):
        if f == fam:
            table[chord] = goes.split()
            for a in after.split():
                table[a] = table[a] + [chord]
    home = HOME[fam] | {"dark": {"bII"}, "drone": {"bII"}, "jazz": {"bVII"}}.get(style, set())
    tonic_ = "I" if fam == "major" else "i"
    away = ("IV", "vi", "ii") if fam == "major" else ("VI", "iv", "III")
    first = tonic_ if rng.random() < 0.45 else rng.choice(away)  # a tune may open off the tonic
    for _ in range(20):
        out = [first]
        while len(out) < length:
            out.append(rng.choice(table[out[-1]]))
        if out[-1] in home and len(set(out)) >= 3:
            break
    else:
        out[-1] = "V"
    return " ".join(out)


def pools(style: str, mode: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    return POOLS.get((style, family(mode)), POOLS[("pop", family(mode))])


def pick(mood: dict, style: str, root: int, mode: str, rng: Rng) -> tuple[list[Chord], list[Chord], list[Chord]]:
    """The A, B and bridge (C) progressions: the mood's own progression if it writes one
    (else one from the style's pool, or two functional walks of four chords), its
    progression_b (if any) as the B (else a pooled one or a walk away from the tonic); the
    bridge a walk away from the tonic."""
    harmony = mood.get("harmony", {})
    written = _written_mode(mood)
    a_pool, b_pool = pools(style, mode)
    if rng.random() < 0.3:
        pooled = rng.choice(a_pool)
    else:  # an antecedent and a consequent: two walks from the tonic
        pooled = walk(style, mode, rng) + " " + walk(style, mode, rng)
    own = harmony.get("progression")
    a = progression(own, root, mode, written=written) if own else progression(pooled, root, mode)
    if harmony.get("progression_b"):
        b = progression(harmony["progression_b"], root, mode, written=written)
    else:  # B away from the tonic: a pooled one, or a walk begun on its second chord
        b = progression(rng.choice(b_pool) if rng.random() < 0.25 else _away(walk(style, mode, rng, 5)),
                        root, mode)
    c = progression(_away(walk(style, mode, rng, 5)), root, mode)  # the bridge: a walk away
    return a, b, c


def _away(text: str) -> str:
    return " ".join(text.split()[1:])


def _written_mode(mood: dict) -> str:
    from ...theory import parse_key

    return parse_key(mood.get("key", "C"))[1]


def dominant7(root: int) -> Chord:
    return Chord(root, (0, 4, 7, 10))


def substitute(chords: list[Chord], *, style: str, root: int, mode: str, rng: Rng,
               amount: float) -> list[Chord]:
    """The chords re-harmonised in the style's way, each change with chance ``amount``;
    the first chord (the phrase's arrival) is kept."""
    out = list(chords)
    minor = family(mode) == "minor"
    for i in range(1, len(out)):
        c, nxt = out[i], out[i + 1] if i + 1 < len(out) else None
        draw = rng.random()
        pick = rng.random()
        if draw >= amount:
            continue
        rel = (c.root - root) % 12
        if style in ("jazz", "show"):
            if c.intervals[:2] == (0, 4) and len(c.intervals) == 4 and c.intervals[3] == 10 and pick < 0.6:
                out[i] = dominant7(c.root + 6)  # tritone substitute
            elif nxt is not None and nxt.intervals[1:2] == (3,) and pick < 0.8:
                out[i] = dominant7(nxt.root + 7)  # secondary dominant into a minor chord
            elif rel == 0 and not minor:
                out[i] = Chord(root + 9, (0, 3, 7, 10)) if pick < 0.9 else Chord(root + 4, (0, 3, 7, 10))
        elif not minor:
            if rel == 5 and c.intervals[:3] == (0, 4, 7) and pick < 0.5:
                out[i] = Chord(c.root, (0, 3, 7))  # borrowed iv
            elif nxt is not None and (nxt.root - root) % 12 == 9 and pick < 0.7:
                out[i] = Chord(root + 4, (0, 4, 7))  # V of vi
            elif nxt is not None and (nxt.root - root) % 12 == 7 and rel != 7:
                out[i] = Chord(root + 2, (0, 4, 7))  # V of V
            elif rel == 7 and style == "epic":
                out[i] = Chord(root + 10, (0, 4, 7))  # bVII: modal mixture
        else:
            if rel == 7:
                out[i] = Chord(root + 7, (0, 4, 7))  # v -> V: the leading tone
            elif rel == 0 and nxt is not None and (nxt.root - root) % 12 == 5 and pick < 0.7:
                out[i] = dominant7(root)  # i -> I7, the dominant of iv
            elif nxt is not None and (nxt.root - root) % 12 == 7 and pick < 0.5:
                out[i] = Chord(root + 5, (0, 3, 7))  # iv before V
            elif rel == 3 and pick < 0.4 and style != "dark":
                out[i] = Chord(root + 10, (0, 4, 7))
    return out


# The ways a mood's cadence may be approached, the seed choosing one: its own formula first,
# then the same close with a longer approach (ii-V, iv-V), a plagal or borrowed colour, a
# deceptive turn before the true close. Each ends on the chord that names the cadence.
CLOSES = {
    "authentic": {"major": ("V", "IV V", "ii V", "vi ii V", "V vi V", "iii IV V"),
                  "minor": ("V", "iv V", "VI V", "ii° V", "VI iv V", "V VI V")},
    "plagal": {"major": ("IV", "vi IV", "ii IV", "IV iv", "V vi IV", "iii IV"),
               "minor": ("iv", "VI iv", "ii° iv", "III iv", "VII VI iv")},
    "dark": {"major": ("bII", "iv bII", "bVI bII", "V bII"),
             "minor": ("bII", "iv bII", "VI bII", "V VI bII", "i bII")},
    "jazz": {"major": ("ii7 V7", "vi7 ii7 V7", "ii7 bII7", "IVmaj7 iv7", "iii7 VI7 ii7 V7",
                       "V7 vi7 ii7 V7"),
             "minor": ("ii° V7", "iv7 ii° V7", "VI7 V7", "iv7 V7", "VImaj7 ii° V7")},
    "epic": {"major": ("bVI bVII", "IV bVI bVII", "IV V", "vi IV V", "bVI IV V"),
             "minor": ("VI VII", "iv VI VII", "VI iv V", "VI VII V", "iv VII", "III VI VII")},
    "soft": {"major": ("IV V", "ii V", "IV iv", "vi ii V", "ii7 V7"),
             "minor": ("iv V", "VI V", "ii° V", "iv VI V")},
}


def closing(kind: str, root: int, mode: str, rng: Rng) -> list[Chord]:
    """The chords before the final tonic: one of the cadence's approaches (CLOSES), or the
    mood's own numerals as written."""
    ways = CLOSES.get(kind, {}).get(family(mode))
    return progression(rng.choice(ways) if ways else kind, root, mode)


def half_close(root: int, mode: str, style: str) -> Chord:
    """The chord a section that is not the last ends on: V (major, with the leading tone in
    minor; with its seventh in jazz and show)."""
    if style in ("jazz", "show"):
        return dominant7(root + 7)
    return Chord(root + 7, (0, 4, 7))


def intro_chord(how: str, root: int, mode: str) -> Chord:
    """An intro's colour before the tonic: the subdominant (IV, iv in minor) or the sixth
    degree (vi, VI in minor)."""
    minor = family(mode) == "minor"
    if how == "subdominant":
        return Chord(root + 5, (0, 3, 7) if minor else (0, 4, 7))
    return Chord(root + (8 if minor else 9), (0, 4, 7) if minor else (0, 3, 7))

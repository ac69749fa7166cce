"""Music theory tables: note names, keys, scales, chords, General MIDI names.

Octave convention (used by every stage and by ``viz``): C4 = 60 (middle C), so C-1 = 0 and
G9 = 127. Sharps and flats are both accepted; names are printed with sharps unless asked.

    >>> parse_note("C4"), parse_note("Bb3"), note_name(61), note_name(61, flats=True)
    (60, 58, 'C#4', 'Db4')
"""

from __future__ import annotations

import re

PITCH_CLASSES = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
SHARP_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
FLAT_NAMES = ("C", "Db", "D", "Eb", "E", "F", "Gb", "G", "Ab", "A", "Bb", "B")

_NOTE_RE = re.compile(r"^([A-Ga-g])(#{1,2}|b{1,2}|♯|♭)?(-?\d+)$")
_PC_RE = re.compile(r"^([A-Ga-g])(#{1,2}|b{1,2}|♯|♭)?$")


class TheoryError(ValueError):
    """A name that is not a note, key, scale, chord or instrument; the message lists choices."""


def _accidental(acc: str | None) -> int:
    if not acc:
        return 0
    return {"#": 1, "##": 2, "♯": 1, "b": -1, "bb": -2, "♭": -1}[acc]


def parse_pitch_class(text: str) -> int:
    """'C' -> 0, 'F#' -> 6, 'Bb' -> 10; a pitch-class number 0-11 as itself."""
    text = text.strip()
    if text.isdigit() and int(text) < 12:
        return int(text)
    m = _PC_RE.match(text)
    if not m:
        raise TheoryError(f"not a note name: {text!r} (expected A-G with optional # or b, or 0-11)")
    return (PITCH_CLASSES[m.group(1).upper()] + _accidental(m.group(2))) % 12


def parse_note(text: str) -> int:
    """A note name with octave ('C4' = 60, 'F#2', 'Bb-1') or a MIDI number ('60') -> key 0..127."""
    s = text.strip()
    if s.isdigit():
        key = int(s)
    else:
        m = _NOTE_RE.match(s)
        if not m:
            raise TheoryError(f"not a note: {text!r} (expected a name with octave like C4, F#3, Bb2, or 0..127)")
        key = (int(m.group(3)) + 1) * 12 + PITCH_CLASSES[m.group(1).upper()] + _accidental(m.group(2))
    if not 0 <= key <= 127:
        raise TheoryError(f"note {text!r} is key {key}, allowed 0..127 (C-1..G9)")
    return key


def note_name(key: int, flats: bool = False) -> str:
    """60 -> 'C4' (C4 = middle C)."""
    names = FLAT_NAMES if flats else SHARP_NAMES
    return f"{names[key % 12]}{key // 12 - 1}"


# --- scales ------------------------------------------------------------------------------

SCALES: dict[str, tuple[int, ...]] = {
    "major": (0, 2, 4, 5, 7, 9, 11),
    "dorian": (0, 2, 3, 5, 7, 9, 10),
    "phrygian": (0, 1, 3, 5, 7, 8, 10),
    "lydian": (0, 2, 4, 6, 7, 9, 11),
    "mixolydian": (0, 2, 4, 5, 7, 9, 10),
    "minor": (0, 2, 3, 5, 7, 8, 10),
    "locrian": (0, 1, 3, 5, 6, 8, 10),
    "harmonic-minor": (0, 2, 3, 5, 7, 8, 11),
    "melodic-minor": (0, 2, 3, 5, 7, 9, 11),
    "major-pentatonic": (0, 2, 4, 7, 9),
    "minor-pentatonic": (0, 3, 5, 7, 10),
    "blues": (0, 3, 5, 6, 7, 10),
    "major-blues": (0, 2, 3, 4, 7, 9),
    "whole-tone": (0, 2, 4, 6, 8, 10),
    "chromatic": tuple(range(12)),
    "diminished": (0, 2, 3, 5, 6, 8, 9, 11),
    "half-whole": (0, 1, 3, 4, 6, 7, 9, 10),
    "phrygian-dominant": (0, 1, 4, 5, 7, 8, 10),
    "lydian-dominant": (0, 2, 4, 6, 7, 9, 10),
    "altered": (0, 1, 3, 4, 6, 8, 10),
    "harmonic-major": (0, 2, 4, 5, 7, 8, 11),
    "double-harmonic": (0, 1, 4, 5, 7, 8, 11),
    "hungarian-minor": (0, 2, 3, 6, 7, 8, 11),
    "neapolitan-minor": (0, 1, 3, 5, 7, 8, 11),
    "neapolitan-major": (0, 1, 3, 5, 7, 9, 11),
    "bebop-dominant": (0, 2, 4, 5, 7, 9, 10, 11),
    "bebop-major": (0, 2, 4, 5, 7, 8, 9, 11),
    "hirajoshi": (0, 2, 3, 7, 8),
    "in-sen": (0, 1, 5, 7, 10),
    "iwato": (0, 1, 5, 6, 10),
    "yo": (0, 2, 5, 7, 9),
    "egyptian": (0, 2, 5, 7, 10),
    "prometheus": (0, 2, 4, 6, 9, 10),
    "augmented": (0, 3, 4, 7, 8, 11),
    "enigmatic": (0, 1, 4, 6, 8, 10, 11),
}

SCALE_ALIASES = {
    "ionian": "major", "aeolian": "minor", "natural-minor": "minor", "maj": "major",
    "min": "minor", "m": "minor", "pentatonic": "major-pentatonic",
    "whole-half": "diminished", "octatonic": "diminished", "super-locrian": "altered",
    "spanish": "phrygian-dominant", "freygish": "phrygian-dominant",
    "gypsy": "hungarian-minor", "arabic": "double-harmonic", "byzantine": "double-harmonic",
    "wholetone": "whole-tone", "harmonic": "harmonic-minor", "melodic": "melodic-minor",
    "jazz-minor": "melodic-minor", "overtone": "lydian-dominant", "acoustic": "lydian-dominant",
}

SCALE_DOCS = {
    "major": "Ionian; bright, resolved", "dorian": "minor with a raised 6th; jazzy, folk",
    "phrygian": "minor with a flat 2nd; Spanish, dark", "lydian": "major with a raised 4th; dreamy",
    "mixolydian": "major with a flat 7th; rock, blues", "minor": "Aeolian, natural minor",
    "locrian": "diminished tonic; unstable", "harmonic-minor": "minor with a raised 7th",
    "melodic-minor": "jazz minor (ascending form)", "chromatic": "all 12 notes (snapping is a no-op)",
}


def scale_name(name: str) -> str:
    """Canonical scale name for a name or alias ('Aeolian' -> 'minor')."""
    key = name.strip().lower().replace("_", "-").replace(" ", "-")
    key = SCALE_ALIASES.get(key, key)
    if key not in SCALES:
        raise TheoryError(f"unknown scale {name!r}; choose from: {', '.join(SCALES)} (see `scale --list`)")
    return key


def scale_pitch_classes(root: int, mode: str) -> tuple[int, ...]:
    """Sorted pitch classes of a scale on a root pitch class."""
    return tuple(sorted((root + i) % 12 for i in SCALES[scale_name(mode)]))


def tonic_triad(tonic: int, mode: str) -> tuple[int, int, int]:
    """Root, third and fifth of the scale's tonic chord, from its intervals, so that
    pentatonic and blues scales get a real fifth, not their fifth degree."""
    pcs = set(scale_pitch_classes(tonic, mode))
    third, fifth = ((next(((tonic + i) % 12 for i in choices if (tonic + i) % 12 in pcs), tonic))
                    for choices in ((4, 3), (7, 6, 8)))  # major, minor; perfect, dim., aug.
    return tonic, third, fifth


def parse_key(text: str, default: str | None = "major") -> tuple[int, str | None]:
    """A key as users write it -> (root pitch class, scale name).

    'Am' / 'A minor' -> (9, 'minor'); 'C major' / 'Cmaj' -> (0, 'major'); 'F#m', 'D dorian'
    work too. A bare root ('C', 'a') takes the ``default`` mode (None: the caller decides).
    """
    s = text.strip().replace("_", " ")
    m = re.match(r"^([A-Ga-g])(#|b|♯|♭)?\s*(.*)$", s)
    if not m:
        raise TheoryError(f"not a key: {text!r} (examples: C, Am, F#m, Bb major, D dorian)")
    root = (PITCH_CLASSES[m.group(1).upper()] + _accidental(m.group(2))) % 12
    rest = m.group(3).strip()
    if rest == "":
        mode = default
    elif rest in ("m", "-", "min"):
        mode = "minor"
    else:
        mode = scale_name(rest)
    return root, mode


def key_signature(root: int, mode: str, spelled: str | None = None) -> tuple[int, bool]:
    """The key signature a score shows: (sharps, or flats as a negative number; minor).

    A diatonic mode takes its relative major's (D dorian: none); other scales take their
    root's major or minor by their third (A harmonic minor: A minor's none). ``spelled``,
    the tonic as written (Gb, Cb, C#), picks flats or sharps where a key has both names.
    """
    pcs = set(scale_pitch_classes(root, mode))
    if len(pcs) == 7:
        for major in range(12):
            if set(scale_pitch_classes(major, "major")) == pcs:
                minor = mode == "minor"
                sharps = _sharps(major, flat=key_name(root, mode)[1:2] == "b" or major in (1, 3, 5, 8, 10))
                return _as_spelled(sharps, spelled), minor
    minor = (root + 3) % 12 in pcs and (root + 4) % 12 not in pcs
    major = (root + 3) % 12 if minor else root
    return _sharps(major, flat=major in (1, 3, 5, 8, 10)), minor


def _as_spelled(sharps: int, spelled: str | None) -> int:
    """The same key with the other accidental when the tonic is written with it (Gb: -6,
    not F#'s 6; Cb: -7; C#: 7), as long as that signature exists (at most 7)."""
    accidental = spelled[1:2] if spelled else ""
    if accidental == "b" and sharps > 0 and sharps - 12 >= -7:
        return sharps - 12
    if accidental == "#" and sharps < 0 and sharps + 12 <= 7:
        return sharps + 12
    return sharps


def _sharps(major_root: int, flat: bool) -> int:
    sf = major_root * 7 % 12
    return sf - 12 if sf > 6 or (sf == 6 and flat) else sf


def key_name(root: int, mode: str) -> str:
    flats = root in (1, 3, 5, 8, 10) if mode == "major" else root in (0, 2, 3, 5, 7, 10)
    name = (FLAT_NAMES if flats else SHARP_NAMES)[root % 12]
    return name + ("m" if mode == "minor" else "" if mode == "major" else " " + mode)


# --- chords ------------------------------------------------------------------------------

CHORDS: dict[str, tuple[int, ...]] = {
    "": (0, 4, 7), "m": (0, 3, 7), "dim": (0, 3, 6), "aug": (0, 4, 8),
    "sus2": (0, 2, 7), "sus4": (0, 5, 7), "5": (0, 7),
    "6": (0, 4, 7, 9), "m6": (0, 3, 7, 9), "7": (0, 4, 7, 10), "maj7": (0, 4, 7, 11),
    "m7": (0, 3, 7, 10), "mmaj7": (0, 3, 7, 11), "m7b5": (0, 3, 6, 10), "dim7": (0, 3, 6, 9),
    "7sus4": (0, 5, 7, 10), "add9": (0, 4, 7, 14), "madd9": (0, 3, 7, 14),
    "9": (0, 4, 7, 10, 14), "maj9": (0, 4, 7, 11, 14), "m9": (0, 3, 7, 10, 14),
    "11": (0, 4, 7, 10, 14, 17), "m11": (0, 3, 7, 10, 14, 17), "13": (0, 4, 7, 10, 14, 21),
    # the chords on the degrees of the other seven-note scales (harmonic and melodic minor,
    # double harmonic, Neapolitan, enigmatic ...), so every Chord event has a symbol to read
    "7#5": (0, 4, 8, 10), "maj7#5": (0, 4, 8, 11), "(b5)": (0, 4, 6), "7b5": (0, 4, 6, 10),
    "sus2b5": (0, 2, 6), "6sus2b5": (0, 2, 6, 9), "7sus2b5": (0, 2, 6, 10),
    "maj7sus2": (0, 2, 7, 11), "madd4no5": (0, 3, 5), "m7add4no5": (0, 3, 5, 10),
    "6sus4no5": (0, 5, 9), "maj7add6sus4no5": (0, 5, 9, 11),
}
_CHORD_ALIASES = {"maj": "", "M": "", "min": "m", "-": "m", "°": "dim", "+": "aug",
                  "ø": "m7b5", "M7": "maj7", "Δ": "maj7", "min7": "m7", "-7": "m7", "°7": "dim7"}


def parse_chord(text: str) -> tuple[int, tuple[int, ...]]:
    """'Am7' -> (9, (0, 3, 7, 10)): root pitch class and intervals in semitones."""
    m = re.match(r"^([A-G])(#|b)?(.*)$", text.strip())
    if not m:
        raise TheoryError(f"not a chord: {text!r} (examples: C, Am, F#m7, Bbmaj7, Gsus4)")
    quality = _CHORD_ALIASES.get(m.group(3), m.group(3))
    if quality not in CHORDS:
        raise TheoryError(f"unknown chord quality {m.group(3)!r} in {text!r}; choose from: "
                          + ", ".join(repr(q) for q in CHORDS))
    return (PITCH_CLASSES[m.group(1)] + _accidental(m.group(2))) % 12, CHORDS[quality]


_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6, "vii": 7}


def parse_roman(numeral: str, root: int, mode: str) -> tuple[int, tuple[int, ...]]:
    """A Roman numeral in a key -> (chord root pitch class, intervals).

    Upper case is major, lower case minor, '°'/'dim' diminished, a trailing 7 adds the 7th;
    'bVII' and '#iv' shift the root. 'V7' in C -> (7, (0, 4, 7, 10)).
    """
    m = re.match(r"^(b|#)?([ivIV]+)(°|dim|\+|aug)?(maj7|7)?$", numeral.strip())
    if not m or m.group(2).lower() not in _ROMAN:
        raise TheoryError(f"not a Roman numeral chord: {numeral!r} (examples: I, vi, IV, V7, ii7, bVII)")
    degree = _ROMAN[m.group(2).lower()]
    scale = SCALES["major"] if scale_name(mode) in ("major", "lydian", "mixolydian") else SCALES["minor"]
    if len(SCALES[scale_name(mode)]) == 7:
        scale = SCALES[scale_name(mode)]
    chord_root = (root + scale[degree - 1] + {"b": -1, "#": 1, None: 0}[m.group(1)]) % 12
    upper = m.group(2).isupper()
    if m.group(3) in ("°", "dim"):
        quality = "dim7" if m.group(4) == "7" else "dim"
    elif m.group(3) in ("+", "aug"):
        quality = "aug"
    elif m.group(4) == "maj7":
        quality = "maj7" if upper else "mmaj7"
    elif m.group(4) == "7":
        quality = "7" if upper else "m7"
    else:
        quality = "" if upper else "m"
    return chord_root, CHORDS[quality]


def parse_progression(text: str, root: int, mode: str) -> list[tuple[int, tuple[int, ...]]]:
    """'I-V-vi-IV' or 'Am F C G' -> chords as (root pitch class, intervals)."""
    out = []
    for tok in re.split(r"[\s,\-|]+", text.strip()):
        if not tok:
            continue
        out.append(parse_chord(tok) if tok[0] in "ABCDEFG" else parse_roman(tok, root, mode))
    if not out:
        raise TheoryError(f"empty chord progression: {text!r}")
    return out


# --- General MIDI ------------------------------------------------------------------------

GM_PROGRAMS = (
    "Acoustic Grand Piano", "Bright Acoustic Piano", "Electric Grand Piano", "Honky-tonk Piano",
    "Electric Piano 1", "Electric Piano 2", "Harpsichord", "Clavinet",
    "Celesta", "Glockenspiel", "Music Box", "Vibraphone", "Marimba", "Xylophone",
    "Tubular Bells", "Dulcimer",
    "Drawbar Organ", "Percussive Organ", "Rock Organ", "Church Organ", "Reed Organ",
    "Accordion", "Harmonica", "Tango Accordion",
    "Acoustic Guitar (nylon)", "Acoustic Guitar (steel)", "Electric Guitar (jazz)",
    "Electric Guitar (clean)", "Electric Guitar (muted)", "Overdriven Guitar",
    "Distortion Guitar", "Guitar Harmonics",
    "Acoustic Bass", "Electric Bass (finger)", "Electric Bass (pick)", "Fretless Bass",
    "Slap Bass 1", "Slap Bass 2", "Synth Bass 1", "Synth Bass 2",
    "Violin", "Viola", "Cello", "Contrabass", "Tremolo Strings", "Pizzicato Strings",
    "Orchestral Harp", "Timpani",
    "String Ensemble 1", "String Ensemble 2", "Synth Strings 1", "Synth Strings 2",
    "Choir Aahs", "Voice Oohs", "Synth Voice", "Orchestra Hit",
    "Trumpet", "Trombone", "Tuba", "Muted Trumpet", "French Horn", "Brass Section",
    "Synth Brass 1", "Synth Brass 2",
    "Soprano Sax", "Alto Sax", "Tenor Sax", "Baritone Sax", "Oboe", "English Horn",
    "Bassoon", "Clarinet",
    "Piccolo", "Flute", "Recorder", "Pan Flute", "Blown Bottle", "Shakuhachi", "Whistle",
    "Ocarina",
    "Lead 1 (square)", "Lead 2 (sawtooth)", "Lead 3 (calliope)", "Lead 4 (chiff)",
    "Lead 5 (charang)", "Lead 6 (voice)", "Lead 7 (fifths)", "Lead 8 (bass + lead)",
    "Pad 1 (new age)", "Pad 2 (warm)", "Pad 3 (polysynth)", "Pad 4 (choir)",
    "Pad 5 (bowed)", "Pad 6 (metallic)", "Pad 7 (halo)", "Pad 8 (sweep)",
    "FX 1 (rain)", "FX 2 (soundtrack)", "FX 3 (crystal)", "FX 4 (atmosphere)",
    "FX 5 (brightness)", "FX 6 (goblins)", "FX 7 (echoes)", "FX 8 (sci-fi)",
    "Sitar", "Banjo", "Shamisen", "Koto", "Kalimba", "Bagpipe", "Fiddle", "Shanai",
    "Tinkle Bell", "Agogo", "Steel Drums", "Woodblock", "Taiko Drum", "Melodic Tom",
    "Synth Drum", "Reverse Cymbal",
    "Guitar Fret Noise", "Breath Noise", "Seashore", "Bird Tweet", "Telephone Ring",
    "Helicopter", "Applause", "Gunshot",
)

# Short, friendly names: what users type (`--patch strings`) and what DAW tracks are called.
PROGRAM_ALIASES = {
    "piano": 0, "grand-piano": 0, "bright-piano": 1, "electric-piano": 4, "epiano": 4,
    "rhodes": 4, "harpsichord": 6, "clav": 7, "celesta": 8, "glockenspiel": 9,
    "music-box": 10, "vibes": 11, "vibraphone": 11, "marimba": 12, "xylophone": 13,
    "bells": 14, "organ": 16, "rock-organ": 18, "church-organ": 19, "accordion": 21,
    "harmonica": 22, "guitar": 24, "nylon-guitar": 24, "acoustic-guitar": 25,
    "steel-guitar": 25, "jazz-guitar": 26, "clean-guitar": 27, "electric-guitar": 27,
    "muted-guitar": 28, "overdrive-guitar": 29, "distortion-guitar": 30,
    "acoustic-bass": 32, "upright-bass": 32, "bass": 33, "electric-bass": 33,
    "finger-bass": 33, "pick-bass": 34, "fretless-bass": 35, "slap-bass": 36,
    "synth-bass": 38, "violin": 40, "viola": 41, "cello": 42, "contrabass": 43,
    "tremolo-strings": 44, "pizzicato": 45, "pizzicato-strings": 45, "harp": 46,
    "timpani": 47, "strings": 48, "string-ensemble": 48, "slow-strings": 49,
    "synth-strings": 50, "choir": 52, "voice": 53, "oohs": 53, "orchestra-hit": 55,
    "trumpet": 56, "trombone": 57, "tuba": 58, "muted-trumpet": 59, "horn": 60,
    "french-horn": 60, "brass": 61, "synth-brass": 62, "soprano-sax": 64, "alto-sax": 65,
    "sax": 65, "tenor-sax": 66, "baritone-sax": 67, "oboe": 68, "english-horn": 69,
    "bassoon": 70, "clarinet": 71, "piccolo": 72, "flute": 73, "recorder": 74,
    "pan-flute": 75, "shakuhachi": 77, "whistle": 78, "ocarina": 79,
    "square": 80, "square-lead": 80, "saw": 81, "saw-lead": 81, "sawtooth": 81,
    "calliope": 82, "chiff": 83, "charang": 84, "voice-lead": 85, "fifths": 86,
    "bass-lead": 87, "lead": 80, "synth-lead": 81, "chiptune": 80, "pad": 88, "synth-pad": 89,
    "synth-bell": 98, "synth-chime": 98, "bowed-glass": 92, "fx-atmosphere": 99,
    "saxophone": 66, "honky-tonk": 3, "new-age-pad": 88, "warm-pad": 89,
    "polysynth": 90, "choir-pad": 91, "bowed-pad": 92, "metallic-pad": 93,
    "halo-pad": 94, "sweep-pad": 95, "rain": 96, "soundtrack": 97, "crystal": 98,
    "atmosphere": 99, "brightness": 100, "goblins": 101, "echoes": 102, "sci-fi": 103,
    "sitar": 104, "banjo": 105, "shamisen": 106, "koto": 107, "kalimba": 108,
    "bagpipe": 109, "fiddle": 110, "shanai": 111, "tinkle-bell": 112, "agogo": 113,
    "steel-drums": 114, "woodblock": 115, "taiko": 116, "melodic-tom": 117,
    "synth-drum": 118, "reverse-cymbal": 119, "fret-noise": 120, "breath": 121,
    "seashore": 122, "bird": 123, "telephone": 124, "helicopter": 125, "applause": 126,
    "gunshot": 127,
}

_TRACK_NAMES = {0: "Piano", 4: "Electric Piano", 33: "Bass", 32: "Upright Bass",
                48: "Strings", 49: "Strings", 52: "Choir", 61: "Brass", 80: "Square Lead",
                81: "Saw Lead", 88: "Pad", 89: "Warm Pad", 50: "Synth Strings"}


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


_PROGRAM_SLUGS = {_slug(name): i for i, name in enumerate(GM_PROGRAMS)}


def parse_program(text: str | int) -> int:
    """A GM program by number (0-127) or name ('strings', 'Acoustic Grand Piano', 'alto-sax')."""
    if isinstance(text, int) or str(text).strip().isdigit():
        n = int(text)
        if not 0 <= n <= 127:
            raise TheoryError(f"program {n} out of range 0..127")
        return n
    slug = _slug(str(text))
    for table in (PROGRAM_ALIASES, _PROGRAM_SLUGS):
        if slug in table:
            return table[slug]
    close = [a for a in PROGRAM_ALIASES if slug and (slug in a or a in slug)][:8]
    hint = f"; did you mean {', '.join(close)}?" if close else " (a number 0-127 or a GM name like piano, strings, bass)"
    raise TheoryError(f"unknown instrument {text!r}{hint}")


def track_name(program: int | None, channel: int) -> str:
    """What a DAW track playing this program on this channel is called ('Strings', 'Drums')."""
    if channel == 9:
        return "Drums"
    if program is None:
        return f"Channel {channel + 1}"
    return _TRACK_NAMES.get(program, GM_PROGRAMS[program])


GM_DRUMS = {
    35: "Acoustic Bass Drum", 36: "Bass Drum 1", 37: "Side Stick", 38: "Acoustic Snare",
    39: "Hand Clap", 40: "Electric Snare", 41: "Low Floor Tom", 42: "Closed Hi-Hat",
    43: "High Floor Tom", 44: "Pedal Hi-Hat", 45: "Low Tom", 46: "Open Hi-Hat",
    47: "Low-Mid Tom", 48: "Hi-Mid Tom", 49: "Crash Cymbal 1", 50: "High Tom",
    51: "Ride Cymbal 1", 52: "Chinese Cymbal", 53: "Ride Bell", 54: "Tambourine",
    55: "Splash Cymbal", 56: "Cowbell", 57: "Crash Cymbal 2", 58: "Vibraslap",
    59: "Ride Cymbal 2", 60: "Hi Bongo", 61: "Low Bongo", 62: "Mute Hi Conga",
    63: "Open Hi Conga", 64: "Low Conga", 65: "High Timbale", 66: "Low Timbale",
    67: "High Agogo", 68: "Low Agogo", 69: "Cabasa", 70: "Maracas", 71: "Short Whistle",
    72: "Long Whistle", 73: "Short Guiro", 74: "Long Guiro", 75: "Claves",
    76: "Hi Wood Block", 77: "Low Wood Block", 78: "Mute Cuica", 79: "Open Cuica",
    80: "Mute Triangle", 81: "Open Triangle",
}

DRUM_ALIASES = {
    "kick": 36, "bd": 36, "bass-drum": 36, "kick2": 35, "snare": 38, "sd": 38,
    "electric-snare": 40, "rim": 37, "rimshot": 37, "side-stick": 37, "clap": 39,
    "closed-hat": 42, "hat": 42, "hh": 42, "hihat": 42, "closed-hihat": 42,
    "pedal-hat": 44, "open-hat": 46, "oh": 46, "open-hihat": 46, "crash": 49, "ride": 51,
    "ride-bell": 53, "china": 52, "splash": 55, "tambourine": 54, "cowbell": 56,
    "low-tom": 45, "tom-low": 45, "floor-tom": 41, "mid-tom": 47, "tom-mid": 47,
    "high-tom": 50, "tom-high": 50, "hi-tom": 48, "bongo": 60, "low-bongo": 61,
    "conga": 63, "low-conga": 64, "timbale": 65, "agogo": 67, "cabasa": 69,
    "shaker": 70, "maracas": 70, "whistle": 71, "guiro": 73, "claves": 75,
    "woodblock": 76, "wood-block": 76, "triangle": 81, "cuica": 79, "vibraslap": 58,
}

_DRUM_SLUGS = {_slug(name): key for key, name in GM_DRUMS.items()}


def parse_drum(text: str | int) -> int:
    """A GM drum sound by key (0-127) or name ('kick', 'snare', 'closed-hat', 'Ride Cymbal 1')."""
    if isinstance(text, int) or str(text).strip().isdigit():
        return parse_note(str(text))
    slug = _slug(str(text))
    for table in (DRUM_ALIASES, _DRUM_SLUGS):
        if slug in table:
            return table[slug]
    raise TheoryError(f"unknown drum {text!r}; names include: {', '.join(list(DRUM_ALIASES)[:24])} ...")

"""Score: the stream as MusicXML, through music21, for notation programs (MuseScore, Sibelius,
Dorico, Finale) and for players who read parts.

A score needs what a MIDI file does not: note values. Starts and ends are snapped to the
notation grid first (``--grid``: 16, or 16,8t to allow eighth triplets), then each part is
laid out in one voice: notes that overlap are sliced into chords with ties (music21's
chordify), so a humanized or pedalled part reads as a player would write it, not as
clusters of 128ths in several voices. Drums go on a percussion staff, one stroke per onset.
Chord events become chord symbols over the top part; sections (Markers without a channel)
become rehearsal marks; Tempo events metronome marks (a change of a whole BPM or more);
KeySig and TimeSig events the key and time signatures of every part. The score ends on the
stream's End (else the bar line after the last note), so it has as many measures as the MIDI
file has bars.

music21 is imported only here, only by `to-musicxml`.
"""

from __future__ import annotations

import io
import re
import zipfile
from fractions import Fraction

from .events import DRUM_CHANNEL, PPQ
from .meter import bar_count, bar_line_at_or_after
from .stream import DataError
from .theory import (FLAT_NAMES, GM_PROGRAMS, SHARP_NAMES, TheoryError, key_signature, parse_key,
                     track_name)
from .tracks import split
from .transforms.quantize import parse_grid

# GM drum key -> (display step and octave on the five-line percussion staff, notehead).
DRUM_STAFF = {
    35: ("F4", None), 36: ("F4", None), 37: ("C5", "x"), 38: ("C5", None), 39: ("C5", "x"),
    40: ("C5", None), 41: ("A4", None), 42: ("G5", "x"), 43: ("A4", None), 44: ("D4", "x"),
    45: ("B4", None), 46: ("G5", "circle-x"), 47: ("D5", None), 48: ("E5", None),
    49: ("A5", "x"), 50: ("E5", None), 51: ("F5", "x"), 52: ("A5", "x"), 53: ("F5", "diamond"),
    54: ("E5", "x"), 55: ("A5", "x"), 56: ("E5", "triangle"), 57: ("A5", "x"), 59: ("F5", "x"),
}
MAX_MEASURES = 5000
"""The longest score written (an hour and more at most tempos): a far End is refused, not tried."""
MAX_STAFF_MEASURES = 10_000
"""The most measures over all parts (music21 takes a few ms each: about half a minute)."""
_QUALITY = {"mmaj7": "mM7"}  # our chord qualities music21 spells otherwise


def parse_grids(text: str) -> list[int]:
    """``"16,8t"`` -> [120, 160]: the steps a note may snap to (the nearest line wins).

    >>> parse_grids("16,8t")
    [120, 160]
    """
    return [parse_grid(part) for part in str(text).split(",")]


def snapper(steps: list[int]):
    """tick -> the nearest line of any of ``steps`` (the first grid on a tie)."""
    def snap(t: int) -> int:
        best = None
        for step in steps:
            q = (t + step // 2) // step * step
            if best is None or abs(q - t) < abs(best - t):
                best = q
        return best

    return snap


def build(events: list[dict], *, grid: str = "16", title: str | None = None,
          warn=lambda msg: None):
    """A music21 Score of ``events`` (see the module docstring)."""
    from music21 import (clef, expressions, instrument, key, metadata, meter, note, percussion,
                         pitch, stream, tempo)

    steps = parse_grids(grid)
    snap = snapper(steps)
    shortest = min(steps)
    notes = [e for e in events if e["type"] == "Note"]
    sigs = sorted((e["t"], e["num"], e["den"]) for e in events if e["type"] == "TimeSig")
    ends = [e["t"] for e in events if e["type"] == "End"]
    last = max((n["t"] + n["dur"] for n in notes), default=0)
    end = snap(max(ends)) if ends else bar_line_at_or_after(snap(last), sigs)
    if bar_count(end, sigs) > MAX_MEASURES:
        raise DataError(f"the stream lasts {bar_count(end, sigs):,} bars; a score holds at most "
                        f"{MAX_MEASURES:,} (trim it: trim --bars N)")
    ql = lambda t: Fraction(t, PPQ)  # noqa: E731 - ticks to quarter lengths
    keysigs = sorted((e["t"], _sharps(e)) for e in events if e["type"] == "KeySig")

    def spelled(k: int, t: int):
        """Key ``k`` with flats where the key signature in force has flats, else sharps."""
        flats = next((sh for kt, sh in reversed(keysigs) if kt <= t), 0) < 0
        return pitch.Pitch((FLAT_NAMES if flats else SHARP_NAMES)[k % 12].replace("b", "-") + str(k // 12 - 1))

    cuts = sorted({ql(snap(e["t"])) for e in events if e["type"] == "Chord"})  # chord symbols' places

    score = stream.Score()
    score.insert(0, metadata.Metadata(title=title or "", composer=""))
    tracks = split(events)
    staves = bar_count(end, sigs) * len(tracks)
    if staves > MAX_STAFF_MEASURES:
        raise DataError(f"the score would hold {bar_count(end, sigs):,} bars in {len(tracks)} "
                        f"parts, {staves:,} measures in all; at most {MAX_STAFF_MEASURES:,} "
                        "(trim it: trim --bars N, or write fewer parts)")
    parts = []
    for number, track in enumerate(tracks, 1):
        own = [e for e in track.events if e.get("ch") == track.ch]
        marker = min((e for e in own if e["type"] == "Marker"), key=lambda e: e["t"], default=None)
        program = next((e["program"] for e in sorted(own, key=lambda e: e["t"])
                        if e["type"] == "ProgramChange"), 0)
        tracked = next((e.get("track") for e in own if e.get("track")), None)
        name = marker["text"] if marker else tracked or track_name(program, track.ch)
        drums = track.ch == DRUM_CHANNEL
        part = stream.Part(id=f"P{number}")
        part.partName = name
        part.partAbbreviation = name.split(" (")[0]
        inst = instrument.UnpitchedPercussion() if drums else _instrument(instrument, program)
        inst.partName, inst.instrumentId = name, f"P{number}-I1"
        inst.partAbbreviation = part.partAbbreviation
        inst.midiChannel = track.ch
        part.insert(0, inst)
        body = [(snap(n["t"]), min(snap(n["t"] + n["dur"]), end), n["key"])  # cut at the End,
                for n in track.events if n["type"] == "Note" and n["t"] < end]  # as to-midi does
        if drums:
            part.insert(0, clef.PercussionClef())
            _drum_strokes(part, body, end, shortest, ql, note, percussion)
        else:
            flat = stream.Part()
            for t, e, k in body:
                flat.insert(ql(t), note.Note(spelled(k, t), quarterLength=ql(max(e, t + shortest) - t)))
            for item in flat.chordify(addTies=True).notesAndRests:
                if item.isRest:
                    continue
                if len(item.pitches) == 1:  # a chord of one note is a note
                    single = note.Note(item.pitches[0], quarterLength=item.quarterLength)
                    single.tie = item.tie
                    item = _at(single, item.offset)
                for piece in _split_at(item, cuts if not parts else ()):
                    part.insert(piece.offset, piece)
        part.makeRests(refStreamOrTimeRange=[0, ql(end)], fillGaps=True, inPlace=True,
                       timeRangeFromBarDuration=False)
        for t, num, den in sigs or [(0, 4, 4)]:
            part.insert(ql(t), meter.TimeSignature(f"{num}/{den}"))
        if not drums:
            for ev in events:
                if ev["type"] == "KeySig":
                    part.insert(ql(ev["t"]), key.KeySignature(_sharps(ev)))
        parts.append(part)
    if parts:
        top = parts[0]
        shown = None
        for ev in sorted((e for e in events if e["type"] == "Tempo"), key=lambda e: e["t"]):
            bpm = round(ev["bpm"])
            if bpm != shown and snap(ev["t"]) < end:
                mark = tempo.MetronomeMark(number=bpm)
                mark.placement = "above"
                top.insert(ql(snap(ev["t"])), mark)
                shown = bpm
        for ev in events:
            if ev["type"] == "Marker" and ev.get("ch") is None and snap(ev["t"]) < end:
                top.insert(ql(snap(ev["t"])), expressions.RehearsalMark(ev["text"]))
        skipped = 0
        for ev in sorted((e for e in events if e["type"] == "Chord"), key=lambda e: e["t"]):
            symbol = _chord_symbol(ev)
            if symbol is None:
                skipped += 1
            elif snap(ev["t"]) < end:
                top.insert(ql(snap(ev["t"])), symbol)
        if skipped:
            warn(f"{skipped} Chord events music21 cannot name were left out of the chord symbols")
    for part in parts:
        score.insert(0, part)
    return score


def _split_at(item, cuts):
    """``item`` tied across each cut strictly inside it (where a chord symbol stands: a
    symbol inside a held note makes music21 write two voices)."""
    start = item.offset
    for cut in cuts:
        if start < cut < start + item.quarterLength:
            head, item = item.splitAtQuarterLength(cut - start)
            yield _at(head, start)
            start = cut
            item = _at(item, start)
    yield item


def _at(item, offset):
    item.offset = offset
    return item


def _instrument(instrument, program: int):
    try:
        inst = instrument.instrumentFromMidiProgram(program)
    except Exception:  # music21 knows no class for a few programs (sound effects)
        inst = instrument.Instrument()
    inst.midiProgram = program
    inst.instrumentName = GM_PROGRAMS[program]
    return inst


def _drum_strokes(part, body, end, shortest, ql, note, percussion) -> None:
    """One stroke per onset, lasting until the next (a drum's sound is its attack)."""
    onsets = sorted({t for t, _, _ in body})
    for i, t in enumerate(onsets):
        until = onsets[i + 1] if i + 1 < len(onsets) else min(end, t + PPQ)
        keys = sorted({k for s, _, k in body if s == t})
        strokes = []
        for k in keys:
            step, head = DRUM_STAFF.get(k, ("C5", "x"))
            stroke = note.Unpitched(displayName=step)
            if head:
                stroke.notehead = head
            strokes.append(stroke)
        dur = ql(max(until - t, shortest))
        item = strokes[0] if len(strokes) == 1 else percussion.PercussionChord(strokes)
        item.quarterLength = dur
        part.insert(ql(t), item)


def _sharps(ev: dict) -> int:
    """A KeySig's sharps (flats negative), as to-midi writes it; 0 for a key it cannot read."""
    try:
        return key_signature(*parse_key(f"{ev['key']} {ev['mode']}"), str(ev["key"]))[0]
    except TheoryError:
        return 0


def _chord_symbol(ev: dict):
    """A music21 ChordSymbol for a Chord event, None when music21 cannot read its name."""
    from music21 import harmony

    root = re.sub(r"^([A-G])b", r"\1-", ev.get("root") or ev["name"][:1])
    quality = _QUALITY.get(ev.get("quality", ""), ev.get("quality", ""))
    for figure in (root + quality, re.sub(r"^([A-G])b", r"\1-", ev["name"])):
        try:
            return harmony.ChordSymbol(figure)
        except Exception:  # music21 raises several kinds on an unknown abbreviation
            continue
    return None


def musicxml(score, *, compressed: bool = False) -> bytes:
    """The score's MusicXML bytes (``compressed``: an .mxl zip), the same for the same score:
    the encoding date music21 stamps in is left out, its random part ids numbered."""
    from music21.musicxml.m21ToXml import GeneralObjectExporter

    data = GeneralObjectExporter(score).parse()
    data = re.sub(rb"\s*<encoding-date>[^<]*</encoding-date>", b"", data)
    ids: dict[bytes, bytes] = {}  # music21's random part ids, renamed P1, P2 ... in order
    data = re.sub(rb'id="(P[0-9a-f]{32})"',
                  lambda m: b'id="%s"' % ids.setdefault(m.group(1), b"P%d" % (len(ids) + 1)), data)
    if not compressed:
        return data
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        container = (b'<?xml version="1.0" encoding="UTF-8"?>\n<container><rootfiles>'
                     b'<rootfile full-path="score.musicxml" media-type="application/'
                     b'vnd.recordare.musicxml+xml"/></rootfiles></container>\n')
        for name, payload in (("mimetype", b"application/vnd.recordare.musicxml"),
                              ("META-INF/container.xml", container), ("score.musicxml", data)):
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
            z.writestr(info, payload)
    return buf.getvalue()

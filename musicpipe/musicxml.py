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
from math import isclose

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
"""The most measures over all parts (checked before the finer weighing of _budget)."""
MAX_PART_WORK = 2_500
"""The most a part may weigh (see _budget): music21 writes it in about 5 s."""
MAX_WORK = 6_000
"""The most a score may weigh (twice a 3-minute mood jazz of 4 parts: about 15 s)."""
MARK_WORK = 8
"""What a mark (signature, tempo mark, rehearsal mark, chord symbol) weighs: as much as 8 notes."""
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
        spelled = pitch.Pitch((FLAT_NAMES if flats else SHARP_NAMES)[k % 12].replace("b", "-"))
        spelled.octave = k // 12 - 1  # apart: "C#-1" would read as C with the accidental "#-"
        return spelled

    cuts = sorted({ql(snap(e["t"])) for e in events if e["type"] == "Chord"})  # chord symbols' places

    score = stream.Score()
    score.insert(0, metadata.Metadata(title=title or "", composer=""))
    tracks = split(events)  # (a track that is not text is refused there, as to-midi does)
    staves = bar_count(end, sigs) * len(tracks)
    if staves > MAX_STAFF_MEASURES:
        raise DataError(f"the score would hold {bar_count(end, sigs):,} bars in {len(tracks)} "
                        f"parts, {staves:,} measures in all; at most {MAX_STAFF_MEASURES:,} "
                        "(trim it: trim --bars N, or write fewer parts)")
    bodies = [[(snap(n["t"]), min(snap(n["t"] + n["dur"]), end), n["key"])  # cut at the End,
               for n in track.events if n["type"] == "Note" and n["t"] < end]  # as to-midi does
              for track in tracks]
    tempos, shown = [], None  # (tick, BPM) where the tempo changes by a whole BPM
    for ev in sorted((e for e in events if e["type"] == "Tempo"), key=lambda e: e["t"]):
        if round(ev["bpm"]) != shown and snap(ev["t"]) < end:
            shown = round(ev["bpm"])
            tempos.append((snap(ev["t"]), shown))
    sections = [(snap(e["t"]), e) for e in events
                if e["type"] == "Marker" and e.get("ch") is None and snap(e["t"]) < end]
    chords = {}  # one symbol a place: of Chords on one grid line, the last is the one in force
    for ev in sorted((e for e in events if e["type"] == "Chord"), key=lambda e: e["t"]):
        if snap(ev["t"]) < end:
            chords[snap(ev["t"])] = ev
    signatures = len(sigs) + len(keysigs)  # in every part
    _budget(tracks, bodies, bar_count(end, sigs), shortest, signatures,
            signatures + len(tempos) + len(sections) + len(chords))
    parts = []
    for number, (track, body) in enumerate(zip(tracks, bodies), 1):
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
        if drums:
            part.insert(0, clef.PercussionClef())
            _drum_strokes(part, body, end, shortest, ql, note, percussion)
        else:
            placed = [(ql(t), note.Note(spelled(k, t), quarterLength=ql(max(e, t + shortest) - t)))
                      for t, e, k in body]
            for item in _chordified(placed):
                if item.isRest:
                    continue
                if len(item.pitches) == 1:  # a chord of one note is a note
                    single = note.Note(item.pitches[0], quarterLength=item.quarterLength)
                    single.tie = item.tie
                    item = _at(single, item.offset)
                for piece in _split_at(item, cuts if not parts else ()):
                    part.insert(piece.offset, piece, ignoreSort=True)  # sorted once, when read
        part.makeRests(refStreamOrTimeRange=[0, ql(end)], fillGaps=True, inPlace=True,
                       timeRangeFromBarDuration=False)
        for t, num, den in sigs or [(0, 4, 4)]:  # none past the End: music21 would fill the
            if t == 0 or t < end:                # measures up to it (one far TimeSig: minutes)
                part.insert(ql(t), meter.TimeSignature(f"{num}/{den}"))
        if not drums:
            for ev in events:
                if ev["type"] == "KeySig" and (ev["t"] == 0 or ev["t"] < end):
                    part.insert(ql(ev["t"]), key.KeySignature(_sharps(ev)))
        parts.append(part)
    if parts:
        top = parts[0]
        for t, bpm in tempos:
            mark = tempo.MetronomeMark(number=bpm)
            mark.placement = "above"
            top.insert(ql(t), mark)
        for t, ev in sections:
            top.insert(ql(t), expressions.RehearsalMark(ev["text"]))
        skipped = 0
        for t, ev in chords.items():
            symbol = _chord_symbol(ev)
            if symbol is None:
                skipped += 1
            else:
                top.insert(ql(t), symbol)
        if skipped:
            warn(f"{skipped} Chord events music21 cannot name were left out of the chord symbols")
    for part in parts:
        score.insert(0, part)
    return score


def _budget(tracks, bodies, bars: int, shortest: int, marks: int, top_marks: int) -> None:
    """Refuse a score music21 would spend minutes on: its time grows with the square of a
    part's notes and measures (and its marks: key and time signatures, over the top part
    tempo marks, rehearsal marks, chord symbols; each as costly as several notes), and with
    the sum over all parts."""
    work = [2 * bars + MARK_WORK * (top_marks if number == 0 else marks)
            + _noteheads(body, shortest, track.ch == DRUM_CHANNEL)
            for number, (track, body) in enumerate(zip(tracks, bodies))]
    how = f"notes (sliced where they overlap), measures (twice) and marks ({MARK_WORK} times)"
    for track, w in zip(tracks, work):
        if w > MAX_PART_WORK:
            raise DataError(f"channel {track.ch}'s part would weigh {w:,}: {how}; at most "
                            f"{MAX_PART_WORK:,} a part (trim it: trim --bars N)")
    if sum(work) > MAX_WORK:
        raise DataError(f"the score would weigh {sum(work):,} in {len(work)} parts: {how}; at "
                        f"most {MAX_WORK:,} (trim it: trim --bars N, or write fewer parts)")


def _noteheads(body: list, shortest: int, drums: bool) -> int:
    """The notes a part is written with before bar lines split them: a drum's one stroke per
    onset and key; else chordify's, each note cut at every start and end inside it."""
    if drums:
        return len({(t, k) for t, _, k in body})
    spans = [(t, max(e, t + shortest)) for t, e, _ in body]
    index = {p: i for i, p in enumerate(sorted({p for span in spans for p in span}))}
    return sum(index[e] - index[t] for t, e in spans)


def _chordified(placed: list) -> list:
    """music21's ``chordify(addTies=True)`` of notes at offsets ([(offset, Note)]): its chords
    and rests, the same objects, from a timespan tree filled in one insert. chordify fills
    the tree a note at a time, each insert walking the whole tree (2,000 notes took 10 s)."""
    from music21.common.numberTools import opFrac
    from music21.tree import spans, timespanTree

    tree = timespanTree.TimespanTree()
    tree.insert([spans.PitchedTimespan(element=n, parentOffset=0.0, parentEndTime=0.0,
                                       parentage=(), offset=o, endTime=o + n.quarterLength)
                 for o, n in placed])
    points = tree.allTimePoints()
    points = points if 0 in points else (0, *points)
    items = []
    for start, stop in zip(points, points[1:]):
        if not isclose(start, stop, abs_tol=1e-7):
            items.append(_at(tree.getVerticalityAt(start).makeElement(stop - start, addTies=True),
                             opFrac(start)))
    for item in items:  # as chordify leaves them: accidentals shown where the measure needs
        for p in item.pitches:
            if p.accidental is not None and p.accidental.displayType != "even-tied":
                p.accidental.displayStatus = None
    return items


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
    struck: dict[int, set[int]] = {}
    for t, _, k in body:
        struck.setdefault(t, set()).add(k)
    onsets = sorted(struck)
    for i, t in enumerate(onsets):
        until = onsets[i + 1] if i + 1 < len(onsets) else min(end, t + PPQ)
        keys = sorted(struck[t])
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
        part.insert(ql(t), item, ignoreSort=True)


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
    import warnings

    from music21.musicxml.m21ToXml import GeneralObjectExporter
    from music21.musicxml.xmlObjects import MusicXMLWarning

    # music21 warns a score without measures (no notes, written with --force) is "not
    # well-formed": two lines of stderr about nothing amiss, and the stage has said its own
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MusicXMLWarning)
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

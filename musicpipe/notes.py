"""Notes as JSON: tracks of notes written as data, turned into the event stream.

For agents and scripts that know which notes they want but not the ``seq`` language::

    {"tempo": 100, "time_signature": "4/4", "key": "A minor",
     "tracks": [
       {"name": "Chords", "instrument": "strings", "notes": [
          {"pitch": "Am7", "start": "1:1", "length": {"bars": 1}}]},
       {"name": "Melody", "instrument": "flute", "channel": 1, "notes": [
          {"pitch": "E5", "start": 0, "length": 1.5, "velocity": 100},
          {"pitch": 72, "start": {"bar": 1, "beat": 2.5}, "length": 0.5}]}]}

- ``pitch``: a key number 0..127, a note name with octave (``"C#4"``, C4 = 60), a drum name on
  channel 9 (``"kick"``), or a chord symbol (``"Am7"``, ``"Fmaj7"``) giving one note per chord
  tone with the root in octave 3; ``"C7@4"`` puts the root in octave 4. A name with an octave
  is a note, so ``"C7"`` is the note C7: write ``"C7@3"`` for the chord.
- ``start``: a position (``musicpipe.positions``): quarter notes from the start, ``"BAR:BEAT"``
  or ``{"bar":..,"beat":..}`` counted from 1.
- ``length``: quarter notes (default 1) or ``{"bars":..,"beats":..}``; ``velocity`` 1..127 (90).
- A track's ``channel`` defaults to the next free one (0, 1, ... skipping 9); instrument
  ``"drums"`` puts it on channel 9. Two tracks may share a channel when they share an
  instrument; their events then carry the track's name as ``track``.

The schema (``json_schema()``) is generated from the Structs below, the one definition;
``parse`` checks a document against it and then the music in it, and every refusal is one
line naming the place: ``tracks[0].notes[3].pitch: "H4" is not a note name ...``.
"""

from __future__ import annotations

import re
from typing import Annotated, Union

import msgspec
from msgspec import Meta, Struct

from . import theory
from .events import MAX_TICK
from .harmony import key_event
from .meter import bar_line_at_or_after
from .positions import Meter, PositionError

MAX_NOTES = 100_000
"""Notes in one document, all tracks together: the work is bounded before it starts."""

DRUM_NAMES = ("drums", "drum kit", "percussion", "kit")


class NotesError(ValueError):
    """A notes document that is not one; the message is one line naming the place."""


class Position(Struct, forbid_unknown_fields=True):
    """Bar and beat, both from 1; the beat may be fractional."""
    bar: Annotated[int, Meta(ge=1, le=100_000)]
    beat: Annotated[float, Meta(ge=1)] = 1


class Span(Struct, forbid_unknown_fields=True):
    """A length in bars and beats of the meter where it starts."""
    bars: Annotated[float, Meta(ge=0)] = 0
    beats: Annotated[float, Meta(ge=0)] = 0


Pitch = Union[Annotated[int, Meta(ge=0, le=127)],
              Annotated[str, Meta(min_length=1, max_length=20,
                                  description='a note name ("C#4"), a chord symbol ("Am7", '
                                              '"C7@4") or a drum name on channel 9')]]
Start = Union[Annotated[float, Meta(ge=0, description="quarter notes from the start")],
              Annotated[str, Meta(pattern=r"^\s*\d+(:\d+(\.\d+)?)?\s*$",
                                  description='"BAR:BEAT", both from 1')],
              Position]
Length = Union[Annotated[float, Meta(gt=0, description="quarter notes")], Span]


class Note(Struct, forbid_unknown_fields=True):
    pitch: Pitch
    start: Start
    length: Length = 1.0
    velocity: Annotated[int, Meta(ge=1, le=127)] = 90


class Track(Struct, forbid_unknown_fields=True):
    notes: Annotated[list[Note], Meta(max_length=MAX_NOTES)]
    name: Union[Annotated[str, Meta(min_length=1, max_length=100)], None] = None
    instrument: Union[Annotated[str, Meta(max_length=60)], Annotated[int, Meta(ge=0, le=127)]] = "piano"
    channel: Union[Annotated[int, Meta(ge=0, le=15)], None] = None


class Piece(Struct, forbid_unknown_fields=True):
    tracks: Annotated[list[Track], Meta(min_length=1, max_length=64)]
    tempo: Annotated[float, Meta(ge=4, le=1000)] = 120.0
    time_signature: Annotated[str, Meta(pattern=r"^\d{1,2}/\d{1,2}$")] = "4/4"
    key: Union[Annotated[str, Meta(max_length=30)], None] = None
    bars: Union[Annotated[int, Meta(ge=1, le=100_000)], None] = None


_PATTERNS = {"start": 'a position: quarter notes, "BAR:BEAT" (from 1) or {"bar":..,"beat":..}',
             "time_signature": 'a time signature like "4/4" or "6/8"'}
_FIELDS = {"": Piece, "tracks": Track, "notes": Note, "start": Position, "length": Span}


def json_schema() -> dict:
    """The JSON Schema of a notes document (strict: unknown fields are refused)."""
    return msgspec.json.schema(Piece)


def _refusal(e: msgspec.ValidationError) -> NotesError:
    """msgspec's "Expected `int`, got `str` - at `$.tracks[0].channel`" as
    "tracks[0].channel: expected `int`, got `str`", with the valid names for an unknown one."""
    text, _, where = str(e).rpartition(" - at `")
    where = where.rstrip("`").removeprefix("$").lstrip(".") if text else ""
    text = text or str(e)
    if "matching regex" in text:
        text = "expected " + _PATTERNS[where.rpartition(".")[2]]
    if "unknown field" in text:
        last = re.sub(r"\[\d+\]$", "", where.rpartition(".")[2])
        struct = _FIELDS.get(last)
        if struct:
            text += f" (fields: {', '.join(struct.__struct_fields__)})"
    text = text[0].lower() + text[1:]
    return NotesError(f"{where}: {text}" if where else text)


def decode(doc) -> Piece:
    """A document (JSON text or bytes, or the parsed object) as a checked ``Piece``."""
    try:
        if isinstance(doc, (str, bytes)):
            return msgspec.json.decode(doc, type=Piece)
        return msgspec.convert(doc, Piece)
    except msgspec.ValidationError as e:
        raise _refusal(e) from None
    except msgspec.DecodeError as e:
        raise NotesError(f"not JSON: {e}") from None


def keys(pitch: int | str, ch: int) -> tuple[int, ...]:
    """The keys a pitch sounds (several for a chord symbol); TheoryError says why not."""
    if isinstance(pitch, int):
        return (pitch,)
    text = pitch.strip()
    if re.fullmatch(r"[A-Ga-g](#{1,2}|b{1,2}|♯|♭)?-?\d+|\d+", text):
        return (theory.parse_note(text),)
    if ch == 9:
        try:
            return (theory.parse_drum(text),)
        except theory.TheoryError:
            pass
    symbol, _, octave = text.partition("@")
    try:
        root, intervals = theory.parse_chord(symbol)
    except theory.TheoryError:
        drum = " a drum name," if ch == 9 else ""
        raise theory.TheoryError(f'"{pitch}" is not a note name (C4, F#3, Bb2, 0..127),{drum} '
                                 "or a chord symbol (Am7, Fmaj7, C7@4)") from None
    if not re.fullmatch(r"-?\d", octave or "3"):
        raise theory.TheoryError(f'"{pitch}": the octave after @ is a number -1..9')
    base = (int(octave or 3) + 1) * 12 + root
    out = tuple(base + i for i in intervals)
    if not all(0 <= k <= 127 for k in out):
        raise theory.TheoryError(f'"{pitch}" reaches keys {out[0]}..{out[-1]}, allowed 0..127')
    return out


def _channels(tracks: list[Track]) -> list[tuple[int, int]]:
    """(channel, program) per track: given channels kept, the others the next free ones."""
    programs, out = {}, []
    taken = {t.channel for t in tracks if t.channel is not None}
    free = (c for c in range(16) if c != 9 and c not in taken)
    for i, track in enumerate(tracks):
        drums = isinstance(track.instrument, str) and track.instrument.strip().lower() in DRUM_NAMES
        try:
            program = 0 if drums else theory.parse_program(track.instrument)
        except theory.TheoryError as e:
            raise NotesError(f"tracks[{i}].instrument: {e}") from None
        ch = track.channel
        if ch is None:
            ch = 9 if drums else next(free, None)
            if ch is None:
                raise NotesError(f"tracks[{i}].channel: no free channel left (16 channels, 9 is "
                                 "drums); give tracks that share an instrument the same channel")
        if programs.setdefault(ch, (program, i))[0] != program:
            raise NotesError(f"tracks[{i}].channel: {ch} is already tracks[{programs[ch][1]}]'s "
                             "channel with another instrument (a channel plays one at a time)")
        out.append((ch, program))
    return out


def events(doc) -> list[dict]:
    """The event stream of a notes document: Tempo, TimeSig, KeySig, each track's name and
    program, its Notes in time order, and the End (the ``bars`` given, else the bar line
    after the last note)."""
    piece = doc if isinstance(doc, Piece) else decode(doc)
    total = sum(len(t.notes) for t in piece.tracks)
    if total > MAX_NOTES:
        raise NotesError(f"tracks: {total} notes, at most {MAX_NOTES:,} in one document")
    num, den = (int(x) for x in piece.time_signature.split("/"))
    if not 1 <= num <= 64 or den not in (1, 2, 4, 8, 16, 32, 64):
        raise NotesError(f'time_signature: "{piece.time_signature}" needs 1..64 beats of a '
                         "power of 2 up to 64 (4/4, 3/4, 6/8)")
    head = [{"type": "Tempo", "t": 0, "bpm": piece.tempo},
            {"type": "TimeSig", "t": 0, "num": num, "den": den}]
    if piece.key is not None:
        try:
            root, mode = theory.parse_key(piece.key)
        except theory.TheoryError as e:
            raise NotesError(f"key: {e}") from None
        head.append(key_event(root, mode))
    meter = Meter([(0, num, den)])
    placed = _channels(piece.tracks)
    shared = {ch for ch, _ in placed if sum(c == ch for c, _ in placed) > 1}
    notes, end = [], 0
    for i, (track, (ch, program)) in enumerate(zip(piece.tracks, placed)):
        name = track.name or theory.track_name(None if ch == 9 else program, ch)
        tag = {"track": name} if ch in shared else {}
        head.append({"type": "Marker", "t": 0, "text": name, "ch": ch, **tag})
        head.append({"type": "ProgramChange", "t": 0, "ch": ch, "program": program, **tag})
        for j, note in enumerate(track.notes):
            at = f"tracks[{i}].notes[{j}]"
            try:
                pitches = keys(note.pitch, ch)
            except theory.TheoryError as e:
                raise NotesError(f"{at}.pitch: {e}") from None
            try:
                t = meter.tick(msgspec.to_builtins(note.start))
            except PositionError as e:
                raise NotesError(f"{at}.start: {e}") from None
            try:
                dur = meter.length(msgspec.to_builtins(note.length), t)
            except PositionError as e:
                raise NotesError(f"{at}.length: {e}") from None
            end = max(end, t + dur)
            notes += [{"type": "Note", "t": t, "dur": dur, "ch": ch, "key": k,
                       "vel": note.velocity, **tag} for k in pitches]
    notes.sort(key=lambda n: (n["t"], n["ch"], n["key"]))
    length = meter.bar_start(piece.bars + 1) if piece.bars else bar_line_at_or_after(max(end, 1), meter.sigs)
    if length > MAX_TICK:
        raise NotesError(f"bars: {piece.bars} bars end past the longest piece")
    if end > length:
        raise NotesError(f"bars: the notes reach bar {meter.position(end - 1).split(':')[0]}, "
                         f"past the {piece.bars} bars given")
    return head + notes + [{"type": "End", "t": length}]

"""Editing sessions: open a .mid or a stream, change notes in place, undo, save elsewhere.

The note-by-note counterpart of the stages, for agents and notebooks::

    s = Session.open("song.mid")
    s.tracks()                                   # names, channels, instruments, note counts
    s.notes(bars="3")                            # the notes of bar 3, with bar:beat positions
    s.transpose(2, bars="3", track="Melody")     # every edit names what it touches
    s.quantize("16", bars="1-4")                 # the quantize stage's grid
    s.undo(); s.redo()
    s.save("song-edited.mid")                    # never over song.mid unless overwrite=True

What an edit touches is chosen by a range (``bars="3-4"``, or ``start``/``end`` positions as
in ``musicpipe.positions``: a note is in when its onset is at or after start and before end),
and by ``track`` (a name from ``tracks()``) and/or ``channel``. An edit that would leave the
stream's range, or a range with no notes in it, is refused with one line (EditError) and
changes nothing. Each edit records only the events it removed and added, so the history is
kept, whole, until the session is closed, at the cost of the notes it changed.
"""

from __future__ import annotations

import os
from pathlib import Path

import msgspec

from . import notes as notes_json
from . import theory
from .events import MAX_TICK, PPQ
from .meter import bar_line_at_or_after
from .positions import Meter, PositionError

MAX_LISTED = 2000
"""Notes ``notes()`` returns at most (it says how many more there are)."""

_RANK = {"Tempo": 0, "TimeSig": 1, "KeySig": 2, "Marker": 3, "ProgramChange": 4,
         "ControlChange": 5, "PitchBend": 6, "Note": 8, "End": 9}


class EditError(ValueError):
    """An edit that cannot be made, or a file that cannot be opened; one line."""


def _count(n: int) -> str:
    return f"{n} note" if n == 1 else f"{n} notes"


def _order(ev: dict) -> tuple:
    return (ev.get("t", 0), _RANK.get(ev["type"], 7), ev.get("ch", -1), ev.get("key", -1),
            ev.get("dur", 0), ev.get("vel", 0), ev.get("track") or "")


def load(source) -> list[dict]:
    """The events of a .mid/.midi or .jsonl file (a path), of MIDI or JSONL bytes, or of a
    list of event dicts, validated and paired as every stage reads them."""
    from . import midi, stream

    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if path.suffix.lower() not in (".mid", ".midi", ".jsonl", ".json"):
            raise EditError(f"{path.name}: open a .mid, .midi or .jsonl file")
        try:
            data = path.read_bytes()
        except OSError as e:
            raise EditError(f"{path.name}: {e.strerror}") from None
    elif isinstance(source, bytes):
        data = source
    else:
        data = stream.encode([dict(ev) for ev in source])
    try:
        if data.startswith(b"MThd"):
            return midi.midi_to_events(data)
        return stream.parse_lines(data)
    except (midi.MidiFileError, stream.DataError) as e:
        raise EditError(str(e)) from None


class Session:
    """One piece being edited, with its undo and redo history."""

    def __init__(self, events, source: str | os.PathLike | None = None):
        self.events = [dict(ev) for ev in events]
        self.source = Path(source).resolve() if source is not None else None
        self._undo: list[tuple[str, list[dict], list[dict]]] = []
        self._redo: list[tuple[str, list[dict], list[dict]]] = []

    @classmethod
    def open(cls, source) -> Session:
        """A session over a file (its path is the source ``save`` will not overwrite), bytes
        or events."""
        path = source if isinstance(source, (str, os.PathLike)) else None
        return cls(load(source), path)

    # ------------------------------------------------------------------ reading

    @property
    def meter(self) -> Meter:
        return Meter([ev for ev in self.events if ev["type"] == "TimeSig"])

    def _names(self) -> dict[int, str]:
        """Channel -> the name its Marker gives its (untagged) track."""
        names: dict[int, str] = {}
        for ev in sorted((e for e in self.events if e["type"] == "Marker" and "ch" in e),
                         key=lambda e: e["t"]):
            names.setdefault(ev["ch"], ev["text"])
        return names

    def _track_of(self, ev: dict, names: dict[int, str], programs: dict[int, int]) -> str:
        if ev.get("track"):
            return ev["track"]
        ch = ev["ch"]
        return names.get(ch) or theory.track_name(None if ch == 9 else programs.get(ch), ch)

    def _programs(self) -> dict[int, int]:
        programs: dict[int, int] = {}
        for ev in sorted((e for e in self.events if e["type"] == "ProgramChange"), key=lambda e: e["t"]):
            programs.setdefault(ev["ch"], ev["program"])
        return programs

    def tracks(self) -> list[dict]:
        """Each track that has notes or a name: its name, channel, instrument, notes, and the
        bars it plays in."""
        names, programs, meter = self._names(), self._programs(), self.meter
        found: dict[tuple[str, int], list[dict]] = {}
        for ev in self.events:
            if ev["type"] == "Note":
                found.setdefault((self._track_of(ev, names, programs), ev["ch"]), []).append(ev)
        for ch, name in names.items():
            found.setdefault((name, ch), [])
        out = []
        for (name, ch), evs in sorted(found.items(), key=lambda item: (item[0][1], item[0][0])):
            program = programs.get(ch)
            row = {"name": name, "channel": ch,
                   "instrument": "drums" if ch == 9 else theory.GM_PROGRAMS[program or 0],
                   "notes": len(evs)}
            if evs:
                row["from"] = meter.position(min(e["t"] for e in evs))
                row["to"] = meter.position(max(e["t"] + e["dur"] for e in evs))
                row["lowest"] = theory.note_name(min(e["key"] for e in evs))
                row["highest"] = theory.note_name(max(e["key"] for e in evs))
            out.append(row)
        return out

    def _range(self, bars, start, end) -> tuple[int, int]:
        meter = self.meter
        try:
            if bars is not None:
                if start is not None or end is not None:
                    raise EditError("give bars or start/end, not both")
                return meter.bars(bars)
            lo = 0 if start is None else meter.tick(start)
            hi = MAX_TICK + 1 if end is None else meter.tick(end)
        except PositionError as e:
            field = "bars" if bars is not None else "start/end"
            raise EditError(f"{field}: {e}") from None
        if hi <= lo:
            raise EditError(f"end: {meter.position(hi)} is not after start {meter.position(lo)}")
        return lo, hi

    def select(self, *, bars=None, start=None, end=None, track: str | None = None,
               channel: int | None = None) -> list[dict]:
        """The Note events in a range (see the module docstring), in time order."""
        lo, hi = self._range(bars, start, end)
        names, programs = self._names(), self._programs()
        if track is not None and not any(t["name"].lower() == track.lower() for t in self.tracks()):
            raise EditError(f'track: no track "{track}" (tracks: '
                            + ", ".join(f'"{t["name"]}"' for t in self.tracks()) + ")")
        if channel is not None and (isinstance(channel, bool) or channel not in range(16)):
            raise EditError(f"channel: {channel!r} is not a channel 0..15")
        out = [ev for ev in self.events if ev["type"] == "Note" and lo <= ev["t"] < hi
               and (channel is None or ev["ch"] == channel)
               and (track is None or self._track_of(ev, names, programs).lower() == track.lower())]
        return sorted(out, key=_order)

    def notes(self, *, limit: int = MAX_LISTED, **where) -> dict:
        """The notes in a range as an agent reads them: pitch number and name, bar:beat
        position, length in quarter notes, velocity, track and channel."""
        meter, names, programs = self.meter, self._names(), self._programs()
        chosen = self.select(**where)
        rows = [{"pitch": ev["key"], "name": theory.note_name(ev["key"]),
                 "start": meter.position(ev["t"]), "length": round(ev["dur"] / PPQ, 4),
                 "velocity": ev["vel"], "track": self._track_of(ev, names, programs),
                 "channel": ev["ch"]} for ev in chosen[:limit]]
        return {"notes": rows, "more": max(0, len(chosen) - limit)}

    def stream(self) -> list[dict]:
        """The piece as a stream in time order (the End covering every note)."""
        return sorted(self.events, key=_order)

    # ------------------------------------------------------------------ history

    def _apply(self, what: str, removed: list[dict], added: list[dict]) -> dict:
        gone = {id(ev) for ev in removed}
        self.events = [ev for ev in self.events if id(ev) not in gone] + added
        self._undo.append((what, removed, added))
        self._redo.clear()
        return {"done": what, "notes": max(sum(ev["type"] == "Note" for ev in evs)
                                            for evs in (removed, added))}

    def undo(self) -> dict:
        if not self._undo:
            raise EditError("undo: nothing to undo")
        what, removed, added = self._undo.pop()
        gone = {id(ev) for ev in added}
        self.events = [ev for ev in self.events if id(ev) not in gone] + removed
        self._redo.append((what, removed, added))
        return {"undone": what}

    def redo(self) -> dict:
        if not self._redo:
            raise EditError("redo: nothing to redo")
        what, removed, added = self._redo.pop()
        gone = {id(ev) for ev in removed}
        self.events = [ev for ev in self.events if id(ev) not in gone] + added
        self._undo.append((what, removed, added))
        return {"redone": what}

    def history(self) -> dict:
        return {"undo": [w for w, _, _ in self._undo], "redo": [w for w, _, _ in reversed(self._redo)]}

    def _end_covering(self, added: list[dict]) -> tuple[list[dict], list[dict]]:
        """The End to remove and add so the piece still holds every note after ``added``."""
        last = max((ev["t"] + ev["dur"] for ev in added if ev["type"] == "Note"), default=0)
        ends = [ev for ev in self.events if ev["type"] == "End"]
        now = max((ev["t"] for ev in ends), default=0)
        if last <= now:
            return [], []
        return ends, [{"type": "End", "t": bar_line_at_or_after(last, self.meter.sigs)}]

    def _change(self, what: str, chosen: list[dict], changed: list[dict]) -> dict:
        old_end, new_end = self._end_covering(changed)
        return self._apply(what, chosen + old_end, changed + new_end)

    def _chosen(self, verb: str, where: dict) -> list[dict]:
        chosen = self.select(**where)
        if not chosen:
            shown = ", ".join(f"{k} {v}" for k, v in where.items() if v is not None) or "the piece"
            raise EditError(f"range: no notes to {verb} in {shown}")
        return chosen

    # ------------------------------------------------------------------ edits

    def insert(self, new_notes: list, *, track: str | None = None, channel: int | None = None,
               instrument: str | int | None = None) -> dict:
        """Add notes written as in notes-as-JSON (pitch, start, length, velocity) to a track
        named by ``track`` or ``channel``; a new name with a channel makes a new track."""
        names = {t["name"].lower(): t for t in self.tracks()}
        existing = names.get(track.lower()) if track else None
        if existing is None and channel is None:
            if track is None and len(names) == 1:
                existing = next(iter(names.values()))
            else:
                raise EditError("track: name a track ("
                                + ", ".join(f'"{t["name"]}"' for t in names.values())
                                + ") or give a channel for a new one")
        ch = existing["channel"] if existing else channel
        if isinstance(ch, bool) or not isinstance(ch, int) or not 0 <= ch <= 15:
            raise EditError(f"channel: {ch!r} is not a channel 0..15")
        if not isinstance(new_notes, list) or not new_notes:
            raise EditError("notes: give a list of at least one note")
        try:
            parsed = notes_json.decode({"tracks": [{"notes": new_notes}]}).tracks[0].notes
        except notes_json.NotesError as e:
            raise EditError(str(e).removeprefix("tracks[0].")) from None
        tag = {}
        if existing and any(ev.get("track") == existing["name"] for ev in self.events):
            tag = {"track": existing["name"]}
        added: list[dict] = []
        if not existing and track is not None:
            tag = {"track": track} if any(e["type"] == "Note" and e["ch"] == ch for e in self.events) else {}
            added.append({"type": "Marker", "t": 0, "text": track, "ch": ch, **tag})
        if instrument is not None:
            try:
                program = theory.parse_program(instrument)
            except theory.TheoryError as e:
                raise EditError(f"instrument: {e}") from None
            added.append({"type": "ProgramChange", "t": 0, "ch": ch, "program": program, **tag})
        meter = self.meter
        for j, note in enumerate(parsed):
            try:
                keys = notes_json.keys(note.pitch, ch)
                t = meter.tick(msgspec.to_builtins(note.start))
                dur = meter.length(msgspec.to_builtins(note.length), t)
            except (theory.TheoryError, PositionError) as e:
                field = "pitch" if isinstance(e, theory.TheoryError) else "start/length"
                raise EditError(f"notes[{j}].{field}: {e}") from None
            added += [{"type": "Note", "t": t, "dur": dur, "ch": ch, "key": k, "vel": note.velocity,
                       **tag} for k in keys]
        count = sum(ev["type"] == "Note" for ev in added)
        return self._change(f"insert {_count(count)}", [], added)

    def delete(self, **where) -> dict:
        chosen = self._chosen("delete", where)
        return self._apply(f"delete {_count(len(chosen))}", chosen, [])

    def move(self, by, **where) -> dict:
        """Move notes later (or earlier, negative) by quarter notes or {"bars":..,"beats":..}."""
        chosen = self._chosen("move", where)
        meter = self.meter
        sign = -1 if isinstance(by, (int, float)) and by < 0 else 1
        try:
            shift = sign * meter.length(abs(by) if isinstance(by, (int, float)) else by, chosen[0]["t"])
        except PositionError as e:
            raise EditError(f"by: {e}") from None
        moved = []
        for ev in chosen:
            t = ev["t"] + shift
            if not 0 <= t <= MAX_TICK - ev["dur"]:
                raise EditError(f"by: the note {theory.note_name(ev['key'])} at "
                                f"{meter.position(ev['t'])} would move outside the piece")
            moved.append({**ev, "t": t})
        return self._change(f"move {_count(len(chosen))} by {by}", chosen, moved)

    def transpose(self, semitones: int, **where) -> dict:
        if isinstance(semitones, bool) or not isinstance(semitones, int) or not -127 <= semitones <= 127:
            raise EditError(f"semitones: {semitones!r} is not a whole number -127..127")
        chosen = self._chosen("transpose", where)
        for ev in chosen:
            if not 0 <= ev["key"] + semitones <= 127:
                raise EditError(f"semitones: {theory.note_name(ev['key'])} at "
                                f"{self.meter.position(ev['t'])} would be key "
                                f"{ev['key'] + semitones}, allowed 0..127")
        moved = [{**ev, "key": ev["key"] + semitones} for ev in chosen]
        return self._change(f"transpose {_count(len(chosen))} by {semitones:+d}", chosen, moved)

    def humanize(self, *, seed: int = 0, timing: int | str = 10, velocity: int | str = 8,
                 **where) -> dict:
        """Seeded timing and velocity variation of the notes in a range (the humanize stage's
        rules: a note never starts before 0 nor overlaps its next repetition)."""
        from .transforms.humanize import humanize, parse_amount

        if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**64:
            raise EditError(f"seed: {seed!r} is not a whole number 0..2^64-1")
        for name, value in (("timing", timing), ("velocity", velocity)):
            try:
                parse_amount(value, name)
            except ValueError as e:
                raise EditError(f"{name}: {e}") from None
        chosen = self._chosen("humanize", where)
        changed = list(humanize([dict(ev) for ev in chosen], seed, timing=timing, velocity=velocity))
        return self._change(f"humanize {_count(len(chosen))}", chosen, changed)

    def quantize(self, grid: str = "16", *, strength: float = 100, swing: float = 0,
                 lengths: bool = True, **where) -> dict:
        """Snap the starts (and ends, with ``lengths``) of the notes in a range toward a grid
        (the quantize stage's rules: ``grid`` 16, 8t ...; ``strength`` and ``swing`` in %)."""
        from .transforms.quantize import parse_grid, quantize

        try:
            parse_grid(grid)
        except ValueError as e:
            raise EditError(f"grid: {e}") from None
        for name, value in (("strength", strength), ("swing", swing)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 100:
                raise EditError(f"{name}: {value!r} is outside 0..100 (%)")
        chosen = self._chosen("quantize", where)
        sigs = [ev for ev in self.events if ev["type"] == "TimeSig"]
        try:
            out = list(quantize(sorted(sigs + [dict(ev) for ev in chosen], key=_order), str(grid),
                                strength=strength, swing=swing, lengths=lengths))
        except ValueError as e:
            raise EditError(f"swing: {e}") from None
        changed = [ev for ev in out if ev["type"] == "Note"]
        return self._change(f"quantize {_count(len(chosen))} to {grid}", chosen, changed)

    def set_tempo(self, bpm: float, at=0) -> dict:
        """The tempo from a position on (a Tempo already there is replaced)."""
        if isinstance(bpm, bool) or not isinstance(bpm, (int, float)) or not 4 <= bpm <= 1000:
            raise EditError(f"bpm: {bpm!r} is outside 4..1000")
        try:
            t = self.meter.tick(at)
        except PositionError as e:
            raise EditError(f"at: {e}") from None
        there = [ev for ev in self.events if ev["type"] == "Tempo" and ev["t"] == t]
        return self._apply(f"tempo {bpm:g} at {self.meter.position(t)}", there,
                           [{"type": "Tempo", "t": t, "bpm": bpm}])

    # ------------------------------------------------------------------ saving

    def save(self, path: str | os.PathLike, *, overwrite: bool = False) -> dict:
        """Write the piece as .mid/.midi or .jsonl, atomically; never over the file the
        session was opened from unless ``overwrite``."""
        from . import midi, stream
        from .atomic import atomic_write

        target = Path(path)
        suffix = target.suffix.lower()
        if suffix not in (".mid", ".midi", ".jsonl"):
            raise EditError(f"path: {target.name} must end in .mid, .midi or .jsonl")
        if self.source is not None and target.resolve() == self.source and not overwrite:
            raise EditError(f"path: {target.name} is the file this session opened; save under "
                            "a new name, or pass overwrite to replace it")
        events = self.stream()
        try:
            data = midi.midi_bytes(events) if suffix != ".jsonl" else stream.encode(events)
            atomic_write(target, data)
        except midi.MidiError as e:
            raise EditError(f"path: {e}") from None
        except OSError as e:
            raise EditError(f"path: cannot write {target.name}: {e.strerror}") from None
        return {"path": str(target), "bytes": len(data),
                "notes": sum(ev["type"] == "Note" for ev in events)}


class Sessions:
    """The editing sessions of one client (an MCP connection), by id: each keeps its history
    until it is closed or the client goes; at most ``MAX_OPEN`` at once (``max_open``), so a
    client cannot hold the server's memory with sessions it forgot. ``secret``: ids carry a
    random part (``e1-5f0c2a9b7d31``), for a store clients share, where only the client
    that opened a session knows its id."""

    MAX_OPEN = 8

    def __init__(self, max_open: int = MAX_OPEN, secret: bool = False):
        self._open: dict[str, Session] = {}
        self._made = 0
        self.max_open, self.secret = max_open, secret

    def open(self, source) -> tuple[str, Session]:
        if len(self._open) >= self.max_open:
            shown = "" if self.secret else " (" + ", ".join(self._open) + ")"
            raise EditError(f"session: {self.max_open} sessions are open{shown}; close one first")
        session = Session.open(source)
        self._made += 1
        sid = f"e{self._made}"
        if self.secret:
            import secrets

            sid += "-" + secrets.token_hex(6)
        self._open[sid] = session
        return sid, session

    def get(self, sid: str) -> Session:
        session = self._open.get(sid)
        if session is None:
            listed = "the ids edit_open gave you" if self.secret else (
                ", ".join(self._open) or "none; open one first")
            raise EditError(f"session: no open session {str(sid)[:40]!r} (open: {listed})")
        return session

    def close(self, sid: str) -> dict:
        self.get(sid)
        del self._open[sid]
        return {"closed": sid}

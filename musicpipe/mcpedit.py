"""The MCP server's editing-session tools: ``musicpipe.edit`` sessions, one set per client.

A client opens a .mid or .jsonl of the server's folder (``edit_open``), gets a session id,
and edits it note by note; the session and its undo history live in the server, for that
client only, until ``edit_close`` or the client goes. Each tool here is a pydantic model of
its arguments (the schema the client sees) and a function of the client's ``Sessions``, the
server's ``Folder`` and the arguments, returning the structured answer. Refusals are one line
(``EditError``), and a refused edit changes nothing.
"""

from __future__ import annotations

import os
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from .edit import MAX_LISTED, EditError, Sessions
from .mcpfiles import MAX_NAME, Folder, Refused
from .mcpserver import Args, Tool


class Position(BaseModel):
    model_config = ConfigDict(extra="forbid")
    bar: int = Field(ge=1, le=100_000)
    beat: float = Field(1, ge=1)


class Span(BaseModel):
    model_config = ConfigDict(extra="forbid")
    bars: float = Field(0, ge=0)
    beats: float = Field(0, ge=0)


Where = float | str | Position
WHERE = ('a position: quarter notes from the start (6.5), "BAR:BEAT" from 1 ("2:1.5"), or '
         '{"bar": 2, "beat": 1.5}')


class Session(Args):
    session: str = Field(max_length=20, description="The id edit_open returned (e1, e2 ...)")


class Range(Session):
    bars: str | None = Field(None, max_length=20, description='Bars from 1: "3" or "3-4"')
    start: Where | None = Field(None, description=f"Or from here: {WHERE}")
    end: Where | None = Field(None, description="... to before here (same forms)")
    track: str | None = Field(None, max_length=100, description="Only this track (edit_tracks)")
    channel: int | None = Field(None, ge=0, le=15, description="Only this channel")


def _where(a: dict[str, Any]) -> dict[str, Any]:
    return {k: a[k] for k in ("bars", "start", "end", "track", "channel") if a.get(k) is not None}


def _full(folder: Folder, name: str, kind: str, what: str) -> str:
    try:
        return folder.check(name, kind, what)
    except Refused as e:
        raise EditError(str(e)) from None


def _summary(sid: str, s) -> dict[str, Any]:
    stream = s.stream()
    end = max((e["t"] for e in stream if e["type"] == "End"), default=0)
    return {"session": sid, "tracks": s.tracks(), "ends": s.meter.position(end),
            "history": s.history()}


def _open(sessions: Sessions, folder: Folder, a: dict) -> dict:
    full = _full(folder, a["path"], "read", "path")
    if os.path.splitext(full)[1].lower() not in (".mid", ".midi", ".jsonl"):
        raise EditError(f"path {a['path']}: open a .mid, .midi or .jsonl file")
    try:
        sid, s = sessions.open(full)
    except EditError as e:
        raise EditError(f"path: {e}") from None
    return {**_summary(sid, s), "path": a["path"]}


def _save(sessions: Sessions, folder: Folder, a: dict) -> dict:
    s = sessions.get(a["session"])
    full = _full(folder, a["path"], "write", "path")
    answer = s.save(full, overwrite=a["overwrite"])
    return {**answer, "path": folder.relative(full)}


class Open(Args):
    path: str = Field(max_length=MAX_NAME, description=(
        "A .mid, .midi or .jsonl file in the server's folder"))


class Notes(Range):
    limit: int = Field(200, ge=1, le=MAX_LISTED, description="Return at most this many notes")


class Insert(Session):
    notes: list[dict[str, Any]] = Field(min_length=1, max_length=10_000, description=(
        'Notes as in write_notes: {"pitch": "C#4" | 61 | "Am7", "start": position, '
        '"length": quarter notes or {"bars": 1}, "velocity": 1-127}'))
    track: str | None = Field(None, max_length=100, description=(
        "The track to add to (edit_tracks); a new name with channel makes a new track"))
    channel: int | None = Field(None, ge=0, le=15, description="The channel (for a new track)")
    instrument: str | int | None = Field(None, description="A GM instrument for a new track")


class Move(Range):
    by: float | Span = Field(description=(
        'How far: quarter notes (negative: earlier) or {"bars": 1, "beats": 2} (later)'))


class Transpose(Range):
    semitones: int = Field(ge=-127, le=127, description="Semitones; negative is down")


class Humanize(Range):
    seed: int = Field(0, ge=0, le=2**64 - 1, description="The same seed gives the same result")
    timing: int | str = Field(10, description="Ticks (480 a quarter) or a percentage like '5%'")
    velocity: int | str = Field(8, description="Velocity units or a percentage like '10%'")


class Quantize(Range):
    grid: str = Field("16", max_length=4, description="1 2 4 8 16 32 64, t for triplets (8t)")
    strength: float = Field(100, ge=0, le=100, description="% of the way onto the grid")
    swing: float = Field(0, ge=0, le=100, description="% swing of every second grid line")
    lengths: bool = Field(True, description="Snap the ends too")


class Tempo(Session):
    bpm: float = Field(ge=4, le=1000, description="Quarter notes per minute")
    at: Where = Field(0, description=f"From here on: {WHERE}")


class Save(Session):
    path: str = Field(max_length=MAX_NAME, description=(
        "A new .mid, .midi or .jsonl in the server's folder"))
    overwrite: bool = Field(False, description=(
        "Allow writing over the file the session opened (never done otherwise)"))


def tools() -> list[Tool]:
    def edit(method: str, *names: str):
        def run(sessions: Sessions, folder: Folder, a: dict) -> dict:
            s = sessions.get(a["session"])
            return getattr(s, method)(*(a[n] for n in names), **_where(a))
        return run

    def plain(method: str):
        return lambda sessions, folder, a: getattr(sessions.get(a["session"]), method)()

    rows = [
        ("edit_open", "Open a .mid or .jsonl of the server's folder for editing note by note; "
         "returns a session id, its tracks and length. The file itself is never changed "
         "unless edit_save is told to overwrite it.", Open, _open),
        ("edit_tracks", "The session's tracks: name, channel, instrument, notes, bars, range.",
         Session, lambda sessions, folder, a: {"tracks": sessions.get(a["session"]).tracks()}),
        ("edit_notes", "The notes in a range (bars, or start/end; a track or channel): pitch "
         "and name, bar:beat start, length in quarter notes, velocity, track.", Notes,
         lambda sessions, folder, a: sessions.get(a["session"]).notes(limit=a["limit"], **_where(a))),
        ("edit_insert", "Add notes (written as in write_notes) to a track.", Insert,
         lambda sessions, folder, a: sessions.get(a["session"]).insert(
             a["notes"], track=a["track"], channel=a["channel"], instrument=a["instrument"])),
        ("edit_delete", "Delete the notes in a range.", Range, edit("delete")),
        ("edit_move", "Move the notes in a range earlier or later.", Move, edit("move", "by")),
        ("edit_transpose", "Transpose the notes in a range by semitones.", Transpose,
         edit("transpose", "semitones")),
        ("edit_humanize", "Seeded timing and velocity variation of the notes in a range.",
         Humanize, lambda sessions, folder, a: sessions.get(a["session"]).humanize(
             seed=a["seed"], timing=a["timing"], velocity=a["velocity"], **_where(a))),
        ("edit_quantize", "Snap the notes in a range toward a grid, as the quantize stage "
         "does.", Quantize, lambda sessions, folder, a: sessions.get(a["session"]).quantize(
             a["grid"], strength=a["strength"], swing=a["swing"], lengths=a["lengths"],
             **_where(a))),
        ("edit_tempo", "Set the tempo from a position on.", Tempo,
         lambda sessions, folder, a: sessions.get(a["session"]).set_tempo(a["bpm"], a["at"])),
        ("edit_undo", "Undo the session's last edit.", Session, plain("undo")),
        ("edit_redo", "Redo the last undone edit.", Session, plain("redo")),
        ("edit_save", "Save the session to a .mid or .jsonl (a new name: the opened file "
         "only with overwrite=true).", Save, _save),
        ("edit_close", "Close the session; its history is gone.", Session,
         lambda sessions, folder, a: sessions.close(a["session"])),
    ]
    return [Tool(name, about, model, session=run, read_only=name in ("edit_tracks", "edit_notes"))
            for name, about, model, run in rows]

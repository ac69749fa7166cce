"""What the MCP server's tools do, run in a worker process (``musicpipe.mcppool``).

Each tool is a plain function of the server's ``Folder`` and its validated arguments that
returns ``reply(data, payload)``: small data (a summary, a path, the warnings) and at most
one payload (a stream, a stage's text, audio), each sent once. Payloads are
bounded: up to ``TEXT_MAX`` bytes of text and ``INLINE_MAX`` bytes of audio are returned
in the reply; anything larger is written to a new file in the server's folder (a name
that did not exist: nothing is replaced) and its path returned instead.
"""

from __future__ import annotations

import base64
import os
import shutil
import tempfile
from typing import Any

from .mcpfiles import AUDIO, MIME, Folder, Refused
from .pipeline import PipelineError, commands, file_arguments, parse, run_stage
from .pipeline import run as run_text

TEXT_MAX = 1 << 20
"""The most text (a stream, a stage's output) a reply holds: 1 MiB; beyond, a file."""
INLINE_MAX = 4 << 20
"""The most audio or MIDI bytes a reply holds (base64): 4 MiB; beyond, a file."""
FILES = "musicpipe://files/"
"""The URI of a file in the server's folder: a link to audio too large to return."""
WARNINGS_MAX = 20
"""Stage warnings returned per call (each cut to 300 characters)."""


class Failure(Exception):
    """A tool call that failed; ``str(e)`` is its one-line message."""


def reply(data: dict[str, Any], payload: dict[str, Any] | list[dict] | None = None) -> dict[str, Any]:
    """A tool's answer: ``data`` (a JSON object) and ``payload``: one content block, a list of
    them (a render's audio and its piano roll), or none."""
    return {"data": data, "payload": payload}


def _stage(name: str, args: list[str], data: bytes | None = None) -> bytes:
    try:
        return run_stage(name, args, data)
    except PipelineError as e:
        raise Failure(str(e)) from None


def _checked(folder: Folder, name: str, kind: str, what: str) -> str:
    try:
        return folder.check(name, kind, what)
    except Refused as e:
        raise Failure(f"mcp: {e}") from None


def summary(data: bytes) -> dict[str, Any]:
    """What a stream holds: seed, notes, tracks (channel, name, program), length in ticks."""
    from .stream import parse_lines

    events = parse_lines(data)
    tracks: dict[int, dict] = {}
    end, notes, seed, tempo = 0, 0, None, None
    for ev in events:
        typ = ev["type"]
        if typ == "Seed":
            seed = ev["seed"]
        elif typ == "Tempo" and tempo is None:
            tempo = ev["bpm"]
        elif typ == "Note":
            notes += 1
            tracks.setdefault(ev["ch"], {"ch": ev["ch"]})
            end = max(end, ev["t"] + ev["dur"])
        elif typ == "ProgramChange":
            tracks.setdefault(ev["ch"], {"ch": ev["ch"]}).setdefault("program", ev["program"])
        elif typ == "Marker" and "ch" in ev:
            tracks.setdefault(ev["ch"], {"ch": ev["ch"]}).setdefault("name", ev["text"])
        elif typ == "End":
            end = max(end, ev["t"])
    return {"seed": seed, "tempo": tempo, "events": len(events), "notes": notes, "ticks": end,
            "tracks": [tracks[ch] for ch in sorted(tracks)]}


def _media(data: bytes, ext: str) -> dict[str, Any]:
    return {"type": "audio", "data": base64.b64encode(data).decode(), "mime": MIME[ext]}


def _sniff(data: bytes) -> str:
    """The extension of binary output (a stage that printed a file to stdout)."""
    for magic, ext in ((b"RIFF", ".wav"), (b"MThd", ".mid"), (b"fLaC", ".flac"),
                       (b"OggS", ".ogg"), (b"ID3", ".mp3"), (b"\xff\xfb", ".mp3")):
        if data.startswith(magic):
            return ext
    return ".txt"


def _spill(folder: Folder, data: bytes, stem: str, ext: str) -> str:
    """Write ``data`` to a new file in the folder; its name relative to the folder."""
    from .atomic import atomic_write

    full = folder.fresh(stem, ext)
    atomic_write(full, data)
    return folder.relative(full)


def compose_mood(folder: Folder, a: dict[str, Any]) -> dict[str, Any]:
    fmt, target = _piece_format("compose_mood", folder, a)
    mood = a["mood"]
    base = _mood_length(a)
    for flag in ("key", "tempo", "intensity"):  # --flag=VALUE: a value is never an option
        if a.get(flag) is not None:
            base.append(f"--{flag}={a[flag]}")
    if a.get("loop"):
        base.append("--loop")
    seed = [] if a.get("seed") is None else ["--seed", str(a["seed"])]
    data = _stage("mood", base + seed + ["--", mood])
    info = summary(data)
    args = base + ["--seed", str(info["seed"])]  # a file of the seed this stream drew
    about = {"format": fmt, "mime": MIME[f".{fmt}"], "mood": mood,
             "seconds": a["seconds"] if a.get("seconds") is not None else _seconds(data),
             "bars": a.get("bars"), "loop": bool(a.get("loop")), **info}
    return _deliver(folder, data, about, f"{mood}-{info['seed']}", a["inline"], target,
                    lambda path: _stage("mood", ["--out", path] + args + ["--", mood]))


def _piece_format(tool: str, folder: Folder, a: dict[str, Any]) -> tuple[str, str | None]:
    """The format asked (``format``, else ``out``'s extension, else wav) and the checked
    ``out`` path (None: the server names the file, or inline)."""
    out, inline = a.get("out"), a["inline"]
    fmt = a.get("format") or (os.path.splitext(out)[1].lower().lstrip(".") if out else "wav")
    if out is not None and inline:
        raise Failure(f"{tool}: give out or inline=true, not both: inline returns the "
                      "bytes and writes no file")
    fmt = "mid" if fmt == "midi" else fmt
    if fmt not in ("wav", "flac", "ogg", "mp3", "mid", "jsonl"):
        raise Failure(f"{tool}: out {out}: give a .wav .flac .ogg .mp3 .mid or .jsonl file")
    target = _checked(folder, out, "write", "out") if out is not None else None
    if target is not None and os.path.splitext(target)[1].lower() not in (
            (".mid", ".midi") if fmt == "mid" else (f".{fmt}",)):
        raise Failure(f"{tool}: out {out}: give a .{fmt} file for format {fmt}")
    return fmt, target


def _deliver(folder: Folder, data: bytes, about: dict[str, Any], stem: str, inline: bool,
             target: str | None, write) -> dict[str, Any]:
    """A composed piece as the agent asked: the stream (``data``) or the file ``write(path)``
    makes, inline (small enough) or in the folder (at ``target``, else a fresh ``stem``
    name); every audio reply comes with its piano roll."""
    ext = f".{about['format']}"
    if ext == ".jsonl" and inline:
        return _text_reply(folder, data, about, stem, ".jsonl")
    roll = piano_roll(data) if ext in AUDIO else []
    if inline:  # rendered outside the folder, read, removed: no file of the user's is touched
        tmp = tempfile.mkdtemp(prefix="musicpipe-mcp-")
        try:
            path = os.path.join(tmp, f"piece{ext}")
            write(path)
            size = os.path.getsize(path)
            if size <= INLINE_MAX:
                with open(path, "rb") as f:
                    return reply({**about, "bytes": size, "inline": True},
                                 [_media(f.read(), ext)] + roll)
            full = folder.fresh(stem, ext)
            shutil.move(path, full)
            return reply({**about, "bytes": size, "inline": False, "path": folder.relative(full),
                          "note": f"{size} bytes: more than the {INLINE_MAX} bytes returned "
                                  "inline, so written to path"}, roll)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    claimed = target is None
    full = target or folder.fresh(stem, ext)
    try:
        if ext == ".jsonl":
            from .atomic import atomic_write

            atomic_write(full, data)
        else:
            write(full)
    except BaseException:
        if claimed:
            os.unlink(full)
        raise
    return reply({**about, "bytes": os.path.getsize(full), "inline": False,
                  "path": folder.relative(full)}, roll)


def _mood_length(a: dict[str, Any]) -> list[str]:
    """seconds and bars as `mood` options, as the CLI takes them: bars in seconds, or at the
    tempo (then the length follows, refused here past the server's limit before composing);
    neither: 8 seconds."""
    seconds, bars = a.get("seconds"), a.get("bars")
    if bars is None:
        return ["--duration", str(8.0 if seconds is None else seconds)]
    if seconds is not None:
        if a.get("tempo") is not None:
            raise Failure("compose_mood: bars with seconds or with tempo, not both: the other "
                          "follows from them")
        return ["--duration", str(seconds), f"--bars={bars}"]
    from .mcpserver import max_seconds
    from .moodbars import bars_seconds

    tempo = a.get("tempo")
    lasts = bars_seconds(a["mood"], bars, tempo)
    if lasts is not None and lasts > max_seconds():
        at = "its tempo" if tempo is None else f"{tempo:g} BPM"
        raise Failure(f"compose_mood: bars: {bars} bars of {a['mood']} at {at} last "
                      f"{lasts:.0f} s; the server composes at most {max_seconds():g} s "
                      "(fewer bars, a faster tempo, or seconds)")
    return [f"--bars={bars}"]


def _seconds(stream: bytes) -> float:
    """How long a mood's stream lasts (bars at a tempo), to the millisecond."""
    from .moodbars import stream_seconds
    from .stream import parse_lines

    return round(stream_seconds(parse_lines(stream)), 3)


def _text_reply(folder: Folder, data: bytes, about: dict, stem: str, ext: str) -> dict:
    """Text inline up to TEXT_MAX bytes, else a new file and its path."""
    if len(data) <= TEXT_MAX:
        return reply({**about, "bytes": len(data), "inline": True},
                     {"type": "text", "text": data.decode()})
    path = _spill(folder, data, stem, ext)
    return reply({**about, "bytes": len(data), "inline": False, "path": path,
                  "note": f"{len(data)} bytes: more than the {TEXT_MAX} bytes returned inline, "
                          "so written to path"})


def _written(folder: Folder, pipe) -> dict[str, tuple]:
    """The files a pipeline may write (its write and dir options), with their state now."""
    from .mcpfiles import FILE_OPTIONS

    state = {}
    for cmd in commands(pipe):
        for option, value in file_arguments(cmd.name, cmd.args):
            kind = FILE_OPTIONS.get((cmd.name, option))
            full = os.path.realpath(os.path.join(folder.root, value))
            if kind == "write":
                state[full] = _stat(full)
            elif kind == "dir":
                for top, _, names in os.walk(full):
                    for n in names:
                        state[os.path.join(top, n)] = _stat(os.path.join(top, n))
                state.setdefault(full + os.sep, None)  # the folder, walked again after
    return state


def _stat(path: str) -> tuple | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size, st.st_ino


def run_pipeline(folder: Folder, a: dict[str, Any]) -> dict[str, Any]:
    text, stdin = a["pipeline"], a["input"]
    try:
        pipe = parse(text)
        for cmd in commands(pipe):  # every name checked before anything runs
            for option, value in file_arguments(cmd.name, cmd.args, dash=True):
                folder.pipeline_check(cmd.name, option, value)
        before = _written(folder, pipe)
        result = run_text(text, input=stdin.encode() if stdin else None)
    except Refused as e:
        raise Failure(f"mcp: {e}") from None
    except PipelineError as e:
        raise Failure(str(e)) from None
    after = _written(folder, pipe)
    files = sorted(folder.relative(p) for p, st in after.items()
                   if not p.endswith(os.sep) and st is not None and st != before.get(p))
    warnings = [line[:300] for line in result.stderr[:WARNINGS_MAX]]
    about: dict[str, Any] = {"files": files, "warnings": warnings}
    data = result.stdout
    try:
        decoded = data.decode()
    except UnicodeDecodeError:  # a file printed to stdout (to-midi --out -, to-wav --out -)
        ext = _sniff(data)
        about["mime"] = MIME.get(ext, "application/octet-stream")
        if len(data) <= INLINE_MAX and ext in AUDIO + (".mid",):
            return reply({**about, "kind": "file", "bytes": len(data), "inline": True},
                         _media(data, ext))
        return reply({**about, "kind": "file", "bytes": len(data), "inline": False,
                      "path": _spill(folder, data, "pipeline-output", ext)})
    if not decoded.strip():
        return reply({**about, "kind": "none", "bytes": 0})
    if decoded.startswith('{"type":'):  # an event stream: its summary too, when it is small
        stream = {"kind": "stream", "mime": MIME[".jsonl"]}
        if len(data) <= TEXT_MAX:
            try:
                stream.update(summary(data))
            except ValueError:
                pass
        else:
            stream["events"] = data.count(b"\n")
        return _text_reply(folder, data, {**about, **stream}, "pipeline-output", ".jsonl")
    return _text_reply(folder, data, {**about, "kind": "text", "mime": MIME[".txt"]},
                       "pipeline-output", ".txt")


def render(folder: Folder, a: dict[str, Any]) -> dict[str, Any]:
    stream, midi = a["stream"], a.get("midi")
    if bool(stream) == (midi is not None):
        raise Failure("render: give either stream or midi")
    full = _checked(folder, a["out"], "write", "out")
    ext = os.path.splitext(full)[1].lower()
    if ext not in AUDIO:
        raise Failure(f"render: out {a['out']}: give a {' '.join(AUDIO)} file")
    args = ["--out", full]
    if midi is not None:
        source = _checked(folder, midi, "read", "midi")
        args += ["--midi", source]
    if a.get("length") is not None:
        args += ["--length", str(a["length"])]
    if a["normalize"]:
        args.append("--normalize")
    _stage("to-wav", args, stream.encode() if stream else None)
    return reply(*media(folder, full, stream.encode() if stream else _stage("from-midi", [source])))


def media(folder: Folder, full: str, stream: bytes) -> tuple[dict[str, Any], list[dict]]:
    """A rendered file as the client can use it: its bytes as audio content when they fit
    in a reply (INLINE_MAX), else a link to it (a musicpipe://files/ resource), with its
    real MIME type either way; and the piano roll of ``stream`` as an SVG image."""
    ext = os.path.splitext(full)[1].lower()
    size = os.path.getsize(full)
    about = {"format": ext[1:], "mime": MIME[ext], "bytes": size, "path": folder.relative(full)}
    blocks = []
    if size <= INLINE_MAX:
        with open(full, "rb") as f:
            blocks.append(_media(f.read(), ext))
    else:
        blocks.append({"type": "link", "uri": FILES + folder.relative(full), "mime": MIME[ext],
                       "name": os.path.basename(full), "size": size})
    blocks += piano_roll(stream)
    return about, blocks


def piano_roll(stream: bytes) -> list[dict]:
    """The piece drawn as viz --svg draws it, as an image block (none past TEXT_MAX)."""
    from .draw import Piece, svg
    from .stream import parse_lines

    piece = Piece()
    piece.add(parse_lines(stream))
    picture = svg(piece).encode()
    if len(picture) > TEXT_MAX:
        return []
    return [{"type": "image", "data": base64.b64encode(picture).decode(), "mime": MIME[".svg"]}]


def write_notes(folder: Folder, a: dict[str, Any]) -> dict[str, Any]:
    """Notes as JSON (musicpipe.notes) to a .mid or .jsonl in the folder, or the stream
    returned; the piano roll with it."""
    from .notes import NotesError, events
    from .stream import encode

    document = {k: v for k, v in a.items() if k != "out" and v is not None}
    try:
        evs = events(document)
    except NotesError as e:
        raise Failure(f"write_notes: {e}") from None
    data = encode(evs)
    about = {"notes": sum(e["type"] == "Note" for e in evs), "ticks": evs[-1]["t"],
             "tracks": [{"ch": e["ch"], "name": e["text"]} for e in evs if e["type"] == "Marker"]}
    out = a.get("out")
    if out is None:
        answer = _text_reply(folder, data, {**about, "mime": MIME[".jsonl"]}, "notes", ".jsonl")
        answer["payload"] = [p for p in [answer["payload"]] if p] + piano_roll(data)
        return answer
    full = _checked(folder, out, "write", "out")
    ext = os.path.splitext(full)[1].lower()
    if ext not in (".mid", ".midi", ".jsonl"):
        raise Failure(f"write_notes: out {out}: give a .mid or .jsonl file")
    from .atomic import atomic_write

    if ext == ".jsonl":
        atomic_write(full, data)
    else:
        from .midi import write_midi

        write_midi(evs, full, checked=True)
    return reply({**about, "path": folder.relative(full), "bytes": os.path.getsize(full),
                  "mime": MIME[ext]}, piano_roll(data))


def analyze(folder: Folder, a: dict[str, Any]) -> dict[str, Any]:
    import orjson

    stream, midi = a["stream"], a.get("midi")
    if bool(stream) == (midi is not None):
        raise Failure("analyze: give either stream or midi")
    args = ["--json", "-"]
    if a.get("wav") is not None:
        args += ["--wav", _checked(folder, a["wav"], "read", "wav")]
    data = stream.encode() if stream else _stage("from-midi", [_checked(folder, midi, "read",
                                                                         "midi")])
    if a.get("key") is not None:
        args.append(f"--key={a['key']}")
    if a.get("melody") is not None:
        args += ["--melody", str(a["melody"])]
    return reply(orjson.loads(_stage("analyze", args, data)))


def _score(tool: str, args: list[str], plan: dict) -> bytes:
    """`score -` on the plan as JSON; its one line with the plan named as the argument."""
    import orjson

    try:
        return run_stage("score", args + ["--", "-"], orjson.dumps(plan))
    except PipelineError as e:
        raise Failure(str(e).replace("score: stdin: ", f"{tool}: plan: ", 1)) from None


def check_score(folder: Folder, a: dict[str, Any]) -> dict[str, Any]:
    """`score --check - --json`: the fitted timeline, as data."""
    import orjson

    return reply(orjson.loads(_score("check_score", ["--check", "--json"], a["plan"])))


def compose_score(folder: Folder, a: dict[str, Any]) -> dict[str, Any]:
    """`score -` on the plan: the file it writes with --out (audio exactly the plan's
    duration), or the stream; in the folder or inline as compose_mood returns them."""
    fmt, target = _piece_format("compose_score", folder, a)
    plan = a["plan"]
    seed = [] if a.get("seed") is None else ["--seed", str(a["seed"])]
    data = _score("compose_score", seed, plan)
    info = summary(data)
    args = ["--seed", str(info["seed"])]  # a file of the seed this stream drew
    about = {"format": fmt, "mime": MIME[f".{fmt}"], "duration": plan["duration"], **info}
    return _deliver(folder, data, about, f"score-{info['seed']}", a["inline"], target,
                    lambda path: _score("compose_score", ["--out", path] + args, plan))


TOOLS = {"compose_mood": compose_mood, "run_pipeline": run_pipeline, "render": render,
         "analyze": analyze, "write_notes": write_notes, "compose_score": compose_score,
         "check_score": check_score}

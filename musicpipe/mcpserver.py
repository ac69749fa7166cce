"""`musicpipe mcp`: a Model Context Protocol server over stdio for AI agents.

Built on the official ``mcp`` SDK (``MCPServer``, FastMCP's successor): each tool is a thin
adapter over the in-process stages (``musicpipe.pipeline``), so a tool does exactly what
the command line does, and fails with the same one-line message, as an MCP tool error.
Argument schemas take their enums and ranges from the tables the CLI uses: the mood
names from the mood library, ranges from the stages' own options, instruments, drums and
scales from ``theory``, the seed range from ``events``.

Every file a tool names, read or written, must lie inside the folder given at start
(``--root``): paths are resolved relative to it, symlinks followed, and anything that
ends up outside (``..``, an absolute path, a symlink out) is refused.
"""

# No `from __future__ import annotations`: the SDK reads the tools' annotations, which are
# built at start-up from the tables (the mood names, the stages' ranges).

import base64
import os
import tempfile
from typing import Annotated, Any, Literal

from .events import MAX_SEED
from .pipeline import PipelineError, commands, file_arguments, parse, run_stage
from .umbrella import STAGES
from .pipeline import run as run_text

INSTRUCTIONS = """\
musicpipe composes MIDI and audio deterministically: the same arguments and seed give the
same bytes. compose_mood makes a whole arrangement from a preset (list_moods) as .wav, .mid
or a JSONL event stream; run_pipeline runs a musicpipe stage pipeline such as
`seed 42 | motif --notes 16 | scale --root D --mode dorian | to-midi --out tune.mid`;
render turns a stream or a .mid into a .wav; analyze reports key, melody, repetition,
ending and loudness. Files are read and written inside the server's
folder only; paths are relative to it."""

MIME = {"wav": "audio/wav", "mid": "audio/midi", "jsonl": "application/jsonl"}


class Folder:
    """The one folder the server's files live in; ``inside`` refuses anything outside it."""

    def __init__(self, root: str):
        self.root = os.path.realpath(root)

    def inside(self, path: str, what: str = "path") -> str:
        """The resolved path of ``path`` (relative to the folder); PipelineError outside."""
        full = os.path.realpath(os.path.join(self.root, os.path.expanduser(path)))
        if full != self.root and not full.startswith(self.root + os.sep):
            raise PipelineError(f"mcp: {what} {path}: outside the server's folder {self.root} "
                                "(give a path inside it)")
        return full

    def relative(self, full: str) -> str:
        return os.path.relpath(full, self.root)


def _range(stage: str, option: str) -> tuple[Any, Any]:
    """The (min, max) of a stage option's IntRange/FloatRange: the CLI's own limits."""
    from .umbrella import _module

    for p in _module(stage).command.params:
        if p.name == option:
            return p.type.min, p.type.max
    raise LookupError(f"{stage} has no option {option}")


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


def build(root: str):
    """The server: its tools bound to ``root``."""
    from mcp.server.mcpserver import MCPServer
    from mcp.server.mcpserver.exceptions import ToolError
    from pydantic import Field

    from . import __version__
    from .moods.catalog import entries
    from .moods.packs import Library
    from . import names as tables

    folder = Folder(root)
    server = MCPServer("musicpipe", instructions=INSTRUCTIONS, version=__version__,
                       log_level="WARNING")
    names = Library().names()
    Moods = Literal[tuple(names)] if names else str
    secs, tempi, levels = _range("mood", "duration"), _range("mood", "tempo"), _range("mood", "intensity")
    Seed = Annotated[int | None, Field(ge=0, le=MAX_SEED,
                                       description="Random seed; none: a random one (returned)")]

    def check_file(stage: str, option: str, value: str) -> None:
        folder.inside(value, f"{stage} {option}")

    def stage(name: str, args: list[str], data: bytes | None = None) -> bytes:
        try:
            return run_stage(name, args, data)
        except PipelineError as e:
            raise ToolError(str(e)) from None

    def output(path: str | None, default: str) -> str:
        try:
            return folder.inside(path or default, "out")
        except PipelineError as e:
            raise ToolError(str(e)) from None

    def delivered(full: str, fmt: str, inline: bool) -> dict[str, Any]:
        if inline:
            with open(full, "rb") as f:
                data = f.read()
            os.unlink(full)
            return {"format": fmt, "mime": MIME[fmt], "bytes": len(data),
                    "base64": base64.b64encode(data).decode()}
        return {"format": fmt, "mime": MIME[fmt], "bytes": os.path.getsize(full),
                "path": folder.relative(full)}

    @server.tool(structured_output=True)
    def list_moods() -> dict[str, Any]:
        """Every mood preset: name, description, tags, tempo, key, intensity, layers."""
        library = Library()
        return {"moods": entries(library), "errors": library.errors()}

    @server.tool(structured_output=True)
    def compose_mood(
        mood: Annotated[Moods, Field(description="A mood preset (list_moods)")],
        seconds: Annotated[float, Field(ge=secs[0], le=secs[1],
                                        description="Length in seconds, exact")] = 8.0,
        key: Annotated[str | None, Field(
            description="Key: C, Am, F#m, Bb, Ebm, 'D dorian' ...; none: the mood's")] = None,
        tempo: Annotated[float | None, Field(ge=tempi[0], le=tempi[1],
                                             description="BPM; none: the mood's")] = None,
        intensity: Annotated[int | None, Field(
            ge=levels[0], le=levels[1],
            description="0-100: density, loudness, how many layers play")] = None,
        seed: Seed = None,
        format: Annotated[Literal["wav", "mid", "jsonl"], Field(
            description="wav (rendered audio), mid (MIDI file) or jsonl (the event stream)")] = "wav",
        out: Annotated[str | None, Field(
            description="File to write, relative to the server's folder; "
                        "default MOOD-SEED.FORMAT")] = None,
        inline: Annotated[bool, Field(
            description="Return the file's bytes as base64 instead of keeping a file")] = False,
    ) -> dict[str, Any]:
        """Compose a whole arrangement from a mood preset: the same bytes for the same
        arguments and seed. Returns the file (path or base64) and a summary."""
        base = ["--duration", str(seconds)]
        for flag, value in (("--key", key), ("--tempo", tempo), ("--intensity", intensity)):
            if value is not None:
                base += [flag, str(value)]
        data = stage("mood", base + (["--seed", str(seed)] if seed is not None else []) + ["--", mood])
        info = summary(data)
        args = base + ["--seed", str(info["seed"])]  # a file of the seed this stream drew
        default = f"{mood}-{info['seed']}.{format}"
        tmp = None
        if inline and out is None:
            tmp = tempfile.mkdtemp(prefix="musicpipe-mcp-")
            full = os.path.join(tmp, default)
        else:
            full = output(out, default)
        try:
            if format == "jsonl":
                from .atomic import atomic_write

                atomic_write(full, data)
            else:
                if not full.lower().endswith(f".{format}"):
                    raise ToolError(f"mcp: out {out}: give a .{format} file for format {format}")
                stage("mood", ["--out", full] + args + ["--", mood])
            result = delivered(full, format, inline)
        finally:
            if tmp:
                import shutil

                shutil.rmtree(tmp, ignore_errors=True)
        return {**result, "mood": mood, "seconds": seconds, **info}

    @server.tool(structured_output=True)
    def run_pipeline(
        pipeline: Annotated[str, Field(description=(
            "Stages joined by |, e.g. `seed 42 | motif --notes 16 | scale --root D "
            "--mode dorian | to-midi --out tune.mid`; { a; b; } layers parts. Stages: "
            f"{' '.join(STAGES)}; their options are the CLI's (`STAGE --help`)."))],
        input: Annotated[str, Field(  # plain str: the SDK would parse a JSON line into a dict
            description="JSONL events for the first stage's stdin (empty: none)")] = "",
    ) -> dict[str, Any]:
        """Run a musicpipe pipeline in-process, as the shell would (no shell is used).
        Returns the stream it prints (JSONL), or base64 when it prints a file, the
        warnings, and the files it wrote."""
        try:
            result = run_text(pipeline, input=input.encode() if input else None,
                              check_file=check_file)
        except PipelineError as e:
            raise ToolError(str(e)) from None
        out: dict = {"warnings": result.stderr}
        try:
            text = result.stdout.decode()
            out.update(stream=text, **(summary(result.stdout) if text.strip() else {}))
        except (UnicodeDecodeError, ValueError):
            out["base64"] = base64.b64encode(result.stdout).decode()
        out["files"] = sorted({folder.relative(folder.inside(v))
                               for cmd in commands(parse(pipeline))
                               for _, v in file_arguments(cmd.name, cmd.args)
                               if os.path.isfile(folder.inside(v))})
        return out

    @server.tool(structured_output=True)
    def render(
        out: Annotated[str, Field(description="The .wav to write, relative to the server's folder")],
        stream: Annotated[str, Field(description="JSONL events to render")] = "",
        midi: Annotated[str | None, Field(description="Or a .mid file in the server's folder")] = None,
        length: Annotated[float | None, Field(
            ge=_range("to-wav", "length")[0], le=_range("to-wav", "length")[1],
            description="Exactly this many seconds; none: the piece plus its release tail")] = None,
        normalize: Annotated[bool, Field(description="Scale the peak to -1 dBFS")] = False,
    ) -> dict[str, Any]:
        """Render a stream or a MIDI file to a WAV with FluidSynth (44.1 kHz 16-bit stereo)."""
        if bool(stream) == (midi is not None):
            raise ToolError("mcp: give either stream or midi")
        args = ["--out", output(out, out)]
        if midi is not None:
            try:
                args += ["--midi", folder.inside(midi, "midi")]
            except PipelineError as e:
                raise ToolError(str(e)) from None
        if length is not None:
            args += ["--length", str(length)]
        if normalize:
            args.append("--normalize")
        stage("to-wav", args, stream.encode() if stream else None)
        return delivered(args[1], "wav", False)

    @server.tool(structured_output=True)
    def analyze(
        stream: Annotated[str, Field(description="JSONL events to analyze")] = "",
        midi: Annotated[str | None, Field(description="Or a .mid file in the server's folder")] = None,
        wav: Annotated[str | None, Field(
            description="A .wav in the server's folder (the piece rendered): adds loudness")] = None,
        key: Annotated[str | None, Field(
            description="Judge the ending in this key (C, Am, D dorian); none: the stream's "
                        "KeySig or the estimate")] = None,
        melody: Annotated[int | None, Field(ge=0, le=15,
                                            description="The melody's channel; none: found")] = None,
    ) -> dict[str, Any]:
        """What a listener hears, in numbers (`analyze --json -`): key, melody steps and
        leaps, buried melody, repetition, how it ends, per-track measures, loudness."""
        if bool(stream) == (midi is not None):
            raise ToolError("mcp: give either stream or midi")
        args = ["--json", "-"]
        try:
            if wav is not None:
                args += ["--wav", folder.inside(wav, "wav")]
            data = stream.encode() if stream else stage("from-midi", [folder.inside(midi, "midi")])
        except PipelineError as e:
            raise ToolError(str(e)) from None
        if key is not None:
            args += ["--key", key]
        if melody is not None:
            args += ["--melody", str(melody)]
        import orjson

        return orjson.loads(stage("analyze", args, data))

    @server.tool(structured_output=True)
    def list_instruments() -> list[dict[str, Any]]:
        """The 128 General MIDI programs: number, name, and the short names stages accept."""
        return tables.instruments()

    @server.tool(structured_output=True)
    def list_drums() -> list[dict[str, Any]]:
        """The General MIDI drum sounds (channel 9): key, name, the short names accepted."""
        return tables.drums()

    @server.tool(structured_output=True)
    def list_scales() -> list[dict[str, Any]]:
        """Every scale and mode: name, semitones above the root, aliases, what it sounds like."""
        return tables.scales()

    return server


def serve(root: str) -> None:
    """Serve on stdin/stdout until the client closes them; relative paths are in ``root``."""
    os.makedirs(root, exist_ok=True)
    server = build(root)
    os.chdir(root)
    server.run("stdio")

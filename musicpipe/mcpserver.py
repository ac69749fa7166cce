"""`musicpipe mcp`: a Model Context Protocol server over stdio for AI agents.

A thin adapter over the library, on the official ``mcp`` SDK's low-level ``Server``. The
tools are one table (``tools()``): each entry is a name, a description, a pydantic model
of its arguments (the JSON schema the client sees, and the check every call goes through:
unknown arguments are refused, naming the valid ones) and where it runs: cheap lookups in
the server, the rest in the worker pool (``mcppool``: concurrent, cancellable) as
``mcptools`` functions. Ranges come from the tables the CLI uses (the mood names, the
stages' own options, ``events.MAX_SEED``), capped where this server allows less
(``MAX_SECONDS``), so a schema never promises what a call would refuse.

Files live in one folder (``mcpfiles``: ``--root`` or the server's own data folder, never
the working folder; no dot-files, only musicpipe's file types). Every line on the wire
gets an answer (``mcpwire``); every payload is bounded (``mcptools``).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .events import MAX_SEED
from .mcpfiles import AUDIO, MAX_NAME, Folder, default_root
from .mcppool import CALL_SECONDS
from .mcptools import INLINE_MAX, TEXT_MAX
from .mcpwire import LINE_MAX
from .umbrella import STAGES

MAX_CLIENTS = 64
"""HTTP clients whose editing sessions are kept at once (the least recently seen go)."""
MAX_SHARED = 64
"""Editing sessions open at once for all clients of the stateless HTTP protocol together."""
READ_MAX = 64 << 20
"""The largest file resources/read returns (a linked render): 64 MiB; beyond, its path."""
MAX_SECONDS = 600.0
"""The longest piece a call composes or renders (seconds): a call's cost stays bounded
(about 15 s of rendering), and below what fits this machine's memory (``max_seconds``)."""

EVENTS_MAX = LINE_MAX - (1 << 20)
"""The longest stream argument (characters): what fits in a request line with room to spare."""

INSTRUCTIONS = """\
musicpipe composes MIDI and audio deterministically: the same arguments and seed give the
same bytes. compose_mood makes a whole arrangement from a preset (list_moods) as audio,
.mid or a JSONL event stream; run_pipeline runs a musicpipe stage pipeline such as
`seed 42 | motif --notes 16 | scale --root D --mode dorian | to-midi --out tune.mid`
(describe gives a stage's options; the resources musicpipe://docs/... are the reference and
the prompts walk through common jobs); render turns a stream or a .mid into audio (with its
piano roll); analyze reports key, melody, repetition, ending and loudness. write_notes writes
notes given as JSON (musicpipe://docs/notes) to a .mid; edit_open opens a .mid for editing
note by note (edit_notes, edit_transpose, edit_quantize ..., edit_undo, edit_save).
compose_score plays a score plan (moods on a timeline with intensity keyframes and hit points,
musicpipe://docs/score) as one piece of exactly its duration; check_score returns its fitted
timeline first.
Files are read and written only in the folder {root} : give paths relative to it. A name
may not start with a dot (in any of its parts) and must end in {exts}. Replies hold up to
{text} of text and {inline} of audio; anything larger is written to a new file there and
its path returned. Requests are limited to {line} a line; pieces to {seconds:g} seconds."""


class Args(BaseModel):
    """A tool's arguments: unknown ones are an error, not ignored."""

    model_config = ConfigDict(extra="forbid")


@dataclass
class Tool:
    name: str
    description: str
    args: type[Args]
    local: Any = None  # runs in the server (a cheap lookup); None: in the worker pool
    read_only: bool = False
    session: Any = None  # an editing-session tool (mcpedit): runs in the server, per client
    schema: dict | None = None  # the schema published, when stricter than ``args`` says
    structured: bool = False  # the answer also as structuredContent (a report to read)


def max_seconds() -> float:
    """The longest piece a call makes: MAX_SECONDS (a render takes the same memory at any
    length since musicpipe/audio renders in blocks, so memory no longer lowers it)."""
    return MAX_SECONDS


def _range(stage: str, option: str) -> tuple[Any, Any]:
    """The (min, max) of a stage option's IntRange/FloatRange: the CLI's own limits."""
    from .umbrella import _module

    for p in _module(stage).command.params:
        if p.name == option:
            return p.type.min, p.type.max
    raise LookupError(f"{stage} has no option {option}")


def _mib(n: int) -> str:
    return f"{n >> 20} MiB"


PieceFormat = Literal["wav", "flac", "ogg", "mp3", "mid", "jsonl"]


def _format_field():
    """A composing tool's ``format``, ``out`` and ``inline``: the same words for each."""
    return Field(None, description="Audio (wav flac ogg mp3), mid (MIDI file) or jsonl (the "
                                   "event stream); none: out's extension, else wav")


def _out_field(name: str):
    return Field(None, max_length=MAX_NAME, description=(
        "File to write, relative to the server's folder (replaced if it exists); none: a "
        f"new file {name}.FORMAT ({name}-2.FORMAT ... if taken)"))


def _inline_field():
    return Field(False, description=(
        f"Return the bytes in the reply instead of a file (up to {_mib(INLINE_MAX)} of "
        f"audio, {_mib(TEXT_MAX)} of stream; larger: a new file); excludes out"))


def tools() -> list[Tool]:
    """The server's tools: the one table the schemas, the checks and the calls come from."""
    from . import mcpedit
    from .moods.packs import Library

    names = Library().names()
    longest = max_seconds()
    tempi, levels = _range("mood", "tempo"), _range("mood", "intensity")
    Mood = Literal[tuple(names)] if names else str

    class ComposeMood(Args):
        mood: Mood = Field(description="A mood preset (list_moods)")
        seconds: float | None = Field(None, ge=_range("mood", "duration")[0], le=longest,
                                      description=(
            "Length in seconds, exact; none: 8, or with bars what they last"))
        bars: int | None = Field(None, ge=_range("mood", "bars")[0],
                                 le=_range("mood", "bars")[1], description=(
            "Whole bars: this many, in seconds or at tempo (not both; neither: at the mood's "
            f"tempo), lasting at most {longest:g} s"))
        loop: bool = Field(False, description=(
            "A seamless loop: whole bars (the nearest number; a tempo is fitted too) whose "
            "last leads back into the first, no ending; loopStart/loopEnd markers (mid, "
            "jsonl), a smpl loop chunk (wav), the reverb tail folded into the start"))
        key: str | None = Field(None, max_length=40, description=(
            "Key: C, Am, F#m, Bb, Ebm, 'D dorian' ...; none: the mood's"))
        tempo: float | None = Field(None, ge=tempi[0], le=tempi[1],
                                    description="BPM; none: the mood's")
        intensity: int | None = Field(None, ge=levels[0], le=levels[1],
                                      description="0-100: density, loudness, how many layers play")
        seed: int | None = Field(None, ge=0, le=MAX_SEED,
                                 description="Random seed; none: a random one (returned)")
        format: PieceFormat | None = _format_field()
        out: str | None = _out_field("MOOD-SEED")
        inline: bool = _inline_field()

    class RunPipeline(Args):
        pipeline: str = Field(max_length=TEXT_MAX, description=(
            "Stages joined by |, e.g. `seed 42 | motif --notes 16 | scale --root D --mode "
            "dorian | to-midi --out tune.mid`; { a; b; } layers parts. Stages: "
            f"{' '.join(STAGES)}; their options are the CLI's (`STAGE --help`)."))
        input: str = Field("", max_length=EVENTS_MAX, description=(
            "JSONL events for the first stage's stdin (empty: none)"))

    class Render(Args):
        out: str = Field(max_length=MAX_NAME, description=(
            f"The audio file to write ({' '.join(AUDIO)}), relative to the server's folder"))
        stream: str = Field("", max_length=EVENTS_MAX, description="JSONL events to render")
        midi: str | None = Field(None, max_length=MAX_NAME,
                                 description="Or a .mid file in the server's folder")
        length: float | None = Field(None, ge=_range("to-wav", "length")[0], le=longest,
                                     description=(
            "Exactly this many seconds; none: the piece plus its release tail"))
        normalize: bool = Field(False, description="Scale the peak to -1 dBFS")

    class Analyze(Args):
        stream: str = Field("", max_length=EVENTS_MAX, description="JSONL events to analyze")
        midi: str | None = Field(None, max_length=MAX_NAME,
                                 description="Or a .mid file in the server's folder")
        wav: str | None = Field(None, max_length=MAX_NAME, description=(
            "A .wav in the server's folder (the piece rendered): adds loudness"))
        key: str | None = Field(None, max_length=40, description=(
            "Judge the ending in this key (C, Am, D dorian); none: the stream's KeySig or "
            "the estimate"))
        melody: int | None = Field(None, ge=0, le=15,
                                   description="The melody's channel; none: found")

    class NoArgs(Args):
        pass

    from . import reference

    class Describe(Args):
        stage: Literal[tuple(reference.names())] = Field(description=(
            "A stage or command: its options (flags, kind, range, default, help) and examples"))

    class WriteNotes(Args):
        tracks: list[dict[str, Any]] = Field(min_length=1, max_length=64)
        tempo: float | None = None
        time_signature: str | None = None
        key: str | None = None
        bars: int | None = None
        out: str | None = Field(None, max_length=MAX_NAME)

    Plan = _plan_argument(longest)

    class ComposeScore(Args):
        plan: Plan
        seed: int | None = Field(None, ge=0, le=MAX_SEED, description=(
            "Random seed, over the plan's own; neither: a random one (returned)"))
        format: PieceFormat | None = _format_field()
        out: str | None = _out_field("score-SEED")
        inline: bool = _inline_field()

    class CheckScore(Args):
        plan: Plan

    return [
        Tool("list_moods", "Every mood preset: name, description, tags, tempo, key, "
             "intensity, layers.", NoArgs, local=_list_moods, read_only=True),
        Tool("compose_mood", "Compose a whole arrangement from a mood preset, seconds or "
             "whole bars long, or a seamless loop (loop=true: loop points in the file): the "
             "same bytes for the same arguments and seed. Returns the file (its path, or its "
             "bytes with inline=true) and a summary.", ComposeMood),
        Tool("run_pipeline", "Run a musicpipe pipeline in-process, as the shell would (no "
             "shell is used). Returns what it prints (a stream, or the text of `--help`, "
             "`mood --list`, `scale --list` ...), its warnings and the files it wrote.",
             RunPipeline),
        Tool("render", "Render a stream or a MIDI file to audio with FluidSynth (.wav .flac "
             ".ogg .mp3 by out's extension).", Render),
        Tool("analyze", "What a listener hears, in numbers (`analyze --json -`): key, melody "
             "steps and leaps, buried melody, repetition, how it ends, per-track measures, "
             "loudness.", Analyze, read_only=True, structured=True),
        Tool("list_instruments", "The 128 General MIDI programs: number, name, and the short "
             "names stages accept.", NoArgs, local=_list_instruments, read_only=True),
        Tool("list_drums", "The General MIDI drum sounds (channel 9): key, name, the short "
             "names accepted.", NoArgs, local=_list_drums, read_only=True),
        Tool("list_scales", "Every scale and mode: name, semitones above the root, aliases, "
             "what it sounds like.", NoArgs, local=_list_scales, read_only=True),
        Tool("describe", "A stage's options and examples, as its --help gives them (the "
             "resource musicpipe://docs/stages has them all).", Describe,
             local=lambda stage: reference.describe(stage), read_only=True),
        Tool("write_notes", "Write notes given as JSON (tracks of notes: pitch as a number, a "
             "name like C#4 or a chord symbol like Am7; start and length in quarter notes or "
             "bars and beats) to a .mid or .jsonl (out), or return the stream; with its piano "
             "roll. Schema and examples: musicpipe://docs/notes.", WriteNotes,
             schema=_notes_schema()),
        Tool("compose_score", "Play a score plan (musicpipe://docs/score): moods on a "
             "timeline, intensity keyframes, hit points, one seed, as one piece exactly the "
             "plan's duration (`score PLAN --out`). Returns the file (its path, or its bytes "
             "with inline=true) and a summary; a bad plan is one line naming the field.",
             ComposeScore, schema=_score_schema(ComposeScore, longest)),
        Tool("check_score", "Check a score plan and return its fitted timeline (`score "
             "--check --json`): each region's seconds, bars, tempo asked and fitted, key, "
             "intensity per bar; where each hit lands. Nothing is composed.", CheckScore,
             read_only=True, structured=True, schema=_score_schema(CheckScore, longest)),
    ] + mcpedit.tools()


def _plan_argument(longest: float):
    """The ``plan`` argument: a JSON object (its fields are checked by the plan's own
    parser, one line naming the field), no longer than this server composes."""
    from pydantic import AfterValidator
    from pydantic_core import PydanticCustomError

    def within(plan: dict[str, Any]) -> dict[str, Any]:
        d = plan.get("duration")
        if isinstance(d, (int, float)) and not isinstance(d, bool) and d > longest:
            raise PydanticCustomError("too_long", "duration: {d} is more than the {longest} s "
                                      "this server composes", {"d": d, "longest": longest})
        return plan

    return Annotated[dict[str, Any], AfterValidator(within), Field(description=(
        "The score plan as JSON (musicpipe://docs/score)"))]


def plan_schema(longest: float) -> dict[str, Any]:
    """The plan's JSON Schema (musicpipe.scoring.plan) with its $defs inlined, the duration
    capped at what this server composes."""
    from .scoring.plan import schema

    full = schema()
    defs = full.pop("$defs")

    def inline(node):
        if isinstance(node, dict):
            if "$ref" in node:
                return inline({**defs[node["$ref"].rsplit("/", 1)[1]],
                               **{k: v for k, v in node.items() if k != "$ref"}})
            return {k: inline(v) for k, v in node.items()}
        return [inline(v) for v in node] if isinstance(node, list) else node

    plan = inline(full)
    plan.pop("$schema", None)
    duration = plan["properties"]["duration"]
    duration["maximum"] = min(duration["maximum"], longest)
    return plan


def _score_schema(model: type[Args], longest: float) -> dict[str, Any]:
    """A score tool's input schema: its arguments', ``plan`` being the plan's schema."""
    schema = _schema(model)
    schema["properties"]["plan"] = plan_schema(longest)
    return schema


def _notes_schema() -> dict[str, Any]:
    """write_notes' input schema: the notes document's own (musicpipe.notes), plus out."""
    from .notes import json_schema

    schema = json_schema()
    defs = schema.pop("$defs")
    root = dict(defs.pop("Piece"))
    root.pop("title", None)
    root["properties"] = {**root["properties"], "out": {
        "anyOf": [{"type": "string", "maxLength": MAX_NAME}, {"type": "null"}], "default": None,
        "description": "A .mid or .jsonl to write in the server's folder; none: the stream "
                       "is returned"}}
    return {**root, "$defs": defs}


def _list_moods() -> dict[str, Any]:
    from .moods.catalog import entries
    from .moods.packs import Library

    library = Library()
    return {"moods": entries(library), "errors": library.errors()}


def _list_instruments() -> dict[str, Any]:
    from .names import instruments

    return {"result": instruments()}


def _list_drums() -> dict[str, Any]:
    from .names import drums

    return {"result": drums()}


def _list_scales() -> dict[str, Any]:
    from .names import scales

    return {"result": scales()}


def refusal(tool: Tool, error: ValidationError) -> str:
    """A validation error as one line: the tool, each bad argument, the valid names."""
    parts, unknown = [], False
    for e in error.errors()[:5]:
        where = ".".join(str(p) for p in e["loc"])[:40] or "arguments"
        if e["type"] == "extra_forbidden":
            unknown = True
            parts.append(f"unknown argument {where!r}")
        else:
            parts.append(f"{where}: {' '.join(e['msg'].split())[:300]}")
    line = f"{tool.name}: {'; '.join(parts)}"
    if unknown:
        line += f" (arguments: {', '.join(tool.args.model_fields) or 'none'})"
    return line


def _schema(model: type[Args]) -> dict[str, Any]:
    schema = model.model_json_schema()
    schema.pop("title", None)
    for prop in schema.get("properties", {}).values():
        prop.pop("title", None)
    return schema


def build(folder: Folder, pool):
    """The server: the tool table bound to ``folder``, the calls run by ``pool``."""
    import mcp_types as types
    from mcp.server.lowlevel import Server
    from mcp.shared.exceptions import MCPError

    from . import __version__, mcpguide
    from .mcpfiles import MIME, WRITES, Refused
    from .mcptools import FILES
    from .mcppool import TooLong, WorkerDied

    table = {t.name: t for t in tools()}
    listed = types.ListToolsResult(tools=[
        types.Tool(name=t.name, description=t.description,
                   input_schema=t.schema or _schema(t.args),
                   annotations=types.ToolAnnotations(read_only_hint=t.read_only))
        for t in table.values()])

    def result(data: dict[str, Any], payload: dict[str, Any] | list[dict] | None = None,
               structured: bool = False) -> types.CallToolResult:
        """The data as JSON text, then the payload (text, audio, an image, a link): every
        byte once, and all of it where a client reads only the content; structuredContent
        (the data again) only for a tool whose answer is a report to read (analyze)."""
        content: list = [types.TextContent(type="text", text=json.dumps(data))]
        blocks = payload if isinstance(payload, list) else [payload] if payload else []
        for block in blocks:
            if block["type"] == "text":
                content.append(types.TextContent(type="text", text=block["text"]))
            elif block["type"] == "image":
                content.append(types.ImageContent(type="image", data=block["data"],
                                                  mime_type=block["mime"]))
            elif block["type"] == "link":
                content.append(types.ResourceLink(type="resource_link", uri=block["uri"],
                                                  name=block["name"], mime_type=block["mime"],
                                                  size=block["size"]))
            else:
                content.append(types.AudioContent(type="audio", data=block["data"],
                                                  mime_type=block["mime"]))
        return types.CallToolResult(content=content, is_error=False,
                                    structured_content=data if structured else None)

    def failed(message: str) -> types.CallToolResult:
        return types.CallToolResult(content=[types.TextContent(type="text", text=message)],
                                    is_error=True)

    async def list_tools(ctx, params) -> types.ListToolsResult:
        return listed

    async def call_tool(ctx, params: types.CallToolRequestParams) -> types.CallToolResult:
        tool = table.get(params.name)
        if tool is None:
            raise MCPError(code=types.INVALID_PARAMS,
                           message=f"unknown tool {params.name[:60]!r}; tools: {', '.join(table)}")
        try:
            args = tool.args.model_validate(params.arguments or {})
        except ValidationError as e:
            return failed(refusal(tool, e))
        if tool.local is not None:
            try:
                return result(tool.local(**args.model_dump()))
            except ValueError as e:
                return failed(f"{tool.name}: {e}")
        if tool.session is not None:
            return await _edit(ctx, tool, args.model_dump())
        try:
            answer = await pool.call(tool.name, args.model_dump())
        except (WorkerDied, TooLong) as e:
            return failed(f"{tool.name}: {e}")
        if "error" in answer:
            return failed(answer["error"])
        return result(answer["ok"]["data"], answer["ok"]["payload"], tool.structured)

    clients: dict[str, tuple] = {}

    async def _edit(ctx, tool: Tool, a: dict[str, Any]) -> types.CallToolResult:
        """An editing-session tool, on this client's sessions, one call at a time, in a
        thread (a large file's edit does not stop the server answering others). Over stdio
        there is one client; over HTTP each MCP session (its Mcp-Session-Id) is one, and the
        sessions of the least recently seen of more than MAX_CLIENTS are closed. A client of
        the stateless HTTP protocol (no session id) has no identity to keep sessions under:
        those clients share one store whose session ids hold a random part, so only the
        client that opened one can name it."""
        import anyio

        from .edit import EditError, Sessions

        request = getattr(ctx, "request", None)
        client = "stdio" if request is None else request.headers.get("mcp-session-id", "")
        store = clients.pop(client, None) or (
            Sessions(max_open=MAX_SHARED, secret=True) if client == "" else Sessions(),
            anyio.Lock())
        clients[client] = store  # the most recently seen last
        while len(clients) > MAX_CLIENTS:
            clients.pop(next(iter(clients)))
        sessions, lock = store
        async with lock:
            try:
                return result(await anyio.to_thread.run_sync(tool.session, sessions, folder, a))
            except EditError as e:
                return failed(f"{tool.name}: {e}")

    async def list_resources(ctx, params) -> types.ListResourcesResult:
        return types.ListResourcesResult(resources=[
            types.Resource(uri=r["uri"], name=r["name"], description=r["description"],
                           mime_type=r["mime"]) for r in mcpguide.resources()])

    async def read_resource(ctx, params: types.ReadResourceRequestParams) -> types.ReadResourceResult:
        uri = str(params.uri)
        if uri.startswith(FILES):
            return await _read_file(uri)
        try:
            mime, text = mcpguide.read(uri)
        except KeyError as e:
            raise MCPError(code=types.INVALID_PARAMS, message=e.args[0]) from None
        return types.ReadResourceResult(contents=[
            types.TextResourceContents(uri=uri, mime_type=mime, text=text)])

    async def _read_file(uri: str) -> types.ReadResourceResult:
        """A file a tool linked to (audio too large to return inline)."""
        import base64

        name = uri.removeprefix(FILES)
        try:
            full = folder.check(name, "read", "uri")
        except Refused as e:
            raise MCPError(code=types.INVALID_PARAMS, message=str(e)) from None
        ext = os.path.splitext(full)[1].lower()
        try:
            if os.path.getsize(full) > READ_MAX:
                raise MCPError(code=types.INVALID_PARAMS, message=(
                    f"uri {name}: larger than the {_mib(READ_MAX)} the server returns; it is "
                    f"in the server's folder {folder.root}"))
            with open(full, "rb") as f:
                data = base64.b64encode(f.read()).decode()
        except OSError as e:
            raise MCPError(code=types.INVALID_PARAMS, message=f"uri {name}: {e.strerror}") from None
        return types.ReadResourceResult(contents=[types.BlobResourceContents(
            uri=uri, mime_type=MIME.get(ext, "application/octet-stream"), blob=data)])

    async def list_prompts(ctx, params) -> types.ListPromptsResult:
        return types.ListPromptsResult(prompts=[
            types.Prompt(name=p.name, description=p.description, arguments=[
                types.PromptArgument(name=n, description=d, required=r)
                for n, (d, r) in p.arguments.items()])
            for p in mcpguide.PROMPTS.values()])

    async def get_prompt(ctx, params: types.GetPromptRequestParams) -> types.GetPromptResult:
        try:
            text = mcpguide.prompt(params.name, params.arguments)
        except KeyError as e:
            raise MCPError(code=types.INVALID_PARAMS, message=e.args[0]) from None
        return types.GetPromptResult(description=mcpguide.PROMPTS[params.name].description,
                                     messages=[types.PromptMessage(role="user", content=(
                                         types.TextContent(type="text", text=text)))])

    instructions = INSTRUCTIONS.format(
        root=folder.root, exts=" ".join(WRITES), text=_mib(TEXT_MAX), inline=_mib(INLINE_MAX),
        line=_mib(LINE_MAX), seconds=max_seconds())
    return Server("musicpipe", version=__version__, instructions=instructions,
                  on_list_tools=list_tools, on_call_tool=call_tool,
                  on_list_resources=list_resources, on_read_resource=read_resource,
                  on_list_prompts=list_prompts, on_get_prompt=get_prompt)


def serve(root: str | None, call_seconds: float = CALL_SECONDS, http=None) -> None:
    """Serve on stdin/stdout until the client closes them, or with ``http`` (a socket bound
    to 127.0.0.1) as streamable HTTP at /mcp until stopped; files live in ``root``
    (None: the server's own folder under the user's data folder); a call runs
    ``call_seconds`` at most."""
    import anyio

    from .mcppool import Pool
    from .mcpwire import stdio

    from .errors import OutputError

    where = root if root is not None else default_root()
    try:
        folder = Folder(where)
    except OSError as e:
        raise OutputError(f"cannot use {where} as the server's folder: {e.strerror}") from None

    async def main():
        pool = Pool(folder.root, seconds=call_seconds)
        server = build(folder, pool)
        try:
            if http is not None:
                await _serve_http(server, http)
                return
            async with stdio() as (read, write):
                await server.run(read, write, server.create_initialization_options())
        finally:
            await pool.close()

    anyio.run(main)
    os._exit(0)  # the stdin reader's thread may still wait on a line that never comes


async def _serve_http(server, sock) -> None:
    """Streamable HTTP on ``sock`` behind the studio's guard: the Host must be this address
    and port (no DNS rebinding), an Origin this server's own, a body at most LINE_MAX."""
    import uvicorn
    from mcp.server.transport_security import TransportSecuritySettings

    from .studio.guard import Guard

    port = sock.getsockname()[1]
    app = server.streamable_http_app(
        host="127.0.0.1", max_request_body_size=LINE_MAX,
        transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False))
    guarded = Guard(app, port, LINE_MAX + 1, name="mcp", what="the MCP server")
    config = uvicorn.Config(guarded, log_level="warning", lifespan="on", access_log=False)
    await uvicorn.Server(config).serve(sockets=[sock])

"""What an agent learns and does through `musicpipe mcp` (issue 24), with the SDK's client
over stdio and over streamable HTTP: resources and prompts, describe, write_notes, editing
sessions, renders as audio content and a piano roll, one-line refusals. Every step of the
agent's script is checked against the files the server wrote and what the CLI writes."""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import time

import anyio
import httpx
import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError

from musicpipe import mcpguide, notes, reference
from tests.conftest import BIN, ENV, events, sh
from tests.test_abort import needs_font
from tests.test_mcp import params

MELODY = "E5 D5 C5 D5 E5 E5 E5 D5 D5 D5 E5 G5 G5 E5 D5 C5".split()
LEAD_SHEET = {"tempo": 100, "key": "C", "tracks": [
    {"name": "Chords", "instrument": "piano", "notes": [
        {"pitch": c, "start": f"{i + 1}:1", "length": {"bars": 1}, "velocity": 70}
        for i, c in enumerate(["C", "Am", "F", "G"])]},
    {"name": "Melody", "instrument": "flute", "notes": [
        {"pitch": p, "start": i + 0.05, "length": 1} for i, p in enumerate(MELODY)]}]}


def file_notes(path) -> list[tuple]:
    return sorted((e["t"], e["dur"], e["ch"], e["key"], e["vel"])
                  for e in events(sh(f"from-midi {path}").stdout) if e["type"] == "Note")


def blocks(result, kind: str) -> list:
    return [c for c in result.content if c.type == kind]


async def call(client, tool: str, **args):
    result = await client.call_tool(tool, args)
    assert not result.is_error, result.content[0].text
    return result


def data(result) -> dict:
    """A reply's data: the JSON of its first block."""
    return json.loads(result.content[0].text)


async def agent_script(client, root) -> None:
    """Write a 4-bar melody over chords, open it, transpose bar 3, undo, quantize, save,
    render; each step checked against the files."""
    wrote = await call(client, "write_notes", **LEAD_SHEET, out="song.mid")
    assert data(wrote)["notes"] == 28
    mine = sorted((e["t"], e["dur"], e["ch"], e["key"], e["vel"])
                  for e in notes.events(LEAD_SHEET) if e["type"] == "Note")
    assert file_notes(root / "song.mid") == mine
    [roll] = blocks(wrote, "image")
    assert roll.mime_type == "image/svg+xml" and b"<svg" in base64.b64decode(roll.data)

    opened = data(await call(client, "edit_open", path="song.mid"))
    sid = opened["session"]
    assert [(t["name"], t["notes"]) for t in opened["tracks"]] == [("Chords", 12), ("Melody", 16)]
    bar3 = data(await call(client, "edit_notes", session=sid, bars="3", track="Melody"))
    assert [n["name"] for n in bar3["notes"]] == MELODY[8:12]

    await call(client, "edit_transpose", session=sid, semitones=2, bars="3", track="Melody")
    await call(client, "edit_save", session=sid, path="step-transposed.mid")
    up = file_notes(root / "step-transposed.mid")
    changed = [(a, b) for a, b in zip(mine, up) if a != b]
    assert len(changed) == 4
    assert all(b[3] == a[3] + 2 and a[2] == 1 and 3840 <= a[0] < 5760 for a, b in changed)

    undone = data(await call(client, "edit_undo", session=sid))
    assert undone == {"undone": "transpose 4 notes by +2"}
    await call(client, "edit_save", session=sid, path="step-undone.mid")
    assert file_notes(root / "step-undone.mid") == mine

    source = (root / "song.mid").read_bytes()
    refused = await client.call_tool("edit_save", {"session": sid, "path": "song.mid"})
    assert refused.is_error and "is the file this session opened" in refused.content[0].text
    assert (root / "song.mid").read_bytes() == source

    await call(client, "edit_quantize", session=sid, grid="16", track="Melody")
    await call(client, "edit_save", session=sid, path="final.mid")
    final = file_notes(root / "final.mid")
    assert [n for n in final if n[2] == 0] == [n for n in mine if n[2] == 0]  # chords kept
    assert [n[0] for n in final if n[2] == 1] == [i * 480 for i in range(16)]  # were 24 late
    assert [n[3] for n in final if n[2] == 1] == [n[3] for n in mine if n[2] == 1]

    rendered = await call(client, "render", midi="final.mid", out="final.wav")
    [audio] = blocks(rendered, "audio")
    assert audio.mime_type == "audio/wav" == data(rendered)["mime"]
    sh(f"to-wav --midi {root / 'final.mid'} --out {root / 'cli.wav'}")
    assert base64.b64decode(audio.data) == (root / "final.wav").read_bytes() \
        == (root / "cli.wav").read_bytes()
    [roll] = blocks(rendered, "image")
    sh(f"from-midi {root / 'final.mid'} | viz --svg {root / 'cli.svg'} > /dev/null")
    assert base64.b64decode(roll.data) == (root / "cli.svg").read_bytes()

    heard = await call(client, "analyze", midi="final.mid")
    cli = json.loads(sh(f"from-midi {root / 'final.mid'} | analyze --json -").stdout)
    assert heard.structured_content == data(heard) == cli and cli["key"]

    await call(client, "edit_close", session=sid)
    gone = await client.call_tool("edit_notes", {"session": sid})
    assert gone.is_error and gone.content[0].text.startswith(
        f"edit_notes: session: no open session '{sid}' (open: ")


def run_stdio(root, script):
    async def main():
        async with Client(params(root)) as client:
            return await script(client)

    return anyio.run(main)


@needs_font
def test_the_agent_script_over_stdio(tmp_path):
    run_stdio(tmp_path, lambda client: agent_script(client, tmp_path))


def test_resources_and_prompts_are_listed_and_read(tmp_path):
    async def script(client):
        listed = (await client.list_resources()).resources
        assert [(r.name, r.mime_type) for r in listed] == [
            (r["name"], r["mime"]) for r in mcpguide.resources()]
        for r in listed:
            [content] = (await client.read_resource(r.uri)).contents
            assert (content.mime_type, content.text) == reference.page(r.name)
        with pytest.raises(MCPError, match="resources: musicpipe://docs/stages"):
            await client.read_resource("musicpipe://docs/nope")
        prompts = (await client.list_prompts()).prompts
        assert [p.name for p in prompts] == list(mcpguide.PROMPTS)
        lead = next(p for p in prompts if p.name == "lead-sheet")
        assert [(a.name, a.required) for a in lead.arguments] == [
            ("chords", True), ("key", False), ("tempo", False)]
        got = await client.get_prompt("lead-sheet", {"chords": "Am F C G", "key": "A minor"})
        assert got.messages[0].content.text == mcpguide.prompt(
            "lead-sheet", {"chords": "Am F C G", "key": "A minor"})
        with pytest.raises(MCPError, match="chords: lead-sheet needs it"):
            await client.get_prompt("lead-sheet", {})
        described = await call(client, "describe", stage="transpose")
        assert data(described) == reference.describe("transpose")

    run_stdio(tmp_path, script)


BAD_CALLS = [
    ("describe", {"stage": "tranpose"}, "describe: stage: Input should be"),
    ("write_notes", {"tracks": [{"notes": [{"pitch": "H4", "start": 0}]}]},
     'write_notes: tracks[0].notes[0].pitch: "H4" is not a note name'),
    ("write_notes", {"tracks": [{"notes": [{"pitch": 60, "start": 0, "vel": 1}]}]},
     "write_notes: tracks[0].notes[0]: object contains unknown field `vel`"),
    ("write_notes", {"tracks": [{"notes": []}], "out": "../x.mid"},
     "mcp: out ../x.mid: no part of a name may start with a dot"),
    ("write_notes", {"tracks": [{"notes": []}], "out": "x.wav"},
     "write_notes: out x.wav: give a .mid or .jsonl file"),
    ("write_notes", {"tracks": [], "tempo": 100}, "write_notes: tracks: List should have at least 1"),
    ("edit_open", {"path": ".bashrc"}, "edit_open: path .bashrc: no part of a name may start"),
    ("edit_open", {"path": "none.mid"}, "edit_open: path: none.mid: No such file or directory"),
    ("edit_open", {"path": "song.wav"}, "edit_open: path song.wav: open a .mid, .midi or .jsonl"),
    ("edit_tracks", {"session": "e7"}, "edit_tracks: session: no open session 'e7' (open: e1)"),
    ("edit_notes", {"session": "e1", "bars": "2-1"}, 'edit_notes: bars: bars "2-1": first and last'),
    ("edit_notes", {"session": "e1", "limit": 0}, "edit_notes: limit: Input should be greater"),
    ("edit_insert", {"session": "e1", "track": "Melody", "notes": [{"pitch": "C4", "start": "1:7"}]},
     "edit_insert: notes[0].start/length: beat 7 is not in bar 1"),
    ("edit_delete", {"session": "e1", "bars": "40"}, "edit_delete: range: no notes to delete in bars 40"),
    ("edit_move", {"session": "e1", "by": -8, "bars": "1"},
     "edit_move: by: the note C3 at 1:1 would move outside the piece"),
    ("edit_transpose", {"session": "e1", "semitones": 99, "bars": "4"},
     "edit_transpose: semitones: G3 at 4:1 would be key 154, allowed 0..127"),
    ("edit_transpose", {"session": "e1", "semitones": "up"}, "edit_transpose: semitones: Input"),
    ("edit_humanize", {"session": "e1", "timing": "lots"},
     "edit_humanize: timing: timing must be a whole number or a percentage"),
    ("edit_quantize", {"session": "e1", "grid": "12"}, "edit_quantize: grid: grid must be 1, 2"),
    ("edit_quantize", {"session": "e1", "grid": "8t", "swing": 50},
     "edit_quantize: swing: swing applies to straight grids"),
    ("edit_tempo", {"session": "e1", "bpm": 0}, "edit_tempo: bpm: Input should be greater"),
    ("edit_tempo", {"session": "e1", "bpm": 90, "at": "9:9"}, "edit_tempo: at: beat 9 is not"),
    ("edit_undo", {"session": "e1"}, "edit_undo: undo: nothing to undo"),
    ("edit_redo", {"session": "e1"}, "edit_redo: redo: nothing to redo"),
    ("edit_save", {"session": "e1", "path": "song.mid"},
     "edit_save: path: song.mid is the file this session opened"),
    ("edit_save", {"session": "e1", "path": "no/such/x.mid"},
     "edit_save: path no/such/x.mid: there is no folder no/such"),
    ("edit_close", {"session": "e1", "force": True}, "edit_close: unknown argument 'force'"),
    ("compose_score", {"plan": {"duration": 40, "region": [{"mood": "calm", "at": 0},
                                                           {"mood": "calm", "at": 45}]}},
     "compose_score: plan: region[1].at: 45 is past duration 40"),
    ("check_score", {"plan": {"duration": 10, "region": []}}, "check_score: plan: region: "),
]


def test_every_new_tools_bad_input_is_one_line_and_the_server_goes_on(tmp_path):
    async def script(client):
        await call(client, "write_notes", **LEAD_SHEET, out="song.mid")
        (tmp_path / "song.wav").write_bytes(b"RIFF")
        await call(client, "edit_open", path="song.mid")
        before = data(await call(client, "edit_notes", session="e1"))
        seen = set()
        for tool, args, start in BAD_CALLS:
            result = await client.call_tool(tool, args)
            [line] = [c.text for c in result.content]
            assert result.is_error and "\n" not in line and line.startswith(start), (tool, line)
            seen.add(tool)
        assert data(await call(client, "edit_notes", session="e1")) == before
        new = {t.name for t in (await client.list_tools()).tools} - {
            "list_moods", "compose_mood", "run_pipeline", "render", "analyze",
            "list_instruments", "list_drums", "list_scales"}
        assert seen == new

    run_stdio(tmp_path, script)


def test_write_notes_schema_is_the_documents_and_returns_the_stream(tmp_path):
    async def script(client):
        tools = {t.name: t for t in (await client.list_tools()).tools}
        schema = tools["write_notes"].input_schema
        assert schema["additionalProperties"] is False and "out" in schema["properties"]
        assert schema["$defs"]["Note"] == notes.json_schema()["$defs"]["Note"]
        result = await call(client, "write_notes", **LEAD_SHEET)
        [stream] = blocks(result, "text")[1:]
        assert events(stream.text) == notes.events(LEAD_SHEET)
        assert os.listdir(tmp_path) == []

    run_stdio(tmp_path, script)


@needs_font
def test_a_render_too_large_to_return_is_a_link_the_client_reads(tmp_path):
    async def script(client):
        await call(client, "write_notes", tracks=[{"notes": [{"pitch": "C4", "start": 0}]}],
                   out="one.mid")
        result = await call(client, "render", midi="one.mid", out="long.wav", length=30)
        [link] = blocks(result, "resource_link")
        assert not blocks(result, "audio") and link.mime_type == "audio/wav"
        assert str(link.uri) == "musicpipe://files/long.wav"
        [content] = (await client.read_resource(link.uri)).contents
        assert base64.b64decode(content.blob) == (tmp_path / "long.wav").read_bytes()
        with pytest.raises(MCPError, match="no part of a name may start with a dot"):
            await client.read_resource("musicpipe://files/../etc/passwd.wav")

    run_stdio(tmp_path, script)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def http_server(tmp_path):
    """`musicpipe mcp --http 127.0.0.1:PORT` as a process; its URL while it runs."""
    port = _free_port()
    proc = subprocess.Popen([str(BIN / "musicpipe"), "mcp", "--http", f"127.0.0.1:{port}",
                             "--root", str(tmp_path)], env=ENV, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert proc.poll() is None, proc.stderr.read().decode()
            assert time.monotonic() < deadline, "the HTTP server did not start"
            time.sleep(0.1)
    yield f"http://127.0.0.1:{port}/mcp", port
    proc.terminate()
    assert proc.wait(timeout=20) in (0, 143)  # 143: ended by SIGTERM, as asked
    assert b"Traceback" not in proc.stderr.read()


@needs_font
def test_the_agent_script_over_http_and_foreign_hosts_are_refused(http_server, tmp_path):
    url, port = http_server

    async def main():
        async with Client(url) as client:
            await agent_script(client, tmp_path)
            assert (await client.list_prompts()).prompts

    anyio.run(main)
    hello = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
    accept = {"accept": "application/json, text/event-stream"}
    for headers, says in (({"host": f"evil.example:{port}"}, "is not this server"),
                          ({"origin": "http://evil.example"}, "requests from 'http://evil.example'")):
        answer = httpx.post(url, json=hello, headers={**accept, **headers})
        assert answer.status_code == 403 and says in answer.json()["error"]
    assert httpx.post(url, content=b"{", headers=accept).status_code == 400  # still answering


def test_http_takes_loopback_only_and_a_free_port(http_server):
    proc = sh("musicpipe mcp --http 0.0.0.0:8766", check=False)
    assert proc.returncode == 2
    assert proc.stderr.decode().count("\n") == 1 and "loopback only" in proc.stderr.decode()
    _, port = http_server
    proc = sh(f"musicpipe mcp --http 127.0.0.1:{port}", check=False)
    assert proc.returncode == 2 and proc.stderr.decode().count("\n") == 1
    assert f"cannot listen on 127.0.0.1:{port}" in proc.stderr.decode()


def test_each_http_client_has_its_own_sessions(http_server, tmp_path):
    """With the handshake (an Mcp-Session-Id), each client has its own e1, e2 ...; clients of
    the stateless protocol share one store, so their ids hold a random part no other guesses."""
    url, _ = http_server

    async def main():
        async with Client(url, mode="legacy") as a, Client(url, mode="legacy") as b:
            await call(a, "write_notes", **LEAD_SHEET, out="song.mid")
            assert data(await call(a, "edit_open", path="song.mid"))["session"] == "e1"
            assert data(await call(b, "edit_open", path="song.mid"))["session"] == "e1"
            await call(a, "edit_delete", session="e1", bars="1")
            assert data(await call(a, "edit_tracks", session="e1"))["tracks"][1]["notes"] == 12
            assert data(await call(b, "edit_tracks", session="e1"))["tracks"][1]["notes"] == 16
            await call(b, "edit_close", session="e1")
            assert (await b.call_tool("edit_undo", {"session": "e1"})).is_error
            assert data(await call(a, "edit_undo", session="e1")) == {"undone": "delete 7 notes"}
        async with Client(url) as c, Client(url) as d:
            sid = data(await call(c, "edit_open", path="song.mid"))["session"]
            other = data(await call(d, "edit_open", path="song.mid"))["session"]
            assert sid != other and sid.split("-")[0] in ("e1", "e2") and len(sid) > 10
            guessed = await d.call_tool("edit_tracks", {"session": sid.split("-")[0]})
            assert guessed.is_error and "the ids edit_open gave you" in guessed.content[0].text
            await call(c, "edit_transpose", session=sid, semitones=1, bars="1")

    anyio.run(main)


def test_the_inspector_lists_and_reads_resources_and_prompts(tmp_path):
    from tests.test_mcp_inspector import INSPECTOR, inspector

    if not INSPECTOR.exists():
        pytest.skip("the MCP Inspector is not installed (bin/setup --test installs it)")
    listed = inspector(tmp_path, "resources/list")["resources"]
    assert [r["uri"] for r in listed] == [r["uri"] for r in mcpguide.resources()]
    read = inspector(tmp_path, "resources/read", "--uri", "musicpipe://docs/notes-schema")
    assert json.loads(read["contents"][0]["text"]) == notes.json_schema()
    prompts = inspector(tmp_path, "prompts/list")["prompts"]
    assert [p["name"] for p in prompts] == list(mcpguide.PROMPTS)
    got = inspector(tmp_path, "prompts/get", "--prompt-name", "game-loop",
                    "--prompt-args", "level=ice cave")
    assert "ice cave" in got["messages"][0]["content"]["text"]
    described = inspector(tmp_path, "tools/call", "--tool-name", "describe",
                          "--tool-arg", "stage=quantize")
    assert json.loads(described["content"][0]["text"]) == reference.describe("quantize")
    document = json.dumps(LEAD_SHEET["tracks"])
    wrote = inspector(tmp_path, "tools/call", "--tool-name", "write_notes", "--tool-arg",
                      f"tracks={document}", "--tool-arg", "tempo=100", "--tool-arg", "out=song.mid")
    assert not wrote["isError"] and [c["type"] for c in wrote["content"]] == ["text", "image"]
    assert file_notes(tmp_path / "song.mid") == sorted(
        (e["t"], e["dur"], e["ch"], e["key"], e["vel"]) for e in notes.events(LEAD_SHEET)
        if e["type"] == "Note")
    bad = inspector(tmp_path, "tools/call", "--tool-name", "edit_open", "--tool-arg", "path=x.mid")
    assert bad["isError"] and bad["content"][0]["text"] == (
        "edit_open: path: x.mid: No such file or directory")


@needs_font
def test_compose_mood_renders_come_with_the_piano_roll(tmp_path):
    async def script(client):
        made = await call(client, "compose_mood", mood="calm", seconds=3, seed=1, out="calm.wav")
        [roll] = blocks(made, "image")
        sh(f"mood calm --duration 3 --seed 1 | viz --svg {tmp_path / 'cli.svg'} > /dev/null")
        assert base64.b64decode(roll.data) == (tmp_path / "cli.svg").read_bytes()
        midi = await call(client, "compose_mood", mood="calm", seconds=3, seed=1, out="calm.mid")
        assert not blocks(midi, "image")  # a .mid is not a render

    run_stdio(tmp_path, script)

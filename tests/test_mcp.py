"""`musicpipe mcp`: driven by the mcp SDK's own stdio client, as an agent's client would.

Each test starts the real server (`musicpipe mcp`) as a process and talks JSON-RPC to it
over its stdin/stdout; files are compared with what the shell writes. The raw wire (bad
lines, huge requests and replies, fuzz) is in tests/test_mcp_wire.py.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os

import anyio
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from musicpipe import mcpedit
from musicpipe.events import MAX_SEED
from musicpipe.mcpfiles import FILE_OPTIONS
from musicpipe.mcpserver import max_seconds
from musicpipe.moods.packs import Library
from tests.conftest import BIN, ENV, ROOT, sh
from tests.test_abort import needs_font
from tests.test_mood_loop import smpl_loop

NOTE = '{"type":"Note","t":0,"dur":480,"ch":0,"key":60,"vel":90}\n'


def params(root, cwd=None, data=None) -> StdioServerParameters:
    """The server as a client starts it: with --root, or (root None) with none, in ``cwd``
    and with XDG_DATA_HOME at ``data``."""
    env = {**ENV, "XDG_DATA_HOME": str(data)} if data is not None else ENV
    args = ["mcp"] if root is None else ["mcp", "--root", str(root)]
    return StdioServerParameters(command=str(BIN / "musicpipe"), args=args, env=env,
                                 cwd=str(cwd) if cwd else None)


def session(root, calls, **kw):
    """Run ``calls`` ((tool, arguments) pairs, "list" or "instructions") in one session."""
    async def main():
        out = []
        async with Client(params(root, **kw)) as client:
            for call in calls:
                if call == "list":
                    out.append((await client.list_tools()).tools)
                elif call == "instructions":
                    out.append(client.instructions)
                else:
                    out.append(await client.call_tool(*call))
        return out

    return anyio.run(main)


def text(result) -> str:
    return " ".join(c.text for c in result.content if c.type == "text")


def data(result) -> dict:
    """A reply's data: the JSON of its first block (sent once, so no structuredContent)."""
    assert result.structured_content is None
    return json.loads(result.content[0].text)


def payload(result):
    """The one content block after the data: the stream, the text, the audio (a render's
    piano roll, an image, may follow it)."""
    block, *roll = result.content[1:]
    assert [b.type for b in roll] in ([], ["image"]) and block.type != "image"
    return block


def test_tools_and_their_schemas_come_from_the_clis_tables(tmp_path):
    [tools] = session(tmp_path, ["list"])
    by_name = {t.name: t for t in tools}
    assert set(by_name) == {"list_moods", "compose_mood", "run_pipeline", "render", "analyze",
                            "list_instruments", "list_drums", "list_scales", "describe",
                            "write_notes", "compose_score", "check_score"} | {
                                t.name for t in mcpedit.tools()}
    props = by_name["compose_mood"].input_schema["properties"]
    assert props["mood"]["enum"] == Library().names()
    # the limits this server accepts, not the CLI's 3600 s and 86400 s
    seconds = next(s for s in props["seconds"]["anyOf"] if s["type"] == "number")
    assert (seconds["minimum"], seconds["maximum"]) == (0.5, max_seconds())
    assert props["seconds"]["default"] is None  # 8, or what the bars last
    bars = next(s for s in props["bars"]["anyOf"] if s["type"] == "integer")
    assert (bars["minimum"], bars["maximum"]) == (1, 10000)  # mood --bars's range
    assert props["loop"] == {"type": "boolean", "default": False,
                             "description": props["loop"]["description"]}
    length = next(s for s in by_name["render"].input_schema["properties"]["length"]["anyOf"]
                  if s["type"] == "number")
    assert length["maximum"] == max_seconds() <= 600
    fmt = next(s for s in props["format"]["anyOf"] if s["type"] == "string")
    assert fmt["enum"] == ["wav", "flac", "ogg", "mp3", "mid", "jsonl"]
    seed = next(s for s in props["seed"]["anyOf"] if s["type"] == "integer")
    assert seed["maximum"] == MAX_SEED
    intensity = next(s for s in props["intensity"]["anyOf"] if s["type"] == "integer")
    assert (intensity["minimum"], intensity["maximum"]) == (0, 100)
    assert all(t.description and t.input_schema["additionalProperties"] is False for t in tools)


def test_compose_mood_to_wav_and_midi_gives_the_clis_bytes(tmp_path):
    root = tmp_path / "root"
    wav, mid, inline, listed = session(root, [
        ("compose_mood", {"mood": "calm", "seconds": 3, "seed": 7}),
        ("compose_mood", {"mood": "jazz", "seconds": 2, "seed": 1, "key": "F", "out": "jazz.mid"}),
        ("compose_mood", {"mood": "jazz", "seconds": 2, "seed": 1, "key": "F",
                          "format": "mid", "inline": True}),
        ("list_moods", {}),
    ])
    assert not wav.is_error, text(wav)
    assert data(wav)["path"] == "calm-7.wav"
    assert data(wav)["seed"] == 7 and data(wav)["notes"] > 0
    sh(f"mood calm --duration 3 --seed 7 --out {tmp_path}/calm.wav")
    assert (root / "calm-7.wav").read_bytes() == (tmp_path / "calm.wav").read_bytes()

    assert not mid.is_error, text(mid)
    assert data(mid)["path"] == "jazz.mid"
    sh(f"mood jazz --duration 2 --seed 1 --key F --out {tmp_path}/jazz.mid")
    expected = (tmp_path / "jazz.mid").read_bytes()
    assert (root / "jazz.mid").read_bytes() == expected
    audio = payload(inline)
    assert (audio.type, audio.mime_type) == ("audio", "audio/midi")
    assert base64.b64decode(audio.data) == expected
    assert "base64" not in data(inline)  # the bytes travel once
    assert sorted(p.name for p in root.iterdir()) == ["calm-7.wav", "jazz.mid"]  # inline left none

    names = [m["name"] for m in data(listed)["moods"]]
    assert names == Library().names()


@needs_font
def test_compose_mood_loops_and_bars_give_the_clis_files(tmp_path):
    """loop and bars mean what `mood --loop --bars` mean; a looped WAV keeps its smpl chunk
    written to out, returned inline, or spilled to a new file when too large to return."""
    from musicpipe.mcptools import INLINE_MAX

    root = tmp_path / "root"
    wav, inline, big, mid, stream = session(root, [
        ("compose_mood", {"mood": "calm", "seconds": 4, "seed": 3, "loop": True, "out": "l.wav"}),
        ("compose_mood", {"mood": "calm", "seconds": 4, "seed": 3, "loop": True, "inline": True}),
        ("compose_mood", {"mood": "calm", "seconds": 30, "seed": 3, "loop": True, "inline": True}),
        ("compose_mood", {"mood": "calm", "bars": 2, "seed": 3, "loop": True, "format": "mid"}),
        ("compose_mood", {"mood": "upbeat", "bars": 4, "tempo": 120, "seed": 1,
                          "format": "jsonl", "inline": True}),
    ])
    sh(f"mood calm --duration 4 --seed 3 --loop --out {tmp_path}/l.wav")
    cli = (tmp_path / "l.wav").read_bytes()
    assert not wav.is_error, text(wav)
    assert (root / "l.wav").read_bytes() == cli
    assert smpl_loop(root / "l.wav") == (0, 4 * 44100 - 1)
    assert {k: data(wav)[k] for k in ("seconds", "bars", "loop")} == {
        "seconds": 4, "bars": None, "loop": True}
    (tmp_path / "inline.wav").write_bytes(base64.b64decode(payload(inline).data))
    assert (tmp_path / "inline.wav").read_bytes() == cli  # smpl chunk and all
    assert not big.is_error and data(big)["inline"] is False and data(big)["bytes"] > INLINE_MAX
    assert smpl_loop(root / data(big)["path"]) == (0, 30 * 44100 - 1)

    sh(f"mood calm --bars 2 --seed 3 --loop --out {tmp_path}/l.mid")
    assert (root / data(mid)["path"]).read_bytes() == (tmp_path / "l.mid").read_bytes()
    assert data(mid)["bars"] == 2 and data(mid)["seconds"] == round(2 * 4 * 60 / 72, 3)
    assert payload(stream).text.encode() == sh("mood upbeat --bars 4 --tempo 120 --seed 1").stdout
    assert data(stream)["seconds"] == 8.0 and data(stream)["ticks"] == 4 * 4 * 480
    assert sorted(p.name for p in root.iterdir()) == ["calm-3.mid", "calm-3.wav", "l.wav"]


def test_bars_and_loop_are_refused_as_the_cli_refuses_them(tmp_path):
    """Out of range, bars with seconds and tempo, bars whose tempo would leave 20..400 BPM,
    and bars lasting longer than the server composes (refused before composing): one line,
    no file."""
    zero, many, loop, both, slow, long = session(tmp_path, [
        ("compose_mood", {"mood": "calm", "bars": 0}),
        ("compose_mood", {"mood": "calm", "bars": 10001}),
        ("compose_mood", {"mood": "calm", "loop": [1]}),
        ("compose_mood", {"mood": "calm", "bars": 4, "seconds": 8, "tempo": 90}),
        ("compose_mood", {"mood": "calm", "bars": 2, "seconds": 60, "seed": 1}),
        ("compose_mood", {"mood": "calm", "bars": 10000, "seed": 1, "format": "mid"}),
    ])
    for result in (zero, many, loop, both, slow, long):
        assert result.is_error and "\n" not in text(result), text(result)
    assert text(zero).startswith("compose_mood: bars: Input should be greater than or equal to 1")
    assert text(many).startswith("compose_mood: bars: Input should be less than or equal to 10000")
    assert text(loop).startswith("compose_mood: loop: Input should be a valid boolean")
    assert text(both) == ("compose_mood: bars with seconds or with tempo, not both: the other "
                          "follows from them")
    cli = sh("mood calm --bars 2 --duration 60 --seed 1", check=False).stderr.decode()
    assert "2 bars of 4/4 in 60 s need 8.0 BPM (tempo 20..400)" in cli and cli.strip() in text(slow)
    assert text(long) == ("compose_mood: bars: 10000 bars of calm at its tempo last 33333 s; "
                          f"the server composes at most {max_seconds():g} s (fewer bars, a "
                          "faster tempo, or seconds)")
    assert os.listdir(tmp_path) == []


def test_a_name_the_server_picks_never_replaces_a_file(tmp_path):
    (tmp_path / "calm-7.mid").write_bytes(b"mine")
    first, second = session(tmp_path, [
        ("compose_mood", {"mood": "calm", "seconds": 1, "seed": 7, "format": "mid"}),
        ("compose_mood", {"mood": "calm", "seconds": 1, "seed": 7, "format": "mid"})])
    assert [data(first)["path"], data(second)["path"]] == [
        "calm-7-2.mid", "calm-7-3.mid"]
    assert (tmp_path / "calm-7.mid").read_bytes() == b"mine"


def test_inline_never_writes_out(tmp_path):
    """inline=true with out=keep.wav is refused; keep.wav stays byte for byte."""
    keep = tmp_path / "keep.wav"
    keep.write_bytes(b"RIFF my recording")
    before = hashlib.sha256(keep.read_bytes()).hexdigest()
    both, inline = session(tmp_path, [
        ("compose_mood", {"mood": "calm", "seconds": 1, "seed": 1, "inline": True,
                          "out": "keep.wav"}),
        ("compose_mood", {"mood": "calm", "seconds": 1, "seed": 1, "inline": True})])
    assert both.is_error and "not both" in text(both)
    assert hashlib.sha256(keep.read_bytes()).hexdigest() == before
    audio = payload(inline)
    assert audio.mime_type == "audio/wav" and base64.b64decode(audio.data)[:4] == b"RIFF"
    assert os.listdir(tmp_path) == ["keep.wav"]


def test_unknown_arguments_are_refused_naming_the_valid_ones(tmp_path):
    duration, several, bad = session(tmp_path, [
        ("compose_mood", {"mood": "calm", "duration": 3}),
        ("list_scales", {"x": 1, "y": 2}),
        ("compose_mood", {"mood": "calm", "seconds": "abc", "tempo": -5, "intensity": 500}),
    ])
    assert duration.is_error and "\n" not in text(duration)
    assert "unknown argument 'duration'" in text(duration)
    assert "seconds" in text(duration).split("(arguments:")[1]
    assert several.is_error and "'x'" in text(several) and "'y'" in text(several)
    assert bad.is_error and "\n" not in text(bad)
    for name in ("seconds", "tempo", "intensity"):
        assert f"{name}: " in text(bad)
    assert os.listdir(tmp_path) == []


def test_run_pipeline_gives_the_shells_stream_and_files(tmp_path):
    root = tmp_path / "root"
    pipeline = "seed 42 | motif --notes 16 | scale --root D --mode dorian"
    stream, to_file, bad_stage = session(root, [
        ("run_pipeline", {"pipeline": pipeline}),
        ("run_pipeline", {"pipeline": pipeline + " | to-midi --out tune.mid"}),
        ("run_pipeline", {"pipeline": "seed 1 | motif --notes 0"}),
    ])
    assert payload(stream).text.encode() == sh(pipeline).stdout
    assert data(stream)["seed"] == 42
    assert data(stream)["kind"] == "stream"
    assert data(to_file)["files"] == ["tune.mid"]
    sh(f"{pipeline} | to-midi --out {tmp_path}/tune.mid")
    assert (root / "tune.mid").read_bytes() == (tmp_path / "tune.mid").read_bytes()
    assert bad_stage.is_error
    cli = sh("motif --notes 0", check=False).stderr.decode().strip()
    assert cli in text(bad_stage)


def test_run_pipeline_returns_the_text_of_text_printing_stages(tmp_path):
    sh(f"seed 3 | motif --notes 6 | to-midi --out {tmp_path}/m.mid")
    commands = ["mood --list", "motif --help", "mood --show calm", "scale --list",
                "from-midi m.mid --notation"]
    results = session(tmp_path, [("run_pipeline", {"pipeline": c}) for c in commands])
    for command, result in zip(commands, results):
        assert not result.is_error, (command, text(result))
        assert data(result)["kind"] == "text"
        shell = sh(command, cwd=tmp_path).stdout.decode()
        assert payload(result).text == shell and shell.strip(), command


def test_run_pipeline_names_a_missing_folder_and_lists_what_split_wrote(tmp_path):
    missing, split, again = session(tmp_path, [
        ("run_pipeline", {"pipeline": "seed 1 | motif | to-midi --out nosuch/a.mid"}),
        ("run_pipeline", {"pipeline": "seed 1 | motif --patch flute | "
                                      "{ motif --patch piano --ch 1; } | to-midi --split parts"}),
        ("run_pipeline", {"pipeline": "seed 1 | motif | to-midi --out a.mid"}),
    ])
    assert missing.is_error
    assert "there is no folder nosuch in the server's folder" in text(missing)
    assert not split.is_error, text(split)
    wrote = sorted(f"parts/{n}" for n in os.listdir(tmp_path / "parts"))
    assert data(split)["files"] == wrote and len(wrote) >= 1
    assert data(again)["files"] == ["a.mid"]


@needs_font
def test_files_lists_what_stems_wrote(tmp_path):
    [stems] = session(tmp_path, [("run_pipeline", {
        "pipeline": "mood calm --duration 1 --seed 1 --out mix.wav --stems stems"})])
    assert not stems.is_error, text(stems)
    wrote = sorted(["mix.wav"] + [f"stems/{n}" for n in os.listdir(tmp_path / "stems")])
    assert data(stems)["files"] == wrote and len(wrote) >= 3


def test_a_bad_key_is_a_tool_error_with_the_clis_message(tmp_path):
    [result] = session(tmp_path, [("compose_mood", {"mood": "calm", "key": "H", "seed": 1})])
    assert result.is_error
    cli = sh("mood calm --key H --seed 1", check=False).stderr.decode().strip()
    assert cli.startswith("mood: ") and cli in text(result)
    assert list(tmp_path.iterdir()) == []


def test_paths_outside_the_root_are_refused(tmp_path):
    root, outside = tmp_path / "root", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    os.symlink(outside, root / "link")
    results = session(root, [
        ("compose_mood", {"mood": "calm", "seconds": 1, "seed": 1, "format": "mid",
                          "out": "link/b.mid"}),
        ("run_pipeline", {"pipeline": "seed 1 | motif | viz --svg link/d.svg"}),
        ("render", {"stream": NOTE, "out": "link/f.wav"}),
        ("compose_mood", {"mood": "calm", "seconds": 1, "seed": 1, "format": "mid",
                          "out": "inside.mid"}),
    ])
    for result in results[:-1]:
        assert result.is_error
        assert "outside the server's folder" in text(result), text(result)
    refused = session(root, [
        ("compose_mood", {"mood": "calm", "seconds": 1, "seed": 1, "out": "../escape.wav"}),
        ("compose_mood", {"mood": "calm", "seconds": 1, "seed": 1, "out": str(outside / "a.wav")}),
        ("run_pipeline", {"pipeline": "seed 1 | motif | to-midi --out ../c.mid"}),
        ("run_pipeline", {"pipeline": f"from-midi {outside}/e.mid"}),
        ("analyze", {"midi": "../g.mid"}),
    ])
    for result in refused:
        assert result.is_error and "\n" not in text(result), text(result)
    assert not results[-1].is_error
    assert list(outside.iterdir()) == [] and not (tmp_path / "escape.wav").exists()
    assert not (tmp_path / "c.mid").exists()
    assert sorted(p.name for p in root.iterdir()) == ["inside.mid", "link"]


def _everything(top) -> dict[str, bytes]:
    out = {}
    for folder, _, names in os.walk(top):
        for n in names:
            path = os.path.join(folder, n)
            out[os.path.relpath(path, top)] = open(path, "rb").read()
    return out


def test_started_in_a_home_folder_no_call_can_write_a_dot_file(tmp_path):
    """No --root, started in a folder holding .bashrc: the server works in its own folder
    under XDG_DATA_HOME, and no call writes .bashrc or any dot-file anywhere."""
    home, data = tmp_path / "home", tmp_path / "data"
    home.mkdir()
    (home / ".bashrc").write_bytes(b"export PATH=$HOME/bin:$PATH\n")
    (home / "keep.wav").write_bytes(b"RIFF mine")
    before = _everything(home)
    bashrc = str(home / ".bashrc")
    tries = [
        ("compose_mood", {"mood": "calm", "seconds": 1, "seed": 1, "format": "mid",
                          "out": ".bashrc"}),
        ("compose_mood", {"mood": "calm", "seconds": 1, "seed": 1, "out": "../../home/.bashrc"}),
        ("compose_mood", {"mood": "calm", "seconds": 1, "seed": 1, "format": "mid",
                          "out": bashrc}),
        ("compose_mood", {"mood": "calm", "seconds": 1, "seed": 1, "format": "mid",
                          "out": ".hidden.mid"}),
        ("compose_mood", {"mood": "calm", "seconds": 1, "seed": 1, "format": "jsonl",
                          "out": "notes.sh"}),
        ("compose_mood", {"mood": "calm", "seconds": 1, "seed": 1, "inline": True,
                          "out": "keep.wav"}),
        ("run_pipeline", {"pipeline": "seed 1 | motif --name '$(rm -rf ~)' | "
                                      "to-midi --out .bashrc"}),
        ("run_pipeline", {"pipeline": f"seed 1 | motif | to-midi --out={bashrc}"}),
        ("run_pipeline", {"pipeline": "seed 1 | motif | to-midi --out sub/.x.mid"}),
        ("run_pipeline", {"pipeline": "seed 1 | motif | to-midi --split .config"}),
        ("run_pipeline", {"pipeline": "seed 1 | motif | viz --svg .x.svg"}),
        ("run_pipeline", {"pipeline": "seed 1 | motif | analyze --json .bashrc"}),
        ("run_pipeline", {"pipeline": "mood calm --duration 1 --seed 1 --out .bashrc.mid"}),
        ("run_pipeline", {"pipeline": "seed 1 | motif | to-midi --out 'a\x1b[2J.mid'"}),
        ("run_pipeline", {"pipeline": "seed 1 | motif | to-midi --out " + "a" * 300 + ".mid"}),
        ("run_pipeline", {"pipeline": "seed 1 | motif | to-midi --out tune.sh"}),
        ("run_pipeline", {"pipeline": "from-midi .bashrc"}),
        ("render", {"stream": NOTE, "out": ".bashrc.wav"}),
        ("analyze", {"midi": ".bashrc"}),
    ]
    results = session(None, ["instructions"] + tries, cwd=home, data=data)
    own = data / "musicpipe" / "mcp"
    assert str(own) in results[0] and str(home) + " " not in results[0]
    for call, result in zip(tries, results[1:]):
        assert result.is_error, call
        message = text(result)
        assert "\n" not in message and len(message) < 400, message
    assert _everything(home) == before  # .bashrc and keep.wav byte for byte, nothing new
    assert _everything(own) == {}
    [ok] = session(None, [("run_pipeline", {"pipeline": "seed 1 | motif | to-midi --out a.mid"})],
                   cwd=home, data=data)
    assert not ok.is_error and (own / "a.mid").exists() and _everything(home) == before
    for folder, dirs, names in os.walk(tmp_path):
        assert not [n for n in dirs + names if n.startswith(".") and n != ".bashrc"], folder


@needs_font
def test_render_reports_the_real_mime_type(tmp_path):
    results = session(tmp_path, [("render", {"stream": NOTE, "out": f"n.{ext}", "length": 1})
                                 for ext in ("wav", "flac", "ogg", "mp3")])
    magic = {"wav": b"RIFF", "flac": b"fLaC", "ogg": b"OggS", "mp3": b"ID3"}
    mime = {"wav": "audio/wav", "flac": "audio/flac", "ogg": "audio/ogg", "mp3": "audio/mpeg"}
    for ext, result in zip(magic, results):
        assert not result.is_error, text(result)
        assert data(result)["mime"] == mime[ext]
        head = (tmp_path / f"n.{ext}").read_bytes()[:4]
        assert head.startswith(magic[ext]) or (ext == "mp3" and head[:2] == b"\xff\xfb")


@needs_font
def test_render_analyze_and_the_lists(tmp_path):
    stream = sh("seed 3 | motif --notes 8 --bpm 120").stdout.decode()
    rendered, report, instruments, drums, scales = session(tmp_path, [
        ("render", {"stream": stream, "out": "m.wav", "length": 2}),
        ("analyze", {"stream": stream, "wav": "m.wav", "key": "C"}),
        ("list_instruments", {}), ("list_drums", {}), ("list_scales", {}),
    ])
    assert not report.is_error, text(report)
    shell = sh(f"analyze --json - --wav {tmp_path}/m.wav --key C", input=stream).stdout
    import orjson

    # analyze's report is also structured content: the one tool whose answer is read as data
    assert report.structured_content == json.loads(report.content[0].text) == orjson.loads(shell)
    assert report.structured_content["loudness"]["integrated_lufs"] < 0
    assert not rendered.is_error, text(rendered)
    sh(f"to-wav --out {tmp_path}/shell.wav --length 2", input=stream)
    assert (tmp_path / "m.wav").read_bytes() == (tmp_path / "shell.wav").read_bytes()
    programs = data(instruments)["result"]
    assert len(programs) == 128 and "strings" in programs[48]["aliases"]
    kits = data(drums)["result"]
    assert any(d["key"] == 36 and "kick" in d["aliases"] for d in kits)
    names = [s["name"] for s in data(scales)["result"]]
    assert "dorian" in names and len(names) == len(set(names)) >= 30


def test_run_pipeline_runs_stages_only(tmp_path):
    results = session(tmp_path, [("run_pipeline", {"pipeline": p}) for p in (
        "seed 1; rm -rf x", "seed 1 | sh -c 'echo hi'", "seed 1 > x.jsonl", "mcp --root /")])
    for result in results:
        assert result.is_error and "pipeline: " in text(result), text(result)
    assert list(tmp_path.iterdir()) == []


def test_a_cheap_call_does_not_wait_behind_a_long_one_which_can_be_cancelled(tmp_path):
    """A 10-minute piece is composed while run_pipeline answers; then the piece is cancelled
    (the client sends notifications/cancelled): no file is left, and the server goes on."""
    async def main():
        order = []
        async with Client(params(tmp_path)) as client:
            async with anyio.create_task_group() as tg:
                async def long():
                    with anyio.CancelScope() as scope:
                        long.scope = scope
                        await client.call_tool("compose_mood", {"mood": "calm", "seconds": 600,
                                                                "seed": 1, "format": "wav"})
                        order.append("long")

                tg.start_soon(long)
                quick = await client.call_tool("run_pipeline", {"pipeline": "seed 5 | motif"})
                order.append("quick")
                long.scope.cancel()
            after = await client.call_tool("run_pipeline", {"pipeline": "seed 6 | motif"})
        return order, quick, after

    order, quick, after = anyio.run(main)
    assert order == ["quick"] and not quick.is_error and not after.is_error
    assert sorted(os.listdir(tmp_path)) == []  # no piece, no temporary file


# Text options that name no file. A new text option must be added here or be seen as a file
# (click.Path/File, or FILE in its metavar): otherwise the server would not confine it.
NOT_FILES = {"motif": {"base", "dur", "root", "mode", "patch", "at", "name", "time_sig"},
             "seq": {"notation", "time_sig", "patch", "at", "name"},
             "euclid": {"note", "step", "patch", "at", "name", "time_sig"},
             "chords": {"at", "base", "chords_text", "key", "name", "patch", "time_sig"},
             "bass": {"at", "base", "chords_text", "key", "name", "patch", "time_sig"},
             "scale": {"root", "mode", "key"}, "humanize": {"timing", "velocity", "length"},
             "to-midi": {"title"}, "mood": {"name", "key", "show"}, "analyze": {"key"},
             "section": {"name", "at"}, "from-midi": {"grid"}, "mix": {"pan", "expression"},
             "quantize": {"grid", "tracks"}, "click": {"accent", "at", "name", "note", "patch", "time_sig"},
             "to-musicxml": {"grid", "title"}}


def test_every_file_option_is_known_to_the_confinement():
    import click

    from musicpipe.pipeline import file_params
    from musicpipe.umbrella import STAGES, _module

    seen = set()
    for stage in STAGES:
        command = _module(stage).command
        files = file_params(command)
        text = {p.name for p in command.params
                if isinstance(p.type, click.types.StringParamType) and p.name not in files}
        assert text == NOT_FILES.get(stage, set()), stage
        seen |= {(stage, shown) for shown in files.values()}
    assert seen == set(FILE_OPTIONS)  # each file option is a read, a write or a folder


@pytest.mark.parametrize("name", ["a.mid", "sub/a.wav", "é-ü.flac", "x" * 96 + ".mp3"])
def test_plain_names_are_accepted(tmp_path, name):
    from musicpipe.mcpfiles import Folder

    (tmp_path / "sub").mkdir()
    assert Folder(str(tmp_path)).check(name, "write", "out") == str(tmp_path / name)


def test_the_umbrella_lists_the_commands():
    out = sh("musicpipe --help").stdout.decode()
    assert "  mcp " in out and "  batch " in out
    help = sh("musicpipe mcp --help").stdout
    assert b"--root DIR" in help and b"XDG_DATA_HOME" in help


def test_a_folder_that_cannot_be_made_is_one_line_and_exit_73(tmp_path):
    (tmp_path / "file").write_text("")
    proc = sh(f"musicpipe mcp --root {tmp_path}/file/sub", check=False)
    assert proc.returncode == 73
    assert proc.stderr.decode().count("\n") == 1 and "server's folder" in proc.stderr.decode()


@needs_font
def test_inline_audio_over_the_limit_becomes_a_new_file(tmp_path):
    from musicpipe.mcptools import INLINE_MAX

    (tmp_path / "calm-1.wav").write_bytes(b"mine")
    [big] = session(tmp_path, [("compose_mood", {"mood": "calm", "seconds": 30, "seed": 1,
                                                 "inline": True})])
    got = data(big)
    assert not big.is_error and got["inline"] is False and got["bytes"] > INLINE_MAX
    assert [b.type for b in big.content] == ["text", "image"] and str(INLINE_MAX) in got["note"]
    assert got["path"] == "calm-1-2.wav" and (tmp_path / "calm-1.wav").read_bytes() == b"mine"
    assert (tmp_path / got["path"]).stat().st_size == got["bytes"]


def test_run_pipeline_returns_a_printed_file_as_media(tmp_path):
    """A file printed to stdout comes back as media; `-` where a stage would make a file of
    that name (viz --svg -) is refused like any name without musicpipe's extensions."""
    midi, report, dash = session(tmp_path, [
        ("run_pipeline", {"pipeline": "seed 1 | motif | to-midi --out -"}),
        ("run_pipeline", {"pipeline": "seed 1 | motif | analyze --json -"}),
        ("run_pipeline", {"pipeline": "seed 1 | motif | viz --svg -"})])
    audio = payload(midi)
    assert (audio.type, audio.mime_type) == ("audio", "audio/midi")
    assert base64.b64decode(audio.data) == sh("seed 1 | motif | to-midi").stdout
    assert payload(report).text == sh("seed 1 | motif | analyze --json -").stdout.decode()
    assert dash.is_error and "viz --svg -: give a file ending in" in text(dash)
    assert os.listdir(tmp_path) == []


SCENE = ROOT / "examples" / "scene.toml"


def scene() -> dict:
    import tomllib

    return tomllib.loads(SCENE.read_text())


def test_the_score_tools_take_the_plans_own_schema(tmp_path):
    from musicpipe.scoring.plan import HIT_KINDS, Hit, Plan, Region

    [tools] = session(tmp_path, ["list"])
    by_name = {t.name: t for t in tools}
    for name in ("compose_score", "check_score"):
        schema = by_name[name].input_schema
        plan = schema["properties"]["plan"]
        assert "$ref" not in json.dumps(plan) and schema["required"] == ["plan"]
        assert list(plan["properties"]) == list(Plan.__struct_fields__)
        region = plan["properties"]["region"]["items"]
        assert list(region["properties"]) == list(Region.__struct_fields__)
        hit = plan["properties"]["hit"]["items"]
        assert sorted(hit["properties"]["kind"]["enum"]) == sorted(HIT_KINDS)
        assert set(Hit.__struct_fields__) == set(hit["properties"])
        assert plan["properties"]["duration"]["maximum"] == max_seconds()  # not the CLI's 3600
    props = by_name["compose_score"].input_schema["properties"]
    assert set(props) == {"plan", "seed", "format", "out", "inline"}
    assert props["format"] == by_name["compose_mood"].input_schema["properties"]["format"]
    assert by_name["check_score"].annotations.read_only_hint


@needs_font
def test_compose_score_plays_the_60_s_scene_as_the_cli_does(tmp_path):
    """examples/scene.toml as JSON: its timeline is `score --check --json`'s, its .mid the
    CLI's bytes, its WAV exactly 60.000 s, its stream (inline) the CLI's stream."""
    import wave

    root = tmp_path / "root"
    plan = scene()
    checked, mid, wav, stream = session(root, [
        ("check_score", {"plan": plan}),
        ("compose_score", {"plan": plan, "out": "scene.mid"}),
        ("compose_score", {"plan": plan, "format": "wav"}),
        ("compose_score", {"plan": plan, "format": "jsonl", "inline": True, "seed": 8}),
    ])
    assert not checked.is_error, text(checked)
    report = json.loads(sh(f"score --check {SCENE} --json").stdout)
    assert checked.structured_content == report == json.loads(checked.content[0].text)
    assert [r["name"] for r in report["regions"]] == ["calm", "suspense", "finale"]
    assert not mid.is_error, text(mid)
    assert data(mid)["path"] == "scene.mid" and data(mid)["seed"] == 7
    sh(f"score {SCENE} --out {tmp_path}/cli.mid")
    assert (root / "scene.mid").read_bytes() == (tmp_path / "cli.mid").read_bytes()
    assert not wav.is_error, text(wav)
    assert data(wav)["path"] == "score-7.wav" and data(wav)["duration"] == 60
    with wave.open(str(root / "score-7.wav")) as w:
        assert w.getnframes() / w.getframerate() == 60.000
    assert [b.type for b in wav.content] == ["text", "image"]  # a file and its piano roll
    assert payload(stream).text.encode() == sh(f"score {SCENE} --seed 8").stdout
    assert sorted(p.name for p in root.iterdir()) == ["scene.mid", "score-7.wav"]


def test_a_bad_plan_is_one_line_naming_the_field(tmp_path):
    plan = scene()
    plan["duration"] = 40
    plan["region"][2]["at"] = 45
    unknown = {**scene(), "regions": []}
    long = {**scene(), "duration": 4000}
    results = session(tmp_path, [
        ("compose_score", {"plan": plan, "out": "x.wav"}),
        ("check_score", {"plan": plan}),
        ("compose_score", {"plan": unknown}),
        ("check_score", {"plan": {**scene(), "hit": [{"at": 12, "kind": "boom"}]}}),
        ("compose_score", {"plan": long, "format": "mid"}),
        ("compose_score", {"plan": "duration = 60"}),
    ])
    for result in results:
        assert result.is_error and "\n" not in text(result), text(result)
    assert text(results[0]) == "compose_score: plan: region[2].at: 45 is past duration 40"
    assert text(results[1]) == "check_score: plan: region[2].at: 45 is past duration 40"
    assert text(results[2]).startswith("compose_score: plan: regions: unknown field; did you "
                                       "mean region?")
    assert text(results[3]) == ('check_score: plan: hit[0].kind: "boom": not one of accent, '
                                'stop, stinger, riser-to')
    assert text(results[4]) == (f"compose_score: plan: duration: 4000 is more than the "
                                f"{max_seconds()} s this server composes")
    assert text(results[5]).startswith("compose_score: plan: ")
    assert list(tmp_path.iterdir()) == []

"""`musicpipe mcp`: driven by the mcp SDK's own stdio client, as an agent's client would.

Each test starts the real server (`musicpipe mcp --root DIR`) as a process and talks
JSON-RPC to it over its stdin/stdout; files are compared with what the shell writes.
"""

from __future__ import annotations

import base64
import os

import anyio
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from musicpipe.events import MAX_SEED
from musicpipe.moods.packs import Library
from tests.conftest import BIN, ENV, sh


def session(root, calls):
    """Run ``calls`` ((tool, arguments) pairs, or "list") in one server session."""
    async def main():
        params = StdioServerParameters(command=str(BIN / "musicpipe"),
                                       args=["mcp", "--root", str(root)], env=ENV)
        out = []
        async with Client(params) as client:
            for call in calls:
                if call == "list":
                    out.append((await client.list_tools()).tools)
                else:
                    out.append(await client.call_tool(*call))
        return out

    return anyio.run(main)


def text(result) -> str:
    return " ".join(c.text for c in result.content if c.type == "text")


def test_tools_and_their_schemas_come_from_the_clis_tables(tmp_path):
    [tools] = session(tmp_path, ["list"])
    by_name = {t.name: t for t in tools}
    assert set(by_name) == {"list_moods", "compose_mood", "run_pipeline", "render", "analyze",
                            "list_instruments", "list_drums", "list_scales"}
    props = by_name["compose_mood"].input_schema["properties"]
    assert props["mood"]["enum"] == Library().names()
    assert (props["seconds"]["minimum"], props["seconds"]["maximum"]) == (0.5, 3600)
    assert props["format"]["enum"] == ["wav", "mid", "jsonl"]
    seed = next(s for s in props["seed"]["anyOf"] if s["type"] == "integer")
    assert seed["maximum"] == MAX_SEED
    intensity = next(s for s in props["intensity"]["anyOf"] if s["type"] == "integer")
    assert (intensity["minimum"], intensity["maximum"]) == (0, 100)
    assert all(t.description for t in tools)


def test_compose_mood_to_wav_and_midi_gives_the_clis_bytes(tmp_path):
    root = tmp_path / "root"
    wav, mid, inline, listed = session(root, [
        ("compose_mood", {"mood": "calm", "seconds": 3, "seed": 7}),
        ("compose_mood", {"mood": "jazz", "seconds": 2, "seed": 1, "key": "F",
                          "format": "mid", "out": "sub/../jazz.mid"}),
        ("compose_mood", {"mood": "jazz", "seconds": 2, "seed": 1, "key": "F",
                          "format": "mid", "inline": True}),
        ("list_moods", {}),
    ])
    assert not wav.is_error, text(wav)
    assert wav.structured_content["path"] == "calm-7.wav"
    assert wav.structured_content["seed"] == 7 and wav.structured_content["notes"] > 0
    sh(f"mood calm --duration 3 --seed 7 --out {tmp_path}/calm.wav")
    assert (root / "calm-7.wav").read_bytes() == (tmp_path / "calm.wav").read_bytes()

    assert not mid.is_error, text(mid)
    assert mid.structured_content["path"] == "jazz.mid"
    sh(f"mood jazz --duration 2 --seed 1 --key F --out {tmp_path}/jazz.mid")
    expected = (tmp_path / "jazz.mid").read_bytes()
    assert (root / "jazz.mid").read_bytes() == expected
    assert base64.b64decode(inline.structured_content["base64"]) == expected
    assert sorted(p.name for p in root.iterdir()) == ["calm-7.wav", "jazz.mid"]  # inline left none

    names = [m["name"] for m in listed.structured_content["moods"]]
    assert names == Library().names()


def test_run_pipeline_gives_the_shells_stream_and_files(tmp_path):
    root = tmp_path / "root"
    pipeline = "seed 42 | motif --notes 16 | scale --root D --mode dorian"
    stream, to_file, bad_stage = session(root, [
        ("run_pipeline", {"pipeline": pipeline}),
        ("run_pipeline", {"pipeline": pipeline + " | to-midi --out tune.mid"}),
        ("run_pipeline", {"pipeline": "seed 1 | motif --notes 0"}),
    ])
    assert stream.structured_content["stream"].encode() == sh(pipeline).stdout
    assert stream.structured_content["seed"] == 42
    assert to_file.structured_content["files"] == ["tune.mid"]
    sh(f"{pipeline} | to-midi --out {tmp_path}/tune.mid")
    assert (root / "tune.mid").read_bytes() == (tmp_path / "tune.mid").read_bytes()
    assert bad_stage.is_error
    cli = sh("motif --notes 0", check=False).stderr.decode().strip()
    assert cli in text(bad_stage)


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
        ("compose_mood", {"mood": "calm", "seconds": 1, "seed": 1, "out": "../escape.wav"}),
        ("compose_mood", {"mood": "calm", "seconds": 1, "seed": 1, "out": str(outside / "a.wav")}),
        ("compose_mood", {"mood": "calm", "seconds": 1, "seed": 1, "format": "mid",
                          "out": "link/b.mid"}),
        ("run_pipeline", {"pipeline": "seed 1 | motif | to-midi --out ../c.mid"}),
        ("run_pipeline", {"pipeline": "seed 1 | motif | viz --svg link/d.svg"}),
        ("run_pipeline", {"pipeline": f"from-midi {outside}/e.mid"}),
        ("render", {"stream": '{"type":"Note","t":0,"dur":480,"ch":0,"key":60,"vel":90}\n',
                    "out": "link/f.wav"}),
        ("analyze", {"midi": "../g.mid"}),
        ("compose_mood", {"mood": "calm", "seconds": 1, "seed": 1, "format": "mid",
                          "out": "inside.mid"}),
    ])
    for result in results[:-1]:
        assert result.is_error
        assert "outside the server's folder" in text(result), text(result)
    assert not results[-1].is_error
    assert list(outside.iterdir()) == [] and not (tmp_path / "escape.wav").exists()
    assert not (tmp_path / "c.mid").exists()
    assert sorted(p.name for p in root.iterdir()) == ["inside.mid", "link"]


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

    assert report.structured_content == orjson.loads(shell)
    assert report.structured_content["loudness"]["integrated_lufs"] < 0
    assert not rendered.is_error, text(rendered)
    sh(f"to-wav --out {tmp_path}/shell.wav --length 2", input=stream)
    assert (tmp_path / "m.wav").read_bytes() == (tmp_path / "shell.wav").read_bytes()
    programs = instruments.structured_content["result"]
    assert len(programs) == 128 and "strings" in programs[48]["aliases"]
    assert any(d["key"] == 36 and "kick" in d["aliases"] for d in drums.structured_content["result"])
    names = [s["name"] for s in scales.structured_content["result"]]
    assert "dorian" in names and len(names) == len(set(names)) >= 30


def test_run_pipeline_runs_stages_only(tmp_path):
    results = session(tmp_path, [("run_pipeline", {"pipeline": p}) for p in (
        "seed 1; rm -rf x", "seed 1 | sh -c 'echo hi'", "seed 1 > x.jsonl", "mcp --root /")])
    for result in results:
        assert result.is_error and "pipeline: " in text(result), text(result)
    assert list(tmp_path.iterdir()) == []


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

    for stage in STAGES:
        command = _module(stage).command
        files = file_params(command)
        text = {p.name for p in command.params
                if isinstance(p.type, click.types.StringParamType) and p.name not in files}
        assert text == NOT_FILES.get(stage, set()), stage
    assert set(file_params(_module("to-wav").command)) == {"out", "midi_path", "mid_path",
                                                           "soundfont", "stems"}


def test_the_umbrella_lists_the_commands():
    out = sh("musicpipe --help").stdout.decode()
    assert "  mcp " in out and "  batch " in out
    assert b"--root DIR" in sh("musicpipe mcp --help").stdout

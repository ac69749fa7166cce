"""`musicpipe mcp` driven by the official MCP Inspector's CLI (`mcp-inspector --cli`).

bin/setup --test installs the Inspector with npm into .venv/inspector; where it could not
(no npm, no network) these tests are skipped and say so.
"""

from __future__ import annotations

import hashlib
import json
import subprocess

import pytest

from musicpipe.moods.packs import Library
from tests.conftest import BIN, ENV, ROOT, sh

INSPECTOR = ROOT / ".venv" / "inspector" / "node_modules" / ".bin" / "mcp-inspector"
pytestmark = pytest.mark.skipif(
    not INSPECTOR.exists(), reason="the MCP Inspector is not installed: bin/setup --test "
                                   "installs it with npm (needs nodejs, npm and the network)")


def inspector(root, method: str, *args: str, cwd=None, env=None) -> dict:
    """The Inspector's JSON answer for one request to a server it starts itself."""
    server = [str(BIN / "musicpipe"), "mcp"] + ([] if root is None else ["--root", str(root)])
    proc = subprocess.run([str(INSPECTOR), "--cli", *server, "--method", method, *args],
                          capture_output=True, env={**ENV, **(env or {})}, cwd=cwd, timeout=300)
    assert proc.returncode == 0, proc.stderr.decode()[-2000:]
    return json.loads(proc.stdout)


def text(answer: dict) -> str:
    return " ".join(c["text"] for c in answer["content"] if c["type"] == "text")


def test_the_inspector_lists_the_tools_and_their_limits(tmp_path):
    tools = {t["name"]: t for t in inspector(tmp_path, "tools/list")["tools"]}
    assert len(tools) == 26  # 8 to compose, render and look up; describe, write_notes, 14 edit_,
    # compose_score and check_score
    schema = tools["compose_mood"]["inputSchema"]
    assert schema["additionalProperties"] is False
    assert schema["properties"]["mood"]["enum"] == Library().names()


def test_the_inspector_sees_the_notes_promises(tmp_path):
    """Started in a folder holding .bashrc with no --root: nothing there is written;
    {"duration": 3} names seconds; inline never writes out; `mood --list` is returned."""
    home, data = tmp_path / "home", tmp_path / "data"
    home.mkdir()
    (home / ".bashrc").write_bytes(b"alias ls='ls -F'\n")
    (home / "keep.wav").write_bytes(b"RIFF mine")
    sums = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in home.iterdir()}
    env = {"XDG_DATA_HOME": str(data)}

    def call(tool: str, *args: str) -> dict:
        tool_args = [a for arg in args for a in ("--tool-arg", arg)]
        return inspector(None, "tools/call", "--tool-name", tool, *tool_args, cwd=home, env=env)

    duration = call("compose_mood", "mood=calm", "duration=3")
    assert duration["isError"] and "'duration'" in text(duration)
    assert "seconds" in text(duration).split("(arguments:")[1]
    inline = call("compose_mood", "mood=calm", "seconds=1", "seed=1", "inline=true",
                  "out=keep.wav")
    assert inline["isError"]
    dot = call("run_pipeline", "pipeline=seed 1 | motif | to-midi --out .bashrc")
    assert dot["isError"] and "dot" in text(dot)
    listed = call("run_pipeline", "pipeline=mood --list")
    assert not listed.get("isError")
    assert listed["content"][1]["text"] == sh("mood --list").stdout.decode()
    assert {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in home.iterdir()} == sums

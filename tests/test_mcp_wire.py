"""`musicpipe mcp` on the raw wire: every line gets an answer, and nothing stalls it.

The real server process, fed JSON-RPC lines through a pipe as a client (or a broken one)
would write them: malformed lines, bad params, a 60 MB request, a request for a 60 MB
stream, and generated lines (``FUZZ_SCALE`` multiplies the default volume).
"""

from __future__ import annotations

import json
import os
import queue
import random
import subprocess
import threading

import pytest

from musicpipe.mcptools import TEXT_MAX
from musicpipe.mcpwire import LINE_MAX
from tests.conftest import BIN, ENV

WAIT = 120.0
"""Seconds before a missing answer counts as a hang (generous: the machine is shared)."""


class Wire:
    """The server as a process, a line at a time: ``send`` a line, ``reply`` the next."""

    def __init__(self, root, cwd=None, args=()):
        self.proc = subprocess.Popen([str(BIN / "musicpipe"), "mcp", "--root", str(root), *args],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, env=ENV, cwd=cwd)
        self.lines: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.request("initialize", {"protocolVersion": "2025-06-18", "capabilities": {},
                                    "clientInfo": {"name": "test", "version": "1"}}, rid=0)
        self.send(json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}))

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def send(self, line: str | bytes) -> None:
        self.proc.stdin.write(line if isinstance(line, bytes) else line.encode())
        self.proc.stdin.write(b"\n")
        self.proc.stdin.flush()

    def reply(self) -> tuple[dict, int]:
        """The next reply and its size in bytes; a test failure when none comes."""
        try:
            line = self.lines.get(timeout=WAIT)
        except queue.Empty:
            pytest.fail(f"no reply in {WAIT} s")
        assert line is not None, "the server ended"
        return json.loads(line), len(line)

    def request(self, method: str, params: dict | None = None, rid: int = 1) -> dict:
        message = {"jsonrpc": "2.0", "id": rid, "method": method}
        if params is not None:
            message["params"] = params
        self.send(json.dumps(message))
        answer, _ = self.reply()
        assert answer["id"] == rid, answer
        return answer

    def call(self, tool: str, arguments: dict, rid: int = 1) -> dict:
        return self.request("tools/call", {"name": tool, "arguments": arguments}, rid)

    def close(self) -> int:
        self.proc.stdin.close()
        return self.proc.wait(timeout=WAIT)


@pytest.fixture
def wire(tmp_path):
    w = Wire(tmp_path)
    yield w
    assert w.close() == 0


BAD_LINES = [  # (line, JSON-RPC error code, the id the reply names)
    ("not json", -32700, None),
    ('{"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {', -32700, None),
    ("[1, 2]", -32600, None),
    ("42", -32600, None),
    ('{"id": 4}', -32600, 4),
    ('{"jsonrpc": "1.0", "id": "a", "method": "ping"}', -32600, "a"),
    ('{"jsonrpc": "2.0", "id": 5, "method": 7}', -32600, 5),
    ('{"jsonrpc": "2.0", "id": 6, "method": "tools/call", "params": 5}', -32600, 6),
    ('{"jsonrpc": "2.0", "id": [7], "method": "ping"}', -32600, None),
    ('{"jsonrpc": "2.0", "id": 8, "method": "tools/call", "params": {}}', -32602, 8),
    ('{"jsonrpc": "2.0", "id": 9, "method": "tools/call", "params": {"name": 1}}', -32602, 9),
    ('{"jsonrpc": "2.0", "id": 10, "method": "tools/call", "params": {"name": "nope"}}',
     -32602, 10),
    ('{"jsonrpc": "2.0", "id": 11, "method": "no/such/method"}', -32601, 11),
    (b'\xff\xfe{"jsonrpc"', -32700, None),
    ('{"jsonrpc": "2.0", "id": 12, "method": "ping", "params": {"x": "\\ud800"}}', -32600, 12),
]


def test_every_bad_line_gets_a_json_rpc_error(wire):
    for line, code, rid in BAD_LINES:
        wire.send(line)
        answer, _ = wire.reply()
        assert answer.get("id") == rid and answer["error"]["code"] == code, (line, answer)
        assert "\n" not in answer["error"]["message"]
    assert wire.request("ping", rid=99)["result"] == {}


def test_a_60_mb_request_is_refused_without_stalling_the_server(wire):
    huge = json.dumps({"jsonrpc": "2.0", "id": 12, "method": "tools/call", "params": {
        "name": "run_pipeline", "arguments": {"pipeline": "trim --bars 1",
                                              "input": "x" * (60 << 20)}}})
    assert len(huge) > LINE_MAX
    wire.send(huge)
    answer, _ = wire.reply()
    assert answer["id"] == 12 and answer["error"]["code"] == -32600
    assert "16 MiB" in answer["error"]["message"]
    after = wire.call("run_pipeline", {"pipeline": "seed 1 | motif"}, rid=13)
    assert not after["result"]["isError"]


def test_a_60_mb_stream_is_answered_with_a_file_and_the_next_call_works(wire, tmp_path):
    wire.send(json.dumps({"jsonrpc": "2.0", "id": 14, "method": "tools/call", "params": {
        "name": "run_pipeline", "arguments": {"pipeline": "seed 1 | motif --notes 1000000"}}}))
    answer, size = wire.reply()
    result = answer["result"]
    assert not result["isError"], result
    assert "structuredContent" not in result  # the data once, as JSON text
    data = json.loads(result["content"][0]["text"])
    assert size < 16 << 10 and data["inline"] is False  # a bounded answer: the path, no stream
    assert len(result["content"]) == 1
    stream = (tmp_path / data["path"]).read_bytes()
    assert len(stream) == data["bytes"] > 55 << 20 and data["bytes"] > TEXT_MAX
    assert data["path"] == "pipeline-output.jsonl" and stream.startswith(b'{"type":"Seed"')
    scales = wire.call("list_scales", {}, rid=15)["result"]["content"][0]["text"]
    assert json.loads(scales)["result"]


def _value(rng: random.Random, depth: int = 0):
    """A random JSON value: the kinds of things a confused client sends."""
    pool = [None, True, False, 0, -1, 1, 2, 0.5, 1e300, -7.25, 2**70, "", "calm", "x" * 300,
            "seed 1 | motif --notes 3", "mood --list", "../.bashrc", ".bashrc", "a.mid",
            "out.wav", "\u00e9\u0000\u202e", "{", "'", "$(rm -rf ~)", "\ud800"]
    roll = rng.random()
    if depth < 3 and roll < 0.12:
        return [_value(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    if depth < 3 and roll < 0.24:
        return {rng.choice(KEYS): _value(rng, depth + 1) for _ in range(rng.randint(0, 3))}
    return rng.choice(pool)


KEYS = ["mood", "seconds", "bars", "loop", "key", "tempo", "intensity", "seed", "format", "out",
        "inline", "pipeline", "input", "stream", "midi", "wav", "length", "normalize", "melody",
        "duration", "name", "arguments", "_meta", "x"]
TOOLS = ["compose_mood", "run_pipeline", "render", "analyze"] * 3 + [
    "list_moods", "list_scales", "list_drums", "list_instruments", "nope", ""]
METHODS = ["tools/call"] * 12 + ["tools/list", "ping", "initialize", "resources/list",
                                "prompts/get", "notifications/cancelled", "x", ""]
PIECES = ["seed 1", "motif --notes 3", "|", "to-midi --out a.mid", "--help", ".bashrc",
          "{", "}", ";", "'", "$(x)", "mood --list", "viz --svg ../a.svg", "scale --list",
          "trim --bars 1", "mood calm --duration 1 --seed 2 --out b.mid", "from-midi a.mid",
          "analyze --json -", "to-midi --split parts", "--out=.x.mid", "\\", "\n"]


NAMES = ["a.mid", "b.wav", "c.flac", "parts", ".bashrc", "../x.mid", "/etc/passwd", "a.sh",
         "sub/.x.mid", "nosuch/a.mid", "x" * 300 + ".mid", "\u00e9.mid", "a\u0007.mid", ""]
CHOICES = {  # (tool, argument): values worth trying; any other argument gets _value
    "pipeline": lambda rng: " ".join(rng.choice(PIECES) for _ in range(rng.randint(1, 6))),
    "mood": lambda rng: rng.choice(["calm", "jazz", "nope", "", 1]),
    "seconds": lambda rng: rng.choice([0.5, 1, 2, 0, -1, 601, "1", "x", None]),
    "bars": lambda rng: rng.choice([1, 0, 10000, 10001, "2", None]),
    "loop": lambda rng: rng.choice([True, False, "x", None]),
    "format": lambda rng: rng.choice(["mid", "jsonl", "wav", "flac", "x", None]),
    "out": lambda rng: rng.choice(NAMES), "midi": lambda rng: rng.choice(NAMES),
    "wav": lambda rng: rng.choice(NAMES),
    "key": lambda rng: rng.choice(["C", "Am", "D dorian", "H", "", None]),
    "seed": lambda rng: rng.choice([0, 1, 2**64 - 1, 2**64, -1, None]),
    "stream": lambda rng: rng.choice([NOTE, "", "junk", '{"type":"Note"}', NOTE * 3]),
    "input": lambda rng: rng.choice([NOTE, "", "junk"]),
    "length": lambda rng: rng.choice([0.5, 1, 0, 1e9, None]),
    "inline": lambda rng: rng.choice([True, False, "yes"]),
}
TOOL_ARGS = {"compose_mood": ["mood", "seconds", "bars", "loop", "key", "seed", "format", "out",
                              "inline"],
             "run_pipeline": ["pipeline", "pipeline", "input"],
             "render": ["out", "stream", "midi", "length"],
             "analyze": ["stream", "midi", "wav", "key"]}
NOTE = '{"type":"Note","t":0,"dur":480,"ch":0,"key":60,"vel":90}\n'


def _arguments(rng: random.Random, tool: str):
    """Mostly the tool's own arguments with values near their limits; sometimes anything."""
    if rng.random() < 0.1:
        return _value(rng)
    if tool in TOOL_ARGS and rng.random() < 0.7:
        names = set(rng.sample(TOOL_ARGS[tool], rng.randint(1, len(TOOL_ARGS[tool]))))
        return {n: CHOICES[n](rng) for n in names}
    return {rng.choice(KEYS): _value(rng) for _ in range(rng.randint(0, 4))}


def fuzz_line(rng: random.Random, rid: int) -> tuple[bytes, bool]:
    """A generated line and whether it carries ``rid`` (else the reply's id is null)."""
    roll = rng.random()
    if roll < 0.15:  # bytes, mostly not JSON; never blank (a blank line is skipped)
        junk = bytes(rng.randrange(256) for _ in range(rng.randint(1, 40))).replace(b"\n", b"")
        return b"!" + junk, False
    if roll < 0.25:
        return json.dumps(_value(rng)).encode(), False
    message = {"jsonrpc": "2.0", "id": rid, "method": rng.choice(METHODS)}
    if message["method"] == "tools/call":
        tool = rng.choice(TOOLS)
        message["params"] = {"name": tool, "arguments": _arguments(rng, tool)}
    elif rng.random() < 0.3:
        message["params"] = _value(rng)
    if rng.random() < 0.1:  # a broken envelope
        message[rng.choice(["jsonrpc", "method", "params"])] = _value(rng)
    line = json.dumps(message).encode()
    if rng.random() < 0.05:
        line = line[: rng.randrange(1, len(line))]  # cut short
        return line, False
    return line, True


def test_generated_lines_each_get_an_answer_and_the_server_goes_on(tmp_path):
    """FUZZ_SCALE=N multiplies the 300 lines of the default run."""
    count = 300 * int(os.environ.get("FUZZ_SCALE", "1"))
    root, home = tmp_path / "root", tmp_path / "home"
    home.mkdir()
    (home / ".bashrc").write_text("export A=1\n")
    wire = Wire(root, cwd=home)
    rng = random.Random(21)
    for n in range(count):
        rid = 1000 + n
        line, has_id = fuzz_line(rng, rid)
        wire.send(line)
        answer, _ = wire.reply()
        assert ("result" in answer) != ("error" in answer), (line, answer)
        if has_id:
            assert answer["id"] == rid, (line, answer)
        else:
            assert answer["id"] in (None, rid) and "error" in answer, (line, answer)
        if "error" in answer:
            assert "\n" not in answer["error"]["message"], (line, answer)
        elif answer["result"].get("isError"):
            assert "\n" not in answer["result"]["content"][0]["text"], (line, answer)
    assert wire.request("ping", rid=1)["result"] == {}
    assert wire.close() == 0
    assert os.listdir(home) == [".bashrc"]
    for folder, dirs, names in os.walk(root):
        assert not [n for n in dirs + names if n.startswith(".")], folder


def _children(pid: int) -> list[int]:
    with open(f"/proc/{pid}/task/{pid}/children") as f:
        return [int(p) for p in f.read().split()]


@pytest.mark.skipif(not os.path.exists("/proc/self/task"), reason="needs Linux /proc")
def test_workers_end_with_a_killed_server(tmp_path):
    import time

    wire = Wire(tmp_path)
    wire.send(json.dumps({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {
        "name": "compose_mood", "arguments": {"mood": "calm", "seconds": 600, "seed": 1}}}))
    deadline = time.monotonic() + WAIT
    while not (workers := _children(wire.proc.pid)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert workers
    wire.proc.kill()
    wire.proc.wait()
    deadline = time.monotonic() + WAIT
    while any(os.path.exists(f"/proc/{w}") and open(f"/proc/{w}/stat").read().split()[2] != "Z"
              for w in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    alive = [w for w in workers if os.path.exists(f"/proc/{w}")
             and open(f"/proc/{w}/stat").read().split()[2] != "Z"]
    assert alive == []


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not os.path.exists("/proc/self/task"), reason="needs Linux /proc")
def test_a_cancelled_call_ends_its_worker_and_leaves_no_file(wire, tmp_path):
    import time

    wire.send(json.dumps({"jsonrpc": "2.0", "id": 40, "method": "tools/call", "params": {
        "name": "compose_mood", "arguments": {"mood": "calm", "seconds": 600, "seed": 1}}}))
    deadline = time.monotonic() + WAIT
    while not os.listdir(tmp_path) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert os.listdir(tmp_path)  # the render has begun: the file claimed, a temporary one
    [worker] = _children(wire.proc.pid)
    wire.send(json.dumps({"jsonrpc": "2.0", "method": "notifications/cancelled",
                          "params": {"requestId": 40, "reason": "the user gave up"}}))
    deadline = time.monotonic() + WAIT
    while _alive(worker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(worker)
    assert wire.request("ping", rid=41)["id"] == 41  # and no answer for the cancelled call
    assert os.listdir(tmp_path) == []


@pytest.mark.skipif(not os.path.exists("/proc/self/task"), reason="needs Linux /proc")
def test_a_call_past_its_time_limit_is_stopped_and_its_worker_was_capped(tmp_path):
    import time

    wire = Wire(tmp_path, args=["--call-seconds", "2"])
    wire.send(json.dumps({"jsonrpc": "2.0", "id": 50, "method": "tools/call", "params": {
        "name": "compose_mood", "arguments": {"mood": "calm", "seconds": 600, "seed": 1}}}))
    deadline = time.monotonic() + WAIT
    while not (workers := _children(wire.proc.pid)) and time.monotonic() < deadline:
        time.sleep(0.05)

    def address_space() -> str:
        with open(f"/proc/{workers[0]}/limits") as f:
            return next(line for line in f if line.startswith("Max address space")).split()[3]

    while address_space() == "unlimited" and time.monotonic() < deadline:
        time.sleep(0.05)  # the worker sets its cap first thing
    assert address_space() != "unlimited"  # the worker's memory is capped below the machine's
    answer, _ = wire.reply()
    assert answer["id"] == 50 and answer["result"]["isError"]
    assert "stopped after 2 s" in answer["result"]["content"][0]["text"]
    assert not wire.call("list_scales", {}, rid=51)["result"].get("isError")
    after = wire.call("run_pipeline", {"pipeline": "seed 1 | motif"}, rid=52)
    assert not after["result"]["isError"]
    assert wire.close() == 0
    assert os.listdir(tmp_path) == []


def test_a_client_that_stops_reading_ends_the_server_quietly(tmp_path):
    proc = subprocess.Popen([str(BIN / "musicpipe"), "mcp", "--root", str(tmp_path)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=ENV)
    request = {"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {},
        "clientInfo": {"name": "test", "version": "1"}}}
    proc.stdin.write(json.dumps(request).encode() + b"\n")
    proc.stdin.flush()
    assert json.loads(proc.stdout.readline())["id"] == 0
    proc.stdout.close()  # the client goes away without a word
    try:
        for n in range(1, 4):
            line = json.dumps({"jsonrpc": "2.0", "id": n, "method": "tools/list"})
            proc.stdin.write(line.encode() + b"\n")
            proc.stdin.flush()
    except BrokenPipeError:  # it may have ended already
        pass
    assert proc.wait(timeout=WAIT) == 0
    assert proc.stderr.read() == b""


def test_lines_piped_in_all_get_answers_before_the_server_ends(tmp_path):
    """`cat requests | musicpipe mcp`: the end of input waits for the calls it holds."""
    lines = [json.dumps({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {},
        "clientInfo": {"name": "test", "version": "1"}}}),
        json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}),
        json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {
            "name": "run_pipeline", "arguments": {"pipeline": "seed 1 | motif --notes 2"}}}),
        "not json",
        json.dumps({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {
            "name": "list_drums", "arguments": {}}})]
    proc = subprocess.run([str(BIN / "musicpipe"), "mcp", "--root", str(tmp_path)],
                          input="\n".join(lines).encode() + b"\n", capture_output=True,
                          env=ENV, timeout=WAIT)
    assert proc.returncode == 0 and proc.stderr == b""
    answers = {a["id"]: a for a in map(json.loads, proc.stdout.splitlines())}
    assert sorted(answers, key=str) == [0, 1, 2, None]
    assert not answers[1]["result"]["isError"] and answers[None]["error"]["code"] == -32700

"""Generated hostile input for the agent surfaces (issue 21): `musicpipe batch` job files
(JSON Lines and TOML) and the studio's HTTP API.

Derandomized like tests/test_fuzz.py (the same inputs every run; FUZZ_SCALE=10 tries ten
times as many). The contract checked for every case:

- batch: the job file is read (``load``) to a job list or one JobError line; a file of a
  few small jobs is also run by the real command (in-process, one worker) and exits 0, 2,
  65, 69 or 73, every stderr line its own (``batch: ...``), never a traceback; a file that
  expands into more jobs is only read (rendering it is not the point, refusing it is);
- studio: every request gets a 2xx or 4xx answer (503 only for a missing SoundFont), JSON
  for the API, never a 500, within the 60 s alarm.
"""

from __future__ import annotations

import json

import orjson
import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import FUZZ_CODES, FUZZ_COUNTS
from tests.test_fuzz import _alarm, fuzz_settings

# --- batch job files -------------------------------------------------------------------------

VALUES = {
    "mood": ["calm", "jazz", "lofi", "nope", "", 3, ["calm"], ["calm", "lofi"], [], None,
             "calm\x00", ["calm", 1], {"a": 1}],
    "seconds": [0.5, 1, "5", -1, 0, 1e308, [0.5, 1], [], True, None, 3601, [1, "2"]],
    "bars": [1, 2, 0, 10001, 2.5, True, [1, 2], [], None, "4"],
    "loop": [True, False, 1, None, [True], "yes"],
    "key": ["C", "Am", "H", 5, ["C", "D"], None, "", "C\n#"],
    "tempo": [90, 0, -5, "fast", [80, 90], 1e9, None, 400.5],
    "intensity": [50, 5.5, 101, [0, 100], True, None, -1],
    "seed": [1, 0, -1, 2**64 - 1, 2**64, "1..2", "3..1", "1..100000000", "a..b", [1, 2], [],
             [1, [2]], " 1 .. 2 ", "0..99999999999999999999999", "1.5..2", 1.5],
    "pipeline": ["seed {seed} | motif --notes 4", "seed 1; ls", "seed 1 | to-midi --out x.mid",
                 "", 7, "{ seed 1; }", "motif --notes 3000000", "seed 1 | motif --bpm {tempo}",
                 "{ " * 40 + "seed 1" + "; }" * 40, "seed 1 | loop --times 100000",
                 "from-midi /etc/passwd", ["seed 1"], "seed 1 | motif --notes 4 | $(reboot)"],
    "name": ["a", "{seed}", "manifest", "MANIFEST", "x" * 300, "é" * 150, "a/b", ".hidden",
             "a\x00b", "a\nb", "", 5, "{nope}", "..", " a", "a\\b", "{mood}-{seed}", "\ud800"],
    "formats": [["mid"], ["jsonl"], ["jsonl", "mid"], [], ["ogg"], "mid", ["mid", "mid"], [1],
                None],
    "colour": [1],
}
VALID = {"mood": ["calm", "lofi", ["calm", "jazz"]], "seconds": [0.5, 1, [0.5, 1]],
         "bars": [1, [1, 2]], "loop": [True, False],
         "key": ["C", "Am", ["C", "D"]], "tempo": [90, 120.5], "intensity": [0, 50, 100],
         "seed": [1, "1..2", [3, 4], 2**64 - 1], "pipeline": ["seed {seed} | motif --notes 4"],
         "name": ["{mood}-{seed}", "job-{seed}", "ünïcode-{seed}"],
         "formats": [["mid"], ["jsonl", "mid"]], "colour": [1]}
RAW_JOB_LINES = [b"", b"# a comment", b"{", b"[1, 2]", b"null", b'"calm"', b"\xff\xfe",
                 b"[" * 3000 + b"]" * 3000, b'{"mood": "calm", "seed": 1e400}',
                 b'{"mood": "calm", "seconds": 1, "seconds": 2}', b"\x00"]


def _json(value) -> bytes:
    try:
        return orjson.dumps(value)
    except TypeError:  # past 64 bits: the stdlib writes it
        return json.dumps(value).encode()
    except orjson.JSONEncodeError:  # a lone surrogate: as an escape, the way a file holds it
        return json.dumps(value).encode()


@st.composite
def job(draw, toml: bool = False) -> dict:
    """A job: mood or pipeline (or both, or neither), and a few more fields."""
    fields = draw(st.lists(st.sampled_from(sorted(VALUES)), max_size=4, unique=True))
    kind = draw(st.sampled_from(["mood", "mood", "pipeline", "both", "neither"]))
    chosen = {"mood": ["mood"], "pipeline": ["pipeline"], "both": ["mood", "pipeline"],
              "neither": []}[kind]
    out = {}
    valid = draw(st.booleans())  # half the jobs are valid but for a field now and then
    for name in chosen + [f for f in fields if f not in ("mood", "pipeline")]:
        hostile = not valid or name == "colour" or draw(st.integers(0, 9)) == 0
        value = draw(st.sampled_from(VALUES[name] if hostile else VALID[name]))
        if not (toml and value is None):  # TOML has no null
            out[name] = value
    if draw(st.integers(0, 2)) and "seconds" not in out and "mood" in out:
        out["seconds"] = 0.5  # mostly short: valid jobs get rendered
    if "formats" not in out and draw(st.integers(0, 3)):
        out["formats"] = ["mid"]  # mostly no audio: keeps the run fast
    return out


@st.composite
def jsonl_file(draw) -> bytes:
    lines = []
    for _ in range(draw(st.integers(0, 3))):
        if draw(st.integers(0, 7)) == 0:
            lines.append(draw(st.one_of(st.sampled_from(RAW_JOB_LINES), st.binary(max_size=20))))
        else:
            lines.append(_json(draw(job())))
    return b"\n".join(lines) + b"\n"


def _toml(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a TOML basic string
    if isinstance(value, float) and value == float("inf"):
        return "inf"
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{json.dumps(k)} = {_toml(v)}" for k, v in value.items()) + " }"
    return repr(value)


@st.composite
def toml_file(draw) -> bytes:
    defaults = draw(job(toml=True))
    lines = [f"{k} = {_toml(v)}" for k, v in defaults.items() if k not in ("mood", "pipeline")]
    shape = draw(st.integers(0, 9))
    if shape == 0:
        lines.append(draw(st.sampled_from(["jobs = [1, 2]", 'jobs = "x"', "jobs = []",
                                           "[jobs]\nmood = \"calm\"",
                                           "jobs = [{ mood = \"calm\", formats = [\"mid\"] }]"])))
    else:
        for _ in range(draw(st.integers(0 if shape == 1 else 1, 3))):
            lines.append("[[jobs]]")
            lines += [f"{k} = {_toml(v)}" for k, v in draw(job(toml=True)).items()]
    text = "\n".join(lines) + "\n"
    if draw(st.integers(0, 9)) == 0:  # broken TOML now and then
        cut = draw(st.integers(0, len(text)))
        text = text[:cut] + draw(st.sampled_from(["[[", "= =", "\x00", "a = " + "[" * 3000, "é"]))
    return text.encode("utf-8", "surrogatepass")


def _small(jobs: list[dict]) -> bool:
    """Few and short enough to render inside a fuzz case."""
    return len(jobs) <= 3 and all(
        j.get("seconds", 8) <= 2 or "pipeline" in j for j in jobs)


def _batch_case(tmp_path, suffix: str, data: bytes) -> None:
    from musicpipe.batch import JobError, load
    from musicpipe.stages.batch import command

    path = tmp_path / f"jobs{suffix}"
    path.write_bytes(data)
    FUZZ_COUNTS["batch"] = FUZZ_COUNTS.get("batch", 0) + 1
    where = f"batch <<< {data[:300]!r}"
    with _alarm():
        try:
            jobs = load(str(path))
        except JobError as e:
            assert "\n" not in str(e) and len(str(e)) < 600, f"{where}: {str(e)[:300]!r}"
            jobs = None
        if jobs is not None and not _small(jobs):
            FUZZ_CODES[0] = FUZZ_CODES.get(0, 0) + 1  # read, checked; rendering it is not the point
            return
        out = tmp_path / "out"
        result = CliRunner().invoke(command, [str(path), "--out", str(out), "--jobs", "1"],
                                    env={"NO_COLOR": "1"}, catch_exceptions=True)
    FUZZ_CODES[result.exit_code] = FUZZ_CODES.get(result.exit_code, 0) + 1
    err = result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"{where}: raised {result.exception!r}")
    assert result.exit_code in {0, 2, 65, 69, 73}, f"{where}: exit {result.exit_code}: {err}"
    assert "Traceback" not in err and "internal error" not in err, f"{where}: {err}"
    lines = err.splitlines()
    assert lines and all(line.startswith("batch: ") for line in lines), f"{where}: {err!r}"
    if jobs is None:
        assert result.exit_code == 65 and len(lines) == 1, f"{where}: {err!r}"
    if result.exit_code == 0:
        names = {f"{j['name']}.{fmt}" for j in jobs for fmt in j["formats"]}
        assert names | {"manifest.jsonl"} <= {p.name for p in out.iterdir()}, where


def test_batch_jsonl_job_files(tmp_path_factory):
    @fuzz_settings(120)
    @given(data=jsonl_file())
    def case(data):
        _batch_case(tmp_path_factory.mktemp("batch"), ".jsonl", data)

    case()


def test_batch_toml_job_files(tmp_path_factory):
    @fuzz_settings(80)
    @given(data=toml_file())
    def case(data):
        _batch_case(tmp_path_factory.mktemp("batch"), ".toml", data)

    case()


# --- studio requests -------------------------------------------------------------------------

PORT = 8765
BASE = f"http://127.0.0.1:{PORT}"
ANY = [None, True, 0, -1, 1.5, 1e308, 2**63, "", "x" * 5000, [], {}, {"a": [1, {"b": 2}]},
       "calm", "\x00", "\ud800"]
PIPELINES = ["seed 1 | motif --notes 4", "motif --notes 1000000", "seed 1; ls", "",
             "{ " * 500 + "seed 1" + "; }" * 500, "seed 1 | loop --times 100000",
             "euclid --pulses 8 --steps 16 --repeat 100000", "seed 1 | to-midi --out x.mid",
             "seed 1 | motif | to-midi", "from-midi /etc/passwd", "mood --list", "seed --help",
             "x" * 4001, "seed 1 | motif --notes 4 | loop --bars 99999", "seed 1 | motif | viz",
             "seed 1 | motif --notes 8 | mix --sustain", "{ seed 1; motif --notes 4; }",
             "seed 1 | motif --notes 4 --bpm 20 | loop --times 500", "seq 'C4/1 *9'"]
PACKS = ['[[moods]]\nname = "fz"\nextends = "calm"\n', "a = " + "{b = " * 500 + "1" + "}" * 500,
         "a = " + "[" * 3000, '[[moods]]\nname = "fz"\ntempo = 99999999999999999999\n', "\x00",
         '[[moods]]\nname = "fz"\nextends = "fz"\n', ""]
PLANS = ['duration = 2\n[[region]]\nmood = "calm"\nat = 0\n',
         '{"duration": 2, "region": [{"mood": "lofi", "at": 0, "intensity": [[0, 0], [2, 100]]}]}',
         'duration = 700\n[[region]]\nmood = "calm"\nat = 0\n', "duration = 1e400",
         '{"duration": 601, "region": [{"mood": "calm", "at": 0}]}', "a = " + "[" * 3000,
         '{"region": ' + "[" * 5000 + "]" * 5000 + "}", "\x00", "", "[]",
         '{"duration": 3, "region": [' + ", ".join(f'{{"mood": "calm", "at": {i / 30}}}'
                                                   for i in range(65)) + "]}",
         '{"duration": 2, "region": [{"mood": "../../etc/passwd", "at": 0}], "seed": -1}',
         '{"duration": 2, "region": [{"mood": "calm", "at": 0, "key": "H#"}], "loop": true, '
         '"ending": "fade"}']
STUDIO_VALUES = {
    "mood": ["calm", "jazz", "nope", "Calm", "../calm"],
    "seconds": [0.5, 1, 601, -1, 0, "5", 1e308],
    "bars": [1, 0, 10001, 2.5, "2"],
    "loop": [True, False, "yes", 1],
    "key": ["C", "Am", "H", "", "C\n"],
    "tempo": [90, 0, 1e9, -1],
    "intensity": [0, 100, 101, 5.5],
    "seed": [1, 0, -1, 2**64 - 1, 2**64, 2**70],
    "name": ["fz", "../x", ".bashrc", "a" * 49, "", "fz.toml", "CON"],
    "replace": [True, False, "yes"],
    "id": ["nope", "../../etc", ""],
}
FIELDS = {"/api/render": ["mood", "seconds", "bars", "loop", "key", "tempo", "intensity", "seed"],
          "/api/pipeline": ["text"], "/api/stems": ["id"], "/api/packs/check": ["text", "name"],
          "/api/packs/save": ["name", "text", "replace"], "/api/score": ["text", "seed"],
          "/api/score/check": ["text"]}
ROUTES = [("GET", "/"), ("GET", "/static/studio.js"), ("GET", "/static/x"), ("GET", "/api/moods"),
          ("GET", "/api/moods/calm/toml"), ("GET", "/api/moods/%2e%2e/toml"),
          ("GET", "/api/packs"), ("GET", "/api/packs/fz"), ("GET", "/files/nope/wav"),
          ("PUT", "/api/render"), ("POST", "/api/moods"), ("GET", "/nowhere")]
ROUTES += [("POST", path) for path in FIELDS for _ in range(4)]  # where the work is
RAW_BODIES = [b"", b"{", b"[]", b"null", b'"x"', b"{" * 500 + b"}" * 500,
              b'{"a":' * 500 + b"1" + b"}" * 500, b"[" * 5000 + b"]" * 5000, b"\xff\xfe",
              b'{"text": "seed 1", "text": 2}', b'{"mood": "calm", "seconds": 1e400}',
              b'{"mood": "calm", "seed": 99999999999999999999999}', b"\x00" * 10]


@st.composite
def request(draw) -> tuple[str, str, dict, bytes]:
    method, path = draw(st.sampled_from(ROUTES))
    headers = {"content-type": draw(st.sampled_from(
        ["application/json"] * 6 + ["text/plain", "", "application/json; charset=latin-1"]))}
    if draw(st.integers(0, 9)) == 0:
        headers["origin"] = draw(st.sampled_from([BASE, "http://evil.example", "null"]))
    if draw(st.integers(0, 9)) == 0:
        headers["host"] = draw(st.sampled_from(["evil.example", f"localhost:{PORT}", ""]))
    if draw(st.integers(0, 7)) == 0:
        return method, path, headers, draw(st.one_of(st.sampled_from(RAW_BODIES),
                                                     st.binary(max_size=40)))
    own = FIELDS.get(path, [])
    names = [own[0]] if own and draw(st.integers(0, 5)) else []  # the required field, mostly
    names += draw(st.lists(st.sampled_from(own or sorted(STUDIO_VALUES)), max_size=3))
    if draw(st.integers(0, 7)) == 0:
        names.append(draw(st.sampled_from(sorted(STUDIO_VALUES) + ["bogus", "text"])))
    obj = {}
    for name in names:
        pool = (PIPELINES if path == "/api/pipeline" else PLANS if path.startswith("/api/score")
                else PACKS) if name == "text" else \
            STUDIO_VALUES.get(name, ANY)
        obj[name] = draw(st.sampled_from(pool) if draw(st.integers(0, 4)) else st.sampled_from(ANY))
    if path == "/api/render" and "seconds" not in obj:
        obj["seconds"] = 0.5  # no field is 8 s: keep renders short
    return method, path, headers, _json(obj)


@pytest.fixture
def studio_client(tmp_path, monkeypatch):
    from starlette.testclient import TestClient

    from musicpipe.studio.app import build

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    with TestClient(build(PORT, str(tmp_path / "renders")), base_url=BASE,
                    raise_server_exceptions=False) as client:
        yield client


def _studio_case(client, method: str, path: str, headers: dict, body: bytes) -> None:
    FUZZ_COUNTS["serve"] = FUZZ_COUNTS.get("serve", 0) + 1
    where = f"{method} {path} {headers} {body[:200]!r}"
    with _alarm():
        response = client.request(method, path, content=body, headers=headers)
    FUZZ_CODES[response.status_code] = FUZZ_CODES.get(response.status_code, 0) + 1
    status = response.status_code
    assert status < 500 or status == 503, f"{where}: {status} {response.text[:300]}"
    assert "Traceback" not in response.text, where
    if path.startswith("/api") or status >= 400:
        assert response.headers["content-type"].startswith("application/json"), where
        answer = orjson.loads(response.content)
        if status >= 400:
            message = answer["error"]
            assert "\n" not in message and len(message) < 1000, f"{where}: {message[:300]!r}"


def test_studio_known_hostile_requests(studio_client):
    """Every listed pipeline, pack and raw body once, where it does harm if anywhere."""
    json_type = {"content-type": "application/json"}
    for text in PIPELINES:
        _studio_case(studio_client, "POST", "/api/pipeline", json_type, _json({"text": text}))
    for text in PACKS:
        _studio_case(studio_client, "POST", "/api/packs/check", json_type, _json({"text": text}))
        _studio_case(studio_client, "POST", "/api/packs/save", json_type,
                     _json({"name": "fz", "text": text}))
    for text in PLANS:
        _studio_case(studio_client, "POST", "/api/score/check", json_type, _json({"text": text}))
        _studio_case(studio_client, "POST", "/api/score", json_type, _json({"text": text}))
    for body in RAW_BODIES:
        for path in FIELDS:
            _studio_case(studio_client, "POST", path, json_type, body)


def test_studio_requests(studio_client):
    @fuzz_settings(300)
    @given(req=request())
    def case(req):
        _studio_case(studio_client, *req)

    case()


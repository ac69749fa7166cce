"""`musicpipe serve`: the studio's JSON API, in-process (Starlette's TestClient) and over
real HTTP to a `musicpipe serve` process (the ``studio`` fixture in conftest).

The browser side is tests/test_studio_browser.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import io
import itertools
import socket
import threading
import time
import wave
from concurrent.futures import ThreadPoolExecutor

import mido
import orjson
import pytest
from starlette.testclient import TestClient

from musicpipe.studio.app import build
from musicpipe.studio.store import Limits, Queue, Refused
from tests.conftest import ROOT, events, sh

PORT = 8765
BASE = f"http://127.0.0.1:{PORT}"


@pytest.fixture
def config(tmp_path, monkeypatch):
    """The user's pack folder for in-process servers: XDG_CONFIG_HOME in the test's tmp."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    return tmp_path / "config" / "musicpipe" / "moods"


def client(tmp_path, **limits) -> TestClient:
    return TestClient(build(PORT, str(tmp_path / "renders"), Limits(**limits)), base_url=BASE)


def one_line_error(response, status: int) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    message = response.json()["error"]
    assert "\n" not in message and "Traceback" not in response.text
    return message


def test_the_page_and_its_files(tmp_path, config):
    with client(tmp_path) as c:
        page = c.get("/")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert "default-src 'self'" in page.headers["content-security-policy"]
        assert page.headers["x-frame-options"] == "DENY"
        assert '<script type="module" src="/static/studio.js">' in page.text
        assert c.get("/static/studio.js").headers["content-type"].startswith("text/javascript")
        assert c.get("/static/studio.css").status_code == 200
        one_line_error(c.get("/static/app.py"), 404)
        one_line_error(c.get("/nowhere"), 404)
        one_line_error(c.post("/api/moods"), 405)


def test_moods_are_the_librarys_with_the_studios_limits(tmp_path, config):
    with client(tmp_path) as c:
        data = c.get("/api/moods").json()
    shell = orjson.loads(sh("mood --list --json").stdout)
    assert [m["name"] for m in data["moods"]] == [m["name"] for m in shell["moods"]]
    for ours, theirs in zip(data["moods"], shell["moods"]):
        assert {k: ours[k] for k in theirs} == theirs
        assert ours["time_sig"] and "form" in ours
    assert data["limits"]["seconds"] == [0.5, 600.0]
    assert data["limits"]["bars"] == [1, 10000]  # mood --bars's range
    assert data["limits"]["intensity"] == [0, 100]


def test_a_mood_render_gives_the_shells_files(tmp_path, config):
    with client(tmp_path) as c:
        piece = c.post("/api/render", json={"mood": "calm", "seconds": 3, "seed": 7}).json()
        got = {kind: c.get(url).content for kind, url in piece["files"].items()}
    sh(f"mood calm --duration 3 --seed 7 --out {tmp_path}/c.wav && "
       f"mood calm --duration 3 --seed 7 --out {tmp_path}/c.mid")
    stream = sh("mood calm --duration 3 --seed 7").stdout
    assert got["jsonl"] == stream
    assert got["wav"] == (tmp_path / "c.wav").read_bytes()
    assert got["mid"] == (tmp_path / "c.mid").read_bytes()
    sh(f"viz --svg {tmp_path}/c.svg > /dev/null", input=stream)
    assert got["svg"] == (tmp_path / "c.svg").read_bytes()
    assert piece["names"]["mid"] == "calm-7.mid" and piece["settings"]["seed"] == 7
    channels = sorted({e["ch"] for e in events(stream) if e["type"] == "Note"})
    assert [t["ch"] for t in piece["tracks"]] == channels
    assert piece["seconds"] == 3.0 and piece["timeline"][0] == [0.0, 44.0]
    assert piece["timeline"][-1][0] == 3.0
    # the files are under --root, in a folder the server named
    assert sorted(p.name for p in (tmp_path / "renders" / piece["id"]).iterdir()) == [
        "calm-7.jsonl", "calm-7.mid", "calm-7.svg", "calm-7.wav"]


def test_a_looped_render_of_bars_gives_the_shells_files(tmp_path, config):
    """bars without seconds last what they last; loop's .wav keeps its smpl chunk, its stems
    are `--loop --stems`'s."""
    import zipfile

    from tests.test_mood_loop import smpl_loop

    with client(tmp_path) as c:
        piece = c.post("/api/render", json={"mood": "calm", "bars": 2, "seed": 3,
                                            "loop": True}).json()
        got = {kind: c.get(url).content for kind, url in piece["files"].items()}
        stems = c.post("/api/stems", json={"id": piece["id"]}).json()
        packed = c.get(stems["url"]).content
    args = "calm --bars 2 --seed 3 --loop"
    sh(f"mood {args} --out {tmp_path}/c.wav && mood {args} --out {tmp_path}/c.mid && "
       f"mood {args} --stems {tmp_path}/shell")
    assert got["jsonl"] == sh(f"mood {args}").stdout
    assert got["wav"] == (tmp_path / "c.wav").read_bytes()
    assert smpl_loop(tmp_path / "c.wav") == (0, round(2 * 4 * 60 / 72 * 44100) - 1)
    assert got["mid"] == (tmp_path / "c.mid").read_bytes()
    assert piece["seconds"] == round(2 * 4 * 60 / 72, 3)
    assert piece["title"] == "calm · seed 3 · 6.667 s · 2 bars · loop"
    assert {k: piece["settings"][k] for k in ("seconds", "bars", "loop")} == {
        "seconds": None, "bars": 2, "loop": True}
    with zipfile.ZipFile(io.BytesIO(packed)) as z:
        for name in z.namelist():
            assert z.read(name) == (tmp_path / "shell" / name).read_bytes(), name
    assert sorted(p.name for p in (tmp_path / "renders").iterdir()) == [piece["id"]]


def test_stems_are_the_shells_stems_in_a_zip(tmp_path, config):
    import zipfile

    with client(tmp_path) as c:
        piece = c.post("/api/render", json={"mood": "jazz", "seconds": 2, "seed": 4}).json()
        stems = c.post("/api/stems", json={"id": piece["id"]}).json()
        packed = c.get(stems["url"]).content
        assert one_line_error(c.post("/api/stems", json={"id": "../x"}), 404).startswith("serve: no file")
        assert one_line_error(c.post("/api/stems", json={"id": 3}), 400) == "serve: id: '3' should be text"
    assert stems["name"] == "jazz-4-stems.zip" and "mix.wav" in stems["stems"]
    assert len(stems["stems"]) == len(piece["tracks"]) + 1
    sh(f"mood jazz --duration 2 --seed 4 --stems {tmp_path}/shell")
    with zipfile.ZipFile(io.BytesIO(packed)) as z:
        assert sorted(z.namelist()) == sorted(p.name for p in (tmp_path / "shell").iterdir()
                                              if p.name != ".musicpipe-files")
        for name in z.namelist():
            assert z.read(name) == (tmp_path / "shell" / name).read_bytes(), name


def test_a_render_without_a_seed_draws_one_and_keeps_it(tmp_path, config):
    with client(tmp_path) as c:
        piece = c.post("/api/render", json={"mood": "jazz", "seconds": 2, "key": "F"}).json()
        stream = c.get(piece["files"]["jsonl"]).content
    seed = piece["settings"]["seed"]
    assert isinstance(seed, int) and any("seed" in w for w in piece["warnings"])
    assert stream == sh(f"mood jazz --duration 2 --key F --seed {seed}").stdout


@pytest.mark.parametrize("body, status, start", [
    ({"mood": "calm", "key": "H"}, 400, "mood: Invalid value for '--key'"),
    ({"mood": "nope"}, 400, "mood: Invalid value for NAME: no mood 'nope'"),
    ({"mood": "calm", "seconds": 601}, 400, "serve: seconds: 601 is over the studio's limit of 600"),
    ({"mood": "calm", "seconds": 0.1}, 400, "mood: Invalid value for '--duration'"),
    ({"mood": "calm", "intensity": 101}, 400, "mood: Invalid value for '--intensity'"),
    ({"mood": "calm", "seconds": "5"}, 400, "serve: seconds: '5' should be a number"),
    ({"mood": "calm", "seed": 1.5}, 400, "serve: seed: '1.5' should be a whole number"),
    ({"mood": "calm", "seed": -1}, 400, "mood: Invalid value for '--seed'"),
    ({"mood": "calm", "path": "/etc/passwd"}, 400, "serve: unknown field 'path'"),
    ({"seconds": 4}, 400, "serve: mood: missing"),
    ({"mood": "calm", "bars": 0}, 400, "mood: Invalid value for '--bars'"),
    ({"mood": "calm", "bars": 2.5}, 400, "serve: bars: '2.5' should be a whole number"),
    ({"mood": "calm", "loop": "yes"}, 400, "serve: loop: 'yes' should be true or false"),
    ({"mood": "calm", "bars": 4, "seconds": 8, "tempo": 90}, 400,
     "serve: bars: give seconds or tempo with it, not both"),
    ({"mood": "calm", "bars": 1000}, 400,
     "serve: bars: 1000 bars of calm at its tempo last 3333 s; the studio renders at most 600 s"),
    ({"mood": "calm", "bars": 2, "seconds": 60}, 400,
     "mood: Invalid value for --bars: 2 bars of 4/4 in 60 s need 8.0 BPM (tempo 20..400)"),
    ([1, 2], 400, "serve: the body should be a JSON object"),
])
def test_bad_render_requests_are_400_with_one_line(tmp_path, config, body, status, start):
    with client(tmp_path) as c:
        assert one_line_error(c.post("/api/render", json=body), status).startswith(start)
    assert not list((tmp_path / "renders").iterdir())


def test_bodies_must_be_json(tmp_path, config):
    with client(tmp_path) as c:
        assert "Content-Type: application/json" in one_line_error(
            c.post("/api/render", content=b'{"mood": "calm"}',
                   headers={"content-type": "text/plain"}), 415)
        assert one_line_error(c.post("/api/render", content=b"{nope",
                                     headers={"content-type": "application/json"}),
                              400).startswith("serve: the body is not JSON")


def test_a_pipeline_gives_the_shells_bytes(tmp_path, config):
    text = "seed 7 | motif --notes 16 | scale --root D --mode dorian | humanize"
    with client(tmp_path) as c:
        piece = c.post("/api/pipeline", json={"text": text}).json()
        got = {kind: c.get(url).content for kind, url in piece["files"].items()}
    assert piece["stages"] == ["seed 7", "motif --notes 16", "scale --root D --mode dorian",
                               "humanize"]
    assert got["jsonl"] == sh(text).stdout
    sh(f"{text} | to-wav --normalize --out {tmp_path}/p.wav && {text} | to-midi --out {tmp_path}/p.mid")
    assert got["wav"] == (tmp_path / "p.wav").read_bytes()
    assert got["mid"] == (tmp_path / "p.mid").read_bytes()


def test_a_layered_pipeline_and_its_warnings(tmp_path, config):
    text = "{ seed 1 | motif --bars 2; seq 'C2/2 G1/2' --ch 1; } | viz"
    with client(tmp_path) as c:
        piece = c.post("/api/pipeline", json={"text": text}).json()
        assert c.get(piece["files"]["jsonl"]).content == sh(text).stdout
    assert len(piece["stages"]) == 2 and piece["stages"][1] == "viz"
    assert any(w.startswith("viz: ") for w in piece["warnings"])


@pytest.mark.parametrize("text, stage, start", [
    ("seed 7 | motif --notes 0 | humanize", 1, "motif: Invalid value for '--notes'"),
    ("seed 7 | motif | scale --mode nope", 2, "scale: Invalid value for '--mode'"),
    ("seed 1 > x.jsonl", None, "pipeline: '>' is not supported"),
    ("seed 1; rm -rf x", None, "pipeline: one pipeline at a time"),
    ("seed 1 | rm -rf x", None, "pipeline: unknown stage 'rm'"),
    ("serve --port 1", None, "pipeline: unknown stage 'serve'"),
    ("", None, "pipeline: empty pipeline"),
    ("from-midi /etc/passwd", 0, "serve: from-midi FILE /etc/passwd: the studio reads and writes no files"),
    ("seed 1 | motif | to-midi --out ../x.mid", 2, "serve: to-midi --out ../x.mid"),
    ("seed 1 | motif | viz --svg /tmp/x.svg", 2, "serve: viz --svg /tmp/x.svg"),
    ("mood calm --pack %2e%2e/p.toml", 0, "serve: mood --pack %2e%2e/p.toml"),
    ("seed 1 | motif | to-midi --out -", 2, "serve: the output is not an event stream"),
    ("seed 1 | motif --notes 300", 1, "motif: Invalid value for --repeat: the part would hold "
                                      "300 notes, more than 200"),
    ("seed 1 | motif --notes 190 | euclid --pulses 4 --steps 16 --repeat 8", 2,
     "serve: euclid makes more than 200 events"),
    ("seed 1", 0, "serve: no notes to play"),
])
def test_pipeline_errors_name_the_stage(tmp_path, config, text, stage, start):
    outside = (tmp_path.parent / "x.mid", ROOT.parent / "x.mid")  # what ../x.mid could reach
    before = [p.stat().st_mtime_ns if p.exists() else None for p in outside]
    with client(tmp_path, events=200) as c:
        response = c.post("/api/pipeline", json={"text": text})
    assert one_line_error(response, 400).startswith(start)
    assert response.json()["stage"] == stage
    if stage is not None:
        assert len(response.json()["stages"]) > stage
    assert not list((tmp_path / "renders").iterdir())
    assert [p.stat().st_mtime_ns if p.exists() else None for p in outside] == before


def test_long_pipelines_and_pieces_are_refused(tmp_path, config):
    with client(tmp_path, seconds=5) as c:
        too_long = c.post("/api/pipeline", json={"text": "seed 1 | motif --bars 8"})
        assert "the studio renders at most 5 s" in one_line_error(too_long, 400)
        text = "seed 1 | " + " | ".join(["humanize"] * 600)
        assert "characters; the studio takes 4000" in one_line_error(
            c.post("/api/pipeline", json={"text": text}), 400)


@pytest.mark.parametrize("text, start", [
    ("motif --notes 1000000", "motif: Invalid value for --repeat: the part would hold "
                              "1,000,000 notes, more than 100,000"),
    ("euclid --pulses 8 --steps 16 --repeat 100000", "euclid: Invalid value for --repeat: "
                                                    "the part would hold 1,600,000 notes"),
    ("seed 1 | motif --notes 1000 | loop --times 100000", "loop: 100,000 passes of"),
    ("{ " * 500 + "seed 1" + "; }" * 500, "pipeline: { } groups nested more than 32 deep"),
    ("seed 1 | { motif; mood jazz -d 3600 --intensity 100; }",
     "serve: mood --duration 3600: the studio renders at most 600 s"),
    ("mood calm --bars 10000 --loop", "serve: mood --bars 10000: 33333 s: the studio renders "
                                      "at most 600 s"),
])
def test_costly_pipelines_are_refused_before_they_are_built(tmp_path, config, text, start):
    """A few bytes of request must not make millions of events before a limit looks: the
    generators and loop plan their size against the studio's budget first."""
    import tracemalloc

    with client(tmp_path) as c:
        tracemalloc.start()
        try:
            response = c.post("/api/pipeline", json={"text": text})
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert one_line_error(response, 400).startswith(start)
    assert peak < 20 * 2**20, peak  # 1,000,000 notes built would be hundreds of MB


def test_a_streaming_stage_is_stopped_at_the_event_limit(tmp_path, config):
    """A stage with no plan to check (chords over a long stream) is cut off like `| head` as
    soon as it passes the limit; a { } group's parts are counted together."""
    with client(tmp_path, events=40) as c:
        response = c.post("/api/pipeline", json={"text": "seed 1 | motif --notes 30 | "
                                                         "chords 'I IV V I'"})
        assert one_line_error(response, 400) == (
            "serve: chords makes more than 40 events; the studio takes 40 a pipeline")
        assert response.json()["stage"] == 2
        group = "{ motif --notes 30; motif --notes 20; }"
        response = c.post("/api/pipeline", json={"text": f"seed 1 | {group} | humanize"})
        assert one_line_error(response, 400).startswith(f"serve: {group} made ")
        assert response.json()["stage"] == 1
        response = c.post("/api/pipeline", json={"text": "seed 1 | motif --notes 60"})
        assert one_line_error(response, 400).startswith(
            "motif: Invalid value for --repeat: the part would hold 60 notes, more than 40")


PACK = """[[moods]]
name = "studio-test"
extends = "calm"
tempo = {tempo}

[[moods.layers]]
name = "melody"
density = {density}
"""


def test_pack_check_reports_field_paths(tmp_path, config):
    with client(tmp_path) as c:
        ok = c.post("/api/packs/check", json={"text": PACK.format(tempo=90, density=0.5)}).json()
        assert ok == {"ok": True, "moods": ["studio-test"], "errors": []}
        bad = c.post("/api/packs/check", json={"text": PACK.format(tempo=999, density=0.5),
                                               "name": "mine"}).json()
        assert not bad["ok"] and bad["errors"][0]["field"] == "tempo"
        assert bad["errors"][0]["message"] == (
            'mine.toml: mood "studio-test", tempo: 999 is out of range 20..400')
        layer = c.post("/api/packs/check", json={"text": PACK.format(tempo=90, density=2)}).json()
        assert layer["errors"][0]["field"] == "layers[0].density"
        broken = c.post("/api/packs/check", json={"text": "[[moods]\nname="}).json()
        assert broken["errors"][0]["message"].startswith("studio.toml: not valid TOML")
        chain = c.post("/api/packs/check", json={
            "text": '[[moods]]\nname = "x"\nextends = "nothing-here"'}).json()
        assert chain["errors"][0]["field"] == "extends"
    # the same message as the command line
    (tmp_path / "mine.toml").write_text(PACK.format(tempo=999, density=0.5))
    proc = sh("mood studio-test --pack mine.toml", cwd=tmp_path, check=False)
    assert proc.returncode == 65
    assert proc.stderr.decode().strip() == "mood: " + bad["errors"][0]["message"]


def test_packs_are_saved_into_the_users_folder_only(tmp_path, config):
    text = PACK.format(tempo=90, density=0.5)
    with client(tmp_path) as c:
        saved = c.post("/api/packs/save", json={"name": "mine", "text": text}).json()
        assert saved == {"saved": "mine.toml", "folder": str(config), "moods": ["studio-test"]}
        assert (config / "mine.toml").read_text() == text
        moods = {m["name"]: m for m in c.get("/api/moods").json()["moods"]}
        assert moods["studio-test"]["tempo"] == 90 and moods["studio-test"]["source"].startswith("user")
        assert c.get("/api/packs").json() == {"folder": str(config), "packs": ["mine"]}
        assert c.get("/api/packs/mine").json() == {"name": "mine", "text": text}
        again = c.post("/api/packs/save", json={"name": "mine", "text": PACK.format(tempo=95, density=0.5)})
        assert one_line_error(again, 409).endswith("exists; save with replace to overwrite it")
        assert c.post("/api/packs/save", json={"name": "mine", "replace": True,
                                               "text": PACK.format(tempo=95, density=0.5)}).status_code == 200
        assert "tempo = 95" in (config / "mine.toml").read_text()
        invalid = c.post("/api/packs/save", json={"name": "other", "text": PACK.format(tempo=1, density=0.5)})
        assert "tempo: 1 is out of range" in one_line_error(invalid, 400)
        for name in ("../evil", "/tmp/evil", "a/b", "..", "%2e%2e", ".hidden", "x" * 49, "evil\x00"):
            response = c.post("/api/packs/save", json={"name": name, "text": text})
            assert one_line_error(response, 400).startswith("serve: pack name")
        one_line_error(c.get("/api/packs/nothere"), 404)
        assert c.get("/api/packs/..%2Fmine").status_code in (400, 404)
        # the rendered mood is the saved one: 6 s are whole bars at 95 (at 90 too: no fit)
        piece = c.post("/api/render", json={"mood": "studio-test", "seconds": 6, "seed": 1}).json()
        assert any(e.get("bpm") == 95 for e in events(c.get(piece["files"]["jsonl"]).content))
    assert sorted(p.name for p in config.iterdir()) == ["mine.toml"]
    assert not list(tmp_path.glob("**/evil*"))


def test_show_is_mood_show(tmp_path, config):
    with client(tmp_path) as c:
        assert c.get("/api/moods/lofi/toml").json()["toml"] == sh("mood --show lofi").stdout.decode()
        assert one_line_error(c.get("/api/moods/nope/toml"), 400).startswith("mood: Invalid value")


SCENE = ROOT / "examples" / "scene.toml"
SHORT_PLAN = {"duration": 12, "seed": 5, "title": "Short scene",
              "region": [{"mood": "calm", "at": 0}, {"mood": "suspense", "at": 6}],
              "hit": [{"at": 6, "kind": "stinger"}]}


def test_the_plan_editor_starts_with_the_example_scene(tmp_path, config):
    import html
    import re

    with client(tmp_path) as c:
        page = c.get("/").text
    found = re.search(r'<textarea id="score-text"[^>]*>(.*?)</textarea>', page, re.S)
    assert html.unescape(found.group(1)) == SCENE.read_text()


def test_a_score_check_is_score_check_json(tmp_path, config):
    with client(tmp_path) as c:
        report = c.post("/api/score/check", json={"text": SCENE.read_text()}).json()
        late = SCENE.read_text().replace("at = 40", "at = 65")
        message = one_line_error(c.post("/api/score/check", json={"text": late}), 400)
        assert one_line_error(c.post("/api/score/check", json={"plan": "x"}), 400) == (
            "serve: unknown field 'plan' (fields: text)")
    assert report == orjson.loads(sh(f"score --check {SCENE} --json").stdout)
    assert message == "score: plan: region[2].at: 65 is past duration 60"


def test_a_score_render_gives_the_shells_files(tmp_path, config):
    """A JSON plan with a title: the stream, .mid (titled) and .wav (exactly 12 s) that
    `score - --out` writes; a plan over the studio's seconds is refused before composing."""
    plan = orjson.dumps(SHORT_PLAN).decode()
    with client(tmp_path, seconds=30) as c:
        piece = c.post("/api/score", json={"text": plan}).json()
        got = {kind: c.get(url).content for kind, url in piece["files"].items()}
        other = c.post("/api/score", json={"text": plan, "seed": 6}).json()
        long = one_line_error(c.post("/api/score", json={"text": SCENE.read_text()}), 400)
        bad = one_line_error(c.post("/api/score", json={"text": plan.replace('"stinger"', '"boom"')}), 400)
    for ext in ("wav", "mid"):
        sh(f"score - --out {tmp_path}/s.{ext}", input=plan)
    assert got["jsonl"] == sh("score -", input=plan).stdout
    assert got["wav"] == (tmp_path / "s.wav").read_bytes()
    assert got["mid"] == (tmp_path / "s.mid").read_bytes()
    with wave.open(io.BytesIO(got["wav"])) as w:
        assert w.getnframes() == 12 * w.getframerate()
    assert piece["kind"] == "score" and piece["seconds"] == 12.0
    assert piece["title"] == "Short scene · seed 5 · 12 s" and piece["names"]["mid"] == "Short-scene-5.mid"
    assert piece["warnings"][0].startswith("score: region 0 calm at 0.000 s: 2 bars of 4/4")
    assert other["settings"]["seed"] == 6
    assert long == "serve: duration: 60 is over the studio's limit of 30 s"
    assert bad == 'score: plan: hit[0].kind: "boom": not one of accent, stop, stinger, riser-to'


def test_host_and_origin_are_checked(tmp_path, config):
    with client(tmp_path) as c:
        for host in ("evil.example:8765", "127.0.0.1:9999", "127.0.0.1", "localhost", ""):
            message = one_line_error(c.get("/api/moods", headers={"host": host}), 403)
            assert message.startswith(f"serve: Host {host!r} is not this server")
        assert c.get("/api/packs", headers={"host": f"localhost:{PORT}"}).status_code == 200
        evil = c.post("/api/packs/save", json={"name": "x", "text": PACK.format(tempo=90, density=0.5)},
                      headers={"origin": "http://evil.example"})
        assert "only the studio's own page" in one_line_error(evil, 403)
        assert c.post("/api/packs/check", json={"text": ""},
                      headers={"origin": BASE}).status_code == 200
        evil = c.post("/api/score", json={"text": SCENE.read_text()},
                      headers={"origin": "http://evil.example"})
        assert "only the studio's own page" in one_line_error(evil, 403)
    assert not config.exists()


def test_oversized_bodies_are_413(tmp_path, config):
    with client(tmp_path, body=1000) as c:
        big = orjson.dumps({"text": "x" * 2000})
        assert "studio takes 1000" in one_line_error(
            c.post("/api/packs/check", content=big, headers={"content-type": "application/json"}), 413)

        def chunks():  # no Content-Length: counted as it streams in
            for _ in range(10):
                yield b" " * 500

        response = c.post("/api/packs/check", content=chunks(), headers={"content-type": "application/json"})
        assert "over 1000 bytes" in one_line_error(response, 413)


def test_the_queue_answers_429_when_full():
    async def scenario():
        queue = Queue(workers=1, waiting=1)
        release = threading.Event()
        first = asyncio.ensure_future(queue.run(release.wait, 30))
        second = asyncio.ensure_future(queue.run(release.wait, 30))
        await asyncio.sleep(0.05)
        with pytest.raises(Refused) as refused:
            await queue.run(release.wait, 30)
        release.set()
        results = await asyncio.gather(first, second)
        queue.close()
        return refused.value, results, queue.taken

    refused, results, taken = asyncio.run(scenario())
    assert refused.status == 429 and "try again" in refused.message
    assert results == [True, True] and taken == 0


def test_a_temporary_folder_goes_when_the_server_stops(config):
    app = build(PORT)
    with TestClient(app, base_url=BASE) as c:
        piece = c.post("/api/pipeline", json={"text": "seed 2 | motif --notes 4"}).json()
        store = app.app.state.store
        assert store.temporary and (store.root + "/" + piece["id"]).startswith(store.root)
        assert c.get(piece["files"]["mid"]).content.startswith(b"MThd")
    import os

    assert not os.path.exists(store.root)


# ---- over real HTTP, to a `musicpipe serve` process --------------------------------------------

def raw_get(studio, path: str, host: str | None = None) -> tuple[int, bytes]:
    """GET with the path sent as written: no client-side normalising of `..` or escapes."""
    conn = http.client.HTTPConnection("127.0.0.1", studio.port, timeout=30)
    conn.putrequest("GET", path, skip_host=True, skip_accept_encoding=True)
    conn.putheader("Host", host or f"127.0.0.1:{studio.port}")
    conn.endheaders()
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response.status, data


def post(studio, path: str, body: dict) -> tuple[int, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", studio.port, timeout=120)
    conn.request("POST", path, orjson.dumps(body), {"Content-Type": "application/json"})
    response = conn.getresponse()
    data = orjson.loads(response.read())
    conn.close()
    return response.status, data


def test_real_server_host_check(studio):
    assert raw_get(studio, "/api/packs")[0] == 200
    status, body = raw_get(studio, "/api/packs", host=f"rebind.example:{studio.port}")
    assert status == 403 and b"DNS rebinding" in body
    status, _ = raw_get(studio, "/", host="127.0.0.1")
    assert status == 403


def test_real_server_refuses_path_traversal(studio):
    status, piece = post(studio, "/api/render", {"mood": "calm", "seconds": 1, "seed": 1})
    assert status == 200
    rid = piece["id"]
    secret = studio.root.parent / "secret.txt"
    secret.write_text("top secret")
    for path in ["/files/../../../etc/passwd", f"/files/{rid}/../../secret.txt",
                 f"/files/{rid}/..%2f..%2fsecret.txt", "/files/%2e%2e/%2e%2e/etc/passwd",
                 f"/files/{rid}/%2Fetc%2Fpasswd", "/files//etc/passwd", f"/files/{rid}/",
                 f"/files/{rid}%2F..%2F..%2Fsecret.txt/mid", "/files/..%252f..%252fetc/passwd",
                 "/static/../app.py", "/static/..%2fapp.py", "/static/%2e%2e%2fstudio%2fapp.py",
                 "/static//etc/passwd", "/api/packs/..%2F..%2Fsecret", "/api/packs/%2Fetc%2Fpasswd",
                 "/api/moods/..%2F..%2Fetc%2Fpasswd/toml", "//etc/passwd", "/..", "/%2e%2e/etc/passwd"]:
        status, body = raw_get(studio, path)
        assert status in (400, 404), (path, status)
        assert b"root:" not in body and b"top secret" not in body and b"import" not in body, path
        assert b"Traceback" not in body
    status, body = raw_get(studio, f"/files/{rid}/mid")
    assert status == 200 and body.startswith(b"MThd")


def test_real_server_50_concurrent_renders(studio):
    """50 renders at once on 2 workers and 8 waiting: each answered 200 or 429, the 200s
    whole and identical per seed, and the server still up."""
    def one(i: int):
        return i % 5, post(studio, "/api/render", {"mood": "calm", "seconds": 2, "seed": i % 5})

    with ThreadPoolExecutor(50) as pool:
        answers = list(pool.map(one, range(50)))
    statuses = [status for _, (status, _) in answers]
    assert len(answers) == 50 and set(statuses) <= {200, 429}, statuses
    assert statuses.count(200) >= 10
    for _, (status, body) in answers:
        if status == 429:
            assert body["error"].startswith("serve: ") and "try again" in body["error"]
    by_seed: dict[int, set[bytes]] = {}
    for seed, (status, piece) in answers:
        if status != 200:
            continue
        wav_status, wav = raw_get(studio, piece["files"]["wav"])
        mid_status, mid = raw_get(studio, piece["files"]["mid"])
        assert wav_status == mid_status == 200
        with wave.open(io.BytesIO(wav)) as w:
            assert (w.getnframes(), w.getnchannels(), w.getframerate()) == (88200, 2, 44100)
        assert len(mido.MidiFile(file=io.BytesIO(mid)).tracks) >= 2
        by_seed.setdefault(seed, set()).add(wav)
    assert all(len(wavs) == 1 for wavs in by_seed.values())  # none corrupted
    first = min(by_seed)
    sh(f"mood calm --duration 2 --seed {first} --out {studio.root.parent}/ref.wav")
    assert by_seed[first] == {(studio.root.parent / "ref.wav").read_bytes()}
    assert studio.proc.poll() is None
    assert raw_get(studio, "/api/moods")[0] == 200
    status, piece = post(studio, "/api/render", {"mood": "calm", "seconds": 1, "seed": 9})
    assert status == 200


def test_the_serve_command(tmp_path):
    help_text = sh("musicpipe serve --help").stdout.decode()
    assert "musicpipe serve --port 0" in help_text and "--root DIR" in help_text
    assert "  serve " in sh("musicpipe --help").stdout.decode()
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = sh(f"musicpipe serve --port {port}", check=False, timeout=30)
    assert proc.returncode == 2
    assert proc.stderr.decode().count("\n") == 1 and "cannot listen on 127.0.0.1" in proc.stderr.decode()
    assert b"Traceback" not in proc.stderr


@contextlib.contextmanager
def live_server(tmp_path, **limits):
    """A real uvicorn server with the studio's configuration, in a thread (short timeouts
    are the point: the ``studio`` fixture's process keeps the defaults)."""
    import uvicorn

    from musicpipe.studio.app import listen, server_config

    sock = listen(0)
    server = uvicorn.Server(server_config(sock, str(tmp_path / "renders"), Limits(**limits)))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    for _ in range(600):
        if server.started:
            break
        time.sleep(0.05)
    try:
        yield sock.getsockname()[1]
    finally:
        server.should_exit = True
        thread.join(30)


def _until_closed(conn: socket.socket, drip: bytes = b"") -> tuple[bytes, float]:
    """Send ``drip`` a byte every 0.1 s (or nothing) and read until the server closes the
    connection: (what it said, seconds it took). The socket's own timeout guards a hang."""
    start, said = time.monotonic(), b""
    conn.settimeout(0.1)
    for byte in itertools.cycle([drip[i:i + 1] for i in range(len(drip))] or [b""]):
        try:
            if byte:
                conn.sendall(byte)
            chunk = conn.recv(4096)
            if not chunk:
                break
            said += chunk
        except TimeoutError:
            pass
        except (BrokenPipeError, ConnectionResetError):
            break
        assert time.monotonic() - start < 60, "the connection was never closed"
    return said, time.monotonic() - start


def test_idle_and_slow_connections_are_closed(tmp_path, config):
    with live_server(tmp_path, idle_seconds=0.5, read_seconds=0.5) as port:
        with socket.create_connection(("127.0.0.1", port)) as silent:
            said, _ = _until_closed(silent)
        assert said == b""  # opened, never spoke: closed without a word
        head = (f"POST /api/pipeline HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                "Content-Type: application/json\r\nContent-Length: 30\r\n").encode()
        with socket.create_connection(("127.0.0.1", port)) as slow:  # headers, a byte at a time
            said, _ = _until_closed(slow, head * 10)
        assert said.startswith(b"HTTP/1.1 408 ") and b"did not arrive within 0.5 s" in said
        with socket.create_connection(("127.0.0.1", port)) as slow:  # the body, a byte at a time
            slow.sendall(head + b"\r\n")
            said, _ = _until_closed(slow, b'{"text": "seed 1 | motif"}    ')
        assert said.startswith(b"HTTP/1.1 408 ")
        body = said.split(b"\r\n\r\n", 1)[1]
        assert orjson.loads(body) == {"error": "serve: the request did not arrive within 0.5 s; "
                                               "closed"}
        # a kept-alive connection: answered, then closed after the idle time
        with socket.create_connection(("127.0.0.1", port)) as kept:
            kept.sendall(f"GET /api/packs HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
            said, _ = _until_closed(kept)
        assert said.startswith(b"HTTP/1.1 200 ") and said.count(b"HTTP/1.1") == 1
        # a render that takes longer than the read deadline is not cut off
        status = _post_json(port, "/api/render", {"mood": "calm", "seconds": 20, "seed": 1})
        assert status == 200


def _post_json(port: int, path: str, body: dict) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    conn.request("POST", path, orjson.dumps(body), {"Content-Type": "application/json"})
    status = conn.getresponse().status
    conn.close()
    return status

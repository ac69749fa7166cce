"""score --check through real pipes and in-process: the issue's plan fitted and reported,
bad plans one line with exit 65, and no pretending to play music."""

from __future__ import annotations

import json

import mido
import pytest
from click.testing import CliRunner

from musicpipe.events import check as check_event
from musicpipe.meter import seconds_at
from musicpipe.moods.packs import Library
from musicpipe.scoring import check as checking
from musicpipe.scoring.conductor import conductor
from musicpipe.scoring.plan import PlanError, parse
from musicpipe.stages.score import command
from tests.conftest import jsonl, sh
from tests.test_score_plan import ISSUE_JSON, ISSUE_TOML


@pytest.fixture
def scene(tmp_path):
    (tmp_path / "scene.toml").write_text(ISSUE_TOML)
    (tmp_path / "scene.json").write_text(ISSUE_JSON)
    return tmp_path


def test_the_issues_plan_through_a_pipe_as_json(scene):
    out = sh(f"cat {scene}/scene.toml | score --check - --json | cat").stdout
    data = json.loads(out)
    assert [r["mood"] for r in data["regions"]] == ["calm", "suspense", "heroic"]
    assert data["end_seconds"] == pytest.approx(60, abs=1e-3)
    at = seconds_at([tuple(p) for p in data["tempo_map"]])
    assert [at(r["tick"]) for r in data["regions"]] == pytest.approx([0, 20, 40], abs=5e-3)
    assert all(abs(r["fit_percent"]) <= 6 for r in data["regions"])
    assert data["regions"][1]["intensity"] == sorted(data["regions"][1]["intensity"])
    assert [h["kind"] for h in data["hits"]] == ["accent", "stinger"]
    assert all(abs(h["error_ms"]) < 10 for h in data["hits"])
    # the JSON plan checks to the same timeline, byte for byte
    assert sh(f"score --check {scene}/scene.json --json").stdout == out


def test_the_text_report_names_regions_tempi_and_the_fit(scene):
    proc = sh(f"score --check {scene}/scene.toml")
    text = proc.stdout.decode()
    assert proc.stderr == b""
    assert text.startswith("60 s, 3 regions, 23 bars, 2 hits, ends at 60.000 s on a bar line")
    assert "calm" in text and "72 ->  70.32 (-2.3 %)" in text and "ramp from" in text
    assert "slowing into the final chord from" in text  # the last region's ritardando
    assert "hit 1: stinger at 39.500 s" in text


@pytest.mark.parametrize("edit, message", [
    (("at = 40", "at = 65"), "score: stdin: region[2].at: 65 is past duration 60\n"),
    (('"heroic"', '"heroik"'), "score: stdin: region[2].mood: no mood 'heroik'; did you mean heroic"),
    (("at = 40\n", "at = 40.3\n"), None),
    (("at = 20\n", "at = 19.7\n"), None),
])
def test_bad_plans_through_a_pipe_exit_65_with_one_line(edit, message):
    proc = sh("score --check -", input=ISSUE_TOML.replace(*edit), check=False)
    if message is None:  # still a good plan: bar lines moved, tempi fitted
        assert proc.returncode == 0, proc.stderr
        return
    assert proc.returncode == 65 and proc.stdout == b""
    assert proc.stderr.decode().startswith(message) and proc.stderr.count(b"\n") == 1


def test_a_region_too_short_for_whole_bars_says_what_would_fit():
    plan = "duration = 10\n[[region]]\nmood = \"calm\"\nat = 0\n[[region]]\nmood = \"jazz\"\nat = 9\n"
    proc = sh("score --check -", input=plan, check=False)
    assert proc.returncode == 65
    assert proc.stderr.decode() == (
        "score: stdin: region[1]: 1 s of jazz at 132 BPM is 0.55 bars; bar lines there need "
        "120.0 BPM (-9.1 %, more than 6 %): make it 1.82 s long, or give it a tempo\n")


def test_a_missing_plan_is_one_line_and_exit_2(scene):
    for cmd in ("score --check /nonexistent/plan.toml", "score /nonexistent/plan.toml"):
        missing = sh(cmd, check=False)
        assert missing.returncode == 2 and missing.stderr.count(b"\n") == 1, cmd


def test_in_process_same_report(scene):
    result = CliRunner().invoke(command, ["--check", str(scene / "scene.toml"), "--json"])
    assert result.exit_code == 0, result.output
    plan = parse(ISSUE_TOML)
    regions, timeline = checking.check(plan, Library())
    assert json.loads(result.output) == json.loads(json.dumps(checking.report(plan, regions, timeline)))


def test_keys_tempi_and_names_come_from_region_then_plan_then_mood():
    plan = parse(ISSUE_TOML.replace("seed = 7", 'seed = 7\nkey = "D"\ntempo = 100')
                 .replace('mood = "heroic"', 'mood = "heroic"\nkey = "Ebm"\ntempo = 120\nname = "finale"'))
    regions = checking.resolve(plan, Library().resolve)
    assert [(r.name, r.segment.tempo) for r in regions] == [
        ("calm", 100), ("suspense", 100), ("finale", 120)]
    # a bare root keeps each mood's mode, as `mood --key D` does
    assert [r.key for r in regions] == [(2, "major"), (2, "minor"), (3, "minor")]


def test_the_fit_limit_is_a_plan_error():
    plan = parse("duration = 10\n[[region]]\nmood = \"calm\"\nat = 0\n[[region]]\nmood = \"jazz\"\nat = 9\n")
    with pytest.raises(PlanError, match=r"^region\[1\]: "):
        checking.check(plan, Library())


def issue_conductor(text: str = ISSUE_TOML) -> tuple[list[dict], object]:
    plan = parse(text)
    regions, timeline = checking.check(plan, Library())
    return conductor(plan, regions, timeline), timeline


def test_the_conductor_events_are_valid_and_sorted():
    events, timeline = issue_conductor()
    for ev in events:
        check_event(ev)
    assert [e["t"] for e in events] == sorted(e["t"] for e in events)
    assert events[-1] == {"type": "End", "t": timeline.end_tick}
    keys = [(e["t"], e["key"], e["mode"]) for e in events if e["type"] == "KeySig"]
    assert keys == [(r.tick, k, m) for r, (k, m) in
                    zip(timeline.regions, [("F", "major"), ("A", "minor"), ("C", "major")])]


def test_the_conductor_in_a_real_midi_file(tmp_path):
    events, timeline = issue_conductor(ISSUE_TOML.replace("seed = 7", "seed = 7\nloop = true"))
    events.insert(0, {"type": "Note", "t": 0, "dur": 480, "ch": 0, "key": 60, "vel": 80})
    sh(f"to-midi --out {tmp_path}/c.mid", input=jsonl(events))
    mid = mido.MidiFile(tmp_path / "c.mid")
    now, markers, keys, tempi = 0.0, [], [], 0
    for msg in mid:
        now += msg.time
        if msg.type == "marker":
            markers.append((now, msg.text))
        elif msg.type == "key_signature":
            keys.append((round(now, 3), msg.key))
        elif msg.type == "set_tempo":
            tempi += 1
    assert mid.length == pytest.approx(60, abs=1e-3)
    assert keys == [(0, "F"), (20, "Am"), (40, "C")]
    assert [text for _, text in markers] == ["calm", "loopStart", "accent", "suspense",
                                             "stinger", "heroic", "loopEnd"]
    # a hit's tick is the nearest one: under a millisecond from its second
    assert [at for at, _ in markers] == pytest.approx([0, 0, 12, 20, 39.5, 40, 60], abs=1e-3)
    assert tempi == len(timeline.tempos) > 3  # the ramps' steps


def test_a_looping_plan_ramps_back_into_its_start():
    plan = parse(ISSUE_TOML.replace("seed = 7", "seed = 7\nloop = true"))
    regions, timeline = checking.check(plan, Library())
    assert timeline.regions[-1].ramp_tick is not None
    data = checking.report(plan, regions, timeline)
    assert data["loop"] is True and data["ending"] is None


def test_the_plan_is_a_file_to_the_agent_surfaces_confinement():
    from musicpipe.pipeline import file_arguments

    assert file_arguments("score", ["--check", "/etc/scene.toml", "--pack", "p.toml"]) == [
        ("PLAN", "/etc/scene.toml"), ("--pack", "p.toml")]
    assert file_arguments("score", ["--check", "-"]) == []


def test_the_report_says_which_hits_are_caught_on_the_beat(scene):
    data = json.loads(sh(f"score --check {scene}/scene.toml --json").stdout)
    assert [(h["on_beat"], h["bar"], h["beat"]) for h in data["hits"]] == [
        (True, 4, 3), (False, 14, 4.081)]
    assert data["hits"][0]["error_ms"] == pytest.approx(0, abs=1e-6)


def test_a_hit_on_a_region_boundary_is_on_the_beat():
    plan = parse(ISSUE_TOML.replace("at = 39.5", "at = 40"))
    regions, timeline = checking.check(plan, Library())
    hit = checking.report(plan, regions, timeline)["hits"][1]
    assert (hit["on_beat"], hit["beat"], hit["tick"]) == (True, 1, timeline.regions[2].tick)

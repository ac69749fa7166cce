"""The reference (musicpipe.reference) says what the commands, tables and docs say."""

from __future__ import annotations

import json

import pytest

from musicpipe import events, notes, reference, umbrella
from musicpipe.moods.packs import Library
from tests.conftest import sh


def test_describe_gives_every_option_the_cli_accepts():
    for stage in ("transpose", "mood", "seq", "to-wav"):
        d = reference.describe(stage)
        helped = sh(f"{stage} --help").stdout.decode()
        for option in d["options"]:
            assert all(flag in helped for flag in option["flags"]), (stage, option)
        assert d["examples"] and all(e in helped for e in d["examples"])
        assert d["summary"] == umbrella.STAGES[stage]
    t = {o["name"]: o for o in reference.describe("transpose")["options"]}
    assert t["semitones"]["kind"] == "integer -127..127"
    assert t["policy"] == {"name": "policy", "flags": ["--out-of-range"],
                           "kind": "one of octave, clamp, drop", "argument": False,
                           "default": "octave", "help": t["policy"]["help"]}
    assert t["channels"]["repeatable"] and t["drums"]["kind"] == "flag"
    seq = {o["name"]: o for o in reference.describe("seq")["options"]}
    assert any(o["argument"] for o in seq.values())


def test_an_example_from_describe_runs(tmp_path):
    example = reference.describe("transpose")["examples"][0]
    assert sh(example, cwd=tmp_path).returncode == 0


def test_unknown_stage_lists_the_stages():
    with pytest.raises(reference.UnknownStage, match="stages: seed, motif"):
        reference.describe("tranpose")


def test_pages():
    for topic in reference.TOPICS:
        mime, text = reference.page(topic)
        assert text.strip()
    assert reference.page("events")[1] == events.reference_markdown()
    stages = reference.page("stages")[1]
    assert all(f"## {s}\n" in stages for s in reference.names())
    assert reference.help_text("trim").strip() in stages
    moods = reference.page("moods")[1]
    assert all(f"## {m}\n" in moods for m in Library().names())
    assert "layers: melody (motif, ch 0)" in moods
    mime, schema = reference.page("notes-schema")
    assert mime == "application/schema+json" and json.loads(schema) == notes.json_schema()
    assert "C4/4" in reference.page("notation")[1]
    from musicpipe.scoring import plan

    assert json.loads(reference.page("score-schema")[1]) == plan.schema()
    assert "score --check" in reference.page("score")[1]
    assert "73 an output file" in reference.page("exit-codes")[1]
    with pytest.raises(KeyError, match="topics: stages, events"):
        reference.page("nope")

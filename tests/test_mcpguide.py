"""The MCP server's resources and prompts as data (musicpipe.mcpguide)."""

from __future__ import annotations

import pytest

from musicpipe import mcpguide, reference


def test_every_reference_page_is_a_resource():
    rows = mcpguide.resources()
    assert [r["name"] for r in rows] == list(reference.TOPICS)
    for r in rows:
        mime, text = mcpguide.read(r["uri"])
        assert (mime, text) == reference.page(r["name"]) and mime == r["mime"]
    with pytest.raises(KeyError, match="resources: musicpipe://docs/stages"):
        mcpguide.read("musicpipe://docs/../../etc/passwd")


def test_prompts_fill_their_arguments_and_name_what_is_missing():
    text = mcpguide.prompt("lead-sheet", {"chords": "Am F C G", "key": "A minor"})
    assert "Am F C G" in text and "Key A minor, tempo 100" in text and '"pitch": "Am"' in text
    assert "16 bars" in mcpguide.prompt("game-loop", {"level": "ice cave"})
    for name, args, message in (
            ("lead-sheet", {}, "chords: lead-sheet needs it"),
            ("lead-sheet", {"chords": "C", "mood": "x"}, "mood: not an argument of lead-sheet"),
            ("nope", {}, "prompts: score-scene, game-loop, lead-sheet")):
        with pytest.raises(KeyError, match=message):
            mcpguide.prompt(name, args)
    tools = ("compose_mood", "run_pipeline", "render", "analyze", "write_notes", "edit_open")
    assert all(any(t in p.template for t in tools) for p in mcpguide.PROMPTS.values())


def test_the_score_prompt_plays_the_plan_whole():
    text = mcpguide.prompt("score-scene", {"scene": "a chase", "seconds": "60"})
    assert "check_score" in text and "compose_score" in text and "exactly 60 seconds" in text
    assert "compose_mood" not in text and "concat" not in text  # no region by region

"""Score plans: TOML and JSON parse to the same objects; every bad plan is one line naming
the field; the JSON Schema in docs/score.md is the one the Structs give."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from musicpipe.moods.packs import Library
from musicpipe.scoring import check as checking
from musicpipe.scoring import plan as P
from tests.conftest import ROOT

ISSUE_TOML = """\
duration = 60
seed = 7

[[region]]
mood = "calm"
at = 0

[[region]]
mood = "suspense"
at = 20
intensity = [[20, 20], [40, 90]]

[[region]]
mood = "heroic"
at = 40

[[hit]]
at = 12.0
kind = "accent"

[[hit]]
at = 39.5
kind = "stinger"
"""

ISSUE_JSON = json.dumps({
    "duration": 60, "seed": 7,
    "region": [{"mood": "calm", "at": 0},
               {"mood": "suspense", "at": 20, "intensity": [[20, 20], [40, 90]]},
               {"mood": "heroic", "at": 40}],
    "hit": [{"at": 12.0, "kind": "accent"}, {"at": 39.5, "kind": "stinger"}]})


def test_toml_and_json_give_the_same_plan():
    a, b = P.parse(ISSUE_TOML), P.parse(ISSUE_JSON)
    assert a == b == P.parse(ISSUE_JSON.encode(), "json")
    assert [r.mood for r in a.region] == ["calm", "suspense", "heroic"]
    assert a.region[1].intensity == [(20.0, 20.0), (40.0, 90.0)]
    assert [(h.at, h.kind) for h in a.hit] == [(12.0, "accent"), (39.5, "stinger")]
    assert (a.seed, a.loop, a.ending, a.key, a.tempo) == (7, False, None, None, None)


def test_the_issues_example_is_in_the_docs_and_parses():
    docs = (ROOT / "docs/score.md").read_text()
    blocks = re.findall(r"```toml\n(.*?)```", docs, re.S)
    assert blocks and all(P.parse(b) for b in blocks)
    assert P.parse(blocks[0]) == P.parse(ISSUE_TOML)
    example = P.parse((ROOT / "examples/scene.toml").read_text())
    assert [r.name for r in example.region] == [None, None, "finale"]


LIBRARY = Library()


def edit(old: str, new: str) -> str:
    assert old in ISSUE_TOML
    return ISSUE_TOML.replace(old, new, 1)


BAD = [
    (edit("at = 40", "at = 65"), "region[2].at: 65 is past duration 60"),
    (edit("at = 40", "at = 60"), "region[2].at: 60 is the end of the piece (duration 60)"),
    (edit("at = 40", "at = 10"), "region[2].at: 10 is not after region[1].at 20 (regions in order of time, no overlap)"),
    (edit("at = 20\n", "at = 0\n"), "region[1].at: 0 is not after region[0].at 0 (regions in order of time, no overlap)"),
    (edit("at = 0\n", "at = 1\n"), "region[0].at: 1 must be 0: the first region starts the piece"),
    (edit("at = 12.0", "at = 61"), "hit[0].at: 61 is past duration 60"),
    (edit("at = 12.0", "at = -1"), "hit[0].at: -1: expected a number >= 0"),
    (edit('kind = "accent"', 'kind = "boom"'), 'hit[0].kind: "boom": not one of accent, stop, stinger, riser-to'),
    (edit('at = 12.0\nkind = "accent"', 'at = 0\nkind = "riser-to"'), "hit[0].at: a riser-to needs time to rise before it; 0 is the start"),
    (edit("[[20, 20], [40, 90]]", "[[20, 20], [40, 190]]"), "region[1].intensity[1][1]: 190: expected a number <= 100"),
    (edit("[[20, 20], [40, 90]]", "[[20, 20], [45, 90]]"), "region[1].intensity[1]: 45 s is outside the region (20..40 s)"),
    (edit("[[20, 20], [40, 90]]", "[[10, 20]]"), "region[1].intensity[0]: 10 s is outside the region (20..40 s)"),
    (edit("[[20, 20], [40, 90]]", "[[30, 20], [25, 90]]"), "region[1].intensity[1]: 25 s comes before the keyframe before it (30 s; keyframes in order of time)"),
    (edit("[[20, 20], [40, 90]]", "[[20, 20, 5]]"), "region[1].intensity[0]: [20,20,5]: expected a list of length 2, got 3"),
    (edit("[[20, 20], [40, 90]]", "120"), "region[1].intensity: 120: expected a number <= 100"),
    (edit("[[20, 20], [40, 90]]", '"loud"'), 'region[1].intensity: "loud": expected a number, a list or null, got text'),
    (edit("duration = 60", "duration = 4000"), "duration: 4000: expected a number <= 3600"),
    (edit("duration = 60", "duration = nan"), "duration: nan: expected a number >= 0.5"),
    (edit("duration = 60", "duration = true"), "duration: true: expected a number, got true or false"),
    (edit("seed = 7", "seed = 18446744073709551616"), "seed: 18446744073709551616 is past the largest seed 2^64-1"),
    (edit("seed = 7", "seed = -2"), "seed: -2: expected a whole number >= 0"),
    (edit('mood = "heroic"', 'mod = "heroic"'), "region[2].mod: unknown field; did you mean mood? fields: mood, at, intensity, key, tempo, name"),
    (edit("seed = 7", "seed = 7\ntempi = 90"), "tempi: unknown field; did you mean tempo? fields: duration, region, hit, seed, key, tempo, loop, ending, title"),
    (edit('mood = "heroic"\n', ""), "region[2].mood: missing (required)"),
    (edit('mood = "calm"', 'mood = "calm"\nkey = "H"'), "region[0].key: not a key: 'H' (examples: C, Am, F#m, Bb major, D dorian)"),
    (edit('mood = "calm"', 'mood = "calm"\ntempo = 1000'), "region[0].tempo: 1000: expected a number <= 400"),
    (edit("seed = 7", 'seed = 7\nloop = true\nending = "fade"'), "ending: 'fade' with loop = true: a loop has no ending (its end leads back into its start); drop one"),
    (edit("seed = 7", 'seed = 7\nending = "big"'), 'ending: "big": not one of cadence, ring, fade'),
    ("duration = 10", "region: missing (required)"),
    ("duration = 10\nregion = []", "region: []: expected a list of length >= 1"),
    ("duration = ", "TOML: Invalid value (at end of document)"),
    ('{"duration": 1, ', "JSON: Input data was truncated"),
    ("[1, 2]", "TOML: Expected ']' at the end of a table declaration (at line 1, column 3)"),
]


@pytest.mark.parametrize("text, message", BAD)
def test_bad_plans_fail_with_one_line_naming_the_field(text, message):
    with pytest.raises(P.PlanError) as e:
        P.parse(text)
    assert str(e.value) == message
    assert e.value.exit_code == 65


def test_sizes_are_bounded():
    many = "duration = 3600\n" + "".join(f'[[region]]\nmood = "calm"\nat = {i}\n' for i in range(65))
    with pytest.raises(P.PlanError, match=r"^region: \[.*expected a list of length <= 64$"):
        P.parse(many)
    hits = ISSUE_TOML + "".join(f'[[hit]]\nat = {i / 10}\nkind = "accent"\n' for i in range(257))
    with pytest.raises(P.PlanError, match="^hit: .*length <= 256$"):
        P.parse(hits)
    with pytest.raises(P.PlanError, match="larger than 1 MiB"):
        P.parse(ISSUE_TOML + "#" * (1 << 20))
    with pytest.raises(P.PlanError, match="not UTF-8"):
        P.parse(b"duration = 1 # \xff\n")
    for deep in ("x = " + "[" * 100000, '{"a":' + "[" * 100000,
                 "duration = 1\nregion = " + "[" * 5000 + "]" * 5000):
        with pytest.raises(P.PlanError, match="^the plan is nested too deeply$"):
            P.parse(deep)


def test_the_duration_limit_is_moods():
    from musicpipe.stages.mood import command

    duration = next(p for p in command.params if p.name == "duration")
    assert (duration.type.min, duration.type.max) == (P.MIN_DURATION, P.MAX_DURATION)


def test_unknown_moods_suggest_close_names_from_the_library():
    names = Library().names()
    plan = P.parse(edit('"suspense"', '"suspence"'))
    with pytest.raises(P.PlanError, match=r"^region\[1\]\.mood: no mood 'suspence'; did you mean "
                                          r"suspense\? moods: .*calm.*$"):
        P.check_moods(plan, names)
    P.check_moods(P.parse(edit('"calm"', '"CALM"')), names)  # case does not matter, as for mood


def test_the_docs_carry_the_schema_the_structs_give():
    docs = (ROOT / "docs/score.md").read_text()
    assert P.schema_markdown() in docs, "regenerate the block: python -m musicpipe.scoring.plan"


def test_the_schema_accepts_the_issues_plan_and_refuses_a_bad_one():
    import jsonschema  # the mcp SDK's dependency
    validator = jsonschema.Draft202012Validator(P.schema())
    validator.validate(json.loads(ISSUE_JSON))
    bad = json.loads(ISSUE_JSON)
    bad["hit"][0]["kind"] = "boom"
    assert not validator.is_valid(bad)


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers(-10, 2**65) | st.floats(allow_nan=True)
    | st.sampled_from(["calm", "Am", "H", "accent", "riser-to", "fade", "", "x" * 70]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["mood", "at", "intensity", "key", "tempo", "name", "kind", "foo"]),
        inner, max_size=4),
    max_leaves=12)


def mutations():
    """The issue's plan with one field (top level, a region's, a hit's) set to anything."""
    base = json.loads(ISSUE_JSON)
    fields = ([("", k) for k in ("duration", "seed", "key", "tempo", "loop", "ending", "title",
                                  "region", "hit")]
              + [(f"region.{i}", k) for i in range(3) for k in ("mood", "at", "intensity", "key",
                                                                  "tempo", "name", "bogus")]
              + [(f"hit.{i}", k) for i in range(2) for k in ("at", "kind", "label")])
    return st.tuples(st.just(base), st.sampled_from(fields), JSONISH)


@settings(max_examples=300, deadline=None)
@given(mutations())
def test_any_plan_is_a_plan_or_one_line_naming_a_field(case):
    import copy

    base, (where, key), value = case
    data = copy.deepcopy(base)
    target = data
    if where:
        kind, i = where.split(".")
        target = data[kind][int(i)]
    target[key] = value
    text = json.dumps(data, allow_nan=True).encode()
    try:
        plan = P.parse(text, "json")
    except P.PlanError as e:
        message = str(e)
        assert "\n" not in message and message
        return
    try:  # a plan that parses also checks and fits, or fails the same way
        checking.check(plan, LIBRARY)
    except P.PlanError as e:
        assert "\n" not in str(e)

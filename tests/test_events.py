import pytest

from musicpipe.events import EVENTS, EventError, check, reference_markdown
from tests.conftest import ROOT


def note(**kw):
    return {"type": "Note", "t": 0, "dur": 480, "ch": 0, "key": 60, "vel": 90, **kw}


@pytest.mark.parametrize("ev", [
    note(), note(key=0), note(key=127), note(vel=1), note(ch=15), {"type": "Seed", "seed": 2**64 - 1},
    {"type": "Tempo", "t": 0, "bpm": 97.5}, {"type": "TimeSig", "t": 0, "num": 7, "den": 8},
    {"type": "Marker", "t": 0, "text": "intro"}, {"type": "Marker", "t": 0, "text": "Bass", "ch": 1},
    {"type": "NoteOff", "t": 5, "ch": 0, "key": 60}, {"type": "End", "t": 1920},
    {"type": "Whatever", "x": [1, 2]}, note(extra={"kept": True}),
])
def test_valid_events_pass(ev):
    check(ev)


@pytest.mark.parametrize("ev, message", [
    (note(key=200), 'Note field "key" is 200, allowed 0..127'),
    (note(vel=0), 'Note field "vel" is 0, allowed 1..127'),
    (note(ch=16), 'Note field "ch" is 16, allowed 0..15'),
    (note(dur=0), 'Note field "dur" is 0, allowed 1..'),
    (note(t=-1), 'Note field "t" is -1'),
    (note(t=1.5), 'Note field "t" must be an integer'),
    (note(key="60"), 'Note field "key" must be an integer (0..127), got text "60"'),
    (note(key=True), "got boolean True"),
    ({"type": "Note", "t": 0, "ch": 0, "key": 60, "vel": 9}, 'Note is missing field "dur"'),
    ({"type": "TimeSig", "t": 0, "num": 4, "den": 6}, "a power of 2"),
    ({"type": "Tempo", "t": 0, "bpm": 0}, 'Tempo field "bpm" is 0, allowed 4..1000'),
    ({"type": "Seed", "seed": -1}, 'Seed field "seed" is -1'),
    ({"t": 0}, 'missing field "type"'),
    ({"type": 7}, 'field "type" must be text'),
])
def test_bad_events_name_field_and_range(ev, message):
    with pytest.raises(EventError, match=None) as err:
        check(ev)
    assert message in str(err.value)


def test_reference_doc_is_generated_from_the_table():
    doc = (ROOT / "docs" / "events.md").read_text()
    assert doc == reference_markdown(), "regenerate: python -m musicpipe.events > docs/events.md"
    for name in EVENTS:
        assert f"## {name}" in doc

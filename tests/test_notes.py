"""Notes as JSON (musicpipe.notes): documents to streams, the schema, one-line refusals."""

from __future__ import annotations

import jsonschema
import pytest

from musicpipe import notes
from musicpipe.positions import Meter
from tests.conftest import events, jsonl, sh


def doc(*note_list, **track):
    return {"tracks": [{"notes": list(note_list), **track}]}


def test_every_way_of_writing_a_pitch_and_a_start():
    evs = notes.events({"tempo": 90, "key": "A minor", "tracks": [
        {"name": "Keys", "instrument": "strings", "notes": [
            {"pitch": "Am7", "start": "1:1", "length": {"bars": 1}},
            {"pitch": "C7@4", "start": {"bar": 2}, "length": {"beats": 2}}]},
        {"name": "Lead", "instrument": "flute", "notes": [
            {"pitch": 76, "start": 0, "length": 1.5, "velocity": 100},
            {"pitch": "C#5", "start": "1:2.5", "length": 0.5},
            {"pitch": "C7", "start": {"bar": 2, "beat": 4}}]},
        {"instrument": "drums", "notes": [{"pitch": "kick", "start": 4}]}]})
    assert evs[:3] == [{"type": "Tempo", "t": 0, "bpm": 90.0},
                       {"type": "TimeSig", "t": 0, "num": 4, "den": 4},
                       {"type": "KeySig", "t": 0, "key": "A", "mode": "minor"}]
    heads = [(e["type"], e.get("ch"), e.get("text", e.get("program"))) for e in evs[3:9]]
    assert heads == [("Marker", 0, "Keys"), ("ProgramChange", 0, 48), ("Marker", 1, "Lead"),
                     ("ProgramChange", 1, 73), ("Marker", 9, "Drums"), ("ProgramChange", 9, 0)]
    got = [(e["t"], e["dur"], e["ch"], e["key"], e["vel"]) for e in evs if e["type"] == "Note"]
    assert got == [(0, 1920, 0, 57, 90), (0, 1920, 0, 60, 90), (0, 1920, 0, 64, 90),
                   (0, 1920, 0, 67, 90), (0, 720, 1, 76, 100), (720, 240, 1, 73, 90),
                   (1920, 960, 0, 60, 90), (1920, 960, 0, 64, 90), (1920, 960, 0, 67, 90),
                   (1920, 960, 0, 70, 90), (1920, 480, 9, 36, 90), (3360, 480, 1, 96, 90)]
    assert evs[-1] == {"type": "End", "t": 3840}


def test_positions_follow_the_meter():
    six_eight = Meter([(0, 6, 8)])
    assert six_eight.tick("2:1") == 1440 and six_eight.tick("2:4") == 1440 + 3 * 240
    assert six_eight.position(1440 + 240) == "2:2"
    evs = notes.events({"time_signature": "6/8", "bars": 3,
                        "tracks": [{"notes": [{"pitch": 60, "start": "2:1", "length": {"bars": 1}}]}]})
    assert [(e["t"], e["dur"]) for e in evs if e["type"] == "Note"] == [(1440, 1440)]
    assert evs[-1] == {"type": "End", "t": 3 * 1440}


def test_tracks_sharing_a_channel_stay_two_tracks_in_the_file(tmp_path):
    evs = notes.events({"tracks": [
        {"name": "Left", "instrument": "piano", "channel": 0, "notes": [{"pitch": "C3", "start": 0}]},
        {"name": "Right", "instrument": "piano", "channel": 0, "notes": [{"pitch": "C5", "start": 0}]}]})
    assert {e.get("track") for e in evs if e["type"] == "Note"} == {"Left", "Right"}
    out = tmp_path / "two.mid"
    sh(f"to-midi --out {out}", input=jsonl(evs))
    back = events(sh(f"from-midi {out}").stdout)
    names = {e["text"] for e in back if e["type"] == "Marker"}
    assert {"Left", "Right"} <= names
    assert sorted((e["key"], e["track"]) for e in back if e["type"] == "Note") == [(48, "Left"), (72, "Right")]


def test_a_document_through_real_stages_comes_back_note_for_note(tmp_path):
    evs = notes.events({"tempo": 100, "tracks": [
        {"name": "Melody", "instrument": "flute",
         "notes": [{"pitch": p, "start": i / 2, "length": 0.5} for i, p in enumerate("C5 D5 E5 G5".split())]},
        {"name": "Chords", "instrument": "piano", "notes": [{"pitch": "C", "start": "1:1", "length": 4}]}]})
    out = tmp_path / "n.mid"
    sh(f"transpose -s 0 | to-midi --out {out}", input=jsonl(evs))
    back = events(sh(f"from-midi {out}").stdout)
    key = lambda e: (e["t"], e["ch"], e["key"])  # noqa: E731
    mine = sorted((e for e in evs if e["type"] == "Note"), key=key)
    assert sorted((e for e in back if e["type"] == "Note"), key=key) == mine
    assert {(e["ch"], e["text"]) for e in back if e["type"] == "Marker"} == {(1, "Chords"), (0, "Melody")}


BAD = [
    (doc({"pitch": "H4", "start": 0}),
     'tracks[0].notes[0].pitch: "H4" is not a note name (C4, F#3, Bb2, 0..127), or a chord symbol (Am7, Fmaj7, C7@4)'),
    ({"tracks": [{"notes": []}, {"notes": [{"pitch": 60, "start": 0}, {"pitch": 200, "start": 1}]}]},
     "tracks[1].notes[1].pitch: expected `int` <= 127"),
    (doc({"pitch": "C4", "start": 0, "vel": 3}),
     "tracks[0].notes[0]: object contains unknown field `vel` (fields: pitch, start, length, velocity)"),
    (doc({"pitch": "C4", "start": "2:5"}),
     "tracks[0].notes[0].start: beat 5 is not in bar 2, which has 4 beats (1 up to but not including 5)"),
    (doc({"pitch": "C4", "start": "soon"}),
     'tracks[0].notes[0].start: expected a position: quarter notes, "BAR:BEAT" (from 1) or {"bar":..,"beat":..}'),
    (doc({"pitch": "C4"}), "tracks[0].notes[0]: object missing required field `start`"),
    (doc({"pitch": "C4", "start": 0, "length": 0}), "tracks[0].notes[0].length: expected `float` > 0.0"),
    (doc({"pitch": "C4", "start": 0, "velocity": 0}), "tracks[0].notes[0].velocity: expected `int` >= 1"),
    (doc({"pitch": "C10", "start": 0}),
     "tracks[0].notes[0].pitch: note 'C10' is key 132, allowed 0..127 (C-1..G9)"),
    (doc({"pitch": "B13@9", "start": 0}), 'tracks[0].notes[0].pitch: "B13@9" reaches keys 131..152, allowed 0..127'),
    (doc(instrument="kazooo"),
     "tracks[0].instrument: unknown instrument 'kazooo' (a number 0-127 or a GM name like piano, strings, bass)"),
    ({"tracks": []}, "tracks: expected `array` of length >= 1"),
    ({"tracks": [{"notes": [], "channel": 0}, {"notes": [], "channel": 0, "instrument": "flute"}]},
     "tracks[1].channel: 0 is already tracks[0]'s channel with another instrument (a channel plays one at a time)"),
    ({"time_signature": "3/5", "tracks": [{"notes": []}]},
     'time_signature: "3/5" needs 1..64 beats of a power of 2 up to 64 (4/4, 3/4, 6/8)'),
    ({"key": "H major", "tracks": [{"notes": []}]},
     "key: not a key: 'H major' (examples: C, Am, F#m, Bb major, D dorian)"),
    ({"bars": 1, "tracks": [{"notes": [{"pitch": 60, "start": "2:1"}]}]},
     "bars: the notes reach bar 2, past the 1 bars given"),
    ('{"tracks": [1]}', "tracks[0]: expected `object`, got `int`"),
    ("{", "not JSON: Input data was truncated"),
]


@pytest.mark.parametrize("bad,message", BAD, ids=[m.split(":")[0] for _, m in BAD])
def test_a_bad_document_is_one_line_naming_the_place(bad, message):
    with pytest.raises(notes.NotesError) as e:
        notes.events(bad)
    assert str(e.value) == message


def test_the_schema_is_strict_and_agrees_with_the_decoder():
    schema = notes.json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    good = {"tempo": 100, "tracks": [{"name": "A", "notes": [
        {"pitch": "Am7", "start": "1:2.5", "length": {"bars": 1}, "velocity": 60},
        {"pitch": 60, "start": 0.5}, {"pitch": "E4", "start": {"bar": 2, "beat": 3}}]}]}
    jsonschema.validate(good, schema)
    notes.events(good)
    for bad in (doc({"pitch": 200, "start": 0}), doc({"pitch": "C4", "start": 0, "vel": 3}),
                doc({"pitch": "C4", "start": "soon"}), doc({"pitch": "C4"}),
                doc({"pitch": "C4", "start": 0, "velocity": 0}), {"tracks": []}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, schema)

"""The seq notation: parsing, errors with columns, and format -> parse round trips."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from musicpipe.notation import (NotationError, duration_name, format_notes, parse, parse_duration,
                                to_notes)


def keys_and_times(text, **kw):
    notes, length = to_notes(parse(text), **kw)
    return [(n["t"], n["dur"], n["key"], n["vel"]) for n in notes], length


@pytest.mark.parametrize("spec, ticks", [
    ("1", 1920), ("2", 960), ("4", 480), ("8", 240), ("16", 120), ("32", 60), ("64", 30),
    ("4.", 720), ("4..", 840), ("8t", 160), ("4t", 320), ("t100", 100), ("b0.75", 360),
    ("2+8", 1200), ("4.+16t", 800),
])
def test_durations(spec, ticks):
    assert parse_duration(spec) == ticks


def test_the_music_pipe_rs_example():
    notes, length = keys_and_times("C4/4 D4/8 E4/8 R/4 G4/2")
    assert notes == [(0, 480, 60, 96), (480, 240, 62, 96), (720, 240, 64, 96), (1440, 960, 67, 96)]
    assert length == 2400


def test_chords_ties_velocity_numbers_and_carry_over():
    notes, length = keys_and_times("[C4,E4,G4]/2*70 C4/2~C4/8 60 Bb3/2+8 F#4*127 r/t10", vel=80)
    assert notes == [(0, 960, 60, 70), (0, 960, 64, 70), (0, 960, 67, 70), (960, 1200, 60, 70),
                     (2160, 1200, 60, 70), (3360, 1200, 58, 70), (4560, 1200, 66, 127)]
    assert length == 5770


def test_spaces_inside_chords_and_comments():
    assert keys_and_times("[C4, E4]/4 # a comment\nD4")[0] == [(0, 480, 60, 96), (0, 480, 64, 96),
                                                             (480, 480, 62, 96)]


def test_bars_are_checked_only_when_asked():
    assert keys_and_times("C4/2 | D4/2")[1] == 1920
    assert keys_and_times("C4/1 | D4/2 D4/2 |", bar=1920)[1] == 3840
    with pytest.raises(NotationError, match="bar 2 lasts 960 ticks, not 1440"):
        keys_and_times("C4/2. | D4/2 | E4/2.", bar=1440)


@pytest.mark.parametrize("text, message", [
    ("C4/4 D4/0", "token 2 'D4/0' at column 6: duration /0 is not allowed"),
    ("C4/4 H4/4", "token 2 'H4/4' at column 6: expected a pitch"),
    ("C4/4  128", "token 2 '128' at column 7: .*outside|allowed 0..127"),
    ("G9/4 G#9/4", "token 2 'G#9/4' at column 6"),
    ("C4/4 C4*0", "velocity \\*0 is outside 1..127"),
    ("C4/2~D4/8", "a tie ~ joins the same pitches"),
    ("C4/3", "duration /3"),
    ("[C4,,E4]/4", "empty pitch"),
    ("", "no notes or rests"),
    ("| |", "no notes or rests"),
])
def test_errors_point_at_the_token_and_column(text, message):
    with pytest.raises(NotationError, match=message):
        parse(text)


def test_errors_in_a_file_give_line_and_column():
    score = "# intro\nC4/4 D4\n  [C4,\n E4]/2 C4/0\n"
    with pytest.raises(NotationError, match="token 4 'C4/0' at line 4, column 8: duration /0"):
        parse(score)


@pytest.mark.parametrize("ticks, name", [
    (480, "4"), (720, "4."), (160, "8t"), (2880, "1."), (1200, "2+8"), (2400, "1+4"),
    (7680, "1+1+1+1"), (100, "t100"), (1000, "t1000"), (9600, "t9600"),
])
def test_duration_names_parse_back(ticks, name):
    assert duration_name(ticks) == name and parse_duration(name) == ticks


def test_format_keeps_each_notes_length_and_velocity_in_a_chord():
    notes = [{"t": 0, "dur": 960, "key": 64, "vel": 70}, {"t": 0, "dur": 480, "key": 60, "vel": 90},
             {"t": 480, "dur": 1200, "key": 62, "vel": 90}, {"t": 1680, "dur": 100, "key": 62, "vel": 96}]
    assert format_notes(notes) == "[C4,E4/2*70]/4*90 D4/2+8 D4/t100*96"
    doubled = [{"t": 0, "dur": 480, "key": 60, "vel": 90}] * 2
    assert format_notes(doubled) == "[C4,C4]/4*90"


def test_chord_entries_with_their_own_length_and_velocity():
    back, length = to_notes(parse("[C4/2,E4*70,C4]/4*90 G4"), ch=1)
    assert [(n["t"], n["dur"], n["key"], n["vel"]) for n in back] == [
        (0, 960, 60, 90), (0, 480, 60, 90), (0, 480, 64, 70), (480, 480, 67, 90)]
    assert length == 960
    with pytest.raises(NotationError, match="plain chords"):
        parse("[C4/2,E4]/4~[C4,E4]/4")
    with pytest.raises(NotationError, match="outside 1..127"):
        parse("[C4*200]/4")


notes_strategy = st.lists(
    st.tuples(st.integers(0, 8),
              st.sampled_from([30, 60, 100, 120, 160, 240, 360, 480, 720, 960, 1000, 1200, 7680]),
              st.sets(st.integers(0, 127), min_size=1, max_size=4), st.integers(1, 127)),
    min_size=1, max_size=30)


@settings(max_examples=200, deadline=None)
@given(notes_strategy)
def test_format_then_parse_gives_the_notes_back(steps):
    """Notes and chords that never overlap the next onset round-trip exactly (times, lengths,
    keys, velocities)."""
    notes, t = [], 0
    for gap, dur, keys, vel in steps:
        t += gap * 60
        notes += [{"type": "Note", "t": t, "dur": dur, "ch": 0, "key": k, "vel": vel}
                  for k in sorted(keys)]
        t += dur
    back, _ = to_notes(parse(format_notes(notes)), ch=0)
    assert back == notes


any_notes = st.lists(st.tuples(st.integers(0, 40), st.integers(1, 2000), st.integers(0, 127),
                               st.integers(1, 127)), min_size=1, max_size=40)


@settings(max_examples=200, deadline=None)
@given(any_notes)
def test_any_notes_come_back_overlaps_doubles_and_velocities_included(raw):
    """Overlapping notes, notes doubled at one onset, each note's velocity: all come back."""
    notes = [{"type": "Note", "t": t * 60, "dur": dur, "ch": 0, "key": key, "vel": vel}
             for t, dur, key, vel in raw]
    back, _ = to_notes(parse(format_notes(notes)), ch=0)
    order = lambda n: (n["t"], n["key"], n["dur"], n["vel"])  # noqa: E731
    assert sorted(back, key=order) == sorted(notes, key=order)

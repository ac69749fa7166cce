"""musicpipe.midi in-process: track layout, note ordering, End, rescaling, and the round trip.

Files are checked in two independent readers besides mido: pretty_midi and music21.
"""

from __future__ import annotations

import io

import mido
import pretty_midi
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from music21 import converter, instrument, tempo

from musicpipe import smf
from musicpipe.events import EVENTS
from musicpipe.midi import (MAX_TEMPO_US, MidiError, bar_ceiling, events_to_midi, midi_bytes,
                            midi_to_events, write_midi)


def note(t, dur, ch, key, vel=90):
    return {"type": "Note", "t": t, "dur": dur, "ch": ch, "key": key, "vel": vel}


# A layered arrangement: strings on channel 0 (program 48), a drum part on channel 9.
LAYERED = (
    [{"type": "Tempo", "t": 0, "bpm": 90}, {"type": "TimeSig", "t": 0, "num": 4, "den": 4},
     {"type": "ProgramChange", "t": 0, "ch": 0, "program": 48}]
    + [note(i * 480, 480, 0, 60 + i, 70 + i) for i in range(8)]
    + [note(i * 240, 120, 9, 36 if i % 2 == 0 else 42, 100) for i in range(16)]
)


def tracks(f: mido.MidiFile) -> list[list[tuple]]:
    """Each track as (absolute tick, message) pairs."""
    out = []
    for track in f.tracks:
        now, items = 0, []
        for msg in track:
            now += msg.time
            items.append((now, msg))
        out.append(items)
    return out


def names(f: mido.MidiFile) -> list[str | None]:
    return [next((m.name for m in t if m.type == "track_name"), None) for t in f.tracks]


def reread(evs, **kw) -> mido.MidiFile:
    """Through bytes and back, so what is checked is what a DAW would read."""
    return mido.MidiFile(file=io.BytesIO(midi_bytes(evs, **kw)), charset="utf-8")


# ------------------------------------------------------------------ layout


def test_type1_is_a_conductor_then_one_named_track_per_channel_in_channel_order():
    evs = LAYERED + [note(0, 480, 2, 40), {"type": "ProgramChange", "t": 0, "ch": 2, "program": 33},
                     {"type": "Marker", "t": 0, "text": "Intro"}]
    f = reread(evs, title="Song")
    assert f.type == 1 and f.ticks_per_beat == 480
    assert names(f) == ["Song", "Strings", "Bass", "Drums"]
    conductor = [(t, m.type) for t, m in tracks(f)[0]]
    assert conductor == [(0, "track_name"), (0, "set_tempo"), (0, "time_signature"), (0, "marker"),
                         (3840, "end_of_track")]
    assert [m.tempo for _, m in tracks(f)[0] if m.type == "set_tempo"] == [666667]
    channels = [{m.channel for _, m in t if not m.is_meta} for t in tracks(f)[1:]]
    assert channels == [{0}, {2}, {9}]


def test_each_track_starts_with_its_program_and_drums_get_none():
    f = reread(LAYERED + [note(0, 480, 3, 50)])
    starts = [[(t, m.type, getattr(m, "program", None)) for t, m in tr[:2]] for tr in tracks(f)[1:]]
    assert starts == [[(0, "track_name", None), (0, "program_change", 48)],
                      [(0, "track_name", None), (0, "program_change", 0)],   # no PC: GM default
                      [(0, "track_name", None), (0, "note_on", None)]]       # drums: none needed
    assert names(f)[1:] == ["Strings", "Piano", "Drums"]


def test_a_program_change_later_in_the_piece_stays_where_it_is():
    evs = [note(0, 480, 0, 60), {"type": "ProgramChange", "t": 960, "ch": 0, "program": 40},
           note(960, 480, 0, 62)]
    pcs = [(t, m.program) for t, m in tracks(reread(evs))[1] if m.type == "program_change"]
    assert pcs == [(0, 0), (960, 40)]


def test_marker_with_ch_names_the_track_later_ones_stay_markers():
    evs = [note(0, 480, 1, 60), {"type": "Marker", "t": 480, "text": "Solo", "ch": 1},
           {"type": "Marker", "t": 0, "text": "Lead ♪", "ch": 1}]
    f = reread(evs)
    assert names(f) == [None, "Lead ♪"]
    assert [(t, m.text) for t, m in tracks(f)[1] if m.type == "marker"] == [(480, "Solo")]


def test_note_off_comes_before_a_note_on_on_the_same_tick():
    evs = [note(0, 480, 0, 60), note(480, 480, 0, 60), note(480, 240, 0, 64)]
    msgs = [(t, m.type, m.note) for t, m in tracks(reread(evs))[1] if m.type.startswith("note")]
    assert msgs == [(0, "note_on", 60), (480, "note_off", 60), (480, "note_on", 60),
                    (480, "note_on", 64), (720, "note_off", 64), (960, "note_off", 60)]


def test_overlapping_notes_on_one_key_end_where_the_next_starts():
    warnings = []
    evs = [note(0, 1920, 0, 60, 80), note(480, 480, 0, 60, 90),   # inside the first
           note(1440, 960, 0, 60, 70), note(1440, 240, 0, 60, 60)]  # same start: the longer wins
    f = events_to_midi(evs, warn=warnings.append)
    back = [(e["t"], e["dur"], e["vel"]) for e in midi_to_events(_save(f)) if e["type"] == "Note"]
    assert back == [(0, 480, 80), (480, 480, 90), (1440, 960, 70)]
    assert warnings == ["2 notes overlap another on the same channel and key "
                        "(1 ended where the next starts, 1 starting together merged)"]


def test_all_tracks_end_on_the_bar_line_after_the_last_note():
    evs = LAYERED + [note(3000, 10, 2, 50)]
    ends = {tr[-1][0] for tr in tracks(reread(evs))}
    assert ends == {3840}                           # 3010 -> bar 2 of 4/4 ends at 3840
    waltz = [{"type": "TimeSig", "t": 0, "num": 3, "den": 4}, note(0, 1441, 0, 60)]
    assert {tr[-1][0] for tr in tracks(reread(waltz))} == {1440}  # a 1-tick tail adds no bar
    longer = [{"type": "TimeSig", "t": 0, "num": 3, "den": 4}, note(0, 1440 + 120, 0, 60)]
    assert {tr[-1][0] for tr in tracks(reread(longer))} == {2880}  # a sixteenth past: it does
    late = waltz + [note(1442, 5, 0, 62)]
    assert {tr[-1][0] for tr in tracks(reread(late))} == {2880}  # a note starting past the line
    six_eight = [{"type": "TimeSig", "t": 0, "num": 6, "den": 8}, note(0, 1440, 0, 60)]
    assert {tr[-1][0] for tr in tracks(reread(six_eight))} == {1440}


def test_bar_ceiling_counts_bars_from_each_time_signature():
    sigs = [{"t": 0, "num": 4, "den": 4}, {"t": 1920, "num": 3, "den": 4}]
    assert [bar_ceiling(t, sigs) for t in (0, 1, 1920, 1921, 3360, 3361)] == [
        0, 1920, 1920, 3360, 3360, 4800]


def test_the_streams_end_wins_and_cuts_what_reaches_past_it():
    warnings = []
    evs = [note(0, 960, 0, 60), note(1000, 500, 0, 62), note(2000, 100, 0, 64),
           {"type": "End", "t": 100}, {"type": "End", "t": 1200},
           {"type": "ControlChange", "t": 1300, "ch": 0, "cc": 7, "value": 90}]
    f = events_to_midi(evs, warn=warnings.append)
    assert {tr[-1][0] for tr in tracks(reread(evs))} == {1200}
    back = [(e["t"], e["dur"]) for e in midi_to_events(_save(f)) if e["type"] == "Note"]
    assert back == [(0, 960), (1000, 200)]
    assert warnings == ["1 events after the End at tick 1200 dropped",
                        "2 notes reach past the End at tick 1200 (1 cut there, 1 starting at "
                        "or after it dropped)"]


def test_type0_is_one_track_with_the_same_notes():
    one = reread(LAYERED, type=0)
    assert one.type == 0 and len(one.tracks) == 1
    type1 = pretty_midi.PrettyMIDI(io.BytesIO(midi_bytes(LAYERED)))
    type0 = pretty_midi.PrettyMIDI(io.BytesIO(midi_bytes(LAYERED, type=0)))
    assert _pm_notes(type0) == _pm_notes(type1)
    assert len(_pm_notes(type1)) == 24


def test_ppq_rescales_to_the_nearest_tick_and_keeps_every_note():
    evs = [note(0, 1, 0, 60), note(1, 1, 0, 62), note(2, 2, 0, 60), note(480, 480, 0, 64)]
    f = reread(evs, ppq=96)
    assert f.ticks_per_beat == 96
    ons = [(t, m.type, m.note) for t, m in tracks(f)[1] if m.type.startswith("note")]
    # 1 tick at 480 is 0.2 at 96: every note keeps one tick; the 60 at 2 starts on the
    # same tick (0) as the first 60 and merges with it.
    assert ons == [(0, "note_on", 60), (0, "note_on", 62), (1, "note_off", 60),
                   (1, "note_off", 62), (96, "note_on", 64), (192, "note_off", 64)]
    assert f.tracks[1][-1].type == "end_of_track" and tracks(f)[1][-1][0] == 384
    assert smf._scaler(96)(2) == 0 and smf._scaler(96)(3) == 1   # 0.4 -> 0, 0.6 -> 1
    assert smf._scaler(960)(1) == 2 and smf._scaler(1)(240) == 1  # half rounds up


def test_empty_stream_is_a_valid_file():
    f = reread([])
    assert f.type == 1 and len(f.tracks) == 1 and tracks(f)[0][-1] == (0, f.tracks[0][-1])


def test_bad_events_and_too_long_pieces_are_errors_naming_the_event():
    bad = note(0, 480, 0, 200)
    with pytest.raises(MidiError, match=r'Note field "key" is 200') as e:
        events_to_midi([bad])
    assert e.value.event is bad
    far = note(2**28, 1, 0, 60)
    with pytest.raises(MidiError, match="at most 268435455") as e:
        events_to_midi([note(0, 1, 0, 60), far])
    assert e.value.event is far
    end = {"type": "End", "t": 2**28}
    with pytest.raises(MidiError) as e:
        events_to_midi([note(0, 1, 0, 60), end])
    assert e.value.event is end
    with pytest.raises(MidiError):       # fine at 480 PPQ, too long once rescaled to 960
        events_to_midi([note(2**27 + 1, 1, 0, 60)], ppq=960)


def test_the_tables_tempo_range_always_fits_midis_three_bytes():
    bpm = next(f for f in EVENTS["Tempo"].fields if f.name == "bpm")
    assert round(60_000_000 / bpm.lo) <= MAX_TEMPO_US and round(60_000_000 / bpm.hi) >= 1


def test_write_midi_is_atomic(tmp_path):
    path = tmp_path / "a.mid"
    write_midi(LAYERED, path)
    good = path.read_bytes()
    with pytest.raises(MidiError):
        write_midi([note(0, 1, 0, 300)], path)
    assert path.read_bytes() == good and list(tmp_path.iterdir()) == [path]
    assert mido.MidiFile(path).tracks[1].name == "Strings"


# ------------------------------------------------------------------ independent readers


def _pm_notes(pm):
    return sorted((i.program, i.is_drum, n.pitch, n.velocity, round(n.start, 6), round(n.end, 6))
                  for i in pm.instruments for n in i.notes)


def test_pretty_midi_reads_strings_and_drums():
    pm = pretty_midi.PrettyMIDI(io.BytesIO(midi_bytes(LAYERED)))
    assert [(i.name, i.program, i.is_drum, len(i.notes)) for i in pm.instruments] == [
        ("Strings", 48, False, 8), ("Drums", 0, True, 16)]
    times, bpms = pm.get_tempo_changes()
    assert list(times) == [0.0] and bpms[0] == pytest.approx(90, abs=1e-3)
    strings = pm.instruments[0].notes
    assert [(n.pitch, n.velocity) for n in strings] == [(60 + i, 70 + i) for i in range(8)]
    assert strings[1].start == pytest.approx(60 / 90) and strings[1].end == pytest.approx(120 / 90)


def test_music21_reads_strings_and_drums(tmp_path):
    path = tmp_path / "layered.mid"
    write_midi(LAYERED, path)
    score = converter.parse(str(path))
    assert [p.partName for p in score.parts] == ["Strings", "Drums"]
    programs = [{i.midiProgram for i in p.recurse().getElementsByClass(instrument.Instrument)}
                for p in score.parts]
    assert 48 in programs[0]
    strings, drums = (list(p.flatten().notes) for p in score.parts)
    assert [n.pitch.midi for n in strings] == list(range(60, 68))
    assert [n.offset for n in strings] == [float(i) for i in range(8)]
    assert len(drums) == 16 and drums[1].offset == 0.5 and drums[0].quarterLength == 0.25
    marks = {m.number for m in score.flatten().getElementsByClass(tempo.MetronomeMark)}
    assert marks == {90}


# ------------------------------------------------------------------ round trip


def _save(f: mido.MidiFile) -> bytes:
    buf = io.BytesIO()
    f.save(file=buf)
    return buf.getvalue()


@st.composite
def streams(draw):
    """Valid streams: no two notes overlap on one channel and key (MIDI cannot hold that)."""
    raw = draw(st.lists(st.tuples(st.sampled_from([0, 1, 5, 9, 15]), st.integers(30, 90),
                                  st.integers(0, 20000), st.integers(1, 3000),
                                  st.integers(1, 127)), max_size=60))
    notes, busy = [], {}
    for ch, key, t, dur, vel in raw:
        if all(t + dur <= s or t >= e for s, e in busy.get((ch, key), ())):
            busy.setdefault((ch, key), []).append((t, t + dur))
            notes.append(note(t, dur, ch, key, vel))
    bpm = st.one_of(st.integers(20, 400), st.integers(200, 3000).map(lambda b: b / 10))
    tempos = [{"type": "Tempo", "t": t, "bpm": b}
              for t, b in draw(st.lists(st.tuples(st.integers(0, 20000), bpm), max_size=4))]
    programs = [{"type": "ProgramChange", "t": t, "ch": ch, "program": p}
                for t, ch, p in draw(st.lists(st.tuples(st.integers(0, 20000),
                                                        st.sampled_from([0, 1, 5, 9, 15]),
                                                        st.integers(0, 127)), max_size=5))]
    evs = notes + tempos + programs
    draw(st.randoms()).shuffle(evs)   # streams need not be sorted
    # An End on the bar line after the last note: without one, a tail under a sixteenth past
    # a bar line would be cut there (test_all_tracks_end_on_the_bar_line_after_the_last_note).
    last = max([e["t"] + e.get("dur", 0) for e in evs], default=0)
    return evs + [{"type": "End", "t": bar_ceiling(last, [])}]


def _expected_programs(evs):
    """The stream's program changes, plus the GM default at 0 on melodic tracks without one."""
    pcs = [(e["ch"], e["t"], e["program"]) for e in evs if e["type"] == "ProgramChange"]
    channels = {e["ch"] for e in evs if "ch" in e}
    for ch in channels - {9}:
        if not any(c == ch and t == 0 for c, t, _ in pcs):
            pcs.append((ch, 0, 0))
    return sorted(pcs, key=lambda p: (p[0], p[1]))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(streams(), st.sampled_from([0, 1]))
def test_round_trip_keeps_notes_tempos_and_programs(evs, smf_type):
    back = midi_to_events(midi_bytes(evs, type=smf_type))
    key = ("t", "dur", "ch", "key", "vel")
    assert sorted(tuple(e[k] for k in key) for e in back if e["type"] == "Note") == sorted(
        tuple(e[k] for k in key) for e in evs if e["type"] == "Note")
    tempos = sorted((e for e in evs if e["type"] == "Tempo"), key=lambda e: e["t"])
    assert [(e["t"], e["bpm"]) for e in back if e["type"] == "Tempo"] == [
        (e["t"], e["bpm"]) for e in tempos]
    got = sorted(((e["ch"], e["t"], e["program"]) for e in back if e["type"] == "ProgramChange"),
                 key=lambda p: (p[0], p[1]))
    assert got == _expected_programs(evs)
    assert [e["t"] for e in back] == sorted(e["t"] for e in back)
    assert back[-1]["type"] == "End"


# ------------------------------------------------------------------ atomic writes


def test_atomic_write_replaces_files_but_never_devices_and_keeps_symlinks(tmp_path):
    import os
    import stat

    from musicpipe.atomic import atomic_path, atomic_write

    before = os.stat(os.devnull)
    atomic_write(os.devnull, b"discarded")        # a rename here would replace /dev/null itself
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode) and os.stat(os.devnull).st_ino == before.st_ino
    real, link = tmp_path / "real.mid", tmp_path / "link.mid"
    link.symlink_to(real)
    atomic_write(link, b"one")
    assert link.is_symlink() and real.read_bytes() == b"one"
    with pytest.raises(RuntimeError):
        with atomic_path(real) as tmp:
            open(tmp, "wb").write(b"half")
            raise RuntimeError
    assert real.read_bytes() == b"one" and sorted(p.name for p in tmp_path.iterdir()) == [
        "link.mid", "real.mid"]
    with pytest.raises(FileNotFoundError, match="no/such.mid"):
        atomic_write(tmp_path / "no" / "such.mid", b"")

"""Editing sessions (musicpipe.edit): open a real .mid, edit, undo, save; files checked."""

from __future__ import annotations

import pytest

from musicpipe import edit, midi, notes
from tests.conftest import events, sh

MELODY = "E5 D5 C5 D5 E5 E5 E5 D5 D5 D5 E5 G5 G5 E5 D5 C5".split()


def song() -> list[dict]:
    return notes.events({"tempo": 100, "key": "C", "tracks": [
        {"name": "Chords", "instrument": "piano", "notes": [
            {"pitch": c, "start": f"{i + 1}:1", "length": {"bars": 1}, "velocity": 70}
            for i, c in enumerate(["C", "Am", "F", "G"])]},
        {"name": "Melody", "instrument": "flute", "notes": [
            {"pitch": p, "start": i + 0.05, "length": 1} for i, p in enumerate(MELODY)]}]})


@pytest.fixture
def opened(tmp_path):
    path = tmp_path / "song.mid"
    midi.write_midi(song(), path)
    return path, edit.Session.open(path)


def file_notes(path) -> list[tuple]:
    return sorted((e["t"], e["dur"], e["ch"], e["key"], e["vel"])
                  for e in events(sh(f"from-midi {path}").stdout) if e["type"] == "Note")


def test_tracks_and_notes_in_a_range(opened):
    _, s = opened
    assert [(t["name"], t["channel"], t["instrument"], t["notes"]) for t in s.tracks()] == [
        ("Chords", 0, "Acoustic Grand Piano", 12), ("Melody", 1, "Flute", 16)]
    bar3 = s.notes(bars="3", track="melody")
    assert [(n["name"], n["start"], n["length"]) for n in bar3["notes"]] == [
        ("D5", "3:1.05", 1.0), ("D5", "3:2.05", 1.0), ("E5", "3:3.05", 1.0), ("G5", "3:4.05", 1.0)]
    assert s.notes(start="2:2", end="3:1", channel=0)["notes"] == []  # chords start on bar lines
    assert len(s.notes(start=0, end="2:1", limit=2)["notes"]) == 2
    assert s.notes(start=0, end="2:1", limit=2)["more"] == 5


def test_transpose_undo_redo_and_save_are_the_files(opened, tmp_path):
    path, s = opened
    before = file_notes(path)
    s.transpose(2, bars="3", track="Melody")
    s.save(tmp_path / "up.mid")
    up = file_notes(tmp_path / "up.mid")
    changed = [(a, b) for a, b in zip(before, up) if a != b]
    assert len(changed) == 4 and all(b[3] == a[3] + 2 and 3840 <= a[0] < 5760 for a, b in changed)
    assert s.undo() == {"undone": "transpose 4 notes by +2"}
    s.save(tmp_path / "back.mid")
    assert file_notes(tmp_path / "back.mid") == before
    s.redo()
    s.save(tmp_path / "again.jsonl")
    assert (sorted((e["t"], e["dur"], e["ch"], e["key"], e["vel"]) for e in
                   events((tmp_path / "again.jsonl").read_bytes()) if e["type"] == "Note") == up)
    assert s.history() == {"undo": ["transpose 4 notes by +2"], "redo": []}


def test_insert_delete_move_humanize_tempo(opened, tmp_path):
    _, s = opened
    s.insert([{"pitch": "C6", "start": "5:1", "length": 4}], track="Melody")
    assert s.stream()[-1] == {"type": "End", "t": 5 * 1920}  # the End grows to hold it
    s.insert([{"pitch": "C2", "start": 0, "length": 16}], track="Bass", channel=2, instrument="bass")
    assert ("Bass", 2, "Electric Bass (finger)", 1) in [(t["name"], t["channel"], t["instrument"], t["notes"])
                                               for t in s.tracks()]
    s.delete(bars="4", track="Melody")
    s.humanize(seed=5, timing=20, velocity=10, bars="2")
    s.move({"beats": 1}, bars="1", track="Melody")
    s.set_tempo(80, at="3:1")
    out = tmp_path / "edited.mid"
    s.save(out)
    got = events(sh(f"from-midi {out}").stdout)
    assert [(e["t"], e["bpm"]) for e in got if e["type"] == "Tempo"] == [(0, 100), (3840, 80)]
    melody = [e for e in got if e["type"] == "Note" and e["ch"] == 1]
    assert not any(5760 <= e["t"] < 7680 for e in melody)          # bar 4 deleted
    times = {e["t"] for e in melody}
    assert {504, 984, 1464, 1944} <= times and 24 not in times     # bar 1 a beat later
    for _ in range(6):
        s.undo()
    assert s.stream() == sorted(song(), key=edit._order)
    # humanize is seeded: the same edit on two fresh sessions gives the same notes
    twins = [edit.Session(song()), edit.Session(song())]
    for twin in twins:
        twin.humanize(seed=5, timing=20, velocity=10, bars="2")
    assert twins[0].stream() == twins[1].stream() != sorted(song(), key=edit._order)


def test_quantize_puts_a_range_on_the_grid_as_the_stage_does(opened, tmp_path):
    path, s = opened
    s.quantize("16", bars="1-2", track="Melody")
    got = [e for e in s.stream() if e["type"] == "Note" and e["ch"] == 1]
    assert [e["t"] for e in got[:8]] == [i * 480 for i in range(8)]   # was 24 ticks late
    assert got[8]["t"] == 8 * 480 + 24                                 # bar 3 left alone
    s.undo()
    s.quantize("8", strength=50, bars="1")
    half = sorted(e["t"] for e in s.stream() if e["type"] == "Note" and e["ch"] == 1)[:4]
    assert half == [12, 492, 972, 1452]
    whole = edit.Session.open(path)
    whole.quantize("16")
    out = tmp_path / "q.jsonl"
    whole.save(out)
    staged = events(sh(f"from-midi {path} | quantize --grid 16").stdout)
    key = lambda e: (e["t"], e["ch"], e["key"])  # noqa: E731
    assert sorted((e for e in events(out.read_bytes()) if e["type"] == "Note"), key=key) == \
        sorted((e for e in staged if e["type"] == "Note"), key=key)


def test_the_source_is_never_overwritten_unless_asked(opened):
    path, s = opened
    original = path.read_bytes()
    s.transpose(-12, bars="1")
    with pytest.raises(edit.EditError, match="is the file this session opened"):
        s.save(path)
    assert path.read_bytes() == original
    s.save(path, overwrite=True)
    assert path.read_bytes() != original


@pytest.mark.parametrize("call,message", [
    (lambda s: s.transpose(200, bars="1"), "semitones: 200 is not a whole number -127..127"),
    (lambda s: s.transpose(60, bars="4", track="Melody"), "semitones: G5 at 4:1.05 would be key 139, allowed 0..127"),
    (lambda s: s.delete(bars="9"), "range: no notes to delete in bars 9"),
    (lambda s: s.delete(bars="two"), 'bars: "two" is not bars like "3" or "3-4"'),
    (lambda s: s.select(track="Bass"), 'track: no track "Bass" (tracks: "Chords", "Melody")'),
    (lambda s: s.select(channel=16), "channel: 16 is not a channel 0..15"),
    (lambda s: s.insert([{"pitch": "H4", "start": 0}], track="Melody"),
     'notes[0].pitch: "H4" is not a note name (C4, F#3, Bb2, 0..127), or a chord symbol (Am7, Fmaj7, C7@4)'),
    (lambda s: s.insert([{"pitch": "C4", "when": 0}], track="Melody"),
     "notes[0]: object contains unknown field `when` (fields: pitch, start, length, velocity)"),
    (lambda s: s.insert([{"pitch": "C4", "start": 0}]),
     'track: name a track ("Chords", "Melody") or give a channel for a new one'),
    (lambda s: s.move(-100, bars="1"), "by: the note C3 at 1:1 would move outside the piece"),
    (lambda s: s.notes(start="1:9"),
     "start/end: beat 9 is not in bar 1, which has 4 beats (1 up to but not including 5)"),
    (lambda s: s.notes(start=4, end=2), "end: 1:3 is not after start 2:1"),
    (lambda s: s.humanize(seed=-1, bars="1"), "seed: -1 is not a whole number 0..2^64-1"),
    (lambda s: s.humanize(timing="lots", bars="1"),
     "timing: timing must be a whole number or a percentage like 5%, got 'lots'"),
    (lambda s: s.set_tempo(2000), "bpm: 2000 is outside 4..1000"),
    (lambda s: s.quantize("12"), "grid: grid must be 1, 2, 4, 8, 16, 32 or 64, optionally with t "
                                 "for triplets (8t), got '12'"),
    (lambda s: s.quantize("8t", swing=50), "swing: swing applies to straight grids; a triplet "
                                           "grid is swung already"),
    (lambda s: s.quantize(strength=150), "strength: 150 is outside 0..100 (%)"),
    (lambda s: s.undo(), "undo: nothing to undo"),
    (lambda s: s.redo(), "redo: nothing to redo"),
    (lambda s: s.save("x.wav"), "path: x.wav must end in .mid, .midi or .jsonl"),
])
def test_a_bad_edit_is_one_line_and_changes_nothing(opened, call, message):
    _, s = opened
    before = s.stream()
    with pytest.raises(edit.EditError) as e:
        call(s)
    assert str(e.value) == message
    assert s.stream() == before


def test_what_cannot_be_opened(tmp_path):
    (tmp_path / "bad.mid").write_bytes(b"MThd\x00\x00")
    (tmp_path / "x.wav").write_bytes(b"RIFF")
    for name, message in (("bad.mid", "truncated"), ("x.wav", "open a .mid, .midi or .jsonl file"),
                          ("none.mid", "No such file")):
        with pytest.raises(edit.EditError, match=message):
            edit.Session.open(tmp_path / name)


def test_sessions_are_counted_and_closed(opened):
    path, _ = opened
    store = edit.Sessions()
    ids = [store.open(path)[0] for _ in range(edit.Sessions.MAX_OPEN)]
    assert ids == [f"e{i}" for i in range(1, 9)]
    with pytest.raises(edit.EditError, match="session: 8 sessions are open .*close one first"):
        store.open(path)
    store.get("e2").transpose(1, bars="1")
    assert store.get("e1").history()["undo"] == []  # each its own history
    assert store.close("e2") == {"closed": "e2"}
    with pytest.raises(edit.EditError, match=r"session: no open session 'e2' \(open: e1, e3"):
        store.get("e2")
    assert store.open(path)[0] == "e9"  # an id is never reused


def test_a_shared_store_gives_ids_no_one_guesses(opened):
    import re

    path, _ = opened
    store = edit.Sessions(max_open=1, secret=True)
    sid, _ = store.open(path)
    assert re.fullmatch(r"e1-[0-9a-f]{12}", sid)
    with pytest.raises(edit.EditError, match=r"^session: 1 sessions are open; close one first$"):
        store.open(path)  # and the open ids are not listed
    with pytest.raises(edit.EditError, match=r"\(open: the ids edit_open gave you\)"):
        store.get("e1")

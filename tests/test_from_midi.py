"""from-midi: files from the wild, as annotated hex dumps, read in-process and by the stage.

Each fixture is the bytes of a small Standard MIDI File with every event spelled out; the
chunk lengths are filled in by ``smf`` so the dumps stay readable.
"""

from __future__ import annotations

import os
import subprocess

import pretty_midi
import pytest

from musicpipe.midi import MidiFileError, midi_to_events
from musicpipe.notation import format_notes, format_parts
from tests.conftest import BIN, ENV, events, jsonl, notes, sh


def dump(text: str) -> bytes:
    """Hex bytes, ignoring everything after `#` on each line."""
    return bytes.fromhex(" ".join(line.split("#")[0] for line in text.splitlines()))


def smf(header: str, *tracks: str) -> bytes:
    out = b"MThd" + (6).to_bytes(4, "big") + dump(header)
    for body in tracks:
        data = dump(body)
        out += b"MTrk" + len(data).to_bytes(4, "big") + data
    return out


TYPE0 = smf(
    "00 00  00 01  00 60                 # type 0, 1 track, 96 ticks per quarter note",
    """
    00 FF 51 03 07 A1 20                 # t=0    tempo 500000 us per quarter = 120 bpm
    00 FF 58 04 03 02 18 08              # t=0    time signature 3/4
    00 FF 06 05 49 6E 74 72 6F           # t=0    marker "Intro"
    00 C0 05                             # t=0    program 5, channel 0
    00 90 3C 64                          # t=0    note on C4 (60) velocity 100, channel 0
    30 40 50                             # t=48   running status: note on E4 (64) velocity 80
    30 3C 00                             # t=96   running status, velocity 0: C4 off
    00 40 00                             # t=96   E4 off
    00 99 24 7F                          # t=96   note on key 36 velocity 127, channel 9
    18 89 24 40                          # t=120  note off key 36, channel 9
    00 FF 2F 00                          # t=120  end of track
    """)

TYPE0_EVENTS = [  # 96 ticks -> 480: times x5
    {"type": "Tempo", "t": 0, "bpm": 120},
    {"type": "TimeSig", "t": 0, "num": 3, "den": 4},
    {"type": "Marker", "t": 0, "text": "Intro"},
    {"type": "ProgramChange", "t": 0, "ch": 0, "program": 5},
    {"type": "Note", "t": 0, "dur": 480, "ch": 0, "key": 60, "vel": 100},
    {"type": "Note", "t": 240, "dur": 240, "ch": 0, "key": 64, "vel": 80},
    {"type": "Note", "t": 480, "dur": 120, "ch": 9, "key": 36, "vel": 127},
    {"type": "End", "t": 600},
]

TYPE1 = smf(
    "00 01  00 03  03 C0                 # type 1, 3 tracks, 960 ticks per quarter note",
    """
    00 FF 03 04 53 6F 6E 67              # t=0    track name "Song" (no channel events)
    00 FF 2F 00                          # t=0    end of track
    """,
    """
    00 FF 03 04 4B 65 79 73              # t=0    track name "Keys"
    00 C2 30                             # t=0    program 48, channel 2
    00 B2 07 64                          # t=0    controller 7 (volume) = 100, channel 2
    01 92 3C 50                          # t=1    note on C4 velocity 80 (1/960: rounds up to 1/480)
    00 E2 00 40                          # t=1    pitch bend to the centre (0), channel 2
    83 5F 82 3C 00                       # t=480  note off C4
    00 82 45 00                          # t=480  note off A4 that was never on (ignored)
    00 92 43 64                          # t=480  note on G4 velocity 100, never ended
    87 40 FF 2F 00                       # t=1440 end of track: G4 is closed here
    """,
    """
    8F 00 FF 51 03 09 27 C0              # t=1920 tempo 600000 us = 100 bpm, in the last track
    00 FF 06 05 56 65 72 73 65           # t=1920 marker "Verse"
    00 FF 2F 00                          # t=1920 end of track
    """)

TYPE1_EVENTS = [  # 960 ticks -> 480: times halved, halves rounded up
    {"type": "Marker", "t": 0, "text": "Keys", "ch": 2},
    {"type": "ProgramChange", "t": 0, "ch": 2, "program": 48},
    {"type": "ControlChange", "t": 0, "ch": 2, "cc": 7, "value": 100},
    {"type": "PitchBend", "t": 1, "ch": 2, "value": 0},
    {"type": "Note", "t": 1, "dur": 239, "ch": 2, "key": 60, "vel": 80},
    {"type": "Note", "t": 240, "dur": 480, "ch": 2, "key": 67, "vel": 100},
    {"type": "Tempo", "t": 960, "bpm": 100},
    {"type": "Marker", "t": 960, "text": "Verse"},
    {"type": "End", "t": 960},
]

CLIPPED = smf(
    "00 00  00 01  01 E0                 # type 0, 1 track, 480 ticks per quarter note",
    """
    00 90 3C C8                          # t=0    note on C4 velocity 200 (breaks the standard)
    83 60 80 3C 00                       # t=480  note off C4
    00 FF 2F 00                          # t=480  end of track
    """)

CUT_IN_A_MESSAGE = smf(
    "00 00  00 01  01 E0                 # type 0, 1 track, 480 ticks per quarter note",
    """
    00 90 3C                             # a note on missing its velocity, then the file ends
    """)


def test_type0_running_status_and_velocity_0_note_ons():
    warnings = []
    assert midi_to_events(TYPE0, warn=warnings.append) == TYPE0_EVENTS
    assert warnings == []


def test_type1_tempo_in_any_track_names_rescaling_and_what_is_dropped():
    warnings = []
    assert midi_to_events(TYPE1, warn=warnings.append) == TYPE1_EVENTS
    assert warnings == ["1 note-offs without a note-on ignored",
                        "1 notes still sounding at the end of their track closed there"]


def test_data_bytes_above_127_are_clipped_with_a_warning():
    warnings = []
    got = midi_to_events(CLIPPED, warn=warnings.append)
    assert got[0] == {"type": "Note", "t": 0, "dur": 480, "ch": 0, "key": 60, "vel": 127}
    assert warnings == ["data bytes above 127 clipped to 127 (the file breaks the MIDI standard)"]


SMPTE = smf(
    "00 00  00 01  E7 28                 # type 0, 1 track, SMPTE: 25 fps x 40 ticks = 1000/s",
    """
    00 FF 51 03 07 A1 20                 # t=0    a tempo: meaningless in SMPTE time, ignored
    00 FF 58 04 00 02 18 08              # t=0    time signature 0/4: impossible, dropped
    00 90 3C 40                          # t=0    note on C4 velocity 64
    83 74 80 3C 00                       # t=500  (0.5 s) note off: at 120 bpm, 480 ticks
    00 FF 2F 00                          # t=500  end of track
    """)

BAD_TEMPOS = smf(
    "00 00  00 01  01 E0                 # type 0, 1 track, 480 ticks per quarter note",
    """
    00 FF 51 03 00 00 01                 # t=0    tempo 1 us per quarter: clipped to 1000 bpm
    00 FF 51 03 00 00 00                 # t=0    tempo 0: dropped
    00 FF 2F 00                          # t=0    end of track
    """)


def test_smpte_files_riff_wrapped_files_and_impossible_metas():
    warnings = []
    assert midi_to_events(SMPTE, warn=warnings.append) == [
        {"type": "Tempo", "t": 0, "bpm": 120},
        {"type": "Note", "t": 0, "dur": 480, "ch": 0, "key": 60, "vel": 64},
        {"type": "End", "t": 480}]
    assert warnings == ["SMPTE time division: times converted at a fixed 120 bpm",
                        "1 time signatures outside 1..64 beats of 1..64 dropped"]
    warnings.clear()
    assert midi_to_events(BAD_TEMPOS, warn=warnings.append) == [
        {"type": "Tempo", "t": 0, "bpm": 1000}, {"type": "End", "t": 0}]
    assert warnings == ["2 tempos outside 4..1000 bpm clipped (or 0, dropped)"]
    size = (4 + 8 + len(TYPE0)).to_bytes(4, "little")
    rmi = b"RIFF" + size + b"RMID" + b"data" + len(TYPE0).to_bytes(4, "little") + TYPE0
    assert midi_to_events(rmi) == TYPE0_EVENTS


@pytest.mark.parametrize("data, message", [
    (b"", "not a MIDI file (it does not start with MThd)"),
    (b"RIFF....WAVEfmt ", "not a MIDI file (it does not start with MThd)"),
    (TYPE0[:10], "truncated MIDI file: the header is incomplete"),
    (TYPE0[:14], "truncated MIDI file: track 1 of 1 is missing"),
    (TYPE0[:40], "truncated MIDI file: track 1 of 1 is cut short (18 of 52 bytes)"),
    (TYPE1[:60], "truncated MIDI file: track 2 of 3 is cut short (18 of 41 bytes)"),
    (TYPE1[:-29], "truncated MIDI file: track 3 of 3 is missing"),   # track 3: 8 + 21 bytes
    (CUT_IN_A_MESSAGE, "truncated MIDI file: it ends inside a message"),
    (TYPE0[:22] + b"\x00\xF4" + TYPE0[24:], "corrupt MIDI file: undefined status byte 0xf4"),
])
def test_not_midi_truncated_and_corrupt_files_are_one_line_errors(data, message):
    with pytest.raises(MidiFileError) as e:
        midi_to_events(data)
    assert str(e.value) == message


def test_a_file_written_by_pretty_midi_reads_back():
    """An independent writer: pretty_midi at its own resolution (220 ticks per quarter)."""
    pm = pretty_midi.PrettyMIDI(initial_tempo=120)
    violins = pretty_midi.Instrument(program=40, name="Violin")
    violins.notes.append(pretty_midi.Note(velocity=90, pitch=67, start=0.5, end=1.0))
    kit = pretty_midi.Instrument(program=0, is_drum=True, name="Kit")
    kit.notes.append(pretty_midi.Note(velocity=110, pitch=38, start=0.25, end=0.375))
    pm.instruments += [violins, kit]
    import io

    buf = io.BytesIO()
    pm.write(buf)
    got = midi_to_events(buf.getvalue())
    assert [e for e in got if e["type"] in ("Note", "Tempo", "ProgramChange")] == [
        {"type": "Tempo", "t": 0, "bpm": 120},
        {"type": "ProgramChange", "t": 0, "ch": 0, "program": 40},
        {"type": "ProgramChange", "t": 0, "ch": 9, "program": 0},
        {"type": "Note", "t": 240, "dur": 120, "ch": 9, "key": 38, "vel": 110},
        {"type": "Note", "t": 480, "dur": 480, "ch": 0, "key": 67, "vel": 90},
    ]
    assert {(e["text"], e["ch"]) for e in got if e["type"] == "Marker"} == {("Violin", 0), ("Kit", 9)}


def test_seq_notation_of_notes_chords_and_rests():
    evs = [{"type": "Note", "t": t, "dur": d, "ch": 0, "key": k, "vel": 80} for t, d, k in [
        (0, 480, 60), (480, 240, 62), (960, 960, 60), (960, 960, 64), (960, 960, 67),
        (2400, 720, 72), (3120, 80, 71), (3200, 100, 70)]]
    assert format_notes(evs) == "C4/4*80 D4/8 R/8 [C4,E4,G4]/2 R/4 C5/4. B4/16t A#4/t100"
    assert format_parts(TYPE0_EVENTS) == ('@part ch=0 program=5 name="Electric Piano 2"\n[C4/4]/8*100 E4/8*80\n'
                                          '@part ch=9 name="Drums"\nR/4 C2/16*127\n')
    assert format_parts(TYPE0_EVENTS, [9]) == '@part ch=9 name="Drums"\nR/4 C2/16*127\n'


# ------------------------------------------------------------------ the stage, as a process


@pytest.fixture
def files(tmp_path):
    for name, data in (("type0.mid", TYPE0), ("type1.mid", TYPE1), ("clipped.mid", CLIPPED),
                       ("cut.mid", TYPE0[:40]), ("text.mid", b"hello\n")):
        (tmp_path / name).write_bytes(data)
    return tmp_path


def test_stage_reads_a_file_or_stdin(files):
    assert events(sh(f"from-midi {files}/type0.mid").stdout) == TYPE0_EVENTS
    assert events(sh(f"from-midi - < {files}/type1.mid").stdout) == TYPE1_EVENTS
    assert events(sh(f"cat {files}/type0.mid | from-midi").stdout) == TYPE0_EVENTS


def test_stage_warnings_and_errors_are_one_line(files):
    proc = sh(f"from-midi {files}/clipped.mid")
    assert proc.stderr.decode() == ("from-midi: data bytes above 127 clipped to 127 "
                                    "(the file breaks the MIDI standard)\n")
    for name, message in (("cut.mid", "truncated MIDI file: track 1 of 1 is cut short"),
                          ("text.mid", "not a MIDI file")):
        proc = sh(f"from-midi {files}/{name}", check=False)
        err = proc.stderr.decode().strip().splitlines()
        abort, = events(proc.stdout)
        assert proc.returncode == 65 and abort["type"] == "Abort", name
        assert len(err) == 1 and err[0].startswith(f"from-midi: {files}/{name}: {message}"), err
    proc = sh("from-midi - < /dev/null", check=False)
    assert proc.returncode == 65 and proc.stderr.decode().startswith("from-midi: stdin: not a MIDI")
    proc = sh(f"from-midi {files}/missing.mid", check=False)
    assert proc.returncode == 2 and len(proc.stderr.splitlines()) == 1


def test_stage_without_file_on_a_terminal_is_a_usage_error():
    main, child = os.openpty()
    try:
        proc = subprocess.run([str(BIN / "from-midi")], stdin=child, capture_output=True,
                              env=ENV, timeout=60)
    finally:
        os.close(child)
        os.close(main)
    assert proc.returncode == 2 and b"give a MIDI FILE" in proc.stderr


def test_stage_notation(files):
    assert sh(f"from-midi --notation {files}/type0.mid").stdout == (
        b'@part ch=0 program=5 name="Electric Piano 2"\n[C4/4]/8*100 E4/8*80\n@part ch=9 name="Drums"\nR/4 C2/16*127\n')
    assert sh(f"from-midi --notation --ch 2 {files}/type1.mid").stdout.split(b"\n")[1] == \
        b"R/t1 C4/t239*80 G4/4*100"
    assert sh(f"from-midi --notation --ch 2 --grid 16 {files}/type1.mid").stdout.split(b"\n")[1] == \
        b"C4/8*80 G4/4*100"  # the 1-tick late start reads as on the beat


def test_three_parts_round_trip_through_notation(tmp_path):
    """A 3-part file -> from-midi --notation -> seq --file: the same notes in every part,
    each on its channel with its program and name."""
    sh(f"chords 'I vi IV V' --key D --patch strings --name Strings | bass --style root-fifth "
       f"--patch acoustic-bass --seed 1 | motif --bars 4 --root D --seed 2 --patch flute "
       f"| to-midi --out {tmp_path}/three.mid")
    text = sh(f"from-midi --notation {tmp_path}/three.mid | tee {tmp_path}/three.txt").stdout.decode()
    assert [line.split(" name=")[0] for line in text.splitlines() if line.startswith("@part")] == [
        "@part ch=0 program=73", "@part ch=1 program=48", "@part ch=2 program=32"]
    back = events(sh(f"seq --file {tmp_path}/three.txt").stdout)
    orig = events(sh(f"from-midi {tmp_path}/three.mid").stdout)
    part = lambda evs, ch: sorted((e["t"], e["dur"], e["key"], e["vel"]) for e in evs  # noqa: E731
                                  if e["type"] == "Note" and e["ch"] == ch)
    for ch in (0, 1, 2):
        assert part(back, ch) == part(orig, ch), ch
    assert {e["ch"]: e["program"] for e in back if e["type"] == "ProgramChange"} == {0: 73, 1: 48, 2: 32}
    assert {e["ch"]: e["text"] for e in back if e["type"] == "Marker"}[1] == "Strings"


def test_part_headers_that_are_wrong_name_their_line(tmp_path):
    (tmp_path / "bad.txt").write_text('@part ch=0\nC4/4\n@part ch=22\nD4/4\n')
    proc = sh(f"seq --file {tmp_path}/bad.txt", check=False)
    assert proc.returncode == 2 and b"ch=22" in proc.stderr
    (tmp_path / "bad.txt").write_text('@part ch=0\nC4/4\n\nD4/4 X9\n')
    proc = sh(f"seq --file {tmp_path}/bad.txt", check=False)
    assert proc.returncode == 2 and b"line 4" in proc.stderr


LAYERED = (
    [{"type": "Tempo", "t": 0, "bpm": 140}, {"type": "TimeSig", "t": 0, "num": 7, "den": 8},
     {"type": "ProgramChange", "t": 0, "ch": 0, "program": 48},
     {"type": "ProgramChange", "t": 0, "ch": 1, "program": 33},
     {"type": "Tempo", "t": 1680, "bpm": 70.5}]
    + [{"type": "Note", "t": i * 120, "dur": 100 + i, "ch": i % 2, "key": 50 + i % 12, "vel": 40 + i}
       for i in range(40)]
    + [{"type": "Note", "t": i * 240, "dur": 60, "ch": 9, "key": 42, "vel": 90} for i in range(20)]
)


def test_pipe_round_trip_and_a_second_pass_is_byte_identical():
    stream = jsonl(LAYERED)
    back = events(sh("to-midi --out - | from-midi -", input=stream).stdout)
    key = lambda e: (e["t"], e["ch"], e["key"], e["dur"], e["vel"])  # noqa: E731
    assert sorted(map(key, (e for e in back if e["type"] == "Note"))) == sorted(
        map(key, (e for e in LAYERED if e["type"] == "Note")))
    assert [(e["t"], e["bpm"]) for e in back if e["type"] == "Tempo"] == [(0, 140), (1680, 70.5)]
    assert [e["text"] for e in back if e["type"] == "Marker"] == ["Strings", "Bass", "Drums"]
    assert back[-1] == {"type": "End", "t": 5040}    # 4800 -> the next 7/8 bar line
    once = sh("to-midi --out -", input=stream).stdout
    assert sh("to-midi --out - | from-midi - | to-midi --out -", input=stream).stdout == once


def test_help_examples_run(tmp_path):
    import shutil

    from musicpipe.stages.from_midi import command
    from tests.conftest import ROOT

    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    for example in command.examples:
        proc = sh(f"set -o pipefail; {example}", cwd=tmp_path)
        assert proc.stdout or (tmp_path / "up.mid").exists(), example


def test_three_tracks_on_one_channel_stay_three_tracks(tmp_path):
    """midi-cli-rs puts every track on channel 0: a round trip keeps each track, its name
    and its program (from-midi tags their events with `track`)."""
    import mido

    src = mido.MidiFile(type=1)
    src.tracks.append(mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=500000)]))
    for name, program, key in (("Piano", 0, 60), ("Strings", 48, 64), ("Bass", 33, 40)):
        src.tracks.append(mido.MidiTrack([
            mido.MetaMessage("track_name", name=name),
            mido.Message("program_change", channel=0, program=program),
            mido.Message("note_on", channel=0, note=key, velocity=80),
            mido.Message("note_off", channel=0, note=key, velocity=0, time=480)]))
    src.save(tmp_path / "three.mid")
    evs = events(sh(f"from-midi {tmp_path}/three.mid").stdout)
    assert {e["track"] for e in evs if e["type"] == "Note"} == {"Piano", "Strings", "Bass"}
    sh(f"from-midi {tmp_path}/three.mid | transpose -s 0 | to-midi --out {tmp_path}/back.mid")
    back = mido.MidiFile(tmp_path / "back.mid")
    tracks = [(t.name, [m.program for m in t if m.type == "program_change"],
               [m.note for m in t if m.type == "note_on"]) for t in back.tracks[1:]]
    assert tracks == [("Piano", [0], [60]), ("Strings", [48], [64]), ("Bass", [33], [40])]
    assert all(m.channel == 0 for t in back.tracks for m in t if hasattr(m, "channel"))


def test_pitch_bend_and_pressure_survive_a_round_trip_and_are_heard(tmp_path):
    import wave

    import mido
    import numpy as np

    stream = jsonl([{"type": "ProgramChange", "t": 0, "ch": 0, "program": 73},
                    {"type": "ChannelPressure", "t": 0, "ch": 0, "value": 90},
                    {"type": "Note", "t": 0, "dur": 1920, "ch": 0, "key": 69, "vel": 100},
                    {"type": "PitchBend", "t": 960, "ch": 0, "value": 4096}])  # + a semitone
    sh(f"to-midi --out {tmp_path}/b.mid", input=stream)
    msgs = [m for m in mido.MidiFile(tmp_path / "b.mid").tracks[1] if m.type in ("pitchwheel", "aftertouch")]
    assert [(m.type, getattr(m, "pitch", getattr(m, "value", None))) for m in msgs] == [
        ("aftertouch", 90), ("pitchwheel", 4096)]
    back = events(sh(f"from-midi {tmp_path}/b.mid").stdout)
    assert {"type": "PitchBend", "t": 960, "ch": 0, "value": 4096} in back
    sh(f"from-midi {tmp_path}/b.mid | to-wav --out {tmp_path}/b.wav --length 2")
    with wave.open(str(tmp_path / "b.wav")) as w:
        rate = w.getframerate()
        left = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").reshape(-1, 2)[:, 0]

    def pitch(at):
        seg = left[int(at * rate):int(at * rate) + 8192].astype(float)
        return np.argmax(np.abs(np.fft.rfft(seg * np.hanning(len(seg))))) * rate / len(seg)

    assert pitch(0.3) == pytest.approx(440, rel=0.02) and pitch(1.5) == pytest.approx(466.2, rel=0.02)


def test_notation_round_trip_keeps_doubled_notes_overlaps_and_velocities_and_names_the_rest(tmp_path):
    """Through real pipes: a file with doubled notes at one onset, chord notes of their own
    lengths and velocities, a note held over the next: seq --file plays the file's notes."""
    src = [{"type": "Tempo", "t": 0, "bpm": 90}, {"type": "ControlChange", "t": 0, "ch": 0, "cc": 64, "value": 127}] + [
        {"type": "Note", "t": t, "dur": d, "ch": ch, "key": k, "vel": v} for t, d, ch, k, v in [
            (0, 480, 0, 60, 90), (0, 480, 0, 60, 90), (0, 960, 0, 64, 70), (0, 240, 0, 67, 101),
            (240, 1000, 0, 72, 88), (480, 480, 1, 40, 60), (480, 480, 1, 40, 61), (1440, 30, 1, 43, 5)]]
    (tmp_path / "s.jsonl").write_bytes(jsonl(src))
    sh(f"to-midi --out {tmp_path}/s.mid < {tmp_path}/s.jsonl")
    proc = sh(f"from-midi --notation {tmp_path}/s.mid > {tmp_path}/s.txt")
    assert proc.stderr.decode() == ("from-midi: the notation carries the notes, each part's program "
                                    "and name; left out: 1 ControlChange, 1 Tempo\n")
    back = notes(events(sh(f"seq --file {tmp_path}/s.txt").stdout))
    key = lambda n: (n["t"], n["ch"], n["key"], n["dur"], n["vel"])  # noqa: E731
    file_notes = notes(events(sh(f"from-midi {tmp_path}/s.mid").stdout))
    assert sorted(map(key, back)) == sorted(map(key, file_notes))
    assert len(file_notes) >= 6 and [n for n in file_notes if n["dur"] == 1000]  # held over, kept


def test_progress_bar_shows_the_time_left_only_on_a_terminal_and_only_after_a_while():
    import io as _io

    from musicpipe.stages.from_midi import Progress

    class Terminal(_io.StringIO):
        def isatty(self):
            return True

    assert Progress.on(_io.StringIO()) is None        # a pipe, a file, an agent: nothing
    now = [100.0]
    term = Terminal()
    bar = Progress(term, clock=lambda: now[0])
    bar(0.1)
    now[0] += 1.0
    bar(0.2)
    assert term.getvalue() == ""                       # under 1.5 s: a short read says nothing
    now[0] += 1.0                                      # 2 s for 40%: 3 s left
    bar(0.4)
    assert term.getvalue() == "\rfrom-midi: [############..................]  40%, 3 s left "
    bar.end_line()
    assert term.getvalue().endswith("\r\x1b[K")


def test_stage_on_a_terminal_says_nothing_for_a_quick_read(files):
    main, child = os.openpty()
    try:
        proc = subprocess.run([str(BIN / "from-midi"), str(files / "type0.mid")], stderr=child,
                              stdout=subprocess.PIPE, env=ENV, timeout=60)
    finally:
        os.close(child)
        os.set_blocking(main, False)
        try:
            said = os.read(main, 4096)
        except OSError:  # EIO: nothing was written to the terminal before it closed
            said = b""
        os.close(main)
    assert proc.returncode == 0 and said == b"" and events(proc.stdout) == TYPE0_EVENTS

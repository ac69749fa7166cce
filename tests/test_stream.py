import io

import orjson
import pytest

from musicpipe.stream import DataError, Reader, Writer, encode, parse_lines, read_events
from tests.conftest import jsonl, sh


def note(t=0, key=60, **kw):
    return {"type": "Note", "t": t, "dur": 480, "ch": 0, "key": key, "vel": 90, **kw}


class Trickle(io.RawIOBase):
    """A pipe that hands over a few bytes per read, like a slow producer."""

    def __init__(self, data: bytes, step: int):
        self.data, self.step = data, step

    def readable(self):
        return True

    def read1(self, n=-1):
        chunk, self.data = self.data[:self.step], self.data[self.step:]
        return chunk


def test_roundtrip_keeps_unknown_types_and_fields():
    evs = [{"type": "Seed", "seed": 1}, note(extra="kept"), {"type": "Lyric", "t": 0, "text": "la"}]
    assert parse_lines(jsonl(evs)) == evs


@pytest.mark.parametrize("step", [1, 7, 64, 100000])
def test_lines_split_across_reads_are_joined(step):
    evs = [note(t=i, key=40 + i) for i in range(50)]
    assert list(Reader(Trickle(jsonl(evs), step))) == evs


def test_blank_lines_and_crlf_are_fine():
    data = b'\n{"type":"Seed","seed":1}\r\n\n   \n' + orjson.dumps(note()) + b"\n\n"
    assert parse_lines(data) == [{"type": "Seed", "seed": 1}, note()]


def test_last_line_without_newline_is_read():
    assert parse_lines(orjson.dumps(note())) == [note()]


def test_pairs_become_notes_fifo_per_key():
    data = jsonl([
        {"type": "NoteOn", "t": 0, "ch": 0, "key": 60, "vel": 80},
        {"type": "NoteOn", "t": 100, "ch": 0, "key": 60, "vel": 70},
        {"type": "NoteOn", "t": 100, "ch": 1, "key": 60, "vel": 60},
        {"type": "NoteOff", "t": 200, "ch": 0, "key": 60},
        {"type": "NoteOn", "t": 300, "ch": 0, "key": 60, "vel": 0},  # vel 0 = NoteOff
        {"type": "NoteOff", "t": 400, "ch": 1, "key": 60, "vel": 64},
    ])
    assert parse_lines(data) == [
        {"type": "Note", "t": 0, "dur": 200, "ch": 0, "key": 60, "vel": 80},
        {"type": "Note", "t": 100, "dur": 200, "ch": 0, "key": 60, "vel": 70},
        {"type": "Note", "t": 100, "dur": 300, "ch": 1, "key": 60, "vel": 60},
    ]


def test_unclosed_noteon_is_closed_with_a_warning_and_orphan_off_dropped():
    warnings = []
    data = jsonl([{"type": "NoteOn", "t": 0, "ch": 0, "key": 60, "vel": 80},
                  {"type": "NoteOff", "t": 50, "ch": 0, "key": 61},
                  {"type": "NoteOn", "t": 480, "ch": 0, "key": 62, "vel": 80}])
    out = list(read_events(io.BytesIO(data), warn=warnings.append))
    assert out == [{"type": "Note", "t": 0, "dur": 480, "ch": 0, "key": 60, "vel": 80},
                   {"type": "Note", "t": 480, "dur": 1, "ch": 0, "key": 62, "vel": 80}]
    assert warnings == ["1 NoteOff without a NoteOn dropped", "2 NoteOn without a NoteOff closed at tick 480"]


def on(t, key=60, vel=80, **kw):
    return {"type": "NoteOn", "t": t, "ch": 0, "key": key, "vel": vel, **kw}


def off(t, key=60):
    return {"type": "NoteOff", "t": t, "ch": 0, "key": key}


def test_a_noteoff_a_few_ticks_before_its_noteon_still_pairs_with_it():
    """music-pipe-rs humanize moves NoteOn and NoteOff apart and sorts by time: a short note's
    NoteOff can come first. It closes that note (1 tick long), and later notes pair right."""
    warnings = []
    data = jsonl([off(100), on(104), off(230), on(236, vel=70, track="hat"),  # two short ones
                  on(480), off(960), on(960), off(1440)])
    out = list(read_events(io.BytesIO(data), warn=warnings.append))
    assert out == [{"type": "Note", "t": 104, "dur": 1, "ch": 0, "key": 60, "vel": 80},
                   {"type": "Note", "t": 236, "dur": 1, "ch": 0, "key": 60, "vel": 70, "track": "hat"},
                   {"type": "Note", "t": 480, "dur": 480, "ch": 0, "key": 60, "vel": 80},
                   {"type": "Note", "t": 960, "dur": 480, "ch": 0, "key": 60, "vel": 80}]
    assert warnings == ["2 NoteOff came up to 60 ticks before their NoteOn (music-pipe-rs "
                        "humanize does that to short notes): paired, 1 tick long"]


def test_a_noteoff_long_before_a_noteon_stays_an_orphan():
    warnings = []
    data = jsonl([off(0), on(480), off(960), off(1000, key=61)])
    out = list(read_events(io.BytesIO(data), warn=warnings.append))
    assert out == [{"type": "Note", "t": 480, "dur": 480, "ch": 0, "key": 60, "vel": 80}]
    assert warnings == ["2 NoteOff without a NoteOn dropped"]


def test_duplicate_seeds_from_layered_streams():
    warnings = []
    data = jsonl([{"type": "Seed", "seed": 1}, note(), {"type": "Seed", "seed": 1}, note(t=5),
                  {"type": "Seed", "seed": 2}])
    out = list(read_events(io.BytesIO(data), warn=warnings.append))
    assert [e["type"] for e in out] == ["Seed", "Note", "Note"]
    assert warnings == ["Seed 2 ignored: the stream's seed is 1"]


@pytest.mark.parametrize("bad, message", [
    (b"not json", "line 3: invalid JSON"),
    (b"[1, 2]", "line 3: expected a JSON object, got an array"),
    (b'"text"', "line 3: expected a JSON object, got text"),
    (b'{"type":"Note","t":0,"dur":480,"ch":0,"key":200,"vel":9}', 'line 3: Note field "key" is 200, allowed 0..127'),
])
def test_errors_name_the_line_and_keep_the_good_events_before_it(bad, message):
    data = jsonl([note(), note(t=1)]) + bad + b"\n" + jsonl([note(t=2)])
    got = []
    with pytest.raises(DataError) as err:
        for ev in read_events(io.BytesIO(data)):
            got.append(ev)
    assert str(err.value).startswith(message)
    assert got == [note(), note(t=1)]


def test_line_numbers_count_blank_lines_across_chunks():
    data = jsonl([note()] * 10) + b"\n" * 5 + b'{"type":"Note"}\n'
    with pytest.raises(DataError, match="^line 16: "):
        list(Reader(Trickle(data, 13)))


def test_writer_one_line_per_event_even_when_values_look_like_separators():
    tricky = [{"type": "Marker", "t": 0, "text": "},{"}, {"type": "X", "v": [{"a": 1}, {"b": 2}]}, note()]
    assert encode(tricky) == b"".join(orjson.dumps(e) + b"\n" for e in tricky)
    assert encode([note(), note(t=1)]) == jsonl([note(), note(t=1)])


def test_writer_pair_form():
    out = []
    w = Writer(out.append, pairs=True)
    w.write_all([{"type": "Seed", "seed": 1}, note(t=10)])
    w.flush()
    assert parse_lines(b"".join(out)) == [{"type": "Seed", "seed": 1}, note(t=10)]
    assert b"".join(out).count(b"NoteOn") == 1 and b"NoteOff" in b"".join(out)


def test_writer_pair_form_writes_only_what_music_pipe_rs_reads():
    out = []
    w = Writer(out.append, pairs=True)
    w.write_all([{"type": "Seed", "seed": 1}, {"type": "Tempo", "t": 0, "bpm": 110.0},
                 {"type": "Tempo", "t": 9, "bpm": 92.5}, {"type": "TimeSig", "t": 0, "num": 3, "den": 4},
                 {"type": "Marker", "t": 0, "text": "A"}, {"type": "Marker", "t": 5, "text": "B"},
                 {"type": "ProgramChange", "t": 0, "ch": 0, "program": 5}, note(t=10),
                 {"type": "Lyric", "t": 3}, {"type": "End", "t": 960}])
    w.flush()
    lines = b"".join(out).splitlines()
    assert [orjson.loads(x)["type"] for x in lines] == [
        "Seed", "Tempo", "Tempo", "ProgramChange", "NoteOn", "NoteOff", "End"]
    assert lines[1:3] == [b'{"type":"Tempo","t":0,"bpm":110}', b'{"type":"Tempo","t":9,"bpm":93}']
    assert w.pair_summary() == ("pair form: left out 1 Lyric, 2 Marker, 1 TimeSig (music-pipe-rs "
                                "reads only Seed, Tempo, ProgramChange, NoteOn, NoteOff, End); "
                                "1 fractional tempo rounded to whole bpm")
    assert Writer(print, pairs=True).pair_summary() is None


def test_pairs_option_counts_what_it_leaves_out_on_stderr():
    proc = sh('chords "I V" --key G --pairs')
    assert proc.stderr.decode().strip().startswith("chords: pair form: left out 2 Chord, 1 KeySig")
    assert b'"Chord"' not in proc.stdout and b'"NoteOn"' in proc.stdout


def test_writer_pair_form_from_environment(monkeypatch):
    monkeypatch.setenv("MUSICPIPE_NOTE_FORM", "pairs")
    assert Writer(print).pairs
    monkeypatch.setenv("MUSICPIPE_NOTE_FORM", "note")
    assert not Writer(print).pairs


@pytest.mark.parametrize("step", [100, 4096, 1 << 16])
def test_writer_loses_nothing_when_the_reader_flushes_it_mid_batch(step):
    """The reader flushes the writer before each read (before_wait), i.e. inside write_all."""
    src = [note(t=i) for i in range(10_000)]
    out = []
    w = Writer(out.append)
    reader = Reader(Trickle(jsonl(src), step), before_wait=w.flush)
    w.write_all(reader)
    w.flush()
    assert parse_lines(b"".join(out)) == src


def test_a_stage_passes_every_event_of_a_long_piped_stream(tmp_path):
    from tests.conftest import sh

    src = tmp_path / "long.jsonl"
    src.write_bytes(jsonl([note(t=i, key=40 + i % 40) for i in range(100_000)]))
    for cmd in (f"transpose -s 1 < {src}", f"cat {src} | transpose -s 1"):
        out = sh(cmd).stdout
        assert out.count(b"\n") == 100_000, cmd
        assert out.endswith(orjson.dumps(note(t=99_999, key=80)) + b"\n")


def test_a_stage_widens_its_stdout_pipe_so_it_can_run_ahead():
    from musicpipe.cli import PIPE_SIZE

    probe = "import fcntl, sys; sys.stdin.buffer.read(); print(fcntl.fcntl(0, fcntl.F_GETPIPE_SZ))"
    got = int(sh(f"seed 1 | python3 -c '{probe}'").stdout)
    with open("/proc/sys/fs/pipe-max-size") as f:
        allowed = int(f.read())
    assert got == (PIPE_SIZE if allowed >= PIPE_SIZE else 65536)


def test_pair_form_of_typed_batches_is_the_pair_form_of_their_dicts():
    """Writer(pairs=True) makes a typed batch's runs of Notes into NoteOn/NoteOff Structs in
    C loops: the same bytes and counts as the event-by-event way over dicts."""
    from musicpipe.events import MAX_TICK
    from musicpipe.structs import TYPES, as_dict

    Note, Tempo, Marker = TYPES["Note"], TYPES["Tempo"], TYPES["Marker"]
    batch = [Tempo(0, 90.5), Note(0, 480, 0, 60, 100), Note(0, 240, 9, 36, 90, "Kit"),
             Marker(10, "Verse"), Note(MAX_TICK - 5, 480, 1, 40, 1), Tempo(20, 120)]
    written = {}
    for typed in (True, False):
        out: list[bytes] = []
        w = Writer(out.append, pairs=True)
        w.write_batches([batch if typed else [as_dict(ev) for ev in batch]] * 2)
        w.flush()
        written[typed] = (b"".join(out), w.pair_summary())
    assert written[True] == written[False]
    assert written[True][0].count(b'"NoteOff"') == 6

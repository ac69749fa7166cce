"""The typed path (musicpipe.structs): Structs where a chunk allows, and never a different result.

A typed reader turns a chunk into msgspec Structs only from its second chunk on, so these
tests feed streams through small reads (Trickle) to cross many chunk boundaries, with every
kind of line that must go the dict way mixed in: whatever path each chunk takes, the events,
warnings, errors and every hot stage's output bytes equal the dict reader's.
"""

from __future__ import annotations

import io
import random

import orjson
import pytest

from musicpipe import structs
from musicpipe.midi import midi_bytes
from musicpipe.smf import Song
from musicpipe.stream import DataError, Reader, dicts, encode, is_typed, parse_lines
from musicpipe.transforms.humanize import humanize_batches
from musicpipe.transforms.scale import snap_batches
from musicpipe.transforms.transpose import transpose_batches
from tests.conftest import sh
from tests.test_stream import Trickle


def _line(ev: dict, rng: random.Random) -> bytes:
    """The event's line, now and then in a form a typed chunk refuses: keys in another
    order, spaces, a blank line or CRLF before it."""
    r = rng.random()
    if r < 0.02:
        ev = dict(reversed(list(ev.items())))
    elif r < 0.04:
        return b"\n" + orjson.dumps(ev, option=orjson.OPT_INDENT_2).replace(b"\n", b" ")
    elif r < 0.05:
        return b"\r\n" + orjson.dumps(ev)
    return orjson.dumps(ev)


def varied(seed: int, n: int = 600) -> bytes:
    """A reproducible stream with notes in both forms and every case pairing knows."""
    rng = random.Random(seed)
    out = [orjson.dumps({"type": "Seed", "seed": seed})]
    t = 0
    for _ in range(n):
        t += rng.choice([0, 0, 30, 120, 480])
        ch, key = rng.choice([0, 1, 9]), rng.choice([60, 62, 64, 36])
        r = rng.random()
        if r < 0.45:
            ev = {"type": "Note", "t": t, "dur": rng.choice([1, 60, 480]), "ch": ch, "key": key,
                  "vel": rng.randrange(1, 128)}
            if rng.random() < 0.1:
                ev["track"] = rng.choice(["Lead", "Pad"])
            if rng.random() < 0.03:
                ev["extra"] = {"kept": [1, 2.5e16]}
            evs = [ev]
        elif r < 0.8:
            on = {"type": "NoteOn", "t": t, "ch": ch, "key": key, "vel": rng.randrange(1, 128)}
            off = {"type": "NoteOff", "t": t + rng.choice([-20, 0, 1, 120]), "ch": ch, "key": key}
            if rng.random() < 0.1:
                on["track"] = "Lead"
            if rng.random() < 0.05:
                off["vel"] = 0
            if rng.random() < 0.05:
                off = {"type": "NoteOn", "t": off["t"], "ch": ch, "key": key, "vel": 0}
            evs = [on, off] if off["t"] >= t else [off, on]
            if rng.random() < 0.1:
                evs = evs[:1]  # an unclosed NoteOn or an orphan NoteOff
        else:
            evs = [rng.choice([
                {"type": "Tempo", "t": t, "bpm": rng.choice([90, 120.5])},
                {"type": "TimeSig", "t": t, "num": 3, "den": 4},
                {"type": "KeySig", "t": t, "key": "Bb", "mode": "major"},
                {"type": "Marker", "t": t, "text": "Verse ♪"},
                {"type": "Marker", "t": t, "text": "Bass", "ch": 1},
                {"type": "ControlChange", "t": t, "ch": ch, "cc": 7, "value": 100},
                {"type": "Chord", "t": t, "dur": 480, "root": "C", "quality": "", "name": "C"},
                {"type": "Seed", "seed": seed + 1},
                {"type": "Lyric", "t": t, "text": "la"},
                {"type": "End", "t": t + 960},
            ])]
        out += [_line(ev, rng) for ev in evs]
    return b"\n".join(out) + b"\n"


def read(data: bytes, step: int | None, typed: bool) -> tuple[list, list[str]]:
    warnings: list[str] = []
    fp = Trickle(data, step) if step else io.BytesIO(data)
    return list(Reader(fp, typed=typed, warn=warnings.append).batches()), warnings


STEPS = [97, 1024, 8192]


def test_a_typed_reader_gives_the_dict_readers_events_and_warnings():
    typed_chunks = 0
    for seed in range(12):
        data = varied(seed)
        want, warned = read(data, None, typed=False)
        want = [ev for batch in want for ev in batch]
        for step in STEPS:
            batches, warnings = read(data, step, typed=True)
            for batch in batches:
                assert len({ev.__class__ is dict for ev in batch}) <= 1, "a mixed batch"
                typed_chunks += is_typed(batch)
            assert [ev for batch in batches for ev in dicts(batch)] == want, (seed, step)
            assert warnings == warned
    assert typed_chunks > 100  # the typed path was taken, not only the dict one


def test_only_canonical_chunks_of_known_events_become_structs():
    note = b'{"type":"Note","t":0,"dur":480,"ch":0,"key":60,"vel":90}'
    assert structs.decode(note) == ([structs.Note(0, 480, 0, 60, 90)], {structs.Note})
    for refused in (note.replace(b'"t":0,"dur":480', b'"dur":480,"t":0'),  # key order
                    note.replace(b",", b", "), note + b"\n", note + b"\r",     # spacing, blanks
                    note[:-1] + b',"x":1}', note.replace(b'"vel":90', b'"vel":0'),  # field, range
                    note.replace(b'90', b'90.0'), b'{"type":"Seed","seed":1}',
                    b'{"type":"KeySig","t":0,"key":"C","mode":"major"}',
                    b'{"type":"Tempo","t":0,"bpm":120.50}'):
        assert structs.decode(refused) is None, refused
    pairs = (b'{"type":"NoteOff","t":9,"key":60,"ch":0}\n'
             b'{"type":"NoteOn","ch":0,"t":0,"key":60,"vel":1}')
    assert len(structs.decode(pairs)[0]) == 2  # pair lines become new Notes: their form is free


@pytest.mark.parametrize("bad, message", [
    (b'{"type":"Note","t":0,"dur":480,"ch":0,"key":200,"vel":90}', 'Note field "key" is 200'),
    (b'{"type":"NoteOn","t":-1,"ch":0,"key":60,"vel":90}', 'NoteOn field "t" is -1'),
    (b'{"type":"Note","t":0,"dur":480', "invalid JSON"),
])
def test_errors_name_the_same_line_and_keep_the_same_events(bad, message):
    lines = varied(3).splitlines()
    data = b"\n".join(lines[:500] + [bad] + lines[500:]) + b"\n"
    results = []
    for step, typed in ((None, False), (1024, True), (97, True)):
        got: list = []
        with pytest.raises(DataError) as e:
            fp = Trickle(data, step) if step else io.BytesIO(data)
            for batch in Reader(fp, typed=typed).batches():
                got += dicts(batch)
        assert message in str(e.value)
        results.append((str(e.value), got))
    assert results[0] == results[1] == results[2]


def _stage_bytes(data: bytes, step: int | None, typed: bool, stage) -> bytes:
    fp = Trickle(data, step) if step else io.BytesIO(data)
    return b"".join(encode(batch) for batch in stage(Reader(fp, typed=typed).batches()) if batch)


STAGES = {
    "transpose": lambda b: transpose_batches(b, 5, in_place=True),
    "transpose drop": lambda b: transpose_batches(b, 70, policy="drop", in_place=True),
    "transpose copies": lambda b: transpose_batches(b, -3),
    "scale": lambda b: snap_batches(b, 2, "dorian", in_place=True),
    "scale copies": lambda b: snap_batches(b, 2, "dorian"),
    "humanize": lambda b: humanize_batches(b, 7, timing=30, velocity=10, length="10%", swing=0.5,
                                           in_place=True),
    "humanize copies": lambda b: humanize_batches(b, 7, timing=8, velocity="5%"),
}


@pytest.mark.parametrize("name", STAGES)
def test_hot_stages_write_the_same_bytes_whichever_path_a_chunk_takes(name):
    for seed in range(6):
        data = varied(seed)
        want = _stage_bytes(data, None, False, STAGES[name])
        for step in STEPS:
            assert _stage_bytes(data, step, True, STAGES[name]) == want, (seed, step)


def test_to_midi_song_from_structs_is_the_same_file():
    for seed in range(6):
        data = varied(seed)
        want = midi_bytes(parse_lines(data), checked=True)
        for step in STEPS:
            song = Song(checked=True)
            for batch in Reader(Trickle(data, step), typed=True).batches():
                song.add(batch)
            assert song.encode() == want, (seed, step)


def test_to_midi_pairing_straight_into_the_song_is_the_same_file():
    """to-midi files a typed chunk's pairs itself (Song.add_pairs): the file and the
    reader's warnings are the ones pairing into Notes first gives, rare cases included."""
    for seed in range(8):
        data = varied(seed)
        ppq = (480, 96, 1)[seed % 3]  # the song's reach for MIDI depends on it
        want = midi_bytes(parse_lines(data), checked=True, ppq=ppq)
        warned = read(data, None, typed=False)[1]
        for step in STEPS:
            warnings: list[str] = []
            song = Song(checked=True, ppq=ppq)
            reader = Reader(Trickle(data, step), typed=True, warn=warnings.append)
            reader.pair_typed = lambda evs, reader=reader, song=song: song.add_pairs(evs, reader)
            for batch in reader.batches():
                song.add(batch)
            assert (song.encode(ppq=ppq), warnings) == (want, warned), (seed, step)
            assert song.notes == sum(ev["type"] == "Note" for ev in parse_lines(data))


def test_writer_encodes_mixed_batches_as_orjson_would():
    note = structs.Note(0, 480, 0, 60, 90, "Lead")
    other = {"type": "Lyric", "t": 0, "big": 2.5e16}
    assert encode([note, other]) == encode([structs.as_dict(note), other])
    assert b"2.5e+16" in encode([note, other])  # orjson's spelling, not msgspec's
    assert encode([note]) == orjson.dumps(structs.as_dict(note)) + b"\n"


def test_hot_stages_through_real_pipes_equal_the_dict_path(tmp_path):
    """Long runs of plain notes in both forms (typed chunks) between varied stretches, a
    megabyte in all, so that the processes read many chunks of each kind through real pipes."""
    notes = b"".join(b'{"type":"Note","t":%d,"dur":120,"ch":%d,"key":%d,"vel":90}\n'
                     % (i * 60, i % 3, 40 + i % 40) for i in range(6000))
    pairs = b"".join(b'{"type":"NoteOn","t":%d,"ch":1,"key":%d,"vel":80}\n'
                     b'{"type":"NoteOff","t":%d,"ch":1,"key":%d}\n'
                     % (i * 60, 50 + i % 30, i * 60 + 50, 50 + i % 30) for i in range(6000))
    data = varied(0, 300) + notes + varied(1, 300) + pairs + varied(2, 300)
    src = tmp_path / "in.jsonl"
    src.write_bytes(data)
    evs = parse_lines(data)
    out = sh(f"transpose -s 5 < {src} | scale --root D --mode dorian | "
             f"humanize --seed 3 --timing 10 --velocity 8", check=True)
    stage = STAGES["transpose"]
    want = b"".join(encode(b) for b in humanize_batches(
        snap_batches(stage([evs]), 2, "dorian", in_place=True), 3, timing=10, velocity=8,
        in_place=True) if b)
    assert out.stdout == want
    mid = tmp_path / "x.mid"
    sh(f"transpose -s 5 < {src} | to-midi --out {mid}", check=True)
    assert mid.read_bytes() == midi_bytes(dicts(next(stage([parse_lines(data)]))), checked=True)
    sh(f"cat {src} | to-midi --out {mid}", check=True)  # the pairs filed straight into the song
    assert mid.read_bytes() == midi_bytes(parse_lines(data), checked=True)


def test_the_pair_form_writes_the_same_from_structs():
    from musicpipe.stream import Writer

    data = varied(4)
    outs = []
    for step, typed in ((None, False), (97, True)):
        chunks: list[bytes] = []
        writer = Writer(chunks.append, pairs=True)
        fp = Trickle(data, step) if step else io.BytesIO(data)
        writer.write_batches(Reader(fp, typed=typed).batches())
        writer.flush()
        outs.append((b"".join(chunks), writer.pair_summary()))
    assert outs[0] == outs[1]


def test_odd_but_valid_pair_lines_read_the_same_either_way():
    """Pair chunks skip the canonical check, so whatever msgspec accepts there must mean
    what orjson reads: a repeated key (the last wins), the type not first, spaces."""
    odd = [b'{"type":"NoteOn","t":7,"ch":0,"key":60,"vel":80,"t":5}',
           b'{"t":9,"type":"NoteOff","key":60,"ch":0}',
           b'{ "type" : "NoteOn" , "t":10, "ch":1, "key":61, "vel":1 }',
           b'{"type":"NoteOff","t":20,"ch":1,"key":61,"vel":64}']
    data = b"\n".join(odd * 200 + [odd[0].replace(b":7", b":-5")]) + b"\n"
    want, warned = read(data, None, typed=False)
    for step in STEPS:
        batches, warnings = read(data, step, typed=True)
        assert [ev for b in batches for ev in dicts(b)] == [ev for b in want for ev in b]
        assert warnings == warned
    assert any(is_typed(b) for b in read(data, 1024, typed=True)[0])

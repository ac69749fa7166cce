"""musicpipe.smfread, the direct MIDI reader, against the mido reader it replaced
(tests/mido_reader.py): every file the old one read reads the same, event for event and
warning for warning, whether real (``MUSICPIPE_MIDI_FILES``) or fuzzed.

``MUSICPIPE_MIDI_FILES=DIR`` names a folder searched for .mid/.midi/.rmi files, e.g. the
test assets of the midly and midi-cli-rs repositories (about 120 files); without it those
cases are skipped.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from musicpipe.midi import MidiFileError, midi_to_events, read_midi
from musicpipe.stream import encode
from tests import mido_reader
from tests.conftest import events, sh
from tests.test_fuzz import SCALE, midi_bytes

REAL = os.environ.get("MUSICPIPE_MIDI_FILES")


def both(data: bytes):
    """(old, new): each ("ok", events, warnings) or ("error", message, warnings)."""
    out = []
    for read in (mido_reader.midi_to_events, midi_to_events):
        said: list[str] = []
        try:
            out.append(("ok", read(data, warn=said.append), said))
        except MidiFileError as e:
            out.append(("error", str(e), said))
    return out


def same_as_before(data: bytes) -> None:
    old, new = both(data)
    if old[0] == "ok":
        assert new == old
        assert encode(new[1]) == encode(old[1])  # the same bytes out, too
    else:
        assert new[0] == "ok" or new[1].count("\n") == 0


def real_files() -> list[Path]:
    if not REAL:
        return []
    return sorted(p for p in Path(REAL).rglob("*") if p.suffix.lower() in (".mid", ".midi", ".rmi"))


@pytest.mark.skipif(not REAL, reason="MUSICPIPE_MIDI_FILES names no folder of MIDI files")
def test_real_files_read_as_they_did():
    files = real_files()
    assert len(files) >= 10, f"only {len(files)} MIDI files under {REAL}"
    read = 0
    for path in files:
        data = path.read_bytes()
        same_as_before(data)
        read += both(data)[1][0] == "ok"
    assert read >= len(files) - 2   # midly's PiDamaged.mid is cut short on purpose


def _smf(division: int, tracks: list[bytes], fmt: int = 1) -> bytes:
    return (b"MThd" + struct.pack(">LHHH", 6, fmt, len(tracks), division & 0xFFFF) + b"".join(
        b"MTrk" + struct.pack(">L", len(t)) + t for t in tracks))


@st.composite
def busy_files(draw) -> bytes:
    """Well-formed files dense with what the reader must get right: running status, chords
    closed in any order, one key struck twice before it ends, velocity-0 note-offs, names,
    tracks sharing channels, every resolution."""
    tracks = []
    for _ in range(draw(st.integers(1, 4))):
        body = b""
        if draw(st.booleans()):
            name = draw(st.sampled_from([b"Pno", b"Bss", b"\xe2\x99\xaa"]))
            body += b"\x00\xff\x03" + bytes([len(name)]) + name
        status = None
        for _ in range(draw(st.integers(0, 40))):
            body += draw(st.sampled_from([b"\x00", b"\x00", b"\x01", b"\x3c", b"\x81\x70"]))
            kind = draw(st.sampled_from([0x90, 0x90, 0x90, 0x80, 0xB0, 0xC0, 0xE0, 0xD0, 0xFF]))
            if kind == 0xFF:
                body += draw(st.sampled_from([b"\xff\x51\x03\x07\xa1\x20", b"\xff\x06\x01A",
                                              b"\xff\x58\x04\x03\x02\x18\x08",
                                              b"\xff\x59\x02\xfd\x01", b"\xff\x03\x01X"]))
                continue
            s = kind | draw(st.sampled_from([0, 0, 1, 9]))
            if s != status or draw(st.booleans()):
                body += bytes([s])
            status = s
            key = draw(st.sampled_from([60, 60, 64, 67, 36]))
            vel = draw(st.sampled_from([0, 1, 64, 127]))
            body += bytes([key]) if kind in (0xC0, 0xD0) else bytes([key, vel])
        tracks.append(body + b"\x00\xff\x2f\x00")
    division = draw(st.sampled_from([480, 96, 1, 7, 960, 0x7FFF, -(25 << 8) | 40,
                                     -(29 << 8) | 80, -(24 << 8) | 2]))
    return _smf(division, tracks, draw(st.sampled_from([0, 1, 1, 2])))


def examples(n: int):
    """Hypothesis settings for n examples (times FUZZ_SCALE), the same ones every run."""
    return settings(max_examples=max(1, int(n * SCALE)), deadline=None, derandomize=True,
                    database=None, suppress_health_check=list(HealthCheck))


@examples(150)
@given(data=busy_files())
def test_busy_files_read_as_they_did(data):
    assert both(data)[0][0] == "ok"
    same_as_before(data)


@examples(60)
@given(data=midi_bytes())
def test_fuzzed_files_read_as_they_did(data):
    """The fuzz suite's MIDI files (random messages, flipped, cut and grown bytes)."""
    same_as_before(data)


UNKNOWN_CHUNK = _smf(96, [b"\x00\x90\x3c\x40\x60\x80\x3c\x00\x00\xff\x2f\x00"])
UNKNOWN_CHUNK = (UNKNOWN_CHUNK[:14] + b"XFIH" + struct.pack(">L", 5) + b"12345"
                 + UNKNOWN_CHUNK[14:] + b"ZZZZ" + struct.pack(">L", 2) + b"!!")


def test_chunks_that_are_not_tracks_are_skipped():
    """The SMF specification: a reader skips chunks of a type it does not know (Yamaha's
    XF files carry some); mido stopped at them with an error."""
    assert both(UNKNOWN_CHUNK)[0][0] == "error"
    assert midi_to_events(UNKNOWN_CHUNK) == [
        {"type": "Note", "t": 0, "dur": 480, "ch": 0, "key": 60, "vel": 64},
        {"type": "End", "t": 480}]


def test_short_and_impossible_metas_are_dropped_and_counted():
    """midly's Levels.mid holds a 2-byte time signature: mido stopped at it (IndexError)."""
    track = (b"\x00\xff\x58\x02\x06\x03"      # 6/8 without its clocks and 32nds: still 6/8
             b"\x00\xff\x58\x01\x04"          # no denominator: dropped
             b"\x00\xff\x59\x02\x09\x00"      # 9 sharps: no such key, dropped
             b"\x00\xff\x51\x02\x07\xa1"      # a tempo of 2 bytes: dropped
             b"\x00\xff\x2f\x00")
    said: list[str] = []
    assert midi_to_events(_smf(480, [track]), warn=said.append) == [
        {"type": "TimeSig", "t": 0, "num": 6, "den": 8}, {"type": "End", "t": 0}]
    assert said == ["1 tempos outside 4..1000 bpm clipped (or 0, dropped)",
                    "1 time signatures outside 1..64 beats of 1..64 dropped",
                    "1 key signatures that name no key dropped"]


def test_stage_reads_a_file_with_an_unknown_chunk(tmp_path):
    (tmp_path / "xf.mid").write_bytes(UNKNOWN_CHUNK)
    proc = sh(f"from-midi {tmp_path}/xf.mid")
    assert events(proc.stdout)[0]["type"] == "Note" and proc.stderr == b""


def test_batches_are_windows_not_the_whole_file():
    """A big file comes out in batches of a few thousand notes, in time order."""
    n = 20_000
    body = b"".join(b"\x00\x90\x3c\x40\x0a\x80\x3c\x00" for _ in range(n)) + b"\x00\xff\x2f\x00"
    batches = list(read_midi(_smf(480, [body, body], fmt=1)))
    assert sum(map(len, batches)) == 2 * n + 1
    assert max(map(len, batches)) < 3 * 4096
    times = [ev.t for batch in batches for ev in batch]
    assert times == sorted(times)

"""Loop points: the smpl chunk parsed back by hand and the file still read by soundfile and
wave; loopStart/loopEnd markers through to-midi (a real process) read back by mido."""

from __future__ import annotations

import struct
import wave

import mido
import numpy as np
import pytest
import soundfile as sf

from musicpipe.looppoints import WavError, add_wav_loop, loop_markers
from musicpipe.midi import write_midi
from tests.conftest import jsonl, sh


def chunks(path) -> dict[bytes, bytes]:
    """Every top-level RIFF chunk by id, checking the RIFF size counts exactly the file."""
    data = path.read_bytes()
    assert data[:4] == b"RIFF" and data[8:12] == b"WAVE"
    assert struct.unpack("<I", data[4:8])[0] + 8 == len(data)
    out, pos = {}, 12
    while pos < len(data):
        cid, size = struct.unpack("<4sI", data[pos:pos + 8])
        out[cid] = data[pos + 8:pos + 8 + size]
        pos += 8 + size + (size & 1)
    assert pos == len(data)
    return out


def smpl_loops(body: bytes) -> list[tuple[int, int, int, int]]:
    """(type, start, end, play count) of each loop in a smpl chunk's body."""
    header = struct.unpack("<9I", body[:36])
    assert header[3] == 60  # unity note
    loops = [struct.unpack("<6I", body[36 + 24 * i:60 + 24 * i]) for i in range(header[7])]
    return [(kind, start, end, count) for _, kind, start, end, _, count in loops]


@pytest.fixture
def wav(tmp_path):
    path = tmp_path / "a.wav"
    rng = np.random.default_rng(1)
    audio = (rng.standard_normal((44100, 2)) * 0.1).astype(np.float32)
    sf.write(path, audio, 44100, subtype="PCM_16")
    return path, audio


def test_smpl_chunk_reads_back_and_the_audio_is_untouched(wav):
    path, audio = wav
    before, _ = sf.read(path, dtype="int16")
    add_wav_loop(path, 0, 44100)
    found = chunks(path)
    assert smpl_loops(found[b"smpl"]) == [(0, 0, 44099, 0)]  # forward, end inclusive, endless
    assert struct.unpack("<I", found[b"smpl"][8:12])[0] == round(1e9 / 44100)
    after, rate = sf.read(path, dtype="int16")
    assert rate == 44100 and np.array_equal(before, after)
    with wave.open(str(path)) as w:
        assert (w.getnframes(), w.getnchannels(), w.getframerate()) == (44100, 2, 44100)


def test_a_second_call_replaces_the_loop_in_place(wav):
    path, _ = wav
    add_wav_loop(path, 0, 44100)
    size = path.stat().st_size
    add_wav_loop(path, 100, 4410)
    assert path.stat().st_size == size
    assert smpl_loops(chunks(path)[b"smpl"]) == [(0, 100, 4409, 0)]


@pytest.mark.parametrize("subtype", ["PCM_24", "FLOAT"])  # FLOAT adds fact and PEAK chunks
def test_other_sample_formats_get_their_frames_right(tmp_path, subtype):
    path = tmp_path / "b.wav"
    sf.write(path, np.zeros((1000, 2)), 48000, subtype=subtype)
    add_wav_loop(path, 10, 1000)
    assert smpl_loops(chunks(path)[b"smpl"]) == [(0, 10, 999, 0)]
    with pytest.raises(ValueError, match="inside the file's 1000 frames"):
        add_wav_loop(path, 0, 1001)


def test_a_wav_rendered_by_to_wav_takes_loop_points(tmp_path):
    sh(f'seq "C4/4 E4/4 G4/4 C5/4" --bpm 120 | to-wav --out {tmp_path}/r.wav')
    path = tmp_path / "r.wav"
    frames = sf.info(path).frames
    add_wav_loop(path, 0, frames)
    assert smpl_loops(chunks(path)[b"smpl"]) == [(0, 0, frames - 1, 0)]
    assert sf.info(path).frames == frames


def test_a_file_that_is_not_wav_is_refused_untouched(tmp_path):
    path = tmp_path / "x.flac"
    sf.write(path, np.zeros((100, 1)), 44100)
    data = path.read_bytes()
    with pytest.raises(WavError, match="not a RIFF WAVE file"):
        add_wav_loop(path, 0, 100)
    assert path.read_bytes() == data


def test_loop_markers_through_to_midi_and_mido(tmp_path):
    stream = ([{"type": "Seed", "seed": 1}, {"type": "Tempo", "t": 0, "bpm": 90}]
              + [{"type": "Note", "t": i * 480, "dur": 480, "ch": 0, "key": 60 + i, "vel": 80}
                 for i in range(8)]
              + loop_markers(0, 3840) + [{"type": "End", "t": 3840}])
    sh(f"to-midi --out {tmp_path}/l.mid", input=jsonl(stream))
    mid = mido.MidiFile(tmp_path / "l.mid")
    found = []
    for track in mid.tracks:
        t = 0
        for msg in track:
            t += msg.time
            if msg.type == "marker":
                found.append((t, msg.text))
    assert found == [(0, "loopStart"), (3840, "loopEnd")]
    assert mid.length == pytest.approx(3840 / 480 * 60 / 90, abs=1e-5)  # loopEnd: the file's end


def test_loop_markers_in_process_too(tmp_path):
    write_midi([{"type": "Note", "t": 0, "dur": 960, "ch": 0, "key": 60, "vel": 80},
                *loop_markers(480, 960), {"type": "End", "t": 960}], tmp_path / "m.mid")
    texts = [m.text for m in mido.MidiFile(tmp_path / "m.mid") if m.type == "marker"]
    assert texts == ["loopStart", "loopEnd"]
    with pytest.raises(ValueError):
        loop_markers(960, 960)

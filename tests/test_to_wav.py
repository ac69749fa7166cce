"""to-wav and render: real renders with the system GM SoundFont, checked sample by sample."""

import hashlib
import wave
from pathlib import Path

import numpy as np
import pytest

from musicpipe.audio import soundfonts, synth
from musicpipe.audio.loudness import true_peak
from musicpipe.audio.synth import SILENCE, WINDOW, seconds_at
from tests.conftest import jsonl, sh

RATE = 44100
FLUID_R3 = Path("/usr/share/sounds/sf2/FluidR3_GM.sf2")


def samples(path):
    with wave.open(str(path)) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (2, 2, RATE)
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").reshape(-1, 2)


def note(t, dur, key=60, ch=0, vel=100):
    return {"type": "Note", "t": t, "dur": dur, "ch": ch, "key": key, "vel": vel}


PIECE = [{"type": "Seed", "seed": 1}, {"type": "Tempo", "t": 0, "bpm": 90},
         {"type": "ProgramChange", "t": 0, "ch": 0, "program": 0},
         note(0, 480), note(480, 480, 64), note(960, 960, 67),
         {"type": "Tempo", "t": 960, "bpm": 180}, note(1920, 240, 36, ch=9)]
# 2 beats at 90 BPM, then 2.5 beats at 180 BPM: the piece ends at 4/3 + 5/6 s
PIECE_END = 2 * 60 / 90 + 2.5 * 60 / 180


def test_tempo_map_converts_ticks_to_seconds():
    at = seconds_at([(0, 90.0), (960, 180.0)])
    assert at(960) == pytest.approx(4 / 3) and at(2160) == pytest.approx(4 / 3 + 2.5 / 3)
    assert seconds_at([])(480) == pytest.approx(0.5)


def test_same_stream_same_bytes_and_length_is_piece_plus_tail(tmp_path):
    sh(f"to-wav --out {tmp_path}/a.wav", input=jsonl(PIECE))
    sh(f"to-wav --out {tmp_path}/b.wav", input=jsonl(PIECE))
    assert (tmp_path / "a.wav").read_bytes() == (tmp_path / "b.wav").read_bytes()
    audio = samples(tmp_path / "a.wav")
    seconds = len(audio) / RATE
    assert PIECE_END < seconds <= PIECE_END + synth.TAIL_CAP
    # the cut comes within one 50 ms window of the sound falling under -80 dBFS
    level = np.abs(audio.astype(np.float64)) / 32767
    window = round(WINDOW * RATE)
    assert level[-2 * window:-window].max() >= SILENCE * 0.5
    assert (audio[-5:] == 0).all()  # real silence at the end
    assert level[: round(PIECE_END * RATE)].max() > 0.01


def test_exact_length_to_the_sample_with_a_fade(tmp_path):
    sh(f"to-wav --out {tmp_path}/l.wav --length 1.25", input=jsonl(PIECE))
    audio = samples(tmp_path / "l.wav")
    assert len(audio) == round(1.25 * RATE)
    assert (audio[-1] == 0).all() and np.abs(audio[-2000:-1500]).max() > np.abs(audio[-200:]).max()
    sh(f"to-wav --out {tmp_path}/long.wav --length 6", input=jsonl(PIECE))
    assert len(samples(tmp_path / "long.wav")) == 6 * RATE


def test_normalize_sets_the_peak_and_never_clips(tmp_path):
    sh(f"to-wav --out {tmp_path}/n.wav --normalize", input=jsonl(PIECE))
    peak = np.abs(samples(tmp_path / "n.wav").astype(int)).max()
    assert peak == round(32767 * 10 ** (-1 / 20))
    sh(f"to-wav --out {tmp_path}/n6.wav --normalize --peak -6 --gain 10", input=jsonl(PIECE))
    assert np.abs(samples(tmp_path / "n6.wav").astype(int)).max() == round(32767 * 10 ** (-6 / 20))
    loud = sh(f"to-wav --out {tmp_path}/c.wav --gain 10", input=jsonl(PIECE * 1))
    assert b"peaks limited by up to" in loud.stderr and b"under -1 dBTP" in loud.stderr
    assert true_peak(samples(tmp_path / "c.wav") / 32768) <= -1.0


def test_drums_sound_on_channel_9_and_programs_are_honoured(tmp_path):
    sh(f"euclid --pulses 4 --steps 8 --note snare --seed 1 | to-wav --out {tmp_path}/d.wav")
    assert np.abs(samples(tmp_path / "d.wav")).max() > 1000
    sh(f'seq "C4/2" --seed 1 --patch piano | to-wav --out {tmp_path}/p.wav --length 1')
    sh(f'seq "C4/2" --seed 1 --patch trumpet | to-wav --out {tmp_path}/t.wav --length 1')
    piano, trumpet = samples(tmp_path / "p.wav"), samples(tmp_path / "t.wav")
    assert np.abs(piano).max() > 1000 and np.abs(trumpet).max() > 1000
    assert not np.array_equal(piano, trumpet)


def test_every_channel_sounds_without_a_program_change(tmp_path):
    stream = jsonl([note(0, 480, ch=ch) for ch in (3,)])
    sh(f"to-wav --out {tmp_path}/c3.wav", input=stream)
    assert np.abs(samples(tmp_path / "c3.wav")).max() > 1000


@pytest.mark.skipif(not FLUID_R3.is_file() or FLUID_R3.stat().st_size != 148398306,
                    reason="the golden is for Debian's FluidR3_GM.sf2")
def test_golden_render(tmp_path):
    sh(f"to-wav --out {tmp_path}/g.wav --soundfont {FLUID_R3}", input=jsonl(PIECE))
    assert hashlib.sha256((tmp_path / "g.wav").read_bytes()).hexdigest() == GOLDEN


GOLDEN = "e7ed385552e1b4dc00dcb2bc3a76b0aeaa0a09ea99e19ed59939b40fb1fbc085"


def test_midi_input_and_a_mid_beside(tmp_path):
    sh(f"to-midi --out {tmp_path}/p.mid", input=jsonl(PIECE))
    sh(f"to-wav --midi {tmp_path}/p.mid --out {tmp_path}/m.wav")
    sh(f"to-wav --out {tmp_path}/s.wav --mid {tmp_path}/also.mid", input=jsonl(PIECE))
    assert (tmp_path / "also.mid").read_bytes()[:4] == b"MThd"
    sh(f"from-midi {tmp_path}/p.mid | to-wav --out {tmp_path}/f.wav")
    assert (tmp_path / "m.wav").read_bytes() == (tmp_path / "f.wav").read_bytes()
    assert np.abs(samples(tmp_path / "m.wav")).max() > 1000


def test_wav_to_stdout_and_nothing_else_on_stdout(tmp_path):
    out = sh("to-wav --out -", input=jsonl(PIECE), env={"CI": "true"}).stdout
    assert out[:4] == b"RIFF" and out[8:12] == b"WAVE"
    quiet = sh(f"to-wav --out {tmp_path}/q.wav", input=jsonl(PIECE), env={"CI": "true"})
    assert quiet.stdout == b"" and quiet.stderr == b""  # no progress bar off a terminal


@pytest.mark.parametrize("args, env, code, needle", [
    ("--soundfont /no/such.sf2", {}, 69, b"--soundfont /no/such.sf2: no such file"),
    ("", {"MUSICPIPE_SOUNDFONT": "/no/such.sf2"}, 69, b"MUSICPIPE_SOUNDFONT"),
    ("--out /no/such/dir/x.wav", {}, 73, b"cannot write /no/such/dir/x.wav"),
    ("--out", {}, 2, b"--out"),
])
def test_errors_are_one_line(tmp_path, args, env, code, needle):
    if "--out" not in args:
        args += f" --out {tmp_path}/x.wav"
    proc = sh(f"to-wav {args}", input=jsonl(PIECE), env=env, check=False)
    assert proc.returncode == code and needle in proc.stderr, proc.stderr
    assert len(proc.stderr.splitlines()) == 1 and b"Traceback" not in proc.stderr


def test_no_soundfont_anywhere_is_exit_69_with_the_fix(tmp_path, monkeypatch):
    if soundfonts._fonts_in(Path(soundfonts.__file__).resolve().parents[2] / "soundfonts"):
        pytest.skip("the project's soundfonts/ holds a font")
    monkeypatch.setattr(soundfonts, "_SYSTEM_FONTS", ())
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    monkeypatch.delenv("MUSICPIPE_SOUNDFONT", raising=False)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(soundfonts.Unavailable, match="no SoundFont found: run bin/setup") as err:
        soundfonts.find_soundfont()
    assert err.value.exit_code == 69


def test_search_order_and_env_folder(tmp_path):
    fonts = tmp_path / "fonts"
    fonts.mkdir()
    names = [src for src, _ in soundfonts.soundfont_candidates("x.sf2")]
    assert names[0] == "--soundfont" and names[-1] == "system"
    assert names.index("user data dir" if "user data dir" in names else "system") > 0
    listing = sh("to-wav --list-soundfonts", env={"MUSICPIPE_SOUNDFONT": str(fonts)}).stdout.decode()
    assert "using: " in listing and "system" in listing  # an empty folder falls through
    (fonts / "mine.sf2").symlink_to(soundfonts.find_soundfont())
    listing = sh("to-wav --list-soundfonts", env={"MUSICPIPE_SOUNDFONT": str(fonts)}).stdout.decode()
    assert f"using: {fonts / 'mine.sf2'}" in listing

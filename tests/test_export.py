"""Audio files out of to-wav and mood: formats by extension, bit depths, rates, stems that
sum to the mix, to-midi --split, and the errors (read back with soundfile and mido)."""

import mido
import numpy as np
import pytest
import soundfile

from musicpipe.audio import export
from musicpipe.errors import Unavailable
from musicpipe.outfolder import MANIFEST
from tests.conftest import sh

MOOD = "mood jazz --duration 3 --seed 4"


@pytest.fixture(scope="module")
def stream(tmp_path_factory):
    path = tmp_path_factory.mktemp("export") / "jazz.jsonl"
    path.write_bytes(sh(MOOD).stdout)
    return path


@pytest.mark.parametrize("ext, subtype", [("flac", "PCM_16"), ("ogg", "VORBIS"),
                                          ("mp3", "MPEG_LAYER_III"), ("wav", "PCM_16")])
def test_each_format_decodes_to_the_right_length_and_is_the_same_every_run(ext, subtype, stream,
                                                                            tmp_path):
    for name in ("a", "b"):
        sh(f"to-wav --out {tmp_path}/{name}.{ext} --length 2 --loudness -16 < {stream}")
    info = soundfile.info(tmp_path / f"a.{ext}")
    assert (info.frames, info.samplerate, info.channels, info.subtype) == (88200, 44100, 2, subtype)
    assert len(soundfile.read(tmp_path / f"a.{ext}")[0]) == 88200
    assert (tmp_path / f"a.{ext}").read_bytes() == (tmp_path / f"b.{ext}").read_bytes()


def test_bit_depths_and_rates(stream, tmp_path):
    for bits, subtype in (("24", "PCM_24"), ("32", "FLOAT")):
        sh(f"to-wav --out {tmp_path}/x{bits}.wav --bits {bits} --rate 48000 --length 1 < {stream}")
        info = soundfile.info(tmp_path / f"x{bits}.wav")
        assert (info.subtype, info.samplerate, info.frames) == (subtype, 48000, 48000)
    sh(f"to-wav --out {tmp_path}/x.flac --bits 24 --length 1 < {stream}")
    assert soundfile.info(tmp_path / "x.flac").subtype == "PCM_24"
    a = soundfile.read(tmp_path / "x24.wav")[0]
    b = soundfile.read(tmp_path / "x32.wav")[0]
    assert np.abs(a - b).max() < 2 ** -22  # the same audio, 24-bit rounding apart


def test_mood_writes_any_format_at_minus_16_lufs(tmp_path):
    from musicpipe.audio.loudness import integrated, true_peak

    sh(f"{MOOD} --out {tmp_path}/j.flac --rate 48000")
    audio, rate = soundfile.read(tmp_path / "j.flac")
    assert rate == 48000 and len(audio) == 3 * 48000
    assert integrated(audio, rate) == pytest.approx(-16, abs=0.5) and true_peak(audio) <= -1.0


def test_stems_sum_to_the_mix_and_a_full_folder_needs_force(stream, tmp_path):
    stems = tmp_path / "stems"
    sh(f"to-wav --stems {stems} --out {tmp_path}/mix.wav --loudness -16 < {stream}")
    names = sorted(p.name for p in stems.iterdir() if p.name != MANIFEST)  # as --split's
    assert names == ["01-bass.wav", "02-piano.wav", "03-melody.wav", "04-drums.wav", "mix.wav"]
    mix = soundfile.read(stems / "mix.wav")[0]
    parts = [soundfile.read(stems / n)[0] for n in names[:-1]]
    assert {len(p) for p in parts} == {len(mix)}
    assert 20 * np.log10(np.abs(sum(parts) - mix).max()) <= -60
    assert (tmp_path / "mix.wav").read_bytes() == (stems / "mix.wav").read_bytes()
    before = (stems / "01-bass.wav").stat().st_mtime_ns
    proc = sh(f"to-wav --stems {stems} < {stream}", check=False)
    assert proc.returncode == 73 and b"--force" in proc.stderr and len(proc.stderr.splitlines()) == 1
    assert (stems / "01-bass.wav").stat().st_mtime_ns == before
    sh(f"to-wav --stems {stems} --force < {stream}")
    sh(f"mood jazz --duration 3 --seed 4 --stems {tmp_path}/m --out {tmp_path}/m.ogg")
    assert sorted(p.name for p in (tmp_path / "m").iterdir() if p.name != MANIFEST) == [
        n.replace(".wav", ".ogg") for n in names]


def test_to_midi_split_writes_one_file_per_track(stream, tmp_path):
    sh(f"to-midi --split {tmp_path}/t < {stream}")
    files = sorted(p for p in (tmp_path / "t").iterdir() if p.name != ".musicpipe-files")
    assert [f.name for f in files] == ["01-bass.mid", "02-piano.mid", "03-melody.mid", "04-drums.mid"]
    for f in files:
        midi = mido.MidiFile(f)
        assert midi.length == pytest.approx(3, abs=0.01)
        channels = {m.channel for t in midi.tracks for m in t if m.type == "note_on"}
        assert len(channels) == 1
    assert sh(f"to-midi --split {tmp_path}/t < {stream}", check=False).returncode == 73


@pytest.mark.parametrize("args, code, needle", [
    ("--out x.aiff", 2, b"supported: .wav, .flac, .ogg, .mp3"),
    ("--out x.ogg --bits 24", 2, b"--bits applies to .wav and .flac"),
    ("--out x.flac --bits 32", 2, b".flac holds 16 or 24 bits"),
    ("--out x.wav --normalize --loudness -16", 2, b"give one"),
])
def test_bad_output_options_are_one_line_usage_errors(args, code, needle, stream, tmp_path):
    proc = sh(f"to-wav {args} < {stream}", cwd=tmp_path, check=False)
    assert proc.returncode == code and needle in proc.stderr, proc.stderr
    assert len(proc.stderr.splitlines()) == 1 and not list(tmp_path.iterdir())


def test_a_format_the_installed_libsndfile_lacks_is_exit_69_with_the_fix(monkeypatch):
    monkeypatch.setattr(soundfile, "available_formats", lambda: {"WAV": "", "FLAC": ""})
    with pytest.raises(Unavailable, match="cannot write .mp3: install a libsndfile") as err:
        export.check_available("mp3")
    assert err.value.exit_code == 69
    export.check_available("wav")


def test_two_tracks_on_one_channel_split_as_to_midi_lays_them_out(tmp_path):
    from tests.conftest import jsonl

    stream = jsonl([{"type": "ProgramChange", "t": 0, "ch": 0, "program": 73}] + [
        {"type": "Note", "t": 0, "dur": 480, "ch": 0, "key": k, "vel": 80, "track": name}
        for k, name in ((72, "Flute A"), (67, "Flute B"))])
    sh(f"to-midi --out {tmp_path}/all.mid", input=stream)
    names = [t.name for t in mido.MidiFile(tmp_path / "all.mid").tracks]
    assert names[2:] == ["Flute A", "Flute B"]  # track 1 the conductor, 2 the untracked program
    sh(f"to-midi --split {tmp_path}/t", input=stream)
    sh(f"to-wav --stems {tmp_path}/s", input=stream)
    assert sorted(p.name for p in (tmp_path / "t").iterdir()) == [".musicpipe-files", "02-flute-a.mid",
                                                                  "03-flute-b.mid"]
    assert sorted(p.name for p in (tmp_path / "s").iterdir()) == [MANIFEST, "02-flute-a.wav",
                                                                  "03-flute-b.wav", "mix.wav"]
    for f in (tmp_path / "t").glob("*.mid"):
        assert [m.program for t in mido.MidiFile(f).tracks for m in t
                if m.type == "program_change"] == [73]


@pytest.mark.parametrize("command", ["to-wav --stems {d}/stems --out {d}/x.wav",
                                     "to-midi --split {d}/split", "to-midi --out {d}/x.mid"])
def test_a_track_that_is_not_text_is_one_line_and_exit_65(command, tmp_path):
    """A track is named by text: a number there is refused alike wherever tracks are split
    (it was exit 70 in to-wav --stems and to-midi --split)."""
    line = b'{"type":"Note","t":0,"dur":480,"ch":0,"key":60,"vel":80,"track":1}\n'
    proc = sh(command.format(d=tmp_path), input=line, check=False)
    assert proc.returncode == 65
    assert proc.stderr.decode().splitlines()[-1].endswith('Note field "track" must be text (a track name)')
    assert not (tmp_path / "stems").exists() and not (tmp_path / "split").exists()

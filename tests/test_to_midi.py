"""to-midi as a real process: pipes, --out, stdout rules, errors naming the line, atomic files."""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import subprocess

import mido
import pretty_midi
import pytest
from music21 import converter

from musicpipe.midi import midi_bytes
from tests.conftest import BIN, ENV, ROOT, jsonl, sh

LAYERED = (
    [{"type": "Seed", "seed": 1}, {"type": "Tempo", "t": 0, "bpm": 128},
     {"type": "ProgramChange", "t": 0, "ch": 0, "program": 48},
     {"type": "Marker", "t": 0, "text": "Verse"}]
    + [{"type": "Note", "t": i * 480, "dur": 480, "ch": 0, "key": 60 + i % 7, "vel": 80} for i in range(8)]
    + [{"type": "Note", "t": i * 240, "dur": 120, "ch": 9, "key": 36 + i % 3, "vel": 100} for i in range(16)]
)


def stage_missing(name: str) -> bool:
    return not (BIN / name).exists() or subprocess.run(
        [str(BIN / name), "--help"], capture_output=True, env=ENV).returncode != 0


def test_layered_stream_through_a_pipe_gives_strings_and_drums(tmp_path):
    sh(f"to-midi --out {tmp_path}/song.mid", input=jsonl(LAYERED))
    pm = pretty_midi.PrettyMIDI(str(tmp_path / "song.mid"))
    assert [(i.name, i.program, i.is_drum, len(i.notes)) for i in pm.instruments] == [
        ("Strings", 48, False, 8), ("Drums", 0, True, 16)]
    assert pm.get_tempo_changes()[1][0] == pytest.approx(128, abs=1e-3)
    score = converter.parse(str(tmp_path / "song.mid"))
    assert [p.partName for p in score.parts] == ["Strings", "Drums"]
    assert [len(p.flatten().notes) for p in score.parts] == [8, 16]


def test_same_stream_same_bytes_pinned():
    out = sh("to-midi", input=jsonl(LAYERED)).stdout
    assert out == sh("to-midi --out -", input=jsonl(LAYERED)).stdout == midi_bytes(LAYERED)
    assert hashlib.sha256(out).hexdigest() == (
        "ef5650f57dfa229fd0641f5a7a7d04aef4734939a849beeb790151727bd30107")


def test_out_file_and_stdout_are_the_same_bytes(tmp_path):
    sh(f"to-midi --type 0 --ppq 96 --out {tmp_path}/a.mid", input=jsonl(LAYERED))
    piped = sh("to-midi --type 0 --ppq 96 | cat", input=jsonl(LAYERED)).stdout
    assert (tmp_path / "a.mid").read_bytes() == piped
    f = mido.MidiFile(file=io.BytesIO(piped))
    assert f.type == 0 and f.ticks_per_beat == 96 and len(f.tracks) == 1


def test_pair_form_input_is_accepted(tmp_path):
    pairs = (b'{"type":"NoteOn","t":0,"ch":2,"key":60,"vel":80}\n'
             b'{"type":"NoteOff","t":480,"ch":2,"key":60}\n')
    out = sh("to-midi", input=pairs).stdout
    notes = pretty_midi.PrettyMIDI(io.BytesIO(out)).instruments[0].notes
    assert [(n.pitch, n.velocity, n.end - n.start) for n in notes] == [(60, 80, 0.5)]


def test_seed_transpose_to_midi_real_pipe(tmp_path):
    riff = (ROOT / "examples" / "riff.jsonl").read_bytes()
    sh(f"seed 1 | transpose -s 2 | to-midi --out {tmp_path}/x.mid", input=riff)
    pm = pretty_midi.PrettyMIDI(str(tmp_path / "x.mid"))
    src = [e for e in _events(riff) if e["type"] == "Note"]
    assert sorted(n.pitch for i in pm.instruments if not i.is_drum for n in i.notes) == sorted(
        e["key"] + 2 for e in src if e["ch"] != 9)
    assert sorted(n.pitch for i in pm.instruments if i.is_drum for n in i.notes) == sorted(
        e["key"] for e in src if e["ch"] == 9)
    sh(f"seed 1 | to-midi --force --out {tmp_path}/empty.mid")
    assert len(mido.MidiFile(tmp_path / "empty.mid").tracks) == 1   # a conductor, no parts


@pytest.mark.skipif(stage_missing("motif"), reason="motif not built yet")
def test_seed_motif_to_midi(tmp_path):
    sh(f"seed 1 | motif | to-midi --out {tmp_path}/m.mid")
    pm = pretty_midi.PrettyMIDI(str(tmp_path / "m.mid"))
    stream = _events(sh("seed 1 | motif").stdout)
    onsets = {(e["t"], e["ch"], e["key"]) for e in stream if e["type"] == "Note"}  # one per key
    assert sum(len(i.notes) for i in pm.instruments) == len(onsets) > 0


@pytest.mark.skipif(stage_missing("euclid"), reason="euclid not built yet")
def test_layered_euclid_kit_is_one_drum_track(tmp_path):
    sh("{ euclid --pulses 4 --steps 16 --note kick --seed 1; "
       "euclid --pulses 3 --steps 8 --note snare --seed 1; } "
       f"| to-midi --out {tmp_path}/kit.mid")
    f = mido.MidiFile(tmp_path / "kit.mid")
    assert [t.name for t in f.tracks[1:]] == ["Drums"]


def test_stdout_terminal_without_out_is_a_usage_error():
    main, child = os.openpty()
    try:
        proc = subprocess.run([str(BIN / "to-midi")], stdin=subprocess.DEVNULL, stdout=child,
                              stderr=subprocess.PIPE, env=ENV, timeout=60)
    finally:
        os.close(child)
        os.close(main)
    err = proc.stderr.decode().strip().splitlines()
    assert proc.returncode == 2 and len(err) == 1 and "--out" in err[0], err


def test_bad_line_exits_65_naming_it_and_leaves_the_old_file(tmp_path):
    target = tmp_path / "keep.mid"
    target.write_bytes(b"old")
    bad = jsonl(LAYERED[:3]) + b'{"type":"Note","t":0,"dur":480,"ch":0,"key":200,"vel":80}\n'
    proc = sh(f"to-midi --out {target}", input=bad, check=False)
    err = proc.stderr.decode().strip().splitlines()
    assert proc.returncode == 65 and len(err) == 1 and "line 4" in err[0] and '"key"' in err[0]
    assert target.read_bytes() == b"old" and os.listdir(tmp_path) == ["keep.mid"]


@pytest.mark.parametrize("stream, line", [
    (b'{"type":"Note","t":0,"dur":1,"ch":0,"key":60,"vel":9}\n\n'
     b'{"type":"Note","t":300000000,"dur":1,"ch":0,"key":60,"vel":9}\n', 3),
    (b'{"type":"Seed","seed":2}\n{"type":"NoteOn","t":300000000,"ch":0,"key":60,"vel":9}\n'
     b'{"type":"NoteOff","t":300000001,"ch":0,"key":60}\n', 2),
    (b'{"type":"Note","t":0,"dur":1,"ch":0,"key":60,"vel":9}\n{"type":"End","t":300000000}\n', 2),
])
def test_a_piece_too_long_for_midi_names_the_line(stream, line):
    proc = sh("to-midi --out -", input=stream, check=False)
    err = proc.stderr.decode().strip().splitlines()
    assert proc.returncode == 65 and proc.stdout == b""
    assert len(err) == 1 and err[0].startswith(f"to-midi: line {line}: the piece is"), err


def test_unwritable_out_exits_73(tmp_path):
    proc = sh(f"to-midi --out {tmp_path}/no/such/dir.mid", input=jsonl(LAYERED), check=False)
    assert proc.returncode == 73
    assert proc.stderr.decode().strip() == f"to-midi: cannot write {tmp_path}/no/such/dir.mid: No such file or directory"


def test_bad_options_exit_2():
    for opts in ("--ppq 0", "--type 2", "--ppq 40000"):
        proc = sh(f"to-midi --out - {opts}", input=jsonl(LAYERED), check=False)
        assert proc.returncode == 2 and len(proc.stderr.splitlines()) == 1, opts


def test_warnings_are_one_line_each_on_stderr():
    overlap = jsonl([{"type": "Note", "t": 0, "dur": 960, "ch": 0, "key": 60, "vel": 80},
                     {"type": "Note", "t": 480, "dur": 480, "ch": 0, "key": 60, "vel": 80}])
    proc = sh("to-midi --out /dev/null", input=overlap)
    assert proc.stderr.decode() == ("to-midi: 1 notes overlap another on the same channel and key "
                                    "(1 ended where the next starts, 0 starting together merged)\n")


def test_help_examples_run_from_a_copy_of_the_repo(tmp_path):
    from musicpipe.stages.to_midi import command

    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    for example in command.examples:
        sh(f"set -o pipefail; {example}", cwd=tmp_path)
    assert mido.MidiFile(tmp_path / "riff.mid").tracks[1].name == "Lead"


def _events(data: bytes):
    from musicpipe.stream import parse_lines

    return parse_lines(data)


def test_to_midi_writes_without_mido():
    """The bytes are encoded directly: writing a file never imports mido (or numpy)."""
    proc = sh(f"{BIN}/python -X importtime {BIN}/to-midi --out -", input=jsonl(LAYERED))
    imported = {line.rsplit("|", 1)[-1].strip().split(".")[0]
                for line in proc.stderr.decode().splitlines() if line.startswith("import time:")}
    assert proc.stdout[:4] == b"MThd" and not imported & {"mido", "numpy"}


@pytest.mark.parametrize("bad", [
    b'{"type":"Note","t":5,"dur":1,"ch":0,"key":60,"vel":9,"track":5}',
    b'{"type":"KeySig","t":5,"key":"H","mode":"major"}',
    b'{"type":"End","t":300000000}',
])
def test_an_error_deep_in_a_long_stream_names_its_line(bad):
    """Only the chunk being read is kept, yet the line number is exact."""
    head = b"".join(b'{"type":"Note","t":%d,"dur":60,"ch":%d,"key":60,"vel":80}\n' % (i * 60, i % 3)
                    for i in range(30_000))
    proc = sh("to-midi --out -", input=head + bad + b"\n" + head[:head.index(b"\n") + 1], check=False)
    err = proc.stderr.decode().strip().splitlines()
    assert proc.returncode == 65 and len(err) == 1 and err[0].startswith("to-midi: line 30001: "), err


def test_a_pair_too_far_deep_in_a_pair_stream_names_its_line():
    """A typed chunk's pairs go straight into the song, yet the culprit's line is exact."""
    pair = (b'{"type":"NoteOn","t":%d,"ch":0,"key":%d,"vel":80}\n'
            b'{"type":"NoteOff","t":%d,"ch":0,"key":%d}\n')
    head = b"".join(pair % (i * 60, i % 9 + 60, i * 60 + 50, i % 9 + 60) for i in range(30_000))
    far = (b'{"type":"NoteOn","t":300000000,"ch":1,"key":60,"vel":9}\n'
           b'{"type":"NoteOff","t":300000001,"ch":1,"key":60}\n')
    tail = head[:head.index(b'\n{"type":"NoteOn"', 9000) + 1]
    proc = sh("to-midi --out -", input=head + far + tail, check=False)
    err = proc.stderr.decode().strip().splitlines()
    assert proc.returncode == 65 and len(err) == 1, err
    assert err[0].startswith("to-midi: line 60001: the piece is"), err

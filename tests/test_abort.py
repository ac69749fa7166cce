"""Failure travels down the pipe (docs/events.md, "Failures in a pipe"): a failed stage ends
its stdout with an Abort line, every stage passes it on, and no sink replaces a file from it.
Real processes through real pipes; the reproducers of issue 16 first.
"""

from __future__ import annotations

import os
import pty
import subprocess

import pytest

from musicpipe.audio.soundfonts import find_soundfont
from musicpipe.stream import parse_lines
from tests.conftest import BIN, ENV, ROOT, events, jsonl, sh
from tests.test_contract import STREAM_STAGES


def _has_soundfont() -> bool:
    try:
        find_soundfont()
    except Exception:
        return False
    return True


needs_font = pytest.mark.skipif(not _has_soundfont(), reason="no SoundFont")

BAD_SEQ = 'seq "[C4,E4,G4]/1 Xm/1"'
HALF_WAY = """{ seq "C4 D4 E4"; echo '{"type":"Note","t":"x"}'; seq F4; } | transpose -s 2"""
ABORT = {"type": "Abort", "stage": "seq", "message": "it broke"}


def _codes(proc) -> list[int]:
    return [int(c) for c in proc.stdout.decode().split()]


@pytest.fixture
def keep(tmp_path):
    """A good keep.mid and keep.wav from a working pipe, and their bytes."""
    sh(f'cd {tmp_path} && seq "C4 E4 G4" | to-midi --out keep.mid')
    return tmp_path, (tmp_path / "keep.mid").read_bytes()


def test_a_failed_generator_keeps_the_good_midi_file(keep):
    d, before = keep
    proc = sh(f'cd {d} && {{ {BAD_SEQ} | to-midi --out keep.mid; echo "${{PIPESTATUS[@]}}"; }} 2>err')
    assert _codes(proc) == [2, 65]
    assert (d / "keep.mid").read_bytes() == before
    err = (d / "err").read_text().splitlines()
    assert err[-1] == ("to-midi: kept keep.mid: the stream ended in an Abort from seq; "
                       "--force writes it anyway")
    assert err[0].startswith("seq: Invalid value for NOTATION") and len(err) == 2


def test_a_failure_half_way_keeps_the_file_and_every_stage_says_so(keep):
    d, before = keep
    proc = sh(f'cd {d} && {HALF_WAY} | to-midi --out keep.mid; echo "${{PIPESTATUS[@]}}"')
    assert _codes(proc) == [0, 65, 65]
    assert (d / "keep.mid").read_bytes() == before
    proc = sh(f"cd {d} && {HALF_WAY} | to-midi --out partial.mid", check=False)
    assert proc.returncode == 65 and not (d / "partial.mid").exists()
    assert b"wrote no partial.mid: the stream ended in an Abort from transpose" in proc.stderr


def test_the_aborted_stream_holds_the_good_events_then_one_abort():
    out = events(sh(HALF_WAY, check=False).stdout)
    assert [e["key"] for e in out if e["type"] == "Note"] == [62, 64, 66]
    assert out[-1] == {"type": "Abort", "stage": "transpose",
                       "message": 'line 4: Note is missing field "dur" (1..2147483647)'}
    assert sum(e["type"] == "Abort" for e in out) == 1


def test_empty_and_noteless_streams_write_no_file(keep):
    d, before = keep
    for feed, why in (("echo -n", "is empty"), ("seed 1", "holds no notes")):
        proc = sh(f"cd {d} && {feed} | to-midi --out keep.mid", check=False)
        assert proc.returncode == 65 and (d / "keep.mid").read_bytes() == before
        assert proc.stderr.decode().strip() == (
            f"to-midi: kept keep.mid: the stream {why}; --force writes it anyway")
        proc = sh(f"cd {d} && {feed} | to-midi --out new.mid", check=False)
        assert proc.returncode == 65 and not (d / "new.mid").exists()
        assert f"wrote no new.mid: the stream {why}".encode() in proc.stderr


def test_to_midi_to_stdout_writes_nothing_from_an_abort():
    proc = sh(f"{BAD_SEQ} | to-midi --out -", check=False)
    assert proc.returncode == 65 and proc.stdout == b""
    assert b"to-midi: wrote nothing: the stream ended in an Abort from seq" in proc.stderr


def test_force_writes_anyway(keep):
    d, before = keep
    sh(f"cd {d} && {HALF_WAY} | to-midi --force --out keep.mid", check=False)
    after = (d / "keep.mid").read_bytes()
    assert after != before and after.startswith(b"MThd")
    import mido

    keys = [m.note for t in mido.MidiFile(d / "keep.mid").tracks for m in t if m.type == "note_on"]
    assert keys == [62, 64, 66]  # what arrived before the failure
    sh(f"cd {d} && seed 1 | to-midi --force --out empty.mid")
    assert (d / "empty.mid").read_bytes().startswith(b"MThd")


@needs_font
def test_to_wav_keeps_the_good_wav(tmp_path):
    sh(f'cd {tmp_path} && seq "C4 E4" | to-wav --out keep.wav')
    before = (tmp_path / "keep.wav").read_bytes()
    for pipe in (BAD_SEQ, HALF_WAY, "echo -n", "seed 2"):
        proc = sh(f"cd {tmp_path} && {pipe} | to-wav --out keep.wav", check=False)
        assert proc.returncode == 65, pipe
        assert b"to-wav: kept keep.wav: the stream " in proc.stderr, proc.stderr
        assert (tmp_path / "keep.wav").read_bytes() == before, pipe
    assert not list(tmp_path.glob(".*.tmp"))


def test_viz_passes_the_abort_through_and_keeps_the_svg(tmp_path):
    sh(f'cd {tmp_path} && seq "C4 E4" | viz --svg keep.svg > /dev/null')
    before = (tmp_path / "keep.svg").read_bytes()
    proc = sh(f'cd {tmp_path} && {HALF_WAY} | viz --svg keep.svg; echo "${{PIPESTATUS[@]}}" >&2',
              check=False)
    assert proc.stderr.decode().split()[-3:] == ["0", "65", "65"]
    assert (tmp_path / "keep.svg").read_bytes() == before
    out = events(proc.stdout)
    assert out[-1]["type"] == "Abort" and sum(e["type"] == "Abort" for e in out) == 1
    assert b"viz: kept keep.svg: the stream ended in an Abort from transpose" in proc.stderr
    proc = sh(f"cd {tmp_path} && seed 1 | viz --svg keep.svg", check=False)
    assert proc.returncode == 65 and (tmp_path / "keep.svg").read_bytes() == before
    assert events(proc.stdout)[-1]["stage"] == "viz"
    sh(f"cd {tmp_path} && seed 1 | viz --svg keep.svg --force > /dev/null")
    assert (tmp_path / "keep.svg").read_bytes() != before


@pytest.mark.parametrize("name", sorted(STREAM_STAGES))
def test_every_stream_stage_passes_an_abort_on_and_exits_65(name):
    stream = jsonl([{"type": "Seed", "seed": 1},
                    {"type": "Note", "t": 0, "dur": 480, "ch": 0, "key": 60, "vel": 80}, ABORT])
    proc = sh(STREAM_STAGES[name], input=stream, check=False)
    assert proc.returncode == 65, proc.stderr
    out = parse_lines(proc.stdout[:proc.stdout.rindex(b"{")])  # all but the Abort, validated
    assert all(e["type"] != "Abort" for e in out)
    assert events(proc.stdout)[-1] == ABORT
    assert proc.stderr.decode().strip().splitlines()[-1] == f"{name}: passed on the Abort from seq"


@pytest.mark.parametrize("name", sorted(STREAM_STAGES))
def test_every_stream_stage_ends_its_own_failure_with_an_abort(name):
    bad = b'{"type":"Note","t":0,"dur":480,"ch":0,"key":200,"vel":80}\n'
    proc = sh(STREAM_STAGES[name], input=bad, check=False)
    last = events(proc.stdout)[-1]
    assert proc.returncode == 65
    assert last["type"] == "Abort" and last["stage"] == name and '"key" is 200' in last["message"]


@pytest.mark.parametrize("script, stage", [
    ("transpose --semitones 999", "transpose"),
    ("motif --notes 0", "motif"),
    ("euclid --pulses 5 --steps 3", "euclid"),
])
def test_a_usage_error_ends_the_stream_with_an_abort_too(script, stage, tmp_path):
    proc = sh(f"{script} < /dev/null | to-midi --out {tmp_path}/x.mid", check=False)
    assert proc.returncode == 65 and not (tmp_path / "x.mid").exists()
    assert f"the stream ended in an Abort from {stage}".encode() in proc.stderr
    proc = sh(f"{script} < /dev/null", check=False)
    assert proc.returncode == 2 and events(proc.stdout)[-1]["stage"] == stage


@pytest.mark.parametrize("script", [
    "mood calm --out x.mp3 --rate 96000",   # refused by the stage body
    "mood calm --out x.mp3 --rate 5",       # refused while the options are read
    "mood --rate 5 --out x.mp3 calm",       # the same, --out after the bad option
    "mood nosuch --stems d",
    "mood --list --bogus",
    "musicpipe mood calm -ox.wav --bogus",
    "from-midi --notation --bogus",
])
def test_a_usage_error_writes_no_abort_where_stdout_is_not_the_stream(script, tmp_path):
    """The Abort is the stream's last line: with --out (a file) or text on stdout there is
    no stream, so a bad command line writes nothing there, only its stderr line."""
    proc = sh(f"set -o pipefail; {script} < /dev/null | cat", check=False, cwd=tmp_path)
    assert proc.returncode == 2 and proc.stdout == b"", proc.stdout
    assert len(proc.stderr.splitlines()) == 1 and os.listdir(tmp_path) == []


def test_the_same_usage_error_with_stdout_the_stream_ends_it_with_an_abort():
    for script in ("mood calm --rate 5", "mood nosuch", "from-midi --bogus"):
        proc = sh(f"{script} < /dev/null", check=False)
        assert proc.returncode == 2 and events(proc.stdout)[-1]["type"] == "Abort", script


def test_no_abort_line_on_a_terminal():
    """The Abort is for the next stage: a person at a terminal gets only the stderr line."""
    leader, follower = pty.openpty()
    try:
        proc = subprocess.run([str(BIN / "seq"), "C4 Xm"], stdout=follower,
                              stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, env=ENV, cwd=ROOT,
                              timeout=60)
        os.close(follower)
        follower = -1
        seen = b""
        try:
            while chunk := os.read(leader, 4096):
                seen += chunk
        except OSError:
            pass
    finally:
        os.close(leader)
        if follower >= 0:
            os.close(follower)
    assert proc.returncode == 2 and b"Abort" not in seen


def test_mood_out_of_a_piece_without_notes_writes_nothing(tmp_path):
    pack = tmp_path / "quiet.toml"
    pack.write_text('[[moods]]\nname = "hush"\ndescription = "nothing"\n'
                    '[[moods.layers]]\nname = "lead"\ngenerator = "seq"\nnotes = "R/1"\n')
    proc = sh(f"mood hush --pack {pack} --seed 1 --duration 2 --out {tmp_path}/h.mid", check=False)
    assert proc.returncode == 65, proc.stderr
    assert not (tmp_path / "h.mid").exists()
    assert b"mood: wrote no " in proc.stderr and b"holds no notes" in proc.stderr
    assert proc.stdout == b""  # --out: stdout is not a stream, no Abort line
    sh(f"mood hush --pack {pack} --seed 1 --duration 2 --out {tmp_path}/h.mid --force")
    assert (tmp_path / "h.mid").exists()

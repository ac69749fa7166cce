"""Renders that cannot lose work (issues 21 and 25): every file of a render is written before
any is renamed into place, --stems --force replaces the previous piece, an interrupted render
leaves no new folder, and the odd conditions (stdout closed, a rate MP3 lacks, a folder name
too long) are one line with their exit code, never 70."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import time

import pytest

from musicpipe.audio import encode, export
from musicpipe.errors import OutputError
from tests.conftest import ENV, ROOT, events, sh
from tests.test_abort import needs_font

pytestmark = needs_font

MOOD = "mood jazz --duration 2 --seed 4"


@pytest.fixture(scope="module")
def stream(tmp_path_factory):
    path = tmp_path_factory.mktemp("safety") / "jazz.jsonl"
    path.write_bytes(sh(MOOD).stdout)
    return path


def test_a_stem_that_cannot_be_written_leaves_out_as_it_was(stream, tmp_path, monkeypatch):
    """A full disk while the stems are written (the mix is already done): --out keeps the
    old file, no stem nor temporary file is left, and the new stems folder is gone."""
    (tmp_path / "mix.wav").write_bytes(b"old")
    write = encode.Writer.write

    def full(self, block):
        if self.path and "03-melody" in self.path:
            raise OSError(errno.ENOSPC, "No space left on device")
        write(self, block)

    monkeypatch.setattr(encode.Writer, "write", full)
    with pytest.raises(OutputError, match="03-melody.wav: No space left on device"):
        export.export(events(stream.read_bytes()), str(tmp_path / "mix.wav"),
                      stems=str(tmp_path / "stems"), length=2.0)
    assert sorted(os.listdir(tmp_path)) == ["mix.wav"]
    assert (tmp_path / "mix.wav").read_bytes() == b"old"


def test_a_render_larger_than_the_file_size_limit_is_exit_73_and_keeps_out(stream, tmp_path):
    (tmp_path / "x.wav").write_bytes(b"old")
    proc = sh(f"trap '' XFSZ; ulimit -f 200; to-wav --out {tmp_path}/x.wav "
              f"--stems {tmp_path}/s < {stream}", check=False)
    err = proc.stderr.decode().splitlines()
    assert proc.returncode == 73 and len(err) == 1 and "File too large" in err[0], err
    assert sorted(os.listdir(tmp_path)) == ["x.wav"] and (tmp_path / "x.wav").read_bytes() == b"old"


def test_stems_force_replaces_the_previous_piece(tmp_path):
    sh(f"{MOOD} --stems {tmp_path}/s")
    before = sorted(os.listdir(tmp_path / "s"))
    (tmp_path / "s" / "notes.txt").write_text("mine")
    sh(f"mood calm --duration 2 --seed 1 --stems {tmp_path}/s --force")
    after = sorted(os.listdir(tmp_path / "s"))
    calm = sorted(p for p in after if p != "notes.txt")
    assert len(before) > len(calm) and "notes.txt" in after  # only its own kind of files go
    assert calm == sorted(sh(f"mood calm --duration 2 --seed 1 --stems {tmp_path}/t")
                          and os.listdir(tmp_path / "t"))


def test_an_interrupted_stems_render_leaves_no_new_folder(stream, tmp_path):
    for wait in (0.5, 1.5, 3.0):
        proc = subprocess.Popen(["to-wav", "--stems", str(tmp_path / "new"), "--length", "600"],
                                stdin=open(stream, "rb"), stderr=subprocess.PIPE, env=ENV, cwd=ROOT)
        time.sleep(wait)
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
        assert proc.returncode in (130, 143), proc.stderr.read()
        assert os.listdir(tmp_path) == []


def test_a_second_stems_run_into_a_folder_being_written_is_refused_at_once(stream, tmp_path):
    """The stems folder is to-midi --split's OutFolder, locked from the start of the render."""
    first = subprocess.Popen(["to-wav", "--stems", str(tmp_path / "new"), "--length", "600"],
                             stdin=open(stream, "rb"), stderr=subprocess.PIPE, env=ENV, cwd=ROOT)
    try:
        while not (tmp_path / "new").exists() and first.poll() is None:
            time.sleep(0.05)
        second = sh(f"to-wav --stems {tmp_path}/new --force < {stream}", check=False)
        err = second.stderr.decode().splitlines()
        assert second.returncode == 73 and len(err) == 1 and "another run" in err[0], err
    finally:
        first.send_signal(signal.SIGINT)
        first.wait(timeout=60)
    assert os.listdir(tmp_path) == []


def test_stems_force_keeps_a_file_the_user_named_like_a_stem(tmp_path):
    sh(f"{MOOD} --stems {tmp_path}/s")
    (tmp_path / "s" / "09-mine.wav").write_bytes(b"mine")
    sh(f"mood calm --duration 2 --seed 1 --stems {tmp_path}/s --force")
    assert (tmp_path / "s" / "09-mine.wav").read_bytes() == b"mine"


def test_stdout_closed_still_writes_the_file(stream, tmp_path):
    sh(f"{MOOD} --out {tmp_path}/m.wav >&-")
    sh(f"to-wav --out {tmp_path}/t.wav < {stream} >&-")
    assert (tmp_path / "m.wav").read_bytes()[:4] == (tmp_path / "t.wav").read_bytes()[:4] == b"RIFF"


@pytest.mark.parametrize("command", [f"{MOOD} --out OUT.mp3 --rate 96000",
                                     "to-wav --out OUT.mp3 --rate 96000"])
def test_an_mp3_at_a_rate_mpeg_lacks_is_a_usage_error(command, stream, tmp_path):
    proc = sh(command.replace("OUT", str(tmp_path / "x")) + f" < {stream}", check=False)
    err = proc.stderr.decode().splitlines()
    assert proc.returncode == 2 and len(err) == 1 and "not 96000" in err[0], err
    sh(command.replace("OUT", str(tmp_path / "x")).replace("96000", "22050") + f" < {stream}")


@pytest.mark.parametrize("folder", ["d" * 300, "/".join(["d" * 200] * 25)])
def test_a_stems_folder_name_too_long_is_exit_73(folder, stream, tmp_path):
    proc = sh(f"to-wav --stems {tmp_path}/{folder} < {stream}", check=False)
    err = proc.stderr.decode().splitlines()
    assert proc.returncode == 73 and len(err) == 1 and "File name too long" in err[0], err
    assert len(err[0]) < 200 and os.listdir(tmp_path) == []

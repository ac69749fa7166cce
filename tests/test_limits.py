"""Bounded input: no stage hangs or fills memory on hostile input (issue 16).

A stream line over 1 MiB, stdin from /dev/zero, a FIFO or a device among the mood packs, a
pack nested or chained too deep: each is one line on stderr and an exit code, at once.
"""

from __future__ import annotations

import io
import os
import shutil

import pytest

from musicpipe.stream import MAX_LINE, DataError, Reader
from tests.conftest import BIN, events, sh
from tests.test_abort import needs_font
from tests.test_contract import STREAM_STAGES

ZERO_STAGES = {**STREAM_STAGES, "to-midi": "to-midi --out /dev/null", "from-midi": "from-midi"}


@pytest.mark.parametrize("name", sorted(ZERO_STAGES))
def test_dev_zero_on_stdin_ends_at_once_with_65(name):
    proc = sh(f"{ZERO_STAGES[name]} < /dev/zero", check=False, timeout=60)
    err = proc.stderr.decode().strip().splitlines()
    assert proc.returncode == 65 and len(err) == 1, err
    assert "line 1: longer than 1 MiB" in err[0] or "not a MIDI file" in err[0], err


@needs_font
def test_dev_zero_into_to_wav(tmp_path):
    proc = sh(f"to-wav --out {tmp_path}/z.wav < /dev/zero", check=False, timeout=60)
    assert proc.returncode == 65 and b"line 1: longer than 1 MiB" in proc.stderr
    assert not list(tmp_path.iterdir())


def test_a_midi_header_followed_by_zeros_is_bounded_too():
    proc = sh("{ printf MThd; head -c 70000000 /dev/zero; } | from-midi", check=False, timeout=60)
    assert proc.returncode == 65 and b"larger than 64 MiB" in proc.stderr


class _Trickle:
    """A pipe that hands out at most ``n`` bytes a read, as a slow producer does."""

    def __init__(self, data: bytes, n: int):
        self.data, self.n, self.pos = data, n, 0

    def read1(self, size: int) -> bytes:
        out = self.data[self.pos:self.pos + min(size, self.n)]
        self.pos += len(out)
        return out


def test_a_long_line_under_the_limit_is_read_whole_in_small_pieces():
    text = "x" * (MAX_LINE - 200)
    data = (b'{"type":"Seed","seed":1}\n{"type":"Marker","t":0,"text":"' + text.encode()
            + b'"}\n{"type":"End","t":5}')
    got = list(Reader(_Trickle(data, 4096)))
    assert [e["type"] for e in got] == ["Seed", "Marker", "End"] and got[1]["text"] == text


def test_a_line_over_the_limit_names_its_number_after_the_good_lines():
    data = b'{"type":"Seed","seed":1}\n{"type":"End","t":5}\n' + b"y" * (MAX_LINE + 10) + b"\n"
    reader = Reader(io.BufferedReader(io.BytesIO(data)))
    seen = []
    with pytest.raises(DataError, match=r"^line 3: longer than 1 MiB"):
        for ev in reader:
            seen.append(ev["type"])
    assert seen == ["Seed", "End"]


def test_a_long_line_in_a_real_pipe():
    proc = sh("{ seq C4; head -c 2000000 /dev/zero | tr '\\0' x; echo; } | transpose -s 1",
              check=False)
    assert proc.returncode == 65
    assert proc.stderr.decode().startswith("transpose: line 2: longer than 1 MiB")
    assert [e["type"] for e in events(proc.stdout)] == ["Note", "Abort"]


@pytest.fixture
def fifo_folder(tmp_path):
    folder = tmp_path / "moods"
    folder.mkdir()
    os.mkfifo(folder / "pipe.toml")
    return folder


def test_a_fifo_among_the_packs_is_skipped_with_a_warning(fifo_folder):
    proc = sh("mood calm --seed 1 --duration 1", env={"MUSICPIPE_MOODS": str(fifo_folder)},
              timeout=60)
    assert events(proc.stdout)[-1]["type"] == "End"
    assert proc.stderr.decode().strip() == (
        f"mood: {fifo_folder}/pipe.toml: skipped: not a regular file (a FIFO, device or socket)")
    listing = sh("mood --list --json", env={"MUSICPIPE_MOODS": str(fifo_folder)}, timeout=60)
    assert b"pipe.toml: skipped" in listing.stdout


@pytest.mark.parametrize("pack", ["FIFO", "/dev/zero", "/dev/null"])
def test_pack_that_is_no_regular_file_is_an_error_not_a_hang(pack, fifo_folder):
    path = fifo_folder / "pipe.toml" if pack == "FIFO" else pack
    proc = sh(f"mood calm --pack {path} --seed 1 --duration 1", check=False, timeout=60)
    assert proc.returncode == 65
    assert proc.stderr.decode().strip() == (
        f"mood: {path}: skipped: not a regular file (a FIFO, device or socket)")


def test_a_pack_over_the_size_limit_is_skipped(tmp_path):
    big = tmp_path / "big.toml"
    big.write_text("# padding\n" * 120_000)
    proc = sh(f"mood calm --pack {big} --seed 1", check=False)
    assert proc.returncode == 65 and b"big.toml: skipped: larger than 1 MiB" in proc.stderr


def test_deep_toml_nesting_is_a_data_error(tmp_path):
    deep = tmp_path / "deep.toml"
    deep.write_text('[[moods]]\nname = "d"\nx = ' + "[" * 5000 + "]" * 5000 + "\n")
    proc = sh(f"mood d --pack {deep} --seed 1", check=False)
    assert proc.returncode == 65
    assert proc.stderr.decode().strip() == f"mood: {deep}: not valid TOML: nested too deeply"


def test_a_long_extends_chain_is_a_data_error(tmp_path):
    chain = tmp_path / "chain.toml"
    chain.write_text('[[moods]]\nname = "m0"\nextends = "calm"\n' + "".join(
        f'[[moods]]\nname = "m{i}"\nextends = "m{i - 1}"\n' for i in range(1, 5000)))
    proc = sh(f"mood m4999 --pack {chain} --seed 1", check=False)
    assert proc.returncode == 65 and b"extends: a chain longer than 32 moods" in proc.stderr
    assert len(proc.stderr.splitlines()) == 1
    ok = sh(f"mood m20 --pack {chain} --seed 1 --duration 1").stdout
    assert events(ok)[-1]["type"] == "End"


def test_an_unreadable_config_folder_still_gives_the_built_in_moods(tmp_path):
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    proc = sh("mood calm --seed 1 --duration 1",
              env={"XDG_CONFIG_HOME": str(tmp_path / "loop"), "MUSICPIPE_MOODS": str(tmp_path / "loop")})
    assert events(proc.stdout)[-1]["type"] == "End"


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv"),
                    reason="needs root and setpriv to act as a service user")
def test_a_service_user_whose_home_cannot_be_read(tmp_path):
    """HOME belongs to root (mode 700): packs and fonts under it are simply not there."""
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    nobody = f"setpriv --reuid=65534 --regid=65534 --clear-groups env HOME={home}"
    if sh(f"cd / && {nobody} {BIN}/python -c pass", check=False).returncode:
        pytest.skip("the venv's Python cannot be run by another user here")
    proc = sh(f"cd / && {nobody} {BIN}/mood calm --seed 1 --duration 1")
    assert events(proc.stdout)[-1]["type"] == "End" and proc.stderr == b""
    proc = sh(f"cd / && {nobody} {BIN}/to-wav --list-soundfonts")
    assert b"using: " in proc.stdout and proc.stderr == b""

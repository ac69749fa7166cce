import re

from musicpipe.transforms.reseed import reseed
from tests.conftest import events, jsonl, sh


def test_explicit_seed_is_byte_identical():
    assert sh("seed 42", input=None).stdout == b'{"type":"Seed","seed":42}\n'
    assert sh("seed 42 | transpose -s 5").stdout == sh("seed 42 | transpose -s 5").stdout


def test_auto_seed_is_announced_on_stderr_and_emitted():
    proc = sh("seed", input=None)
    seed = int(re.fullmatch(rb"seed: seed (\d+)\n", proc.stderr).group(1))
    assert events(proc.stdout) == [{"type": "Seed", "seed": seed}]


def test_reseed_replaces_old_seeds_quietly():
    src = [{"type": "Seed", "seed": 1}, {"type": "Note", "t": 0, "dur": 1, "ch": 0, "key": 60, "vel": 1},
           {"type": "Seed", "seed": 2}]
    proc = sh("seed 9", input=jsonl(src))
    assert events(proc.stdout) == [{"type": "Seed", "seed": 9}, src[1]]
    assert proc.stderr == b""
    assert list(reseed(src, 9)) == [{"type": "Seed", "seed": 9}, src[1]]


def test_seed_out_of_range_is_a_usage_error():
    proc = sh(f"seed {2**64}", check=False)
    assert proc.returncode == 2 and b"seed" in proc.stderr
    assert sh("seed -1", check=False).returncode == 2

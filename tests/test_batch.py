"""`musicpipe batch`: jobs expand, files match the CLI's, a killed batch resumes, Dask gives
the same bytes as the local pool."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import orjson
import pytest

from musicpipe.batch import JobError, load
from tests.conftest import BIN, ENV, ROOT, sh

JOBS = (b'{"mood": ["calm", "jazz"], "seconds": 1.5, "seed": "1..2", "key": ["C", "Am"], '
        b'"formats": ["wav", "mid"]}\n'
        b'{"pipeline": "seed {seed} | motif --notes 8 --bpm 100", "seed": [4, 5], '
        b'"name": "motif-{seed}", "formats": ["jsonl", "mid"]}\n')


def files(folder) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if not p.name.startswith(".")}


def manifest(folder) -> list[dict]:
    return [orjson.loads(line) for line in (folder / "manifest.jsonl").read_bytes().splitlines()]


def test_jobs_expand_and_files_match_the_cli(tmp_path):
    (tmp_path / "jobs.jsonl").write_bytes(JOBS)
    sh(f"musicpipe batch {tmp_path}/jobs.jsonl --out {tmp_path}/out --jobs 2")
    out = files(tmp_path / "out")
    assert len(out) == 2 * 2 * 2 * 2 + 2 * 2 + 1
    sh(f"mood jazz --duration 1.5 --seed 2 --key Am --out {tmp_path}/j.wav")
    assert out["jazz-Am-1.5s-s2.wav"] == (tmp_path / "j.wav").read_bytes()
    sh(f"mood calm --duration 1.5 --seed 1 --key C --out {tmp_path}/c.mid")
    assert out["calm-C-1.5s-s1.mid"] == (tmp_path / "c.mid").read_bytes()
    stream = sh("seed 5 | motif --notes 8 --bpm 100").stdout
    assert out["motif-5.jsonl"] == stream
    assert out["motif-5.mid"] == sh("to-midi", input=stream).stdout
    entries = manifest(tmp_path / "out")
    assert [e["job"] for e in entries][:3] == ["calm-C-1.5s-s1", "calm-C-1.5s-s2", "calm-Am-1.5s-s1"]
    calm = entries[0]
    assert calm["files"] == ["calm-C-1.5s-s1.mid", "calm-C-1.5s-s1.wav"]
    assert calm["duration"] == 1.5 and calm["wav_seconds"] == 1.5 and calm["seed"] == 1
    assert calm["lufs"] == pytest.approx(-16, abs=0.5) and calm["peak_dbfs"] <= -1.0  # mood's level
    assert entries[-1]["job"] == "motif-5" and "lufs" not in entries[-1]


def test_the_same_jobs_give_the_same_files_and_manifest(tmp_path):
    (tmp_path / "jobs.jsonl").write_bytes(JOBS)
    sh(f"musicpipe batch {tmp_path}/jobs.jsonl --out {tmp_path}/a --jobs 1")
    sh(f"musicpipe batch {tmp_path}/jobs.jsonl --out {tmp_path}/b --jobs 2")
    assert files(tmp_path / "a") == files(tmp_path / "b")


def test_toml_jobs_with_defaults(tmp_path):
    (tmp_path / "jobs.toml").write_text(
        'seconds = 1\nformats = ["mid"]\n'
        '[[jobs]]\nmood = "lofi"\nseed = [1, 2]\ntempo = [80, 90]\n'
        '[[jobs]]\npipeline = "euclid --pulses 3 --steps 8"\nname = "beat"\n')
    jobs = load(str(tmp_path / "jobs.toml"))
    assert [j["name"] for j in jobs] == ["lofi-80bpm-1s-s1", "lofi-80bpm-1s-s2",
                                         "lofi-90bpm-1s-s1", "lofi-90bpm-1s-s2", "beat"]
    sh(f"musicpipe batch {tmp_path}/jobs.toml --out {tmp_path}/out")
    assert (tmp_path / "out" / "beat.mid").read_bytes() == sh(
        "euclid --pulses 3 --steps 8 | to-midi").stdout


@pytest.mark.parametrize("line, message", [
    (b'{"mood": "calm", "key": "H"}', "line 2: mood: Invalid value for '--key'"),
    (b'{"mood": "nope"}', "line 2: no mood 'nope'"),
    (b'{"mood": "calm", "colour": 1}', "line 2: unknown field 'colour'"),
    (b'{"pipeline": "seed 1 | motif | to-midi --out x.mid"}', "writes no files itself"),
    (b'{"pipeline": "seed 1; ls"}', "one pipeline at a time"),
    (b'{"mood": "calm", "seed": "3..1"}', "a range like"),
    (b'{"mood": "calm", "formats": ["ogg"]}', "formats"),
    (b'{"mood": "calm"', "line 2: invalid JSON"),
])
def test_a_bad_job_stops_the_batch_before_it_starts(tmp_path, line, message):
    (tmp_path / "jobs.jsonl").write_bytes(b'{"mood": "calm", "seconds": 1}\n' + line + b"\n")
    proc = sh(f"musicpipe batch {tmp_path}/jobs.jsonl --out {tmp_path}/out", check=False)
    err = proc.stderr.decode().strip()
    assert proc.returncode == 65 and len(err.splitlines()) == 1, err
    assert err.startswith("batch: ") and message in err, err
    assert not (tmp_path / "out").exists()


def test_duplicate_names_are_refused(tmp_path):
    (tmp_path / "jobs.jsonl").write_bytes(b'{"mood": "calm", "seed": [1, 1]}\n')
    with pytest.raises(JobError, match="already used"):
        load(str(tmp_path / "jobs.jsonl"))


def test_a_killed_batch_resumes_without_redoing_finished_files(tmp_path):
    jobs = b"".join(b'{"mood": "calm", "seconds": 3, "seed": %d}\n' % s for s in range(1, 13))
    (tmp_path / "jobs.jsonl").write_bytes(jobs)
    out = tmp_path / "out"
    proc = subprocess.Popen([str(BIN / "musicpipe"), "batch", str(tmp_path / "jobs.jsonl"),
                             "--out", str(out), "--jobs", "1"], env=ENV, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while not (out / "manifest.jsonl").is_file() or len(manifest(out)) < 3:
            assert proc.poll() is None, "the batch ended before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.02)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    finished = {p.name: p.stat() for p in out.glob("*.wav")}
    assert 3 <= len(finished) < 12
    proc = sh(f"musicpipe batch {tmp_path}/jobs.jsonl --out {out} --jobs 2")
    assert f"{12 - len(finished)} rendered, {len(finished)} already done" in proc.stderr.decode()
    for name, before in finished.items():  # untouched: the same inode, never rewritten
        after = (out / name).stat()
        assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns), name
    assert [e["job"] for e in manifest(out)] == [f"calm-3s-s{s}" for s in range(1, 13)]
    assert not list(out.glob(".*.tmp"))
    sh(f"musicpipe batch {tmp_path}/jobs.jsonl --out {tmp_path}/whole --jobs 2")
    assert files(out) == files(tmp_path / "whole")


def test_dask_cluster_gives_the_local_pools_bytes(tmp_path):
    distributed = pytest.importorskip("distributed")
    (tmp_path / "jobs.jsonl").write_bytes(JOBS)
    sh(f"musicpipe batch {tmp_path}/jobs.jsonl --out {tmp_path}/local --jobs 2")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        sh(f"musicpipe batch {tmp_path}/jobs.jsonl --out {tmp_path}/dask "
           f"--cluster {cluster.scheduler_address}")
    assert files(tmp_path / "dask") == files(tmp_path / "local")


def test_no_scheduler_is_exit_69(tmp_path):
    (tmp_path / "jobs.jsonl").write_bytes(b'{"mood": "calm", "seconds": 1}\n')
    proc = sh(f"musicpipe batch {tmp_path}/jobs.jsonl --out {tmp_path}/out "
              "--cluster tcp://127.0.0.1:9", check=False, timeout=120)
    assert proc.returncode == 69, proc.stderr
    assert proc.stderr.decode().startswith("batch: --cluster tcp://127.0.0.1:9")


def test_help_examples_run(tmp_path):
    import shutil

    from musicpipe.stages.batch import command

    assert b"Examples:" in sh("musicpipe batch --help").stdout
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    for example in command.examples:
        if "--cluster" not in example:  # needs a scheduler: test_dask_cluster_... covers it
            sh(example, cwd=tmp_path)
    assert len(manifest(tmp_path / "library")) == 14 + 6

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


def test_bars_and_loops_are_the_clis_files(tmp_path):
    """bars and loop mean what `mood --bars --loop` mean; bars without seconds last what
    they last (no 8 s default); a looped WAV carries its smpl chunk."""
    from tests.test_mood_loop import smpl_loop

    (tmp_path / "jobs.jsonl").write_bytes(
        b'{"mood": "calm", "seconds": 4, "loop": true, "seed": 3, "formats": ["wav", "mid"]}\n'
        b'{"mood": "upbeat", "bars": [2, 4], "tempo": 120, "seed": 1, "formats": ["mid"]}\n')
    sh(f"musicpipe batch {tmp_path}/jobs.jsonl --out {tmp_path}/out --jobs 1")
    out = files(tmp_path / "out")
    assert sorted(out) == ["calm-4s-loop-s3.mid", "calm-4s-loop-s3.wav", "manifest.jsonl",
                           "upbeat-120bpm-2bars-s1.mid", "upbeat-120bpm-4bars-s1.mid"]
    sh(f"mood calm --duration 4 --seed 3 --loop --out {tmp_path}/l.wav && "
       f"mood calm --duration 4 --seed 3 --loop --out {tmp_path}/l.mid && "
       f"mood upbeat --bars 4 --tempo 120 --seed 1 --out {tmp_path}/u.mid")
    assert out["calm-4s-loop-s3.wav"] == (tmp_path / "l.wav").read_bytes()
    assert smpl_loop(tmp_path / "out" / "calm-4s-loop-s3.wav") == (0, 4 * 44100 - 1)
    assert out["calm-4s-loop-s3.mid"] == (tmp_path / "l.mid").read_bytes()
    assert out["upbeat-120bpm-4bars-s1.mid"] == (tmp_path / "u.mid").read_bytes()
    entries = {e["job"]: e for e in manifest(tmp_path / "out")}
    loop = entries["calm-4s-loop-s3"]
    assert loop["spec"]["loop"] is True and loop["duration"] == loop["wav_seconds"] == 4.0
    assert [entries[f"upbeat-120bpm-{n}bars-s1"]["duration"] for n in (2, 4)] == [4.0, 8.0]
    assert "seconds" not in entries["upbeat-120bpm-2bars-s1"]["spec"]


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
    (b'{"mood": "calm", "seconds": "5"}', "line 2: seconds: '5' should be a number"),
    (b'{"mood": "calm", "seed": [1, true]}', "line 2: seed: True in the list should be"),
    (b'{"mood": "calm", "seed": -1}', "line 2: seed: -1 should be a whole number 0.."),
    (b'{"mood": "calm", "intensity": 5.5}', "line 2: intensity: 5.5 should be a whole number"),
    (b'{"mood": ["calm", 3]}', "line 2: mood: 3 in the list should be a mood name"),
    (b'{"mood": "calm", "seed": []}', "line 2: seed: an empty list makes no jobs"),
    (b'{"mood": [], "seed": 1}', "line 2: mood: an empty list makes no jobs"),
    (b'{"mood": "calm", "formats": []}', "line 2: formats: [] should be a list of wav"),
    (b'{"mood": "calm", "formats": ["wav", "wav"]}', "each once"),
    (b'{"mood": "calm", "name": "a\\u0000b"}', "line 2: name 'a\\x00b': a plain file name"),
    (b'{"mood": "calm", "name": "a\\nb"}', "line 2: name 'a\\nb': a plain file name"),
    (b'{"mood": "calm", "name": "' + b"x" * 300 + b'"}', "300 bytes; at most 200"),
    (b'{"mood": "calm", "name": "manifest"}', "name 'manifest' is the batch's own"),
    (b'{"mood": "calm", "name": "Manifest"}', "is the batch's own"),
    (b'{"mood": "calm", "seconds": 1}', "line 2: job name 'calm-1s-s0' already used by"),
    (b'{"mood": "calm", "name": "CALM-1s-s0"}', "already used by"),
    (b'{"pipeline": 7}', "line 2: pipeline: 7 should be stage text"),
    (b'[1, 2]', "line 2: a job is a JSON object, not [1, 2]"),
    (b'{"mood": "calm", "seed": "1..100000000"}', "make 100000001 jobs; a batch takes at most 10000"),
    (b'{"mood": "calm", "seed": "1..99999999999999999999999"}', "a range like"),
    (b'{"mood": "calm", "colour": "' + b"y" * 3000 + b'"}', "line 2: unknown field 'colour'"),
    (b'{"mood": "nope"}', "line 2: no mood 'nope'"),
    (b'{"mood": "calm", "colour": 1}', "line 2: unknown field 'colour'"),
    (b'{"pipeline": "seed 1 | motif | to-midi --out x.mid"}', "writes no files itself"),
    (b'{"pipeline": "seed 1; ls"}', "one pipeline at a time"),
    (b'{"mood": "calm", "seed": "3..1"}', "a range like"),
    (b'{"mood": "calm", "formats": ["ogg"]}', "formats"),
    (b'{"mood": "calm"', "line 2: invalid JSON"),
    (b'{"mood": "calm", "bars": 0}', "line 2: mood: Invalid value for '--bars'"),
    (b'{"mood": "calm", "bars": 2.5}', "line 2: bars: 2.5 should be a whole number"),
    (b'{"mood": "calm", "bars": [4, true]}', "line 2: bars: True in the list should be a whole"),
    (b'{"mood": "calm", "bars": []}', "line 2: bars: an empty list makes no jobs"),
    (b'{"mood": "calm", "loop": 1}', "line 2: loop: 1 should be true or false"),
    (b'{"mood": "calm", "loop": [true, false]}', "line 2: loop: [True, False] should be true or"),
    (b'{"mood": "calm", "bars": 4, "seconds": 8, "tempo": 90}',
     "line 2: bars: give seconds or tempo with it, not both"),
    (b'{"mood": "calm", "bars": 2, "seconds": 60}',
     "line 2: bars: 2 bars of 4/4 in 60 s need 8.0 BPM (tempo 20..400)"),
    (b'{"mood": "calm", "loop": true, "seconds": 0.5}',
     "line 2: seconds: 1 bars of 4/4 in 0.5 s need 480.0 BPM (tempo 20..400)"),
])
def test_a_bad_job_stops_the_batch_before_it_starts(tmp_path, line, message):
    (tmp_path / "jobs.jsonl").write_bytes(b'{"mood": "calm", "seconds": 1}\n' + line + b"\n")
    proc = sh(f"musicpipe batch {tmp_path}/jobs.jsonl --out {tmp_path}/out", check=False)
    err = proc.stderr.decode().strip()
    assert proc.returncode == 65 and len(err.splitlines()) == 1, err
    assert err.startswith("batch: ") and message in err and len(err) < 400, err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("text, message", [
    ('jobs = [1, 2]\n', "jobs.toml line 1 (job 1): a job is a table ([[jobs]]), not 1"),
    ('seconds = 1\njobs = [{ mood = "calm" }, { mood = 2 }]\n',
     "jobs.toml line 2 (job 2): mood: 2 should be a mood name"),
    ('seconds = "5"\n[[jobs]]\nmood = "calm"\n', "jobs.toml line 2 (job 1): seconds: '5'"),
    ('[[jobs]]\nmood = "calm"\n\n[[jobs]]\nmood = "calm"\nseed = []\n',
     "jobs.toml line 4 (job 2): seed: an empty list"),
    ('[[jobs]]\nmood = "calm"\nseconds = nan\n', "seconds: nan should be a number"),
    ('[[jobs]]\nmood = "calm"\nname = "a\\u0000"\n', "a plain file name"),
    ('jobs = "x"\n', "no [[jobs]] tables"),
    ('[[jobs]]\nmood = "calm"\nseed = "1..100000000"\n', "at most 10000"),
    ('[[jobs]]\nmood = ["calm", "jazz"]\nseed = "1..1000"\nkey = ["C", "D", "E", "F"]\n'
     'tempo = [60, 70]\n', "jobs.toml line 1 (job 1): the jobs so far make 16000 jobs"),
])
def test_bad_toml_jobs_name_their_line(tmp_path, text, message):
    (tmp_path / "jobs.toml").write_text(text)
    with pytest.raises(JobError) as e:
        load(str(tmp_path / "jobs.toml"))
    assert message in str(e.value) and "\n" not in str(e.value), str(e.value)


def test_a_huge_seed_range_is_refused_before_it_is_built(tmp_path):
    import tracemalloc

    (tmp_path / "jobs.jsonl").write_bytes(b'{"mood": "calm", "seed": "1..100000000"}\n')
    tracemalloc.start()
    try:
        with pytest.raises(JobError, match="100000000 jobs; a batch takes at most 10000"):
            load(str(tmp_path / "jobs.jsonl"))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2**20, peak  # counted, not listed: 100 M seeds would be gigabytes


def test_jobs_are_counted_across_the_file(tmp_path):
    (tmp_path / "jobs.jsonl").write_bytes(b'{"mood": "calm", "seed": "1..6000", "name": "a{seed}"}\n'
                                          b'{"mood": "calm", "seed": "1..6000", "name": "b{seed}"}\n')
    with pytest.raises(JobError, match="line 2: the jobs so far make 12000 jobs"):
        load(str(tmp_path / "jobs.jsonl"))


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


def _children(pid: int) -> set[int]:
    """The live processes whose parent is ``pid`` (from /proc)."""
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = open(f"/proc/{entry}/stat").read()
            except OSError:
                continue
            fields = stat[stat.rfind(")") + 2:].split()
            if int(fields[1]) == pid and fields[0] != "Z":
                found.add(int(entry))
    return found


def _alive(pid: int) -> bool:
    try:
        stat = open(f"/proc/{pid}/stat").read()
    except OSError:
        return False
    return stat[stat.rfind(")") + 2] != "Z"


def _start_batch(tmp_path, seconds=3, count=12, workers=2, out="out") -> subprocess.Popen:
    jobs = b"".join(b'{"mood": "calm", "seconds": %d, "seed": %d}\n' % (seconds, s)
                    for s in range(1, count + 1))
    (tmp_path / "jobs.jsonl").write_bytes(jobs)
    return subprocess.Popen([str(BIN / "musicpipe"), "batch", str(tmp_path / "jobs.jsonl"),
                             "--out", str(tmp_path / out), "--jobs", str(workers)], env=ENV,
                            start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="reads the workers from /proc")
@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM])
def test_workers_end_with_the_batch(tmp_path, how):
    proc = _start_batch(tmp_path)
    workers: set[int] = set()
    try:
        deadline = time.monotonic() + 120
        while len(workers) < 2:
            assert proc.poll() is None and time.monotonic() < deadline, "no workers started"
            workers = _children(proc.pid)
            time.sleep(0.05)
        os.kill(proc.pid, how)  # the batch alone, not its process group
        proc.wait(timeout=30)
        deadline = time.monotonic() + 5
        while any(_alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        left = [w for w in workers if _alive(w)]
        assert not left, f"workers {left} outlived the batch ({how.name})"
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()
    if how == signal.SIGTERM:
        assert proc.returncode == 128 + signal.SIGTERM, proc.stderr.read()
        assert b"Traceback" not in proc.stderr.read()


def test_one_batch_per_folder(tmp_path):
    first = _start_batch(tmp_path, seconds=2, count=6, workers=1)
    lock = tmp_path / "out" / ".musicpipe-batch.lock"
    try:
        deadline = time.monotonic() + 60
        while not (lock.is_file() and lock.read_text().strip()):
            assert first.poll() is None and time.monotonic() < deadline
            time.sleep(0.02)
        (tmp_path / "other.jsonl").write_bytes(b'{"pipeline": "seed 1 | motif", "name": "m"}\n')
        second = sh(f"musicpipe batch {tmp_path}/other.jsonl --out {tmp_path}/out", check=False)
        err = second.stderr.decode().strip()
        assert second.returncode == 73 and len(err.splitlines()) == 1, err
        assert err == (f"batch: {tmp_path}/out is in use by another batch (pid {first.pid}); "
                       "wait for it to finish or give another --out"), err
    finally:
        first.wait(timeout=300)
    assert first.returncode == 0, first.stderr.read()
    assert len(manifest(tmp_path / "out")) == 6
    # once it has finished, the folder is free: the other job file's entries join the manifest
    sh(f"musicpipe batch {tmp_path}/other.jsonl --out {tmp_path}/out")
    assert [e["job"] for e in manifest(tmp_path / "out")] == (
        ["m"] + [f"calm-2s-s{s}" for s in range(1, 7)])

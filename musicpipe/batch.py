"""`musicpipe batch`: many variations rendered over a process pool or a Dask cluster.

A job is a mood (``mood``, ``seconds``, ``key``, ``tempo``, ``intensity``, ``seed``) or a
``pipeline`` text, with the ``formats`` to write (wav, mid, jsonl). A list in any of those
fields expands into one job per value (moods x seeds x keys x tempi); ``seed`` may be a
range ``"1..200"``; ``{field}`` in a ``name`` or a ``pipeline`` is replaced by the job's
value. Jobs come one per line from a .jsonl file, or as ``[[jobs]]`` tables from a .toml
file whose top-level keys are defaults for every job.

Every job is rendered in full by one worker, which returns its files' bytes; only this
process writes files (atomically), then appends the job's line to ``manifest.jsonl``.
So a job is deterministic wherever it runs, a killed batch leaves only complete files,
and a rerun skips every job whose files are all there. Workers: a local process pool, or
``--cluster ADDRESS``, a Dask distributed scheduler (the workers need musicpipe installed,
not the output folder: the files travel back).
"""

from __future__ import annotations

import itertools
import os
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import orjson

from .errors import OutputError, StageError, Unavailable
from .pipeline import PipelineError
from .stream import DataError

FORMATS = ("wav", "mid", "jsonl")
MOOD_FIELDS = ("mood", "seconds", "key", "tempo", "intensity", "seed")
FIELDS = frozenset(MOOD_FIELDS + ("pipeline", "name", "formats"))
EXPANDS = ("mood", "seconds", "key", "tempo", "intensity", "seed")
MANIFEST = "manifest.jsonl"

BATCH_HELP = (
    "JOBS: a .jsonl file, one job per line, or a .toml file of [[jobs]] tables (top-level "
    "keys are defaults). A job: mood, seconds (default 8), key, tempo, intensity, seed "
    "(default 0), or pipeline (stage text, no files of its own: {seed} and the other "
    "fields are filled in); formats: wav, mid, jsonl (default [\"wav\"] for moods, "
    "[\"jsonl\"] for pipelines); name: the files' stem (default from the fields). A list "
    "expands into one job per value; seed may be \"1..200\". Output: DIR/NAME.FORMAT, "
    "written atomically, and DIR/manifest.jsonl: one line per job in job order (job, spec, "
    "files, duration in seconds, LUFS and peak of the WAV, seed, notes, the analyze report, "
    "warnings, or error). A rerun skips jobs whose files all exist. docs/batch.md."
)


class JobError(DataError):
    """A job that cannot run as written (exit 65): the message names the file and job."""


# --- reading and expanding jobs -------------------------------------------------------------


def load(path: str) -> list[dict]:
    """The jobs in a .jsonl or .toml file, expanded and checked; JobError names the place."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise JobError(f"{path}: {e.strerror or e}") from None
    raw: list[tuple[str, dict]] = []
    if path.endswith(".toml"):
        import tomllib

        try:
            doc = tomllib.loads(data.decode("utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
            raise JobError(f"{path}: {e}") from None
        tables = doc.pop("jobs", [])
        if not isinstance(tables, list) or not tables:
            raise JobError(f"{path}: no [[jobs]] tables")
        raw = [(f"{path}: job {n}", {**doc, **t}) for n, t in enumerate(tables, 1)]
    else:
        for n, line in enumerate(data.splitlines(), 1):
            if not line.strip() or line.lstrip().startswith(b"#"):
                continue
            try:
                job = orjson.loads(line)
            except orjson.JSONDecodeError as e:
                raise JobError(f"{path} line {n}: invalid JSON ({e})") from None
            if not isinstance(job, dict):
                raise JobError(f"{path} line {n}: a job is a JSON object")
            raw.append((f"{path} line {n}", job))
    jobs, names = [], {}
    for where, job in raw:
        for one in expand(job, where):
            check(one, where)
            if one["name"] in names:
                raise JobError(f"{where}: job name {one['name']!r} already used by "
                               f"{names[one['name']]}; give each a distinct name")
            names[one["name"]] = where
            jobs.append(one)
    return jobs


def _seeds(value, where: str) -> list[int]:
    if isinstance(value, str):
        m = re.fullmatch(r"\s*(\d+)\s*\.\.\s*(\d+)\s*", value)
        if not m or int(m.group(1)) > int(m.group(2)):
            raise JobError(f"{where}: seed {value!r}: a number, a list or a range like \"1..200\"")
        return list(range(int(m.group(1)), int(m.group(2)) + 1))
    return value if isinstance(value, list) else [value]


def expand(job: dict, where: str) -> Iterator[dict]:
    """One job per combination of the listed values, named and with its defaults."""
    unknown = sorted(set(job) - FIELDS)
    if unknown:
        raise JobError(f"{where}: unknown field {unknown[0]!r}; fields: {', '.join(sorted(FIELDS))}")
    if ("mood" in job) == ("pipeline" in job):
        raise JobError(f"{where}: give either mood or pipeline")
    lists = {k: (_seeds(job[k], where) if k == "seed" else job[k]) for k in EXPANDS
             if k in job and (isinstance(job[k], list) or k == "seed")}
    keys = list(lists)
    for values in itertools.product(*(lists[k] for k in keys)):
        one = {**job, **dict(zip(keys, values))}
        if "mood" in one:
            one.setdefault("seconds", 8)
            one.setdefault("seed", 0)
            one.setdefault("formats", ["wav"])
        else:
            one.setdefault("formats", ["jsonl"])
            one["pipeline"] = _fill(one["pipeline"], one)
        one["name"] = _fill(one["name"], one) if "name" in one else default_name(one)
        yield one


def _fill(text: str, job: dict) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: str(job.get(m.group(1), m.group(0))), str(text))


def default_name(job: dict) -> str:
    """A file stem from the job's fields: calm-Am-90bpm-i60-5s-s7."""
    if "pipeline" in job:
        slug = re.sub(r"[^A-Za-z0-9]+", "-", job["pipeline"]).strip("-")[:60]
        return slug or "pipeline"
    parts = [str(job["mood"])]
    if job.get("key") is not None:
        parts.append(str(job["key"]).replace(" ", ""))
    if job.get("tempo") is not None:
        parts.append(f"{job['tempo']:g}bpm")
    if job.get("intensity") is not None:
        parts.append(f"i{job['intensity']}")
    parts += [f"{job['seconds']:g}s", f"s{job['seed']}"]
    return re.sub(r"[^A-Za-z0-9#.+-]+", "-", "-".join(parts))


def mood_args(job: dict) -> list[str]:
    """The job as `mood` arguments (the file options come on top)."""
    args = []
    for field, flag in (("seconds", "--duration"), ("key", "--key"), ("tempo", "--tempo"),
                        ("intensity", "--intensity"), ("seed", "--seed")):
        if job.get(field) is not None:
            args += [flag, str(job[field])]
    return args + ["--", str(job["mood"])]


def _no_files(stage: str, option: str, value: str) -> None:
    raise PipelineError(f"{stage}: {option} {value}: a batch pipeline writes no files itself; "
                        "list them in formats")


def check(job: dict, where: str) -> None:
    """Every field as the stages would take it, so a bad job stops the batch before it starts."""
    import click

    from .pipeline import commands, file_arguments, parse
    from .umbrella import _module

    name = job["name"]
    if not isinstance(name, str) or not name or "/" in name or name.startswith("."):
        raise JobError(f"{where}: name {name!r}: a plain file name (no / or leading .)")
    formats = job["formats"]
    if not isinstance(formats, list) or not formats or any(f not in FORMATS for f in formats):
        raise JobError(f"{where}: formats {formats!r}: a list of {', '.join(FORMATS)}")
    try:
        if "mood" in job:
            runs = [("mood", mood_args(job))]
        else:
            pipe = parse(str(job["pipeline"]))
            runs = [(c.name, c.args) for c in commands(pipe)]
            for stage, args in runs:
                for option, value in file_arguments(stage, args):
                    _no_files(stage, option, value)
        for stage, args in runs:
            command = _module(stage).command
            try:
                command.make_context(stage, list(args)).close()
            except click.UsageError as e:
                raise PipelineError(f"{stage}: {e.format_message()}") from None
    except PipelineError as e:
        raise JobError(f"{where}: {e}") from None
    if "mood" in job and str(job["mood"]).lower() not in {n.lower() for n in _library_names()}:
        raise JobError(f"{where}: no mood {job['mood']!r}; moods: {', '.join(_library_names())}")


_NAMES: list[str] | None = None


def _library_names() -> list[str]:
    global _NAMES
    if _NAMES is None:
        from .moods.packs import Library

        _NAMES = Library().names()
    return _NAMES


# --- one job, anywhere ------------------------------------------------------------------------


def render_job(job: dict) -> tuple[dict, dict[str, bytes]]:
    """Render one job: (its manifest entry, {file name: bytes}). Runs in a worker process;
    deterministic: the same job gives the same bytes on any machine."""
    from .pipeline import Result, run, run_stage

    entry: dict = {"job": job["name"], "spec": {k: v for k, v in job.items() if k != "name"}}
    files: dict[str, bytes] = {}
    result = Result(b"")
    try:
        if "mood" in job:
            args = mood_args(job)
            stream = run_stage("mood", args, None, result)
            for fmt in job["formats"]:
                files[f"{job['name']}.{fmt}"] = (
                    stream if fmt == "jsonl" else _mood_file(args, fmt, result))
        else:
            stream = run(job["pipeline"], check_file=_no_files).stdout
            for fmt in job["formats"]:
                files[f"{job['name']}.{fmt}"] = stream if fmt == "jsonl" else run_stage(
                    "to-midi" if fmt == "mid" else "to-wav", ["--out", "-"], stream, result)
    except StageError as e:
        return {**entry, "error": str(e), "exit_code": e.exit_code}, {}
    entry["warnings"] = result.stderr
    return {**entry, **describe(stream, files)}, files


def _mood_file(args: list[str], fmt: str, result) -> bytes:
    """The bytes `mood ... --out x.FMT` writes (a private temporary folder)."""
    import tempfile

    from .pipeline import run_stage

    with tempfile.TemporaryDirectory(prefix="musicpipe-batch-") as tmp:
        path = os.path.join(tmp, f"piece.{fmt}")
        run_stage("mood", ["--out", path] + args, None, result)
        with open(path, "rb") as f:
            return f.read()


def describe(stream: bytes, files: dict[str, bytes]) -> dict:
    """The manifest's facts about a job: files, duration, loudness, seed, notes, and the
    analyze report (without its per-track table)."""
    from .analyze import analyze
    from .stream import parse_lines

    events = parse_lines(stream)
    out: dict = {"files": sorted(files)}
    out["seed"] = next((e["seed"] for e in events if e["type"] == "Seed"), None)
    out["notes"] = sum(1 for e in events if e["type"] == "Note")
    out["duration"] = round(_seconds(events), 3)
    wav = next((data for name, data in sorted(files.items()) if name.endswith(".wav")), None)
    if wav is not None:
        out.update(loudness(wav))
    report = analyze(events)
    del report["tracks"]
    out["analyze"] = report
    return out


def _seconds(events: list[dict]) -> float:
    from .meter import seconds_at

    tempos = sorted((e["t"], float(e["bpm"])) for e in events if e["type"] == "Tempo")
    ends = [e["t"] for e in events if e["type"] == "End"]
    end = max(ends) if ends else max((e["t"] + e.get("dur", 0) for e in events if "t" in e),
                                     default=0)
    return seconds_at(tempos)(end)


def loudness(wav: bytes) -> dict:
    """Length, sample peak (dBFS) and loudness (ITU-R BS.1770 via ``analyze.loudness``:
    integrated, last and loudest second, LUFS) of a 16-bit WAV; a clip under 0.4 s or
    silence has no loudness (None)."""
    import io
    import math
    import wave

    import numpy as np

    from .analyze import loudness as measure

    with wave.open(io.BytesIO(wav)) as w:
        rate, channels = w.getframerate(), w.getnchannels()
        frames = w.readframes(w.getnframes())
    data = np.frombuffer(frames, dtype="<i2").reshape(-1, channels)
    peak = int(np.abs(data.astype(np.int32)).max()) / 32768 if len(data) else 0.0
    out = {"wav_seconds": round(len(data) / rate, 3),
           "peak_dbfs": round(20 * math.log10(peak), 2) if peak > 0 else None, "lufs": None}
    if len(data) >= 0.4 * rate and peak > 0:
        levels = measure(io.BytesIO(wav))
        out["lufs"] = levels.pop("integrated_lufs")
        out.update(levels)
    return out


# --- the batch --------------------------------------------------------------------------------


def files_of(job: dict) -> list[str]:
    return [f"{job['name']}.{fmt}" for fmt in job["formats"]]


def read_manifest(path: Path) -> dict[str, dict]:
    """The entries of an earlier run by job name; a torn last line (a kill) is ignored."""
    entries = {}
    try:
        lines = path.read_bytes().splitlines()
    except FileNotFoundError:
        return entries
    for line in lines:
        try:
            entry = orjson.loads(line)
        except orjson.JSONDecodeError:
            continue
        if isinstance(entry, dict) and "job" in entry and "error" not in entry:
            entries[entry["job"]] = entry
    return entries


def run_batch(jobs: list[dict], out: str, *, workers: int = 1, cluster: str | None = None,
              progress: Callable[[int, int, int, int], None] | None = None,
              warn: Callable[[str], None] = lambda msg: None) -> dict:
    """Render ``jobs`` into ``out``; returns counts {jobs, rendered, skipped, failed, exit}."""
    from .atomic import atomic_write

    folder = Path(out)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputError(f"cannot create {out}: {e.strerror or e}") from None
    manifest = folder / MANIFEST
    before = read_manifest(manifest)
    entries: dict[str, dict] = {}
    todo = []
    for job in jobs:
        if all((folder / f).is_file() for f in files_of(job)):
            entry = before.get(job["name"])
            if entry is None:  # files written, then killed before the manifest line
                entry = _entry_from_files(job, folder)
            entries[job["name"]] = entry
        else:
            todo.append(job)
    skipped = len(entries)
    counts = {"jobs": len(jobs), "rendered": 0, "skipped": skipped, "failed": 0, "exit": 0}
    _remove_stale_temporaries(folder, jobs)
    try:
        log = open(manifest, "ab")
    except OSError as e:
        raise OutputError(f"cannot write {manifest}: {e.strerror or e}") from None
    with log:
        if progress:
            progress(skipped, len(jobs), 0, skipped)
        for entry, files in _execute(todo, workers, cluster):
            try:
                for name, data in files.items():
                    atomic_write(folder / name, data)
            except OSError as e:
                raise OutputError(f"cannot write {folder}: {e.strerror or e}") from None
            if "error" in entry:
                counts["failed"] += 1
                counts["exit"] = counts["exit"] or entry["exit_code"]
                warn(f"job {entry['job']}: {entry['error']}")
            else:
                counts["rendered"] += 1
            entries[entry["job"]] = entry
            log.write(orjson.dumps(entry) + b"\n")
            log.flush()
            if progress:
                progress(skipped + counts["rendered"] + counts["failed"], len(jobs),
                         counts["failed"], skipped)
    # the whole manifest again in job order (the same jobs give the same manifest), then
    # the entries of earlier batches into this folder with other jobs
    ours = [entries[j["name"]] for j in jobs if j["name"] in entries]
    others = [e for name, e in before.items() if name not in entries]
    atomic_write(manifest, b"".join(orjson.dumps(e) + b"\n" for e in ours + others))
    return counts


def _entry_from_files(job: dict, folder: Path) -> dict:
    files = {f: (folder / f).read_bytes() for f in files_of(job)}
    stream = files.get(f"{job['name']}.jsonl") or _stream_of(job)
    return {"job": job["name"], "spec": {k: v for k, v in job.items() if k != "name"},
            "warnings": [], **describe(stream, files)}


def _stream_of(job: dict) -> bytes:
    from .pipeline import run, run_stage

    if "mood" in job:
        return run_stage("mood", mood_args(job), None)
    return run(job["pipeline"], check_file=_no_files).stdout


def _remove_stale_temporaries(folder: Path, jobs: list[dict]) -> None:
    """atomic_write's temporary files left by a killed run (.NAME.PID.HEX.tmp)."""
    wanted = {f for job in jobs for f in files_of(job)} | {MANIFEST}
    for tmp in folder.glob(".*.tmp"):
        m = re.fullmatch(r"\.(.+)\.\d+\.[0-9a-f]+\.tmp", tmp.name)
        if m and m.group(1) in wanted:
            tmp.unlink(missing_ok=True)


def _execute(jobs: list[dict], workers: int, cluster: str | None):
    """(entry, files) for every job as it finishes: here, in a process pool or on Dask."""
    if not jobs:
        return
    if cluster:
        yield from _on_dask(jobs, cluster)
    elif workers <= 1:
        for job in jobs:
            yield render_job(job)
    else:
        from concurrent.futures import ProcessPoolExecutor, as_completed

        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(render_job, job) for job in jobs]
            for future in as_completed(futures):
                yield future.result()


def _on_dask(jobs: list[dict], address: str):
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise Unavailable("--cluster needs Dask distributed: pip install 'musicpipe[cluster]'") from None
    try:
        client = Client(address, timeout="5s")
    except (OSError, TimeoutError, ValueError) as e:
        raise Unavailable(f"--cluster {address}: no Dask scheduler there ({e})") from None
    with client:
        futures = [client.submit(render_job, job, pure=False) for job in jobs]
        for future in as_completed(futures):
            yield future.result()


def progress_bar(stream) -> Callable[[int, int, int, int], None] | None:
    """A one-line progress bar on a terminal's stderr; nothing elsewhere."""
    if not (hasattr(stream, "isatty") and stream.isatty()):
        return None
    start = time.monotonic()

    def show(done: int, total: int, failed: int, skipped: int) -> None:
        frac = done / total if total else 1.0
        filled = int(frac * 30)
        spent = time.monotonic() - start
        rate = (done - skipped) / spent if spent > 0 else 0
        eta = f", {((total - done) / rate):.0f} s left" if rate > 0 and done < total else ""
        stream.write(f"\rbatch: [{'#' * filled}{'.' * (30 - filled)}] {done}/{total}"
                     f"{f', {failed} failed' if failed else ''}{eta}   ")
        if done >= total:
            stream.write("\n")
        stream.flush()

    return show


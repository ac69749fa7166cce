"""`musicpipe batch`: many variations rendered over a process pool or a Dask cluster.

A job is a mood (``mood``, ``seconds``, ``bars``, ``loop``, ``key``, ``tempo``,
``intensity``, ``seed``: `mood`'s options) or a ``pipeline`` text, with the ``formats`` to
write (wav, mid, jsonl). A list in any of those fields but ``loop`` expands into one job per
value (moods x seeds x keys x tempi); ``seed`` may be a range ``"1..200"``; ``{field}`` in a
``name`` or a ``pipeline`` is replaced by the job's value. Jobs come one per line from a
.jsonl file, or as ``[[jobs]]`` tables from a .toml file whose top-level keys are defaults
for every job.

Every job is rendered in full by one worker, which returns its files' bytes; only this
process writes files (atomically), then appends the job's line to ``manifest.jsonl``.
So a job is deterministic wherever it runs, a killed batch leaves only complete files,
and a rerun skips every job whose files are all there. Workers: a local process pool, or
``--cluster ADDRESS``, a Dask distributed scheduler (the workers need musicpipe installed,
not the output folder: the files travel back).

A job file is type-checked and its jobs counted before anything is expanded (``MAX_JOBS``);
one batch at a time writes into a folder (a lock); local workers die with the batch.
"""

from __future__ import annotations

import itertools
import math
import os
import re
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import orjson

from .errors import OutputError, StageError, Unavailable
from .events import MAX_SEED
from .pipeline import PipelineError
from .stream import DataError

FORMATS = ("wav", "mid", "jsonl")
MOOD_FIELDS = ("mood", "seconds", "bars", "loop", "key", "tempo", "intensity", "seed")
FIELDS = frozenset(MOOD_FIELDS + ("pipeline", "name", "formats"))
EXPANDS = ("mood", "seconds", "bars", "key", "tempo", "intensity", "seed")
MANIFEST = "manifest.jsonl"

BATCH_HELP = (
    "JOBS: a .jsonl file, one job per line, or a .toml file of [[jobs]] tables (top-level "
    "keys are defaults). A job: mood, seconds (default 8; with bars, what they last), bars, "
    "loop (true: a seamless loop), key, tempo, intensity, seed (default 0), as `mood`'s "
    "options, or pipeline (stage text, no files of its own: {seed} and the other "
    "fields are filled in); formats: wav, mid, jsonl (default [\"wav\"] for moods, "
    "[\"jsonl\"] for pipelines); name: the files' stem (default from the fields). A list "
    "(in any field but loop) expands into one job per value; seed may be \"1..200\". "
    "Output: DIR/NAME.FORMAT, written atomically, and DIR/manifest.jsonl: one line per "
    "job in job order (job, spec, files, duration in seconds, LUFS and peak of the WAV, "
    "seed, notes, the analyze report, warnings, or error). A rerun skips jobs whose files "
    "all exist. At most 10000 jobs a file; one batch at a time in a DIR (a second exits "
    "73). docs/batch.md."
)


class JobError(DataError):
    """A job that cannot run as written (exit 65): the message names the file and job."""


MAX_JOBS = 10_000
"""Jobs one file may make, counted before anything is expanded (a split file is the way on)."""
MAX_FILE_BYTES = 16 * 1024 * 1024
"""The largest jobs file read."""
MAX_NAME_BYTES = 200
"""A name's length in UTF-8: NAME.FORMAT and atomic_write's temporary name fit in 255."""
RESERVED = {MANIFEST.split(".")[0]}
NAME = re.compile(r"[^\x00-\x1f\x7f/\\]+")


def _shown(value, width: int = 60) -> str:
    """A value for a one-line message: repr, cut to ``width`` characters."""
    text = repr(value)
    return text if len(text) <= width else text[:width - 3] + "..."


# --- reading and expanding jobs -------------------------------------------------------------


def load(path: str) -> list[dict]:
    """The jobs in a .jsonl or .toml file, counted, type-checked, expanded and checked;
    JobError names the file and the job's line."""
    chunks, size = [], 0
    try:
        with open(path, "rb") as f:
            while chunk := f.read(1 << 16):  # in pieces: a FIFO or /dev/zero has no size
                size += len(chunk)
                if size > MAX_FILE_BYTES:
                    raise JobError(f"{path}: over {MAX_FILE_BYTES // 2**20} MiB; split the jobs "
                                   "into several files")
                chunks.append(chunk)
    except OSError as e:
        raise JobError(f"{path}: {e.strerror or e}") from None
    data = b"".join(chunks)
    raw = _toml_jobs(path, data) if path.endswith(".toml") else _jsonl_jobs(path, data)
    total = 0
    for where, job in raw:
        _check_types(job, where)
        total += count(job)
        if total > MAX_JOBS:
            raise JobError(f"{where}: the jobs so far make {total} jobs; a batch takes at most "
                           f"{MAX_JOBS} (split the file, or narrow the lists and seed range)")
    jobs, names = [], {}
    for where, job in raw:
        for one in expand(job, where):
            check(one, where)
            folded = one["name"].casefold()  # a.wav and A.wav are one file on macOS
            if folded in names:
                raise JobError(f"{where}: job name {_shown(one['name'])} already used by "
                               f"{names[folded]}; give each a distinct name")
            names[folded] = where
            jobs.append(one)
    return jobs


def _toml_jobs(path: str, data: bytes) -> list[tuple[str, dict]]:
    """(where, job) for every [[jobs]] table, the top-level keys merged in as defaults;
    ``where`` names the table's line when the file writes them as [[jobs]] headers."""
    import tomllib

    try:
        doc = tomllib.loads(data.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise JobError(f"{path}: {e}") from None
    except RecursionError:
        raise JobError(f"{path}: nested too deeply") from None
    tables = doc.pop("jobs", [])
    if not isinstance(tables, list) or not tables:
        raise JobError(f"{path}: no [[jobs]] tables")
    text = data.splitlines()
    lines = [n for n, line in enumerate(text, 1) if re.match(rb"\s*\[\[\s*jobs\s*\]\]", line)]
    if len(lines) != len(tables):  # written inline: jobs = [{ ... }, { ... }]
        lines = [n for n, line in enumerate(text, 1) if re.match(rb"\s*jobs\s*=", line)][:1]
        lines *= len(tables)
    raw = []
    for n, table in enumerate(tables, 1):
        where = f"{path} line {lines[n - 1]} (job {n})" if lines else f"{path}: job {n}"
        if not isinstance(table, dict):
            raise JobError(f"{where}: a job is a table ([[jobs]]), not {_shown(table)}")
        raw.append((where, {**doc, **table}))
    return raw


def _jsonl_jobs(path: str, data: bytes) -> list[tuple[str, dict]]:
    raw = []
    for n, line in enumerate(data.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith(b"#"):
            continue
        try:
            job = orjson.loads(line)
        except orjson.JSONDecodeError as e:
            raise JobError(f"{path} line {n}: invalid JSON ({e})") from None
        if not isinstance(job, dict):
            raise JobError(f"{path} line {n}: a job is a JSON object, not {_shown(job)}")
        raw.append((f"{path} line {n}", job))
    return raw


def _number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _seed(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= MAX_SEED


TYPES: dict[str, tuple[Callable[[object], bool], str]] = {
    "mood": (lambda v: isinstance(v, str) and v != "", "a mood name"),
    "seconds": (_number, "a number"),
    "bars": (lambda v: isinstance(v, int) and not isinstance(v, bool), "a whole number"),
    "loop": (lambda v: isinstance(v, bool), "true or false"),
    "key": (lambda v: isinstance(v, str), "a key like \"Am\""),
    "tempo": (_number, "a number"),
    "intensity": (lambda v: isinstance(v, int) and not isinstance(v, bool), "a whole number"),
    "seed": (_seed, f"a whole number 0..{MAX_SEED}"),
    "pipeline": (lambda v: isinstance(v, str), "stage text"),
    "name": (lambda v: isinstance(v, str), "text"),
}
OPTIONAL = {"key", "tempo", "intensity", "bars"}  # null: the mood's own (no bar count)
SEED_RANGE = re.compile(r"\s*(\d{1,20})\s*\.\.\s*(\d{1,20})\s*")


def _check_types(job: dict, where: str) -> None:
    """Every field's type (a list of them where a field expands), before any counting or
    expanding; the stages check the values' ranges later (``check``)."""
    unknown = sorted(set(job) - FIELDS, key=str)
    if unknown:
        raise JobError(f"{where}: unknown field {_shown(unknown[0])}; fields: "
                       f"{', '.join(sorted(FIELDS))}")
    if ("mood" in job) == ("pipeline" in job):
        raise JobError(f"{where}: give either mood or pipeline")
    for field, value in job.items():
        if field == "formats":
            if (not isinstance(value, list) or not value or len(set(map(str, value))) < len(value)
                    or any(f not in FORMATS for f in value)):
                raise JobError(f"{where}: formats: {_shown(value)} should be a list of "
                               f"{', '.join(FORMATS)}, each once")
            continue
        ok, what = TYPES[field]
        if field == "seed" and isinstance(value, str):
            m = SEED_RANGE.fullmatch(value)
            if not m or int(m.group(1)) > int(m.group(2)) or int(m.group(2)) > MAX_SEED:
                raise JobError(f"{where}: seed {_shown(value)}: a number, a list or a range "
                               "like \"1..200\"")
            continue
        if field in EXPANDS and isinstance(value, list):
            if not value:
                raise JobError(f"{where}: {field}: an empty list makes no jobs; give at least "
                               "one value")
            bad = [v for v in value if not ok(v)]
            if bad:
                raise JobError(f"{where}: {field}: {_shown(bad[0])} in the list should be {what}")
        elif not ok(value) and not (value is None and field in OPTIONAL):
            lists = " (or a list of them)" if field in EXPANDS else ""
            raise JobError(f"{where}: {field}: {_shown(value)} should be {what}{lists}")


def count(job: dict) -> int:
    """How many jobs a type-checked job expands into, without expanding it."""
    n = 1
    for field in EXPANDS:
        value = job.get(field)
        if isinstance(value, list):
            n *= len(value)
        elif field == "seed" and isinstance(value, str):
            lo, hi = SEED_RANGE.fullmatch(value).groups()
            n *= int(hi) - int(lo) + 1
    return n


def _seeds(value) -> list:
    if isinstance(value, str):
        lo, hi = SEED_RANGE.fullmatch(value).groups()
        return list(range(int(lo), int(hi) + 1))
    return value if isinstance(value, list) else [value]


def expand(job: dict, where: str) -> Iterator[dict]:
    """One job per combination of the listed values, named and with its defaults (a job
    ``_check_types`` passed)."""
    lists = {k: (_seeds(job[k]) if k == "seed" else job[k]) for k in EXPANDS
             if k in job and (isinstance(job[k], list) or k == "seed")}
    keys = list(lists)
    for values in itertools.product(*(lists[k] for k in keys)):
        one = {**job, **dict(zip(keys, values))}
        if "mood" in one:
            if one.get("bars") is None:  # bars without seconds: as long as they last
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
    """A file stem from the job's fields: calm-Am-90bpm-i60-5s-s7, calm-8bars-loop-s1."""
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
    if job.get("bars") is not None:
        parts.append(f"{job['bars']}bars")
    if job.get("seconds") is not None:
        parts.append(f"{job['seconds']:g}s")
    if job.get("loop"):
        parts.append("loop")
    parts.append(f"s{job['seed']}")
    return re.sub(r"[^A-Za-z0-9#.+-]+", "-", "-".join(parts))


def mood_args(job: dict) -> list[str]:
    """The job as `mood` arguments (the file options come on top)."""
    args = []
    for field, flag in (("seconds", "--duration"), ("bars", "--bars"), ("key", "--key"),
                        ("tempo", "--tempo"), ("intensity", "--intensity"), ("seed", "--seed")):
        if job.get(field) is not None:
            args += [flag, str(job[field])]
    if job.get("loop"):
        args.append("--loop")
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
    if not NAME.fullmatch(name) or name.startswith(".") or name.strip() != name:
        raise JobError(f"{where}: name {_shown(name)}: a plain file name (no /, \\, control "
                       "characters, leading . or surrounding spaces)")
    try:
        size = len(name.encode("utf-8"))
    except UnicodeEncodeError:  # a lone surrogate from a \\ud800 escape
        raise JobError(f"{where}: name {_shown(name)}: not valid Unicode text") from None
    if size > MAX_NAME_BYTES:
        raise JobError(f"{where}: name {_shown(name)}: {size} bytes; at most {MAX_NAME_BYTES} "
                       "of UTF-8")
    if name.casefold() in RESERVED:
        raise JobError(f"{where}: name {name!r} is the batch's own ({MANIFEST}); choose another")
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
    if "mood" in job:
        _check_bars(job, where)


def _check_bars(job: dict, where: str) -> None:
    """bars and loop as `mood` takes them, found before anything runs: bars with both
    seconds and tempo, and bars (a loop's too) that no tempo in 20..400 BPM fits into the
    seconds, which the stage would refuse only once the job ran."""
    from .moods.packs import PackError
    from .moods.whole import whole_bars
    from .scoring.timeline import FitError

    bars, seconds, tempo = job.get("bars"), job.get("seconds"), job.get("tempo")
    if bars is not None and seconds is not None and tempo is not None:
        raise JobError(f"{where}: bars: give seconds or tempo with it, not both (the other "
                       "follows from them)")
    if seconds is None or (bars is None and not job.get("loop")):
        return
    try:
        mood = _library().resolve(str(job["mood"]))
    except (KeyError, PackError):  # the stage says what is wrong with the pack
        return
    try:
        whole_bars(mood, seconds=seconds, tempo=tempo, bars=bars, loop=bool(job.get("loop")))
    except FitError as e:
        raise JobError(f"{where}: {'seconds' if bars is None else 'bars'}: {e}") from None


_LIBRARY = None


def _library():
    """The mood library, loaded once for all the jobs checked."""
    global _LIBRARY
    if _LIBRARY is None:
        from .moods.packs import Library

        _LIBRARY = Library()
    return _LIBRARY


def _library_names() -> list[str]:
    return _library().names()


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
    folder = Path(out)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputError(f"cannot create {out}: {e.strerror or e}") from None
    with _folder_lock(folder):
        return _run_locked(jobs, folder, workers, cluster, progress, warn)


LOCK = ".musicpipe-batch.lock"


@contextmanager
def _folder_lock(folder: Path) -> Iterator[None]:
    """One batch per folder at a time: two would each rewrite the manifest from what they
    saw. A POSIX lock (lockf) on DIR/.musicpipe-batch.lock: the kernel drops it when the
    batch dies, however it dies, and unlike flock the forked workers do not hold it too."""
    import fcntl

    path = folder / LOCK
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as e:
        raise OutputError(f"cannot write {path}: {e.strerror or e}") from None
    try:
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
            raise Busy(f"{folder} is in use by another batch{f' (pid {holder})' if holder else ''}"
                       "; wait for it to finish or give another --out") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # releases the lock; the file stays (removing it would race a newcomer)


class Busy(OutputError):
    """The output folder is another batch's now (exit 73)."""


def _run_locked(jobs: list[dict], folder: Path, workers: int, cluster: str | None,
                progress, warn) -> dict:
    from .atomic import atomic_write

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
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor, as_completed

        pool = ProcessPoolExecutor(max_workers=min(workers, len(jobs)),
                                   mp_context=multiprocessing.get_context(START),
                                   initializer=_tie_to_parent, initargs=(os.getpid(),))
        finished = False
        try:
            futures = [pool.submit(render_job, job) for job in jobs]
            for future in as_completed(futures):
                yield future.result()
            finished = True
        finally:
            if not finished:  # an error, Ctrl-C or SIGTERM here: the workers stop now too
                for process in list((getattr(pool, "_processes", None) or {}).values()):
                    process.kill()
            pool.shutdown(wait=True, cancel_futures=True)


START = "fork" if sys.platform.startswith("linux") else None
"""Workers are the batch's own children (not a fork server's), so they can be tied to it."""


def _tie_to_parent(parent: int) -> None:
    """In each worker, first: die with the batch. Linux sends SIGKILL when the parent dies
    (PR_SET_PDEATHSIG); a batch that died before this ran is seen by its pid. SIGTERM ends
    a worker (fork gave it the batch's handler, which would only fail the job at hand)."""
    import ctypes
    import signal

    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if sys.platform.startswith("linux"):
        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:
        os._exit(1)


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


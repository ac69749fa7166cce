"""`musicpipe batch`: render many variations (musicpipe.batch), a command, not a stage."""

from __future__ import annotations

import os
import sys

import click

from .. import cli
from ..batch import BATCH_HELP, load, progress_bar, run_batch


@cli.stage("batch", stream_out=False, epilog=BATCH_HELP, examples=[
    "musicpipe batch examples/jobs.toml --out library --jobs 2",
    "musicpipe batch examples/jobs.toml --out library      # again: finished jobs are skipped",
    "musicpipe batch examples/jobs.jsonl --out library",
    "musicpipe batch examples/jobs.toml --out library --cluster tcp://scheduler:8786",
])
@click.argument("jobs_file", metavar="JOBS")
@click.option("--out", "-o", "out", required=True, metavar="DIR",
              help="Folder for the files and manifest.jsonl (created if missing).")
@click.option("--jobs", "-j", "workers", type=click.IntRange(1, 1024), default=None,
              help="Worker processes (default: the machine's cores).")
@click.option("--cluster", metavar="ADDRESS",
              help="Run the jobs on this Dask distributed scheduler instead (tcp://host:8786).")
def command(io: cli.StageIO, jobs_file: str, out: str, workers: int | None, cluster: str | None):
    """Render many variations of moods or pipelines (moods x seeds x keys x tempi) into a
    folder, in parallel, resumable, the same bytes for the same job anywhere."""
    jobs = load(jobs_file)
    counts = run_batch(jobs, out, workers=workers or os.cpu_count() or 1, cluster=cluster,
                       progress=progress_bar(sys.stderr), warn=io.warn)
    io.warn(f"{counts['jobs']} jobs: {counts['rendered']} rendered, {counts['skipped']} "
            f"already done, {counts['failed']} failed; {os.path.join(out, 'manifest.jsonl')}")
    if counts["exit"]:
        sys.exit(counts["exit"])
    return None


main = command

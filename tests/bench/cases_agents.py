"""agents: the Python API against shell calls, and batch rendering on 1 and 2 workers.

BENCH_BATCH_JOBS (default 200) sets the batch size, BENCH_BATCH_SECONDS (default 5) the
length of each mood, so a quick run can take fewer.
"""

import os

SECTION = "agents"


def run(bench):
    n_api, n_shell = 100, 10
    code = ("import time, musicpipe as mp\n"
            "t = time.perf_counter()\n"
            f"for seed in range({n_api}): mp.mood('calm', seconds=8, seed=seed)\n"
            "print(time.perf_counter() - t)")
    api_cmd = f"python -c \"{code}\""
    bench.run_timed(api_cmd)  # warm the imports into the page cache
    api = bench.median_time(api_cmd, repeat=3)
    shell_cmd = f"for s in $(command seq 1 {n_shell}); do mood calm --duration 8 --seed $s >/dev/null; done"
    shell = bench.median_time(f"bash -c '{shell_cmd}'", repeat=3)
    rows = [
        bench.Row(f"{n_api} mp.mood() in one process (with start-up)", f"{api:.2f} s",
                  f"< {n_shell} shell calls", api_cmd.replace("\n", "; ")),
        bench.Row(f"{n_shell} shell `mood` calls", f"{shell:.2f} s", "", shell_cmd),
        bench.Row("ratio: shell / API", f"{shell / api:.1f}x", "> 1"),
    ]
    jobs = int(os.environ.get("BENCH_BATCH_JOBS", "200"))
    seconds = float(os.environ.get("BENCH_BATCH_SECONDS", "5"))
    spec = bench.WORK / "jobs.jsonl"
    spec.write_text(f'{{"mood": "calm", "seconds": {seconds:g}, "seed": "1..{jobs}"}}\n')
    times = {}
    for workers in (1, 2):
        out = bench.WORK / f"batch-{workers}"
        cmd = f"musicpipe batch {spec} --out {out} --jobs {workers}"
        times[workers] = bench.run_timed(cmd)[0]
        rows.append(bench.Row(f"batch: {jobs} jobs of {seconds:g} s moods to WAV, {workers} worker"
                              f"{'s' if workers > 1 else ''}", f"{times[workers]:.1f} s", "", cmd))
    ratio = times[1] / times[2]
    rows.append(bench.Row("batch speed-up, 2 workers over 1", f"{ratio:.2f}x",
                          f">= 1.6x (0.8 x 2; {os.cpu_count()} cores here)"))
    return rows

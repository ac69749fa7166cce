"""Throughput and streaming memory of the transforms on 1 M events."""

SECTION = "transforms"

STAGES = [
    ("scale", "scale --root D --mode dorian", ">= 1 M events/s"),
    ("humanize", "humanize --seed 1", ">= 1 M events/s"),
    ("rubato", "rubato --seed 1 --interval 1920", ""),  # a Tempo a bar: under its 100,000 cap
    ("trim", "trim --bars 100000", ""),
    ("viz", "viz 2>/dev/null", ""),
]


def run(bench):
    n = 1_000_000
    path = bench.note_file(n)
    rows = []
    for name, cmd, target in STAGES:
        wall = bench.best_time(cmd, stdin_file=path)
        _, mb = bench.run_timed(cmd, feed=bench.note_stream(n))
        rows.append(bench.Row(f"{name}, 1 M events", f"{n / wall / 1e6:.2f} M events/s ({wall:.2f} s, {mb} MB)",
                              target, f"{cmd} < 1M-notes.jsonl > /dev/null (best of 3; memory streamed from a pipe)"))
    return rows

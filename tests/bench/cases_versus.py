"""versus: our stages against the music-pipe-rs release binaries, workload by workload.

With ``MUSICPIPE_VERSUS=DIR`` (a folder holding their transpose, scale, humanize and to-midi)
each workload runs with our stage and with theirs on the same input, one after the other, and
the row shows ours / theirs: CPU time (user + system of every process), wall time and peak
memory (one process: its peak RSS; a pipeline: the largest sum of its processes' PSS, sampled
every 10 ms, with the RSS sum beside it). Without it, only our figures. Their tools read notes
only as NoteOn/NoteOff pairs, so their input is always the pair form; ours is given both forms
where it matters.
Best of 3 runs (lowest CPU).
"""

from __future__ import annotations

import os

SECTION = "versus"

NOTES = 500_000  # 1 M pair lines

HUMANIZE = "humanize --seed 1 --timing 8 --velocity 10"   # their defaults: 8 ticks, 10 velocity
PIPE_OURS = ("transpose -s 2 | scale --root D --mode dorian | {humanize} | transpose -s -2 | "
             "to-midi --out {out}")
PIPE_THEIRS = ("{d}/transpose --semitones 2 | {d}/scale --root D --mode dorian | {d}/humanize | "
               "{d}/transpose --semitones=-2 | {d}/to-midi --out {out}")


GENERATE = """
import sys, orjson
n, notes, pairs = int(sys.argv[1]), sys.argv[2], sys.argv[3]
with open(notes, "wb") as a, open(pairs, "wb") as b:
    a.write(b'{"type":"Seed","seed":1}\\n')
    b.write(b'{"type":"Seed","seed":1}\\n')
    for i in range(n):
        t, ch, key, vel = i * 120, i % 4, 36 + (i * 7) % 48, 64 + i % 40
        a.write(orjson.dumps({"type": "Note", "t": t, "dur": 120, "ch": ch, "key": key, "vel": vel}) + b"\\n")
        b.write(orjson.dumps({"type": "NoteOn", "t": t, "ch": ch, "key": key, "vel": vel}) + b"\\n")
        b.write(orjson.dumps({"type": "NoteOff", "t": t + 120, "ch": ch, "key": key}) + b"\\n")
"""

# What pair-form input costs beyond Note lines even if pairing itself were free: decoding the
# twice as many lines, and making the Notes (here by msgspec in C, no Python loop).
FLOOR = """
import itertools, sys, time
from musicpipe import structs
def chunks(path):
    with open(path, "rb") as f:
        f.readline()  # the Seed
        data = f.read()
    out, i = [], 0
    while i < len(data):
        j = data.rfind(b"\\n", i, i + 65536)
        out.append(data[i:j]); i = j + 1
    return out
def best(f):
    times = []
    for _ in range(3):
        t = time.process_time(); f(); times.append(time.process_time() - t)
    return min(times)
notes, pairs = chunks(sys.argv[1]), chunks(sys.argv[2])
n, rep = int(sys.argv[3]), itertools.repeat
decode_notes = best(lambda: [structs.decode(c) for c in notes])
decode_pairs = best(lambda: [structs.decode(c, True) for c in pairs])
make = best(lambda: list(map(structs.Note, range(n), rep(120), rep(0), rep(60), rep(90))))
print(decode_pairs - decode_notes, make)
"""


def pair_floor(notes: str, pairs: str, n: int) -> tuple[float, float]:
    """(the pair form's extra decoding, making its n Notes in C), CPU seconds, measured in a
    child process."""
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", FLOOR, notes, pairs, str(n)], check=True,
                         capture_output=True, text=True).stdout.split()
    return float(out[0]), float(out[1])


def inputs(bench, n: int) -> tuple[str, str]:
    """The same music as n Note lines and as 2n NoteOn/NoteOff lines (cached files), written
    by a child process so that this one stays small (its size would count in a child's peak)."""
    import subprocess
    import sys

    notes, pairs = bench.WORK / f"v-notes-{n}.jsonl", bench.WORK / f"v-pairs-{n}.jsonl"
    if not pairs.exists():
        subprocess.run([sys.executable, "-c", GENERATE, str(n), str(notes), str(pairs)], check=True)
    return str(notes), str(pairs)


def best(bench, cmd: str, stdin_file: str, repeat: int = 3) -> tuple[float, float, int, int]:
    """(CPU s, wall s, peak MB, RSS sum MB), the run with the lowest CPU time (see
    run.run_measured: a pipeline's peak is its processes' summed PSS)."""
    return min((bench.run_measured(cmd, stdin_file=stdin_file) for _ in range(repeat)),
               key=lambda r: r[0])


def run(bench):
    theirs_dir = os.environ.get("MUSICPIPE_VERSUS")
    if theirs_dir and not os.access(os.path.join(theirs_dir, "to-midi"), os.X_OK):
        raise SystemExit(f"MUSICPIPE_VERSUS={theirs_dir}: no music-pipe-rs to-midi there")
    notes, pairs = inputs(bench, NOTES)
    out = bench.WORK / "versus.mid"
    d = theirs_dir
    work = [  # (measure, ours, our input, theirs, note)
        ("to-midi, 1 M pair lines", f"to-midi --out {out}", pairs, f"{d}/to-midi --out {out}",
         "<= 2x time, <= 100 MB"),
        ("to-midi, same music as Note lines", f"to-midi --out {out}", notes,
         f"{d}/to-midi --out {out}", ""),
        ("transpose, Note lines", "transpose -s 5", notes, f"{d}/transpose --semitones 5", "<= 1.0x CPU"),
        ("transpose, pair lines", "transpose -s 5", pairs, f"{d}/transpose --semitones 5", ""),
        ("scale, Note lines", "scale --root D --mode dorian", notes,
         f"{d}/scale --root D --mode dorian", "<= 1.0x CPU"),
        ("scale, pair lines", "scale --root D --mode dorian", pairs,
         f"{d}/scale --root D --mode dorian", ""),
        ("humanize, Note lines", HUMANIZE, notes, f"{d}/humanize", "<= 1.5x CPU"),
        ("humanize, pair lines", HUMANIZE, pairs, f"{d}/humanize", ""),
        ("5-stage pipeline, 1 M pair lines", PIPE_OURS.format(humanize=HUMANIZE, out=out), pairs,
         PIPE_THEIRS.format(d=d, out=out), "<= 1.0x wall, <= 100 MB total (PSS)"),
    ]
    rows = []
    figures = {}
    for measure, ours, src, theirs, target in work:
        cpu, wall, mb, rss = figures[measure] = best(bench, ours, src)
        piped = "|" in ours
        value = f"{cpu:.2f} s CPU, {wall:.2f} s wall, {mb} MB" + (f" (RSS sum {rss})" if piped else "")
        if theirs_dir:
            tcpu, twall, tmb, trss = best(bench, theirs, pairs)
            value += (f" / {tcpu:.2f} s, {twall:.2f} s, {tmb} MB" + (f" (RSS sum {trss})" if piped else "")
                      + f" = {cpu / tcpu:.2f}x CPU, {wall / twall:.2f}x wall, {mb / tmb:.2f}x memory")
        rows.append(bench.Row(measure, value, target, f"{ours} < {os.path.basename(src)}"))
    ratio = figures["transpose, pair lines"][0] / figures["transpose, Note lines"][0]
    rows.append(bench.Row("pair-form input / Note lines (transpose CPU)", f"{ratio:.2f}x", "<= 1.3x",
                          "the two transpose rows above"))
    out_pairs = best(bench, "transpose -s 5 --pairs", notes)[0]
    rows.append(bench.Row("pair-form output / Note output (transpose CPU)",
                          f"{out_pairs / figures['transpose, Note lines'][0]:.2f}x ({out_pairs:.2f} s)", "<= 1.5x",
                          "transpose -s 5 --pairs < notes, beside transpose -s 5 < notes"))
    extra, make = pair_floor(notes, pairs, NOTES)
    base = figures["transpose, Note lines"][0]
    rows.append(bench.Row(
        "the same, if pairing cost nothing in Python", f"{(base + extra + make) / base:.2f}x "
        f"(+{extra:.2f} s decoding twice the lines, +{make:.2f} s making the Notes in C)", "",
        "transpose on Note lines + those two, measured in-process"))
    small, _ = inputs(bench, NOTES // 4)
    for name in ("transpose -s 5", "scale --root D --mode dorian", HUMANIZE, f"to-midi --out {out}"):
        a, b = best(bench, name, small, 1)[2], figures_mb(bench, name, notes)
        rows.append(bench.Row(f"{name.split()[0]} peak memory, 125 k / 500 k notes", f"{a} / {b} MB",
                              "constant (to-midi: a few bytes per note)", f"{name} < notes"))
    return rows


def figures_mb(bench, cmd: str, src: str) -> int:
    return bench.run_measured(cmd, stdin_file=src)[2]

"""Stage start-up against bare click+orjson, transpose throughput and streaming memory."""

SECTION = "stream"

BARE = """
import sys, click, orjson
@click.command()
def main():
    sys.stdout.buffer.write(orjson.dumps({"type": "Seed", "seed": 1}) + b"\\n")
main()
"""


def run(bench):
    bare_path = bench.WORK / "bare_click_orjson.py"
    bare_path.write_text(BARE)
    bare = bench.median_time([str(bench.BIN / "python"), str(bare_path)], repeat=21)
    stage = bench.median_time([str(bench.BIN / "seed"), "1"], repeat=21)
    rows = [
        bench.Row("bare click+orjson script start", f"{bare * 1000:.0f} ms"),
        bench.Row("`seed 1` cold start", f"{stage * 1000:.0f} ms ({stage / bare:.2f}x bare)",
                  "<= 1.15x bare", "seed 1 </dev/null (median of 21)"),
    ]
    n = 1_000_000
    path = bench.note_file(n)
    wall = bench.best_time("transpose --semitones 5", stdin_file=path)
    rows.append(bench.Row("transpose, 1 M events", f"{n / wall / 1e6:.2f} M events/s ({wall:.2f} s)",
                          ">= 1.3 M events/s", "transpose -s 5 < 1M-notes.jsonl > /dev/null (best of 3)"))
    long_line = bench.WORK / "long-line.jsonl"  # one Marker of 1 MiB less 100 bytes
    long_line.write_bytes(b'{"type":"Marker","t":0,"text":"' + b"x" * ((1 << 20) - 100) + b'"}\n')
    wall = bench.best_time("transpose", stdin_file=str(long_line))
    rows.append(bench.Row("transpose, one 1 MiB line", f"{wall * 1000:.0f} ms",
                          "linear: < 0.3 s", "transpose < long-line.jsonl (best of 3)"))
    wall, mb = bench.run_timed("transpose 2>/dev/null", stdin_file="/dev/zero", expect=65)
    rows.append(bench.Row("transpose < /dev/zero (exit 65)", f"{wall * 1000:.0f} ms, {mb} MB",
                          "< 0.3 s, < 40 MB", "transpose < /dev/zero"))
    for count in (1_000_000, 10_000_000):
        _, mb = bench.run_timed("transpose --semitones 5", feed=bench.note_stream(count))
        rows.append(bench.Row(f"transpose peak memory, {count // 1_000_000} M events", f"{mb} MB",
                              "same for 1 M and 10 M, < 40 MB", "streamed from a pipe"))
    return rows

"""Generators: cold start against bare click+orjson, and a long motif."""

SECTION = "generators"

BARE = "import sys, click, orjson\nsys.stdout.buffer.write(orjson.dumps({'type': 'Seed', 'seed': 1}) + b'\\n')\n"


def run(bench):
    bare_path = bench.WORK / "bare.py"
    bare_path.write_text(BARE)
    bare = bench.median_time([str(bench.BIN / "python"), str(bare_path)], repeat=21)
    rows = [bench.Row("bare click+orjson script start", f"{bare * 1000:.0f} ms")]
    for label, args in (("motif --seed 1", ["motif", "--seed", "1"]),
                        ("euclid -k 3 -n 8", ["euclid", "-k", "3", "-n", "8"]),
                        ("seq \"C4/4 E4/4\"", ["seq", "C4/4 E4/4"]),
                        ("mood calm (stream)", ["mood", "calm", "--seed", "1"])):
        t = bench.median_time([str(bench.BIN / args[0]), *args[1:]], repeat=21)
        rows.append(bench.Row(f"`{label}` cold start", f"{t * 1000:.0f} ms ({t / bare:.2f}x bare)",
                              "", " ".join(args) + " </dev/null (median of 21)"))
    n = 100_000
    t = bench.best_time(f"motif --seed 1 --notes {n}")
    rows.append(bench.Row(f"motif, {n // 1000}k notes", f"{n / t / 1e3:.0f} k notes/s ({t:.2f} s)",
                          "", f"motif --seed 1 --notes {n} > /dev/null (best of 3)"))
    return rows

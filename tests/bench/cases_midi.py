"""to-midi and from-midi on a 10,000-note arrangement (wall time including process start), and
both at 125 k, 500 k and 2 M notes (CPU, peak memory), so their growth shows side by side."""

SECTION = "midi"

NOTES = 10_000


SIZES = (125_000, 500_000, 2_000_000)


def arrangement(n: int) -> bytes:
    """A layered arrangement: lead, bass, pad chords and drums, n notes in all."""
    return b"".join(arrangement_chunks(n))


def arrangement_chunks(n: int, chunk: int = 50_000):
    """The same, as byte chunks of JSON Lines (a big one is written without holding it)."""
    import orjson

    evs = [{"type": "Seed", "seed": 1}, {"type": "Tempo", "t": 0, "bpm": 120},
           {"type": "TimeSig", "t": 0, "num": 4, "den": 4}]
    evs += [{"type": "ProgramChange", "t": 0, "ch": ch, "program": p}
            for ch, p in ((0, 80), (1, 33), (2, 48))]
    for i in range(n):
        if len(evs) >= chunk:
            yield b"".join(orjson.dumps(e) + b"\n" for e in evs)
            evs = []
        part = i % 4
        step = i // 4
        if part == 0:
            ev = {"t": step * 120, "dur": 110, "ch": 0, "key": 60 + (step * 5) % 24}
        elif part == 1:
            ev = {"t": step * 120, "dur": 240, "ch": 1, "key": 36 + step % 12}
        elif part == 2:
            ev = {"t": step * 120, "dur": 480, "ch": 2, "key": 55 + (step * 7) % 17}
        else:
            ev = {"t": step * 120, "dur": 60, "ch": 9, "key": (36, 42, 38, 42)[step % 4]}
        evs.append({"type": "Note", **ev, "vel": 60 + i % 60})
    yield b"".join(orjson.dumps(e) + b"\n" for e in evs)


def run(bench):
    src = bench.WORK / "arrangement-10k.jsonl"
    src.write_bytes(arrangement(NOTES))
    mid = bench.WORK / "arrangement-10k.mid"
    bench.run_timed(f"to-midi --out {mid}", stdin_file=str(src))   # warm the caches
    to_midi = bench.median_time(f"to-midi --out {mid}", repeat=7, stdin_file=str(src))
    type0 = bench.median_time(f"to-midi --type 0 --out {bench.WORK}/type0.mid", repeat=7,
                              stdin_file=str(src))
    from_midi = bench.median_time(f"from-midi {mid}", repeat=7)
    start = bench.median_time("to-midi --force --out /dev/null", repeat=7)
    return [*small_rows(bench, to_midi, type0, from_midi, start), *growth_rows(bench),
            *type0_rows(bench)]


PAIRS = 500_000  # notes: 1 M NoteOn/NoteOff lines, as bench versus


def type0_rows(bench) -> list:
    """to-midi --type 0 beside type 1 on 1 M pair lines: CPU and peak RSS, best of 3."""
    import orjson

    src = bench.WORK / "pairs-1m.jsonl"
    with open(src, "wb") as f:
        f.write(b'{"type":"Seed","seed":1}\n')
        for start in range(0, PAIRS, 50_000):
            f.write(b"".join(
                orjson.dumps({"type": "NoteOn", "t": i * 120, "ch": i % 4, "key": 36 + (i * 7) % 48,
                              "vel": 64 + i % 40}) + b"\n"
                + orjson.dumps({"type": "NoteOff", "t": i * 120 + 120, "ch": i % 4,
                                "key": 36 + (i * 7) % 48}) + b"\n"
                for i in range(start, min(PAIRS, start + 50_000))))
    out = bench.WORK / "pairs.mid"
    one, zero = (min((bench.run_measured(f"to-midi {opt}--out {out}", stdin_file=str(src))
                      for _ in range(3)), key=lambda r: r[0]) for opt in ("", "--type 0 "))
    src.unlink()
    return [bench.Row("to-midi --type 0 / type 1, 1 M pair lines",
                      f"{zero[0]:.2f} s CPU, {zero[2]} MB / {one[0]:.2f} s CPU, {one[2]} MB "
                      f"= {zero[0] / one[0]:.2f}x CPU", "<= 1.2x CPU, <= 100 MB",
                      "to-midi [--type 0] --out a.mid < pairs-1m.jsonl")]


def growth_rows(bench) -> list:
    """to-midi writing and from-midi reading the arrangement at each of SIZES: CPU seconds
    (user + system) and peak RSS, best of 2 runs (lowest CPU)."""
    rows = []
    for n in SIZES:
        src = bench.WORK / f"arrangement-{n}.jsonl"
        with open(src, "wb") as f:
            for chunk in arrangement_chunks(n):
                f.write(chunk)
        mid = bench.WORK / f"arrangement-{n}.mid"
        write = min((bench.run_measured(f"to-midi --out {mid}", stdin_file=str(src))
                     for _ in range(2)), key=lambda r: r[0])
        read = min((bench.run_measured(f"from-midi {mid}", stdin_file="/dev/null")
                    for _ in range(2)), key=lambda r: r[0])
        size = f"{n // 1000:,} k" if n < 1_000_000 else f"{n // 1_000_000} M"
        rows.append(bench.Row(
            f"to-midi / from-midi, {size} notes ({mid.stat().st_size / 1e6:.1f} MB file)",
            f"{write[0]:.2f} s CPU, {write[2]} MB / {read[0]:.2f} s CPU, {read[2]} MB "
            f"= {read[0] / write[0]:.2f}x CPU",
            "from-midi <= 2x CPU, <= 100 MB" if n == SIZES[-1] else "",
            f"to-midi --out a.mid < arrangement-{n}.jsonl; from-midi a.mid > /dev/null"))
        src.unlink()
        mid.unlink()
    return rows


def small_rows(bench, to_midi: float, type0: float, from_midi: float, start: float) -> list:
    return [
        bench.Row("to-midi, 10,000 notes (4 channels)", f"{to_midi:.2f} s", "< 0.5 s wall",
                  "to-midi --out a.mid < arrangement-10k.jsonl (median of 7, process start included)"),
        bench.Row("to-midi --type 0, 10,000 notes", f"{type0:.2f} s", "",
                  "to-midi --type 0 --out a.mid < arrangement-10k.jsonl (median of 7)"),
        bench.Row("from-midi, the same file", f"{from_midi:.2f} s", "",
                  "from-midi arrangement-10k.mid > /dev/null (median of 7)"),
        bench.Row("to-midi, empty stream (start-up)", f"{start * 1000:.0f} ms", "",
                  "to-midi --force --out /dev/null </dev/null (median of 7)"),
    ]

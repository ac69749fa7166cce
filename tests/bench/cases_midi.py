"""to-midi and from-midi on a 10,000-note arrangement: wall time including process start."""

SECTION = "midi"

NOTES = 10_000


def arrangement(n: int) -> bytes:
    """A layered arrangement: lead, bass, pad chords and drums, n notes in all."""
    import orjson

    evs = [{"type": "Seed", "seed": 1}, {"type": "Tempo", "t": 0, "bpm": 120},
           {"type": "TimeSig", "t": 0, "num": 4, "den": 4}]
    evs += [{"type": "ProgramChange", "t": 0, "ch": ch, "program": p}
            for ch, p in ((0, 80), (1, 33), (2, 48))]
    for i in range(n):
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
    return b"".join(orjson.dumps(e) + b"\n" for e in evs)


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

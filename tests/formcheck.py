"""Every built-in mood measured over minutes against issue 22's thresholds, as markdown tables.

    .venv/bin/python -m tests.formcheck            # all moods (a few minutes)
    .venv/bin/python -m tests.formcheck jazz lofi  # some

Pieces come from the public API (`mp.mood`, the stream `mood` prints) and are measured with
`analyze` (musicpipe.longform). The figures are functions here so that tests can assert them.
"""

from __future__ import annotations

import statistics
import sys
from functools import lru_cache
from itertools import combinations

import musicpipe as mp
from musicpipe import longform
from musicpipe.analyze import Piece, analyze, find_melody
from musicpipe.theory import key_name, parse_key
from tests.moodcheck import ending_checks

LONG, LONG_SEEDS = 180.0, (1, 2)
SHORT, SHORT_SEEDS = 60.0, (1, 2, 3, 4)
BRIEF, BRIEF_SEEDS = 20.0, (1, 2, 3)
SAME_TUNE = ("upbeat", "synthwave", "chiptune")  # one seed must not give one tune in these
CADENCE_ON_V = ("orchestral", "suspense", "eerie")  # minor moods whose style cadences on V

# issue 22, "What it must show"
MAX_LOOP = 32             # bars of a chord loop of period 4 or 8
MAX_REPEATS = 0.60        # melody bars after the first minute repeating an earlier bar
MIN_CV, CV_MOODS = 0.15, 10   # density variation over 8-bar blocks, in at least this many moods
MAX_SHARED = 0.50         # chords per beat, accompaniment bars between two seeds
MAX_SAME_TUNE = 0.60      # melody onsets of two moods at one seed
MIN_RANGE, MAX_TOP = 12, 4.0  # melody range (semitones), top-note hits a minute
MAX_POLY, POLY_MOODS = 4.7, 11
CHROMATIC_MOODS = 8
MIN_INTERVALS = 0.95      # --key a tone up: intervals kept (every onset kept)
MIN_KEPT, MIN_MORE, LOUD_DEFAULT = 0.80, 1.15, 70  # --intensity 90 against the default


def moods() -> list[dict]:
    return [m for m in mp.list_moods() if m["source"] == "built-in"]


@lru_cache(maxsize=None)
def piece(name: str, seconds: float, seed: int, key: str | None = None,
          intensity: int | None = None) -> Piece:
    events = mp.mood(name, seconds, seed=seed, key=key, intensity=intensity, echo=False).events
    return Piece(events).finish()


@lru_cache(maxsize=None)
def report(name: str, seconds: float, seed: int, key: str | None = None,
           intensity: int | None = None) -> dict:
    return analyze(piece(name, seconds, seed, key, intensity))


def melody(p: Piece) -> int | None:
    return find_melody(p) if p.pitched else None


def held_channels(p: Piece) -> frozenset:
    """Drones, which the issue sets aside from the accompaniment bars two seeds share:
    channels that play one bar all piece long (every bar where they play but the last)."""
    out = set()
    for ch in {n[2] for n in p.notes}:
        bars = [b for b in longform.bar_contents([n for n in p.notes if n[2] == ch], p) if b]
        if len(bars) >= 2 and len(set(bars[:-1])) == 1:
            out.add(ch)
    return frozenset(out)


def shared(a: Piece, b: Piece, skip: frozenset = frozenset()) -> dict:
    return longform.compare(a, b, melody(a), melody(b), skip)


def long_figures(name: str) -> dict:
    """180 s, seeds 1-2: chord loop, melody repeats after a minute, density cv, per seed."""
    forms = [report(name, LONG, s)["form"] for s in LONG_SEEDS]
    return {"loop": [f["chord_loop"]["bars"] for f in forms],
            "repeats": [f["melody_repeats"]["share"] for f in forms],
            "cv": [f["density"]["cv"] for f in forms]}


def seed_sharing(name: str) -> dict:
    """60 s, seeds 1-4, every pair: the largest share of chords per beat and of accompaniment
    bars (drones aside: ``held``) two seeds have in common."""
    chords, bars, held = [], [], set()
    for s, t in combinations(SHORT_SEEDS, 2):
        a, b = piece(name, SHORT, s), piece(name, SHORT, t)
        skip = held_channels(a) & held_channels(b)
        held |= skip
        c = shared(a, b, skip)
        chords.append(c["chords_per_beat"] or 0.0)
        bars.append(c["accompaniment_bars"] or 0.0)
    return {"chords": max(chords), "bars": max(bars), "held": sorted(held),
            "chords_mean": statistics.mean(chords), "bars_mean": statistics.mean(bars)}


def same_tune() -> dict[str, float]:
    """For each pair of SAME_TUNE moods, the largest share of melody onsets they have in
    common at one seed (60 s, seeds 1-4, either way round)."""
    out = {}
    for x, y in combinations(SAME_TUNE, 2):
        best = 0.0
        for s in SHORT_SEEDS:
            a, b = piece(x, SHORT, s), piece(y, SHORT, s)
            best = max(best, shared(a, b)["melody_onsets"] or 0.0, shared(b, a)["melody_onsets"] or 0.0)
        out[f"{x}/{y}"] = best
    return out


def line_figures(name: str) -> dict:
    """60 s, seeds 1-4: melody range and top-note hits a minute (medians), distinct pitches
    sounding (mean), chromatic share (mean, and in how many seeds any), seeds with the
    leading tone (minor keys)."""
    forms = [report(name, SHORT, s)["form"] for s in SHORT_SEEDS]
    leading = [f["leading_tone_notes"] for f in forms]
    return {"range": round(statistics.median(f["melody_arc"]["range"] or 0 for f in forms), 1),
            "top": statistics.median(f["melody_arc"]["top_per_minute"] or 0.0 for f in forms),
            "poly": round(statistics.mean(f["pitches_sounding"] for f in forms), 2),
            "chromatic": round(statistics.mean(f["chromatic_share"] for f in forms), 3),
            "chromatic_seeds": sum(f["chromatic_share"] > 0 for f in forms),
            "leading": None if leading[0] is None else sum(bool(x) for x in leading)}


def tone_up(key: str) -> str:
    root, mode = parse_key(key)
    return key_name((root + 2) % 12, mode)


def knob_figures(mood: dict) -> dict:
    """60 s, seeds 1-2: `--key` a tone up (onsets and intervals kept, the smallest) and, for a
    mood whose default intensity is at most LOUD_DEFAULT, `--intensity 90` (the default's
    melody onsets kept, the smallest; notes against the default's, the smallest)."""
    name = mood["name"]
    up = [shared(piece(name, SHORT, s), piece(name, SHORT, s, key=tone_up(mood["key"])))
          for s in LONG_SEEDS]
    out = {"key_onsets": min(c["melody_onsets"] or 0.0 for c in up),
           "key_intervals": min(c["melody_intervals"] or 0.0 for c in up),
           "loud_kept": None, "loud_notes": None}
    if mood["intensity"] <= LOUD_DEFAULT:
        pairs = [(piece(name, SHORT, s), piece(name, SHORT, s, intensity=90)) for s in LONG_SEEDS]
        out["loud_kept"] = min(shared(a, b)["melody_onsets"] or 0.0 for a, b in pairs)
        out["loud_notes"] = round(min(len(b.notes) / len(a.notes) for a, b in pairs), 2)
    return out


def brief_figures(name: str) -> dict:
    """20 s, seeds 1-3, what held before: pieces passing all five ending checks, the melody's
    notes under the accompaniment (mean), the exact duration, the same stream twice."""
    reps = [report(name, BRIEF, s) for s in BRIEF_SEEDS]
    again = mp.mood(name, BRIEF, seed=1, echo=False).events
    return {"endings": sum(all(ending_checks(r).values()) for r in reps),
            "buried": round(statistics.mean(r["melody"]["buried"] for r in reps if r["melody"]), 2),
            "exact": all(r["seconds"] == BRIEF for r in reps),
            "same": again == mp.mood(name, BRIEF, seed=1, echo=False).events}


def mark(ok: bool) -> str:
    return "✓" if ok else "✗"


def fig(x) -> str:
    if x is None:
        return "-"
    return f"{x:.2f}" if isinstance(x, float) and x % 1 else f"{x:g}" if isinstance(x, float) else str(x)


def table(head: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(fig(c) if not isinstance(c, str) else c for c in row) + " |" for row in rows]
    return "\n".join(lines)


def main(names: list[str]) -> str:
    chosen = [m for m in moods() if not names or m["name"] in names]
    out, totals = [], {}

    rows, cv_ok = [], 0
    for m in chosen:
        f = long_figures(m["name"])
        loop_ok = all(x <= MAX_LOOP for x in f["loop"])
        rep_ok = all(x is not None and x <= MAX_REPEATS for x in f["repeats"])
        cv_good = all(x is not None and x >= MIN_CV for x in f["cv"])
        cv_ok += cv_good
        rows.append([m["name"], " / ".join(map(fig, f["loop"])) + f" {mark(loop_ok)}",
                     " / ".join(map(fig, f["repeats"])) + f" {mark(rep_ok)}",
                     " / ".join(map(fig, f["cv"])) + f" {mark(cv_good)}"])
        totals.setdefault("loop", []).append(loop_ok)
        totals.setdefault("repeats", []).append(rep_ok)
    out.append(f"### {LONG:g} s, seeds {LONG_SEEDS[0]}-{LONG_SEEDS[-1]} (seed 1 / seed 2)\n\n" + table(
        ["mood", f"longest chord loop, bars (<= {MAX_LOOP})",
         f"melody bars after 1 min repeating (<= {MAX_REPEATS:.2f})",
         f"density cv, 8-bar blocks (>= {MIN_CV}; {CV_MOODS}+ moods)"], rows))

    rows = []
    for m in chosen:
        f = seed_sharing(m["name"])
        ok_c, ok_b = f["chords"] <= MAX_SHARED, f["bars"] <= MAX_SHARED
        rows.append([m["name"], f"{fig(f['chords'])} ({f['chords_mean']:.2f}) {mark(ok_c)}",
                     f"{fig(f['bars'])} ({f['bars_mean']:.2f}) {mark(ok_b)}",
                     ", ".join(f"ch {c}" for c in f["held"]) or ""])
        totals.setdefault("chords", []).append(ok_c)
        totals.setdefault("bars", []).append(ok_b)
    out.append(f"### {SHORT:g} s, seeds {SHORT_SEEDS[0]}-{SHORT_SEEDS[-1]}: what two seeds share "
               "(the largest of the 6 pairs; their mean)\n\n" + table(
                   ["mood", f"chords per beat (<= {MAX_SHARED})",
                    f"accompaniment bars (<= {MAX_SHARED})", "drones set aside"], rows))
    if not names or all(n in names for n in SAME_TUNE):
        tunes = same_tune()
        out.append(f"One seed, two moods: melody onsets in common (largest over seeds "
                   f"{SHORT_SEEDS[0]}-{SHORT_SEEDS[-1]}, <= {MAX_SAME_TUNE}): " + ", ".join(
                       f"{k} {v:.2f} {mark(v <= MAX_SAME_TUNE)}" for k, v in tunes.items()))
        totals["same_tune"] = [v <= MAX_SAME_TUNE for v in tunes.values()]

    rows, poly_ok, colour_ok = [], 0, 0
    for m in chosen:
        f = line_figures(m["name"])
        range_ok, top_ok = f["range"] >= MIN_RANGE, f["top"] <= MAX_TOP
        poly_ok += f["poly"] <= MAX_POLY
        colour_ok += f["chromatic_seeds"] > 0
        lead = "" if f["leading"] is None else f"{f['leading']}/{len(SHORT_SEEDS)}"
        if m["name"] in CADENCE_ON_V:
            lead += f" {mark(f['leading'] == len(SHORT_SEEDS))}"
            totals.setdefault("leading", []).append(f["leading"] == len(SHORT_SEEDS))
        rows.append([m["name"], f"{fig(f['range'])} {mark(range_ok)}", f"{fig(f['top'])} {mark(top_ok)}",
                     f"{fig(f['poly'])} {mark(f['poly'] <= MAX_POLY)}",
                     f"{f['chromatic']:.3f} ({f['chromatic_seeds']}/{len(SHORT_SEEDS)})", lead])
        totals.setdefault("range", []).append(range_ok)
        totals.setdefault("top", []).append(top_ok)
    out.append(f"### {SHORT:g} s, seeds {SHORT_SEEDS[0]}-{SHORT_SEEDS[-1]}: the melody, the texture, "
               "the colour\n\n" + table(
                   ["mood", f"melody range, median (>= {MIN_RANGE})", f"top note a minute, median (<= {MAX_TOP:g})",
                    f"pitches sounding, mean (<= {MAX_POLY}; {POLY_MOODS}+ moods)",
                    f"chromatic share, mean (seeds with any; {CHROMATIC_MOODS}+ moods)",
                    "seeds sounding the leading tone (minor; all in " + "/".join(CADENCE_ON_V) + ")"], rows))

    rows = []
    for m in chosen:
        f = knob_figures(m)
        key_ok = f["key_onsets"] == 1.0 and f["key_intervals"] >= MIN_INTERVALS
        row = [m["name"], f"{fig(f['key_onsets'])} / {fig(f['key_intervals'])} {mark(key_ok)}"]
        totals.setdefault("key", []).append(key_ok)
        if f["loud_kept"] is None:
            row += ["", ""]
        else:
            ok_k, ok_n = f["loud_kept"] >= MIN_KEPT, f["loud_notes"] >= MIN_MORE
            row += [f"{fig(f['loud_kept'])} {mark(ok_k)}", f"x{f['loud_notes']:.2f} {mark(ok_n)}"]
            totals.setdefault("loud", []).append(ok_k and ok_n)
        rows.append([m["name"] + f" ({m['intensity']})"] + row[1:])
    out.append(f"### The knobs, {SHORT:g} s, seeds {LONG_SEEDS[0]}-{LONG_SEEDS[-1]} (the smaller)\n\n" + table(
        ["mood (default intensity)", f"--key a tone up: melody onsets / intervals kept (1.00 / >= {MIN_INTERVALS})",
         f"--intensity 90: default's melody onsets kept (>= {MIN_KEPT})",
         f"--intensity 90: notes against the default (>= x{MIN_MORE})"], rows))

    rows = []
    for m in chosen:
        f = brief_figures(m["name"])
        rows.append([m["name"], f"{f['endings']}/{len(BRIEF_SEEDS)} {mark(f['endings'] == len(BRIEF_SEEDS))}",
                     fig(f["buried"]), mark(f["exact"]), mark(f["same"])])
        totals.setdefault("endings", []).append(f["endings"])
        totals.setdefault("exact", []).append(f["exact"] and f["same"])
    out.append(f"### What held before, {BRIEF:g} s, seeds {BRIEF_SEEDS[0]}-{BRIEF_SEEDS[-1]}\n\n" + table(
        ["mood", "pieces passing all 5 ending checks", "melody notes under the accompaniment",
         "exact duration", "same seed, same stream"], rows))

    n = len(chosen)
    count = lambda key: sum(totals.get(key, []))  # noqa: E731
    summary = [
        ["chord loop <= 32 bars (both seeds)", f"{count('loop')}/{n}", mark(count("loop") == n)],
        ["melody repeats <= 60 % (both seeds)", f"{count('repeats')}/{n}", mark(count("repeats") == n)],
        [f"density cv >= {MIN_CV} (both seeds)", f"{cv_ok}/{n}", mark(cv_ok >= min(CV_MOODS, n))],
        ["two seeds share <= 50 % chords per beat", f"{count('chords')}/{n}", mark(count("chords") == n)],
        ["two seeds share <= 50 % accompaniment bars", f"{count('bars')}/{n}", mark(count("bars") == n)],
        ["one seed, two moods: <= 60 % melody onsets", f"{count('same_tune')}/{len(totals.get('same_tune', []))}",
         mark(all(totals.get("same_tune", [True])))],
        ["melody range >= 12 (median)", f"{count('range')}/{n}", mark(count("range") == n)],
        ["top note <= 4 a minute (median)", f"{count('top')}/{n}", mark(count("top") == n)],
        ["pitches sounding <= 4.7", f"{poly_ok}/{n}", mark(poly_ok >= min(POLY_MOODS, n))],
        ["leading tone in every seed (orchestral, suspense, eerie)",
         f"{count('leading')}/{len(totals.get('leading', []))}", mark(all(totals.get("leading", [True])))],
        ["a chromatic note somewhere", f"{colour_ok}/{n}", mark(colour_ok >= min(CHROMATIC_MOODS, n))],
        ["--key keeps every onset and >= 95 % of intervals", f"{count('key')}/{n}", mark(count("key") == n)],
        ["--intensity 90 keeps >= 80 % onsets, >= 15 % more notes", f"{count('loud')}/{len(totals.get('loud', []))}",
         mark(all(totals.get("loud", [True])))],
        ["endings: pieces passing all 5 checks at 20 s", f"{count('endings')}/{n * len(BRIEF_SEEDS)}", ""],
        ["exact duration and determinism at 20 s", f"{count('exact')}/{n}", mark(count("exact") == n)],
    ]
    out.insert(0, "### Summary\n\n" + table(["criterion (issue 22)", "moods", "pass"], summary))
    return "\n\n".join(out) + "\n"


if __name__ == "__main__":
    sys.stdout.write(main(sys.argv[1:]))

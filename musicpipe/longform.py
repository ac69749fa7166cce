"""What a listener notices over minutes, in numbers: chord loops, melody bars that repeat,
flat density, a melody without an arc, block-chord walls, colour; and how much two pieces share.

Measures of issue 22, reported by `analyze` (``form`` in its report) and `analyze --compare`.
They read a ``analyze.Piece`` after ``finish``; the melody is the channel analyze finds.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right

from .events import PPQ
from .meter import bar_lines, seconds_at
from .theory import SCALES

PERIODS = (4, 8)  # bars: the chord-loop periods looked for
BLOCK = 8  # bars: the blocks note density is counted over
AFTER = 60.0  # seconds: melody bars from here on are checked for repeats
GRID = PPQ // 8
"""Onsets within a bar are compared to the nearest 32nd note (60 ticks), so humanize's timing
jitter does not hide a repeated bar; keys are compared exactly."""
ONSET_TOLERANCE = PPQ // 16
"""Two melody onsets of two pieces are one if they lie within a 64th note (30 ticks)."""
MAX_BEATS = 80_000  # beats: the chord measures stop here, like analyze's bar measures
CHORD_SHARE = 0.25
"""Without Chord events, a beat's chord is the pitch classes the accompaniment sounds for at
least this share of the beat."""


def beats(piece) -> list[list[tuple[int, int]]]:
    """(tick, length) of every beat, bar by bar (bars as ``piece.bars()`` gives them); no
    bars past MAX_BEATS beats (the chord measures are then left out)."""
    out, total = [], 0
    for (start, _), (_, count, beat) in zip(piece.bars(), bar_lines(piece.sigs)):
        total += count
        if total > MAX_BEATS:
            return []
        out.append([(start + i * beat, beat) for i in range(count)])
    return out


def beat_chords(piece, melody: int | None) -> list[list]:
    """The chord on every beat, bar by bar: the name of the Chord event sounding at the beat,
    or, in a stream without Chord events, the sorted pitch classes the accompaniment (pitched
    channels but the melody's) holds for at least CHORD_SHARE of the beat; None for none."""
    grid = beats(piece)
    flat = [b for bar in grid for b, _ in bar]
    if piece.chords:
        starts = [c[0] for c in piece.chords]
        labels = []
        for b in flat:
            i = bisect_right(starts, b) - 1
            sounding = i >= 0 and b < piece.chords[i][0] + piece.chords[i][1]
            labels.append(piece.chords[i][2] if sounding else None)
    else:
        labels = _held_chords(piece, melody, [b for bar in grid for b in bar])
    out, i = [], 0
    for bar in grid:
        out.append(labels[i:i + len(bar)])
        i += len(bar)
    return out


def _held_chords(piece, melody: int | None, grid: list[tuple[int, int]]) -> list:
    """Each beat's held pitch classes (see ``beat_chords``): a note's partly covered first and
    last beats are summed by the tick, the beats it covers whole counted by a difference
    array, so a note held over the whole piece costs no more than a short one."""
    if not grid:
        return []
    flat = [b for b, _ in grid]
    part: dict[tuple[int, int], int] = {}  # (beat, pc) -> ticks held in a partly covered beat
    whole = [[0] * 12 for _ in range(len(flat) + 1)]  # +1 where whole beats start, -1 after
    for t, dur, ch, key, _ in piece.pitched:
        if ch == melody:
            continue
        end, pc = t + dur, key % 12
        first = max(0, bisect_right(flat, t) - 1)
        last = bisect_left(flat, end) - 1
        for i in {first, last}:
            start, length = grid[i]
            held = min(end, start + length) - max(t, start)
            if held > 0:
                part[i, pc] = part.get((i, pc), 0) + held
        if last - first >= 2:
            whole[first + 1][pc] += 1
            whole[last][pc] -= 1
    labels = []
    running = [0] * 12
    for i, (start, length) in enumerate(grid):
        running = [r + w for r, w in zip(running, whole[i])]
        chord = tuple(pc for pc in range(12)
                      if running[pc] > 0 or part.get((i, pc), 0) >= CHORD_SHARE * length)
        labels.append(chord or None)
    return labels


def chord_loop(bar_chords: list[list]) -> dict:
    """The longest stretch of bars in which the bar-by-bar chords repeat with a period of 4
    or 8 bars (every bar equal to the bar a period earlier, for at least one whole period
    after the first): its length in bars, period and first bar (1-based); 0 bars if none.
    A bar without any chord never matches."""
    bars = [tuple(row) if any(c is not None for c in row) else None for row in bar_chords]
    best = {"bars": 0, "period": None, "start_bar": None}
    for p in PERIODS:
        run = 0
        for k in range(p, len(bars) + 1):
            if k < len(bars) and bars[k] is not None and bars[k] == bars[k - p]:
                run += 1
                continue
            if run >= p and run + p > best["bars"]:
                best = {"bars": run + p, "period": p, "start_bar": k - run - p + 1}
            run = 0
    return best


def bar_contents(notes, piece) -> list[tuple | None]:
    """Each bar's notes as (bar length, ((onset from the bar line on GRID, key), ...)): what
    two bars must share to be the same; None for a bar where no note starts. Onsets go to
    the nearest GRID point first, so a downbeat humanized a few ticks early stays in its bar."""
    bars = piece.bars()
    starts = [b[0] for b in bars]
    found: list[list] = [[] for _ in bars]
    for t, _, _, key, _ in notes:
        t = round(t / GRID) * GRID
        i = bisect_right(starts, t) - 1
        if 0 <= i < len(bars):
            found[i].append(((t - starts[i]) // GRID, key))
    return [(end - start, tuple(sorted(f))) if f else None for (start, end), f in zip(bars, found)]


def melody_repeats(piece, melody: int | None) -> dict:
    """The share of melody bars starting at or after AFTER seconds (bars where the melody
    starts a note) that repeat an earlier bar of the piece: the same onsets (to GRID) and keys,
    relative to the bar line. None for a piece shorter than that or without a melody."""
    if melody is None:
        return {"share": None, "bars": 0}
    contents = bar_contents([n for n in piece.pitched if n[2] == melody], piece)
    seconds = seconds_at(piece.tempos)
    seen, repeats, counted = set(), 0, 0
    for (start, _), content in zip(piece.bars(), contents):
        if content is None:
            continue
        if seconds(start) >= AFTER - 1e-9:
            counted += 1
            repeats += content in seen
        seen.add(content)
    return {"share": round(repeats / counted, 3) if counted else None, "bars": counted}


def density(piece) -> dict:
    """Notes per bar (all channels, by onset) over each whole BLOCK-bar block, and their
    coefficient of variation (standard deviation over the mean; None under two blocks)."""
    bars = piece.bars()
    starts = [b[0] for b in bars]
    per_bar = [0] * len(bars)
    for n in piece.notes:
        i = bisect_right(starts, n[0]) - 1
        if 0 <= i < len(bars):
            per_bar[i] += 1
    blocks = [sum(per_bar[i:i + BLOCK]) / BLOCK for i in range(0, len(bars) - BLOCK + 1, BLOCK)]
    cv = None
    if len(blocks) >= 2 and sum(blocks):
        mean = sum(blocks) / len(blocks)
        cv = round(math.sqrt(sum((b - mean) ** 2 for b in blocks) / len(blocks)) / mean, 3)
    return {"block_bars": BLOCK, "notes_per_bar": [round(b, 2) for b in blocks], "cv": cv}


def melody_arc(line, seconds: float) -> dict:
    """The melody's range in semitones and how often its highest pitch is struck, per
    minute of the piece (``line``: the melody's top line)."""
    if not line:
        return {"range": None, "top_hits": 0, "top_per_minute": None}
    keys = [n[3] for n in line]
    hits = keys.count(max(keys))
    return {"range": max(keys) - min(keys), "top_hits": hits,
            "top_per_minute": round(hits * 60 / seconds, 2) if seconds else None}


def pitches_sounding(notes) -> float:
    """The mean number of distinct pitches sounding, over the time where any sounds (a
    doubled note counts once), exact to the tick."""
    changes: dict[int, list] = {}
    for t, dur, _, key, _ in notes:
        changes.setdefault(t, []).append((key, 1))
        changes.setdefault(t + dur, []).append((key, -1))
    count: dict[int, int] = {}
    total = sounding_time = 0
    prev = None
    for tick in sorted(changes):
        if prev is not None and count:
            total += len(count) * (tick - prev)
            sounding_time += tick - prev
        for key, d in changes[tick]:
            c = count.get(key, 0) + d
            if c:
                count[key] = c
            else:
                del count[key]
        prev = tick
    return round(total / sounding_time, 2) if sounding_time else 0.0


def in_scale(root: int, mode: str) -> set[int]:
    """The pitch classes of the key's scale; a minor key also has its raised 6th and 7th
    (melodic and harmonic minor), which are colour of the key, not chromatic."""
    steps = set(SCALES.get(mode, SCALES["major"]))
    if mode == "minor":
        steps |= {9, 11}
    return {(root + s) % 12 for s in steps}


def colour(notes, key: tuple[int, str]) -> dict:
    """The share of pitched notes outside the key's scale (``in_scale``), and, in a key with
    a minor 3rd and 7th (minor, dorian, phrygian), how many notes sound its leading tone
    (the raised 7th; None in other keys)."""
    root, mode = key
    scale = in_scale(root, mode)
    outside = sum(1 for n in notes if n[3] % 12 not in scale)
    steps = SCALES.get(mode, ())
    leading = None
    if 3 in steps and 10 in steps:
        leading = sum(1 for n in notes if n[3] % 12 == (root + 11) % 12)
    return {"chromatic_share": round(outside / len(notes), 3) if notes else 0.0,
            "leading_tone_notes": leading}


def measures(piece, key: tuple[int, str], melody: int | None, line) -> dict:
    """The ``form`` section of the analyze report."""
    seconds = piece.seconds(piece.end)
    return {"chord_loop": chord_loop(beat_chords(piece, melody)),
            "melody_repeats": melody_repeats(piece, melody),
            "density": density(piece),
            "melody_arc": melody_arc(line, seconds),
            "pitches_sounding": pitches_sounding(piece.pitched),
            **colour(piece.pitched, key)}


def compare(a, b, melody_a: int | None, melody_b: int | None, skip: frozenset = frozenset()) -> dict:
    """How much piece ``b`` (the stream) shares with piece ``a`` (the reference): chords per
    beat (of the beats both have, where either has a chord, the share with the same chord);
    accompaniment bars (of b's bars per non-melody channel with notes, the share whose notes,
    to GRID and by key, a's same channel plays in some bar); melody onsets (of a's melody
    onsets, the share b's melody also has within ONSET_TOLERANCE ticks of the start); melody
    intervals (of the steps between consecutive notes of a's melody line, the share b's line
    makes by the same interval between its notes at those onsets: a transposition keeps all).
    Channels in ``skip`` are left out of the accompaniment bars (a drone, say)."""
    ca = [c for bar in beat_chords(a, melody_a) for c in bar]
    cb = [c for bar in beat_chords(b, melody_b) for c in bar]
    pairs = [(x, y) for x, y in zip(ca, cb) if x is not None or y is not None]
    same_beats = sum(1 for x, y in pairs if x == y)
    kept_bars, b_bars = _accompaniment(a, b, {melody_a, *skip}, {melody_b, *skip})
    line_a, line_b = _line(a, melody_a), _line(b, melody_b)
    on_b = [n[0] for n in line_b]
    match = [_near(on_b, n[0]) for n in line_a]
    same_steps = sum(1 for k in range(len(line_a) - 1)
                     if match[k] is not None and match[k + 1] is not None and match[k] != match[k + 1]
                     and line_b[match[k + 1]][3] - line_b[match[k]][3] == line_a[k + 1][3] - line_a[k][3])
    share = lambda k, of: round(k / of, 3) if of > 0 else None  # noqa: E731
    return {"chords_per_beat": share(same_beats, len(pairs)), "beats": len(pairs),
            "accompaniment_bars": share(kept_bars, b_bars), "bars": b_bars,
            "melody_onsets": share(sum(m is not None for m in match), len(line_a)),
            "onsets": len(line_a), "melody_intervals": share(same_steps, len(line_a) - 1)}


def _accompaniment(a, b, out_a: set, out_b: set) -> tuple[int, int]:
    def by_channel(piece, out):
        chans = sorted({n[2] for n in piece.notes if n[2] not in out})
        return {ch: bar_contents([n for n in piece.notes if n[2] == ch], piece) for ch in chans}

    ours = {ch: set(bars) - {None} for ch, bars in by_channel(a, out_a).items()}
    kept = total = 0
    for ch, bars in by_channel(b, out_b).items():
        for content in bars:
            if content is not None:
                total += 1
                kept += content in ours.get(ch, ())
    return kept, total


def _line(piece, melody: int | None) -> list:
    from .analyze import top_line

    return top_line([n for n in piece.pitched if n[2] == melody]) if melody is not None else []


def _near(ticks: list[int], t: int) -> int | None:
    """The index of the onset in sorted ``ticks`` nearest to ``t``, if within ONSET_TOLERANCE."""
    i = bisect_right(ticks, t)
    near = min((j for j in (i - 1, i) if 0 <= j < len(ticks)), key=lambda j: abs(ticks[j] - t), default=None)
    return near if near is not None and abs(ticks[near] - t) <= ONSET_TOLERANCE else None



def _figure(x, unit: str = "") -> str:
    return "-" if x is None else f"{x}{unit}"


def text(form: dict) -> str:
    """The ``form`` section as one line of the text report."""
    loop, rep, dens, arc = form["chord_loop"], form["melody_repeats"], form["density"], form["melody_arc"]
    line = (f"form: longest chord loop {loop['bars']} bars"
            + (f" (period {loop['period']}, from bar {loop['start_bar']})" if loop["bars"] else "")
            + f", melody bars after {AFTER:g} s repeating an earlier bar {_figure(rep['share'])}"
            + f", density over {dens['block_bars']}-bar blocks cv {_figure(dens['cv'])}"
            + f", melody range {_figure(arc['range'])} semitones, top note {_figure(arc['top_per_minute'])}/min"
            + f", pitches sounding {form['pitches_sounding']}, chromatic share {form['chromatic_share']}")
    if form["leading_tone_notes"] is not None:
        line += f", leading tone {form['leading_tone_notes']} notes"
    return line


def compare_text(shared: dict) -> str:
    """How much the stream shares with the --compare piece, as one line."""
    return (f"compare: same chord on {_figure(shared['chords_per_beat'])} of {shared['beats']} beats, "
            f"accompaniment bars shared {_figure(shared['accompaniment_bars'])} of {shared['bars']}, "
            f"melody onsets kept {_figure(shared['melody_onsets'])} of {shared['onsets']}, "
            f"melody intervals kept {_figure(shared['melody_intervals'])}")

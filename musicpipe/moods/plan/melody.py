"""The melody of a whole piece, written section by section from ideas that develop.

Each theme (A, B, C...) is a phrase built from a one-bar idea: stated, sequenced on the next
chord, developed (inverted, its rhythm varied, fragmented) and closed; B and C grow from A's
idea (inverted, re-rhythmed) or state one of their own. A phrase climbs to one high point
and falls to its close; only the piece's climax (the lift, or a late section) reaches the
top of the register, the others stop a step or two below. A returning theme is varied: a new
answer in its second half, an ornamented rhythm, a bar moved up a step. A breakdown plays
fragments of the idea, a build sequences it upward into the return. The last note of each
half-phrase is shortened: the tune breathes. Every decision has a generator of its own
(``rng_of``), so the tune does not depend on the key, the tempo or the intensity.
"""

from __future__ import annotations

from ...generators.phrase import Idea, Writer, fit

# Grooves that move a bar's first note off the downbeat: (chance of anticipating it by an
# eighth, chance of a rest on the downbeat with the note an eighth late).
PUSH = {"four-on-the-floor": (0.45, 0.1), "synthwave": (0.25, 0.4), "backbeat": (0.35, 0.1),
        "lofi": (0.15, 0.3), "show": (0.3, 0.0)}
PEAK_AT = {"arch": 0.6, "wave": 0.45, "ascending": 0.8, "descending": 0.2, "random": None}


class Melody:
    """Writes the piece's melody into (t, dur, key) notes: ``writer`` knows the register
    and the rhythm cells, ``rng_of(*names)`` gives each decision its generator."""

    def __init__(self, writer: Writer, rng_of, *, bar: int, beat: int, contour: str,
                 groove: str | None = None):
        self.w, self.rng_of, self.bar, self.beat = writer, rng_of, bar, beat
        self.push = PUSH.get(groove or "", (0.0, 0.0))
        self.contour = contour
        self.ideas: dict[str, Idea] = {}
        self.stated: dict[str, list[tuple[list[int], list[int]]]] = {}
        self.top = len(writer.keys) - 1

    # -- ideas -----------------------------------------------------------------------------
    def idea(self, theme: str) -> Idea:
        if theme not in self.ideas:
            self.w.rng = self.rng_of("idea", theme)
            base = self.ideas.get("A")
            if base is None or self.w.rng.random() < 0.4:
                self.ideas[theme] = self.w.idea()
            else:  # grown from A's idea: inverted, its rhythm varied
                rhythm = self.w.varied(base.rhythm)
                moves = [-m for m in base.moves]
                self.ideas[theme] = Idea(rhythm, moves, self.w.varied(rhythm))
        return self.ideas[theme]

    # -- a phrase --------------------------------------------------------------------------
    def phrase(self, section, chords: list[set[int]], *, ceiling: int, low: int, goal: str,
               start_bar: int = 0, prev: int | None = None) -> list[tuple[list[int], list[int]]]:
        """Bars ``start_bar``.. of a phrase over ``chords`` (pitch classes per bar): the idea
        and its development, one high point (``ceiling``) and a close on ``goal``."""
        w = self.w
        n = len(chords)
        idea = self.idea(section.theme)
        where = PEAK_AT.get(self.contour)
        if where is None:
            where = 0.3 + 0.5 * w.rng.random()
        peak = max(0, min(n - 2, round(where * n))) if n > 1 else 0
        out = []
        for b in range(start_bar, n):
            chord = chords[b]
            closing = b == n - 1 and n > 1
            half = n >= 8 and b == n // 2 - 1
            rise = b / max(1, peak) if b <= peak else 1 - (b - peak) / max(1, n - peak)
            height = round(low + (ceiling - 1 - low) * max(0.0, min(1.0, rise)))
            if closing or half:
                rhythm = w.close_rhythm()
                idx = w.close(rhythm, prev if prev is not None else height, "half" if half else goal,
                              chord)
            else:
                role = b % 4
                toward = height if prev is None else w.clamp(prev + max(-2, min(2, height - prev)))
                first = w.nearest(toward, chord, reach=1)
                if role == 0:
                    rhythm, moves = idea.rhythm, idea.moves
                elif role == 1:
                    rhythm, moves = idea.rhythm, idea.moves  # the sequence, a chord further
                elif role == 2:
                    rhythm, moves = idea.varied, [-m for m in idea.moves]
                else:  # fragmentation: the idea's head twice
                    head = max(1, len(idea.rhythm) // 2)
                    rhythm = fit(idea.rhythm[:head] * 4, self.bar, fill=True)
                    moves = idea.moves[:max(1, head - 1)] + [-1] + idea.moves[:max(1, head - 1)]
                idx = w.bar_notes(rhythm, moves, first, chord)
            cap = ceiling - 1 - (section.shift > 0)  # a lift is higher; the peak is struck once
            idx = [_under(j, cap) for j in idx]
            if b == peak and not closing:
                high = max(range(len(idx)), key=lambda i: (idx[i], -i))
                idx[high] = ceiling
            out.append((list(rhythm), idx))
            prev = idx[-1]
        return out

    # -- the piece -------------------------------------------------------------------------
    def section(self, section, chords: list[set[int]], *, climax: bool, goal: str,
                prev: int | None) -> list[tuple[list[int], list[int]]]:
        """The bars of one section: a theme's statement, a varied return, a breakdown's
        fragments or a build's rising sequence."""
        w = self.w
        rng = self.rng_of("section", section.theme, section.index, section.role)
        w.rng = rng
        ceiling = self.top if climax else self.top - 1 - (rng.random() < 0.5)
        ceiling = max(2, ceiling)
        low = min(ceiling - 3, self._low(section))
        if section.role == "build":
            return self._build(section, chords, ceiling - 1, low)
        stated = self.stated.get(section.theme)
        if stated is None or len(stated) < len(chords):
            w.rng = self.rng_of("theme", section.theme, len(chords))
            bars = self.phrase(section, chords, ceiling=ceiling, low=low, goal=goal, prev=prev)
            if stated is None or len(bars) > len(stated):
                self.stated[section.theme] = bars
        else:
            bars = self._vary(section, stated[:len(chords)], chords, ceiling, low, goal, rng)
        if section.role == "breakdown":
            bars = [_head(r, i, self.bar // 2, self.bar) if b % 2 == 0 else ([self.bar], [-1])
                    for b, (r, i) in enumerate(bars)]
            return _cap(bars, ceiling - 1)
        return _crown(bars, ceiling, ceiling - 1 - (section.shift > 0))

    def _low(self, section) -> int:
        """Where a phrase starts: the opening degree the seed picks for the theme."""
        rng = self.rng_of("opening", section.theme)
        return rng.choice((0, 1, 2, 2, 3))

    def _vary(self, section, stated, chords, ceiling, low, goal, rng):
        w = self.w
        n = len(stated)
        kinds = ["answer", "ornament", "sequence"]
        first = kinds.pop(int(rng.random() * 3))
        ways = {first} | ({kinds[int(rng.random() * 2)]} if section.index >= 2 else set())
        bars = list(stated)
        if "answer" in ways and n >= 2:
            keep = n // 2
            w.rng = rng
            bars = bars[:keep] + self.phrase(section, chords, ceiling=ceiling, low=low, goal=goal,
                                             start_bar=keep, prev=bars[keep - 1][1][-1])
        if "ornament" in ways:
            out = []
            for b, (rhythm, idx) in enumerate(bars):
                if b % 2 == 1 and b < n - 1 and len(rhythm) >= 2:
                    varied = w.varied(rhythm)
                    moves = [y - x for x, y in zip(idx, idx[1:])] or [0]
                    new = w.bar_notes(varied, moves, idx[0], chords[b])
                    out.append((varied, [_under(j, ceiling - 1) for j in new]))
                else:
                    out.append((rhythm, idx))
            bars = out
        if "sequence" in ways:
            bars = [(r, [_under(w.clamp(j + 1), ceiling - 1) for j in i]) if b % 4 == 1 and b < n - 1
                    else (r, i) for b, (r, i) in enumerate(bars)]
        if n >= 2:  # the close this return needs (a half close, the lead into the end)
            rhythm = w.close_rhythm()
            bars[-1] = (rhythm, w.close(rhythm, bars[-2][1][-1] if n >= 2 else low, goal, chords[-1]))
        return bars

    def render(self, bars, start: int, prev_key: int | None, rng) -> list[tuple[int, int, int]]:
        """(t, dur, key) from ``start``: index -1 is a rest; a leap over a fifth folds an
        octave toward the last note (never up to the phrase's peak, nor the peak itself); inner off-beat notes may rest; the last note of every
        4-bar group is cut by half a beat (a breath); chromatic passing tones if asked."""
        w = self.w
        w.rng = rng
        out = []
        last = prev_key
        peak = max((w.keys[j] for _, idx in bars for j in idx if j >= 0), default=0)
        for b, (rhythm, idx) in enumerate(bars):
            t = start + b * self.bar
            for n, (d, j) in enumerate(zip(rhythm, idx)):
                inner = 0 < n < len(rhythm) - 1 and (t - start) % self.beat
                if j < 0 or (inner and rng.random() < w.rest):
                    t += d
                    continue
                key = w.keys[j]
                if last is not None and abs(key - last) > 7 and key != peak:
                    octave = key - 12 if key > last else key + 12
                    if w.keys[0] <= octave <= w.keys[-1] and octave < peak:
                        key = octave
                if b % 4 == 3 and n == len(rhythm) - 1 and d > self.beat:
                    d -= self.beat // 2
                out.append((t, d, key))
                last = key
                t += d
        return w._passing(self._pushed(out, start, len(bars), rng))

    def _pushed(self, notes, start: int, bars: int, rng):
        """The groove's syncopation: inside a section, a bar's first note anticipated by an
        eighth (the note before it shortened) or placed an eighth late."""
        early, late = self.push
        if not (early or late):
            return notes
        eighth = self.beat // 2
        out = list(notes)
        for i, (t, d, k) in enumerate(out):
            if (t - start) % self.bar or t == start or t - start >= (bars - 1) * self.bar or d <= eighth:
                continue
            x = rng.random()
            before = out[i - 1] if i else None
            if x < early and before and before[0] + before[1] == t and before[1] > eighth:
                out[i - 1] = (before[0], before[1] - eighth, before[2])
                out[i] = (t - eighth, d + eighth, k)
            elif x > 1 - late and (i + 1 >= len(out) or out[i + 1][0] > t + eighth):
                out[i] = (t + eighth, d - eighth, k)
        return out

    def _build(self, section, chords, ceiling, low):
        """The idea's head sequenced up a step each bar, into the return."""
        w = self.w
        idea = self.idea(section.theme)
        head = fit(idea.rhythm, self.bar // 2, fill=True)
        moves = idea.moves[:max(1, len(head) - 1)]
        out = []
        n = len(chords)
        for b, chord in enumerate(chords):
            height = low + round((ceiling - low) * b / max(1, n - 1))
            first = w.nearest(height, chord, reach=1)
            idx = [_under(j, ceiling - 1) for j in w.bar_notes(head + head, moves + [-1] + moves, first, chord)]
            out.append((head + head, idx))
        return out




def _head(rhythm: list[int], idx: list[int], length: int, bar: int) -> tuple[list[int], list[int]]:
    """The bar's first ``length`` ticks, then a rest to the bar's end: a fragment."""
    r, i, at = [], [], 0
    for d, j in zip(rhythm, idx):
        if at >= length:
            break
        d = min(d, length - at)
        r.append(d)
        i.append(j)
        at += d
    return r + [bar - at], i + [-1]


def _under(j: int, cap: int) -> int:
    """An index kept at or under ``cap`` by turning back (a step down, not a repeat)."""
    return j if j <= cap or j < 0 else max(0, 2 * cap - j)


def _cap(bars, cap: int):
    return [(r, [_under(j, cap) for j in i]) for r, i in bars]


def _crown(bars, ceiling: int, cap: int):
    """The phrase's high point struck once: its highest note (the first of them, before
    the close) at ``ceiling``, reached and left by step: the notes before and after it are
    raised into a run where they lie further below (the close bar keeps its notes); every
    other note at most ``cap``."""
    out = _cap(bars, cap)
    spots = [(b, n) for b, (_, i) in enumerate(out[:-1] if len(out) > 1 else out)
             for n, j in enumerate(i) if j >= 0]
    if not spots:
        return out
    peak = max(range(len(spots)), key=lambda k: (out[spots[k][0]][1][spots[k][1]], -k))
    b, n = spots[peak]
    out[b][1][n] = ceiling
    for way in (-1, 1):
        k, d = peak + way, 1
        while 0 <= k < len(spots) and (way < 0 or spots[k][0] < len(out) - 1):
            bb, nn = spots[k]
            want = min(cap, ceiling - d)
            if out[bb][1][nn] >= want:
                break
            out[bb][1][nn] = want
            k, d = k + way, d + 1
    return out

"""What a listener hears, in numbers: the measures `analyze` reports and the tests assert.

Per track and for the whole piece: notes, range, pitch classes, pitch-class entropy, scale
consistency, polyphony, notes per second; a key estimate (Krumhansl-Kessler profiles); the
melody's steps and leaps and whether the accompaniment buries it; repetition (how alike
each bar's harmony is to the bar one loop earlier); and how the piece ends (on a bar line, on the tonic
chord, a held tonic-chord melody note, drums ending on one hit, no blips at the cut).
Symbolic measures follow MusPy's definitions where it has one (pitch-class entropy, scale
consistency, polyphony).
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Iterable
from heapq import heappop, heappush

from . import longform
from .events import DRUM_CHANNEL, PPQ
from .meter import bar_count, bar_line_at_or_after, bar_lines, seconds_at

MAX_BARS = 20_000
"""Bar-by-bar measures (repetition) stop here: a far note must not cost millions of bars."""
from .theory import SCALES, key_name, note_name, parse_key, tonic_triad, track_name

STEP = PPQ // 4  # the grid for polyphony: a sixteenth note
LAGS = (1, 2, 4, 8)  # bars: how far back a repeat is looked for
MELODY_WORDS = ("melody", "lead", "tune", "hook", "solo", "vocal")

# Krumhansl-Kessler key profiles (Krumhansl 1990), from the tonic up.
_MAJOR = (6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88)
_MINOR = (6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17)


class Piece:
    """The notes and time grid of a stream, gathered once (``add`` batch by batch, then
    ``finish``) for every measure; a note is kept as a tuple, not its event."""

    def __init__(self, events: Iterable[dict] = ()):
        self.notes: list[tuple[int, int, int, int, int]] = []  # t, dur, ch, key, vel
        self.tempos: list[tuple[int, float]] = []
        self.sigs: list[tuple[int, int, int]] = []
        self.names: dict[int, str] = {}
        self.programs: dict[int, int] = {}
        self.key: tuple[int, str] | None = None
        self.chords: list[tuple[int, int, str]] = []  # t, dur, name
        self._end: int | None = None
        self.add(events)

    def add(self, events: Iterable[dict]) -> None:
        end = self._end
        for ev in events:
            typ = ev["type"]
            if typ == "Note":
                self.notes.append((ev["t"], ev["dur"], ev["ch"], ev["key"], ev["vel"]))
            elif typ == "Tempo":
                self.tempos.append((ev["t"], ev["bpm"]))
            elif typ == "TimeSig":
                self.sigs.append((ev["t"], ev["num"], ev["den"]))
            elif typ == "Marker" and ev.get("ch") is not None:
                self.names.setdefault(ev["ch"], ev["text"])
            elif typ == "ProgramChange":
                self.programs.setdefault(ev["ch"], ev["program"])
            elif typ == "KeySig" and self.key is None:
                self.key = parse_key(f"{ev['key']} {ev['mode']}")
            elif typ == "Chord":
                self.chords.append((ev["t"], ev["dur"], ev["name"]))
            elif typ == "End":
                end = ev["t"] if end is None else max(end, ev["t"])
        self._end = end

    def finish(self) -> Piece:
        """Sort what was gathered and fix the end: the End, else the last note's end."""
        self.notes.sort()
        self.tempos.sort()
        self.sigs.sort()
        self.chords.sort()
        last = max((t + d for t, d, *_ in self.notes), default=0)
        self.end = last if self._end is None else self._end
        self.pitched = [n for n in self.notes if n[2] != DRUM_CHANNEL]
        return self

    def seconds(self, tick: int) -> float:
        """Seconds from 0 to ``tick`` under the tempo map (120 BPM before the first Tempo)."""
        return seconds_at(sorted(self.tempos))(tick)

    def bar_count(self) -> int:
        return bar_count(max(self.end, 1), self.sigs)

    def bars(self) -> list[tuple[int, int]]:
        """(start, end) of every bar that starts before the end of the piece; none past
        MAX_BARS (the measures that need them are then left out)."""
        if self.bar_count() > MAX_BARS:
            return []
        out = []
        for start, beats, beat in bar_lines(self.sigs):
            if start >= max(self.end, 1):
                return out
            out.append((start, start + beats * beat))
        return out

    def channels(self) -> list[int]:
        return sorted({n[2] for n in self.notes})

    def label(self, ch: int) -> str:
        name = self.names.get(ch) or (track_name(self.programs.get(ch), ch)
                                      if ch in self.programs or ch == DRUM_CHANNEL else "")
        return f"ch {ch}" + (f" {name}" if name else "")


def pitch_classes(notes) -> list[int]:
    """A 12-bin histogram of pitch classes (note counts)."""
    hist = [0] * 12
    for n in notes:
        hist[n[3] % 12] += 1
    return hist


def entropy(hist: list[int]) -> float:
    """Shannon entropy of a histogram, in bits (0 for one pitch class, log2 12 for all even)."""
    total = sum(hist)
    return -sum(c / total * math.log2(c / total) for c in hist if c) if total else 0.0


def scale_consistency(hist: list[int]) -> float:
    """The largest share of notes that fits one major or minor scale (MusPy's measure)."""
    total = sum(hist)
    if not total:
        return 0.0
    best = 0
    for steps in (SCALES["major"], SCALES["minor"]):
        for root in range(12):
            best = max(best, sum(hist[(root + s) % 12] for s in steps))
    return best / total


def estimate_key(notes) -> tuple[int, str, float]:
    """The key whose Krumhansl-Kessler profile best correlates with the duration-weighted
    pitch classes: (root, 'major'|'minor', correlation)."""
    weights = [0.0] * 12
    for t, dur, ch, key, vel in notes:
        weights[key % 12] += dur
    best = (0, "major", -2.0)
    if not any(weights):
        return best
    for mode, profile in (("major", _MAJOR), ("minor", _MINOR)):
        for root in range(12):
            r = _correlation(weights, [profile[(pc - root) % 12] for pc in range(12)])
            if r > best[2]:
                best = (root, mode, r)
    return best


def _correlation(a: list[float], b: list[float]) -> float:
    ma, mb = sum(a) / len(a), sum(b) / len(b)
    cov = sum((x - ma) * (y - mb) for x, y in zip(a, b))
    var = math.sqrt(sum((x - ma) ** 2 for x in a) * sum((y - mb) ** 2 for y in b))
    return cov / var if var else 0.0


def polyphony(notes) -> float:
    """The mean number of notes sounding, over the sixteenth-note steps where any sounds."""
    changes: dict[int, int] = {}
    for t, dur, *_ in notes:
        first, last = -(-t // STEP), -(-(t + dur) // STEP)  # steps whose start it covers
        if last > first:
            changes[first] = changes.get(first, 0) + 1
            changes[last] = changes.get(last, 0) - 1
    sounding = steps = total = 0
    prev = None
    for step in sorted(changes):
        if prev is not None and sounding:
            steps += step - prev
            total += sounding * (step - prev)
        sounding += changes[step]
        prev = step
    return total / steps if steps else 0.0


def top_line(notes) -> list[tuple[int, int, int, int, int]]:
    """The highest note at each onset: the line a listener follows in a melody track."""
    top: dict[int, tuple] = {}
    for n in notes:
        if n[0] not in top or n[3] > top[n[0]][3]:
            top[n[0]] = n
    return [top[t] for t in sorted(top)]


def find_melody(piece: Piece, melody: int | None = None) -> int | None:
    """The melody's channel: ``melody`` if given, else a track named like a melody (lead,
    melody, tune...), else the highest mostly-monophonic pitched track."""
    if melody is not None:
        return melody
    pitched = sorted({n[2] for n in piece.pitched})
    for ch in pitched:
        if any(word in piece.names.get(ch, "").lower() for word in MELODY_WORDS):
            return ch
    best, best_mean = None, -1.0
    for ch in pitched:
        notes = [n for n in piece.pitched if n[2] == ch]
        mean = sum(n[3] for n in notes) / len(notes)
        if polyphony(notes) <= 1.2 and mean > best_mean:
            best, best_mean = ch, mean
    return best


def melody_measures(piece: Piece, ch: int) -> dict:
    """Steps (1-2 semitones), leaps over 7 semitones and repeats between consecutive melody
    notes; how many melody notes have an accompaniment note at or above them (buried), or
    at the same key (doubled at the unison)."""
    line = top_line([n for n in piece.pitched if n[2] == ch])
    moves = [abs(b[3] - a[3]) for a, b in zip(line, line[1:])]
    others = [n for n in piece.pitched if n[2] != ch]  # sorted by start, like piece.notes
    sounding: dict[int, int] = {}  # key -> how many other notes sound on it now
    ends: list[tuple[int, int]] = []
    buried = unison = i = 0
    for t, _, _, key, _ in line:  # a sweep: add what started, retire what ended
        while i < len(others) and others[i][0] <= t:
            heappush(ends, (others[i][0] + others[i][1], others[i][3]))
            sounding[others[i][3]] = sounding.get(others[i][3], 0) + 1
            i += 1
        while ends and ends[0][0] <= t:
            k = heappop(ends)[1]
            sounding[k] -= 1
            if not sounding[k]:
                del sounding[k]
        buried += bool(sounding) and max(sounding) >= key
        unison += key in sounding
    share = (lambda count, of: round(count / len(of), 3) if of else 0.0)  # noqa: E731
    return {"ch": ch, "name": piece.label(ch), "notes": len(line),
            "steps": share(sum(1 <= m <= 2 for m in moves), moves),
            "leaps_over_7": share(sum(m > 7 for m in moves), moves),
            "repeats": share(sum(m == 0 for m in moves), moves),
            "buried": share(buried, line), "unison": share(unison, line)}


def loop_similarity(piece: Piece) -> dict:
    """How alike each bar is to the bar ``lag`` bars earlier, averaged, for lags of 1, 2, 4
    and 8 bars: the cosine of the two bars' chroma (how long each pitch class sounds in the
    bar, over the pitched notes). ``similarity`` is the largest; a chord loop under the whole
    piece measures near 1.0 whatever the melody does, music with sections well below."""
    bars = piece.bars()
    starts = [b[0] for b in bars]
    chroma = [[0.0] * 12 for _ in bars]
    for t, dur, _, key, _ in piece.pitched:
        i = bisect_right(starts, t) - 1
        end = t + dur
        while 0 <= i < len(bars) and bars[i][0] < end:
            chroma[i][key % 12] += min(end, bars[i][1]) - max(t, bars[i][0])
            i += 1
    norms = [math.sqrt(sum(x * x for x in c)) for c in chroma]
    by_lag = {}
    for lag in LAGS:
        sims = [sum(x * y for x, y in zip(chroma[i], chroma[i + lag])) / (norms[i] * norms[i + lag])
                for i in range(len(bars) - lag) if norms[i] and norms[i + lag]]
        if len(sims) >= 2:
            by_lag[str(lag)] = round(sum(sims) / len(sims), 3)
    best = max(by_lag, key=by_lag.get, default=None)
    return {"similarity": by_lag.get(best, 0.0), "lag": int(best) if best else None, "by_lag": by_lag}


def ending(piece: Piece, key: tuple[int, str], melody: int | None) -> dict:
    """How the piece ends: the final sound on a bar line, the tonic chord under it, the last
    melody note (a tonic-chord tone, how long held), drum hits in the final bar, blips (notes
    under 10 ticks) in the last beat, notes starting in the last eighth of a beat, and the
    final bar's mean velocity against the piece's."""
    if not piece.notes:
        return {}
    end = piece.end
    last_onset = max(n[0] for n in piece.notes)
    on_bar = bar_line_at_or_after(last_onset, piece.sigs) == last_onset
    final_bar = (_bar_start(last_onset, piece.sigs), end)
    tonic, mode = key
    triad = set(tonic_triad(tonic, mode))
    sounding = [n for n in piece.pitched if n[0] <= end - 1 < n[0] + n[1]]
    if not sounding and piece.pitched:
        final_t = max(n[0] for n in piece.pitched)
        sounding = [n for n in piece.pitched if n[0] == final_t]
    pcs = {n[3] % 12 for n in sounding}
    bass = min(sounding, key=lambda n: n[3])[3] % 12 if sounding else None
    extensions = triad | {(tonic + i) % 12 for i in (2, 9, 10 if mode != "major" else 11)}
    out = {
        "final_onset_on_bar": on_bar,
        "final_chord": sorted(pcs), "final_bass": bass,
        "final_chord_tonic": bool(pcs) and bass == tonic and pcs <= extensions,
        "drum_hits_final_bar": len({n[0] for n in piece.notes
                                    if n[2] == DRUM_CHANNEL and n[0] >= final_bar[0]}),
        "blips_last_beat": sum(1 for n in piece.notes if n[0] >= end - PPQ and n[1] < 10),
        "onsets_last_eighth_beat": sum(1 for n in piece.notes if n[0] >= end - PPQ // 8),
    }
    vel_all = sum(n[4] for n in piece.notes) / len(piece.notes)
    tail = [n[4] for n in piece.notes if n[0] >= final_bar[0]]
    out["final_bar_velocity"] = round(sum(tail) / len(tail) / vel_all, 3) if tail else 0.0
    if melody is not None:
        line = top_line([n for n in piece.pitched if n[2] == melody])
        if line:
            t, dur, _, k, _ = line[-1]
            out["melody_last"] = note_name(k)
            out["melody_last_tonic_chord"] = k % 12 in triad
            out["melody_last_beats"] = round(dur / PPQ, 2)
    return out


def _bar_start(t: int, sigs) -> int:
    """The start of the bar holding tick ``t``."""
    n = bar_count(t + 1, sigs)  # bars starting at or before t
    from .meter import bar_tick

    return bar_tick(n - 1, sigs) if n else 0


def track_measures(piece: Piece, ch: int, seconds: float) -> dict:
    notes = [n for n in piece.notes if n[2] == ch]
    keys = [n[3] for n in notes]
    out = {"ch": ch, "name": piece.label(ch), "notes": len(notes),
           "notes_per_second": round(len(notes) / seconds, 2) if seconds else 0.0}
    if ch != DRUM_CHANNEL:
        hist = pitch_classes(notes)
        out.update(range=[note_name(min(keys)), note_name(max(keys))],
                   pitch_classes=sum(1 for c in hist if c),
                   pitch_class_entropy=round(entropy(hist), 3),
                   scale_consistency=round(scale_consistency(hist), 3),
                   polyphony=round(polyphony(notes), 2))
    return out


def analyze(events: Iterable[dict] | Piece, *, key: tuple[int, str] | None = None,
            melody: int | None = None, compare: Iterable[dict] | Piece | None = None) -> dict:
    """The whole report as a dict (what `analyze --json` writes).

    ``key`` is the key endings are judged in: given, else the stream's KeySig, else the
    estimate. ``melody`` is the melody's channel (default: found, see ``find_melody``).
    ``compare``: another piece; the report then says how much this one shares with it.
    """
    piece = (events if isinstance(events, Piece) else Piece(events)).finish()
    seconds = piece.seconds(piece.end)
    est_root, est_mode, r = estimate_key(piece.pitched)
    key = key or piece.key or (est_root, est_mode)
    hist = pitch_classes(piece.pitched)
    melody_ch = find_melody(piece, melody) if piece.pitched else None
    report = {
        "seconds": round(seconds, 3), "ticks": piece.end, "bars": piece.bar_count(),
        "key": key_name(*key), "key_estimate": key_name(est_root, est_mode),
        "key_correlation": round(r, 3),
        "notes": len(piece.notes), "pitched_notes": len(piece.pitched),
        "pitched_notes_per_second": round(len(piece.pitched) / seconds, 2) if seconds else 0.0,
        "pitch_classes": sum(1 for c in hist if c),
        "pitch_class_entropy": round(entropy(hist), 3),
        "scale_consistency": round(scale_consistency(hist), 3),
        "polyphony": round(polyphony(piece.pitched), 2),
        "repetition": loop_similarity(piece),
        "tracks": [track_measures(piece, ch, seconds) for ch in piece.channels()],
        "melody": melody_measures(piece, melody_ch) if melody_ch is not None else None,
        "ending": ending(piece, key, melody_ch),
        "form": longform.measures(piece, key, melody_ch, top_line(
            [n for n in piece.pitched if n[2] == melody_ch])),
    }
    if compare is not None:
        other = (compare if isinstance(compare, Piece) else Piece(compare)).finish()
        other_melody = find_melody(other, melody) if other.pitched else None
        report["compare"] = longform.compare(other, piece, other_melody, melody_ch)
    return report


def loudness(path) -> dict:
    """A rendered file's integrated loudness (ITU-R BS.1770-4) and true peak, and the
    loudness of its last second against its loudest second (any format soundfile reads;
    read in blocks: musicpipe.audio.measure)."""
    from .audio.measure import file_levels

    return file_levels(path)


def report_text(report: dict) -> str:
    """The report as a listener's summary, a few lines for stderr."""
    lines = [f"analyze: {report['notes']} notes, {report['seconds']:.1f} s, {report['bars']} bars, "
             f"key {report['key']} (estimate {report['key_estimate']}, r {report['key_correlation']}); "
             f"{report['pitch_classes']} pitch classes, entropy {report['pitch_class_entropy']}, "
             f"scale consistency {report['scale_consistency']}, polyphony {report['polyphony']}, "
             f"{report['pitched_notes_per_second']} pitched notes/s"]
    for tr in report["tracks"]:
        if "range" in tr:
            lines.append(f"  {tr['name'][:28]:<28} {tr['notes']:>5} notes  {tr['range'][0]}..{tr['range'][1]}"
                         f"  {tr['pitch_classes']} pcs  poly {tr['polyphony']}  {tr['notes_per_second']}/s")
        else:
            lines.append(f"  {tr['name'][:28]:<28} {tr['notes']:>5} hits   {tr['notes_per_second']}/s")
    mel = report["melody"]
    if mel:
        lines.append(f"melody ({mel['name']}): steps {mel['steps']}, leaps over 7 semitones "
                     f"{mel['leaps_over_7']}, repeats {mel['repeats']}, under the accompaniment "
                     f"{mel['buried']}, unisons {mel['unison']}")
    rep = report["repetition"]
    lines.append(f"repetition: loop similarity {rep['similarity']}"
                 + (f" (at {rep['lag']} bars)" if rep["lag"] else ""))
    if report.get("form"):
        lines.append(longform.text(report["form"]))
    end = report["ending"]
    if end:
        yes = lambda v: "yes" if v else "no"  # noqa: E731
        text = (f"ending: final sound on a bar line {yes(end['final_onset_on_bar'])}, tonic chord "
                f"{yes(end['final_chord_tonic'])}")
        if "melody_last" in end:
            text += (f", last melody note {end['melody_last']} held {end['melody_last_beats']} beats "
                     f"(tonic chord tone {yes(end['melody_last_tonic_chord'])})")
        text += (f", drum hits in the final bar {end['drum_hits_final_bar']}, blips in the last beat "
                 f"{end['blips_last_beat']}, final bar velocity {end['final_bar_velocity']}x the piece")
        lines.append(text)
    if "loudness" in report:
        loud = report["loudness"]
        lines.append(f"loudness: {loud['integrated_lufs']} LUFS integrated, true peak "
                     f"{loud['true_peak_dbtp']} dBTP, last second {loud['last_second_lufs']}, "
                     f"loudest second {loud['loudest_second_lufs']}")
    if "compare" in report:
        lines.append(longform.compare_text(report["compare"]))
    return "\n".join(lines) + "\n"

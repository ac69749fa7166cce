"""Drawing a stream: a sparkline per channel, a text piano roll, an SVG piano roll.

``Piece`` keeps a compact copy of the notes (five integers each), not the stream, so a
long piece costs about 40 bytes a note.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Iterator
from html import escape

from .events import DRUM_CHANNEL, PPQ
from .meter import bar_count, bar_lines, seconds_at
from .errors import printable
from .theory import note_name, track_name

SYMBOLS = "0123456789ABCDEF"
"""One character per channel in the piano roll: the channel number in hex."""

# SVG colours per channel (colour-blind-friendly first, then distinct extras).
COLOURS = ("#4477aa", "#ee6677", "#228833", "#ccbb44", "#66ccee", "#aa3377", "#bbbbbb",
           "#ee7733", "#0077bb", "#222222", "#009988", "#cc3311", "#33bbee", "#ee3377",
           "#997700", "#6699cc")
ANSI = (34, 31, 32, 33, 36, 35, 37, 91, 94, 90, 96, 92, 93, 95, 97, 39)
SPARKS = "▁▂▃▄▅▆▇█"
MAX_BARS = 2000        # more bars than this are drawn without bar and beat lines
MAX_ROLL_COLUMNS = 20_000  # a longer roll gets a wider --step


def _shown(name: str) -> str:
    """A track name as drawn on a terminal and into XML: escapes as text, at most 60
    characters."""
    name = printable(name)
    return name if len(name) <= 60 else name[:57] + "..."


class Piece:
    """What viz draws: notes as flat (t, dur, ch, key, vel) integers, plus the time grid."""

    def __init__(self) -> None:
        self.notes = array("q")
        self.sigs: list[tuple[int, int, int]] = []
        self.tempos: list[tuple[int, float]] = []
        self.names: dict[int, str] = {}
        self.programs: dict[int, int] = {}
        self.end = 0
        self.track_of = array("H")       # per note: 0, or 1 + its index in ``tracks``
        self.tracks: list[str] = []      # the track names notes carry, first seen first
        self.part_names: dict[tuple[int, str], str] = {}  # (ch, track) -> its Marker's text

    def add(self, events: Iterable[dict]) -> None:
        extend = self.notes.extend
        end = self.end
        for ev in events:
            typ = ev["type"]
            if typ == "Note":
                t, dur = ev["t"], ev["dur"]
                extend((t, dur, ev["ch"], ev["key"], ev["vel"]))
                track = ev.get("track")
                self.track_of.append(0 if track is None else self._track_id(track))
                if t + dur > end:
                    end = t + dur
            elif typ == "TimeSig":
                self.sigs.append((ev["t"], ev["num"], ev["den"]))
            elif typ == "Tempo":
                self.tempos.append((ev["t"], ev["bpm"]))
            elif typ == "End":
                end = max(end, ev["t"])
            elif typ == "ProgramChange":
                self.programs.setdefault(ev["ch"], ev["program"])
            elif typ == "Marker" and ev.get("ch") is not None:
                text = _shown(ev["text"])
                self.names.setdefault(ev["ch"], text)
                self.part_names.setdefault((ev["ch"], ev.get("track") or ""), text)
        self.end = end

    def _track_id(self, track: str) -> int:
        if track not in self.tracks:
            self.tracks.append(track)
        return self.tracks.index(track) + 1

    def parts(self) -> list[dict]:
        """The tracks a file of this stream has (to-midi's parts: a channel, or a track name
        on a channel), by channel: ch, track, label, colour (a channel's first part has the
        channel's colour, others a colour no channel here uses), notes."""
        counts: dict[tuple[int, int], int] = {}
        for ch, tid in zip(self.notes[2::5], self.track_of):
            counts[ch, tid] = counts.get((ch, tid), 0) + 1
        spare = [c for i, c in enumerate(COLOURS) if i not in {ch for ch, _ in counts}]
        out, seen = [], set()
        for ch, tid in sorted(counts):
            track = self.tracks[tid - 1] if tid else ""
            colour = COLOURS[ch] if ch not in seen else spare.pop(0) if spare else COLOURS[ch]
            seen.add(ch)
            name = self.part_names.get((ch, track)) or _shown(track)
            label = f"ch {ch} {name}" if name else self.label(ch)
            out.append({"ch": ch, "track": track, "id": tid, "label": label, "colour": colour,
                        "notes": counts[ch, tid]})
        return out

    def note_tuples(self) -> list[tuple[int, int, int, int, int]]:
        """Every note as (t, dur, ch, key, vel), in time order (the roll and SVG need it)."""
        return sorted(self.unsorted())

    def unsorted(self) -> Iterator[tuple[int, int, int, int, int]]:
        """Every note, in arrival order, without building a list (the sparkline's need)."""
        n = self.notes
        return zip(n[0::5], n[1::5], n[2::5], n[3::5], n[4::5])

    def channels(self) -> list[int]:
        return sorted(set(self.notes[2::5]))

    def seconds(self, tick: int) -> float:
        """Seconds from 0 to ``tick`` under the tempo map (120 BPM before the first Tempo)."""
        return seconds_at(sorted(self.tempos))(tick)

    def bar_count(self) -> int:
        return bar_count(max(self.end, 1), self.sigs)

    def bars(self, limit: int = MAX_BARS) -> list[tuple[int, int, int]]:
        """(start, beats, beat length) of every bar that starts before the end; none when
        there are more than ``limit`` (a drawing of them would be all lines)."""
        if self.bar_count() > limit:
            return []
        out = []
        for bar in bar_lines(sorted(self.sigs)):
            if bar[0] >= max(self.end, 1):
                return out
            out.append(bar)
        return out

    def label(self, ch: int) -> str:
        """'ch 1 Bass': the track's Marker name, else its instrument's (as to-midi names it)."""
        name = self.names.get(ch)
        if not name and (ch in self.programs or ch == DRUM_CHANNEL):
            name = track_name(self.programs.get(ch), ch)
        return f"ch {ch}" + (f" {name}" if name else "")


def summary(piece: Piece) -> str:
    if not piece.notes:
        return "viz: no notes"
    keys = piece.notes[3::5]
    secs = piece.seconds(piece.end)
    bars = piece.bar_count()
    return (f"viz: {len(piece.notes) // 5} notes, channels {', '.join(map(str, piece.channels()))}, "
            f"{note_name(min(keys))}..{note_name(max(keys))}, {piece.end} ticks "
            f"({bars} bar{'s' if bars != 1 else ''}, {int(secs // 60)}:{secs % 60:04.1f})")


def _paint(text: str, ch: int, color: bool) -> str:
    return f"\033[{ANSI[ch]}m{text}\033[0m" if color else text


def sparkline(piece: Piece, width: int = 64, color: bool = False) -> str:
    """One line per channel over time: the highest key sounding in each column (drums: how
    many hits), scaled to the channel's own range; blank where the channel is silent."""
    lines = [summary(piece)]
    if not piece.notes:
        return lines[0] + "\n"
    span = max(piece.end, 1)
    cols = max(1, min(width, span))
    tops = {ch: [-1] * cols for ch in piece.channels()}
    for t, dur, ch, key, _ in piece.unsorted():
        top = tops[ch]
        first = t * cols // span
        last = first if ch == DRUM_CHANNEL else max(first, (t + dur - 1) * cols // span)
        for i in range(first, min(last, cols - 1) + 1):
            top[i] = top[i] + 1 if ch == DRUM_CHANNEL else max(top[i], key)
    for ch, top in tops.items():
        used = [v for v in top if v >= 0]
        lo, hi = (0, max(used)) if ch == DRUM_CHANNEL else (min(used), max(used))
        spark = "".join(" " if v < 0 else SPARKS[(v - lo) * 7 // (hi - lo) if hi > lo else 3]
                        for v in top)
        lines.append(f"{piece.label(ch)[:14]:<14} {_paint(spark, ch, color)}")
    return "\n".join(lines) + "\n"


def piano_roll(piece: Piece, step: int = PPQ // 4, width: int = 80, color: bool = False) -> str:
    """A text piano roll in time order: one row per key (name on the left, C4 = 60), one
    column per ``step`` ticks; a note is its channel's symbol at the onset, then '=' while
    it sounds; '*' where channels meet; ':' marks beats and '|' bars. Long pieces wrap into
    blocks of ``width`` characters."""
    notes = piece.note_tuples()
    if not notes:
        return summary(piece) + "\n"
    widened = max(step, -(-max(piece.end, 1) // MAX_ROLL_COLUMNS))
    step, asked = widened, step
    cols = -(-max(piece.end, 1) // step)
    keys = [n[3] for n in notes]
    lo, hi = min(keys), max(keys)
    grid = [[" "] * cols for _ in range(hi - lo + 1)]
    owner = [[-1] * cols for _ in range(hi - lo + 1)]
    numbers = [" "] * (cols + 8)
    bars = piece.bars(limit=cols)  # bars narrower than a column: no lines
    for n, (start, beats, beat) in enumerate(bars, 1):
        numbers[start // step:start // step + len(str(n))] = str(n)
        for b in range(beats):
            c = (start + b * beat) // step
            if c < cols:
                for row in grid:
                    row[c] = "|" if b == 0 else ":"
    for t, dur, ch, key, _ in notes:
        row, own = grid[hi - key], owner[hi - key]
        first = t // step
        for c in range(first, min(cols, max(first + 1, -(-(t + dur) // step)))):
            if own[c] not in (-1, ch):
                row[c], own[c] = "*", 16
            elif own[c] == -1:
                row[c], own[c] = (SYMBOLS[ch] if c == first else "="), ch
    label_w = 5
    per_block = max(8, width - label_w - 1)
    out = [summary(piece)]
    if step != asked:
        out.append(f"(one column = {step} ticks: {asked} would take more than "
                   f"{MAX_ROLL_COLUMNS:,} columns)")
    out += ["channels: " + ", ".join(
        _paint(SYMBOLS[ch], ch, color) + f" = {piece.label(ch)}" for ch in piece.channels())]
    for b0 in range(0, cols, per_block):
        b1 = min(cols, b0 + per_block)
        out.append(f"{'bar':>{label_w}} " + "".join(numbers[b0:b1]).rstrip())
        for i, row in enumerate(grid):
            cells = []
            for c in range(b0, b1):
                own = owner[i][c]
                cells.append(_paint(row[c], own, color) if 0 <= own < 16 else row[c])
            out.append(f"{note_name(hi - i):>{label_w}}" + " " + "".join(cells))
    return "\n".join(out) + "\n"


def layout(piece: Piece) -> dict:
    """Where ``svg`` puts things: tick t is at x = left + t * px; the roll spans top ..
    top + roll_height; keys lo..hi, ``row`` px each. The studio's playhead follows it."""
    keys = piece.notes[3::5] or [60]
    lo, hi = min(keys) - 1, max(keys) + 1
    end = max(piece.end, 1)
    row = 10
    return {"lo": lo, "hi": hi, "end": end, "px": min(0.1, 20000 / end),  # 48 px a beat,
            "row": row, "left": 44, "top": 22, "roll_height": (hi - lo + 1) * row}  # less if long


def svg(piece: Piece, by_track: bool = False) -> str:
    """A piano-roll picture: bars (numbered) and beats, one colour per channel, note names on
    the left axis, a legend of channels; every note is a ``<rect class="note">`` with a
    tooltip. ``by_track``: one colour and legend entry per track (``Piece.parts``), the
    same picture when no note carries a ``track``."""
    if by_track and piece.tracks:
        parts = piece.parts()
        notes = sorted(zip(piece.unsorted(), piece.track_of))
    else:
        parts = [{"ch": ch, "track": "", "id": 0, "label": piece.label(ch), "colour": COLOURS[ch],
                  "notes": piece.notes[2::5].count(ch)} for ch in piece.channels()]
        notes = [(n, 0) for n in piece.note_tuples()]
    fills = {(p["ch"], p["id"]): p["colour"] for p in parts}
    frame = layout(piece)
    lo, hi, end, px = frame["lo"], frame["hi"], frame["end"], frame["px"]
    row, left, top, roll_h = frame["row"], frame["left"], frame["top"], frame["roll_height"]
    width = left + end * px + 10
    height = top + roll_h + 16 + 16 * max(1, len(parts))
    y_of = lambda key: top + (hi - key) * row  # noqa: E731
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height}" '
           f'viewBox="0 0 {width:.1f} {height}" font-family="sans-serif" font-size="8">',
           "<title>musicpipe viz</title>",
           f'<rect class="background" x="0" y="0" width="{width:.1f}" height="{height}" fill="white"/>']
    for key in range(lo, hi + 1):
        name = note_name(key)
        if "#" in name:
            out.append(f'<rect class="black-key" x="{left}" y="{y_of(key)}" width="{end * px:.1f}" '
                       f'height="{row}" fill="#f0f0f0"/>')
        weight = ' font-weight="bold"' if name[0] == "C" and "#" not in name else ""
        out.append(f'<text class="key" x="{left - 4}" y="{y_of(key) + row - 2}" '
                   f'text-anchor="end"{weight}>{name}</text>')
    for n, (start, beats, beat) in enumerate(piece.bars(), 1):
        for b in range(beats):
            x = left + (start + b * beat) * px
            cls, colour = ("bar", "#888") if b == 0 else ("beat", "#ddd")
            out.append(f'<line class="{cls}" x1="{x:.1f}" y1="{top}" x2="{x:.1f}" '
                       f'y2="{top + roll_h}" stroke="{colour}" stroke-width="1"/>')
        out.append(f'<text class="bar-number" x="{left + start * px + 2:.1f}" y="{top - 6}">{n}</text>')
    for (t, dur, ch, key, vel), tid in notes:
        tip = f"{note_name(key)} ch {ch} t {t} dur {dur} vel {vel}"
        fill = fills[ch, tid]
        track = f' data-track="{escape(piece.tracks[tid - 1])}"' if tid else ""
        out.append(f'<rect class="note" data-ch="{ch}"{track} x="{left + t * px:.1f}" '
                   f'y="{y_of(key) + 1}" width="{max(dur * px, 1):.1f}" height="{row - 2}" '
                   f'fill="{fill}" fill-opacity="{0.45 + 0.55 * vel / 127:.2f}" stroke="{fill}">'
                   f"<title>{tip}</title></rect>")
    y = top + roll_h + 16
    for part in parts:
        track = f' data-track="{escape(part["track"])}"' if part["id"] else ""
        out.append(f'<rect class="legend" data-ch="{part["ch"]}"{track} x="{left}" y="{y - 8}" '
                   f'width="10" height="8" fill="{part["colour"]}"/>')
        out.append(f'<text x="{left + 14}" y="{y}">{escape(part["label"])} '
                   f'({part["notes"]} notes)</text>')
        y += 16
    out.append("</svg>")
    return "\n".join(out) + "\n"

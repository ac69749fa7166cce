"""A stream split into its tracks, the way to-midi lays them out: one per channel, or per
(``track`` name, channel) when events carry a ``track``, in channel order; each with the
conductor events (tempo, time signatures, markers, the End) and its channel's untracked
programs and controllers, so each track alone is a whole stream that sounds as it does in
the mix (for stems and `to-midi --split`).

    >>> [t.filename("wav") for t in split([
    ...     {"type": "Marker", "t": 0, "ch": 2, "text": "Bass (Fretless Bass)"},
    ...     {"type": "Note", "t": 0, "dur": 480, "ch": 2, "key": 36, "vel": 90},
    ...     {"type": "Note", "t": 0, "dur": 480, "ch": 9, "key": 36, "vel": 90}])]
    ['01-bass.wav', '02-drums.wav']
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from .stream import DataError
from .theory import track_name


MAX_WORD = 40
"""The longest name word in a file name (a 3000-character track name is no file name)."""


@dataclass
class Track:
    number: int          # 1-based: its place among to-midi's tracks
    ch: int
    name: str            # a file-name word: "bass", "drums", "strings"
    events: list[dict] = field(default_factory=list)

    def filename(self, ext: str) -> str:
        return f"{self.number:02d}-{self.name}.{ext}"


def _slug(text: str) -> str:
    """The part of a track name before its instrument in brackets, as a file-name word."""
    word = re.sub(r"[^a-z0-9]+", "-", text.split(" (")[0].lower()).strip("-")
    return word[:MAX_WORD].rstrip("-") or "track"


def split(events: Iterable[dict]) -> list[Track]:
    """The tracks that hold notes, numbered by their place among to-midi's tracks."""
    conductor: list[dict] = []
    parts: dict[tuple[str, int], list[dict]] = {}
    shared: dict[int, list[dict]] = {}  # untracked programs, controllers: the channel's state
    for ev in events:
        ch = ev.get("ch")
        if ch is None:
            conductor.append(ev)
            continue
        if not isinstance(ev.get("track") or "", str):  # as to-midi refuses it
            raise DataError(f'{ev["type"]} field "track" must be text (a track name)')
        parts.setdefault((ev.get("track") or "", ch), []).append(ev)
        if not ev.get("track") and ev["type"] not in ("Note", "Marker"):
            shared.setdefault(ch, []).append(ev)
    tracks = []
    for number, (track, ch) in enumerate(sorted(parts, key=lambda p: p[1]), 1):
        own = parts[track, ch]
        if not any(e["type"] == "Note" for e in own):
            continue
        evs = own if not track else [e for e in shared.get(ch, []) if e not in own] + own
        marker = min((e for e in own if e["type"] == "Marker"), key=lambda e: e["t"], default=None)
        program = next((e["program"] for e in sorted(evs, key=lambda e: e["t"])
                        if e["type"] == "ProgramChange"), 0)
        name = marker["text"] if marker else track or track_name(program, ch)
        tracks.append(Track(number, ch, _slug(name), conductor + evs))
    return tracks

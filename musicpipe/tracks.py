"""A stream split into its tracks, the way to-midi lays them out: one per channel, in channel
order, each with the conductor events (tempo, time signatures, markers, the End), so each
track alone is a whole stream (for stems and `to-midi --split`).

    >>> [t.filename("wav") for t in split([
    ...     {"type": "Marker", "t": 0, "ch": 2, "text": "Bass (Fretless Bass)"},
    ...     {"type": "Note", "t": 0, "dur": 480, "ch": 9, "key": 36, "vel": 90}])]
    ['01-bass.wav', '02-drums.wav']
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from .theory import track_name


@dataclass
class Track:
    number: int          # 1-based, in channel order
    ch: int
    name: str            # a file-name word: "bass", "drums", "strings"
    events: list[dict] = field(default_factory=list)

    def filename(self, ext: str) -> str:
        return f"{self.number:02d}-{self.name}.{ext}"


def _slug(text: str) -> str:
    """The part of a track name before its instrument in brackets, as a file-name word."""
    word = re.sub(r"[^a-z0-9]+", "-", text.split(" (")[0].lower()).strip("-")
    return word or "track"


def split(events: Iterable[dict]) -> list[Track]:
    """One Track per channel that has events, each holding the conductor events too."""
    conductor: list[dict] = []
    by_ch: dict[int, list[dict]] = {}
    for ev in events:
        ch = ev.get("ch")
        if ch is None:
            conductor.append(ev)
        else:
            by_ch.setdefault(ch, []).append(ev)
    tracks = []
    for number, ch in enumerate(sorted(by_ch), 1):
        evs = by_ch[ch]
        marker = min((e for e in evs if e["type"] == "Marker"), key=lambda e: e["t"], default=None)
        program = next((e["program"] for e in sorted(evs, key=lambda e: e["t"])
                        if e["type"] == "ProgramChange"), 0)
        name = marker["text"] if marker else track_name(program, ch)
        tracks.append(Track(number, ch, _slug(name), conductor + evs))
    return tracks

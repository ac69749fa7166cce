"""How long a mood's bars last, known before the mood is composed: `mood --bars N` without
--duration plays N bars at the tempo asked (or the mood's), so a server with a length limit
(the MCP server, the studio) refuses 10000 bars up front instead of composing them first;
and, once composed, how long they lasted (what its summary and audio length say)."""

from __future__ import annotations


def bars_seconds(name: str, bars: int, tempo: float | None) -> float | None:
    """The seconds ``bars`` bars of the mood ``name`` last at ``tempo`` (None: the mood's);
    None where the mood does not resolve (the stage then says why, with its own message)."""
    from .events import PPQ
    from .moods.packs import Library, PackError
    from .moods.whole import whole_bars

    try:
        mood = Library().resolve(name)
    except (KeyError, PackError):
        return None
    ticks, _, bpm = whole_bars(mood, seconds=None, tempo=tempo, bars=bars)
    return ticks * 60 / (PPQ * bpm)


def stream_seconds(events: list[dict]) -> float:
    """A mood's stream in seconds: its End (the last event) under its tempo map."""
    from .meter import seconds_at

    return seconds_at([(e["t"], e["bpm"]) for e in events if e["type"] == "Tempo"])(
        events[-1]["t"])

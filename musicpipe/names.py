"""The names stages accept, as tables: GM instruments, GM drums, scales and modes.

One source for `musicpipe instruments`/`drums`/`scales` (text for people, JSON for programs)
and the MCP server's list tools.
"""

from __future__ import annotations

from .theory import (DRUM_ALIASES, GM_DRUMS, GM_PROGRAMS, PROGRAM_ALIASES, SCALE_ALIASES,
                     SCALE_DOCS, SCALES)


def _aliases(table: dict) -> dict:
    out: dict = {}
    for alias, target in table.items():
        out.setdefault(target, []).append(alias)
    return out


def instruments() -> list[dict]:
    """The 128 General MIDI programs: number, name, and the short names stages accept."""
    aliases = _aliases(PROGRAM_ALIASES)
    return [{"program": n, "name": name, "aliases": aliases.get(n, [])}
            for n, name in enumerate(GM_PROGRAMS)]


def drums() -> list[dict]:
    """The General MIDI drum sounds (channel 9): key, name, the short names accepted."""
    aliases = _aliases(DRUM_ALIASES)
    return [{"key": k, "name": name, "aliases": aliases.get(k, [])} for k, name in sorted(GM_DRUMS.items())]


def scales() -> list[dict]:
    """Every scale and mode: name, semitones above the root, aliases, what it sounds like."""
    aliases = _aliases(SCALE_ALIASES)
    return [{"name": name, "intervals": list(steps), "aliases": aliases.get(name, []),
             "about": SCALE_DOCS.get(name, "")} for name, steps in SCALES.items()]


def listing(rows: list[dict]) -> str:
    """Rows as aligned text columns, lists joined by commas: what a person reads.

    >>> print(listing([{"key": 36, "name": "Bass Drum 1", "aliases": ["kick", "bd"]}]), end="")
    36  Bass Drum 1  kick, bd
    """
    cells = [[", ".join(map(str, v)) if isinstance(v, list) else str(v) for v in row.values()]
             for row in rows]
    widths = [max(len(c[i]) for c in cells) for i in range(len(cells[0]))] if cells else []
    return "".join("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() + "\n" for row in cells)

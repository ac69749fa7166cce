"""The catalogue of moods: what `mood --list` prints and what programs read about each mood."""

from __future__ import annotations

from ..errors import printable
from ..theory import key_name, parse_key
from .arrange import DEFAULT_INTENSITY, DEFAULT_TEMPO, plan
from .packs import Library, PackError


def entries(library: Library) -> list[dict]:
    """Every mood as name, description, tags, tempo, key, intensity, layers, source; a mood
    whose extends chain is broken as name and error."""
    rows = []
    for name in library.names():
        try:
            mood = library.resolve(name)
        except PackError as e:  # a broken extends chain: listed, the others still are
            rows.append({"name": name, "error": str(e)})
            continue
        intensity = mood.get("intensity", DEFAULT_INTENSITY)
        rows.append({
            "name": name, "description": mood.get("description", ""), "tags": mood.get("tags", []),
            "tempo": mood.get("tempo", DEFAULT_TEMPO), "key": key_name(*parse_key(mood.get("key", "C"))),
            "intensity": intensity,
            "layers": [{"name": n, "generator": g, "ch": ch} for n, _, g, ch in plan(mood, 100)],
            "source": library.source_of(name)})
    return rows


def listing(library: Library, as_json: bool) -> str:
    """`mood --list`: one line per mood, or JSON with the load errors beside the moods."""
    rows = entries(library)
    if as_json:
        import orjson

        return orjson.dumps({"moods": rows, "errors": library.errors()}).decode() + "\n"
    width = max((len(r["name"]) for r in rows), default=4)
    lines = []
    for r in rows:
        if "error" in r:
            lines.append(f"{r['name'].ljust(width)}  (broken: {r['error']})")
            continue
        layers = ", ".join(layer["name"] for layer in r["layers"])
        lines.append(f"{r['name'].ljust(width)}  {r['tempo']:>5g} BPM  {r['key']:<4} {r['description']}"
                     f"  #{' #'.join(r['tags'])}  [{layers}]  ({r['source']})")
    return "\n".join(printable(line) for line in lines) + "\n"  # a name's escape codes as text

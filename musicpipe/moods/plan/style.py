"""A mood's style: which pools of forms and progressions it draws from and what it allows.

A pack names no style; it is read from what the mood already says: its cadence (jazz, dark,
epic...) and whether it has a pulse (a mood of held pedals and no drums is a drone, which is
through-composed). Built-in and pack moods alike get a style this way.
"""

from __future__ import annotations

BY_CADENCE = {"jazz": "jazz", "dark": "dark", "epic": "epic", "plagal": "gentle", "soft": "show",
              "authentic": "pop"}
# What each style allows: a lift (the key up a step for one late section), a ritardando at
# the end, the swing of its fills.
LIFT = {"pop", "epic", "show", "gentle"}
RITARDANDO = {"gentle", "drone", "epic", "dark", "jazz", "show"}


def has_pulse(mood: dict) -> bool:
    """Whether the mood has drums."""
    return any(layer.get("style") or layer.get("generator") == "euclid" or layer.get("pattern") == "drums"
               or layer.get("ch") == 9 for layer in mood.get("layers", {}).values())


def style_of(mood: dict) -> str:
    """'jazz', 'dark', 'epic', 'gentle', 'show', 'pop' or 'drone'."""
    layers = mood.get("layers", {}).values()
    if not has_pulse(mood) and any(layer.get("pattern") == "pedal" for layer in layers):
        return "drone"
    cadence = mood.get("cadence", "authentic")
    return BY_CADENCE.get(cadence, "pop")

"""musicpipe: compose MIDI with Unix pipes, or from Python (``import musicpipe as mp``).

Stages pass JSON Lines events (see ``musicpipe.events``) through stdin/stdout. The music is
plain functions over events in the library (``musicpipe.generators``, ``musicpipe.transforms``,
``musicpipe.moods``, ``musicpipe.midi``, ``musicpipe.audio``); ``musicpipe.stages`` holds the
thin commands over it; ``musicpipe.api`` is the Python API (docs/python.md).
Kept free of imports: every console script starts by importing this package, so the API's
names (``mp.pipe``, ``mp.mood``, ...) load ``musicpipe.api`` on first use.
"""

__version__ = "0.1.0"

_API = frozenset((
    "Piece", "Mood", "PipelineError", "Step", "pipe", "run", "stage", "layer", "to_midi",
    "to_wav", "mood", "list_moods", "seed", "motif", "seq", "euclid", "scale", "transpose",
    "humanize", "rubato", "trim", "mix", "viz", "from_midi", "chords", "bass", "quantize",
    "click", "Score", "score"))


def __getattr__(name: str):
    if name in _API:
        from . import api

        return getattr(api, name)
    raise AttributeError(f"module 'musicpipe' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | _API)

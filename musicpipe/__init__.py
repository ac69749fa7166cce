"""musicpipe: compose MIDI with Unix pipes, or from Python (``import musicpipe as mp``).

Stages pass JSON Lines events (see ``musicpipe.events``) through stdin/stdout. The music is
plain functions over events in the library (``musicpipe.generators``, ``musicpipe.transforms``,
``musicpipe.moods``, ``musicpipe.midi``, ``musicpipe.audio``); ``musicpipe.stages`` holds the
thin commands over it; ``musicpipe.api`` is the Python API (docs/python.md).
Kept free of imports: every console script starts by importing this package, so the API's
names (``mp.pipe``, ``mp.mood``, ...) load ``musicpipe.api`` on first use.
"""

import sys as _sys
import types as _types

__version__ = "0.1.0"

_API = frozenset((
    "Piece", "Mood", "PipelineError", "Step", "pipe", "run", "stage", "layer", "to_midi",
    "to_wav", "mood", "list_moods", "seed", "motif", "seq", "euclid", "scale", "transpose",
    "humanize", "rubato", "trim", "mix", "viz", "from_midi", "chords", "bass", "quantize",
    "click", "Score", "score"))


class _CallableScore(_types.ModuleType):
    """The ``musicpipe.score`` package, which ``mp.score(plan)`` also calls: the API's
    ``score`` (docs/python.md) under the package's own name, so neither hides the other."""

    def __call__(self, *args, **kwargs):
        from .api import score

        return score(*args, **kwargs)


class _Package(_types.ModuleType):
    def __setattr__(self, name, value):
        if name == "score" and type(value) is _types.ModuleType:  # its import sets it here
            value.__class__ = _CallableScore
        super().__setattr__(name, value)


_sys.modules[__name__].__class__ = _Package


def __getattr__(name: str):
    if name == "score":
        from importlib import import_module

        return import_module(".score", __name__)
    if name in _API:
        from . import api

        return getattr(api, name)
    raise AttributeError(f"module 'musicpipe' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | _API)

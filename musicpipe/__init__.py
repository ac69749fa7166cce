"""musicpipe: compose MIDI with Unix pipes.

Stages pass JSON Lines events (see ``musicpipe.events``) through stdin/stdout. The music is
plain functions over events in the library (``musicpipe.generators``, ``musicpipe.transforms``,
``musicpipe.moods``, ``musicpipe.midi``, ``musicpipe.render``); ``musicpipe.stages`` holds the
thin commands over it.
Kept empty of imports: every console script starts by importing this package.
"""

__version__ = "0.1.0"

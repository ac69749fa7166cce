"""musicpipe: compose MIDI with Unix pipes.

Stages pass JSON Lines events (see ``musicpipe.events``) through stdin/stdout. Each stage's
music is a plain function in ``musicpipe.stages.<name>``, usable from Python as well.
Kept empty of imports: every console script starts by importing this package.
"""

__version__ = "0.1.0"

"""`musicpipe drums`: the names stages accept (musicpipe.names), a command, not a stage."""

from __future__ import annotations

from .. import names
from .listing import listing_command

command = listing_command(
    "drums", names.drums,
    "The General MIDI drum sounds (channel 9, for euclid --note and seq): key, name, the short names stages accept.",
    [
    "musicpipe drums | grep -i hat",
    "musicpipe drums --json | jq '.[0]'",
    ])

main = command

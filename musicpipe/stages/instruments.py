"""`musicpipe instruments`: the names stages accept (musicpipe.names), a command, not a stage."""

from __future__ import annotations

from .. import names
from .listing import listing_command

command = listing_command(
    "instruments", names.instruments,
    "The 128 General MIDI instruments (for --patch): program number, name, the short names stages accept.",
    [
    "musicpipe instruments | grep -i bass",
    "musicpipe instruments --json | jq -r '.[] | select(.program == 33) | .aliases[]'",
    ])

main = command

"""`musicpipe scales`: the names stages accept (musicpipe.names), a command, not a stage."""

from __future__ import annotations

from .. import names
from .listing import listing_command

command = listing_command(
    "scales", names.scales,
    "Every scale and mode (for scale --mode, motif --mode, --key): name, semitones above the root, aliases, what it sounds like.",
    [
    "musicpipe scales | grep -i dorian",
    "musicpipe scales --json | jq -r '.[].name'",
    ])

main = command

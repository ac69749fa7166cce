"""A seamless loop's audio: the release tail beyond the piece's end mixed into its start.

A loop plays its start again where it ends, so whatever still rings past the end (reverb,
a note's release) belongs over the start: the file is exactly the piece's length and its
last frame flows into its first with no click and no dip.
"""

from __future__ import annotations


class Folded:
    """The tape (piece + tail) read as ``frames`` frames, frame i the sum of the tape's
    frames i, i + frames, i + 2 * frames... (a tail longer than the piece wraps again)."""

    def __init__(self, tape, frames: int):
        self.tape, self.frames = tape, frames

    def read(self, lo: int, hi: int):
        out = self.tape.read(lo, hi)
        shift = self.frames
        while lo + shift < self.tape.frames:
            out += self.tape.read(lo + shift, hi + shift)
            shift += self.frames
        return out

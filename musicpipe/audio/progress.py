"""A progress bar with the time left, on stderr when it is a terminal and the work has
already taken a few seconds; nothing otherwise (pipes and agents keep one-line stderr)."""

from __future__ import annotations

import sys
import time

AFTER = 2.0      # seconds of work before a bar is worth showing
WIDTH = 30


class Progress:
    """Call with the fraction done (0..1); the bar is redrawn at most ten times a second."""

    def __init__(self, label: str, stream):
        self.label, self.stream = label, stream
        self.start = time.monotonic()
        self.drawn = 0.0  # when the bar was last drawn (0: never)

    def __call__(self, done: float) -> None:
        now = time.monotonic()
        spent = now - self.start
        if done >= 1:
            if self.drawn:
                self._draw(1.0, f"{spent:.0f} s")
                self.stream.write("\n")
                self.stream.flush()
                self.drawn = 0.0
            return
        if spent < AFTER or now - self.drawn < 0.1 or done <= 0:
            return
        left = spent * (1 - done) / done
        self._draw(done, f"{int(left) // 60}:{int(left) % 60:02d} left")
        self.drawn = now

    def _draw(self, done: float, note: str) -> None:
        filled = int(done * WIDTH)
        self.stream.write(f"\r{self.label}: [{'#' * filled}{'.' * (WIDTH - filled)}] "
                          f"{done:4.0%} {note}   ")
        self.stream.flush()


def bar(label: str, stream=None) -> Progress | None:
    """A Progress on ``stream`` (stderr) if it is a terminal, else None."""
    stream = stream or sys.stderr
    return Progress(label, stream) if getattr(stream, "isatty", lambda: False)() else None

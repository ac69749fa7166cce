"""How many events one stage may make: the stages' own limit, or less where a server runs
stages for others (the studio allows 100,000 a request). Generators and `loop` compare
their planned size with ``events()`` before building anything, so a request that asks for
millions is refused at once instead of being built and then counted.

    with budget.at_most(100_000):
        run_stage("motif", ["--notes", "1000000"], None)    # refused before it starts
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

STAGE_LIMIT = 2_000_000
"""The most events one generator part or one loop writes in the shell."""

_LIMIT: ContextVar[int] = ContextVar("musicpipe_event_budget", default=STAGE_LIMIT)


def events() -> int:
    """The most events a stage may make here (this thread or task)."""
    return _LIMIT.get()


@contextmanager
def at_most(n: int) -> Iterator[None]:
    """Lower the limit to ``n`` inside the block (never raise it)."""
    token = _LIMIT.set(min(n, _LIMIT.get()))
    try:
        yield
    finally:
        _LIMIT.reset(token)

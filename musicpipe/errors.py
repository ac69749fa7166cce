"""The errors a user can fix, shared by the library and the stages (no click here).

Each carries the exit code a stage exits with (``cli.run_stage``); the message is one line.
Bad input data is ``stream.DataError`` (65).
"""

import re


class StageError(Exception):
    """An error the user can fix; the message is printed as one line."""

    exit_code = 1


class Unavailable(StageError):
    """A missing external component (library, SoundFont); the message says how to install it."""

    exit_code = 69


class OutputError(StageError):
    """An output file that cannot be created or written."""

    exit_code = 73


class BadOption(StageError):
    """An option value the library finds it cannot honour (a sample rate FluidSynth lacks)."""

    exit_code = 2


_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_LONG = re.compile(r"'[^']{80,}'|\"[^\"]{80,}\"|[^\s'\"]{80,}")


def printable(text: str) -> str:
    """``text`` with control characters (newlines, escape sequences, C1 codes) written as
    escapes (``\\n``, ``\\x1b``): a name from a pack or a stream can neither break a message
    into two lines nor drive the terminal."""
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1], text)


def one_line(text: str) -> str:
    """A message as one readable line: printable, and any quoted value or unbroken word
    over 80 characters (a 3000-character track name, a path) clipped in the middle."""
    return _LONG.sub(lambda m: m.group()[:50] + "..." + m.group()[-20:], printable(text))

"""The errors a user can fix, shared by the library and the stages (no click here).

Each carries the exit code a stage exits with (``cli.run_stage``); the message is one line.
Bad input data is ``stream.DataError`` (65).
"""


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

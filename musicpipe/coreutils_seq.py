"""The `seq` console script: coreutils seq for numeric arguments, the musicpipe stage otherwise.

Installing musicpipe puts a `seq` ahead of /usr/bin/seq on PATH, and shell scripts call
`seq 1 10`. An invocation whose arguments are only numbers and coreutils seq options is
handed to the system seq (exec, so output, errors and exit codes are exactly its own);
anything else is note notation for the stage (`seq "C4/4 E4/4 G4/2"`).
"""

from __future__ import annotations

import os
import re
import sys

_NUMBER = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$|^[-+]?(inf|infinity|nan)$", re.I)
_OPTS_WITH_VALUE = ("-f", "-s", "--format", "--separator")
_FLAGS = ("-w", "--equal-width", "--version")


def is_coreutils_call(args: list[str]) -> bool:
    """True for `seq 10`, `seq -w 1 2 10`, `seq -s, 5`, `seq -f %.2f 0 0.1 1`, `seq -- -3 3`."""
    numbers = 0
    i = 0
    while i < len(args):
        a = args[i]
        if a in _OPTS_WITH_VALUE:
            i += 2
            continue
        if a.startswith(("--format=", "--separator=")) or (a[:2] in ("-f", "-s") and len(a) > 2):
            i += 1
            continue
        if a in _FLAGS or a == "--":
            i += 1
            continue
        if not _NUMBER.match(a):
            return False
        numbers += 1
        i += 1
    return 1 <= numbers <= 3


def system_seq() -> str | None:
    """The first `seq` on PATH that is not this script."""
    me = os.path.realpath(sys.argv[0]) if sys.argv and sys.argv[0] else ""
    for d in os.environ.get("PATH", "").split(os.pathsep):
        cand = os.path.join(d or ".", "seq")
        if os.access(cand, os.X_OK) and os.path.realpath(cand) != me:
            with open(cand, "rb") as f:
                if f.read(2) != b"#!":  # a Python entry script (ours, in another venv)
                    return cand
    for cand in ("/usr/bin/seq", "/bin/seq"):
        if os.access(cand, os.X_OK):
            return cand
    return None


def main(args: list[str] | None = None) -> None:
    args = sys.argv[1:] if args is None else args
    if is_coreutils_call(args):
        path = system_seq()
        if path is not None:
            sys.stdout.flush()
            os.execv(path, ["seq", *args])
        sys.stderr.write("seq: no system seq found for numeric arguments; for notes write "
                         "durations, e.g. seq \"60/4 62/4\"\n")
        sys.exit(1)
    from .stages.seq import command

    command.main(args, prog_name="seq")

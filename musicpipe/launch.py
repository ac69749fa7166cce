"""Where every console script starts ([project.scripts] names ``musicpipe.launch:<stage>``).

Importing a stage (click, orjson, the music) takes a good part of a second on a busy machine,
and a Ctrl-C or SIGTERM in that time used to land in the middle of an import as a Python
traceback. From this module's first line until the command is loaded, either signal exits
at once with 130 / 143: nothing has been written yet, so nothing is left behind. Then
Python's own dispositions are back, and the stage (``cli.run_stage``) turns them into a
quiet exit that removes its temporary files.
"""

import os
import signal

# numpy's OpenBLAS starts a thread per core as it is imported: a twentieth of a second of CPU
# for every render, and no stage multiplies matrices. A setting of the user's own wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def _exit_now(signum, frame):
    os._exit(128 + signum)


signal.signal(signal.SIGINT, _exit_now)
signal.signal(signal.SIGTERM, _exit_now)


def _loaded(main):
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    return main()


def umbrella():
    """`musicpipe STAGE ...`: the stage (or command) it names is imported here too."""
    import sys

    from . import umbrella as u

    name = sys.argv[1] if len(sys.argv) > 1 else ""
    if name in u.STAGES or name in u.COMMANDS:
        try:
            u._module(name)
        except ImportError:  # the umbrella says what is missing
            pass
    return _loaded(u.main)


def seq():
    """`seq`: coreutils' seq unless piped musicpipe input asks for the stage."""
    import sys

    from . import coreutils_seq

    if not coreutils_seq.is_coreutils_call(sys.argv[1:]):
        from .stages import seq  # noqa: F401  (imported under the early disposition)
    return _loaded(coreutils_seq.main)


def __getattr__(name: str):
    """``launch.to_midi``: the ``main`` of musicpipe.stages.to_midi, imported under the
    early disposition and run under Python's own."""
    if name.startswith("_"):
        raise AttributeError(name)
    import importlib

    main = importlib.import_module(f"musicpipe.stages.{name}").main
    return lambda: _loaded(main)

"""The shared stage plumbing: stdin/stdout, seeds, errors and exit codes.

A stage module is one thin command over a library function (musicpipe.generators,
musicpipe.transforms, ...), which holds the music as plain functions over events:

    @cli.stage("transpose", examples=["seed 1 | motif | transpose --semitones -12"])
    @click.option("--semitones", "-s", type=int, default=0)
    def command(io, semitones):
        return transpose(io.events(), semitones)

    main = command

The decorator adds the common options (--debug, --pairs), a help epilog with the examples,
and runs the returned events through one writer under one error policy:

- exit 65 for bad data, one line naming the line number and field (``stream.DataError``);
- exit 2 for bad options or arguments (click's UsageError, printed as one line);
- exit 69 when an external component is missing (``errors.Unavailable``), with the fix;
- exit 73 when an output file cannot be written (``errors.OutputError``);
- a closed pipe (``| head``) ends the stage quietly with exit 0; Ctrl-C exits 130, SIGTERM
  143, both after removing any temporary file;
- any other exception is a bug: one line, exit 70, the traceback only with --debug.

Failure travels down the pipe: a stream stage that fails (any of the above but a closed
pipe or Ctrl-C) ends its stdout with one ``Abort`` line, ``{"type":"Abort","stage":...,
"message":...}``, unless stdout is a terminal. A stage whose input holds an Abort passes it
on as its own last line and exits 65 (``stream.Aborted``); sinks refuse to write a file from
such a stream (``refuse_file``), so a failed pipe never replaces a good .mid or .wav.
"""

from __future__ import annotations

import functools
import io as _io
import math
import os
import re
import signal
import sys
from collections.abc import Callable, Iterable, Iterator
from itertools import chain

import click

from .errors import BadOption, OutputError, StageError, one_line
from .events import MAX_SEED
from .stream import Aborted, DataError, Reader, Writer, encode

EXIT_SOFTWARE = 70

EXIT_CODES_HELP = (
    "Exit codes: 0 ok, 2 bad option or argument, 65 bad input data (the message names the "
    "line and field), 69 a missing external component (FluidSynth, a SoundFont, a codec), "
    "70 a bug, 73 an output file that cannot be written."
)


def use_color(stream=None) -> bool:
    """Colour only on a terminal, never when NO_COLOR is set (https://no-color.org)."""
    stream = stream or sys.stderr
    return "NO_COLOR" not in os.environ and hasattr(stream, "isatty") and stream.isatty()


def _stdin_binary():
    """The binary stdin, or None when there is none (closed, or a terminal for generators)."""
    if sys.stdin is None:
        return None
    try:
        return sys.stdin.buffer
    except AttributeError:
        return None


def _stdout_sink() -> Callable[[bytes], object]:
    """Write straight to fd 1 when stdout is a real file; else to sys.stdout (in-process tests).

    A write that fails for any reason but a closed pipe (a full disk, stdout closed with
    ``>&-``) raises OutputError: exit 73 with one line, not a traceback.
    """
    out = sys.stdout
    if out is None:
        def closed(data: bytes) -> None:
            raise OutputError("cannot write to stdout: it is closed")

        return closed
    try:
        fd = out.fileno()
    except (AttributeError, ValueError, _io.UnsupportedOperation):
        return _failing_as_output(out.buffer.write)
    out.flush()
    _widen_pipe(fd)

    def write(data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]

    return _failing_as_output(write)


PIPE_SIZE = 1 << 20
"""What a stage asks its stdout pipe to hold (Linux's 64 KiB default is one read's worth, so
each stage of a pipeline would wait on the next at every chunk; a MiB lets it run ahead: the
5-stage pipeline of bin/bench versus takes 7% less wall time). Kernel memory, at most this
much per pipe."""


def _widen_pipe(fd: int) -> None:
    """Ask for a PIPE_SIZE pipe on ``fd`` when it is a pipe; where the system says no (a
    lower /proc/sys/fs/pipe-max-size, a user's pipe quota, not Linux), the default serves."""
    import fcntl
    import stat

    try:
        if stat.S_ISFIFO(os.fstat(fd).st_mode) and hasattr(fcntl, "F_SETPIPE_SZ"):
            fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, PIPE_SIZE)
    except OSError:
        pass


def _failing_as_output(write: Callable[[bytes], object]) -> Callable[[bytes], object]:
    def checked(data: bytes) -> None:
        try:
            write(data)
        except (BrokenPipeError, ConnectionResetError):
            raise
        except OSError as e:
            raise OutputError(f"cannot write to stdout: {e.strerror or e}") from None

    return checked


def write_stdout(text: str) -> None:
    """Text (a listing, --show) to stdout under the same failure policy as the stream."""
    _stdout_sink()(text.encode())


class StageIO:
    """What a running stage sees: its input events, its writer, warnings, the seed."""

    def __init__(self, name: str, *, debug: bool = False, pairs: bool | None = None,
                 stream_out: bool = True):
        self.name = name
        self.debug = debug
        self.stream_out = stream_out  # a failure ends stdout with an Abort line
        self.writer = Writer(_stdout_sink(), pairs=pairs)
        self.reader: Reader | None = None
        self._tee: _Tee | None = None  # observe()'s byte-for-byte pass-through

    def warn(self, msg: str) -> None:
        """A one-line note on stderr, prefixed with the stage name (control characters
        escaped, long values clipped: ``errors.one_line``)."""
        click.echo(f"{self.name}: {one_line(msg)}", err=True)

    def stdin_is_terminal(self) -> bool:
        fp = _stdin_binary()
        return fp is None or fp.isatty()

    def events(self) -> Iterator[dict]:
        """The input stream, validated and streamed; empty when there is no stdin."""
        return chain.from_iterable(self.batches())

    def batches(self, *, typed: bool = False) -> Iterator[list]:
        """The input stream as the reader's lists of events: fresh objects that a stage may
        change in place and hand to ``writer.write_batches``. ``typed``: a batch may be
        msgspec Structs instead of dicts (``musicpipe.structs``; the hot stages)."""
        fp = _stdin_binary()
        if fp is None:
            return iter(())
        if fp.isatty():
            self.warn("reading events from the terminal (end with Ctrl-D); pipe a stream in, "
                      f"e.g. `seed 1 | motif | {self.name}`")
        self.reader = Reader(fp, warn=self.warn, before_wait=self.writer.flush, typed=typed)
        return self.reader.batches()

    def reader_for_sink(self) -> Reader | Iterable:
        """The input for a sink that checks ``.abort`` itself (see ``refuse_file``)."""
        self.events()
        if self.reader is None:
            return _NoInput()
        self.reader.abort_raises = False
        return self.reader

    def file_events(self, path: str) -> Iterator[dict]:
        """A stream file's events (``-``: stdin), validated; errors name the file."""
        if path == "-":
            yield from self.events()
            return
        try:
            fp = open(path, "rb")  # noqa: SIM115 - closed below, after the last event
        except OSError as e:
            raise BadOption(f"cannot read {path}: {e.strerror or e}") from None
        with fp:
            try:
                yield from Reader(fp, warn=self.warn)
            except Aborted:
                raise  # passed on as it came
            except DataError as e:
                raise DataError(f"{path}: {e}") from None

    def generator_input(self, seed: int | None, *, random: bool = True) -> Iterator[dict]:
        """Pass piped input through, making sure the output starts with a Seed; returns the
        seed.

        Use as ``seed = yield from io.generator_input(seed)``. A stream's Seed is its first
        line, so the first event is peeked: without a Seed there, the seed in force (--seed,
        else a random one, announced) goes first and the input follows. A terminal on stdin
        means no input: a generator starts a fresh stream instead of waiting. A generator
        that draws no random numbers (``random=False``) invents no seed: it returns None when
        neither the stream nor --seed gives one.
        """
        events = iter(()) if self.stdin_is_terminal() else self.events()
        first = next(events, None)
        stream_seed = first["seed"] if first is not None and first["type"] == "Seed" else None
        if seed is None:
            seed = stream_seed
        if seed is None and random:
            seed = self.random_seed()
        if stream_seed is None and seed is not None:
            yield {"type": "Seed", "seed": seed}
        if first is not None:
            yield first
        yield from events
        return seed

    def seeded_events(self, seed: int | None) -> tuple[Iterator[dict], int]:
        """The input stream and the seed in force, for transforms that draw random numbers.

        The stream's Seed is its first line; it is peeked without buffering the stream. With
        none there (and no --seed), a random seed is announced and a Seed line prepended.
        """
        batches, seed = self.seeded_batches(seed)
        return chain.from_iterable(batches), seed

    def seeded_batches(self, seed: int | None, *, typed: bool = False) -> tuple[Iterator[list], int]:
        """``seeded_events`` as lists of events (see ``batches``)."""
        batches = self.batches(typed=typed)
        first = next((batch for batch in batches if batch), [])
        head = first[0] if first else None
        stream_seed = head["seed"] if head.__class__ is dict and head.get("type") == "Seed" else None
        if seed is None:
            seed = stream_seed
        if seed is None:
            seed = self.random_seed()
        if stream_seed is None:  # a batch of its own: a batch of Structs stays one
            return _chain([[{"type": "Seed", "seed": seed}], first], batches), seed
        return _chain([first], batches), seed

    def observe(self, consume: Callable[[list[dict]], object]) -> Aborted | None:
        """Pass stdin to stdout byte for byte, handing each validated batch to ``consume``.

        For stages that watch a stream (viz, analyze): a byte is written only once its line
        was checked, so on bad data stdout holds the good lines before it and the DataError
        propagates (exit 65). An upstream Abort passes through with the rest; it is returned
        (None without one), for the stage to finish its drawing and then raise it.
        """
        fp = _stdin_binary()
        if fp is None:
            return None
        if fp.isatty():
            self.warn("reading events from the terminal (end with Ctrl-D); pipe a stream in, "
                      f"e.g. `seed 1 | motif | {self.name}`")
        tee = self._tee = _Tee(fp, self.writer.sink)
        reader = Reader(tee, warn=self.warn, dedupe_seeds=False)
        try:
            for batch in reader.batches():
                consume(batch)
        except Aborted as e:
            tee.finish()
            e.passed = tee.ended_with_abort()  # then no second Abort line is written
            return e
        except DataError as e:
            tee.fail(e)
            raise
        tee.finish()
        return None

    def random_seed(self) -> int:
        from .rng import random_seed

        seed = random_seed()
        self.warn(f"no Seed in the stream; using seed {seed} (repeat with --seed {seed})")
        return seed


class _NoInput(tuple):
    """No stdin: no events, no Abort."""

    abort = None


class _Tee:
    """The Reader's input: hands over stdin's bytes and writes them to ``sink`` once checked.

    The Reader only reads again after its last batch was validated and drawn, so at each
    read every complete line so far is good and goes out; the partial line waits.
    """

    def __init__(self, fp, sink: Callable[[bytes], object]):
        self._read = getattr(fp, "read1", None) or fp.read
        self.sink = sink
        self.pending = bytearray()
        self.lines_out = 0
        self.last_line = b""
        self.last_byte = b""

    def read1(self, n: int = -1) -> bytes:
        cut = self.pending.rfind(b"\n") + 1
        if cut:
            self._write(cut)
        data = self._read(n)
        self.pending += data
        return data

    def _write(self, cut: int) -> None:
        data = bytes(self.pending[:cut])
        del self.pending[:cut]
        self.lines_out += data.count(b"\n")
        if data.strip():
            self.last_line = data.rstrip().rsplit(b"\n", 1)[-1]
        if data:
            self.last_byte = data[-1:]
        self.sink(data)

    def finish(self) -> None:
        if self.pending:
            self._write(len(self.pending))

    def ended_with_abort(self) -> bool:
        """True when the last line passed through is an Abort (then none is added)."""
        import orjson

        try:
            ev = orjson.loads(self.last_line)
        except orjson.JSONDecodeError:
            return False
        return isinstance(ev, dict) and ev.get("type") == "Abort"

    def end_line(self) -> None:
        """Before an Abort line: end a last line that came without its newline."""
        if self.last_byte not in (b"", b"\n"):
            try:
                self.sink(b"\n")
            except (OSError, StageError):
                pass

    def fail(self, error: DataError) -> None:
        """Write the complete lines before the bad one the error names."""
        m = re.match(r"line (\d+):", str(error))
        if not m:
            return
        cut = 0
        for _ in range(int(m.group(1)) - 1 - self.lines_out):
            cut = self.pending.find(b"\n", cut) + 1
            if not cut:
                return
        if cut:
            self._write(cut)


def _chain(head: list, rest: Iterator) -> Iterator:
    yield from head
    yield from rest


class _Terminated(BaseException):
    """SIGTERM, raised where the stage is, so temporary files are removed on the way out."""


def _on_sigterm(signum, frame) -> None:
    raise _Terminated


def run_stage(io: StageIO, produce: Callable[[], Iterable[dict] | None]) -> int:
    """Run a stage body under the error policy; returns the exit code."""
    try:
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
    except ValueError:  # not the main thread (an embedding program): keep its handler
        previous = None
    try:
        return _run(io, produce)
    finally:
        if previous is not None:  # in-process callers get their own handler back
            signal.signal(signal.SIGTERM, previous)


def _run(io: StageIO, produce: Callable[[], Iterable[dict] | None]) -> int:
    try:
        try:
            result = produce()
            if result is not None:
                io.writer.write_all(result)
        finally:
            io.writer.flush()
        if io.writer.pairs and io.writer.pair_summary():
            io.warn(io.writer.pair_summary())
    except (BrokenPipeError, ConnectionResetError):
        _silence_stdout()
        return 0
    except KeyboardInterrupt:
        return 130
    except _Terminated:  # atomic writes have removed their temporary files by now
        _abort(io, abort_event(io.name, "terminated (SIGTERM)"))
        return 128 + signal.SIGTERM
    except click.UsageError as e:  # StageCommand prints it; the body knew where stdout goes
        e.abort_out = io.stream_out
        raise
    except Aborted as e:  # an upstream stage failed: pass its Abort on
        if io.debug:
            _print_traceback()
        io.warn(e.note or f"passed on the Abort from {e.event['stage']}")
        if not e.passed:
            _abort(io, e.event)
        return e.exit_code
    except (DataError, StageError) as e:
        if io.debug:
            _print_traceback()
        io.warn(str(e))
        _abort(io, abort_event(io.name, str(e)))
        return getattr(e, "exit_code", 1)
    except RecursionError as e:  # deeply nested input (JSON, TOML) found a limit we missed
        io.warn(f"input nested too deeply ({e})")
        _abort(io, abort_event(io.name, "input nested too deeply"))
        return DataError.exit_code
    except MemoryError:
        io.warn("out of memory: the input or the options ask for too much")
        _abort(io, abort_event(io.name, "out of memory"))
        return DataError.exit_code
    except Exception as e:  # a bug: say so in one line, keep the traceback for --debug
        if io.debug:
            _print_traceback()
        message = f"internal error: {type(e).__name__}: {e} (rerun with --debug for the traceback)"
        io.warn(message)
        _abort(io, abort_event(io.name, message))
        return EXIT_SOFTWARE
    return 0


def abort_event(stage: str, message: str) -> dict:
    """The Abort line a failed stage writes last (its message as stderr shows it)."""
    return {"type": "Abort", "stage": stage, "message": one_line(message)}


def _abort(io: StageIO, event: dict) -> None:
    if io.stream_out:
        if io._tee is not None:
            io._tee.end_line()  # the Abort starts a line of its own
        write_abort(event)


def write_abort(event: dict) -> None:
    """End stdout with ``event`` (an Abort line), unless stdout is a terminal or is gone."""
    try:
        if sys.stdout is None or sys.stdout.isatty():
            return
        _stdout_sink()(encode([event]))
    except (OSError, ValueError, AttributeError, StageError):  # stdout is gone or full
        pass


def refuse_file(path: str | None, *, abort: dict | None, notes: int, events: int,
                force: bool) -> None:
    """A sink's check before it writes ``path`` (None: stdout): raise DataError (65) when
    the stream ended in an Abort, is empty or holds no notes, unless ``force``."""
    if force:
        return
    if abort is not None:
        why = f"the stream ended in an Abort from {abort['stage']}"
    elif not events:
        why = "the stream is empty"
    elif not notes:
        why = "the stream holds no notes"
    else:
        return
    if path is None or path == "-":
        kept = "wrote nothing"
    else:
        kept = f"kept {path}" if os.path.lexists(path) else f"wrote no {path}"
    raise DataError(f"{kept}: {why}; --force writes it anyway")


def save(path: str, data: bytes) -> None:
    """A sink's file written atomically; a failure is the one-line OutputError (73)."""
    from .atomic import atomic_write

    try:
        atomic_write(path, data)
    except OSError as e:
        raise OutputError(f"cannot write {path}: {e.strerror or e}") from None


def _print_traceback() -> None:
    import traceback  # only for --debug: it pulls in linecache and tokenize

    traceback.print_exc()


def _silence_stdout() -> None:
    """After EPIPE, point fd 1 at /dev/null so the interpreter's exit flush stays quiet."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError, _io.UnsupportedOperation):
        pass


class StageCommand(click.Command):
    """A click command whose errors are one line and whose exit codes follow cli's policy."""

    examples: list[str] = []
    stream_out = True  # a usage error ends stdout with an Abort line too
    not_stream: tuple[str, ...] = ()  # ... unless one of these options takes stdout from it

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        prog = prog_name or self.name
        try:
            code = super().main(args, prog_name=prog, standalone_mode=False, **extra)
        except click.UsageError as e:
            message = one_line(f"{e.format_message()} (see `{prog} --help`)")
            click.echo(f"{prog}: {message}", err=True)
            if self._abort_out(e, args):
                write_abort(abort_event(self.name, message))
            code = e.exit_code
        except click.exceptions.Exit as e:
            code = e.exit_code
        except click.Abort:
            code = 130
        except click.ClickException as e:
            click.echo(f"{prog}: {one_line(e.format_message())}", err=True)
            if self._abort_out(e, args):
                write_abort(abort_event(self.name, e.format_message()))
            code = e.exit_code
        except (BrokenPipeError, ConnectionResetError):  # --help into `| head`
            _silence_stdout()
            code = 0
        except OSError as e:  # --help > /dev/full
            _silence_stdout()
            click.echo(f"{prog}: cannot write to stdout: {e.strerror or e}", err=True)
            code = OutputError.exit_code
        if not standalone_mode:
            return code
        sys.exit(code or 0)

    def _abort_out(self, error: click.ClickException, args) -> bool:
        """Whether a failed command line ends stdout with an Abort: only when stdout is the
        stream (as the stage body set it, or, for an error before the body ran, unless an
        option in ``not_stream`` was given: `mood --out x.mp3 --rate 5` writes nothing)."""
        if hasattr(error, "abort_out"):
            return error.abort_out
        given = sys.argv[1:] if args is None else list(args)
        if "--" in given:  # what follows is arguments, not options
            given = given[:given.index("--")]
        return self.stream_out and not any(
            a == o or a.startswith(o + "=") or (len(o) == 2 and a.startswith(o))
            for a in given for o in self.not_stream)


def stage(name: str, *, examples: Iterable[str] = (), stream_out: bool = True,
          abort_out: bool | None = None, not_stream: Iterable[str] = (),
          epilog: str = "") -> Callable[[Callable], StageCommand]:
    """Turn ``fn(io, **options) -> events`` into a stage command (see the module docstring).

    ``stream_out``: stdout is a stream written by the stage's writer (--pairs applies);
    ``abort_out`` (default: the same): a failure ends stdout with an Abort line;
    ``not_stream``: options that write something else than the stream (mood's --out), so
    a bad command line with one of them writes no Abort either.
    """
    abort_out = stream_out if abort_out is None else abort_out
    examples = list(examples)

    def decorate(fn: Callable) -> StageCommand:
        @functools.wraps(fn)
        def callback(debug: bool, pairs: bool | None = None, **options):
            io = StageIO(name, debug=debug, pairs=pairs or None, stream_out=abort_out)
            code = run_stage(io, lambda: fn(io, **options))
            if code:
                sys.exit(code)

        params = list(reversed(getattr(fn, "__click_params__", [])))
        if stream_out:
            params.append(click.Option(
                ["--pairs"], is_flag=True, default=False,
                help="Write what music-pipe-rs tools read: notes as NoteOn/NoteOff pairs, "
                     "whole-number tempos, other events left out (counted on stderr); "
                     "or set MUSICPIPE_NOTE_FORM=pairs."))
        params.append(click.Option(["--debug"], is_flag=True, help="Show tracebacks on errors."))
        text = "\b\nExamples:\n" + "\n".join(f"  {e}" for e in examples) if examples else ""
        cmd = StageCommand(
            name=name, callback=callback, params=params, help=fn.__doc__,
            epilog="\n\n".join(p for p in (text, epilog, EXIT_CODES_HELP) if p),
            context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
        )
        cmd.examples = examples
        cmd.stream_out = abort_out
        cmd.not_stream = tuple(not_stream)
        return cmd

    return decorate


def parsed(parse: Callable[[str], object]) -> Callable:
    """A click callback that turns an option's text into a value with ``parse``; its
    ValueError (TheoryError and NotationError are ValueErrors) becomes a one-line usage
    error. None (an option not given) stays None."""
    def callback(ctx, param, value):
        if value is None:
            return None
        try:
            return parse(value)
        except ValueError as e:
            raise click.BadParameter(str(e)) from None

    return callback


class FloatRange(click.FloatRange):
    """click's FloatRange that also refuses nan (every comparison with nan is false, so
    click lets it through) and inf: every float option of every stage uses it."""

    def convert(self, value, param, ctx):
        rv = super().convert(value, param, ctx)
        if not math.isfinite(rv):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return rv


def seed_option(fn: Callable) -> Callable:
    """--seed: overrides the stream's Seed for this stage."""
    return click.option(
        "--seed", type=click.IntRange(0, MAX_SEED), default=None,
        help="Random seed for this stage (default: the stream's Seed).")(fn)

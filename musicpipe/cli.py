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
- a closed pipe (``| head``) ends the stage quietly with exit 0;
- any other exception is a bug: one line, exit 70, the traceback only with --debug.
"""

from __future__ import annotations

import functools
import io as _io
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from itertools import chain

import click

from .errors import StageError
from .events import MAX_SEED
from .stream import DataError, Reader, Writer

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
    """Write straight to fd 1 when stdout is a real file; else to sys.stdout (in-process tests)."""
    out = sys.stdout
    try:
        fd = out.fileno()
    except (AttributeError, ValueError, _io.UnsupportedOperation):
        return out.buffer.write
    out.flush()

    def write(data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]

    return write


class StageIO:
    """What a running stage sees: its input events, its writer, warnings, the seed."""

    def __init__(self, name: str, *, debug: bool = False, pairs: bool | None = None):
        self.name = name
        self.debug = debug
        self.writer = Writer(_stdout_sink(), pairs=pairs)
        self.reader: Reader | None = None

    def warn(self, msg: str) -> None:
        """A one-line note on stderr, prefixed with the stage name."""
        click.echo(f"{self.name}: {msg}", err=True)

    def stdin_is_terminal(self) -> bool:
        fp = _stdin_binary()
        return fp is None or fp.isatty()

    def events(self) -> Iterator[dict]:
        """The input stream, validated and streamed; empty when there is no stdin."""
        return chain.from_iterable(self.batches())

    def batches(self) -> Iterator[list[dict]]:
        """The input stream as the reader's lists of events: fresh objects that a stage may
        change in place and hand to ``writer.write_batches``."""
        fp = _stdin_binary()
        if fp is None:
            return iter(())
        if fp.isatty():
            self.warn("reading events from the terminal (end with Ctrl-D); pipe a stream in, "
                      f"e.g. `seed 1 | motif | {self.name}`")
        self.reader = Reader(fp, warn=self.warn, before_wait=self.writer.flush)
        return self.reader.batches()

    def file_events(self, path: str) -> Iterator[dict]:
        """A stream file's events (``-``: stdin), validated; errors name the file."""
        if path == "-":
            yield from self.events()
            return
        try:
            fp = open(path, "rb")  # noqa: SIM115 - closed below, after the last event
        except OSError as e:
            raise StageError(f"cannot read {path}: {e.strerror or e}") from None
        with fp:
            try:
                yield from Reader(fp, warn=self.warn)
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

    def seeded_batches(self, seed: int | None) -> tuple[Iterator[list[dict]], int]:
        """``seeded_events`` as lists of events (see ``batches``)."""
        batches = self.batches()
        first = next((batch for batch in batches if batch), [])
        stream_seed = first[0]["seed"] if first and first[0].get("type") == "Seed" else None
        if seed is None:
            seed = stream_seed
        if seed is None:
            seed = self.random_seed()
        if stream_seed is None:
            first = [{"type": "Seed", "seed": seed}, *first]
        return _chain([first], batches), seed

    def observe(self, consume: Callable[[list[dict]], object]) -> None:
        """Pass stdin to stdout byte for byte, handing each validated batch to ``consume``.

        For stages that watch a stream (viz, analyze): a byte is written only once its line
        was checked, so on bad data stdout holds the good lines before it and the DataError
        propagates (exit 65).
        """
        fp = _stdin_binary()
        if fp is None:
            return
        if fp.isatty():
            self.warn("reading events from the terminal (end with Ctrl-D); pipe a stream in, "
                      f"e.g. `seed 1 | motif | {self.name}`")
        tee = _Tee(fp, self.writer.sink)
        reader = Reader(tee, warn=self.warn, dedupe_seeds=False)
        try:
            for batch in reader.batches():
                consume(batch)
        except DataError as e:
            tee.fail(e)
            raise
        tee.finish()

    def random_seed(self) -> int:
        from .rng import random_seed

        seed = random_seed()
        self.warn(f"no Seed in the stream; using seed {seed} (repeat with --seed {seed})")
        return seed


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
        self.sink(data)

    def finish(self) -> None:
        if self.pending:
            self._write(len(self.pending))

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


def run_stage(io: StageIO, produce: Callable[[], Iterable[dict] | None]) -> int:
    """Run a stage body under the error policy; returns the exit code."""
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
    except click.UsageError:
        raise
    except (DataError, StageError) as e:
        if io.debug:
            _print_traceback()
        io.warn(str(e))
        return getattr(e, "exit_code", 1)
    except Exception as e:  # a bug: say so in one line, keep the traceback for --debug
        if io.debug:
            _print_traceback()
        io.warn(f"internal error: {type(e).__name__}: {e} (rerun with --debug for the traceback)")
        return EXIT_SOFTWARE
    return 0


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

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        prog = prog_name or self.name
        try:
            code = super().main(args, prog_name=prog, standalone_mode=False, **extra)
        except click.UsageError as e:
            click.echo(f"{prog}: {e.format_message()} (see `{prog} --help`)", err=True)
            code = e.exit_code
        except click.exceptions.Exit as e:
            code = e.exit_code
        except click.Abort:
            code = 130
        except click.ClickException as e:
            click.echo(f"{prog}: {e.format_message()}", err=True)
            code = e.exit_code
        except (BrokenPipeError, ConnectionResetError):  # --help into `| head`
            _silence_stdout()
            code = 0
        if not standalone_mode:
            return code
        sys.exit(code or 0)


def stage(name: str, *, examples: Iterable[str] = (), stream_out: bool = True,
          epilog: str = "") -> Callable[[Callable], StageCommand]:
    """Turn ``fn(io, **options) -> events`` into a stage command (see the module docstring)."""
    examples = list(examples)

    def decorate(fn: Callable) -> StageCommand:
        @functools.wraps(fn)
        def callback(debug: bool, pairs: bool | None = None, **options):
            io = StageIO(name, debug=debug, pairs=pairs or None)
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


def seed_option(fn: Callable) -> Callable:
    """--seed: overrides the stream's Seed for this stage."""
    return click.option(
        "--seed", type=click.IntRange(0, MAX_SEED), default=None,
        help="Random seed for this stage (default: the stream's Seed).")(fn)

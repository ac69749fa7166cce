"""Pipeline text run in-process: ``seed 42 | motif | scale --root D`` with no shell.

Each stage is the very click command its console script runs, handed in-memory stdin,
stdout and stderr, so the bytes are the shell's: Seed handling, validation between stages,
warnings and error lines included. The grammar is the part of sh a pipeline needs: stages
joined by ``|`` and ``{ a; b; }`` groups that concatenate parts (``;`` or newlines between),
quoted as in sh, a backslash at the end of a line continuing it. Nothing else runs: no
redirections, variables, globs, other commands or subprocesses; a stage name must be one of ``umbrella.STAGES`` (``musicpipe STAGE`` works too).

The stages run one after another, each on the previous one's whole output; the first
stage sees no stdin (like a terminal) unless input is given. The first stage that fails
stops the run with ``PipelineError`` (its exit code and its one-line message).
"""

from __future__ import annotations

import errno
import io
import shlex
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from .errors import StageError
from .umbrella import STAGES

_OPERATORS = "|;&<>()\n"
_SWAP = threading.RLock()  # sys.stdin/stdout/stderr are process-wide: one stage at a time


class PipelineError(StageError):
    """A pipeline that could not run: bad text (exit 2) or a stage that failed (its code).

    ``str(e)`` is the one line the shell would print, e.g. ``motif: Invalid value ...``.
    """

    def __init__(self, message: str, exit_code: int = 2, stage: str | None = None):
        super().__init__(message)
        self.exit_code = exit_code
        self.stage = stage


@dataclass
class Command:
    name: str
    args: list[str]


@dataclass
class Pipeline:
    elements: list  # Command or Group


@dataclass
class Group:
    parts: list[Pipeline]


def _tokens(text: str) -> list[str | tuple[str]]:
    """Words (str) and operators (1-tuples) of a pipeline text; a backslash before a newline
    continues the line, as in sh."""
    lex = shlex.shlex(text.replace("\\\n", " "), posix=True, punctuation_chars=_OPERATORS)
    lex.whitespace = " \t\r"
    lex.whitespace_split = True
    lex.commenters = ""
    try:
        raw = list(lex)
    except ValueError as e:  # No closing quotation
        raise PipelineError(f"pipeline: {e}") from None
    out: list[str | tuple[str]] = []
    for tok in raw:
        if tok and all(c in _OPERATORS for c in tok):
            for c in tok:
                if c not in "|;\n":
                    raise PipelineError(
                        f"pipeline: {c!r} is not supported: only stages joined by |, and "
                        "{ a; b; } groups")
                out.append((c,))
        else:
            out.append(tok)
    return out


def parse(text: str) -> Pipeline:
    """The pipeline in ``text``; PipelineError (exit 2) for anything but stages and groups."""
    toks = _tokens(text)
    i = _skip(toks, 0, ";\n")
    if i == len(toks):
        raise PipelineError("pipeline: empty pipeline: name a stage, e.g. `seed 1 | motif`")
    pipe, i = _pipeline(toks, i)
    if _skip(toks, i, ";\n") != len(toks):
        raise PipelineError("pipeline: one pipeline at a time; layer parts with { a; b; } | ...")
    return pipe


def _skip(toks, i: int, ops: str) -> int:
    while i < len(toks) and isinstance(toks[i], tuple) and toks[i][0] in ops:
        i += 1
    return i


MAX_DEPTH = 32
"""{ } groups nested deeper than this are refused (the parser recurses per group)."""


def _pipeline(toks, i: int, depth: int = 0) -> tuple[Pipeline, int]:
    elements = []
    while True:
        if i >= len(toks) or isinstance(toks[i], tuple):
            raise PipelineError("pipeline: a stage is missing (around `|` or `;`)")
        if toks[i] == "{":
            if depth == MAX_DEPTH:
                raise PipelineError(f"pipeline: {{ }} groups nested more than {MAX_DEPTH} deep")
            element, i = _group(toks, i + 1, depth + 1)
        else:
            element, i = _command(toks, i)
        elements.append(element)
        if i < len(toks) and toks[i] == ("|",):
            i = _skip(toks, i + 1, "\n")
            continue
        return Pipeline(elements), i


def _group(toks, i: int, depth: int) -> tuple[Group, int]:
    parts = []
    while True:
        i = _skip(toks, i, ";\n")
        if i >= len(toks):
            raise PipelineError("pipeline: `{` without its `}`")
        if toks[i] == "}":
            if not parts:
                raise PipelineError("pipeline: empty { } group")
            return Group(parts), i + 1
        part, i = _pipeline(toks, i, depth)
        parts.append(part)
        if i < len(toks) and toks[i] not in ((";",), ("\n",)):
            raise PipelineError("pipeline: end each part of a { } group with ; or a newline")


def _command(toks, i: int) -> tuple[Command, int]:
    words = []
    while i < len(toks) and not isinstance(toks[i], tuple):
        words.append(toks[i])
        i += 1
    if words[0] == "musicpipe" and len(words) > 1:
        words = words[1:]
    name = words[0]
    if name not in STAGES:
        raise PipelineError(f"pipeline: unknown stage {name!r}; stages: {', '.join(STAGES)}")
    return Command(name, words[1:]), i


def text(pipe: Pipeline) -> str:
    """A pipeline written back as text (sh quoting): ``seed 7 | motif --notes 16``."""
    def element(el) -> str:
        if isinstance(el, Command):
            return shlex.join([el.name, *el.args])
        return "{ " + "; ".join(text(p) for p in el.parts) + "; }"

    return " | ".join(element(el) for el in pipe.elements)


@dataclass
class Result:
    """What a pipeline wrote: stdout's bytes and stderr's lines."""

    stdout: bytes
    stderr: list[str] = field(default_factory=list)


def run(text: str, *, input: bytes | None = None,
        stderr: Callable[[str], object] | None = None,
        check_file: Callable[[str, str, str], None] | None = None) -> Result:
    """Run pipeline text in-process (see the module docstring).

    ``input``: bytes for the first stage's stdin (None: no stdin). ``stderr`` receives each
    stage's stderr text as it ends (the shell's terminal). ``check_file(stage, option,
    value)`` sees every file a stage is given before anything runs (the MCP server refuses
    paths outside its folder there); it raises PipelineError to refuse.
    """
    pipe = parse(text)
    if check_file is not None:
        _check_files(pipe, check_file)
    result = Result(b"")
    result.stdout = _run_pipeline(pipe, input, result, stderr)
    return result


def commands(pipe: Pipeline):
    for el in pipe.elements:
        if isinstance(el, Command):
            yield el
        else:
            for part in el.parts:
                yield from commands(part)


def _check_files(pipe: Pipeline, check_file) -> None:
    for cmd in commands(pipe):
        for option, value in file_arguments(cmd.name, cmd.args):
            check_file(cmd.name, option, value)


def file_params(command) -> dict[str, str]:
    """A command's parameters that name files: {param name: how it is written}."""
    import click

    out = {}
    for p in command.params:
        metavar = getattr(p, "metavar", None) or ""
        if (isinstance(p.type, (click.Path, click.File)) or "FILE" in metavar.upper()
                or metavar.upper() == "DIR"):  # a folder written into (--stems, --split)
            out[p.name] = p.opts[0] if isinstance(p, click.Option) else (metavar or p.name)
    return out


def file_arguments(name: str, args: list[str], dash: bool = False) -> list[tuple[str, str]]:
    """(option, value) for every file a stage's arguments name; ``-`` (stdin/stdout for most
    options, a file named ``-`` for some) only with ``dash``.

    Parsed with the command's own parser, without converting anything (no file is opened);
    arguments the parser rejects name no file: the stage rejects them before it starts.
    """
    import click

    from .umbrella import _module

    command = _module(name).command
    files = file_params(command)
    # the command's own settings: click caches the help option the first context names
    ctx = click.Context(command, info_name=name, resilient_parsing=True,
                        **command.context_settings)
    try:
        values, _, _ = command.make_parser(ctx).parse_args(list(args))
    except click.ClickException:
        return []
    out = []
    for pname, shown in files.items():
        value = values.get(pname)
        for v in value if isinstance(value, (list, tuple)) else [value]:
            if isinstance(v, str) and (v != "-" or dash):
                out.append((shown, v))
    return out


def _run_pipeline(pipe: Pipeline, data: bytes | None, result: Result, stderr,
                  max_lines: int | None = None) -> bytes:
    for el in pipe.elements:
        if isinstance(el, Command):
            data = run_stage(el.name, el.args, data, result, stderr, max_lines)
        else:  # { a; b; }: the first part reads the input, the others find it used up
            outs = []
            for n, part in enumerate(el.parts):
                part_in = data if n == 0 else (None if data is None else b"")
                outs.append(_run_pipeline(part, part_in, result, stderr, max_lines))
            data = b"".join(outs)
    return data if data is not None else b""


class _Out(io.TextIOWrapper):
    """A text stdout/stderr over bytes that is no terminal and has no file descriptor."""

    def __init__(self, max_lines: int | None = None):
        super().__init__(io.BytesIO() if max_lines is None else _Capped(max_lines),
                         encoding="utf-8", errors="replace", write_through=True)

    def isatty(self) -> bool:
        return False

    def value(self) -> bytes:
        self.flush()
        return self.buffer.getvalue()


class _Capped(io.BytesIO):
    """Bytes that take ``max_lines`` lines, then act as a pipe whose reader left (`| head`):
    a streaming stage stops there instead of making everything it was asked for."""

    def __init__(self, max_lines: int):
        super().__init__()
        self.room, self.full = max_lines, False

    def write(self, data) -> int:
        self.room -= (data if isinstance(data, bytes) else bytes(data)).count(b"\n")
        if self.room < 0:
            self.full = True
            raise BrokenPipeError(errno.EPIPE, "more lines than the reader takes")
        return super().write(data)


class TooLong(PipelineError):
    """A stage wrote more lines than ``max_lines`` (exit 65): ``str(e)`` says which."""


def run_stage(name: str, args: list[str], data: bytes | None, result: Result | None = None,
              stderr: Callable[[str], object] | None = None,
              max_lines: int | None = None) -> bytes:
    """One stage's stdout for stdin ``data`` (None: no stdin); PipelineError when it fails,
    TooLong when it writes more than ``max_lines`` lines (it is stopped there)."""
    from .umbrella import _module

    command = _module(name).command
    out, err = _Out(max_lines), _Out()
    stdin = None if data is None else io.TextIOWrapper(io.BytesIO(data), encoding="utf-8")
    with _SWAP:
        saved = sys.stdin, sys.stdout, sys.stderr
        sys.stdin, sys.stdout, sys.stderr = stdin, out, err
        try:
            code = command.main(list(args), prog_name=name, standalone_mode=False)
        except SystemExit as e:
            code = e.code
        finally:
            sys.stdin, sys.stdout, sys.stderr = saved
    text = err.value().decode("utf-8", "replace")
    lines = text.splitlines()
    if result is not None:
        result.stderr += lines
    if stderr is not None and text:
        stderr(text)
    if code:
        said = [line for line in lines if line.startswith(f"{name}: ")]
        message = said[-1] if said else f"{name}: exited {code}"
        raise PipelineError(message, code if isinstance(code, int) else 1, stage=name)
    if max_lines is not None and out.buffer.full:
        raise TooLong(f"{name}: more than {max_lines} lines of output", 65, stage=name)
    return out.value()

"""The Python API, ``import musicpipe as mp``: the stages as steps, pipelines, moods, files.

    ev = mp.pipe(mp.seed(42), mp.motif(notes=16), mp.scale(root="D", mode="dorian"))
    mp.to_midi(ev, "x.mid")
    mp.mood("calm", seconds=8, seed=7).to_wav("c.wav")
    mp.run("seed 42 | motif --notes 16 | scale --root D")

Every step is the stage's own command run in-process (``musicpipe.pipeline``): options
are the stage's options as keywords (``--rest-prob 0.2`` -> ``rest_prob=0.2``, a flag
``--roll`` -> ``roll=True``, a repeatable option takes a list), checked with the same
messages, and the result is byte for byte what the shell pipeline prints. Nothing starts
a process. Warnings are the stage's stderr lines: kept in ``Piece.warnings`` and, unless
``echo=False``, written to ``sys.stderr`` like the shell shows them. A failing stage
raises ``PipelineError`` (``str(e)`` is its one line, ``e.exit_code`` its exit code).
See docs/python.md.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable

from .pipeline import Command, Group, Pipeline, PipelineError, _run_pipeline, parse, text
from .pipeline import Result as _Result
from .umbrella import STAGES

__all__ = ["Piece", "Mood", "PipelineError", "Step", "pipe", "run", "stage", "layer", "to_midi",
           "to_wav", "mood", "list_moods", "seed", "motif", "seq", "euclid", "scale", "transpose",
           "humanize", "rubato", "trim", "mix", "viz", "from_midi", "chords", "bass", "quantize",
           "click", "Score", "score"]


class Piece:
    """A stream: the JSONL bytes a pipeline printed, its events, the warnings on the way.

    ``bytes(piece)`` is stdout byte for byte (a .mid's bytes when the last stage wrote one
    there); ``piece.events`` the events as dicts (parsed on first use).
    """

    def __init__(self, data: bytes, warnings: Iterable[str] = ()):
        self.data = data
        self.warnings = list(warnings)
        self._events: list[dict] | None = None

    @property
    def events(self) -> list[dict]:
        if self._events is None:
            from .stream import DataError, parse_lines

            try:
                self._events = parse_lines(self.data)
            except DataError as e:
                raise ValueError(f"the output is not an event stream ({e})") from None
        return self._events

    @property
    def seed(self) -> int | None:
        """The stream's Seed, if it has one."""
        first = self.events[0] if self.events else {}
        return first.get("seed") if first.get("type") == "Seed" else None

    def __bytes__(self) -> bytes:
        return self.data

    def __iter__(self):
        return iter(self.events)

    def __len__(self) -> int:
        return len(self.events)

    def __or__(self, step: Step) -> Piece:
        return pipe(self, step)

    def __repr__(self) -> str:
        return f"<Piece: {len(self.data)} bytes, seed {self.seed}>"

    def to_midi(self, path: str | os.PathLike | None = None, **options) -> str | bytes:
        """``mp.to_midi(self, path, ...)``."""
        return to_midi(self, path, **options)

    def to_wav(self, path: str | os.PathLike | None = None, **options) -> str | bytes:
        """``mp.to_wav(self, path, ...)``."""
        return to_wav(self, path, **options)


class Step:
    """One stage with its arguments, or several chained (``a | b``), waiting for input."""

    def __init__(self, element: Command | Group | Pipeline):
        self.pipeline = element if isinstance(element, Pipeline) else Pipeline([element])

    def __or__(self, other: Step) -> Step:
        return Step(Pipeline(self.pipeline.elements + other.pipeline.elements))

    def __call__(self, input: Piece | bytes | Iterable[dict] | None = None, *,
                 echo: bool = True) -> Piece:
        """Run the step on ``input`` (none: a fresh stream, as at a terminal)."""
        return _execute(self.pipeline, _as_bytes(input), echo)

    def __repr__(self) -> str:
        return f"<Step: {text(self.pipeline)}>"


def _as_bytes(input) -> bytes | None:
    if input is None or isinstance(input, bytes):
        return input
    if isinstance(input, Piece):
        return input.data
    from .stream import encode

    events = list(input)
    return encode(events) if events else b""


def _execute(pipeline: Pipeline, data: bytes | None, echo: bool) -> Piece:
    result = _Result(b"")
    result.stdout = _run_pipeline(pipeline, data, result, sys.stderr.write if echo else None)
    return Piece(result.stdout, result.stderr)


def _argv(name: str, args: tuple, options: dict) -> list[str]:
    """Keywords as the stage's command-line options; TypeError for one it does not have."""
    import click

    from .umbrella import _module

    command = _module(name).command
    by_name: dict[str, click.Parameter] = {}
    for p in command.params:
        if isinstance(p, click.Option):
            by_name[p.name] = p
            for opt in p.opts:
                if opt.startswith("--"):
                    by_name.setdefault(opt[2:].replace("-", "_"), p)
    argv: list[str] = []
    for key, value in options.items():
        p = by_name.get(key)
        if p is None:
            known = sorted({o[2:].replace("-", "_") for q in command.params for o in q.opts
                            if o.startswith("--")})
            raise TypeError(f"{name}() got an unexpected keyword argument {key!r}; "
                            f"options: {', '.join(known)}")
        flag = max(p.opts, key=len)
        if value is None or value is False:
            continue
        if p.is_flag:
            argv.append(flag)
        elif p.multiple:
            for v in value if isinstance(value, (list, tuple)) else [value]:
                argv += [flag, _word(v)]
        else:
            argv += [flag, _word(value)]
    words = [_word(a) for a in args]
    if any(w.startswith("-") for w in words):
        argv.append("--")  # a negative number or `-` stays an argument
    return argv + words


def _word(value) -> str:
    return os.fspath(value) if isinstance(value, os.PathLike) else str(value)


def stage(name: str, *args, **options) -> Step:
    """Any stage as a step: ``mp.stage("to-midi", out="x.mid")``; arguments after keywords."""
    if name not in STAGES:
        raise PipelineError(f"pipeline: unknown stage {name!r}; stages: {', '.join(STAGES)}")
    return Step(Command(name, _argv(name, args, options)))


def _step_maker(name: str):
    def make(*args, **options) -> Step:
        return stage(name, *args, **options)

    make.__name__ = make.__qualname__ = name.replace("-", "_")
    make.__doc__ = (f"The `{name}` stage as a step; its options as keywords "
                    f"(`{name} --help` lists them).")
    return make


seed = _step_maker("seed")
motif = _step_maker("motif")
seq = _step_maker("seq")
euclid = _step_maker("euclid")
scale = _step_maker("scale")
transpose = _step_maker("transpose")
humanize = _step_maker("humanize")
rubato = _step_maker("rubato")
trim = _step_maker("trim")
mix = _step_maker("mix")
viz = _step_maker("viz")
from_midi = _step_maker("from-midi")
chords = _step_maker("chords")
bass = _step_maker("bass")
quantize = _step_maker("quantize")
click = _step_maker("click")


def layer(*parts: Step) -> Step:
    """Parts played together, ``{ a; b; }`` in the shell: their streams one after another."""
    return Step(Group([p.pipeline for p in parts]))


def pipe(*steps, echo: bool = True) -> Piece:
    """Run steps in order; a first argument that is no Step (a Piece, events, bytes) is the
    input: ``mp.pipe(mp.seed(1), mp.motif())`` or ``mp.pipe(piece, mp.humanize())``."""
    data = None
    if steps and not isinstance(steps[0], Step):
        data, steps = _as_bytes(steps[0]), steps[1:]
    elements = [el for s in steps for el in s.pipeline.elements]
    if not elements:
        return Piece(data or b"")
    return _execute(Pipeline(elements), data, echo)


def run(text: str, input: Piece | bytes | Iterable[dict] | None = None, *,
        echo: bool = True) -> Piece:
    """Run pipeline text in-process, the same bytes as the shell:
    ``mp.run("seed 42 | motif --notes 16 | scale --root D")``."""
    return _execute(parse(text), _as_bytes(input), echo)


def _sink(name: str, events, path, options: dict, echo: bool) -> str | bytes:
    out = "-" if path is None else os.fspath(path)
    piece = Step(Command(name, _argv(name, (), {**options, "out": out})))(events, echo=echo)
    return piece.data if path is None else out


def to_midi(events, path: str | os.PathLike | None = None, *, echo: bool = True,
            **options) -> str | bytes:
    """Write ``events`` (a Piece, events or JSONL bytes) as a .mid with the `to-midi` stage;
    returns the path, or the file's bytes when ``path`` is None. Options: type, ppq, title."""
    return _sink("to-midi", events, path, options, echo)


def to_wav(events, path: str | os.PathLike | None = None, *, echo: bool = True,
           **options) -> str | bytes:
    """Render ``events`` to a WAV with the `to-wav` stage; returns the path, or the bytes
    when ``path`` is None. Options as `to-wav --help`: length, normalize, peak, soundfont..."""
    return _sink("to-wav", events, path, options, echo)


class Mood(Piece):
    """A mood's stream; ``to_wav``/``to_midi`` write the same files as `mood ... --out`
    (the WAV exactly ``seconds`` long and at -16 LUFS, unlike a plain `to-wav`)."""

    def __init__(self, data: bytes, warnings, argv: list[str]):
        super().__init__(data, warnings)
        self.argv = argv

    def _write(self, path, suffixes: tuple[str, ...], soundfont=None, echo: bool = True) -> str:
        path = os.fspath(path)
        if not path.lower().endswith(suffixes):
            raise PipelineError(f"mood: {path}: write a {' or '.join(suffixes)} file")
        extra = ["--out", path] + (["--soundfont", os.fspath(soundfont)] if soundfont else [])
        Step(Command("mood", extra + self.argv))(echo=echo)
        return path

    def to_wav(self, path, *, soundfont: str | os.PathLike | None = None,
               echo: bool = True) -> str:
        return self._write(path, (".wav",), soundfont, echo)

    def to_midi(self, path, *, echo: bool = True) -> str:
        return self._write(path, (".mid", ".midi"), echo=echo)


def mood(name: str, seconds: float | None = None, *, key: str | None = None,
         tempo: float | None = None, intensity: int | None = None, seed: int | None = None,
         bars: int | None = None, loop: bool = False, packs: Iterable[str] = (),
         echo: bool = True) -> Mood:
    """A whole arrangement from a mood preset, as `mood NAME --duration SECONDS ...` prints it.

    ``seconds`` defaults to 8 (with ``bars``: what they last at ``tempo`` or the mood's);
    without ``tempo`` the piece is whole bars; ``bars`` asks for a number of them; ``loop``
    writes a seamless loop (`mood --loop`), with loop points in its .mid and .wav files.
    No seed: a random one, announced on stderr (and the Mood's ``seed`` tells it)."""
    options = {"duration": seconds, "key": key, "tempo": tempo, "intensity": intensity,
               "seed": seed, "bars": bars, "loop": loop, "pack": list(packs)}
    argv = _argv("mood", (name,), options)
    piece = Step(Command("mood", argv))(echo=echo)
    if seed is None and piece.seed is not None:  # later files use the seed this one drew
        argv = _argv("mood", (name,), {**options, "seed": piece.seed})
    return Mood(piece.data, piece.warnings, argv)


def list_moods(packs: Iterable[str] = ()) -> list[dict]:
    """The moods as `mood --list --json` gives them: name, description, tags, tempo, key,
    intensity, layers, source."""
    from .moods.catalog import entries
    from .moods.packs import Library

    return entries(Library(list(packs)))


class Score(Mood):
    """A score plan's stream; ``to_wav``/``to_midi`` write the files `score PLAN --out`
    writes (exactly the plan's duration, -16 LUFS, loop points when it loops)."""

    def __init__(self, data: bytes, warnings, argv: list[str], plan: bytes | None):
        super().__init__(data, warnings, argv)
        self.plan = plan  # the text fed to `score -`; None: argv names the plan's file

    def _write(self, path, suffixes: tuple[str, ...], soundfont=None, echo: bool = True) -> str:
        path = os.fspath(path)
        if not path.lower().endswith(suffixes):
            raise PipelineError(f"score: {path}: write a {' or '.join(suffixes)} file")
        extra = ["--out", path] + (["--soundfont", os.fspath(soundfont)] if soundfont else [])
        Step(Command("score", extra + self.argv))(self.plan, echo=echo)
        return path


def _plan(plan) -> tuple[str, bytes | None]:
    """The PLAN argument and stdin for `score`: a file's path, or `-` and the plan's text
    (a dict as JSON; a string holding a newline, `=` or `{` is text, else a path)."""
    if isinstance(plan, dict):
        import orjson

        return "-", orjson.dumps(plan)
    if isinstance(plan, os.PathLike):
        return os.fspath(plan), None
    if isinstance(plan, str):
        if any(c in plan for c in "\n={"):
            return "-", plan.encode()
        return plan, None
    raise TypeError(f"score() takes a plan as a dict, TOML or JSON text or a path, "
                    f"not {type(plan).__name__}")


def score(plan, *, seed: int | None = None, out: str | os.PathLike | None = None,
          packs: Iterable[str] = (), soundfont: str | os.PathLike | None = None,
          echo: bool = True) -> Score | str:
    """A score plan played as one piece (docs/score.md), as `score PLAN` prints it.

    ``plan``: a dict (the plan's JSON), TOML or JSON text, or a file's path. ``seed`` is
    over the plan's own (neither: a random one, announced on stderr and kept in the Score's
    ``seed``). With ``out`` (.mid or audio) the file `score PLAN --out` writes, and its path
    is returned (``soundfont`` for its audio); without, the Score, whose ``to_wav``/``to_midi``
    write the same files. A
    plan that cannot be played raises PipelineError: exit 65, one line naming the field."""
    where, data = _plan(plan)
    options = {"seed": seed, "pack": list(packs)}
    if out is not None:
        extra = {"out": out, "soundfont": soundfont}
        Step(Command("score", _argv("score", (where,), {**options, **extra})))(data, echo=echo)
        return os.fspath(out)
    piece = Step(Command("score", _argv("score", (where,), options)))(data, echo=echo)
    if seed is None and piece.seed is not None:  # later files use the seed this one drew
        options["seed"] = piece.seed
    return Score(piece.data, piece.warnings, _argv("score", (where,), options), data)

"""score: a score plan played as one piece, or with --check validated and its fitted
timeline printed (docs/score.md)."""

from __future__ import annotations

import sys

import click

from .. import cli
from ..errors import BadOption
from ..events import MAX_SEED
from ..stream import DataError
from . import piece

def _read(io: cli.StageIO, path: str) -> bytes:
    from ..scoring.plan import MAX_PLAN_BYTES

    if path == "-":
        fp = sys.stdin.buffer if sys.stdin is not None else None
        if fp is None:
            raise BadOption("no plan on stdin")
        if fp.isatty():
            io.warn("reading the plan from the terminal (end with Ctrl-D); "
                    "or name a file: score --check scene.toml")
        data = fp.read(MAX_PLAN_BYTES + 1)
    else:
        try:
            with open(path, "rb") as f:
                data = f.read(MAX_PLAN_BYTES + 1)
        except OSError as e:
            raise BadOption(f"cannot read {path}: {e.strerror or e}") from None
    return data


@cli.stage("score", not_stream=("--out", "-o", "--stems", "--check"), examples=[
    "score examples/scene.toml --out scene.wav",
    "score examples/scene.toml --seed 8 --out scene.mid",
    "score examples/scene.toml | viz",
    "score --check examples/scene.toml",
    "score --check examples/scene.toml --json > timeline.json",
    "cat examples/scene.toml | score - --out scene.mid",
], epilog=(
    "A plan (TOML, or JSON for a .json file or text starting with `{`) puts moods on a "
    "timeline: regions at exact seconds, intensity keyframes, hit points, one seed. score "
    "plays it as one piece: each region's tempo fitted so regions meet on bar lines at their "
    "seconds (the fit is reported on stderr, a line per region), each leading into the next "
    "key through a pivot and its dominant with a fill or a cymbal swell, ramps where tempi "
    "differ, the intensity curve heard bar by bar (layers, density, loudness), each hit "
    "played by the band on its second, and an ending exactly at `duration` (or, with "
    "`loop = true`, a seamless loop). The output is the stream, or with --out a .mid or "
    "audio at -16 LUFS as mood writes it, and with --stems DIR one audio file per track "
    "(each region's layers are tracks of their own: calm-melody, finale-melody ...). --check only checks: every field (one line naming "
    "the field, exit 65: `region[2].at: 45 is past duration 40`), then prints the timeline: "
    "bars, tempi and the fit in percent, ramps, per-bar intensity, where each hit lands. "
    "The format and its JSON Schema: docs/score.md."))
@click.argument("plan_path", metavar="PLAN", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--check", is_flag=True, help="Validate PLAN and print its fitted timeline "
              "(regions, bars, tempi, the fit in %, hits); nothing is played.")
@click.option("--json", "as_json", is_flag=True, help="With --check: the timeline as JSON.")
@click.option("--seed", type=click.IntRange(0, MAX_SEED), default=None,
              help="Random seed, over the plan's `seed` (neither: a random one, printed on stderr).")
@piece.file_options
@click.option("--pack", "packs", multiple=True, type=click.Path(dir_okay=False),
              help="Also load this mood pack (repeatable), as for mood.")
@click.option("--soundfont", metavar="FILE", help="SoundFont for audio output.")
def command(io: cli.StageIO, plan_path, check, as_json, seed, out, stems, force, loudness, rate,
            bits, packs, soundfont):
    """Play a score plan: moods on a timeline, one piece in whole bars, exactly its duration.

    PLAN is a TOML or JSON file, or - for stdin.
    """
    from ..moods.packs import Library, PackError
    from ..scoring import check as checking
    from ..scoring.plan import PlanError, parse

    io.stream_out = not (out or stems or check)
    if check and (out or stems):
        raise click.UsageError("--check only checks: no --out or --stems with it")
    if as_json and not check:
        raise click.UsageError("--json goes with --check (the timeline as JSON)")
    fmt = "json" if plan_path.lower().endswith(".json") else None if plan_path == "-" else "toml"
    where = "stdin" if plan_path == "-" else plan_path
    library = Library(list(packs))
    asked = [e for e in library.errors() if any(e.startswith(p + ":") for p in packs)]
    if asked:
        raise DataError(asked[0])
    if not check:
        piece.check_audio(out, stems, rate, bits)
    try:
        plan = parse(_read(io, plan_path), fmt)
        regions, timeline = checking.check(plan, library)
    except PlanError as e:
        raise DataError(f"{where}: {e}") from None
    except PackError as e:
        raise DataError(str(e)) from None
    data = checking.report(plan, regions, timeline)
    if check:
        if as_json:
            import orjson

            cli.write_stdout(orjson.dumps(data).decode() + "\n")
        else:
            cli.write_stdout(checking.report_text(data))
        return None
    from ..scoring.render import compose

    for r in data["regions"]:
        io.warn(checking.fit_line(r))
    if seed is None:
        seed = plan.seed if plan.seed is not None else io.random_seed()
    try:
        events = compose(plan, library, seed=seed)
    except ValueError as e:  # a pack value only the whole arrangement shows (a register too high)
        raise DataError(f"{where}: {e}") from None
    if not out and not stems:
        return events
    piece.write(io, events, name="score", out=out, stems=stems, force=force, loudness=loudness,
                rate=rate, bits=bits, soundfont=soundfont, length=plan.duration, loop=plan.loop,
                title=plan.title)
    return None


main = command

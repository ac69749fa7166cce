"""score --check: a score plan validated and its fitted timeline printed (docs/score.md)."""

from __future__ import annotations

import sys

import click

from .. import cli
from ..errors import BadOption
from ..stream import DataError

NOT_YET = ("score plays no music yet (issue 23: the mood engine comes first); "
           "`score --check PLAN` validates a plan and prints its timeline")


def _read(io: cli.StageIO, path: str) -> bytes:
    from ..score.plan import MAX_PLAN_BYTES

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


@cli.stage("score", stream_out=False, examples=[
    "score --check examples/scene.toml",
    "score --check examples/scene.toml --json > timeline.json",
    "cat examples/scene.toml | score --check -",
], epilog=(
    "A plan (TOML, or JSON for a .json file or text starting with `{`) puts moods on a "
    "timeline: regions at exact seconds, intensity keyframes, hit points, one seed. "
    "--check reads it, checks every field (one line naming the field, exit 65: "
    "`region[2].at: 45 is past duration 40`), fits each region's tempo so regions meet on "
    "bar lines at their seconds and the piece ends exactly at `duration`, and prints the "
    "timeline: bars, tempi and the fit in percent, ramps, per-bar intensity, where each hit "
    "lands. The format and its JSON Schema: docs/score.md."))
@click.argument("plan_path", metavar="PLAN", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--check", is_flag=True, help="Validate PLAN and print its fitted timeline "
              "(regions, bars, tempi, the fit in %, hits); nothing is played.")
@click.option("--json", "as_json", is_flag=True, help="With --check: the timeline as JSON.")
@click.option("--pack", "packs", multiple=True, type=click.Path(dir_okay=False),
              help="Also load this mood pack (repeatable), as for mood.")
def command(io: cli.StageIO, plan_path, check, as_json, packs):
    """Check a score plan: moods on a timeline, fitted to whole bars.

    PLAN is a TOML or JSON file, or - for stdin.
    """
    if not check:
        raise click.UsageError(NOT_YET)
    from ..moods.packs import Library, PackError
    from ..score import check as checking
    from ..score.plan import PlanError, parse

    fmt = "json" if plan_path.lower().endswith(".json") else None if plan_path == "-" else "toml"
    where = "stdin" if plan_path == "-" else plan_path
    library = Library(list(packs))
    asked = [e for e in library.errors() if any(e.startswith(p + ":") for p in packs)]
    if asked:
        raise DataError(asked[0])
    try:
        plan = parse(_read(io, plan_path), fmt)
        regions, timeline = checking.check(plan, library)
    except PlanError as e:
        raise DataError(f"{where}: {e}") from None
    except PackError as e:
        raise DataError(str(e)) from None
    data = checking.report(plan, regions, timeline)
    if as_json:
        import orjson

        cli.write_stdout(orjson.dumps(data).decode() + "\n")
    else:
        cli.write_stdout(checking.report_text(data))
    return None


main = command

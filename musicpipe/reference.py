"""The reference an agent reads, generated from the code's own tables: every stage's options
from its click command (what ``--help`` prints), the event format from ``events.EVENTS``, the
moods with their layers from the mood library, the exit codes, notes-as-JSON and score plans with their schemas.

    >>> describe("transpose")["options"][0]["flags"]
    ['--semitones', '-s']

``TOPICS`` names each page; ``page(name)`` gives (MIME type, text). The MCP server serves
them as resources; a Python user reads them here.
"""

from __future__ import annotations

import inspect
import json
from pathlib import Path

from . import umbrella

TOPICS = {
    "stages": "every stage and command with its options and examples (as --help prints them)",
    "events": "the event stream: one JSON object per line, every type and field with its range",
    "notation": "the seq text notation: C4/4 D4/8 [C4,E4,G4]/2 R/4",
    "moods": "the mood presets with tempo, key, intensity and layers",
    "notes": "notes as JSON (write_notes): tracks, pitches, positions; and editing sessions",
    "notes-schema": "the JSON Schema of a notes document",
    "score": "score plans: moods on a timeline with intensity keyframes and hit points "
             "(compose_score plays one, check_score shows its fitted timeline)",
    "score-schema": "the JSON Schema of a score plan (compose_score's and check_score's plan)",
    "exit-codes": "what each exit code means",
}


class UnknownStage(ValueError):
    """Not a stage or command name; the message lists them."""


def names() -> list[str]:
    return umbrella.available() + list(umbrella.COMMANDS)


def _command(stage: str):
    module = umbrella._module(stage) if stage in umbrella.STAGES or stage in umbrella.COMMANDS else None
    if module is None:
        raise UnknownStage(f"stage: {stage!r} is not a stage; stages: {', '.join(names())}")
    return module.command


def _context(stage: str, cmd):
    """The help's context, 100 columns wide whatever the terminal (the same text anywhere).
    click is imported here, not at the top: the library does not load it until asked."""
    import click

    settings = dict(cmd.context_settings)
    settings.setdefault("max_content_width", 100)
    return click.Context(cmd, info_name=stage, terminal_width=settings["max_content_width"],
                         **settings)


def _kind(info: dict) -> str:
    kind = info["type"]
    if kind["param_type"] == "Choice":
        return "one of " + ", ".join(map(str, kind["choices"]))
    if kind["param_type"] in ("IntRange", "FloatRange"):
        lo = "" if kind["min"] is None else kind["min"]
        hi = "" if kind["max"] is None else kind["max"]
        return f"{'integer' if kind['param_type'] == 'IntRange' else 'number'} {lo}..{hi}"
    return kind["name"]


def options(stage: str) -> list[dict]:
    """A stage's arguments and options: flags, what they take, default, help."""
    cmd = _command(stage)
    info = cmd.to_info_dict(_context(stage, cmd))
    out = []
    for p in info["params"]:
        if p.get("hidden") or p["name"] in ("help",):
            continue
        row = {"name": p["name"], "flags": p["opts"] + p.get("secondary_opts", []),
               "kind": "flag" if p.get("is_flag") else _kind(p),
               "argument": p["param_type_name"] == "argument"}
        if p.get("required"):
            row["required"] = True
        if p.get("multiple") or p.get("nargs", 1) == -1:
            row["repeatable"] = True
        default = p.get("default")
        if default not in (None, False, (), []) and not callable(default):
            row["default"] = default
        if p.get("help"):
            row["help"] = p["help"]
        out.append(row)
    return out


def help_text(stage: str) -> str:
    """What ``STAGE --help`` prints."""
    cmd = _command(stage)
    return cmd.get_help(_context(stage, cmd))


def describe(stage: str) -> dict:
    """A stage's summary, usage, options and examples: what an agent needs for a first call
    that works."""
    cmd = _command(stage)
    ctx = _context(stage, cmd)
    return {"stage": stage,
            "summary": umbrella.STAGES.get(stage) or umbrella.COMMANDS[stage],
            "usage": " ".join(cmd.collect_usage_pieces(ctx)).join((f"{stage} ", "")),
            "description": inspect.cleandoc(cmd.help or ""),
            "options": options(stage),
            "examples": list(getattr(cmd, "examples", [])),
            "stream": bool(getattr(cmd, "stream_out", False))}


def stages_markdown() -> str:
    out = ["# Stages and commands", "",
           "<!-- generated from the click commands by musicpipe.reference -->", ""]
    for stage in names():
        try:
            text = help_text(stage).rstrip()
        except ImportError as e:  # one broken stage does not take the reference down with it
            text = f"{stage}: cannot be loaded: {e}"
        out += [f"## {stage}", "", "```", text, "```", ""]
    return "\n".join(out)


def moods_markdown() -> str:
    from .moods.catalog import entries
    from .moods.packs import Library

    out = ["# Moods", "", "`mood NAME --duration SECONDS --seed N [--key K] [--tempo BPM] "
           "[--intensity 0-100]`; layers play by intensity (all of them at 100).", ""]
    for m in entries(Library()):
        if "error" in m:
            out += [f"## {m['name']}", "", f"broken: {m['error']}", ""]
            continue
        layers = ", ".join(f"{x['name']} ({x['generator']}, ch {x['ch']})" for x in m["layers"])
        out += [f"## {m['name']}", "", m["description"], "",
                f"tempo {m['tempo']}, key {m['key']}, intensity {m['intensity']}; "
                f"tags: {', '.join(m['tags']) or '-'}", "", f"layers: {layers}", ""]
    return "\n".join(out)


def _docs_page(name: str, fallback: str) -> str:
    """docs/NAME.md in a source checkout, else ``fallback`` (an installed package has no docs/)."""
    doc = Path(__file__).resolve().parent.parent / "docs" / f"{name}.md"
    return doc.read_text(encoding="utf-8") if doc.is_file() else fallback


def notation_markdown() -> str:
    from . import notation

    return _docs_page("notation", f"# seq notation\n\n{notation.__doc__}\n{notation.DURATION_HELP}\n")


def score_markdown() -> str:
    from .scoring import plan

    return _docs_page("score", f"# Score plans\n\n{plan.__doc__}\n")


def notes_markdown() -> str:
    from . import edit, notes, positions

    return "\n\n".join(("# Notes as JSON", notes.__doc__.strip(), "## Positions",
                        positions.__doc__.strip(), "## Editing sessions", edit.__doc__.strip(),
                        "The schema is the `notes-schema` page."))


def exit_codes_markdown() -> str:
    from .cli import EXIT_CODES_HELP

    return "# Exit codes\n\n" + EXIT_CODES_HELP + "\n"


def page(topic: str) -> tuple[str, str]:
    """(MIME type, text) of one of ``TOPICS``."""
    from . import events, notes

    makers = {"stages": stages_markdown, "events": events.reference_markdown,
              "notation": notation_markdown, "score": score_markdown, "moods": moods_markdown,
              "notes": notes_markdown, "exit-codes": exit_codes_markdown}
    if topic == "notes-schema":
        return "application/schema+json", json.dumps(notes.json_schema(), indent=1)
    if topic == "score-schema":
        from .scoring import plan

        return "application/schema+json", json.dumps(plan.schema(), indent=1)
    if topic not in makers:
        raise KeyError(f"topic: {topic!r}; topics: {', '.join(TOPICS)}")
    return "text/markdown", makers[topic]()

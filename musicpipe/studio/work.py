"""What the studio does, as plain functions over the library: render a mood, run a
pipeline, check and save a mood pack. They run in worker threads and know nothing of HTTP;
a bad request raises ``Refused`` with the stage's own one-line message.

A mood's stream is the `mood` stage's (the same bytes, checks and messages as the shell);
its .wav and .mid are what `mood ... --out` writes, made from that stream outside the
stages' lock so two renders synthesize at once. Stems are rendered on request.
"""

from __future__ import annotations

import os
import re

from .. import budget
from ..errors import StageError
from ..moodbars import bars_seconds, stream_seconds
from ..pipeline import (Pipeline, PipelineError, Result, TooLong, _run_pipeline, commands,
                        file_arguments, parse, run_stage, text)
from .store import Limits, Refused, Store

PACK_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,47}")
FIELD = re.compile(r': (?:mood "[^"]*"|moods\[\d+\]), (?P<field>[^\s:]+): ')


def _refuse(e: StageError, **extra) -> Refused:
    """A stage's error as an answer: bad input 400, a missing SoundFont 503."""
    return Refused(str(e), 503 if e.exit_code == 69 else 400, **extra)


def render_mood(store: Store, limits: Limits, mood: str, seconds: float | None, key: str | None,
                tempo: float | None, intensity: int | None, seed: int | None,
                bars: int | None = None, loop: bool = False) -> dict:
    """`mood MOOD --duration SECONDS [--bars N] [--loop] ...` as a stream, .mid, .wav and
    piano roll; ``seconds`` None with ``bars``: as long as the bars last."""
    if seconds is not None and seconds > limits.seconds:
        raise Refused(f"serve: seconds: {seconds:g} is over the studio's limit of "
                      f"{limits.seconds:g}")
    if bars is not None:
        _check_bars(limits, mood, seconds, tempo, bars)
    args = [] if seconds is None else ["--duration", repr(float(seconds))]
    for flag, value in (("--bars", bars), ("--key", key), ("--tempo", tempo),
                        ("--intensity", intensity), ("--seed", seed)):
        if value is not None:
            args += [flag, str(value)]
    if loop:
        args.append("--loop")
    result = Result(b"")
    try:
        data = run_stage("mood", args + ["--", mood], None, result)
    except PipelineError as e:
        raise _refuse(e) from None
    events = _events(data, limits)
    seed = events[0]["seed"]
    length = float(seconds) if seconds is not None else stream_seconds(events)
    audio = {"length": length, "loudness": _default("mood", "loudness")}
    if loop:
        audio["loop"] = True  # the tail folded into the start, a smpl chunk (stems too)
    piece = _piece(store, f"{mood}-{seed}", data, events, audio, result.stderr)
    settings = {"mood": mood, "seconds": seconds, "bars": bars, "loop": loop, "key": key,
                "tempo": tempo, "intensity": intensity, "seed": seed}
    shape = (f" · {bars} bars" if bars is not None else "") + (" · loop" if loop else "")
    return {**piece, "kind": "mood", "settings": settings, "warnings": result.stderr,
            "title": f"{mood} · seed {seed} · {round(length, 3):g} s{shape}"}


def _check_bars(limits: Limits, mood: str, seconds: float | None, tempo: float | None,
                bars: int) -> None:
    """bars as `mood --bars` takes them, and at a tempo no longer than the studio renders:
    refused before anything is composed."""
    if seconds is not None:
        if tempo is not None:
            raise Refused("serve: bars: give seconds or tempo with it, not both (the other "
                          "follows from them)")
        return
    lasts = bars_seconds(mood, bars, tempo)
    if lasts is not None and lasts > limits.seconds:
        at = "its tempo" if tempo is None else f"{tempo:g} BPM"
        raise Refused(f"serve: bars: {bars} bars of {mood} at {at} last {lasts:.0f} s; the "
                      f"studio renders at most {limits.seconds:g} s")


def run_pipeline(store: Store, limits: Limits, pipeline_text: str) -> dict:
    """Pipeline text run in-process, top-level stage by stage so a failure names its place:
    ``Refused`` carries ``stages`` (each stage's text) and ``stage`` (the failing index)."""
    if len(pipeline_text) > limits.pipeline_chars:
        raise Refused(f"serve: the pipeline is {len(pipeline_text)} characters; the studio "
                      f"takes {limits.pipeline_chars}")
    try:
        pipe = parse(pipeline_text)
    except PipelineError as e:
        raise _refuse(e, stage=None, stages=[]) from None
    stages = [text(Pipeline([el])) for el in pipe.elements]
    for i, el in enumerate(pipe.elements):
        for cmd in commands(Pipeline([el])):
            for option, value in file_arguments(cmd.name, cmd.args):
                raise Refused(f"serve: {cmd.name} {option} {value}: the studio reads and writes "
                              "no files a pipeline names (it makes the .mid and .wav: see the "
                              "downloads)", stage=i, stages=stages)
            asked, seconds = _mood_seconds(cmd)
            if seconds is not None and seconds > limits.seconds:  # before it is composed
                raise Refused(f"serve: mood {asked}: the studio renders at most "
                              f"{limits.seconds:g} s", stage=i, stages=stages)
    data, result = None, Result(b"")
    for i, el in enumerate(pipe.elements):
        try:  # generators and loop refuse a bigger plan before building it (budget); any
            # other stage is stopped at the limit, like `| head`
            with budget.at_most(limits.events):
                data = _run_pipeline(Pipeline([el]), data, result, None, limits.events)
        except TooLong as e:
            raise Refused(f"serve: {e.stage} makes more than {limits.events} events; the studio "
                          f"takes {limits.events} a pipeline", stage=i, stages=stages) from None
        except PipelineError as e:
            raise _refuse(e, stage=i, stages=stages) from None
        made = data.count(b"\n")
        if made > limits.events:  # a { a; b; } group: each part within the limit, not all
            group = stages[i] if len(stages[i]) <= 60 else stages[i][:57] + "..."
            raise Refused(f"serve: {group} made {made} events; the studio takes "
                          f"{limits.events} a pipeline", stage=i, stages=stages)
    try:
        events = _events(data, limits)
    except Refused as e:
        raise Refused(e.message, stage=len(stages) - 1, stages=stages) from None
    from ..draw import Piece

    drawn = Piece()
    drawn.add(events)
    if drawn.seconds(drawn.end) > limits.seconds:
        raise Refused(f"serve: the piece lasts {drawn.seconds(drawn.end):.0f} s; the studio "
                      f"renders at most {limits.seconds:g} s", stage=len(stages) - 1, stages=stages)
    seed = next((e["seed"] for e in events if e["type"] == "Seed"), None)
    piece = _piece(store, f"pipeline-{seed}", data, events, {"peak": -1.0}, result.stderr)
    return {**piece, "kind": "pipeline", "settings": {"pipeline": pipeline_text, "seed": seed},
            "stages": stages, "warnings": result.stderr,
            "title": f"{stages[0]} … · seed {seed}" if len(stages) > 1 else stages[0]}


def check_score(plan_text: str) -> dict:
    """`score --check - --json`: the plan checked, its fitted timeline as data."""
    import orjson

    return orjson.loads(_score(["--check", "--json"], plan_text))


def _score(args: list[str], plan_text: str, result: Result | None = None,
           max_lines: int | None = None) -> bytes:
    """`score -` on the plan's text; its one line naming the field, the plan as `plan`."""
    try:
        return run_stage("score", args + ["--", "-"], plan_text.encode(), result,
                         max_lines=max_lines)
    except TooLong:
        raise Refused(f"serve: the score makes more than {max_lines - 1} events; the studio "
                      f"takes {max_lines - 1}") from None
    except PipelineError as e:
        refused = _refuse(e)
        refused.message = refused.message.replace("score: stdin: ", "score: plan: ", 1)
        raise refused from None


def render_score(store: Store, limits: Limits, plan_text: str, seed: int | None) -> dict:
    """`score - --seed SEED` as a stream, and the .mid and .wav `score ... --out` writes
    (the audio exactly the plan's duration, with loop points when it loops)."""
    from ..scoring.plan import parse

    check_score(plan_text)  # every field, with its one line, before anything is composed
    plan = parse(plan_text)
    if plan.duration > limits.seconds:
        raise Refused(f"serve: duration: {plan.duration:g} is over the studio's limit of "
                      f"{limits.seconds:g} s")
    result = Result(b"")
    with budget.at_most(limits.events):  # the mood engine's parts refuse a bigger plan
        data = _score([] if seed is None else ["--seed", str(seed)], plan_text, result,
                      limits.events + 1)
    events = _events(data, limits)
    seed = events[0]["seed"]
    audio = {"length": plan.duration, "loudness": _default("score", "loudness"),
             "loop": plan.loop}
    name = plan.title or "score"
    piece = _piece(store, f"{name}-{seed}", data, events, audio, result.stderr, title=plan.title)
    return {**piece, "kind": "score", "settings": {"plan": plan_text, "seed": seed},
            "warnings": result.stderr, "title": f"{name} · seed {seed} · {plan.duration:g} s"}


def _mood_seconds(cmd) -> tuple[str, float | None]:
    """What a `mood` command asks for and how long it lasts: its --duration as written, or
    what its --bars last at its --tempo or the mood's (None: another stage, or a value the
    stage's own parser will refuse with its message)."""
    import click

    from ..umbrella import _module

    if cmd.name != "mood":
        return "", None
    command = _module("mood").command
    ctx = click.Context(command, info_name="mood", resilient_parsing=True)
    try:
        values, _, _ = command.make_parser(ctx).parse_args(list(cmd.args))
        seconds = float(values.get("duration") or 0) or None
        if seconds is not None or values.get("bars") is None or not values.get("name"):
            return f"--duration {seconds:g}" if seconds else "", seconds
        tempo = float(values["tempo"]) if values.get("tempo") else None
        lasts = bars_seconds(str(values["name"]), int(values["bars"]), tempo)
        return f"--bars {int(values['bars'])}: {lasts or 0:.0f} s", lasts
    except (click.ClickException, ValueError, TypeError):
        return "", None


def _events(data: bytes, limits: Limits) -> list[dict]:
    from ..stream import DataError, parse_lines

    try:
        events = parse_lines(data)
    except (DataError, UnicodeDecodeError):
        raise Refused("serve: the output is not an event stream: end the pipeline before "
                      "to-midi or to-wav (the studio makes the .mid and .wav)") from None
    if not any(e["type"] == "Note" for e in events):
        raise Refused("serve: no notes to play")
    if len(events) > limits.events:
        raise Refused(f"serve: {len(events)} events; the studio takes {limits.events}")
    return events


def _default(stage: str, option: str):
    """A stage option's default (the mood's loudness): the command's own table."""
    from ..umbrella import _module

    return next(p.default for p in _module(stage).command.params if p.name == option)


def _audio(events: list[dict], warnings: list[str], folder: str, **level) -> bytes:
    """The WAV `mood --out x.wav` (``length``, ``loudness``, ``loop``) or `to-wav
    --normalize --out x.wav` (``peak``) writes. A loop's is written to a file in ``folder``
    first: its smpl chunk is added to a finished file."""
    import tempfile

    from ..audio.export import export

    out: list[bytes] = []
    try:
        if not level.get("loop"):
            export(events, "-", sink=out.append, warn=warnings.append, **level)
            return b"".join(out)  # the WAV comes in blocks
        with tempfile.TemporaryDirectory(prefix="musicpipe-loop-", dir=folder) as tmp:
            path = os.path.join(tmp, "loop.wav")
            export(events, path, warn=warnings.append, **level)
            with open(path, "rb") as f:
                return f.read()
    except StageError as e:
        raise _refuse(e) from None


def stems(store: Store, rid: str) -> dict:
    """One WAV per track and their mix (`--stems DIR`), as a .zip beside the render."""
    import tempfile
    import zipfile
    from io import BytesIO

    from ..audio.export import export
    from ..outfolder import MANIFEST
    from ..stream import parse_lines

    events = parse_lines(open(store.path(rid, "jsonl"), "rb").read())
    warnings: list[str] = []
    with tempfile.TemporaryDirectory(prefix="musicpipe-stems-", dir=store.root) as tmp:
        try:
            export(events, None, stems=tmp, force=True, warn=warnings.append,
                   **store.recipes[rid])
        except StageError as e:
            raise _refuse(e) from None
        names = sorted(n for n in os.listdir(tmp) if n != MANIFEST)  # the audio, not the list
        packed = BytesIO()
        with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as z:
            for name in names:
                z.write(os.path.join(tmp, name), name)
    url, name = store.attach(rid, "zip", packed.getvalue())
    return {"id": rid, "url": url, "name": name, "stems": names, "warnings": warnings}


def _piece(store: Store, label: str, data: bytes, events: list[dict], level: dict,
           warnings: list[str], title: str | None = None) -> dict:
    """Write the stream, .mid, .wav and roll (coloured by track); describe the tracks and
    the playhead's path. ``level``: how the audio is levelled (``_audio``), kept for stems;
    ``title``: the song's name in the .mid."""
    from ..draw import Piece, layout, svg
    from ..midi import midi_bytes

    drawn = Piece()
    drawn.add(events)
    wav = _audio(events, warnings, store.root, **level)
    midi = midi_bytes(events, **({"title": title} if title else {}))
    rid, names = store.add(label, {"jsonl": data, "mid": midi, "wav": wav,
                                   "svg": svg(drawn, by_track=True).encode()}, level)
    frame = layout(drawn)
    ticks = sorted({0, drawn.end} | {t for t, _ in drawn.tempos if t < drawn.end})
    tracks = [{"ch": p["ch"], "track": p["track"], "name": p["label"], "colour": p["colour"],
               "notes": p["notes"]} for p in drawn.parts()]
    return {"id": rid, "names": names,
            "files": {kind: f"/files/{rid}/{kind}" for kind in names},
            "seconds": round(drawn.seconds(drawn.end), 3), "events": len(events),
            "tracks": tracks,
            "timeline": [[round(drawn.seconds(t), 4), round(frame["left"] + t * frame["px"], 2)]
                         for t in ticks],
            "roll": {"top": frame["top"], "height": frame["roll_height"]}}


def moods() -> dict:
    """The moods for the browser: `mood --list --json` plus each mood's form and time."""
    from ..moods.catalog import entries
    from ..moods.packs import Library

    library = Library()
    rows = entries(library)
    for row in rows:
        if "error" not in row:
            mood = library.resolve(row["name"])
            row["form"] = mood.get("form")
            row["time_sig"] = mood.get("time_sig", "4/4")
    return {"moods": rows, "errors": library.errors()}


def show(mood: str) -> str:
    """`mood --show MOOD`: the resolved TOML."""
    try:
        return run_stage("mood", ["--show", mood], None).decode()
    except PipelineError as e:
        raise _refuse(e) from None


def pack_name(name) -> str:
    if not isinstance(name, str) or not PACK_NAME.fullmatch(name.removesuffix(".toml")):
        raise Refused(f"serve: pack name {str(name)[:80]!r}: letters, digits, - and _ "
                      "(up to 48; the studio picks the folder)")
    return name.removesuffix(".toml")


def check_pack(name: str, pack_text: str) -> dict:
    """The edited pack checked as `mood --pack NAME.toml` would: every load error (the
    file, the mood, the field path), then each mood resolved over the other packs."""
    from ..moods.packs import Library, PackError, load_pack

    pack = load_pack(f"{name}.toml", "studio", text=pack_text)
    errors = list(pack.errors)
    library = Library()
    library.add(pack)
    for mood_name, mood in pack.moods.items():
        if "_error" not in mood:
            try:
                library.resolve(mood_name)
            except PackError as e:
                errors.append(str(e))
    found = [FIELD.search(e) for e in errors]
    return {"ok": not errors, "moods": [n for n, m in pack.moods.items() if "_error" not in m],
            "errors": [{"message": e, "field": m.group("field") if m else None}
                       for e, m in zip(errors, found)]}


def user_packs() -> dict:
    from ..moods.packs import user_folder

    folder = user_folder()
    names = sorted(p.stem for p in folder.glob("*.toml") if PACK_NAME.fullmatch(p.stem))
    return {"folder": str(folder), "packs": names}


def read_pack(name: str) -> str:
    from ..moods.packs import user_folder

    if name not in user_packs()["packs"]:
        raise Refused(f"serve: no pack {name!r} in {user_folder()}", 404)
    return (user_folder() / f"{name}.toml").read_text(encoding="utf-8")


def save_pack(name: str, pack_text: str, replace: bool) -> dict:
    """Write the pack into the user's pack folder, only when it checks clean."""
    from ..atomic import atomic_write
    from ..moods.packs import user_folder

    report = check_pack(name, pack_text)
    if not report["ok"]:
        raise Refused(report["errors"][0]["message"], errors=report["errors"])
    folder = user_folder()
    path = folder / f"{name}.toml"
    if path.exists() and not replace:
        raise Refused(f"serve: {path} exists; save with replace to overwrite it", 409,
                      exists=True)
    try:
        os.makedirs(folder, exist_ok=True)
        atomic_write(path, pack_text.encode())
    except OSError as e:
        raise Refused(f"serve: cannot write {path}: {e.strerror or e}", 507) from None
    return {"saved": path.name, "folder": str(folder), "moods": report["moods"]}

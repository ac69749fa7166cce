"""The studio's Starlette app: one page, its static files, a small JSON API (docs/studio.md).

Routes are thin adapters over ``work``: they check the JSON they are given (field names and
types; ranges are the stages' own checks) and answer errors as ``{"error": one line}``.
Renders and pipelines go through the render queue; nothing takes a file path.
"""

from __future__ import annotations

import contextlib
import math
from importlib import resources

import orjson
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from . import work
from .guard import Guard
from .store import KINDS, Limits, Queue, Refused, Store

STATIC = {"studio.css": "text/css", "studio.js": "text/javascript"}


class JSON(Response):
    media_type = "application/json"

    def render(self, content) -> bytes:
        return orjson.dumps(content)


def _number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


TYPES = {"text": (lambda v: isinstance(v, str), "text"),
         "number": (_number, "a number"),
         "int": (lambda v: isinstance(v, int) and not isinstance(v, bool), "a whole number"),
         "bool": (lambda v: isinstance(v, bool), "true or false")}


async def fields(request: Request, spec: dict[str, tuple[str, bool]]) -> dict:
    """The JSON object in the body, checked against {field: (type, required)}."""
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise Refused("serve: send JSON (Content-Type: application/json)", 415)
    try:
        body = orjson.loads(await request.body())
    except orjson.JSONDecodeError as e:
        raise Refused(f"serve: the body is not JSON ({e})") from None
    except ClientDisconnect:  # closed mid-body (or cut off as too slow): nobody to answer
        raise Refused("serve: the client went away before its request arrived", 400) from None
    if not isinstance(body, dict):
        raise Refused("serve: the body should be a JSON object")
    unknown = sorted(set(body) - set(spec))
    if unknown:
        raise Refused(f"serve: unknown field {unknown[0]!r} (fields: {', '.join(spec)})")
    out = {}
    for name, (kind, required) in spec.items():
        value = body.get(name)
        if value is None:
            if required:
                raise Refused(f"serve: {name}: missing")
        elif not TYPES[kind][0](value):
            raise Refused(f"serve: {name}: {str(value)[:40]!r} should be {TYPES[kind][1]}")
        out[name] = value
    return out


def build(port: int, root: str | None = None, limits: Limits | None = None) -> Starlette:
    """The app for a server on 127.0.0.1:``port``; renders under ``root`` (kept) or a
    temporary folder (removed when the server stops)."""
    limits = limits or Limits()
    store = Store(root, limits.kept)
    queue = Queue(limits.workers, limits.waiting)
    static = resources.files(__package__) / "static"

    async def page(request: Request) -> Response:
        return Response((static / "index.html").read_bytes(), media_type="text/html")

    async def asset(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in STATIC:
            raise Refused(f"serve: no file {name!r}", 404)
        return Response((static / name).read_bytes(), media_type=STATIC[name])

    async def moods(request: Request) -> Response:
        from ..mcpserver import _range

        listing = await run_in_threadpool(work.moods)
        ranges = {"seconds": [_range("mood", "duration")[0], limits.seconds],
                  "bars": list(_range("mood", "bars")), "tempo": list(_range("mood", "tempo")),
                  "intensity": list(_range("mood", "intensity"))}
        return JSON({**listing, "limits": ranges})

    async def show(request: Request) -> Response:
        return JSON({"toml": await run_in_threadpool(work.show, request.path_params["name"])})

    async def render(request: Request) -> Response:
        a = await fields(request, {"mood": ("text", True), "seconds": ("number", False),
                                   "bars": ("int", False), "loop": ("bool", False),
                                   "key": ("text", False), "tempo": ("number", False),
                                   "intensity": ("int", False), "seed": ("int", False)})
        seconds = 8.0 if a["seconds"] is None and a["bars"] is None else a["seconds"]
        return JSON(await queue.run(work.render_mood, store, limits, a["mood"], seconds,
                                    a["key"] or None, a["tempo"], a["intensity"], a["seed"],
                                    a["bars"], bool(a["loop"])))

    async def pipeline(request: Request) -> Response:
        a = await fields(request, {"text": ("text", True)})
        return JSON(await queue.run(work.run_pipeline, store, limits, a["text"]))

    async def score_check(request: Request) -> Response:
        a = await fields(request, {"text": ("text", True)})
        return JSON(await run_in_threadpool(work.check_score, a["text"]))

    async def score(request: Request) -> Response:
        a = await fields(request, {"text": ("text", True), "seed": ("int", False)})
        return JSON(await queue.run(work.render_score, store, limits, a["text"], a["seed"]))

    async def stems(request: Request) -> Response:
        a = await fields(request, {"id": ("text", True)})
        store.path(a["id"], "jsonl")  # 404 for an unknown render, before queueing
        return JSON(await queue.run(work.stems, store, a["id"]))

    async def files(request: Request) -> Response:
        rid, kind = request.path_params["rid"], request.path_params["kind"]
        if kind not in KINDS:
            raise Refused(f"serve: no file kind {kind!r} (kinds: {', '.join(KINDS)})", 404)
        path = store.path(rid, kind)
        name = path.rsplit("/", 1)[-1]
        return FileResponse(path, media_type=KINDS[kind], content_disposition_type="inline",
                            filename=name)

    async def packs(request: Request) -> Response:
        return JSON(await run_in_threadpool(work.user_packs))

    async def pack(request: Request) -> Response:
        name = work.pack_name(request.path_params["name"])
        return JSON({"name": name, "text": await run_in_threadpool(work.read_pack, name)})

    async def check(request: Request) -> Response:
        a = await fields(request, {"text": ("text", True), "name": ("text", False)})
        name = work.pack_name(a["name"] or "studio")
        return JSON(await run_in_threadpool(work.check_pack, name, a["text"]))

    async def save(request: Request) -> Response:
        a = await fields(request, {"name": ("text", True), "text": ("text", True),
                                   "replace": ("bool", False)})
        name = work.pack_name(a["name"])
        return JSON(await run_in_threadpool(work.save_pack, name, a["text"], bool(a["replace"])))

    async def refused(request: Request, e: Refused) -> Response:
        return JSON({"error": e.message, **e.extra}, status_code=e.status)

    async def http_error(request: Request, e: HTTPException) -> Response:
        return JSON({"error": f"serve: {e.detail} ({request.method} {request.url.path})"},
                    status_code=e.status_code)

    async def crashed(request: Request, e: Exception) -> Response:
        return JSON({"error": f"serve: internal error ({type(e).__name__}); the server's log "
                              "has the details"}, status_code=500)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        try:
            yield
        finally:
            queue.close()
            store.close()

    app = Starlette(routes=[
        Route("/", page),
        Route("/static/{name}", asset),
        Route("/api/moods", moods),
        Route("/api/moods/{name}/toml", show),
        Route("/api/render", render, methods=["POST"]),
        Route("/api/pipeline", pipeline, methods=["POST"]),
        Route("/api/stems", stems, methods=["POST"]),
        Route("/api/score", score, methods=["POST"]),
        Route("/api/score/check", score_check, methods=["POST"]),
        Route("/api/packs", packs),
        Route("/api/packs/check", check, methods=["POST"]),
        Route("/api/packs/save", save, methods=["POST"]),
        Route("/api/packs/{name}", pack),
        Route("/files/{rid}/{kind}", files),
    ], exception_handlers={Refused: refused, HTTPException: http_error, Exception: crashed},
        lifespan=lifespan)
    app.state.store, app.state.queue, app.state.limits = store, queue, limits
    return Guard(app, port, limits.body)


def listen(port: int):
    """A socket bound to 127.0.0.1:``port`` (0: a free port); OSError when it is taken."""
    import socket

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(("127.0.0.1", port))
    except OSError:
        sock.close()
        raise
    return sock


def serve(sock, root: str | None = None, limits: Limits | None = None) -> None:
    """Run the studio on the bound socket ``sock`` until interrupted."""
    import uvicorn

    from ..errors import Unavailable
    from ..audio.synth import _import_fluidsynth

    with contextlib.suppress(Unavailable):
        _import_fluidsynth()  # once, before any render thread
    uvicorn.Server(server_config(sock, root, limits)).run(sockets=[sock])


def server_config(sock, root: str | None = None, limits: Limits | None = None):
    """uvicorn's configuration for the studio on ``sock``: idle and slow connections are
    closed (``timeouts``)."""
    import uvicorn

    from .timeouts import protocol

    limits = limits or Limits()
    return uvicorn.Config(build(sock.getsockname()[1], root, limits), log_level="warning",
                          server_header=False, timeout_graceful_shutdown=5,
                          timeout_keep_alive=limits.idle_seconds,
                          http=protocol(limits.idle_seconds, limits.read_seconds))

"""The studio's safety layer, an ASGI middleware in front of every route.

- Host must be the address the server is bound to (127.0.0.1:PORT or localhost:PORT): a
  page on another site whose name was re-pointed at 127.0.0.1 (DNS rebinding) sends its
  own name, and is refused (403).
- An Origin, when a browser sends one, must be the studio's own: another site's page
  cannot make the studio render or save (403).
- A body over the limit is refused (413) from its Content-Length, or while it streams in.
- Every answer carries headers that keep the page to itself (CSP, no sniffing, no framing).
"""

from __future__ import annotations

import orjson

from .store import Refused

HEADERS = [
    (b"content-security-policy", b"default-src 'self'; img-src 'self' data:; "
                                 b"object-src 'none'; frame-ancestors 'none'; base-uri 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-resource-policy", b"same-origin"),
]


class Guard:
    """``name`` and ``what`` say whose refusals these are: "serve" and "the studio", or
    "mcp" and "the MCP server" (``musicpipe mcp --http``)."""

    def __init__(self, app, port: int, max_body: int, name: str = "serve",
                 what: str = "the studio"):
        self.app, self.name, self.what = app, name, what
        self.hosts = {f"127.0.0.1:{port}", f"localhost:{port}"}
        self.origins = {f"http://{h}" for h in self.hosts}
        self.max_body = max_body

    async def __call__(self, scope, receive, send):
        if scope["type"] == "lifespan":
            return await self.app(scope, receive, send)
        if scope["type"] != "http":  # no websockets here
            return await send({"type": "websocket.close", "code": 1008})
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        host = headers.get("host", "")
        if host not in self.hosts:
            return await answer(send, 403, f"{self.name}: Host {host!r} is not this server "
                                f"({' or '.join(sorted(self.hosts))}); refused (DNS rebinding?)")
        origin = headers.get("origin")
        if origin is not None and origin not in self.origins:
            return await answer(send, 403, f"{self.name}: requests from {origin!r} are "
                                f"refused: only {self.what}'s own page may call it")
        length = headers.get("content-length", "0")
        if not length.isdigit() or int(length) > self.max_body:
            return await answer(send, 413, f"{self.name}: a request body of {length} bytes; "
                                f"{self.what} takes {self.max_body}")
        seen = 0

        async def counted():
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_body:
                raise Refused(f"{self.name}: a request body over {self.max_body} bytes; "
                              f"{self.what} takes {self.max_body}", 413)
            return message

        async def secured(message):
            if message["type"] == "http.response.start":
                message = {**message, "headers": list(message.get("headers", [])) + HEADERS}
            await send(message)

        await self.app(scope, counted, secured)


async def answer(send, status: int, message: str) -> None:
    body = orjson.dumps({"error": message})
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode())] + HEADERS})
    await send({"type": "http.response.body", "body": body})

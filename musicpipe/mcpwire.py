"""The MCP server's stdio transport: every line gets an answer, and no line is too long.

Like the SDK's ``stdio_server`` (which it replaces for ``musicpipe mcp``), it reads one
JSON-RPC message a line from stdin and writes one a line to stdout, with fd 0 and 1
pointed away (at /dev/null and stderr) so nothing else can write on the wire. Unlike it,
a line that is not a JSON-RPC message gets a JSON-RPC error reply at once instead of
silence: -32700 for text that is not JSON, -32600 for JSON that is no request (with the
request's id when it has a usable one), and a line longer than ``LINE_MAX`` is answered
with -32600 without being held in memory.
"""

from __future__ import annotations

import json
import os
import re
from contextlib import asynccontextmanager

import mcp_types as types

LINE_MAX = 16 << 20
"""The longest request line read (16 MiB): a stream argument must fit in it."""

PARSE_ERROR, INVALID_REQUEST = -32700, -32600
_ID = re.compile(rb'"id"\s*:\s*(-?\d{1,15}|"[^"\\]{0,100}")')


def _usable_id(value):
    """A request id to answer with (a string or an integer), else None."""
    return value if isinstance(value, (str, int)) and not isinstance(value, bool) else None


def classify(line: bytes):
    """A message for the server, or (error code, id, message) for the reply to send."""
    from pydantic import ValidationError

    why = "not a JSON-RPC 2.0 request or notification"
    try:
        message = types.jsonrpc_message_adapter.validate_json(line, by_name=False)
    except ValidationError as e:
        first = e.errors()[0]
        if first["type"] == "json_invalid":  # e.g. a lone surrogate: JSON, but not Unicode
            why = " ".join(first["msg"].split())[:200]
    else:  # the SDK reads {"id": [7], "method": ...} as a notification: refuse it instead
        if not (isinstance(message, types.JSONRPCNotification) and b'"id"' in line
                and "id" in json.loads(line)):
            return message
    try:
        value = json.loads(line)
    except (ValueError, RecursionError):
        return PARSE_ERROR, None, "Parse error: the line is not JSON"
    if isinstance(value, list):
        return INVALID_REQUEST, None, ("Invalid Request: batches are not supported; "
                                       "one message a line")
    if not isinstance(value, dict):
        return INVALID_REQUEST, None, "Invalid Request: give a JSON-RPC 2.0 object"
    rid = _usable_id(value.get("id"))
    if value.get("jsonrpc") != "2.0":
        return INVALID_REQUEST, rid, 'Invalid Request: "jsonrpc" must be "2.0"'
    if not isinstance(value.get("method"), str):
        return INVALID_REQUEST, rid, 'Invalid Request: "method" must be a string'
    if "params" in value and not isinstance(value["params"], dict):
        return INVALID_REQUEST, rid, 'Invalid Request: "params" must be an object'
    if "id" in value and rid is None:
        return INVALID_REQUEST, None, 'Invalid Request: "id" must be a string or an integer'
    return INVALID_REQUEST, rid, f"Invalid Request: {why}"


def _error(code: int, rid, message: str):
    from mcp.shared.message import SessionMessage

    return SessionMessage(types.JSONRPCError(jsonrpc="2.0", id=rid,
                                             error=types.ErrorData(code=code, message=message)))


def _claim(fd: int, mode: str, diversion: int):
    """A private file on fd's wire; fd itself now points at ``diversion``."""
    wire = os.fdopen(os.dup(fd), mode)
    os.dup2(diversion, fd)
    return wire


@asynccontextmanager
async def stdio():
    """(read stream, write stream) for ``Server.run``, over this process's stdin/stdout."""
    import anyio

    devnull = os.open(os.devnull, os.O_RDONLY)
    stdin = _claim(0, "rb", devnull)
    stdout = _claim(1, "wb", 2)
    os.close(devnull)
    to_server, from_wire = anyio.create_memory_object_stream(0)
    to_wire, from_server = anyio.create_memory_object_stream(0)

    def read_line() -> tuple[bytes, bool]:
        """The next line (up to LINE_MAX bytes) and whether it was cut there."""
        line = stdin.readline(LINE_MAX + 1)
        if len(line) <= LINE_MAX or line.endswith(b"\n"):
            return line, False
        while (rest := stdin.readline(1 << 20)) and not rest.endswith(b"\n"):
            pass
        return line[:4096], True

    pending: set[str] = set()  # ids (as text: 5 and "5" are one) of requests not answered yet

    async def reader():
        async with to_server:
            while True:
                line, cut = await anyio.to_thread.run_sync(read_line, abandon_on_cancel=True)
                if not line:  # the client has said all: answer what it asked, then end
                    while pending:
                        await anyio.sleep(0.05)
                    return
                if cut:
                    m = _ID.search(line)
                    rid = json.loads(m.group(1)) if m else None
                    await to_wire.send(_error(INVALID_REQUEST, rid,
                                              f"Invalid Request: a line longer than {LINE_MAX} "
                                              "bytes (16 MiB); send less per request"))
                    continue
                if not line.strip():
                    continue
                message = classify(line)
                if isinstance(message, tuple):
                    await to_wire.send(_error(*message))
                else:
                    from mcp.shared.message import SessionMessage

                    if isinstance(message, types.JSONRPCRequest):
                        pending.add(str(message.id))
                    elif message.method == "notifications/cancelled" and message.params:
                        pending.discard(str(message.params.get("requestId")))  # no answer
                    await to_server.send(SessionMessage(message))

    async def writer():
        async with from_server:
            async for message in from_server:
                data = message.message.model_dump_json(by_alias=True, exclude_unset=True)
                try:
                    await anyio.to_thread.run_sync(_write, stdout, data.encode() + b"\n")
                except OSError:  # the client closed its end: nobody is listening, so end
                    tg.cancel_scope.cancel()
                    return
                if isinstance(message.message, (types.JSONRPCResponse, types.JSONRPCError)):
                    pending.discard(str(message.message.id))

    async with anyio.create_task_group() as tg:
        tg.start_soon(writer)
        tg.start_soon(reader)
        yield from_wire, to_wire
        tg.cancel_scope.cancel()


def _write(stdout, data: bytes) -> None:
    stdout.write(data)
    stdout.flush()

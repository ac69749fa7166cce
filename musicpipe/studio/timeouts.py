"""Deadlines for reading requests: uvicorn closes a kept-alive connection after a quiet
spell, but not one that was opened and never spoke, nor one that sends its headers or
body a byte at a time; each would hold a connection (and, mid-body, a request) forever.

``protocol(idle, read)`` is uvicorn's h11 protocol with two deadlines: a connection with no
request under way is closed after ``idle`` seconds of silence, and a request must arrive
whole (headers and body) within ``read`` seconds of its first byte, or it is answered 408
and the connection closed. While the studio works on a request nothing is timed.
"""

from __future__ import annotations

import orjson
from uvicorn.protocols.http.h11_impl import H11Protocol

from .guard import HEADERS


def _timeout_answer(seconds: float) -> bytes:
    body = orjson.dumps({"error": f"serve: the request did not arrive within {seconds:g} s; "
                                  "closed"})
    head = [b"HTTP/1.1 408 Request Timeout", b"content-type: application/json",
            b"content-length: " + str(len(body)).encode(), b"connection: close"]
    head += [name + b": " + value for name, value in HEADERS]
    return b"\r\n".join(head) + b"\r\n\r\n" + body


class TimedH11(H11Protocol):
    """uvicorn's h11 protocol with the module's two deadlines (class attributes)."""

    idle: float = 5.0
    read: float = 10.0
    _timer = None
    _reading = False  # the timer running is the read deadline of a request under way

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        self._arm(self.idle, reading=False)

    def data_received(self, data: bytes) -> None:
        if not self._reading:  # the first byte of a request: its read deadline starts
            self._arm(self.read, reading=True)
        super().data_received(data)
        if self._received():
            self._disarm()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self.transport.is_closing():
            self._disarm()
        elif self._received():  # a pipelined request, already whole, is being served
            self._disarm()
        elif self.cycle is not None and not self.cycle.response_complete:
            self._arm(self.read, reading=True)  # a pipelined request, part read
        else:
            self._arm(self.idle, reading=False)

    def connection_lost(self, exc) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _received(self) -> bool:
        """A request is whole and the studio is answering it."""
        return (self.cycle is not None and not self.cycle.more_body
                and not self.cycle.response_complete)

    def _arm(self, seconds: float, reading: bool) -> None:
        self._disarm()
        self._reading = reading
        self._timer = self.loop.call_later(seconds, self._expire, seconds, reading)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer, self._reading = None, False

    def _expire(self, seconds: float, reading: bool) -> None:
        self._timer = None
        if self.transport.is_closing():
            return
        if reading and (self.cycle is None or self.cycle.response_complete
                        or not self.cycle.response_started):
            self.transport.write(_timeout_answer(seconds))
        self.transport.close()


def protocol(idle: float, read: float) -> type[TimedH11]:
    """The protocol class for uvicorn's ``Config(http=...)`` with these deadlines."""
    return type("TimedH11", (TimedH11,), {"idle": idle, "read": read})

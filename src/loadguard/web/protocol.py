"""The server's HTTP connections under deadlines, and client faults logged as one line.

uvicorn's h11 protocol times out only an idle keep-alive connection between requests. A
client that connects and sends nothing, stops halfway through its headers, or trickles a
body would hold its connection (and a slot of the connection limit) forever. Here every
connection reads under deadlines:

- the request line and headers must be whole within :data:`HEADER_S` of the connection
  opening (or of the last answer, on a kept-alive connection);
- a body may pause at most :data:`BODY_IDLE_S` between two reads, and must be whole
  within :data:`BODY_TOTAL_S` (a large upload on a slow line has minutes).

Past a deadline the connection is closed (408 when nothing of the request was answered
yet and it can still be told), and one line is logged.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

HEADER_S = 10.0
BODY_IDLE_S = 15.0
BODY_TOTAL_S = 600.0

log = logging.getLogger("loadguard.web")


class GuardedH11(H11Protocol):
    """uvicorn's h11 protocol with read deadlines (see the module's text)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline: asyncio.TimerHandle | None = None
        self._body_began = 0.0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm(HEADER_S, "headers")

    def data_received(self, data: bytes) -> None:
        if self.transport.is_closing():
            return  # answered (a 413, say) and closing: what the client still sends is dropped
        try:
            super().data_received(data)
        except h11.LocalProtocolError:  # a bad request after our answer: nothing to say
            self.transport.close()
            return
        if self.transport.is_closing():
            return
        state = self.conn.their_state
        if state is h11.SEND_BODY:
            now = time.monotonic()
            if self._body_began == 0.0:
                self._body_began = now
            left = BODY_TOTAL_S - (now - self._body_began)
            self._arm(min(BODY_IDLE_S, max(left, 0.0)), "body")
        elif state is h11.IDLE:
            if self._deadline is None:  # a new request begins on a kept-alive connection
                self._arm(HEADER_S, "headers")
        else:  # the request is read: the app answers in its own time
            self._disarm()

    def on_response_complete(self) -> None:
        self._disarm()  # the keep-alive timeout takes over until the next request
        super().on_response_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self, seconds: float, reading: str) -> None:
        self._disarm()
        if reading == "headers":
            self._body_began = 0.0
        self._deadline = self.loop.call_later(seconds, self._timed_out, reading)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _timed_out(self, reading: str) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        who = f"{self.client[0]}:{self.client[1]}" if self.client else "a client"
        log.info("closed the connection of %s: its request %s did not arrive in time", who, reading)
        if reading == "headers" and self.conn.our_state is h11.IDLE:
            self.transport.write(_TIMEOUT_ANSWER)
        self.transport.close()


_TIMEOUT_TEXT = b"the request did not arrive in time"
_TIMEOUT_ANSWER = (
    b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\n"
    b"connection: close\r\ncontent-length: %d\r\n\r\n%s" % (len(_TIMEOUT_TEXT), _TIMEOUT_TEXT)
)

# Exceptions a client causes (it went away, or sent too much); logged as one line.
CLIENT_FAULTS: tuple[type[BaseException], ...] = (
    ConnectionError,
    TimeoutError,
    asyncio.CancelledError,
)


class QuietClientFaults(logging.Filter):
    """A traceback the server logs for a client's fault (see :func:`client_fault`) becomes
    one warning line naming it; every other record passes unchanged."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            fault = client_fault(record.exc_info[1])
            if fault is not None:
                record.msg = "a client went away or sent a bad request: %s"
                record.args = (fault,)
                record.exc_info = None
                record.exc_text = None
                record.levelno = logging.INFO
                record.levelname = "INFO"
        return True


def client_fault(exc: BaseException) -> str | None:
    """What a client did, if ``exc`` (or every exception of a group) is its fault."""
    from starlette.requests import ClientDisconnect

    if isinstance(exc, BaseExceptionGroup):
        faults = [client_fault(e) for e in exc.exceptions]
        return None if None in faults else "; ".join(f for f in faults if f)
    if isinstance(exc, (*CLIENT_FAULTS, ClientDisconnect)):
        return type(exc).__name__
    return None


def quiet_client_faults() -> None:
    """Installed once on uvicorn's error logger (where the tracebacks go)."""
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, QuietClientFaults) for f in logger.filters):
        logger.addFilter(QuietClientFaults())

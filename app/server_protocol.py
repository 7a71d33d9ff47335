"""uvicorn's h11 protocol with the deadlines the pinned uvicorn lacks.

``pathway serve`` passes :class:`PathwayH11Protocol` as uvicorn's ``http=`` protocol. It closes a
connection that:

- has not sent a complete request head (request line and headers) within
  ``PATHWAY_HEADER_TIMEOUT`` seconds of opening, or of the first byte of a later request on a
  kept-alive connection. Trickling the head a byte at a time does not extend the deadline. A
  connection that sent part of a head is answered ``408`` first; one that sent nothing is closed
  without a word, as an idle connection is;
- is still sending a body that the app did not wait for (it answered first), once
  ``PATHWAY_BODY_TIMEOUT`` seconds have passed since the answer. (A body the app reads has its
  own deadline in :mod:`app.web.body_limit`.)

Idle kept-alive connections are closed by uvicorn's own ``timeout_keep_alive``
(``PATHWAY_KEEPALIVE_TIMEOUT``). The settings are read from the environment once per worker
process, as the app factory reads them: the class object is pickled by name into uvicorn's
worker processes, so it must stay importable at module level.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from functools import cache
from typing import Any, Literal

import h11
from uvicorn.config import Config
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.server import ServerState

from app.config import Settings
from app.web.security import content_security_policy

log = logging.getLogger("pathway.web")

_TIMEOUT_BODY = b"The request took too long to arrive.\n"


def _timeout_response() -> bytes:
    """The 408 sent when a request head stops arriving, with the headers every response carries."""
    headers = [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", str(len(_TIMEOUT_BODY)).encode()),
        (b"connection", b"close"),
        (b"content-security-policy", content_security_policy(htmx_local=True).encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"no-referrer"),
        (b"x-frame-options", b"DENY"),
        (b"cross-origin-opener-policy", b"same-origin"),
        (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
        (b"cache-control", b"no-store"),
    ]
    head = b"HTTP/1.1 408 Request Timeout\r\n" + b"".join(k + b": " + v + b"\r\n" for k, v in headers)
    return head + b"\r\n" + _TIMEOUT_BODY


TIMEOUT_RESPONSE = _timeout_response()


@cache
def _limits() -> tuple[float, float]:
    """(header timeout, body timeout) in seconds, from the environment, once per process."""
    settings = Settings()
    return settings.header_timeout, settings.body_timeout


class PathwayH11Protocol(H11Protocol):
    """H11Protocol plus a request-head deadline and a deadline for a body nobody reads."""

    def __init__(self, config: Config, server_state: ServerState, app_state: dict[str, Any],
                 _loop: asyncio.AbstractEventLoop | None = None) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.header_timeout, self.body_timeout = _limits()
        self._deadline: asyncio.TimerHandle | None = None
        self._deadline_kind: Literal["head", "unread body"] | None = None

    # Connection events -----------------------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm("head", self.header_timeout)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._watch()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._watch(after_response=True)

    # Deadlines -------------------------------------------------------------------------------

    def _watch(self, after_response: bool = False) -> None:
        """Set or clear the deadline for what the client owes now."""
        if self.transport.is_closing():
            self._disarm()
            return
        theirs, ours = self.conn.their_state, self.conn.our_state
        if theirs is h11.IDLE:
            # Waiting for a request head. After a response with nothing buffered, the connection is
            # idle and uvicorn's keep-alive timer closes it; otherwise a head has begun to arrive.
            if after_response and not self.conn.trailing_data[0]:
                self._disarm()
            elif self._deadline_kind != "head":
                self._arm("head", self.header_timeout)
        elif theirs is h11.SEND_BODY and ours in (h11.DONE, h11.MUST_CLOSE):
            # The app has answered but the body is still coming: bound the wait for its end.
            if self._deadline_kind != "unread body":
                self._arm("unread body", self.body_timeout)
        else:
            self._disarm()

    def _arm(self, kind: Literal["head", "unread body"], seconds: float) -> None:
        self._disarm()
        self._deadline_kind = kind
        self._deadline = self.loop.call_later(seconds, self._deadline_passed)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        self._deadline = None
        self._deadline_kind = None

    def _deadline_passed(self) -> None:
        kind = self._deadline_kind
        self._deadline = None
        self._deadline_kind = None
        if self.transport.is_closing():
            return
        if kind == "head" and self.conn.their_state is h11.IDLE and self.conn.trailing_data[0]:
            # Part of a head arrived: say why before closing (never what was sent).
            self.transport.write(TIMEOUT_RESPONSE)
            log.info(json.dumps({"event": "header_timeout", "status": 408, "timeout_s": self.header_timeout},
                                separators=(",", ":")))
        elif kind == "unread body":
            log.info(json.dumps({"event": "body_timeout", "after_answer": True, "timeout_s": self.body_timeout},
                                separators=(",", ":")))
        if self.conn.our_state is not h11.ERROR:
            with contextlib.suppress(h11.LocalProtocolError):
                self.conn.send(h11.ConnectionClosed())
        self.transport.close()

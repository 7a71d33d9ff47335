"""Refuse request bodies over the limit, counting bytes as they stream (not only Content-Length),
and bodies that do not finish arriving within a deadline (408, and the connection is closed)."""

from __future__ import annotations

import asyncio
import json
import logging

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import BodyTimeout, BodyTooLarge
from .http_middleware import HttpMiddleware
from .problems import error_response, html_error, wants_json

log = logging.getLogger("pathway.web")


def body_timeout_response(scope: Scope, seconds: float) -> Response:
    """The 408 for a body that stopped arriving: problem JSON for the API, a calm page otherwise."""
    request = Request(scope)
    if wants_json(request):
        return error_response(408, "body_timeout", f"The request body did not arrive within {seconds:g} seconds.",
                              headers={"Connection": "close"})
    response = html_error(request, 408, "That took too long to arrive",
                          "What you sent did not arrive in time. Go back and try again.")
    response.headers["Connection"] = "close"
    return response


class BodyLimitMiddleware(HttpMiddleware):
    """Counts a request body's bytes as they arrive: BodyTooLarge past ``max_bytes``, and a 408 when the
    whole body has not arrived ``timeout`` seconds after the request's head."""

    def __init__(self, app: ASGIApp, max_bytes: int, timeout: float = 30.0) -> None:
        super().__init__(app)
        self.max_bytes = max_bytes
        self.timeout = timeout  # seconds for the whole body to arrive, from the end of the request head

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
                if declared > self.max_bytes:
                    scope.setdefault("state", {})["body_too_large"] = True
        received = 0
        limit = self.max_bytes
        timeout = self.timeout
        deadline = asyncio.get_running_loop().time() + timeout
        body_done = started = False

        async def limited_receive() -> Message:
            nonlocal received, body_done
            if scope.get("state", {}).get("body_too_large"):
                raise BodyTooLarge(limit)
            if body_done:  # only a disconnect can come now: no deadline
                return await receive()
            try:
                async with asyncio.timeout_at(deadline):
                    message = await receive()
            except TimeoutError:
                raise BodyTimeout(timeout) from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
                body_done = not message.get("more_body", False)
            else:
                body_done = True
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, watched_send)
        except BodyTimeout as exc:
            # Logged without a traceback or anything sent; the access record that follows has the route.
            log.warning(json.dumps({"event": "body_timeout", "status": 408 if not started else None,
                                    "timeout_s": exc.seconds}, separators=(",", ":")))
            if not started:
                await body_timeout_response(scope, exc.seconds)(scope, receive, send)

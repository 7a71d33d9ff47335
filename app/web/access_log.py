"""Structured access logs with an allowlist of fields: never a path with ids, a query, a cookie or a body.

One JSON record per request on the ``pathway.access`` logger: method, route template (for
example ``/w/{walk_id}/q/{qid}``), status, duration and a request id, which is also returned in
the ``X-Request-ID`` header so a user's report can be matched to a record (and kept in the
scope's state for the error page to show). A request that ended with nothing sent, because the
client went away mid-request, is recorded with status 499.
"""

from __future__ import annotations

import json
import logging
import secrets
import time

from starlette.types import Message, Receive, Scope, Send

from .http_middleware import HttpMiddleware

ALLOWED_FIELDS = ("event", "method", "route", "status", "duration_ms", "request_id")
METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}
log = logging.getLogger("pathway.access")


class AccessLogMiddleware(HttpMiddleware):
    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        request_id = secrets.token_hex(8)
        scope.setdefault("state", {})["request_id"] = request_id
        status = 500
        answered = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, answered
            if message["type"] == "http.response.start":
                status = int(message["status"])
                answered = True
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
            if not answered:
                status = 499  # the app ended without answering: the client closed the connection
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "(unmatched)"
            method = scope.get("method", "")
            record = {
                "event": "request",
                "method": method if method in METHODS else "OTHER",
                "route": template,
                "status": status,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                "request_id": request_id,
            }
            log.info(json.dumps(record, separators=(",", ":")))


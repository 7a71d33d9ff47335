"""A cap on the requests one worker handles at once: past it, a calm 503 with ``Retry-After``.

This is the one 5xx Pathway sends on purpose. It sits inside the security-header and access-log
middleware, so the 503 carries every header the other responses carry and is logged like them.
uvicorn's own ``limit_concurrency`` is left unset: it counts idle connections too and answers
with a bare ``text/plain`` 503.
"""

from __future__ import annotations

import json
import logging
import time

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from .http_middleware import HttpMiddleware
from .problems import error_response, html_error, wants_json

log = logging.getLogger("pathway.web")

RETRY_AFTER_SECONDS = 5
BUSY_LOG_EVERY_SECONDS = 10.0  # at most one "busy" record this often, however many are refused


def busy_response(scope: Scope) -> Response:
    """The 503: problem JSON for the API and /healthz, a calm page otherwise; the connection is closed."""
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS), "Connection": "close"}
    request = Request(scope)
    if wants_json(request):
        return error_response(503, "busy", f"Pathway is busy. Try again in {RETRY_AFTER_SECONDS} seconds.",
                              headers=headers)
    response = html_error(request, 503, "Pathway is busy",
                          f"Too many people are using this service at this moment. Wait {RETRY_AFTER_SECONDS} "
                          "seconds and try again: what you have answered so far is kept.")
    response.headers.update(headers)
    return response


class ConcurrencyLimitMiddleware(HttpMiddleware):
    """Answers with busy_response once ``limit`` requests are being handled at once."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        super().__init__(app)
        self.limit = limit
        self.active = 0  # one event loop per worker: a plain counter is enough
        self.refused = 0
        self._logged_at = -BUSY_LOG_EVERY_SECONDS

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.active >= self.limit:
            self.refused += 1
            now = time.monotonic()
            if now - self._logged_at >= BUSY_LOG_EVERY_SECONDS:
                self._logged_at = now
                log.warning(json.dumps({"event": "busy", "status": 503, "max_concurrency": self.limit,
                                        "refused_so_far": self.refused}, separators=(",", ":")))
            await busy_response(scope)(scope, receive, send)
            return
        self.active += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.active -= 1

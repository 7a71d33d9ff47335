"""Refuse a request head holding far more query parameters or cookies than any page takes, before
anything parses them.

FastAPI parses the whole query string and every cookie for every route, whatever the route reads,
in Python (about 0.6 µs a query parameter): a 14 KB query string of 3,500 parameters cost 2 ms of
CPU on a page that costs 0.25 ms, and on training's what-if page twice what the page itself costs.
Counting ``&`` and ``;`` in the raw bytes costs next to nothing, so such a request is refused
first, and its cost stays that of a small error page (benchmarks/bench_hostile.py).

The limits are far above what this service's own links and forms send (what-if: one changed
answer and an answer to each question it opens; elsewhere one parameter at most) and what a
browser keeps for one site (about 180 cookies).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from .http_middleware import HttpMiddleware
from .problems import error_response, html_error, wants_json

MAX_QUERY_PARAMETERS = 64
MAX_COOKIES = 256


class RequestLimitsMiddleware(HttpMiddleware):
    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("query_string", b"").count(b"&") >= MAX_QUERY_PARAMETERS:
            await _refuse(scope, 414, "too_many_parameters", "That address is too long",
                          f"The address has more than {MAX_QUERY_PARAMETERS} query parameters; no page on this "
                          "service takes more than a few.")(scope, receive, send)
            return
        if sum(value.count(b";") for name, value in scope.get("headers", ()) if name == b"cookie") >= MAX_COOKIES:
            await _refuse(scope, 431, "too_many_cookies", "Your browser sent too many cookies",
                          f"The request carries more than {MAX_COOKIES} cookies. Clear this site's cookies in "
                          "your browser, then start again.")(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _refuse(scope: Scope, status: int, code: str, title: str, message: str) -> Response:
    request = Request(scope)
    if wants_json(request):
        return error_response(status, code, message)
    return html_error(request, status, title, message)

"""The last line of defence: an exception no handler answered becomes a calm 500, never a traceback.

This middleware sits inside SecurityHeadersMiddleware and AccessLogMiddleware (see create_app),
so its 500 carries every security header, ``Cache-Control: no-store`` and ``X-Request-ID`` like
any other response, and it catches every ``Exception``, so none reaches Starlette's
ServerErrorMiddleware, which would answer without those headers and re-raise to uvicorn (a
traceback on standard error, holding whatever the exception's message held: request values
included).

The answer is our error page (HTML) or the API's error JSON, both showing the request id. The
log gets one JSON record on ``pathway.web`` with the allowlisted fields below: the route
template and the exception's type, never its message, its arguments or a traceback.

A client that goes away while its body is being read (``ClientDisconnect``) is not an error:
nothing is sent, as there is no one to send it to, and the access log records status 499.
"""

from __future__ import annotations

import json
import logging

from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, Response
from starlette.types import Message, Receive, Scope, Send

from .access_log import METHODS
from .http_middleware import HttpMiddleware
from .problems import error_response, wants_json
from .render import page

ERROR_FIELDS = ("event", "method", "route", "status", "error", "request_id")
TITLE = "Sorry, there is a problem with the service"
MESSAGE = "Something went wrong on our side. Your answers were not stored on the server; try again."
log = logging.getLogger("pathway.web")

# Shown only if our error page itself cannot be rendered: no template, no request values.
BARE_PAGE = """<!DOCTYPE html>
<html lang="en-GB"><head><meta charset="utf-8"><title>{title} – Pathway</title></head>
<body><main><h1>{title}</h1><p>{message}</p><p>Reference: {request_id}</p>
<p><a href="/">Go to the start page</a></p></main></body></html>
"""


def request_id_of(scope: Scope) -> str:
    """The id AccessLogMiddleware gave this request (hex digits only), or "" outside it."""
    value = scope.get("state", {}).get("request_id", "")
    return value if isinstance(value, str) else ""


def route_of(scope: Scope) -> str:
    route = scope.get("route")
    return getattr(route, "path", None) or "(unmatched)"


class CalmErrorsMiddleware(HttpMiddleware):
    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        sent_status: int | None = None

        async def tracking_send(message: Message) -> None:
            nonlocal sent_status
            if message["type"] == "http.response.start":
                sent_status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except ClientDisconnect:
            return  # the client has gone: nothing to send, and the access log says 499
        except Exception as exc:  # every exception, by design
            _log(scope, exc, sent_status if sent_status is not None else 500)
            if sent_status is not None:
                return  # part of a response was sent: uvicorn closes the connection
            await calm_response(scope)(scope, receive, send)


def _log(scope: Scope, exc: Exception, status: int) -> None:
    method = scope.get("method", "")
    record = {
        "event": "error",
        "method": method if method in METHODS else "OTHER",
        "route": route_of(scope),
        "status": status,
        "error": type(exc).__qualname__,
        "request_id": request_id_of(scope),
    }
    log.error(json.dumps(record, separators=(",", ":")))


def calm_response(scope: Scope) -> Response:
    """The 500: problem JSON on API paths, else our error page (or a bare one if that cannot be rendered)."""
    request = Request(scope)
    request_id = request_id_of(scope)
    if wants_json(request):
        reference = f" If it happens again, quote reference {request_id}." if request_id else ""
        return error_response(500, "internal_error", MESSAGE + reference)
    try:
        return page(request, "error.html", status=500, title=TITLE, message=MESSAGE, request_id=request_id)
    except Exception:  # the page itself failed: fall back to one that cannot fail
        return HTMLResponse(BARE_PAGE.format(title=TITLE, message=MESSAGE, request_id=request_id), status_code=500)

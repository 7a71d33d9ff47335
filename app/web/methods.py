"""HEAD wherever GET works, and the trailing-slash redirect without the Host header (review L5, L1).

- ``HEAD`` is answered as ``GET`` is (RFC 9110: the same status and headers, no content), for
  every route, including any added later: the route runs as a GET, and the response goes out
  without its body and without any ``Set-Cookie``, so a HEAD never changes a walk. FastAPI does
  not add HEAD to its routes, and adding it to them would give each operation two methods under
  one operationId; /openapi.json documents HEAD beside each GET instead (api.install_openapi).
- A path with a trailing slash (``/privacy/``) is redirected to the route it would match, with
  a relative ``Location`` (``/privacy``). Starlette's own ``redirect_slashes`` (turned off in
  create_app) wrote an absolute address from the request's ``Host`` header, so a client, proxy
  or cache could be sent anywhere.
"""

from __future__ import annotations

from starlette.responses import RedirectResponse
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .http_middleware import HttpMiddleware

# Set in the scope of a HEAD answered as GET, for a route that must not act on one (counting.py).
HEAD_FLAG = "pathway.head"


def is_head(scope: Scope) -> bool:
    """Whether the request is a HEAD that the route sees as a GET."""
    return scope.get(HEAD_FLAG) is True


class HeadAsGetMiddleware(HttpMiddleware):
    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        head = scope["method"] == "HEAD"

        async def answer(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = []
                for name, value in message.get("headers", []):
                    if head and name.lower() == b"set-cookie":
                        continue
                    if name.lower() == b"allow" and b"GET" in value.split(b", ") and b"HEAD" not in value:
                        value += b", HEAD"
                    headers.append((name, value))
                message = {**message, "headers": headers}
            elif head and message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        if head:
            scope["method"] = "GET"
            scope[HEAD_FLAG] = True
        try:
            await self.app(scope, receive, answer)
        finally:
            if head:  # the access log, outside, records what was asked
                scope["method"] = "HEAD"


class RelativeSlashRedirectMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            target = slash_target(scope)
            if target is not None:
                await RedirectResponse(target, status_code=307)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def slash_target(scope: Scope) -> str | None:
    """The relative address without the trailing slash, if a route answers it; else None."""
    path: str = scope["path"]
    if path == "/" or not path.endswith("/"):
        return None
    raw: bytes = scope.get("raw_path") or path.encode()
    raw = raw.split(b"?", 1)[0]
    target = raw[:-1].decode("latin-1")
    # Never "//host" or "/\\host", which a browser reads as another site.
    if not target.startswith("/") or target[1:2] in ("/", "\\"):
        return None
    probe = {**scope, "path": path[:-1]}
    if not any(route.matches(probe)[0] != Match.NONE for route in scope["app"].router.routes):
        return None
    query: bytes = scope.get("query_string", b"")
    return target + ("?" + query.decode("latin-1") if query else "")

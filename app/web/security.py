"""Security headers on every response, and no caching of anything about a case."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .htmx import HTMX_CDN_URL
from .http_middleware import HttpMiddleware

_ORIGIN = re.compile(r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?")


def exit_origin(exit_url: str | None) -> str | None:
    """The exit address's origin (``https://www.bbc.co.uk``), or None for an address on this site."""
    if not exit_url:
        return None
    parts = urlsplit(exit_url)
    origin = f"{parts.scheme.lower()}://{parts.netloc}"
    return origin if _ORIGIN.fullmatch(origin) else None


def content_security_policy(htmx_local: bool, exit_url: str | None = None) -> str:
    """The policy. "Exit this page" posts a form that is answered by a redirect to the exit address,
    and browsers check a form's redirects against form-action too, so its origin is allowed there."""
    scripts = "'self'" if htmx_local else f"'self' {HTMX_CDN_URL}"
    forms = " ".join(filter(None, ("'self'", exit_origin(exit_url))))
    return "; ".join([
        "default-src 'self'",
        f"script-src {scripts}",
        "style-src 'self'",
        "img-src 'self'",
        "font-src 'self'",
        "connect-src 'self'",
        f"form-action {forms}",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    ])


def security_headers(htmx_local: bool, exit_url: str | None = None) -> list[tuple[bytes, bytes]]:
    """The headers every response carries (besides Cache-Control: no-store, which /static/ overrides)."""
    return [
        (b"content-security-policy", content_security_policy(htmx_local, exit_url).encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"no-referrer"),
        (b"x-frame-options", b"DENY"),
        (b"cross-origin-opener-policy", b"same-origin"),
        (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
    ]


class SecurityHeadersMiddleware(HttpMiddleware):
    def __init__(self, app: ASGIApp, htmx_local: bool, exit_url: str | None = None) -> None:
        super().__init__(app)
        self.headers = security_headers(htmx_local, exit_url)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")

        async def add_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"cache-control"
                           or path.startswith("/static/")]
                names = {k.lower() for k, _ in headers}
                headers += self.headers
                if b"cache-control" not in names:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, add_headers)

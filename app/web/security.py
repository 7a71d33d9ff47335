"""Security headers on every response, and no caching of anything about a case."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .htmx import HTMX_CDN_URL


def content_security_policy(htmx_local: bool) -> str:
    scripts = "'self'" if htmx_local else f"'self' {HTMX_CDN_URL}"
    return "; ".join([
        "default-src 'self'",
        f"script-src {scripts}",
        "style-src 'self'",
        "img-src 'self'",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    ])


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, htmx_local: bool) -> None:
        self.app = app
        self.csp = content_security_policy(htmx_local).encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")

        async def add_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"cache-control"
                           or path.startswith("/static/")]
                names = {k.lower() for k, _ in headers}
                headers += [
                    (b"content-security-policy", self.csp),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"x-frame-options", b"DENY"),
                    (b"cross-origin-opener-policy", b"same-origin"),
                    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
                ]
                if b"cache-control" not in names:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, add_headers)

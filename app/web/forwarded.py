"""Forwarded headers, applied by the app itself so that it also knows who it is talking to.

Behind a reverse proxy the address that matters for most purposes (the per-address sign-in limit)
is the user's, which the proxy passes in ``X-Forwarded-For``; uvicorn's ``ProxyHeadersMiddleware``
puts it in the scope when the connection comes from ``FORWARDED_ALLOW_IPS`` (uvicorn's own
setting, default 127.0.0.1). But the Network's proxy sign-in (``PATHWAY_NETWORK_AUTH=proxy``) must
trust its header only when the connection itself comes from a trusted proxy, and after uvicorn's
middleware the scope no longer says where the connection came from. So ``pathway serve`` turns
uvicorn's own handling off and the app applies the same middleware here, keeping the connection's
address first as ``scope["pathway.peer"]``.
"""

from __future__ import annotations

from typing import Any, cast

from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from .http_middleware import HttpMiddleware

PEER = "pathway.peer"


class ForwardedMiddleware(HttpMiddleware):
    """Keep the connection's own address, then apply the forwarded headers of a trusted proxy."""

    def __init__(self, app: ASGIApp, trusted_hosts: str = "127.0.0.1") -> None:
        # uvicorn and Starlette spell the same ASGI callable with different type names.
        super().__init__(cast(ASGIApp, ProxyHeadersMiddleware(cast(Any, app), trusted_hosts=trusted_hosts)))

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = scope.get("client")
        scope[PEER] = client[0] if client else None
        await self.app(scope, receive, send)


def peer_address(scope: Scope) -> str | None:
    """The address of the connection itself (the proxy's, behind one), whatever the headers say."""
    if PEER in scope:
        peer = scope[PEER]
        return peer if isinstance(peer, str) else None
    client = scope.get("client")
    return client[0] if client else None

"""Where a walk's answers are kept between requests: the ``WalkStore`` interface and its one
implementation today, ``CookieWalkStore`` (an encrypted cookie per walk, nothing on the server).

The routes call a store and never know which they have (``pages.py``); ``create_app`` chooses it
from ``PATHWAY_WALK_STORE``. A server-side store (keyed by the walk id) would be another class
with the same four methods, plus a setting.
"""

from __future__ import annotations

from typing import Protocol

from starlette.requests import Request
from starlette.responses import Response

from .walk_token import TokenCodec, Walk, cookie_name

# The cookie outlives its token by this long, so a walk that timed out is told so ("Your answers
# have timed out") rather than "We cannot find your answers". The token itself is refused once it
# is older than the session length.
EXPIRED_NOTICE_SECONDS = 3600


class WalkStore(Protocol):
    """Keeps one walk's answers between requests. ``load`` raises TokenProblem when they cannot be had."""

    def load(self, request: Request, walk_id: str) -> Walk:
        """The walk as last saved, or TokenProblem ("missing", "invalid" or "expired")."""
        ...

    def save(self, request: Request, response: Response, walk: Walk) -> Response:
        """Keep the walk (renewing its time), returning ``response`` (which may carry it)."""
        ...

    def holds(self, request: Request, walk_id: str) -> bool:
        """Whether this request can reach answers for the walk (read or not): nothing to clear otherwise."""
        ...

    def clear(self, request: Request, response: Response, walk_id: str) -> Response:
        """Forget the walk's answers, returning ``response``."""
        ...

    def seconds_left(self, walk: Walk) -> int:
        """How long the walk's answers have before they time out."""
        ...


class CookieWalkStore:
    """Each walk's answers in its own encrypted, expiring cookie, scoped to the walk's path (walk_token)."""

    def __init__(self, codec: TokenCodec) -> None:
        self.codec = codec

    def load(self, request: Request, walk_id: str) -> Walk:
        return self.codec.decode(request.cookies.get(cookie_name(walk_id)), walk_id)

    def save(self, request: Request, response: Response, walk: Walk) -> Response:
        response.set_cookie(
            cookie_name(walk.id), self.codec.encode(walk), max_age=self.codec.ttl + EXPIRED_NOTICE_SECONDS,
            path=f"/w/{walk.id}", httponly=True, samesite="strict", secure=request.scope.get("scheme") == "https",
        )
        return response

    def holds(self, request: Request, walk_id: str) -> bool:
        return cookie_name(walk_id) in request.cookies

    def clear(self, request: Request, response: Response, walk_id: str) -> Response:
        """Delete the walk's cookie, but only one the request carried: a link to a walk from another site
        arrives without the SameSite=Strict cookie, and deleting it then would destroy the walk. (A HEAD
        response never carries Set-Cookie: methods.HeadAsGetMiddleware.)"""
        if self.holds(request, walk_id):
            response.delete_cookie(cookie_name(walk_id), path=f"/w/{walk_id}", httponly=True, samesite="strict")
        return response

    def seconds_left(self, walk: Walk) -> int:
        return self.codec.seconds_left(walk)

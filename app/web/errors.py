"""The web layer's exceptions, in one place: each is answered by a handler in ``problems.py``.

They import nothing from the rest of the web layer (``ErrorDetail`` is a plain model), so any
module can raise them without an import cycle::

    WebError                    anything the web layer refuses
    ├── WalkNotFound            a walk id in the URL that is not well formed (404)
    ├── TokenProblem            a walk's answers that are missing, unreadable or timed out (400)
    ├── TrainingNotFound        no training case at that address (404)
    ├── FormNotAccepted         a form body not sent as application/x-www-form-urlencoded (415)
    ├── BodyShapeError          an API body of the wrong shape: its status, code and detail
    ├── BodyTooLarge            a request body over the size limit (413)
    └── BodyTimeout             a request body that did not arrive in time (408)
"""

from __future__ import annotations

from .error_bodies import ErrorDetail


class WebError(Exception):
    """Anything the web layer refuses to do with a request."""


class WalkNotFound(WebError):
    """The walk id in the URL is not well formed."""


class TokenProblem(WebError):
    """The walk's answers are missing, tampered with, made with another key, or expired."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # missing | invalid | expired


class TrainingNotFound(WebError):
    """No training scenario has that name."""


class FormNotAccepted(WebError):
    """A form body not sent as application/x-www-form-urlencoded, which is all this service's forms
    (and htmx) ever send: refused (415) before it is parsed, so a multipart body's own charset
    (UTF-7, unicode_escape, ...) is never used to decode anything."""


class BodyShapeError(WebError):
    """An API request body the service cannot use: its HTTP status, error code, message and detail."""

    def __init__(self, status: int, code: str, message: str, detail: list[ErrorDetail] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.detail = detail or []


class BodyTooLarge(WebError):
    """The request body is larger than the limit."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the request body is larger than {limit // 1024} KB")
        self.limit = limit


class BodyTimeout(WebError):
    """The request body did not finish arriving within the deadline."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"the request body did not arrive within {seconds:g} seconds")
        self.seconds = seconds

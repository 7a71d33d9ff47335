"""The shape of every error the API returns, and how a value sent is shown in one (the exceptions
themselves are in ``errors.py``)."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, Field

ECHO_LIMIT = 100  # characters of a value sent that an error shows


class ErrorDetail(BaseModel):
    question: str | None = None
    field: str | None = None
    value: str | None = Field(None, description="The value given, as JSON text: control characters and lone "
                                                "surrogates escaped, cut at 100 characters.")
    allowed: list[str] | None = None
    message: str


class ErrorBody(BaseModel):
    error: str
    message: str
    detail: list[ErrorDetail] = Field([], description="One entry per problem (at most 20), naming the question, "
                                                      "the value given and the allowed values.")


def escaped(text: str) -> str:
    """Text with any lone surrogate written as its JSON escape (``\\udc80``), so it can always be encoded."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def echo(value: Any) -> str:
    """A value sent, as JSON text for an error: ``"adlt"``, ``["health"]``, ``18``, ``null``.

    Control characters and lone surrogates come out escaped, so showing a value never fails. A long
    string is cut before it is encoded (the same text: escaping only lengthens), so echoing a 60 KB
    value costs no more than a short one.
    """
    if isinstance(value, str) and len(value) > ECHO_LIMIT:
        value = value[:ECHO_LIMIT]
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError, RecursionError):
        text = f"(a JSON {type(value).__name__} too deeply nested to show)"
    text = escaped(text)
    return text if len(text) <= ECHO_LIMIT else text[:ECHO_LIMIT - 3] + "..."


def name_of(key: str) -> str:
    """A question id or key as sent, for an error: escaped as JSON escapes it, without the quotes."""
    text = escaped(json.dumps(key[:ECHO_LIMIT], ensure_ascii=False)[1:-1])
    return text if len(key) <= ECHO_LIMIT else text + "..."

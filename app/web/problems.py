"""The one place that turns exceptions into responses (JSON for the API)."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.engine.errors import AnswerError

from .error_bodies import BodyShapeError, ErrorBody, ErrorDetail
from .body_limit import BodyTooLarge

log = logging.getLogger("pathway.web")


def error_response(status: int, code: str, message: str, details: list[ErrorDetail] | None = None,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    body = ErrorBody(error=code, message=message, details=details or [])
    return JSONResponse(body.model_dump(mode="json"), status_code=status, headers=headers)


def _shown(value: Any) -> Any:
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value if not isinstance(value, str) or len(value) <= 200 else value[:200] + "..."
    if isinstance(value, list):
        return [_shown(v) for v in value[:20]]
    return str(type(value).__name__)


def answer_error(exc: AnswerError) -> JSONResponse:
    details = [ErrorDetail(question=p.question[:100], value=_shown(p.value), allowed=p.allowed or None,
                           message=p.message) for p in exc.problems]
    return error_response(422, "invalid_answers", "Some answers are not valid: " + "; ".join(
        p.message for p in exc.problems[:5]), details)


def _validation_message(err: dict[str, Any]) -> ErrorDetail:
    loc = [str(p) for p in err.get("loc", ()) if p != "body"]
    where = ".".join(loc) or "body"
    kind = err.get("type", "")
    if kind == "missing":
        message = f"'{where}' is required"
    elif kind in ("dict_type", "model_attributes_type"):
        message = f"'{where}' must be a JSON object"
    elif kind.startswith("string_type") or kind.startswith("list_type") or kind == "union_tag_invalid":
        message = f"'{where}' must be a string, or a list of strings for a multi-choice question"
    elif kind == "extra_forbidden":
        message = f"unknown field '{where}'; the body is {{\"answers\": {{question_id: value}}}}"
    else:
        message = f"'{where}': {err.get('msg', 'invalid')}"
    question = loc[1] if len(loc) >= 2 and loc[0] == "answers" else None
    return ErrorDetail(field=where, question=question, message=message)


def install(app: FastAPI) -> None:
    @app.exception_handler(AnswerError)
    async def _answers(request: Request, exc: AnswerError) -> JSONResponse:
        return answer_error(exc)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = list(exc.errors())
        if any(e.get("type") == "json_invalid" for e in errors):
            return error_response(400, "malformed_json", "The request body is not valid JSON.")
        details = []
        seen = set()
        for err in errors:
            detail = _validation_message(err)
            if detail.message not in seen:
                seen.add(detail.message)
                details.append(detail)
        # A union reports each branch; keep the first message per field.
        return error_response(422, "invalid_body", "The request body has the wrong shape: " + "; ".join(
            d.message for d in details[:5]), details[:50])

    @app.exception_handler(BodyShapeError)
    async def _shape(request: Request, exc: BodyShapeError) -> JSONResponse:
        return error_response(exc.status, exc.code, exc.message)

    @app.exception_handler(BodyTooLarge)
    async def _too_large(request: Request, exc: BodyTooLarge) -> JSONResponse:
        return error_response(413, "body_too_large", f"The request body is larger than the limit of "
                              f"{exc.limit // 1024} KB.", headers={"Connection": "close"})

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        codes = {404: "not_found", 405: "method_not_allowed"}
        message = {404: "There is nothing at this address.",
                   405: f"{request.method} is not allowed here."}.get(exc.status_code, str(exc.detail))
        return error_response(exc.status_code, codes.get(exc.status_code, "http_error"), message,
                              headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("unexpected error on %s %s: %s", request.method, request.scope.get("route") and
                  getattr(request.scope.get("route"), "path", "?"), type(exc).__name__)
        return error_response(500, "internal_error", "Something went wrong on our side. Your answers were not "
                              "stored; try again.")

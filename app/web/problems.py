"""The one place that turns exceptions into responses (JSON for the API, a page otherwise);
server_errors.py answers the rest. The exceptions themselves are in errors.py."""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.engine import AnswerError

from .app_state import state_of
from .error_bodies import ErrorBody, ErrorDetail, echo, escaped, name_of
from .errors import BodyShapeError, BodyTooLarge, FormNotAccepted, TokenProblem, TrainingNotFound, WalkNotFound
from .render import page
from .walk_token import valid_walk_id

log = logging.getLogger("pathway.web")

MAX_DETAIL = 20  # entries in an error's detail list


class ErrorJSONResponse(JSONResponse):
    """JSON that always encodes: a lone surrogate left in any text is written as its JSON escape."""

    def render(self, content: Any) -> bytes:
        text = json.dumps(content, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":"))
        return text.encode("utf-8", "backslashreplace")


def error_response(status: int, code: str, message: str, detail: list[ErrorDetail] | None = None,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    body = ErrorBody(error=code, message=message, detail=(detail or [])[:MAX_DETAIL])
    return ErrorJSONResponse(body.model_dump(mode="json"), status_code=status, headers=headers)


def answer_error(exc: AnswerError) -> JSONResponse:
    problems = exc.problems
    detail = [ErrorDetail(question=name_of(p.question), value=echo(p.value), allowed=p.allowed or None,
                          message=escaped(p.message)) for p in problems[:MAX_DETAIL]]
    count = f"{len(problems)} answers are not valid" if len(problems) > 1 else "An answer is not valid"
    listed = f" (the first {MAX_DETAIL} are listed under detail)" if len(problems) > MAX_DETAIL else ""
    return error_response(422, "invalid_answers", f"{count}{listed}: " + "; ".join(
        d.message for d in detail[:5]) + ("; ..." if len(problems) > 5 else ""), detail)


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


def wants_json(request: Request) -> bool:
    path = request.url.path
    return path.startswith("/api/") or path in ("/healthz", "/openapi.json")


def html_error(request: Request, status: int, title: str, message: str) -> Response:
    return page(request, "error.html", status=status, title=title, message=message)


TOKEN_PROBLEM_TITLES = {
    "expired": "Your answers have timed out",
    "missing": "We cannot find your answers",
    "invalid": "We cannot read your answers",
}


def token_problem_page(request: Request, exc: TokenProblem) -> Response:
    """The page for a walk whose answers cannot be had: missing, unreadable or timed out."""
    walk_id = request.path_params.get("walk_id")
    ours = isinstance(walk_id, str) and valid_walk_id(walk_id)
    # A link from another site arrives without the SameSite=Strict cookie: a link from this page
    # carries it, so "try again" finds the answers if they are still in this browser.
    retry = f"/w/{walk_id}" if ours and exc.reason == "missing" else None
    response = page(request, "walk_problem.html", status=400, title=TOKEN_PROBLEM_TITLES[exc.reason],
                    reason=exc.reason, retry=retry)
    # Missing answers are never cleared (see CookieWalkStore.clear); ones that cannot be used any more are.
    if exc.reason != "missing" and ours:
        state_of(request).walk_store.clear(request, response, str(walk_id))
    return response


def install(app: FastAPI) -> None:
    """Answer each of the web layer's exceptions (and FastAPI's and Starlette's own) in one place."""

    @app.exception_handler(AnswerError)
    async def _answers(request: Request, exc: AnswerError) -> Response:
        if wants_json(request):
            return answer_error(exc)
        return html_error(request, 422, "Those answers cannot be used", "Some answers are not valid for this "
                          "service. Start again from the start page.")

    @app.exception_handler(TokenProblem)
    async def _token(request: Request, exc: TokenProblem) -> Response:
        return token_problem_page(request, exc)

    @app.exception_handler(TrainingNotFound)
    async def _training(request: Request, exc: TrainingNotFound) -> Response:
        return html_error(request, 404, "Training case not found", "There is no training case at this address.")

    @app.exception_handler(WalkNotFound)
    async def _walk(request: Request, exc: WalkNotFound) -> Response:
        return html_error(request, 404, "Page not found", "This address is not part of a case in progress.")

    @app.exception_handler(FormNotAccepted)
    async def _form_type(request: Request, exc: FormNotAccepted) -> Response:
        return html_error(request, 415, "That form could not be read", "This service reads forms only as a "
                          "web browser sends them. Go back and try again, or start again from the start page.")

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        if not wants_json(request):
            return html_error(request, 400, "Something was wrong with that request",
                              "Go back and try again, or start again from the start page.")
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
        return error_response(422, "invalid_body", "The request body has the wrong shape: " + "; ".join(
            d.message for d in details[:5]), details)

    @app.exception_handler(BodyShapeError)
    async def _shape(request: Request, exc: BodyShapeError) -> JSONResponse:
        return error_response(exc.status, exc.code, exc.message, exc.detail)

    @app.exception_handler(BodyTooLarge)
    async def _too_large(request: Request, exc: BodyTooLarge) -> Response:
        if not wants_json(request):
            response = html_error(request, 413, "That was too much to send",
                                  f"Forms on this service are small; the limit is {exc.limit // 1024} KB. "
                                  "Go back and try again.")
            response.headers["Connection"] = "close"
            return response
        return error_response(413, "body_too_large", f"The request body is larger than the limit of "
                              f"{exc.limit // 1024} KB.", headers={"Connection": "close"})

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        codes = {404: "not_found", 405: "method_not_allowed"}
        message = {404: "There is nothing at this address.",
                   405: f"{request.method} is not allowed here."}.get(exc.status_code, str(exc.detail))
        if not wants_json(request):
            titles = {404: "Page not found", 405: "That cannot be done here"}
            title = titles.get(exc.status_code, "Something went wrong")
            response = html_error(request, exc.status_code, title, message)
            for key, value in (getattr(exc, "headers", None) or {}).items():
                response.headers[key] = value
            return response
        return error_response(exc.status_code, codes.get(exc.status_code, "http_error"), message,
                              headers=getattr(exc, "headers", None))

    # Any other exception is answered by CalmErrorsMiddleware (server_errors.py): a 500 with every
    # security header and the request id, logged as one record, never reaching uvicorn.

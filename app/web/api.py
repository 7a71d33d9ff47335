"""The JSON API: ``POST /api/v1/assess`` and ``GET /api/v1/pathway`` (contract v1)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from app.engine.conditions import to_text
from app.engine.explain import packs_out, question_out
from app.engine.outcome import Outcome, PackOut, QuestionOut
from app.engine.rulebook import Question, Rulebook
from app.engine.walk import URGENCY_LABELS, assess

from .error_bodies import BodyShapeError, ErrorBody

router = APIRouter(prefix="/api/v1", tags=["api"])

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "The body is not valid JSON."},
    413: {"model": ErrorBody, "description": "The body is larger than 64 KB."},
    422: {"model": ErrorBody, "description": "An unknown question, a value outside a question's options, or a "
                                             "body of the wrong shape. `details` names each question and its "
                                             "allowed values."},
}


class AssessRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    answers: dict[str, str | list[str]] = Field(
        description="Answers by question id. A multi-choice answer is a list; [] means none of these.",
        examples=[{"immediate_danger": "no", "age_group": "adult"}],
    )


class DeterminationInfo(BaseModel):
    id: str
    label: str
    type: str
    values: list[bool | str]
    source: str


class UrgencyInfo(BaseModel):
    level: int
    label: str
    when: str


class ActionInfo(BaseModel):
    id: str
    title: str
    summary: str
    who_acts: str
    due_when: str
    urgency: list[UrgencyInfo]
    contacts: list[str]
    source: str


class QuestionInfo(QuestionOut):
    asked_when: str


class FlagInfo(BaseModel):
    id: str
    label: str
    value: str
    set_by: str


class PathwayInfo(BaseModel):
    rules_version: str
    packs: list[PackOut]
    questions: list[QuestionInfo]
    optional_questions: list[QuestionInfo]
    determinations: list[DeterminationInfo]
    actions: list[ActionInfo]
    flags: list[FlagInfo]
    preset: dict[str, str]


def answers_schema(book: Rulebook) -> dict[str, Any]:
    """The request body's JSON schema, generated from the loaded questions: every id and value documented."""
    properties: dict[str, Any] = {}
    for q in (*book.questions, *book.optional_questions):
        values = list(q.values)
        if q.type == "multi_choice":
            properties[q.id] = {"type": "array", "items": {"type": "string", "enum": values}, "uniqueItems": True,
                                "description": f"{q.text} Options: {', '.join(values)}; [] means none of these."}
        else:
            properties[q.id] = {"type": "string", "enum": values, "description": q.text}
    return {
        "type": "object",
        "required": ["answers"],
        "additionalProperties": False,
        "properties": {"answers": {
            "type": "object", "properties": properties, "additionalProperties": False,
            "description": "Answers by question id, in any order. Unanswered questions are left out.",
        }},
    }


def install_openapi(app: Any, book: Rulebook) -> None:
    """Publish the request schema of the loaded packs in /openapi.json (computed once)."""
    default = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = default()
            body = schema["paths"]["/api/v1/assess"]["post"]["requestBody"]
            body["content"]["application/json"]["schema"] = answers_schema(book)
            app.openapi_schema = schema
        return app.openapi_schema  # type: ignore[no-any-return]

    app.openapi = openapi


def describe_pathway(book: Rulebook, preset: dict[str, str]) -> PathwayInfo:
    def question(q: Question) -> QuestionInfo:
        return QuestionInfo(**question_out(q).model_dump(), asked_when=to_text(q.ask_when))

    return PathwayInfo(
        rules_version=book.version,
        packs=packs_out(book, dt.date.today()),
        questions=[question(q) for q in book.questions],
        optional_questions=[question(q) for q in book.optional_questions],
        determinations=[DeterminationInfo(id=d.id, label=d.label, type=d.type, values=list(d.values),
                                          source=d.source) for d in book.determinations],
        actions=[ActionInfo(id=a.id, title=a.title, summary=a.summary, who_acts=a.who_acts, due_when=to_text(a.due),
                            urgency=[UrgencyInfo(level=u.level, label=URGENCY_LABELS[u.level],
                                                 when=to_text(u.when) if u.when else "otherwise")
                                     for u in a.urgency],
                            contacts=[c.id for c in a.contacts], source=a.source) for a in book.actions],
        flags=[FlagInfo(id=f.id, label=f.label, value=f.value, set_by=f.set_by) for f in book.flags.values()],
        preset=preset,
    )


@router.post(
    "/assess",
    response_model=Outcome,
    responses=ERRORS,
    summary="Assess a case",
    openapi_extra={"requestBody": {"required": True, "content": {
        "application/json": {"schema": AssessRequest.model_json_schema(ref_template="#/components/schemas/{model}")}
    }}},
)
async def post_assess(request: Request) -> Outcome:
    """Walk the rules for these answers: the next question, or the action plan when complete.

    Stateless: nothing about the case is stored. Answers may be posted in any order.
    """
    answers = read_answers(await request.body())
    state = request.app.state.pathway
    outcome = assess(state.rulebook, answers, preset=state.settings.preset)
    # The engine built a valid Outcome: serialise it once, instead of FastAPI validating it again.
    return Response(outcome.model_dump_json(), media_type="application/json")  # type: ignore[return-value]


def read_answers(raw: bytes) -> dict[str, Any]:
    """The answers object of a request body, or BodyShapeError saying what is wrong with the body."""
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):
        raise BodyShapeError(400, "malformed_json", "The request body is not valid JSON.") from None
    shape = 'The body must be a JSON object of the form {"answers": {"question_id": "value", ...}}'
    if not isinstance(body, dict):
        raise BodyShapeError(422, "invalid_body", f"{shape}; it is a JSON {_json_kind(body)}.")
    extra = sorted(k for k in body if k != "answers")
    if extra:
        raise BodyShapeError(422, "invalid_body", f"Unknown field '{extra[0][:80]}'. {shape}.")
    if "answers" not in body:
        raise BodyShapeError(422, "invalid_body", f"The field 'answers' is missing. {shape}.")
    if not isinstance(body["answers"], dict):
        raise BodyShapeError(422, "invalid_body", f"'answers' must be a JSON object; it is a JSON "
                             f"{_json_kind(body['answers'])}.")
    return body["answers"]


def _json_kind(value: Any) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}.get(
        type(value), "number")


@router.get("/pathway", response_model=PathwayInfo, summary="Describe the loaded pathway")
def get_pathway(request: Request) -> PathwayInfo:
    """The questions, determinations and actions of the loaded packs, and their versions."""
    state = request.app.state.pathway
    # Staleness is judged today, not when the server started.
    return state.description.model_copy(  # type: ignore[no-any-return]
        update={"packs": packs_out(state.rulebook, dt.date.today())})

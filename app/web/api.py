"""The JSON API: ``POST /api/v2/assess`` and ``GET /api/v2/pathway`` (contract v2); the v1 paths
answer 410 Gone, naming their v2 path."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from app.engine import (
    URGENCY_LABELS,
    ActionWordingOut,
    Model,
    Outcome,
    PackOut,
    Question,
    QuestionOut,
    Rulebook,
    action_wording_out,
    assess,
    packs_out,
    question_out,
    to_text,
)

from .app_state import State
from .clock import Today
from .error_bodies import ErrorBody
from .json_body import JSON_MEDIA_TYPE, read_answers
from .problems import error_response

CONTRACT_VERSION: Literal[2] = 2
ASSESS = "/api/v2/assess"
PATHWAY = "/api/v2/pathway"

router = APIRouter(prefix="/api/v2", tags=["api"])
ended = APIRouter(prefix="/api/v1", tags=["api v1 (ended)"])

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "The body is not valid JSON."},
    413: {"model": ErrorBody, "description": "The body is larger than 64 KB."},
    415: {"model": ErrorBody, "description": f"The body was not sent as `{JSON_MEDIA_TYPE}`."},
    422: {"model": ErrorBody, "description": "A key given twice in one JSON object (at any depth); a body of the "
                                             "wrong shape; more answers than the loaded packs have questions; "
                                             "far more values (`too_many_values`), arrays or objects than any "
                                             "body of answers, counted before the body is parsed; a number of "
                                             "more than 40 digits; "
                                             "or answers the packs cannot use: an unknown question, a value "
                                             "outside a question's options, a multi-choice answer that is not "
                                             "a list or that combines an option given on its own (such as "
                                             "`not_known`) with another, a single-choice answer that is a "
                                             "list. `detail` names each question, the value given (as JSON "
                                             "text) and the allowed values (the question ids once, under the "
                                             "first unknown question), at most 20 entries."},
}


class AssumptionOut(Model):
    id: str
    text: str


class AssessResponse(Outcome):
    """The response of ``POST /api/v2/assess``: the walk's outcome, with its contract version."""

    contract_version: Literal[2] = CONTRACT_VERSION
    assumptions: list[AssumptionOut] = Field(  # type: ignore[assignment]
        description="The assumptions applied, each with its pack id and plain words.")


def assess_response(outcome: Outcome) -> AssessResponse:
    """The API's shape of an outcome the engine built (already valid, so not validated again)."""
    fields = dict(outcome)
    fields["assumptions"] = [AssumptionOut.model_construct(id=aid, text=text)
                             for aid, text in zip(outcome.assumption_ids, outcome.assumptions, strict=True)]
    return AssessResponse.model_construct(**fields, contract_version=CONTRACT_VERSION)


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
    wording: ActionWordingOut = Field(description="The default wording and the variants for particular users.")


class QuestionInfo(QuestionOut):
    asked_when: str


class FlagInfo(BaseModel):
    id: str
    label: str
    value: str
    set_by: str


class PathwayInfo(BaseModel):
    contract_version: Literal[2] = CONTRACT_VERSION
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
            description = f"{q.text} Options: {', '.join(values)}; [] means none of these."
            properties[q.id] = {"type": "array", "items": {"type": "string", "enum": values}, "uniqueItems": True,
                                "description": description}
            alone = [o.value for o in q.options if o.exclusive]
            if alone:  # an option given on its own (not_known): the others, or one of these alone
                others = [v for v in values if v not in alone]
                properties[q.id] = {
                    "description": f"{description} {', '.join(alone)}: on its own.",
                    "anyOf": [{"type": "array", "items": {"type": "string", "enum": others}, "uniqueItems": True},
                              {"type": "array", "items": {"type": "string", "enum": alone}, "minItems": 1,
                               "maxItems": 1}],
                }
        else:
            properties[q.id] = {"type": "string", "enum": values, "description": q.text}
    return {
        "type": "object",
        "required": ["answers"],
        "additionalProperties": False,
        "properties": {"answers": {
            "type": "object", "properties": properties, "additionalProperties": False,
            "maxProperties": len(properties),
            "description": "Answers by question id, in any order. Unanswered questions are left out.",
        }},
    }


def complete_openapi(schema: dict[str, Any], book: Rulebook) -> dict[str, Any]:
    """The OpenAPI document FastAPI made, completed: the request schema of the loaded packs, and HEAD."""
    body = schema["paths"][ASSESS]["post"]["requestBody"]
    body["content"][JSON_MEDIA_TYPE]["schema"] = answers_schema(book)
    document_head(schema)
    return schema


def document_head(schema: dict[str, Any]) -> None:
    """Document HEAD beside each GET (methods.HeadAsGetMiddleware answers it): the same
    parameters, statuses and headers, no body."""
    for ops in schema["paths"].values():
        get = ops.get("get")
        if get is None or "head" in ops:
            continue
        head: dict[str, Any] = {
            "tags": get.get("tags", []),
            "summary": f"Headers only: {get.get('summary') or 'as GET'}",
            "description": "As GET, with the same status and headers and no body.",
            "operationId": f"{get['operationId']}_head",
            "responses": {status: {"description": response.get("description", ""),
                                   **({"headers": response["headers"]} if "headers" in response else {})}
                          for status, response in get["responses"].items()},
        }
        for key in ("parameters", "deprecated"):
            if key in get:
                head[key] = get[key]
        ops["head"] = head


def describe_pathway(book: Rulebook, preset: dict[str, str]) -> PathwayInfo:
    """The loaded pathway, once, at start. Its ``packs`` are left empty: whether a pack is stale is
    judged on the day asked, so GET /api/v2/pathway adds them per request (``pathway_on``)."""
    def question(q: Question) -> QuestionInfo:
        return QuestionInfo(**question_out(q).model_dump(), asked_when=to_text(q.ask_when))

    return PathwayInfo(
        rules_version=book.version,
        packs=[],
        questions=[question(q) for q in book.questions],
        optional_questions=[question(q) for q in book.optional_questions],
        determinations=[DeterminationInfo(id=d.id, label=d.label, type=d.type, values=list(d.values),
                                          source=d.source) for d in book.determinations],
        actions=[ActionInfo(id=a.id, title=a.title, summary=a.summary, who_acts=a.who_acts, due_when=to_text(a.due),
                            urgency=[UrgencyInfo(level=u.level, label=URGENCY_LABELS[u.level],
                                                 when=to_text(u.when) if u.when else "otherwise")
                                     for u in a.urgency],
                            contacts=[c.id for c in a.contacts], source=a.source,
                            wording=action_wording_out(a)) for a in book.actions],
        flags=[FlagInfo(id=f.id, label=f.label, value=f.value, set_by=f.set_by) for f in book.flags.values()],
        preset=preset,
    )


@router.post(
    "/assess",
    response_model=AssessResponse,
    responses=ERRORS,
    summary="Assess a case",
    openapi_extra={"requestBody": {"required": True, "content": {
        JSON_MEDIA_TYPE: {"schema": AssessRequest.model_json_schema(ref_template="#/components/schemas/{model}")}
    }}},
)
async def post_assess(request: Request, state: State) -> Response:
    """Walk the rules for these answers: the next question, or the action plan when complete.

    Stateless: nothing about the case is stored. Answers may be posted in any order.
    """
    answers = await read_answers(request, state.rulebook)
    outcome = assess(state.rulebook, answers, preset=state.settings.preset)
    # The engine built a valid Outcome: serialise it once, instead of FastAPI validating it again
    # (a Response is passed through as it is; response_model above still documents its shape).
    response = assess_response(outcome)
    return Response(response.__pydantic_serializer__.to_json(response), media_type=JSON_MEDIA_TYPE)


@router.get("/pathway", response_model=PathwayInfo, summary="Describe the loaded pathway")
def get_pathway(state: State, today: Today) -> PathwayInfo:
    """The questions, determinations and actions of the loaded packs, and their versions."""
    return pathway_on(state.description, state.rulebook, today)


def pathway_on(description: PathwayInfo, book: Rulebook, today: dt.date) -> PathwayInfo:
    """The pathway's description with its packs as of ``today`` (staleness is judged today, not when
    the server started)."""
    return description.model_copy(update={"packs": packs_out(book, today)})


def _ended(path: str) -> JSONResponse:
    return error_response(410, "contract_version_ended", f"Contract version 1 has ended: use {path} "
                          f"(contract version {CONTRACT_VERSION}).")


GONE = {"model": ErrorBody, "description": "Contract version 1 has ended; the body names the v2 path."}


@ended.post("/assess", status_code=410, response_model=ErrorBody, responses={410: GONE}, deprecated=True,
            summary=f"Ended: use POST {ASSESS}")
async def post_assess_v1() -> JSONResponse:
    """Contract version 1 has ended: answers 410 Gone, naming ``POST /api/v2/assess``."""
    return _ended(f"POST {ASSESS}")


@ended.get("/pathway", status_code=410, response_model=ErrorBody, responses={410: GONE}, deprecated=True,
           summary=f"Ended: use GET {PATHWAY}")
def get_pathway_v1() -> JSONResponse:
    """Contract version 1 has ended: answers 410 Gone, naming ``GET /api/v2/pathway``."""
    return _ended(f"GET {PATHWAY}")

"""The duty officer's quick check: do I need consent, and who must notify? One page, one engine call."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from app.engine.errors import AnswerError
from app.engine.walk import assess

from .pages import MAX_FIELD_VALUES, page

router = APIRouter(include_in_schema=False)

QUICK_QUESTIONS = (
    "immediate_danger", "age_group", "organisation", "action", "purpose", "exploited_as_child", "means",
    "slavery_servitude_forced_labour", "capacity_concern", "consent_nrm",
)
HEADLINE_ACTIONS = ("nrm_referral", "duty_to_notify", "seek_consent")


def _render(request: Request, answers: dict[str, Any], status: int = 200, errors: list[str] | None = None,
            submitted: bool = False) -> HTMLResponse:
    state = request.app.state.pathway
    questions = [request.app.state.questions[q] for q in QUICK_QUESTIONS if q in request.app.state.questions]
    preset = state.settings.preset
    if preset:
        questions = [q for q in questions if q.id not in preset]
    outcome = assess(state.rulebook, answers, preset=preset)
    skipped = set(outcome.skipped_questions)
    ignored = [request.app.state.questions[q].short for q in outcome.ignored_answers if q in QUICK_QUESTIONS]
    headline = [r for r in outcome.referrals if r.id in HEADLINE_ACTIONS]
    others = [r for r in outcome.referrals if r.id not in HEADLINE_ACTIONS]
    return page(
        request, "quick_check.html", status=status, title="Quick check: consent and duty to notify",
        questions=questions, answers=answers, skipped=skipped, outcome=outcome, ignored=ignored,
        headline=headline, others=others, errors=errors or [], submitted=submitted,
    )


@router.get("/quick-check", response_class=HTMLResponse)
def quick_check_page(request: Request) -> HTMLResponse:
    return _render(request, {})


@router.post("/quick-check", response_class=HTMLResponse)
async def quick_check(request: Request) -> Response:
    form = await request.form(max_files=0, max_fields=MAX_FIELD_VALUES * 2)
    answers: dict[str, Any] = {}
    errors: list[str] = []
    for key in form:
        if key not in QUICK_QUESTIONS:
            errors.append("The form had an unexpected field. Answer the questions shown and check again.")
            continue
        values = [v for v in form.getlist(key) if isinstance(v, str)]
        if len(values) != 1:
            errors.append(f"Choose one answer for \u201c{request.app.state.questions[key].short}\u201d.")
            continue
        if values[0]:
            answers[key] = values[0]
    if errors:
        return _render(request, {}, status=422, errors=sorted(set(errors)))
    try:
        return _render(request, answers, submitted=True)
    except AnswerError as exc:
        return _render(request, {}, status=422, errors=[p.message for p in exc.problems])

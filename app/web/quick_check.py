"""The duty officer's quick check: do I need consent, and who must notify? One page, one engine call."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from app.engine import AnswerError, Question, assess

from .answer_form import MAX_FIELD_VALUES, FormProblem, posted_values, read_form
from .app_state import AppState, State
from .render import page

router = APIRouter(include_in_schema=False)

HEADLINE_ACTIONS = ("nrm_referral", "duty_to_notify", "seek_consent")
# Never asked of a child: shown as "not needed" with the reason when the person is treated as a child.
CHILD_NEVER_ASKED = ("consent_nrm", "consent_given_alone", "capacity_concern")


def quick_questions(state: AppState) -> list[Question]:
    """The questions the pack marks ``quick_check: true``, in the walk's order."""
    return [q for q in state.rulebook.questions if q.quick_check]


# Before the trafficking test is answered, the quick check gives the answer with modern slavery
# taken as possible: each unanswered question of this section is assessed as "Not sure".
TEST_SECTION = "The trafficking test"
ASSUMED = "unsure"
# And capacity, unless answered, is presumed (Mental Capacity Act 2005 s1(2)): a doubt changes the answer.
PRESUMED = {"capacity_concern": "no"}
NOT_KNOWN = "Not known yet"


def _shown(statements: list[Any]) -> list[dict[str, str]]:
    """Each statement as shown: the short answer in bold, then its text, never "Not known yet" twice."""
    shown = []
    for s in statements:
        text = s.text
        if not s.answer and text.lower().startswith(NOT_KNOWN.lower()):
            text = text[len(NOT_KNOWN):].lstrip(" :.")
            text = text[:1].upper() + text[1:]
        shown.append({"id": s.id, "question": s.question, "answer": s.answer or NOT_KNOWN, "text": text})
    return shown


def _conditional(state: AppState, questions: list[Question], answers: dict[str, Any],
                 outcome: Any, preset: Any) -> dict[str, Any] | None:
    """The engine's answer with modern slavery taken as possible (the trafficking test's unanswered
    questions assessed as "Not sure"), when the answers given do not settle it yet: the questions
    that would confirm it, and the other open quick questions that could change it."""
    if all(s.answer for s in outcome.statements):
        return None
    assumed = [q for q in questions if q.section == TEST_SECTION and q.id not in answers]
    if not assumed:
        return None
    ids = {q.id for q in questions}
    presumed = {qid: v for qid, v in PRESUMED.items() if qid in ids and qid not in answers}
    maybe = assess(state.rulebook, {**answers, **presumed, **{q.id: ASSUMED for q in assumed}}, preset=preset,
                   in_order=False)
    if not any(s.answer for s in maybe.statements):
        return None
    names = state.questions
    skipped = set(maybe.skipped_questions)
    confirm = [names[q.id].short for q in assumed if q.id not in skipped]
    others = [names[q.id].short for q in questions
              if q.id not in answers and q.section != TEST_SECTION and q.id not in skipped]
    return {"statements": _shown(maybe.statements), "confirm": confirm, "others": others,
            "presumed": [names[qid].short for qid in presumed]}


def _render(request: Request, state: AppState, answers: dict[str, Any], status: int = 200,
            errors: list[str] | None = None, submitted: bool = False) -> HTMLResponse:
    questions = quick_questions(state)
    quick_ids = {q.id for q in questions}
    preset = state.settings.preset
    if preset:
        questions = [q for q in questions if q.id not in preset]
    outcome = assess(state.rulebook, answers, preset=preset, in_order=False)
    skipped = set(outcome.skipped_questions)
    ignored = [state.questions[q].short for q in outcome.ignored_answers if q in quick_ids]
    headline = [r for r in outcome.referrals if r.id in HEADLINE_ACTIONS]
    others = [r for r in outcome.referrals if r.id not in HEADLINE_ACTIONS]
    return page(
        request, "quick_check.html", status=status, title="Quick check: consent and duty to notify",
        questions=questions, answers=answers, skipped=skipped, outcome=outcome, ignored=ignored,
        headline=headline, others=others, child_never_asked=CHILD_NEVER_ASKED, errors=errors or [],
        submitted=submitted, statements=_shown(outcome.statements),
        conditional=_conditional(state, questions, answers, outcome, preset) if submitted else None,
        carried={q.id: answers[q.id] for q in questions if q.id in answers},
    )


@router.get("/quick-check", response_class=HTMLResponse)
def quick_check_page(request: Request, state: State) -> HTMLResponse:
    return _render(request, state, {})


@router.post("/quick-check", response_class=HTMLResponse)
async def quick_check(request: Request, state: State) -> Response:
    form = await read_form(request, MAX_FIELD_VALUES * 2)
    answers: dict[str, Any] = {}
    problems: list[FormProblem] = []
    quick_ids = {q.id for q in quick_questions(state)}
    for key in form:
        if key not in quick_ids:
            problems.append(FormProblem("quick_unexpected_field"))
            continue
        values = posted_values(form, key)
        if len(values) != 1:
            problems.append(FormProblem("quick_one_only", {"question": state.questions[key].short}))
            continue
        if values[0]:
            answers[key] = values[0]
    if problems:
        return _render(request, state, {}, status=422, errors=sorted({p.message for p in problems}))
    try:
        return _render(request, state, answers, submitted=True)
    except AnswerError as exc:
        return _render(request, state, {}, status=422, errors=[p.message for p in exc.problems])

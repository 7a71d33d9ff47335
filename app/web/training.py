"""Training mode: step through the scenarios that have a narrative, and ask "what if?".

Scenarios are fictional teaching cases shipped with the rules, so their answers may appear in
addresses (they are not about a real person); nothing is stored.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.engine import (
    URGENCY_LABELS,
    AnswerError,
    Outcome,
    PackError,
    PackProblem,
    PackProblemError,
    Rulebook,
    Scenario,
    assess,
    compare,
    deployment_scenarios,
    line_of,
    overlay_id,
    read_yaml_file,
    rules_dirs,
    urgency_change_why,
    validate_answers,
    walk_step_by_step,
)

from .app_state import AppState, State
from .clock import Today
from .errors import TrainingNotFound
from .render import page

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class Walked:
    """A training case walked one question at a time, on one day: its outcome and the questions asked."""

    day: dt.date
    outcome: Outcome
    asked: list[str]


@dataclass
class Case:
    """A training case: a scenario with a narrative, walked as the questionnaire would walk it."""

    slug: str
    scenario: Scenario
    book: Rulebook
    walked: Walked | None = field(default=None, repr=False, compare=False)  # the last walk, kept for its day

    def walk(self, today: dt.date) -> Walked:
        """The case walked on ``today`` (the plan's date and its contacts' staleness are that day's).
        The last day's walk is kept: every page of a case on one day shows the same plan."""
        last = self.walked
        if last is None or last.day != today:
            outcome, asked, _ = walk_step_by_step(self.book, self.scenario, today)
            last = self.walked = Walked(today, outcome, asked)
        return last

    @property
    def asked(self) -> list[str]:
        """The questions the walk asks, in order. The date plays no part in which (it only dates the
        plan and judges its contacts' staleness), so the last walk's, or today's, are the case's."""
        return (self.walked or self.walk(dt.date.today())).asked

    def answers(self) -> dict[str, Any]:
        return self.scenario.answer_values()


def load_cases(rules_dir: Path, local: str, book: Rulebook) -> dict[str, Case]:
    """The scenarios with a narrative that were written for this deployment: the shared ones for any
    overlay (``local: any``) or for this one, and the overlay's own (its ``scenarios/`` folder); with no
    overlay, the shared ones for the national pack alone (``local: none``).

    Raises PackError naming every scenario file that cannot be read (each at file:line), and every
    training case whose answers the packs refuse: a broken file stops the start, never a page.
    """
    cases: dict[str, Case] = {}
    _, overlay_dir = rules_dirs(rules_dir, local)
    found, problems = deployment_scenarios(rules_dir / "scenarios", overlay_dir, overlay_id(book))
    for path, scenario in found:
        if not scenario.narrative:
            continue
        try:
            validate_answers(book, scenario.answer_values())
            validate_answers(book, scenario.preset)
        except AnswerError as exc:
            problems += [PackProblem(str(path), _answer_line(path, p.question), p.message) for p in exc.problems]
            continue
        cases[path.stem] = Case(path.stem, scenario, book)
    if problems:
        raise PackError(problems)
    return cases


def _answer_line(path: Path, qid: str) -> int | None:
    """The line of a scenario's answer (or preset) to a question, for an error message."""
    try:
        raw = read_yaml_file(path)
    except PackProblemError:
        return None
    return line_of(raw, ("answers", qid)) if qid in (raw.get("answers") or {}) else line_of(raw, ("preset", qid))


def _case(state: AppState, slug: str) -> Case:
    case = state.training.get(slug)
    if case is None:
        raise TrainingNotFound()
    return case


def _parse_value(qtype: str, raw: str) -> Any:
    if qtype == "multi_choice":
        return [v for v in raw.split(",") if v and v != "none"]
    return raw


def flip_choices(state: AppState, case: Case, chosen: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """For each answered question: its answer in the case and the others a trainer can change it to,
    grouped by the question's section (in the order asked); ``chosen`` marks the changes already made."""
    questions = state.questions
    answers = case.answers()
    chosen = chosen or {}
    sections: list[dict[str, Any]] = []
    for qid in case.asked:
        info = questions[qid]
        current = answers.get(qid)
        options: list[tuple[str, str]] = []
        if info.type == "multi_choice":
            options.append(("none", info.none_label or "None of these"))
            options += [(o.value, o.label) for o in info.options]
            options = [(v, label) for v, label in options
                       if sorted(_parse_value("multi_choice", v)) != sorted(current or [])]
        else:
            options = [(o.value, o.label) for o in info.options if o.value != current]
        if not sections or sections[-1]["title"] != info.section:
            sections.append({"title": info.section, "questions": []})
        sections[-1]["questions"].append({
            "id": qid, "short": info.short, "options": options, "chosen": chosen.get(qid, ""),
            "current": case.book.question(qid).answer_label(current) if case.book.has_question(qid) else str(current),
        })
    return sections


def _flips(request: Request, case: Case) -> dict[str, str]:
    """The answers changed (``flip=question:value``, one or more), in the order asked: blanks ignored."""
    wanted: dict[str, str] = {}
    for value in request.query_params.getlist("flip"):
        qid, _, raw = value.partition(":")
        if qid in case.asked and raw:
            wanted[qid] = raw
    return {qid: wanted[qid] for qid in case.asked if qid in wanted}


# The training list's groups, by what a case teaches, each from the case's own outcome.
THEMES: tuple[tuple[str, str, str], ...] = (
    ("children", "Children, and people whose age is not known",
     "No consent is needed: children's services first, and an NRM referral for every child."),
    ("consent", "Adults who agree to a referral", "Informed consent, the NRM and support for adults."),
    ("declined", "Adults who say no", "Declining is not evidence that they are not a victim: the duty to notify."),
    ("not_yet", "Adults who cannot be asked yet, or whose capacity is in doubt",
     "Speaking alone, interpreters and mental capacity before consent."),
    ("not_ms", "Not modern slavery on the answers", "What is still due when the test is not met."),
)


def case_theme(case: Case, today: dt.date) -> str:
    """Which of THEMES a case teaches, from its outcome."""
    d = case.walk(today).outcome.determinations
    if d.treated_as_child:
        return "children"
    if d.modern_slavery == "no":
        return "not_ms"
    return {"given": "consent", "declined": "declined"}.get(str(d.consent_status), "not_yet")


@router.get("/training", response_class=HTMLResponse)
def training_list(request: Request, state: State, today: Today) -> HTMLResponse:
    cases = sorted(state.training.values(), key=lambda c: c.scenario.name)
    groups = [{"id": tid, "title": title, "about": about, "cases": [c for c in cases if case_theme(c, today) == tid]}
              for tid, title, about in THEMES]
    return page(request, "training_list.html", title="Training cases", groups=[g for g in groups if g["cases"]])


@router.get("/training/{slug}", response_class=HTMLResponse)
def training_case(request: Request, slug: str, state: State) -> HTMLResponse:
    case = _case(state, slug)
    return page(request, "training_case.html", title=case.scenario.name, case=case)


@router.get("/training/{slug}/step/{number}", response_class=HTMLResponse)
def training_step(request: Request, slug: str, number: int, state: State, today: Today) -> Response:
    case = _case(state, slug)
    asked = case.walk(today).asked
    if number < 1 or number > len(asked):
        return RedirectResponse(f"/training/{slug}/outcome" if number > len(asked) else f"/training/{slug}",
                                status_code=303)
    qid = asked[number - 1]
    info = state.questions[qid]
    given = case.scenario.answers[qid]
    so_far = {q: case.answers()[q] for q in asked[: number - 1]}
    preset = case.scenario.preset or None
    before = assess(case.book, so_far, preset=preset, today=today)
    after = assess(case.book, {**so_far, qid: given.answer}, preset=preset, today=today)
    expected = given.answer if isinstance(given.answer, list) else [given.answer]
    return page(
        request, "training_step.html", title=f"Step {number}: {info.text}", case=case, number=number,
        question=info, expected=expected, label=next(a.label for a in after.answered if a.id == qid),
        reason=given.reason, total=len(asked), changes=compare(before, after, case.book),
    )


@router.get("/training/{slug}/outcome", response_class=HTMLResponse)
def training_outcome(request: Request, slug: str, state: State, today: Today) -> HTMLResponse:
    case = _case(state, slug)
    return page(request, "training_outcome.html", title=f"Outcome: {case.scenario.name}", case=case,
                outcome=case.walk(today).outcome, sections=flip_choices(state, case))


@router.get("/training/{slug}/what-if", response_class=HTMLResponse)
def training_what_if(request: Request, slug: str, state: State, today: Today) -> Response:
    """Change one or more answers (``flip=question:value``, repeated); answer any question the changes
    open (never pre-selected); compare with the case. The form there builds on the changes made."""
    case = _case(state, slug)
    questions = state.questions
    flips = _flips(request, case)
    if not flips:
        return page(request, "error.html", status=422, title="Choose an answer to change",
                    message="Pick at least one of the case's answers and a different value for it.")
    answers = case.answers()
    extra: dict[str, Any] = {}
    for key, value in request.query_params.multi_items():
        if key != "flip" and key in questions and key not in answers and value:
            extra[key] = _parse_value(questions[key].type, value)
    changed = {**answers, **extra, **{q: _parse_value(questions[q].type, v) for q, v in flips.items()}}
    try:
        after = assess(case.book, changed, preset=case.scenario.preset or None, today=today)
    except AnswerError as exc:
        return page(request, "error.html", status=422, title="That answer is not one of the options",
                    message="; ".join(p.message for p in exc.problems))
    outcome = case.walk(today).outcome
    comparison = compare(outcome, after, case.book)
    labels_after = {a.id: a.label for a in after.answered}
    labels_before = {a.id: a.label for a in outcome.answered}
    changes = [{"id": q, "short": questions[q].short, "before": labels_before.get(q, ""),
                "after": labels_after.get(q, v)} for q, v in flips.items()]
    why = {a.id: urgency_change_why(case.book, a.id, a.before.urgency, a.after.urgency, URGENCY_LABELS)
           for a in comparison.actions if a.before and a.after}
    flip_params = [f"{q}:{v}" for q, v in flips.items()]
    return page(
        request, "training_what_if.html", title="What if: " + ", ".join(c["short"] for c in changes), case=case,
        changes=changes, flip_params=flip_params, after=after, comparison=comparison, pending=after.next_question,
        extra=extra, why=why, sections=flip_choices(state, case, flips),
        extra_answers=[(questions[k].short, labels_after.get(k, str(v))) for k, v in extra.items()],
    )

"""Training mode: step through the scenarios that have a narrative, and ask "what if?".

Scenarios are fictional teaching cases shipped with the rules, so their answers may appear in
addresses (they are not about a real person); nothing is stored.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.engine.answers import validate_answers
from app.engine.compare import compare
from app.engine.errors import AnswerError, PackError, PackProblem
from app.engine.outcome import Outcome
from app.engine.rulebook import Rulebook
from app.engine.scenarios import Scenario, ScenarioError, load_scenario, scenario_files, walk_step_by_step
from app.engine.walk import assess
from app.engine.yaml_source import PackProblemError, line_of, read_yaml_file

from .pages import page

router = APIRouter(include_in_schema=False)


class TrainingNotFound(Exception):
    """No training scenario has that name."""


@dataclass
class Case:
    slug: str
    scenario: Scenario
    book: Rulebook

    @cached_property
    def walked(self) -> tuple[Outcome, list[str]]:
        outcome, asked, _ = walk_step_by_step(self.book, self.scenario, dt.date.today())
        return outcome, asked

    @property
    def outcome(self) -> Outcome:
        return self.walked[0]

    @property
    def asked(self) -> list[str]:
        return self.walked[1]

    def answers(self) -> dict[str, Any]:
        return self.scenario.answer_values()


def load_cases(rules_dir: Path, local: str, book: Rulebook) -> dict[str, Case]:
    """The scenarios with a narrative that were written for this deployment's packs.

    Raises PackError naming every scenario file that cannot be read (each at file:line), and every
    training case whose answers the packs refuse: a broken file stops the start, never a page.
    """
    cases: dict[str, Case] = {}
    problems: list[PackProblem] = []
    for path in scenario_files(rules_dir / "scenarios"):
        try:
            scenario = load_scenario(path)
        except ScenarioError as exc:
            problems.append(exc.problem)
            continue
        if scenario.narrative and scenario.local == local:
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


def _case(request: Request, slug: str) -> Case:
    case: Case | None = request.app.state.training.get(slug)
    if case is None:
        raise TrainingNotFound()
    return case


def _parse_value(qtype: str, raw: str) -> Any:
    if qtype == "multi_choice":
        return [v for v in raw.split(",") if v and v != "none"]
    return raw


def flip_choices(request: Request, case: Case) -> list[dict[str, Any]]:
    """For each answered question: the other answers a trainer can flip it to."""
    questions = request.app.state.questions
    answers = case.answers()
    groups = []
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
        groups.append({"id": qid, "short": info.short, "options": options})
    return groups


@router.get("/training", response_class=HTMLResponse)
def training_list(request: Request) -> HTMLResponse:
    cases = sorted(request.app.state.training.values(), key=lambda c: c.scenario.name)
    return page(request, "training_list.html", title="Training cases", cases=cases)


@router.get("/training/{slug}", response_class=HTMLResponse)
def training_case(request: Request, slug: str) -> HTMLResponse:
    case = _case(request, slug)
    return page(request, "training_case.html", title=case.scenario.name, case=case)


@router.get("/training/{slug}/step/{number}", response_class=HTMLResponse)
def training_step(request: Request, slug: str, number: int) -> Response:
    case = _case(request, slug)
    if number < 1 or number > len(case.asked):
        return RedirectResponse(f"/training/{slug}/outcome" if number > len(case.asked) else f"/training/{slug}",
                                status_code=303)
    qid = case.asked[number - 1]
    info = request.app.state.questions[qid]
    given = case.scenario.answers[qid]
    so_far = {q: case.answers()[q] for q in case.asked[: number - 1]}
    preset = case.scenario.preset or None
    before = assess(case.book, so_far, preset=preset)
    after = assess(case.book, {**so_far, qid: given.answer}, preset=preset)
    expected = given.answer if isinstance(given.answer, list) else [given.answer]
    return page(
        request, "training_step.html", title=f"Step {number}: {info.text}", case=case, number=number,
        question=info, expected=expected, label=next(a.label for a in after.answered if a.id == qid),
        reason=given.reason, total=len(case.asked), changes=compare(before, after),
    )


@router.get("/training/{slug}/outcome", response_class=HTMLResponse)
def training_outcome(request: Request, slug: str) -> HTMLResponse:
    case = _case(request, slug)
    return page(request, "training_outcome.html", title=f"Outcome: {case.scenario.name}", case=case,
                outcome=case.outcome, choices=flip_choices(request, case))


@router.get("/training/{slug}/what-if", response_class=HTMLResponse)
def training_what_if(request: Request, slug: str) -> Response:
    """Flip one answer (``flip=question:value``); answer any question the flip opens; compare."""
    case = _case(request, slug)
    questions = request.app.state.questions
    flip = request.query_params.get("flip", "")
    qid, _, raw = flip.partition(":")
    if qid not in case.asked or not raw:
        return page(request, "error.html", status=422, title="Choose an answer to change",
                    message="Pick one of the scenario's answers and a different value for it.")
    answers = case.answers()
    extra: dict[str, Any] = {}
    for key, value in request.query_params.multi_items():
        if key != "flip" and key in questions and key not in answers:
            extra[key] = _parse_value(questions[key].type, value)
    changed = {**answers, **extra, qid: _parse_value(questions[qid].type, raw)}
    try:
        after = assess(case.book, changed, preset=case.scenario.preset or None)
    except AnswerError as exc:
        return page(request, "error.html", status=422, title="That answer is not one of the options",
                    message="; ".join(p.message for p in exc.problems))
    comparison = compare(case.outcome, after)
    pending = after.next_question
    return page(
        request, "training_what_if.html", title=f"What if: {questions[qid].short}", case=case, flip=flip,
        flipped=questions[qid], flipped_label=next((a.label for a in after.answered if a.id == qid), raw),
        before_label=next((a.label for a in case.outcome.answered if a.id == qid), ""),
        after=after, comparison=comparison, pending=pending, extra=extra,
        extra_labels={k: next((a.label for a in after.answered if a.id == k), str(v)) for k, v in extra.items()},
    )


def install(app: Any, rules_dir: Path, local: str, book: Rulebook) -> None:
    """Mount the training pages. A scenario that cannot be read raises PackError (the app refuses to start)."""
    app.state.training = load_cases(rules_dir, local, book)
    app.include_router(router)

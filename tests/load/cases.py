"""The cases the simulated users walk: every scenario the default deployment can run, with its route.

For each scenario file whose deployment is the default one (the Lewisham overlay, no preset
organisation), the engine works out, before any traffic, what a person walking the case
through the questionnaire must see: the first question, then after each answer (or skip of an
optional question the scenario does not answer) the exact next page, and the referral ids of
the action plan. They are checked against the scenario's own expectations (``referrals`` listed,
``not_referrals`` not), so a case whose plan is not what its author wrote is refused here.

Nothing here sends a request; ``locustfile.py`` compares what the server answers with this.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.engine.assessment import assess
from app.engine.loader import load_rulebook, rules_dirs
from app.engine.rulebook import Rulebook
from app.engine.scenarios import load_scenario, scenario_files

ROOT = Path(__file__).resolve().parent.parent.parent
RULES = ROOT / "pathway_rules"
DEFAULT_LOCAL = "lewisham"
MAX_STEPS = 100


@dataclass(frozen=True)
class Step:
    qid: str
    skip: bool  # an optional question the case does not answer: the user presses "Skip"
    values: tuple[str, ...]  # the form values posted for qid ("none" for an empty multi-choice answer)
    then: str  # where the server must send the user next, relative to /w/<walk>/: "q/<id>" or "outcome"


@dataclass(frozen=True)
class Case:
    name: str
    first: str  # "q/<id>"
    steps: tuple[Step, ...]
    referrals: frozenset[str]


def form_values(value: Any) -> tuple[str, ...]:
    if isinstance(value, list):
        return tuple(value) or ("none",)
    return (str(value),)


def _where(book: Rulebook, answers: dict[str, Any], skipped: list[str]) -> str:
    """The page the questionnaire shows next: an optional question just offered, the next question, or the plan."""
    outcome = assess(book, answers)
    answered = {a.id for a in outcome.answered}
    for optional in outcome.optional_questions:
        if optional.after in answered and optional.id not in skipped:
            return f"q/{optional.id}"
    if outcome.next_question is not None:
        return f"q/{outcome.next_question.id}"
    return "outcome"


def plan(book: Rulebook, path: Path) -> Case:
    scenario = load_scenario(path)
    given = scenario.answer_values()
    answers: dict[str, Any] = {}
    skipped: list[str] = []
    first = where = _where(book, answers, skipped)
    steps: list[Step] = []
    for _ in range(MAX_STEPS):
        if where == "outcome":
            break
        qid = where.removeprefix("q/")
        if qid in given:
            answers[qid] = given[qid]
            skip, values = False, form_values(given[qid])
        else:
            skipped.append(qid)
            skip, values = True, ()
        where = _where(book, answers, skipped)
        steps.append(Step(qid, skip, values, where))
    else:
        raise ValueError(f"{path.name}: the walk did not reach the action plan")
    referrals = frozenset(r.id for r in assess(book, answers).referrals)
    missing = set(scenario.expect.referrals) - referrals
    unwanted = set(scenario.expect.not_referrals) & referrals
    if missing or unwanted or not scenario.expect.complete:
        raise ValueError(f"{path.name}: the engine's plan does not meet the scenario ({missing=}, {unwanted=})")
    return Case(path.stem, first, tuple(steps), referrals)


def default_cases() -> list[Case]:
    national, local = rules_dirs(RULES, DEFAULT_LOCAL)
    book = load_rulebook(national, local)
    cases = []
    own = scenario_files(local / "scenarios") if local else []
    for path in [*scenario_files(RULES / "scenarios"), *own]:  # the shared scenarios, then the overlay's own
        scenario = load_scenario(path)
        if scenario.written_for(DEFAULT_LOCAL) and not scenario.preset and scenario.expect.complete:
            cases.append(plan(book, path))
    return cases

"""Scenarios: expert-readable YAML cases with expected outcomes, run step by step and all at once."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .assessment import assess
from .errors import EngineError, PackProblem
from .outcome import Outcome
from .rulebook import Rulebook
from .yaml_source import PackProblemError, line_of, read_yaml_file

MAX_STEPS = 200
ANY_OVERLAY = "any"  # a scenario's `local:` for one that holds with every local overlay
NO_OVERLAY = "none"  # ... and for one written for the national pack alone


class ScenarioAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    answer: str | list[str]
    reason: str | None = None


class Expectations(BaseModel):
    model_config = ConfigDict(extra="forbid")
    complete: bool = True
    determinations: dict[str, bool | str | None] = {}
    elements: dict[str, str] = {}
    referrals: list[str] = Field([], description="Actions that must be listed.")
    not_referrals: list[str] = Field([], description="Actions that must not be listed.")
    any_referrals: list[str] = Field([], description="Actions at least one of which must be listed.")
    urgency: dict[str, int] = {}
    order: list[str] = Field([], description="Actions that must appear in this relative order.")
    asked: list[str] = []
    not_asked: list[str] = []
    ignored_answers: list[str] | None = None
    needs: list[str] | None = None
    assumptions: list[str] = Field([], description="Assumption ids that must apply.")
    not_assumptions: list[str] = Field([], description="Assumption ids that must not apply.")


class Scenario(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    narrative: str | None = None
    reported_by: str | None = None
    covers: list[str] = Field([], description="Pitfalls (facts §9) this scenario covers, e.g. 'pitfall 1'.")
    local: str = Field(ANY_OVERLAY, description=(
        "The deployment the scenario is written for: 'any' (any local overlay; the default, as it is "
        "what most scenarios are), 'none' (the national pack alone) or an overlay's name (it depends "
        "on that overlay's contacts or services, and lives in that overlay's scenarios/ folder)."))
    preset: dict[str, str] = {}
    answers: dict[str, ScenarioAnswer]
    expect: Expectations

    @field_validator("local")
    @classmethod
    def _local(cls, value: str) -> str:
        if not re.fullmatch(r"[a-z0-9_-]+", value):
            raise ValueError(f"'{value}' is not 'any', 'none' or an overlay's name (lower-case letters, digits, "
                             "'-' and '_')")
        return value

    @field_validator("answers", mode="before")
    @classmethod
    def _short_answers(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: v if isinstance(v, dict) else {"answer": v} for k, v in value.items()}
        return value

    def answer_values(self) -> dict[str, Any]:
        return {k: v.answer for k, v in self.answers.items()}

    def written_for(self, overlay: str | None) -> bool:
        """Whether the scenario belongs to a deployment with this overlay (its pack id; None for the
        national pack alone): 'any' goes with every overlay, 'none' with none, a name with that one."""
        if overlay is None:
            return self.local == NO_OVERLAY
        return self.local in (ANY_OVERLAY, overlay)


@dataclass
class ScenarioResult:
    scenario: Scenario
    path: Path
    failures: list[str] = field(default_factory=list)
    outcome: Outcome | None = None
    asked: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures


def load_scenario(path: Path) -> Scenario:
    try:
        # unreadable, not UTF-8, invalid YAML or a number too long to read: a ScenarioError at file:line
        raw = read_yaml_file(path)
    except PackProblemError as exc:
        raise ScenarioError(exc.problem) from None
    if not isinstance(raw, dict):
        shape = "an empty file" if raw is None else "a list" if isinstance(raw, list) else "a single value"
        raise ScenarioError(PackProblem(str(path), getattr(raw, "line", 1),
                                        f"a scenario is a mapping with a name, answers and expect, not {shape}"))
    try:
        return Scenario.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        line = line_of(raw, tuple(err["loc"])) or 1
        where = ".".join(str(p) for p in err["loc"]) or "a scenario"
        message = str(err["msg"]).removeprefix("Value error, ")
        raise ScenarioError(PackProblem(str(path), line, f"{where}: {message}")) from None


class ScenarioError(EngineError):
    def __init__(self, problem: PackProblem) -> None:
        super().__init__(str(problem))
        self.problem = problem


def scenario_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.glob("*.yaml") if p.is_file())


def deployment_scenarios(shared: Path | None, overlay_dir: Path | None,
                         overlay: str | None) -> tuple[list[tuple[Path, Scenario]], list[PackProblem]]:
    """The scenarios of one deployment: those in the ``shared`` folder written for it (``written_for``),
    then the overlay's own, in its ``scenarios/`` folder (``overlay`` is the overlay's pack id). Every
    file that cannot be read is a problem, and so is an overlay's own scenario written for another."""
    found: list[tuple[Path, Scenario]] = []
    problems: list[PackProblem] = []
    seen: dict[str, Path] = {}
    folders = [(shared, False), (overlay_dir / "scenarios" if overlay_dir else None, True)]
    for folder, own in folders:
        for path in scenario_files(folder) if folder else []:
            try:
                scenario = load_scenario(path)
            except ScenarioError as exc:
                problems.append(exc.problem)
                continue
            if own and overlay and not scenario.written_for(overlay):
                problems.append(PackProblem(str(path), _line(path, "local"), f"local: '{scenario.local}', but "
                                            f"this folder holds the scenarios of the overlay '{overlay}': write "
                                            f"'local: {overlay}', or 'local: any' and move it to the shared "
                                            "scenarios"))
            elif own or scenario.written_for(overlay):
                if path.stem in seen:
                    problems.append(PackProblem(str(path), None, f"a scenario named '{path.stem}' is also in "
                                                f"{seen[path.stem].parent}: give one of them another file name"))
                    continue
                seen[path.stem] = path
                found.append((path, scenario))
    return found, problems


def overlay_id(book: Rulebook) -> str | None:
    """The id of the local overlay a rulebook was loaded with (None for the national pack alone)."""
    return next((p.id for p in reversed(book.packs) if p.kind == "local"), None)


def _line(path: Path, key: str) -> int | None:
    try:
        return line_of(read_yaml_file(path), (key,))
    except PackProblemError:
        return None


def walk_step_by_step(book: Rulebook, scenario: Scenario, today: dt.date) -> tuple[Outcome, list[str], list[str]]:
    """Answer one question at a time, as the questionnaire would. Returns outcome, asked ids, failures."""
    given = scenario.answer_values()
    answers: dict[str, Any] = {}
    asked: list[str] = []
    previous: set[str] = set()
    failures: list[str] = []
    for _ in range(MAX_STEPS):
        outcome = assess(book, answers, preset=scenario.preset or None, today=today)
        listed = {r.id for r in outcome.referrals}
        withdrawn = previous - listed
        if withdrawn:
            failures.append(f"after answering {asked[-1]!r}, these actions were withdrawn: {sorted(withdrawn)}")
        previous = listed
        if outcome.complete:
            return outcome, asked, failures
        assert outcome.next_question is not None
        qid = outcome.next_question.id
        if qid in asked:
            failures.append(f"the walk asked {qid!r} twice")
            return outcome, asked, failures
        asked.append(qid)
        if qid not in given:
            failures.append(f"the walk asked {qid!r}, which the scenario does not answer")
            return outcome, asked, failures
        answers[qid] = given[qid]
    failures.append(f"the walk did not end within {MAX_STEPS} steps")
    return outcome, asked, failures


def unknown_ids(book: Rulebook, scenario: Scenario) -> list[str]:
    """Ids named in the expectations that the rules do not have: a typo must not pass silently."""
    exp = scenario.expect
    actions = {a.id for a in book.actions}
    questions = {q.id for q in (*book.questions, *book.optional_questions)}
    dets = {d.id for d in book.determinations}
    elements = {e.id for e in book.elements}
    assumptions = {a.id for a in book.assumptions} | {f"{q}_preset" for q in questions}
    named = [
        *(("action", a, actions) for a in [*exp.referrals, *exp.not_referrals, *exp.any_referrals, *exp.urgency,
                                           *exp.order]),
        *(("question", q, questions) for q in [*exp.asked, *exp.not_asked, *(exp.ignored_answers or []),
                                               *scenario.answers]),
        *(("determination", d, dets) for d in exp.determinations),
        *(("element", e, elements) for e in exp.elements),
        *(("assumption", a, assumptions) for a in [*exp.assumptions, *exp.not_assumptions]),
        *(("need", n, set(book.needs)) for n in exp.needs or []),
    ]
    return [f"the scenario names {kind} {ident!r}, which the rules do not have" for kind, ident, known in named
            if ident not in known]


def check(scenario: Scenario, outcome: Outcome, asked: list[str]) -> list[str]:
    """Compare an outcome with the scenario's expectations; one message per mismatch."""
    exp = scenario.expect
    listed = [r.id for r in outcome.referrals]
    return [
        *_check_findings(exp, outcome),
        *_check_listed(exp, listed),
        *_check_assumptions_absent(exp, outcome),
        *_check_urgency(exp, outcome),
        *_check_order(exp, listed),
        *_check_asked(exp, asked),
        *_check_ignored_and_needs(exp, outcome),
    ]


def _check_findings(exp: Expectations, outcome: Outcome) -> list[str]:
    """Whether the walk is complete, and the determinations and elements it reached."""
    failures: list[str] = []
    if outcome.complete != exp.complete:
        failures.append(f"complete: expected {exp.complete}, got {outcome.complete}")
    dets = outcome.determinations.model_dump()
    for key, want in exp.determinations.items():
        if key not in dets:
            failures.append(f"determinations: {key!r} is not a determination")
        elif dets[key] != want:
            failures.append(f"determination {key}: expected {want!r}, got {dets[key]!r}")
    elements = outcome.elements.model_dump()
    for key, want in exp.elements.items():
        if elements.get(key) != want:
            failures.append(f"element {key}: expected {want!r}, got {elements.get(key)!r}")
    return failures


def _check_listed(exp: Expectations, listed: list[str]) -> list[str]:
    """The actions that must, must not, or at least one of which must be listed."""
    failures: list[str] = []
    for aid in exp.referrals:
        if aid not in listed:
            failures.append(f"expected referral {aid!r}, not listed (listed: {', '.join(listed) or 'none'})")
    for aid in exp.not_referrals:
        if aid in listed:
            failures.append(f"referral {aid!r} is listed but must not be")
    if exp.any_referrals and not set(exp.any_referrals) & set(listed):
        failures.append(f"expected one of the referrals {', '.join(map(repr, exp.any_referrals))}, none listed "
                        f"(listed: {', '.join(listed) or 'none'})")
    return failures


def _check_assumptions_absent(exp: Expectations, outcome: Outcome) -> list[str]:
    """Assumptions that must not apply (those that must are checked against the outcome posted at once)."""
    return [f"assumption {aid!r} applies but must not" for aid in exp.not_assumptions
            if aid in outcome.assumption_ids]


def _check_urgency(exp: Expectations, outcome: Outcome) -> list[str]:
    """Each named action's urgency level."""
    urgencies = {r.id: r.urgency for r in outcome.referrals}
    failures: list[str] = []
    for aid, level in exp.urgency.items():
        if aid not in urgencies:
            failures.append(f"urgency of {aid!r}: expected {level}, but it is not listed")
        elif urgencies[aid] != level:
            failures.append(f"urgency of {aid!r}: expected {level}, got {urgencies[aid]}")
    return failures


def _check_order(exp: Expectations, listed: list[str]) -> list[str]:
    """The relative order of the named actions, all of which must be listed."""
    positions = [listed.index(a) for a in exp.order if a in listed]
    if len(positions) == len(exp.order) and positions != sorted(positions):
        return [f"order: expected {exp.order} in that order, got {listed}"]
    if len(positions) != len(exp.order):
        return [f"order: not all of {exp.order} are listed (listed: {listed})"]
    return []


def _check_asked(exp: Expectations, asked: list[str]) -> list[str]:
    """The questions the step-by-step walk must and must not ask."""
    return [
        *(f"expected the walk to ask {qid!r}, but it did not" for qid in exp.asked if qid not in asked),
        *(f"the walk asked {qid!r}, which it must not ask here" for qid in exp.not_asked if qid in asked),
    ]


def _check_ignored_and_needs(exp: Expectations, outcome: Outcome) -> list[str]:
    """The answers left unused on the path, and the needs listed (each only when the scenario names them)."""
    failures: list[str] = []
    if exp.ignored_answers is not None and sorted(outcome.ignored_answers) != sorted(exp.ignored_answers):
        failures.append(f"ignored answers: expected {sorted(exp.ignored_answers)}, "
                        f"got {sorted(outcome.ignored_answers)}")
    if exp.needs is not None:
        got = [n.id for n in (*outcome.needs.immediate, *outcome.needs.longer_term)]
        if sorted(got) != sorted(exp.needs):
            failures.append(f"needs: expected {sorted(exp.needs)}, got {sorted(got)}")
    return failures


def run_scenario(path: Path, books: Callable[[str], Rulebook], today: dt.date | None = None) -> ScenarioResult:
    """Run one scenario file step by step and all at once; both must meet the expectations and agree."""
    day = today or dt.date.today()
    scenario = load_scenario(path)
    result = ScenarioResult(scenario, path)
    try:
        book = books(scenario.local)
        result.failures.extend(unknown_ids(book, scenario))
        stepwise, asked, failures = walk_step_by_step(book, scenario, day)
        result.failures.extend(failures)
        at_once = assess(book, scenario.answer_values(), preset=scenario.preset or None, today=day)
    except EngineError as exc:
        result.failures.append(f"the engine refused the scenario: {exc}")
        return result
    result.outcome, result.asked = at_once, asked
    if not failures and stepwise.model_dump(exclude={"ignored_answers"}) != at_once.model_dump(
        exclude={"ignored_answers"}
    ):
        result.failures.append("answering one question at a time and posting all answers at once end differently")
    result.failures.extend(check(scenario, at_once, asked))
    for aid in scenario.expect.assumptions:
        if aid not in at_once.assumption_ids:
            applied = at_once.assumption_ids or "none"
            result.failures.append(f"expected assumption {aid!r} to apply (applied: {applied})")
    return result

"""The walk: answers in, outcome out. A pure function of the rulebook, the answers and the date.

Every question is visited in the pack's order. A question is *asked* when its ``ask_when``
holds, *skipped* when it cannot hold (its answer could change nothing), and *pending* when
it is asked but not yet answered: the first pending question is ``next_question``. Facts are
held as sets of possible values, so a pending question stands for every answer it could
get, and an action is listed early only when its condition holds for all of them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from .answers import Value, validate_answers
from .conditions import (
    BITS_TO_DETERMINATION,
    FALSE,
    NO,
    SKIPPED,
    TRUE,
    UNKNOWN,
    YES,
)
from .explain import Explainer
from .outcome import (
    Determinations,
    Elements,
    GuidanceOut,
    NeedOut,
    NeedsOut,
    Outcome,
    ReferralOut,
)
from .rulebook import Action, Determination, Question, Rulebook


class _HasId(Protocol):
    @property
    def id(self) -> str: ...


T = TypeVar("T", bound=_HasId)
URGENCY_LABELS = {1: "Act now", 2: "Today", 3: "Within days", 4: "Routine"}
SKIPPED_SET: frozenset[Any] = frozenset({SKIPPED})
_MISSING: Any = object()


class Evaluation:
    """The possible values of every fact for one set of answers (the ``Facts`` protocol)."""

    def __init__(self, book: Rulebook, poss: dict[str, frozenset[Any]]) -> None:
        self.book = book
        self.poss = poss
        self._dets: Mapping[str, Determination] = _determinations(book)
        self._actions: Mapping[str, Action] = _actions(book)
        self._listed: dict[str, int] = {}

    def values(self, fact: str) -> frozenset[Any]:
        try:
            return self.poss[fact]
        except KeyError:
            found = self._determine(self._dets[fact])
            self.poss[fact] = found
            return found

    def listed(self, action: str) -> int:
        bits = self._listed.get(action)
        if bits is None:
            bits = self._actions[action].due.bits(self)
            self._listed[action] = bits
        return bits

    def single(self, fact: str) -> Any:
        """The fact's value if it is settled, else None."""
        values = self.values(fact)
        if len(values) == 1:
            (value,) = values
            return None if value is SKIPPED else value
        return None

    def _determine(self, det: Determination) -> frozenset[Any]:
        result: set[Any] = set()
        for case in det.cases:
            holds = TRUE if case.when is None else case.when.bits(self)
            if holds & TRUE:
                if case.logic is not None:
                    truth = case.logic.truth(self)
                    result.update(BITS_TO_DETERMINATION[b] for b in (YES, UNKNOWN, NO) if truth & b)
                elif case.condition is not None:
                    bits = case.condition.bits(self)
                    if bits & TRUE:
                        result.add(True)
                    if bits & FALSE:
                        result.add(False)
                else:
                    result.add(case.value)
            if not holds & FALSE:
                break
        return frozenset(result)

    def urgency(self, action: Action) -> tuple[int, bool]:
        """The most urgent level the action can still take, and whether it could still change."""
        levels: set[int] = set()
        for rule in action.urgency:
            holds = TRUE if rule.when is None else rule.when.bits(self)
            if holds & TRUE:
                levels.add(rule.level)
            if holds == TRUE:
                break
        return min(levels), len(levels) > 1


def _determinations(book: Rulebook) -> Mapping[str, Determination]:
    return _index(book, "_walk_dets", book.determinations)


def _actions(book: Rulebook) -> Mapping[str, Action]:
    return _index(book, "_walk_actions", book.actions)


def _index(book: Rulebook, name: str, items: Iterable[T]) -> Mapping[str, T]:
    """Items by id, built once per rulebook (which is immutable) and kept on it."""
    cached = book.__dict__.get(name)
    if cached is None:
        cached = {item.id: item for item in items}
        object.__setattr__(book, name, cached)
    return cached


def assess(
    book: Rulebook,
    answers: Mapping[str, Any],
    *,
    preset: Mapping[str, str] | None = None,
    today: dt.date | None = None,
    in_order: bool = True,
) -> Outcome:
    """Walk the rules for these answers. Raises AnswerError for unknown ids or values.

    ``in_order=False`` judges every answer at once, whatever is missing before it (see ``walk_state``).
    """
    clean = validate_answers(book, answers)
    preset_clean = validate_answers(book, preset) if preset else {}
    state = walk_state(book, clean, preset_clean, in_order=in_order)
    return build_outcome(state, today or dt.date.today())


@dataclass(frozen=True)
class Route:
    """Where a walk stands, which is all the questionnaire needs to choose the next page.

    The same facts as the outcome's ``answered`` ids, ``optional_questions`` (id, after) and
    ``next_question`` id, found by the walk alone: ``route`` skips building the outcome (its
    reasons, explanations and models), which costs about ten times as much.
    """

    answered: tuple[str, ...]
    optional: tuple[tuple[str, str | None], ...]
    next_question: str | None

    @property
    def complete(self) -> bool:
        return self.next_question is None

    @classmethod
    def of(cls, outcome: Outcome) -> Route:
        """The route of an outcome already built."""
        return cls(
            answered=tuple(a.id for a in outcome.answered),
            optional=tuple((q.id, q.after) for q in outcome.optional_questions),
            next_question=outcome.next_question.id if outcome.next_question else None,
        )


def route(book: Rulebook, answers: Mapping[str, Any], *, preset: Mapping[str, str] | None = None) -> Route:
    """``Route.of(assess(book, answers, preset=preset))``, without building the outcome. Raises AnswerError."""
    clean = validate_answers(book, answers)
    preset_clean = validate_answers(book, preset) if preset else {}
    state = walk_state(book, clean, preset_clean)
    return Route(
        answered=tuple(q.id for q, _, _ in state.used),
        optional=tuple((q.id, q.after) for q in state.optional_now),
        next_question=state.next_question.id if state.next_question else None,
    )


class WalkState:
    """What the walk found: the evaluation, the question asked next, and how each answer was used."""

    def __init__(self, evaluation: Evaluation) -> None:
        self.evaluation = evaluation
        self.next_question: Question | None = None
        self.used: list[tuple[Question, Value, bool]] = []  # question, answer, from the deployment's preset
        self.ignored: list[str] = []
        self.optional_now: list[Question] = []

    @property
    def complete(self) -> bool:
        return self.next_question is None

    def listed_actions(self) -> list[Action]:
        ev = self.evaluation
        return [a for a in ev.book.actions if ev.listed(a.id) == TRUE]


def walk_state(book: Rulebook, answers: Mapping[str, Value], preset: Mapping[str, Value], *,
               in_order: bool = True) -> WalkState:
    """Walk the questions in order.

    With ``in_order`` (the contract's rule), an answer to a question after the first unanswered
    one waits: it is neither used nor listed as ignored until the questions before it are
    answered. Without it (the quick check, which asks only some questions), every answer given
    is judged at once.
    """
    poss: dict[str, frozenset[Any]] = {fid: frozenset({flag.value}) for fid, flag in book.flags.items()}
    ev = Evaluation(book, poss)
    state = WalkState(ev)
    for q in book.questions:
        ask = TRUE if q.ask_when is None else q.ask_when.bits(ev)
        value = answers.get(q.id, _MISSING)
        from_preset = False
        if value is _MISSING and q.id in preset:
            value, from_preset = preset[q.id], True
        waiting = in_order and state.next_question is not None
        if waiting and not from_preset:
            value = _MISSING
        if ask == FALSE:
            poss[q.id] = SKIPPED_SET
            if q.id in answers and not waiting:
                state.ignored.append(q.id)
        elif value is not _MISSING:
            if ask == TRUE:
                poss[q.id] = frozenset({value})
                state.used.append((q, value, from_preset))
            else:
                poss[q.id] = frozenset({value, SKIPPED})
        else:
            if ask == TRUE and state.next_question is None:
                state.next_question = q
            poss[q.id] = q.pending if ask == TRUE else q.pending_or_skipped
    for q in book.optional_questions:
        ask = TRUE if q.ask_when is None else q.ask_when.bits(ev)
        if q.id in answers:
            if ask == FALSE:
                state.ignored.append(q.id)
            elif ask == TRUE:
                state.used.append((q, answers[q.id], False))
        elif ask == TRUE:
            state.optional_now.append(q)
    return state


def determinations_of(state: WalkState) -> Determinations:
    ev = state.evaluation
    return Determinations(**{d.id: ev.single(d.id) for d in ev.book.determinations})


def elements_of(state: WalkState, explainer: Explainer) -> Elements:
    return Elements(**{e.id: explainer.element(e)[0] for e in state.evaluation.book.elements})


def referrals_of(state: WalkState, explainer: Explainer) -> list[ReferralOut]:
    ev = state.evaluation
    out: list[tuple[int, int, ReferralOut]] = []
    for action in state.listed_actions():
        level, provisional = ev.urgency(action)
        contacts = [explainer.contact(c) for c in action.contacts]
        words = explainer.wording(action)
        out.append((level, action.index, ReferralOut(
            id=action.id,
            title=words.title,
            short_title=words.short_title,
            summary=words.summary,
            urgency=level,
            urgency_label=URGENCY_LABELS[level],
            provisional=provisional,
            reasons=explainer.reasons(action),
            who_acts=words.who_acts,
            contact=contacts[0] if contacts else None,
            contacts=contacts,
            source=action.source,
        )))
    out.sort(key=lambda item: (item[0], item[1]))
    return [item[2] for item in out]


def needs_of(state: WalkState, explainer: Explainer) -> NeedsOut:
    ev = state.evaluation
    book = ev.book
    as_child = ev.single("treated_as_child") is True if "treated_as_child" in book.facts else False
    groups: dict[str, list[NeedOut]] = {"immediate": [], "longer_term": []}
    chosen_by_question = {q.id: value for q, value, _ in state.used if q.type == "multi_choice"}
    for need in book.needs.values():
        chosen = chosen_by_question.get(need.question)
        if chosen is None or need.id not in chosen:
            continue
        service = book.child_route if as_child else need.service
        groups[need.group].append(NeedOut(
            id=need.id, label=need.label, service=explainer.service(service), caution=need.caution,
        ))
    return NeedsOut(**groups)


def build_outcome(state: WalkState, today: dt.date) -> Outcome:
    book = state.evaluation.book
    explainer = Explainer(book, state.evaluation, today)
    referrals = referrals_of(state, explainer)
    needs = needs_of(state, explainer)
    preset_used = [(q, value) for q, value, from_preset in state.used if from_preset]
    assumptions = explainer.assumptions(preset_used)
    return Outcome(
        complete=state.complete,
        next_question=explainer.question(state.next_question) if state.next_question else None,
        determinations=determinations_of(state),
        elements=elements_of(state, explainer),
        assumptions=[text for _, text in assumptions],
        assumption_ids=[aid for aid, _ in assumptions],
        referrals=referrals,
        needs=needs,
        ignored_answers=state.ignored,
        optional_questions=[explainer.question(q) for q in state.optional_now],
        answered=[explainer.answered(q, value, from_preset) for q, value, from_preset in state.used],
        explanations=explainer.explanations(),
        statements=explainer.statements(),
        skipped_questions=[q.id for q in book.questions if state.evaluation.poss.get(q.id) == SKIPPED_SET],
        guidance=[GuidanceOut(id=g.id, text=g.text, source=g.source) for g in book.guidance],
        warnings=explainer.warnings(referrals, needs),
        packs=explainer.packs(),
        rules_version=book.version,
        assessed_on=today,
    )

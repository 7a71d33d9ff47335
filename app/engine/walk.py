"""The walk: which questions are asked, which answers are used, and what is asked next.

Every question is visited in the pack's order. A question is *asked* when its ``ask_when``
holds, *skipped* when it cannot hold (its answer could change nothing), and *pending* when
it is asked but not yet answered: the first pending question is ``next_question``. Facts are
held as sets of possible values (``evaluation.Evaluation``), so a pending question stands for
every answer it could get, and an action is listed early only when its condition holds for all
of them. The outcome is built from the walk's state by ``assessment.build_outcome``.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .answers import Value, validate_answers
from .conditions import FALSE, SKIPPED, TRUE
from .evaluation import SKIPPED_SET, Evaluation
from .rulebook import Action, Question, Rulebook

if TYPE_CHECKING:
    from .outcome import Outcome

_MISSING: Any = object()


@functools.lru_cache(maxsize=8192)
def _only(value: Value) -> frozenset[Any]:
    """``frozenset({value})``, the same object each time: the memos of ``outcome_parts`` are keyed on
    possible values, and a key whose parts are the very same objects compares equal at once."""
    return frozenset({value})


@functools.lru_cache(maxsize=8192)
def _or_skipped(value: Value) -> frozenset[Any]:
    """``frozenset({value, SKIPPED})``, the same object each time."""
    return frozenset({value, SKIPPED})


@dataclass(frozen=True)
class Route:
    """Where a walk stands, which is all the questionnaire needs to choose the next page.

    The same facts as the outcome's ``answered`` ids, ``optional_questions`` (id, after) and
    ``next_question`` id, found by the walk alone: ``route`` skips building the outcome (its
    reasons, explanations and models).
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
        self.skipped: list[str] = []  # the questions not asked: no answer to them could change anything
        self.optional_now: list[Question] = []

    @property
    def complete(self) -> bool:
        return self.next_question is None

    def listed_actions(self) -> list[Action]:
        """The actions listed on these answers, in the pack's order."""
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
    possible: dict[str, frozenset[Any]] = {fid: frozenset({flag.value}) for fid, flag in book.flags.items()}
    ev = Evaluation(book, possible)
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
            possible[q.id] = SKIPPED_SET
            state.skipped.append(q.id)
            if q.id in answers and not waiting:
                state.ignored.append(q.id)
        elif value is not _MISSING:
            if ask == TRUE:
                possible[q.id] = _only(value)
                state.used.append((q, value, from_preset))
            else:
                possible[q.id] = _or_skipped(value)
        else:
            if ask == TRUE and state.next_question is None:
                state.next_question = q
            possible[q.id] = q.pending if ask == TRUE else q.pending_or_skipped
    _walk_optional(book, answers, state)
    return state


def _walk_optional(book: Rulebook, answers: Mapping[str, Value], state: WalkState) -> None:
    """Optional questions: an answer is used when its question is asked; one not answered is offered."""
    for q in book.optional_questions:
        ask = TRUE if q.ask_when is None else q.ask_when.bits(state.evaluation)
        if q.id in answers:
            if ask == FALSE:
                state.ignored.append(q.id)
            elif ask == TRUE:
                state.used.append((q, answers[q.id], False))
        elif ask == TRUE:
            state.optional_now.append(q)

"""The outcome of a walk: ``assess`` walks the answers and builds the ``Outcome`` from the walk's state.

``build_outcome`` lays the outcome out; its parts (referrals, explanations, statements, the test
card, answered questions) come from ``outcome_parts``, which builds each with ``explain.Explainer``
and keeps it under the values of the facts it reads. Models are built without validating again
(``model_construct``): the engine's values already have the contract's types.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from .answers import validate_answers
from .explain import Explainer, preset_assumption
from .outcome import NeedsOut, Outcome, ReferralOut
from .outcome_parts import OutcomeParts, parts_of
from .rulebook import Rulebook
from .walk import WalkState, walk_state


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


def referrals_of(state: WalkState, explainer: Explainer, parts: OutcomeParts | None = None) -> list[ReferralOut]:
    """The listed actions as referrals, most urgent first (the pack's order within a level)."""
    parts = parts or parts_of(explainer.book)
    found = [(parts.referral(explainer, action), action.index) for action in parts.listed_actions(state.evaluation)]
    found.sort(key=lambda item: (item[0].urgency, item[1]))
    return [referral for referral, _ in found]


def treated_as_child(state: WalkState, determinations: Mapping[str, Any]) -> bool:
    """Whether the person is treated as a child (so each need is met by the child route), given the settled
    value of each determination."""
    if "treated_as_child" in determinations:
        return determinations["treated_as_child"] is True
    return "treated_as_child" in state.evaluation.book.facts and state.evaluation.single("treated_as_child") is True


def needs_of(state: WalkState, explainer: Explainer, parts: OutcomeParts | None = None) -> NeedsOut:
    """The needs the user chose, grouped, each with the service that meets it (the child route for a child)."""
    parts = parts or parts_of(explainer.book)
    return parts.needs(explainer, state.used, treated_as_child(state, parts.determinations(state.evaluation)[0]))


def build_outcome(state: WalkState, today: dt.date) -> Outcome:
    """The outcome of a walk, as of ``today`` (which decides what is stale)."""
    ev = state.evaluation
    book = ev.book
    parts = parts_of(book)
    x = Explainer(book, ev, today)
    referrals = referrals_of(state, x, parts)
    determinations, determinations_out = parts.determinations(ev)
    as_child = treated_as_child(state, determinations)
    needs = parts.needs(x, state.used, as_child)
    assumptions = parts.assumptions(x)
    assumptions += [preset_assumption(q, value) for q, value, from_preset in state.used if from_preset]
    return Outcome.model_construct(
        complete=state.complete,
        next_question=parts.questions[state.next_question.id] if state.next_question else None,
        determinations=determinations_out,
        elements=parts.elements(x),
        assumptions=[text for _, text in assumptions],
        assumption_ids=[aid for aid, _ in assumptions],
        referrals=referrals,
        needs=needs,
        ignored_answers=list(state.ignored),
        optional_questions=[parts.questions[q.id] for q in state.optional_now],
        answered=parts.answered(x, state.used),
        explanations=parts.explanations(x),
        statements=parts.statements(x),
        skipped_questions=list(state.skipped),
        guidance=list(parts.guidance),
        warnings=parts.warnings(x, referrals, needs, as_child),
        packs=parts.packs(x),
        rules_version=parts.rules_version,
        assessed_on=today,
    )

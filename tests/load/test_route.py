"""The questionnaire's fast path: ``walk.route`` must agree with the outcome everywhere.

Each questionnaire step chooses the next page from ``route`` (the walk alone) rather than from
the whole outcome, which costs about ten times as much (see docs/performance.md). These tests
hold the two together: at every step of every scenario, with the preset organisation, and for
random sets of answers.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.engine.assessment import assess
from app.engine.errors import AnswerError
from app.engine.rulebook import Question, Rulebook
from app.engine.scenarios import load_scenario
from app.engine.walk import Route, route
from tests.conftest import SCENARIO_PATHS, deployment_of, load_pack


@pytest.mark.parametrize("path", SCENARIO_PATHS, ids=lambda p: p.stem)
def test_route_agrees_with_the_outcome_at_every_step(path: Any) -> None:
    scenario = load_scenario(path)
    book = load_pack(deployment_of(scenario.local))
    preset = scenario.preset or None
    given_answers = scenario.answer_values()
    answers: dict[str, Any] = {}
    for qid in [*given_answers, None]:  # in the scenario's order, one more answer each time
        assert route(book, answers, preset=preset) == Route.of(assess(book, answers, preset=preset))
        if qid is not None:
            answers[qid] = given_answers[qid]


def test_route_refuses_what_assess_refuses(lewisham_book: Rulebook) -> None:
    for bad in ({"nonsense": "yes"}, {"age_group": "martian"}, {"exploitation_types": "labour"}):
        with pytest.raises(AnswerError):
            route(lewisham_book, bad)
        with pytest.raises(AnswerError):
            assess(lewisham_book, bad)


def _multi(q: Question) -> st.SearchStrategy[list[str]]:
    """Any valid multi-choice answer: options that combine, or one exclusive option on its own."""
    combine = [o.value for o in q.options if not o.exclusive]
    alone = [[o.value] for o in q.options if o.exclusive]
    lists = st.lists(st.sampled_from(combine), unique=True)
    return st.one_of(lists, st.sampled_from(alone)) if alone else lists


def _answers(book: Rulebook) -> st.SearchStrategy[dict[str, Any]]:
    questions = (*book.questions, *book.optional_questions)
    value = {q.id: (_multi(q) if q.type == "multi_choice" else st.sampled_from(q.values)) for q in questions}
    return st.fixed_dictionaries({}, optional=value)


BOOK = load_pack("lewisham")


@settings(max_examples=300, deadline=None)
@given(_answers(BOOK), st.sampled_from([None, {"organisation": "police"}, {"organisation": "health"}]))
def test_route_agrees_with_the_outcome_for_any_answers(answers: dict[str, Any], preset: Any) -> None:
    assert route(BOOK, answers, preset=preset) == Route.of(assess(BOOK, answers, preset=preset))

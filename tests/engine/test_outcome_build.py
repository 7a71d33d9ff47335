"""The fast outcome build is the outcome: byte for byte the JSON of validated models built from scratch.

``assessment.build_outcome`` builds models without validating them and shares the parts it has
memoised (``outcome_parts``) between outcomes. Over many answer sets, complete and partial, with and
without a preset, on two dates (one that makes contacts and packs stale), its JSON must equal both a
validated round trip of itself and an outcome built from scratch by ``Explainer`` with every model
validated, as the engine built it before the memos.
"""

from __future__ import annotations

import datetime as dt
import gc
import itertools
import random
import weakref
from collections.abc import Iterator, Mapping

import pytest

from app.engine.answers import validate_answers
from app.engine.assessment import assess, build_outcome
from app.engine.conditions import SKIPPED
from app.engine.explain import Explainer
from app.engine.outcome import (
    Determinations,
    Elements,
    GuidanceOut,
    NeedOut,
    NeedsOut,
    Outcome,
    ReferralOut,
)
from app.engine.rulebook import Rulebook
from app.engine.walk import WalkState, walk_state
from benchmarks.answer_sets import Answers, default_book, generate

TODAY = dt.date(2026, 6, 1)
LATER = dt.date(2031, 6, 1)  # every contact and pack is over 12 months old by then


@pytest.fixture(scope="module")
def book() -> Rulebook:
    return default_book()


@pytest.fixture(scope="module")
def answer_sets(book: Rulebook) -> list[Answers]:
    return generate(book, 150, seed=5)


def from_scratch(state: WalkState, today: dt.date) -> Outcome:
    """The outcome built as before the memos: every part worked out by ``Explainer``, every model validated."""
    ev = state.evaluation
    book = ev.book
    x = Explainer(book, ev, today)
    listed = sorted(state.listed_actions(), key=lambda a: (ev.urgency(a)[0], a.index))
    referrals = [ReferralOut.model_validate(x.referral(a).model_dump()) for a in listed]
    as_child = "treated_as_child" in book.facts and ev.single("treated_as_child") is True
    chosen = {q.id: value for q, value, _ in state.used if q.type == "multi_choice"}
    needs: dict[str, list[NeedOut]] = {"immediate": [], "longer_term": []}
    for need in book.needs.values():
        if need.id in chosen.get(need.question, ()):
            service = x.service(book.child_route if as_child else need.service)
            needs[need.group].append(NeedOut(id=need.id, label=need.label, service=service.model_dump(),
                                             caution=need.caution))
    needs_out = NeedsOut(**needs)
    assumptions = x.assumptions([(q, value) for q, value, preset in state.used if preset])
    return Outcome(
        complete=state.complete,
        next_question=x.question(state.next_question).model_dump() if state.next_question else None,
        determinations=Determinations(**{d.id: ev.single(d.id) for d in book.determinations}),
        elements=Elements(**{e.id: x.element(e)[0] for e in book.elements}),
        assumptions=[text for _, text in assumptions],
        assumption_ids=[aid for aid, _ in assumptions],
        referrals=referrals,
        needs=needs_out,
        ignored_answers=state.ignored,
        optional_questions=[x.question(q).model_dump() for q in state.optional_now],
        answered=[x.answered(q, value, preset).model_dump() for q, value, preset in state.used],
        explanations=[e.model_dump() for e in x.explanations()],
        statements=[s.model_dump() for s in x.statements()],
        skipped_questions=[q.id for q in book.questions if ev.values(q.id) == frozenset({SKIPPED})],
        guidance=[GuidanceOut(id=g.id, text=g.text, source=g.source) for g in book.guidance],
        warnings=x.warnings(referrals, needs_out),
        packs=[p.model_dump() for p in x.packs()],
        rules_version=book.version,
        assessed_on=today,
    )


def cases(book: Rulebook, sets: list[Answers]) -> Iterator[tuple[Answers, Mapping[str, str]]]:
    """Each complete set, a few of its partial prefixes, and some with the deployment's preset."""
    rng = random.Random(3)
    preset_question = next((q for q in book.questions if q.id == "organisation"), None)
    for answers in sets:
        yield answers, {}
        items = list(answers.items())
        for cut in sorted(rng.sample(range(len(items)), min(2, len(items)))):
            yield dict(items[:cut]), {}
        if preset_question is not None and rng.random() < 0.2:
            partial = {k: v for k, v in answers.items() if k != preset_question.id}
            yield partial, {preset_question.id: rng.choice(preset_question.values)}


@pytest.mark.parametrize("today", [TODAY, LATER], ids=["today", "stale"])
def test_the_fast_build_is_byte_identical_to_validated_models(book: Rulebook, answer_sets: list[Answers],
                                                              today: dt.date) -> None:
    """Over hundreds of answer sets, the outcome's JSON equals a validated round trip of it and an outcome
    built from scratch with validated models (so no memo leaks from one answer set into another)."""
    checked = 0
    for answers, preset in cases(book, answer_sets):
        outcome = assess(book, answers, preset=preset, today=today)
        fast = outcome.model_dump_json()
        assert fast == Outcome.model_validate(outcome.model_dump()).model_dump_json()
        state = walk_state(book, validate_answers(book, answers), validate_answers(book, preset))
        assert fast == from_scratch(state, today).model_dump_json(), (answers, preset)
        checked += 1
    assert checked >= 400


def test_a_state_built_twice_gives_equal_outcomes(book: Rulebook, answer_sets: list[Answers]) -> None:
    """Outcomes share memoised parts but never lists: building one outcome does not change another."""
    first = assess(book, answer_sets[0], today=TODAY)
    before = first.model_dump_json()
    for answers in itertools.islice(answer_sets, 1, 40):
        assess(book, answers, today=TODAY)
    again = build_outcome(walk_state(book, validate_answers(book, answer_sets[0]), {}), TODAY)
    assert first.model_dump_json() == before == again.model_dump_json()
    assert first.referrals is not again.referrals and first.answered is not again.answered


def test_the_memos_do_not_keep_a_rulebook_alive(answer_sets: list[Answers]) -> None:
    """The parts compiled for a rulebook go with it: a server that reloads its packs does not leak the old ones."""
    book = default_book()
    assess(book, answer_sets[0], today=TODAY)
    gone = weakref.ref(book)
    del book
    gc.collect()
    assert gone() is None

"""Conditions and three-valued logic: the Kleene truth tables, evaluation over sets of possible values,
SKIPPED and ANY_SUBSET, and conditions in plain words."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest

from app.engine.conditions import (
    ANY_SUBSET,
    ANY_TRUTH,
    BITS_TO_DETERMINATION,
    BOTH,
    FALSE,
    NO,
    SKIPPED,
    TRI_TO_BITS,
    TRUE,
    UNKNOWN,
    YES,
    AllOf,
    AnyOf,
    Condition,
    Includes,
    Listed,
    LogicAll,
    LogicAny,
    LogicConst,
    LogicNot,
    LogicRef,
    Not,
    kleene_and,
    kleene_or,
    to_text,
)
from app.engine.conditions import (
    Test as ValueTest,
)


@dataclass
class Facts:
    """A stand-in for the walk's evaluation: the possible values of each fact, and listed actions."""

    poss: Mapping[str, frozenset[Any]]
    listed_bits: Mapping[str, int] = field(default_factory=dict)

    def values(self, fact: str) -> frozenset[Any]:
        return self.poss[fact]

    def listed(self, action: str) -> int:
        return self.listed_bits[action]


def facts(**values: Any) -> Facts:
    return Facts({k: frozenset(v) if isinstance(v, (set, frozenset)) else frozenset({v}) for k, v in values.items()})


TRUTHS = (YES, UNKNOWN, NO)
TRUTH_SETS = [sum(combo) for n in (1, 2, 3) for combo in itertools.combinations(TRUTHS, n)]
COND_SETS = (TRUE, FALSE, BOTH)


def singles(bits: int) -> list[int]:
    return [b for b in TRUTHS if bits & b]


# --------------------------------------------------------------------------- Kleene truth tables

# The contract: AND is no if any part is no, yes if all are yes, else unknown; OR is yes if any part
# is yes, no if all are no, else unknown.
AND_TABLE = {
    (YES, YES): YES, (YES, UNKNOWN): UNKNOWN, (YES, NO): NO,
    (UNKNOWN, YES): UNKNOWN, (UNKNOWN, UNKNOWN): UNKNOWN, (UNKNOWN, NO): NO,
    (NO, YES): NO, (NO, UNKNOWN): NO, (NO, NO): NO,
}
OR_TABLE = {
    (YES, YES): YES, (YES, UNKNOWN): YES, (YES, NO): YES,
    (UNKNOWN, YES): YES, (UNKNOWN, UNKNOWN): UNKNOWN, (UNKNOWN, NO): UNKNOWN,
    (NO, YES): YES, (NO, UNKNOWN): UNKNOWN, (NO, NO): NO,
}
NOT_TABLE = {YES: NO, UNKNOWN: UNKNOWN, NO: YES}


@pytest.mark.parametrize(("a", "b"), list(AND_TABLE))
def test_kleene_and_truth_table(a: int, b: int) -> None:
    """AND of two single truth values follows the contract's table."""
    assert kleene_and(a, b) == AND_TABLE[a, b]


@pytest.mark.parametrize(("a", "b"), list(OR_TABLE))
def test_kleene_or_truth_table(a: int, b: int) -> None:
    """OR of two single truth values follows the contract's table."""
    assert kleene_or(a, b) == OR_TABLE[a, b]


@pytest.mark.parametrize("a", TRUTHS)
def test_kleene_not_truth_table(a: int) -> None:
    """NOT swaps yes and no and leaves unknown unknown."""
    assert LogicNot(LogicConst(a)).truth(facts()) == NOT_TABLE[a]


@pytest.mark.parametrize(("a", "b"), list(itertools.product(TRUTH_SETS, TRUTH_SETS)))
def test_kleene_and_or_over_sets_is_exact(a: int, b: int) -> None:
    """Over sets of possible truth values, AND and OR give exactly the results of every pair of
    possibilities: nothing is lost and nothing impossible is added."""
    assert kleene_and(a, b) == sum({AND_TABLE[x, y] for x in singles(a) for y in singles(b)})
    assert kleene_or(a, b) == sum({OR_TABLE[x, y] for x in singles(a) for y in singles(b)})


@pytest.mark.parametrize("a", TRUTH_SETS)
def test_kleene_not_over_sets_is_exact(a: int) -> None:
    """NOT over a set of possibilities negates each one."""
    assert LogicNot(LogicConst(a)).truth(facts()) == sum({NOT_TABLE[x] for x in singles(a)})


@pytest.mark.parametrize("combo", list(itertools.product(TRUTH_SETS, repeat=3)))
def test_logic_all_and_any_fold_kleene_over_every_item(combo: tuple[int, int, int]) -> None:
    """all/any over three independent items give exactly the truth values of every combination."""
    items = tuple(LogicConst(bits) for bits in combo)
    every = list(itertools.product(*(singles(bits) for bits in combo)))
    want_all = sum({AND_TABLE[AND_TABLE[x, y], z] for x, y, z in every})
    want_any = sum({OR_TABLE[OR_TABLE[x, y], z] for x, y, z in every})
    assert LogicAll(items).truth(facts()) == want_all
    assert LogicAny(items).truth(facts()) == want_any


def test_answers_map_to_truth_values() -> None:
    """'unsure' is unknown, and unknown is reported as 'possible'."""
    assert TRI_TO_BITS["yes"] == YES
    assert TRI_TO_BITS["unsure"] == UNKNOWN
    assert TRI_TO_BITS["no"] == NO
    assert TRI_TO_BITS[True] == YES and TRI_TO_BITS[False] == NO
    assert BITS_TO_DETERMINATION == {YES: "yes", UNKNOWN: "possible", NO: "no"}


def test_logic_reads_answers_and_unanswered_questions() -> None:
    """A fact answered 'unsure' is unknown; an unanswered fact (every value possible) could be any truth
    value; a skipped fact could be anything, so it can only matter where the rest decides alone."""
    assert LogicRef("purpose").truth(facts(purpose="unsure")) == UNKNOWN
    assert LogicRef("purpose").truth(facts(purpose={"yes", "no", "unsure"})) == ANY_TRUTH
    assert LogicRef("purpose").truth(facts(purpose={"yes", "no"})) == YES | NO
    assert LogicRef("means").truth(facts(means={SKIPPED})) == ANY_TRUTH
    # a child's trafficking never reads means; an adult's reads it only beside a decisive answer
    rule = LogicAll((LogicRef("purpose"), LogicAny((LogicRef("means"), LogicRef("eac")))))
    assert rule.truth(facts(purpose="no", means={SKIPPED}, eac={SKIPPED})) == NO
    assert rule.truth(facts(purpose="yes", means={SKIPPED}, eac="yes")) == YES
    assert rule.truth(facts(purpose="yes", means="unsure", eac="no")) == UNKNOWN


def test_unknown_constant_caps_a_conjunction_at_possible() -> None:
    """'unknown' in an all makes the best result 'possible' (as modern slavery's core rule needs)."""
    core = LogicAll((LogicRef("purpose"), LogicConst(UNKNOWN)))
    assert core.truth(facts(purpose="yes")) == UNKNOWN
    assert core.truth(facts(purpose="no")) == NO


def test_logic_all_stops_at_no_and_any_stops_at_yes() -> None:
    """A definite 'no' settles all, a definite 'yes' settles any, even if a later item could not be read."""

    class Boom(LogicConst):
        def truth(self, facts: Any) -> int:
            raise AssertionError("read after the result was settled")

    assert LogicAll((LogicConst(NO), Boom(YES))).truth(facts()) == NO
    assert LogicAny((LogicConst(YES), Boom(NO))).truth(facts()) == YES


# --------------------------------------------------------------------------- conditions over sets


def listed(*bits: int) -> tuple[tuple[Condition, ...], Facts]:
    """Conditions with given bit sets: Listed leaves over stand-in actions."""
    conds = tuple(Listed(f"a{i}") for i in range(len(bits)))
    return conds, Facts({}, {f"a{i}": b for i, b in enumerate(bits)})


@pytest.mark.parametrize("combo", [c for n in (1, 2, 3) for c in itertools.product(COND_SETS, repeat=n)])
def test_all_any_not_over_sets_are_exact(combo: tuple[int, ...]) -> None:
    """all can hold when every part can hold and can fail when any part can fail; any the other way
    round; not swaps holding and failing. Each equals the result over every combination of possibilities."""
    conds, fx = listed(*combo)
    every = list(itertools.product(*([v for v in (True, False) if b & (TRUE if v else FALSE)] for b in combo)))
    want_all = sum({TRUE if all(c) else FALSE for c in every})
    want_any = sum({TRUE if any(c) else FALSE for c in every})
    assert AllOf(conds).bits(fx) == want_all
    assert AnyOf(conds).bits(fx) == want_any
    assert Not(AllOf(conds)).bits(fx) == sum({FALSE if all(c) else TRUE for c in every})


def test_value_test_over_possible_values() -> None:
    """A test of values holds when every possible value is among them, fails when none is, and is
    undecided otherwise."""
    cond = ValueTest("purpose", frozenset({"yes", "unsure"}))
    assert cond.bits(facts(purpose="yes")) == TRUE
    assert cond.bits(facts(purpose="no")) == FALSE
    assert cond.bits(facts(purpose={"yes", "unsure"})) == TRUE
    assert cond.bits(facts(purpose={"yes", "no", "unsure"})) == BOTH


def test_a_skipped_question_matches_no_value_test() -> None:
    """SKIPPED matches no value test, so not(test) holds for it; a question that may or may not be
    skipped leaves the test undecided."""
    cond = ValueTest("consent_nrm", frozenset({"yes"}))
    assert cond.bits(facts(consent_nrm={SKIPPED})) == FALSE
    assert Not(cond).bits(facts(consent_nrm={SKIPPED})) == TRUE
    assert cond.bits(facts(consent_nrm={"yes", SKIPPED})) == BOTH
    assert cond.bits(facts(consent_nrm={"no", SKIPPED})) == FALSE


def test_determination_tests_read_booleans_and_three_valued_words() -> None:
    """Tests on determinations compare their values: true/false, or yes/possible/no."""
    assert ValueTest("treated_as_child", frozenset({True})).bits(facts(treated_as_child=True)) == TRUE
    assert ValueTest("treated_as_child", frozenset({True})).bits(facts(treated_as_child={True, False})) == BOTH
    slavery = ValueTest("modern_slavery", frozenset({"yes", "possible"}))
    assert slavery.bits(facts(modern_slavery="possible")) == TRUE
    assert slavery.bits(facts(modern_slavery="no")) == FALSE


def test_includes_over_chosen_sets() -> None:
    """includes holds when a chosen set shares an option with the test, fails on an empty choice
    ("none of these") or a skipped question, and is undecided while any subset is still possible."""
    cond = Includes("exploitation_types", frozenset({"sexual", "organ_removal"}))
    assert cond.bits(facts(exploitation_types=frozenset({frozenset({"sexual", "labour"})}))) == TRUE
    assert cond.bits(facts(exploitation_types=frozenset({frozenset({"labour"})}))) == FALSE
    assert cond.bits(facts(exploitation_types=frozenset({frozenset()}))) == FALSE
    assert cond.bits(facts(exploitation_types={SKIPPED})) == FALSE
    assert cond.bits(facts(exploitation_types={ANY_SUBSET})) == BOTH
    assert cond.bits(facts(exploitation_types={ANY_SUBSET, SKIPPED})) == BOTH
    assert cond.bits(facts(exploitation_types={frozenset({"organ_removal"}), SKIPPED})) == BOTH
    assert Not(cond).bits(facts(exploitation_types={SKIPPED})) == TRUE


def test_listed_reads_the_walk() -> None:
    """listed: reads whether another action is due, as the walk reports it."""
    fx = Facts({}, {"nrm_referral": TRUE, "duty_to_notify": BOTH})
    assert Listed("nrm_referral").bits(fx) == TRUE
    assert AnyOf((Listed("nrm_referral"), Listed("duty_to_notify"))).bits(fx) == TRUE
    assert AllOf((Listed("nrm_referral"), Listed("duty_to_notify"))).bits(fx) == BOTH


def test_nested_condition_with_skipped_and_pending_facts() -> None:
    """A contract-shaped rule (nrm_referral: modern slavery, and a child or an adult who consents and
    whose capacity is not in doubt) over a mix of settled, pending and skipped facts."""
    rule = AllOf((
        ValueTest("modern_slavery", frozenset({"yes", "possible"})),
        AnyOf((
            ValueTest("treated_as_child", frozenset({True})),
            AllOf((
                ValueTest("consent_nrm", frozenset({"yes"})),
                Not(ValueTest("capacity_concern", frozenset({"yes"}))),
            )),
        )),
    ))
    child = facts(modern_slavery="possible", treated_as_child=True, consent_nrm={SKIPPED}, capacity_concern={SKIPPED})
    assert rule.bits(child) == TRUE
    adult_pending = facts(modern_slavery="yes", treated_as_child=False, consent_nrm={"yes", "no", "not_asked"},
                          capacity_concern="no")
    assert rule.bits(adult_pending) == BOTH
    no_capacity = facts(modern_slavery="yes", treated_as_child=False, consent_nrm={SKIPPED}, capacity_concern="yes")
    assert rule.bits(no_capacity) == FALSE
    assert set(rule.refs()) == {"modern_slavery", "treated_as_child", "consent_nrm", "capacity_concern"}


# --------------------------------------------------------------------------- in plain words


def test_to_text_reads_conditions_in_plain_words() -> None:
    """Conditions read as plain words, with brackets only around nested groups."""
    rule = AllOf((
        ValueTest("treated_as_child", frozenset({False})),
        AnyOf((ValueTest("purpose", frozenset({"yes", "unsure"})), Listed("nrm_referral"))),
        Not(Includes("exploitation_types", frozenset({"sexual", "labour"}))),
    ))
    assert to_text(rule) == (
        "treated_as_child is false and (purpose is unsure or yes or nrm_referral is listed) "
        "and not exploitation_types includes labour or sexual"
    )
    assert to_text(None) == "always"
    assert to_text(ValueTest("organisation", frozenset({"police"}))) == "organisation is police"


def test_to_text_reads_logic_in_plain_words() -> None:
    """Logic expressions read the same way, with 'unknown' for the unknown constant."""
    logic = LogicAny((
        LogicRef("trafficking"),
        LogicAll((LogicRef("purpose"), LogicNot(LogicRef("means")), LogicConst(UNKNOWN))),
    ))
    assert to_text(logic) == "trafficking or (purpose and not means and unknown)"
    assert set(logic.refs()) == {"trafficking", "purpose", "means"}


def test_to_text_rejects_what_is_not_a_condition() -> None:
    """Anything that is not a condition or logic node is a programming error."""
    with pytest.raises(TypeError):
        to_text("purpose")  # type: ignore[arg-type]

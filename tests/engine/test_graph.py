"""The rule graph: what each rule reads, who reads each fact, the evaluation order, the questions a fact
depends on (with and without ``listed:``), cycles, and the one leaf walker. On the national pack and on a
tiny pack built here."""

from __future__ import annotations

from app.engine.conditions import (
    UNKNOWN,
    AllOf,
    AnyOf,
    Condition,
    Listed,
    LogicAll,
    LogicConst,
    LogicNot,
    LogicRef,
    Not,
)
from app.engine.conditions import Test as ValueTest
from app.engine.graph import RuleGraph, cycles, leaves
from app.engine.rulebook import Action, Case, Determination, Flag, Question, Reason, Rulebook, UrgencyRule


def _is(fact: str, *values: object) -> ValueTest:
    return ValueTest(fact, frozenset(values))


def _question(qid: str, ask_when: Condition | None = None) -> Question:
    return Question(qid, "s", qid, qid, "tri_state", (), None, "", (), ask_when, False, None, None, "src")


def _determination(did: str, *cases: Case) -> Determination:
    return Determination(did, did, "three_valued", ("yes", "possible", "no"), {}, cases, "", "src")


def _action(aid: str, due: Condition, *, urgency: Condition | None = None,
            reason: Condition | None = None) -> Action:
    return Action(aid, aid, "", "", due, (UrgencyRule(1, urgency), UrgencyRule(3, None)),
                  (Reason(reason, "why"),), (), "src", 0)


def _tiny() -> RuleGraph:
    """Two questions, a flag, two determinations (one reading the other), three actions (one listed by
    another, declared before it)."""
    questions = [
        _question("purpose"),
        _question("means", _is("purpose", "yes")),
        _question("consent", _is("trafficking", "yes")),
    ]
    determinations = [
        _determination("modern_slavery", Case(None, logic=LogicAll((LogicRef("trafficking"), LogicConst(UNKNOWN))))),
        _determination("trafficking", Case(_is("local_service", "on"),
                                           logic=LogicAll((LogicRef("purpose"), LogicRef("means"))))),
    ]
    actions = [
        _action("helpline", AnyOf((Listed("referral"), _is("modern_slavery", "yes")))),
        _action("referral", _is("trafficking", "yes"), urgency=_is("means", "yes"), reason=_is("consent", "no")),
        _action("safety", Not(_is("purpose", "no"))),
    ]
    flags = [Flag("local_service", "A local service", ("on", "off"), "on", "national")]
    return RuleGraph.of(questions, determinations, actions, flags)


def test_each_rule_kind_says_what_it_reads() -> None:
    """refs() on questions, determinations and actions; reasons only when asked for."""
    assert _question("q").refs() == frozenset()
    assert _question("q", AllOf((_is("a", "yes"), Not(_is("b", "no"))))).refs() == {"a", "b"}
    det = _determination("d", Case(_is("w", "x"), logic=LogicNot(LogicRef("l"))), Case(None, condition=_is("c", 1)))
    assert det.refs() == {"w", "l", "c"}
    action = _action("a", AnyOf((Listed("other"), _is("d", "yes"))), urgency=_is("u", "yes"), reason=_is("r", "no"))
    assert action.refs() == {"listed:other", "d", "u"}
    assert action.refs(reasons=True) == {"listed:other", "d", "u", "r"}


def test_reads_and_readers_on_a_tiny_pack() -> None:
    """Every rule's direct reads, a flag reading nothing, and the reverse index."""
    graph = _tiny()
    assert graph.reads["means"] == {"purpose"}
    assert graph.reads["trafficking"] == {"local_service", "purpose", "means"}
    assert graph.reads["helpline"] == {"listed:referral", "modern_slavery"}
    assert graph.reads["referral"] == {"trafficking", "means"}
    assert graph.reads["local_service"] == frozenset()
    assert graph.action_reads("referral") == {"trafficking", "means"}
    assert graph.action_reads("referral", reasons=True) == {"trafficking", "means", "consent"}
    assert graph.readers["trafficking"] == {"consent", "modern_slavery", "referral"}
    assert graph.readers["listed:referral"] == {"helpline"}
    assert graph.readers["purpose"] == {"means", "trafficking", "safety"}
    assert "consent" not in graph.readers  # only a reason reads it


def test_order_puts_each_rule_after_what_it_reads() -> None:
    """Determinations first, then actions; a determination or a listed action read comes earlier."""
    graph = _tiny()
    assert graph.order == ("trafficking", "modern_slavery", "referral", "helpline", "safety")


def test_fact_questions_with_and_without_listed() -> None:
    """Questions reached through determinations; ``listed:`` followed only when asked."""
    graph = _tiny()
    assert graph.fact_questions("purpose") == {"purpose"}
    assert graph.fact_questions("local_service") == frozenset()
    assert graph.fact_questions("not_a_rule") == frozenset()
    assert graph.fact_questions("modern_slavery") == {"purpose", "means"}
    assert graph.fact_questions("listed:referral") == {"purpose", "means"}
    assert graph.fact_questions("listed:referral", follow_listed=False) == frozenset()


def test_cycles_are_reported_once_each() -> None:
    """Each elementary cycle once, from its first node; successors outside the graph are ignored."""
    assert cycles({"a": ["b"], "b": ["c", "outside"], "c": ["a"], "d": ["d"], "e": []}) == [
        ["a", "b", "c", "a"], ["d", "d"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_fact_questions_follow_a_cycle_once() -> None:
    """A determination cycle (which the loader reports) neither loops nor loses what the cycle reads."""
    dets = [_determination("x", Case(None, logic=LogicAll((LogicRef("y"), LogicRef("q1"))))),
            _determination("y", Case(None, logic=LogicAll((LogicRef("x"), LogicRef("q2")))))]
    graph = RuleGraph.of([_question("q1"), _question("q2")], dets, [])
    assert graph.fact_questions("x") == {"q1", "q2"}
    assert set(graph.order) == {"x", "y"}


def test_leaves_walks_conditions_and_logic() -> None:
    """One walker for both trees: the fact tests, listed and fact references, and constants."""
    cond = AllOf((_is("a", 1), AnyOf((Listed("act"), Not(_is("b", 2))))))
    assert [getattr(leaf, "fact", None) or getattr(leaf, "action", None) for leaf in leaves(cond)] == ["a", "act", "b"]
    logic = LogicAll((LogicRef("x"), LogicNot(LogicConst(UNKNOWN))))
    assert list(leaves(logic)) == [LogicRef("x"), LogicConst(UNKNOWN)]
    assert list(leaves(None)) == []


def test_the_national_pack_graph(national_book: Rulebook) -> None:
    """On the shipped pack: reads match each rule's refs, readers are their reverse, and the order puts
    every determination and action after the ones it reads."""
    graph = national_book.graph
    assert graph is national_book.graph  # built once
    for q in national_book.questions:
        assert graph.reads[q.id] == q.refs()
    for d in national_book.determinations:
        assert graph.reads[d.id] == d.refs()
    for a in national_book.actions:
        assert graph.action_reads(a.id) == a.refs()
        assert graph.action_reads(a.id, reasons=True) >= a.refs()
    for fact, rule_ids in graph.readers.items():
        assert all(fact in graph.reads[r] for r in rule_ids)
    det_ids = {d.id for d in national_book.determinations}
    assert set(graph.order[:len(det_ids)]) == det_ids
    assert set(graph.order) == {*(d.id for d in national_book.determinations), *(a.id for a in national_book.actions)}
    position = {rule_id: i for i, rule_id in enumerate(graph.order)}
    for rule_id in graph.order:
        for dep in graph.depends_on(rule_id):
            assert position[dep] < position[rule_id], (dep, rule_id)
    assert graph.reads["modern_slavery"] >= {"trafficking", "treated_as_child"}
    assert "nrm_referral" in graph.readers["consent_status"]
    assert graph.fact_questions("treated_as_child") == {"age_group"}
    assert graph.fact_questions("modern_slavery") >= {"purpose", "means", "age_group"}
    assert "listed:nrm_referral" in graph.reads["victim_care_contract"]
    assert graph.fact_questions("listed:nrm_referral") >= graph.fact_questions("consent_status")
    assert graph.fact_questions("listed:nrm_referral", follow_listed=False) == frozenset()


def test_typed_indexes(national_book: Rulebook) -> None:
    """question/determination/action find each rule by id; has_question includes optional questions."""
    for q in (*national_book.questions, *national_book.optional_questions):
        assert national_book.question(q.id) is q
        assert national_book.has_question(q.id)
    for d in national_book.determinations:
        assert national_book.determination(d.id) is d
        assert not national_book.has_question(d.id)
    for a in national_book.actions:
        assert national_book.action(a.id) is a
        assert not national_book.has_question(a.id)

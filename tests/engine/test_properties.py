"""Property tests over random answer sets, for the national pack alone and with the Lewisham overlay.

Each example draws one answer for every question (an "answer sheet"); a walk answers whatever
``next_question`` asks from that sheet, exactly as a user of the stateless API would, posting
everything answered so far each time.

Besides the walk's own rules (it ends, never repeats itself, never withdraws an early action,
keeps the pack's invariants), the outcome is compared with an independent reading of the
contract's tables (``contract_reading`` below), and the walk's choice of questions is checked
against the contract's rule that a question is skipped exactly when no answer to it could
change a determination, the actions listed or their urgency, or the needs.
"""

from __future__ import annotations

import dataclasses
import itertools
import random
from collections.abc import Mapping, Sequence
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.engine.answers import validate_answers
from app.engine.conditions import FALSE, SKIPPED, TRUE
from app.engine.outcome import Outcome
from app.engine.rulebook import Question, Rulebook
from app.engine.walk import WalkState, assess, walk_state
from tests.conftest import TODAY

EXAMPLES = 60
SETTINGS = settings(max_examples=EXAMPLES, deadline=None)
MAX_STEPS = 40

CONTRACT_ORDER = [
    "emergency_999", "interpreter", "speak_alone", "childrens_social_care", "victim_care_contract",
    "nrm_referral", "seek_consent", "duty_to_notify", "first_responder_contact", "adult_safeguarding",
    "child_trafficking_guardian", "health_referral", "local_pathway", "police_report", "legal_advice_defence",
    "housing_referral", "modern_slavery_helpline", "labour_enforcement", "age_assessment",
]
NEEDS_QUESTIONS = ("immediate_needs", "longer_term_needs")
ADULT_ONLY_QUESTIONS = ("means", "consent_nrm", "capacity_concern")


@pytest.fixture(scope="module", params=["national", "lewisham"])
def book(request: pytest.FixtureRequest) -> Rulebook:
    """Each property runs on the national pack alone and on the default deployment (with Lewisham)."""
    found: Rulebook = request.getfixturevalue(f"{request.param}_book")
    return found


# --------------------------------------------------------------------------- strategies


def value_strategy(q: Question) -> st.SearchStrategy[Any]:
    if q.type == "multi_choice":
        return st.lists(st.sampled_from(q.values), unique=True)
    return st.sampled_from(q.values)


_SHEETS: dict[int, st.SearchStrategy[dict[str, Any]]] = {}


def answer_sheets(book: Rulebook) -> st.SearchStrategy[dict[str, Any]]:
    """An answer for every question, contract and optional."""
    if id(book) not in _SHEETS:
        fields = {q.id: value_strategy(q) for q in (*book.questions, *book.optional_questions)}
        _SHEETS[id(book)] = st.fixed_dictionaries(fields)
    return _SHEETS[id(book)]


# --------------------------------------------------------------------------- walking


def walk(book: Rulebook, sheet: Mapping[str, Any]) -> tuple[dict[str, Any], list[Outcome]]:
    """Answer next_question from the sheet until the walk is complete; the answers posted and every outcome."""
    posted: dict[str, Any] = {}
    outcomes = [assess(book, posted, today=TODAY)]
    while outcomes[-1].next_question is not None:
        qid = outcomes[-1].next_question.id
        assert qid not in posted, f"'{qid}' was asked twice"
        assert len(outcomes) <= MAX_STEPS, "the walk did not end"
        posted[qid] = sheet[qid]
        outcomes.append(assess(book, dict(posted), today=TODAY))
    return posted, outcomes


def same(a: Outcome, b: Outcome) -> None:
    """Two outcomes agree on everything but the answers they ignored."""
    assert a.model_dump(exclude={"ignored_answers"}) == b.model_dump(exclude={"ignored_answers"})


def referral_levels(outcome: Outcome) -> dict[str, int]:
    return {r.id: r.urgency for r in outcome.referrals}


def state_of(book: Rulebook, answers: Mapping[str, Any]) -> WalkState:
    return walk_state(book, validate_answers(book, answers), {})


def decision_key(state: WalkState) -> tuple[Any, ...]:
    """What the contract counts when deciding whether a question matters: the determinations, which
    actions are listed and their urgency, and the needs (not the test card, not the wording)."""
    ev = state.evaluation
    book = ev.book
    dets = tuple((d.id, ev.values(d.id)) for d in book.determinations)
    actions = []
    for a in book.actions:
        bits = ev.listed(a.id)
        actions.append((a.id, bits, ev.urgency(a) if bits & TRUE else None))
    needs = tuple((qid, ev.values(qid)) for qid in NEEDS_QUESTIONS)
    return dets, tuple(actions), needs


def choices(q: Question) -> list[Any]:
    """Representative answers: every value, or for a multi-choice none, each option alone, and all."""
    if q.type == "multi_choice":
        return [[], *([v] for v in q.values), list(q.values)]
    return list(q.values)


def continuations(book: Rulebook, after: str, rng: random.Random, randoms: int) -> list[dict[str, Any]]:
    """Answer sheets for the questions after ``after``: a few systematic ones, then random ones."""
    ids = [q.id for q in book.questions]
    later = book.questions[ids.index(after) + 1:]
    sheets: list[dict[str, Any]] = []
    for k in range(9):
        sheet: dict[str, Any] = {}
        for q in later:
            if q.type == "multi_choice":
                sheet[q.id] = [] if k == 0 else list(q.values) if k == 1 else [q.values[k % len(q.values)]]
            else:
                sheet[q.id] = q.values[k % len(q.values)]
        sheets.append(sheet)
    for _ in range(randoms):
        sheet = {}
        for q in later:
            if q.type == "multi_choice":
                sheet[q.id] = [v for v in q.values if rng.random() < 0.3]
            else:
                sheet[q.id] = rng.choice(q.values)
        sheets.append(sheet)
    return sheets


# --------------------------------------------------------------------------- the contract, read independently

KLEENE = {"yes": 2, "unsure": 1, "no": 0}
DETERMINATION_WORDS = {2: "yes", 1: "possible", 0: "no"}
FIRST_RESPONDERS = {"police", "local_authority", "home_office", "nca", "labour_enforcement", "ngo_first_responder"}
DUTY_HOLDERS = {"police", "local_authority", "home_office", "nca", "labour_enforcement"}


def contract_reading(answers: Mapping[str, Any], flags: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, int]]:
    """The determinations and actions (with urgency) the contract's tables give for the answers a
    complete walk used. Kleene logic is min/max over no < unknown < yes. A question the walk skipped
    counts as unknown: it is only ever skipped where its value cannot matter."""
    a = answers

    def t(qid: str) -> int:
        return KLEENE[a[qid]] if qid in a else 1

    def is_(qid: str, *values: str) -> bool:
        return a.get(qid) in values

    def includes(qid: str, *values: str) -> bool:
        return bool(set(a.get(qid, [])) & set(values))

    child = is_("age_group", "child", "uncertain")
    if child:
        trafficking = min(t("action"), t("purpose"))
        core = min(t("purpose"), 1)
    else:
        trafficking = min(t("action"), t("purpose"), max(t("means"), t("exploited_as_child")))
        core = min(t("purpose"), max(t("exploited_as_child"), t("means")), 1)
    ms = max(trafficking, t("slavery_servitude_forced_labour"), core)
    org = a["organisation"]
    fr = org in FIRST_RESPONDERS
    duty = org in DUTY_HOLDERS
    dets = {
        "treated_as_child": child,
        "trafficking": DETERMINATION_WORDS[trafficking],
        "modern_slavery": DETERMINATION_WORDS[ms],
        "first_responder": fr,
        "duty_to_notify_applies": duty,
        "duty_to_notify_basis": ("policy" if org == "home_office" else "statutory") if duty else None,
    }
    slavery = ms >= 1
    adult = not child
    acts: dict[str, int] = {}
    if is_("immediate_danger", "yes", "unsure"):
        acts["emergency_999"] = 1
    if is_("communication_support", "yes", "unsure"):
        acts["interpreter"] = 1
    if is_("safe_to_talk", "no", "unsure"):
        acts["speak_alone"] = 1
    if child:
        urgent = slavery or is_("homeless_or_at_risk", "tonight", "unsure") or is_("immediate_danger", "yes", "unsure")
        acts["childrens_social_care"] = 1 if urgent else 2
    elif is_("dependent_children", "yes", "unsure"):
        acts["childrens_social_care"] = 2
    nrm = slavery and (child or (is_("consent_nrm", "yes") and not is_("capacity_concern", "yes")))
    if nrm:
        acts["nrm_referral"] = 2
        if adult:
            acts["victim_care_contract"] = 1 if is_("homeless_or_at_risk", "tonight", "unsure") else 2
        if not fr:
            acts["first_responder_contact"] = 2
    if adult and slavery and is_("consent_nrm", "not_asked"):
        acts["seek_consent"] = 2
    if adult and slavery and is_("consent_nrm", "no", "cannot_ask") and duty:
        acts["duty_to_notify"] = 2
    if adult and (is_("care_support_needs", "yes", "unsure") or is_("capacity_concern", "yes", "unsure")) and (
        slavery or is_("purpose", "yes", "unsure")
    ):
        acts["adult_safeguarding"] = 2
    if child and slavery and flags.get("child_trafficking_guardian_service") != "unavailable":
        acts["child_trafficking_guardian"] = 2
    if includes("immediate_needs", "health") or includes("exploitation_types", "sexual", "organ_removal"):
        acts["health_referral"] = 2
    if slavery and flags.get("victim_care_pathway") == "available":
        acts["local_pathway"] = 2
    if slavery:
        acts["police_report"] = 2 if child or is_("other_victims", "yes", "unsure") else 3
    if is_("arrested_or_charged", "yes", "unsure"):
        acts["legal_advice_defence"] = 2 if is_("arrested_or_charged", "yes") else 3
    if adult and is_("homeless_or_at_risk", "tonight", "unsure", "within_56_days"):
        acts["housing_referral"] = 3 if is_("homeless_or_at_risk", "within_56_days") else 2
    if slavery or is_("purpose", "yes", "unsure") or not fr:
        heavy = {"nrm_referral", "duty_to_notify", "childrens_social_care"} & set(acts)
        acts["modern_slavery_helpline"] = 3 if heavy else 2
    if includes("exploitation_types", "labour"):
        acts["labour_enforcement"] = 3
    if is_("age_group", "uncertain"):
        acts["age_assessment"] = 3
    return dets, acts


ANSWER_TO_ELEMENT = {"yes": "met", "no": "not_met", "unsure": "unknown"}


def contract_elements(answers: Mapping[str, Any]) -> dict[str, str]:
    """The test card on a complete walk: each element by its answer; means not required for anyone
    treated as a child or exploited as a child (this takes precedence), not assessed when skipped, and
    unknown when answered no while exploited_as_child is unsure."""
    a = answers
    if a["age_group"] in ("child", "uncertain") or a.get("exploited_as_child") == "yes":
        means = "not_required"
    elif "means" not in a:
        means = "not_assessed"
    elif a["means"] == "no" and a.get("exploited_as_child") == "unsure":
        means = "unknown"
    else:
        means = ANSWER_TO_ELEMENT[a["means"]]
    return {"action": ANSWER_TO_ELEMENT[a["action"]], "means": means, "purpose": ANSWER_TO_ELEMENT[a["purpose"]]}


def contract_asks(qid: str, answers: Mapping[str, Any], dets: Mapping[str, Any]) -> bool:
    """The contract's "asked when" column: when a question may be asked at all."""
    adult = dets["treated_as_child"] is False
    slavery = dets["modern_slavery"] in ("yes", "possible")
    purpose = answers.get("purpose") in ("yes", "unsure")
    rules = {
        "exploited_as_child": adult,
        "means": adult and answers.get("exploited_as_child") != "yes",
        "slavery_servitude_forced_labour": dets["trafficking"] != "yes",
        "exploitation_types": purpose or answers.get("slavery_servitude_forced_labour") in ("yes", "unsure"),
        "capacity_concern": adult and (slavery or purpose),
        "consent_nrm": adult and slavery and answers.get("capacity_concern") != "yes",
        "care_support_needs": adult and (slavery or purpose),
        "dependent_children": slavery or purpose,
        "other_victims": slavery,
        "arrested_or_charged": slavery,
        "immediate_needs": slavery or purpose,
        "longer_term_needs": slavery or purpose,
    }
    return rules.get(qid, True)


# --------------------------------------------------------------------------- the walk's own rules


@SETTINGS
@given(data=st.data())
def test_walk_ends_without_repeating_itself(book: Rulebook, data: st.DataObject) -> None:
    """Answering next_question with any allowed value always ends the walk within a bounded number of
    steps, never asks a question twice, only ever asks contract questions, and complete is true
    exactly when next_question is null."""
    posted, outcomes = walk(book, data.draw(answer_sheets(book)))
    contract_ids = {q.id for q in book.questions}
    assert len(outcomes) <= len(book.questions) + 1
    for outcome in outcomes:
        assert outcome.complete is (outcome.next_question is None)
        if outcome.next_question is not None:
            assert outcome.next_question.id in contract_ids
            assert not outcome.next_question.optional
    asked = [o.next_question.id for o in outcomes if o.next_question is not None]
    assert len(asked) == len(set(asked)) == len(posted)
    assert outcomes[-1].complete


@SETTINGS
@given(data=st.data())
def test_never_asks_a_child_about_means_consent_or_capacity(book: Rulebook, data: st.DataObject) -> None:
    """Anyone treated as a child (under 18, or age uncertain) is never asked means, consent_nrm or
    capacity_concern, and none of those answers is used for them."""
    sheet = data.draw(answer_sheets(book))
    sheet["age_group"] = data.draw(st.sampled_from(["child", "uncertain"]))
    posted, outcomes = walk(book, sheet)
    assert outcomes[-1].determinations.treated_as_child is True
    assert not set(posted) & set(ADULT_ONLY_QUESTIONS)
    at_once = assess(book, sheet, today=TODAY)
    assert not {a.id for a in at_once.answered} & set(ADULT_ONLY_QUESTIONS)
    assert set(ADULT_ONLY_QUESTIONS) <= set(at_once.ignored_answers)


@SETTINGS
@given(data=st.data())
def test_early_actions_are_never_withdrawn(book: Rulebook, data: st.DataObject) -> None:
    """Along a walk, an action listed early stays listed at every later step, and its urgency, the
    most urgent value it could still take, never becomes more urgent; a determination known early
    never changes. 999 is listed as soon as immediate_danger is yes or unsure."""
    sheet = data.draw(answer_sheets(book))
    _, outcomes = walk(book, sheet)
    for before, after in itertools.pairwise(outcomes):
        early, later = referral_levels(before), referral_levels(after)
        assert set(early) <= set(later), f"withdrawn: {set(early) - set(later)}"
        for aid, level in early.items():
            assert later[aid] >= level, f"{aid} became more urgent: {level} -> {later[aid]}"
        for did, value in before.determinations.model_dump().items():
            if value is not None:
                assert after.determinations.model_dump()[did] == value
    if sheet["immediate_danger"] in ("yes", "unsure"):
        assert outcomes[1].referrals[0].id == "emergency_999"


@SETTINGS
@given(data=st.data())
def test_answering_more_never_removes_an_action(book: Rulebook, data: st.DataObject) -> None:
    """Any subset of a complete answer set, posted in any order and with gaps, lists only actions that
    the complete set lists, at an urgency at least as high, and reports no determination that the
    complete set contradicts (a question not yet answered is not 'unsure')."""
    sheet = data.draw(answer_sheets(book))
    _, outcomes = walk(book, sheet)
    final = outcomes[-1]
    keys = sorted(sheet)
    subset_keys = data.draw(st.lists(st.sampled_from(keys), unique=True))
    partial = assess(book, {k: sheet[k] for k in subset_keys}, today=TODAY)
    levels = referral_levels(final)
    for aid, level in referral_levels(partial).items():
        assert aid in levels, f"{aid} listed early but not at the end"
        assert level <= levels[aid]
    for did, value in partial.determinations.model_dump().items():
        if value is not None:
            assert final.determinations.model_dump()[did] == value, did


def check_invariants(book: Rulebook, state: WalkState, outcome: Outcome, asked: Sequence[str]) -> None:
    ev = state.evaluation
    order = [r.id for r in outcome.referrals]
    inv = book.invariants
    for never in inv.never:
        if never.when.bits(ev) == TRUE:
            for aid in never.actions:
                assert aid not in order, f"{never.id}: {aid} listed"
            for qid in never.questions:
                assert qid not in asked, f"{never.id}: {qid} asked"
    for always in inv.always:
        if always.when.bits(ev) == TRUE:
            for aid in always.actions:
                assert aid in order, f"{always.id}: {aid} missing"
    for rule in inv.ordering:
        if rule.first and rule.first in order:
            assert order[0] == rule.first, f"{rule.id}: {order}"
        if rule.before and rule.before in order:
            for aid in rule.after:
                if aid in order:
                    assert order.index(rule.before) < order.index(aid), f"{rule.id}: {order}"


@SETTINGS
@given(data=st.data())
def test_the_packs_invariants_hold_at_every_step(book: Rulebook, data: st.DataObject) -> None:
    """The pack's invariants (book.invariants) hold at every step of a walk and at its end: no forbidden
    action listed and no forbidden question asked while a never rule's condition holds; the always
    rules' actions listed; the first action first and each 'before' action ahead of its 'after' ones."""
    assert book.invariants.never and book.invariants.always and book.invariants.ordering
    posted, outcomes = walk(book, data.draw(answer_sheets(book)))
    asked: list[str] = []
    for i, outcome in enumerate(outcomes):
        answers = dict(list(posted.items())[:i])
        check_invariants(book, state_of(book, answers), outcome, asked)
        if outcome.next_question is not None:
            asked.append(outcome.next_question.id)
    final_state = state_of(book, posted)
    for rule in book.invariants.never:
        assert rule.when.bits(final_state.evaluation) in (TRUE, FALSE), "a complete walk settles every rule"
    check_invariants(book, final_state, outcomes[-1], asked)


@SETTINGS
@given(data=st.data())
def test_every_action_has_reasons_and_a_source(book: Rulebook, data: st.DataObject) -> None:
    """Every listed action, at every step, has at least one reason, a source and someone who acts, and
    no reason shows an unfilled {placeholder}."""
    _, outcomes = walk(book, data.draw(answer_sheets(book)))
    for outcome in outcomes:
        for r in outcome.referrals:
            assert r.reasons, r.id
            assert r.source.strip() and r.who_acts.strip(), r.id
            for reason in r.reasons:
                assert "{" not in reason and "}" not in reason, reason


@SETTINGS
@given(data=st.data())
def test_all_at_once_equals_step_by_step(book: Rulebook, data: st.DataObject) -> None:
    """Posting the whole answer sheet at once (in any order, with answers for questions the walk skips)
    ends exactly where answering one question at a time ends; only the skipped ones are ignored."""
    sheet = data.draw(answer_sheets(book))
    posted, outcomes = walk(book, sheet)
    optional = {q.id: sheet[q.id] for q in book.optional_questions}
    last = assess(book, {**posted, **optional}, today=TODAY)  # the questionnaire offered the optional ones too
    assert decision_key(state_of(book, {**posted, **optional})) == decision_key(state_of(book, posted))
    keys = data.draw(st.permutations(sorted(sheet)))
    at_once = assess(book, {k: sheet[k] for k in keys}, today=TODAY)
    same(at_once, last)
    assert at_once.complete
    used = {a.id for a in at_once.answered}
    assert set(posted) <= used
    assert set(at_once.ignored_answers) == set(sheet) - used
    assert outcomes[-1].ignored_answers == []
    assert [a.id for a in outcomes[-1].answered] == list(posted), "answers are shown in the order asked"


@SETTINGS
@given(data=st.data())
def test_answers_off_the_path_change_nothing(book: Rulebook, data: st.DataObject) -> None:
    """Adding answers for contract questions the completed walk skipped gives the same outcome; each
    of them is listed in ignored_answers."""
    posted, outcomes = walk(book, data.draw(answer_sheets(book)))
    off_path = [q for q in book.questions if q.id not in posted]
    extra = {q.id: data.draw(value_strategy(q)) for q in off_path if data.draw(st.booleans())}
    with_extra = assess(book, {**extra, **posted}, today=TODAY)
    same(with_extra, outcomes[-1])
    assert sorted(with_extra.ignored_answers) == sorted(extra)


@SETTINGS
@given(data=st.data())
def test_outcome_follows_the_contract_tables(book: Rulebook, data: st.DataObject) -> None:
    """On a complete walk the determinations, the test card, the actions and their urgency are those of
    the contract's tables (read independently here), sorted by urgency then the contract's order; the
    needs are the options chosen, each with a service."""
    posted, outcomes = walk(book, data.draw(answer_sheets(book)))
    final = outcomes[-1]
    flags = {fid: flag.value for fid, flag in book.flags.items()}
    dets, acts = contract_reading(posted, flags)
    got = final.determinations.model_dump()
    assert {k: got[k] for k in dets} == dets
    assert referral_levels(final) == acts
    order = [r.id for r in final.referrals]
    assert order == sorted(order, key=lambda aid: (acts[aid], CONTRACT_ORDER.index(aid)))
    assert all(not r.provisional for r in final.referrals)
    assert final.elements.model_dump() == contract_elements(posted)
    assert ("age_presumed_child" in final.assumption_ids) is (posted["age_group"] == "uncertain")
    if "nothing_confirmed" in final.assumption_ids:
        assert "met" not in final.elements.model_dump().values()
    for group, qid in (("immediate", "immediate_needs"), ("longer_term", "longer_term_needs")):
        needs = getattr(final.needs, group)
        assert {n.id for n in needs} == set(posted.get(qid, []))
        assert all(n.service.name for n in needs)


# --------------------------------------------------------------------------- which questions are asked


@SETTINGS
@given(data=st.data())
def test_asks_only_questions_the_contract_allows(book: Rulebook, data: st.DataObject) -> None:
    """Every question asked on a walk is allowed by the contract's "asked when" column (organisation
    included, as no deployment presets it here)."""
    posted, outcomes = walk(book, data.draw(answer_sheets(book)))
    dets = outcomes[-1].determinations.model_dump()
    for qid in posted:
        assert contract_asks(qid, posted, dets), f"'{qid}' asked outside the contract's 'asked when'"


@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_every_question_asked_can_change_something(book: Rulebook, data: st.DataObject) -> None:
    """When the walk asks a question, at least two of its answers lead, with the rest of the walk
    answered the same way, to different determinations, actions (or urgency) or needs: the walk asks
    nothing pointless. Continuations are tried systematically, then at random, until a difference
    shows."""
    sheet = data.draw(answer_sheets(book))
    rng = random.Random(data.draw(st.integers(0, 2**32 - 1)))
    posted, _ = walk(book, sheet)
    prefix: dict[str, Any] = {}
    for qid, answer in posted.items():
        q = book.question(qid)
        differs = False
        for cont in continuations(book, qid, rng, randoms=60):
            keys = {decision_key(state_of(book, {**cont, **prefix, qid: v})) for v in choices(q)}
            if len(keys) > 1:
                differs = True
                break
        assert differs, f"'{qid}' asked after {prefix}, but no answer to it changes anything"
        prefix[qid] = answer


_FORCED: dict[tuple[int, str], Rulebook] = {}


def forced_book(book: Rulebook, qid: str) -> Rulebook:
    """The same rules, except that ``qid`` is always asked."""
    key = (id(book), qid)
    if key not in _FORCED:
        questions = tuple(dataclasses.replace(q, ask_when=None) if q.id == qid else q for q in book.questions)
        _FORCED[key] = dataclasses.replace(book, questions=questions)
    return _FORCED[key]


@SETTINGS
@given(data=st.data())
def test_skipped_questions_could_change_nothing(book: Rulebook, data: st.DataObject) -> None:
    """On a complete walk, each contract question that the contract's "asked when" allows but the walk
    skipped could change nothing: forced into the path with any answer, however the questions it
    brings back into the path are answered, the determinations, the actions listed with their urgency
    and the needs stay exactly as they were."""
    posted, outcomes = walk(book, data.draw(answer_sheets(book)))
    dets = outcomes[-1].determinations.model_dump()
    original = decision_key(state_of(book, posted))
    for q in book.questions:
        if q.id in posted or not contract_asks(q.id, posted, dets):
            continue
        assert state_of(book, posted).evaluation.values(q.id) == frozenset({SKIPPED})
        forced = forced_book(book, q.id)
        for value in choices(q):
            state = state_of(forced, {**posted, q.id: value})
            assert decision_key(state) == original, f"skipped '{q.id}' = {value!r} would change the outcome"


MEANS_PREFIX = {
    "immediate_danger": "no", "age_group": "adult", "organisation": "local_authority",
    "communication_support": "no", "safe_to_talk": "yes",
}


@pytest.mark.parametrize(("action", "purpose", "asked"), [
    ("no", "yes", False), ("unsure", "yes", False), ("yes", "unsure", False), ("no", "unsure", False),
    ("yes", "yes", True),
])
def test_means_is_skipped_when_it_cannot_matter(book: Rulebook, action: str, purpose: str, asked: bool) -> None:
    """An adult unsure whether they were under 18 during the exploitation: the means can change the result
    only when action and purpose are both yes (trafficking yes or possible). Otherwise trafficking and
    modern slavery come out the same whatever the means, so the walk skips it (only the test card would
    differ, which the contract says does not count)."""
    answers = {**MEANS_PREFIX, "action": action, "purpose": purpose, "exploited_as_child": "unsure"}
    outcome = assess(book, answers, today=TODAY)
    assert outcome.next_question is not None
    assert (outcome.next_question.id == "means") is asked
    forced = forced_book(book, "means")
    keys = {decision_key(state_of(forced, {**answers, "means": v})) for v in ("yes", "no", "unsure")}
    assert (len(keys) > 1) is asked

"""The safeguarding review's 44 answer sets (and a few added v2 cases), held to contract v2.

``review_sets.yaml`` holds each set's answers, completed for v2, and what contract v2's tables say
should come out, written by hand from the contract (never by running the tool). Each set is checked:

- through ``POST /api/v2/assess``, all answers at once: exactly the expected actions with their
  urgency, in the contract's order, the determinations, assumptions and ignored answers;
- through the questionnaire, one question at a time as a browser would (no JavaScript), to the plan
  page, which must list exactly the expected actions (``id="referral-<action id>"``) under the
  expected urgency;
- through the quick check (``POST /quick-check``, the answers to the questions the pack marks
  ``quick_check: true``): the ``who_notifies`` statement's answer, the headline, must be the one the
  set's quick-check category gives (``test_quick_check_headline``).

The table checks at the top need no server: they hold the hand-written table to the contract's
vocabulary, and to the independent reading of the contract in tests/engine/test_properties.py (two
readings by hand that must agree).
"""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import yaml
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient

from app.config import Settings
from app.engine.rulebook import Rulebook
from app.main import create_app
from tests.engine.test_properties import (
    CONTRACT_ORDER,
    CONTRACT_QUESTIONS,
    contract_asks,
    contract_assumptions,
    contract_determinations,
    contract_elements,
    contract_reading,
)

TABLE = Path(__file__).resolve().parent / "review_sets.yaml"
SETS: list[dict[str, Any]] = yaml.safe_load(TABLE.read_text(encoding="utf-8"))["sets"]
REVIEW_SETS = [s for s in SETS if s["origin"] == "review"]
IDS = [s["id"] for s in SETS]
# The default deployment: the Lewisham pack has a victim care pathway and does not mark the child
# trafficking guardian service unavailable (contract v1, JSON API; "as v1" in v2).
LEWISHAM_FLAGS = {"victim_care_pathway": "available", "child_trafficking_guardian_service": "available"}

TRI = ["yes", "no", "unsure"]
# Contract v2's Answers table: each question's values (immediate and longer-term needs "as v1").
CONTRACT_VALUES: dict[str, list[str]] = {
    "immediate_danger": TRI,
    "age_group": ["child", "adult", "uncertain"],
    "organisation": ["police", "local_authority", "home_office", "nca", "labour_enforcement", "ngo_first_responder",
                     "health", "education", "other"],
    "communication_support": TRI,
    "communication_needs": ["spoken_language", "sign_language", "cognitive", "other"],
    "safe_to_talk": TRI,
    "action": TRI,
    "purpose": TRI,
    "exploited_as_child": TRI,
    "means": TRI,
    "slavery_servitude_forced_labour": TRI,
    "exploitation_types": ["sexual", "labour", "domestic_servitude", "criminal", "organ_removal", "other", "not_known"],
    "work_concerns": TRI,
    "partner_or_family_exploiter": TRI,
    "capacity_concern": TRI,
    "consent_nrm": ["yes", "no", "not_asked", "cannot_ask"],
    "consent_given_alone": TRI,
    "care_support_needs": TRI,
    "dependent_children": TRI,
    "other_victims": TRI,
    "homeless_or_at_risk": ["tonight", "within_56_days", "no", "unsure"],
    "arrested_or_charged": TRI,
    "immediate_needs": ["hot_food", "clothes", "hygiene", "accommodation", "health", "interpreter", "legal_advice",
                        "safe_transport"],
    "longer_term_needs": ["community_support", "asylum", "family_contact", "education_employment", "repatriation",
                          "english", "legal_aid", "substance_misuse"],
}
MULTI_CHOICE = {"communication_needs", "exploitation_types", "immediate_needs", "longer_term_needs"}
# Contract v2's Actions table: the urgencies each action may take.
URGENCIES: dict[str, set[int]] = {
    "emergency_999": {1}, "interpreter": {1}, "communication_adjustments": {1}, "speak_alone": {1},
    "childrens_social_care": {1, 2}, "victim_care_contract": {1, 2}, "nrm_referral": {2}, "seek_consent": {1, 2},
    "duty_to_notify": {2}, "first_responder_contact": {1, 2}, "adult_safeguarding": {2},
    "child_trafficking_guardian": {2}, "child_exploitation_pathway": {2}, "domestic_abuse_support": {2},
    "health_referral": {2}, "local_pathway": {2}, "police_report": {2, 3}, "legal_advice_defence": {2, 3},
    "housing_referral": {2, 3}, "modern_slavery_helpline": {2, 3}, "labour_enforcement": {3}, "age_assessment": {3},
}
HEADLINES = {"nrm_referral", "nrm_referral_child", "duty_to_notify", "seek_consent",
             "seek_consent_and_duty_to_notify", "neither", "not_known_yet"}


def treated_as_child(case: Mapping[str, Any]) -> bool:
    return case["answers"]["age_group"] in ("child", "uncertain")


def in_contract_order(actions: Mapping[str, int]) -> list[str]:
    """Sorted by urgency, then by the order of the contract's Actions table."""
    return sorted(actions, key=lambda aid: (actions[aid], CONTRACT_ORDER.index(aid)))


def headline_from_actions(case: Mapping[str, Any]) -> str:
    """The quick check's headline category, from the expected actions (the rule the table was written by)."""
    listed = set(case["actions"])
    if "nrm_referral" in listed and treated_as_child(case):
        return "nrm_referral_child"
    if not case["complete"]:
        # an incomplete walk whose modern slavery test is already "no" can bring none of the three
        return "neither" if case["modern_slavery"] == "no" else "not_known_yet"
    if {"seek_consent", "duty_to_notify"} <= listed:
        return "seek_consent_and_duty_to_notify"
    for aid in ("duty_to_notify", "nrm_referral", "seek_consent"):
        if aid in listed:
            return aid
    return "neither"


def contract_walk(answers: Mapping[str, Any]) -> tuple[dict[str, Any], list[str], str | None]:
    """Contract v2's walk over the answers, read from its exact "asked when" column: the answers used,
    those ignored (posted for a question the column skips, judged only up to the first unanswered
    question), and the first question asked but unanswered (None when complete)."""
    used: dict[str, Any] = {}
    ignored: list[str] = []
    for qid in CONTRACT_QUESTIONS:
        if contract_asks(qid, used, contract_determinations(used)):
            if qid not in answers:
                return used, ignored, qid
            used[qid] = answers[qid]
        elif qid in answers:
            ignored.append(qid)
    return used, ignored, None


# --------------------------------------------------------------------------- the table itself


def test_the_table_holds_the_reviews_44_sets() -> None:
    """All 44 sets of the review's appendix are in the table, numbered 01 to 44 in order, ids unique;
    any set added after them says so."""
    assert len(IDS) == len(set(IDS))
    assert [s["id"][:2] for s in REVIEW_SETS] == [f"{n:02d}" for n in range(1, 45)]
    assert SETS[:44] == REVIEW_SETS
    assert all(s["origin"] == "added" for s in SETS[44:])


@pytest.mark.parametrize("case", SETS, ids=IDS)
def test_each_set_is_written_in_the_contracts_words(case: dict[str, Any]) -> None:
    """Answers use contract v2's question ids and values (a multi-choice is a list; not_known is never
    combined), in the walk's order; expected actions are contract actions at an urgency the contract
    allows, written in the plan's order; the other fields take their contract values."""
    answers = case["answers"]
    assert list(answers) == sorted(answers, key=CONTRACT_QUESTIONS.index)
    for qid, value in answers.items():
        allowed = CONTRACT_VALUES[qid]
        if qid in MULTI_CHOICE:
            assert isinstance(value, list) and len(set(value)) == len(value) and set(value) <= set(allowed), qid
            assert "not_known" not in value or value == ["not_known"], qid
        else:
            assert isinstance(value, str) and value in allowed, (qid, value)
    for aid, level in case["actions"].items():
        assert level in URGENCIES[aid], (aid, level)
    assert list(case["actions"]) == in_contract_order(case["actions"])
    assert case["modern_slavery"] in ("yes", "possible", "no", None)
    assert case["consent_status"] in ("given", "declined", "not_asked", "cannot_ask", None)
    assert set(case["ignored_answers"]) <= set(answers)
    assert case["quick_check"] in HEADLINES
    assert case["complete"] is ("next_question" not in case)
    assert case["why"].strip()


@pytest.mark.parametrize("case", SETS, ids=IDS)
def test_the_quick_check_category_follows_from_the_actions(case: dict[str, Any]) -> None:
    """Each set's quick-check headline is the one its expected actions give (headline_from_actions)."""
    assert case["quick_check"] == headline_from_actions(case)


@pytest.mark.parametrize("case", SETS, ids=IDS)
def test_the_table_agrees_with_the_independent_reading(case: dict[str, Any]) -> None:
    """The table (written by hand, set by set) and contract_reading in tests/engine/test_properties.py
    (written by hand, rule by rule) agree: which questions the walk asks and whether it completes, the
    answers ignored, and for a complete walk the actions, determinations and assumptions."""
    used, ignored, stops_at = contract_walk(case["answers"])
    assert stops_at == case.get("next_question")
    assert sorted(ignored) == sorted(case["ignored_answers"])
    if stops_at is not None:
        return  # the actions listed early are checked by hand only
    dets, acts = contract_reading(used, LEWISHAM_FLAGS)
    assert acts == case["actions"]
    assert dets["modern_slavery"] == case["modern_slavery"]
    assert dets["consent_status"] == case["consent_status"]
    assert contract_assumptions(used, dets, contract_elements(used)) == set(case["assumptions"])


def test_the_packs_use_the_contracts_vocabulary(lewisham_book: Rulebook) -> None:
    """The default deployment's contract questions are exactly contract v2's, in its order, with its
    values, and its actions are the contract's."""
    assert [q.id for q in lewisham_book.questions] == CONTRACT_QUESTIONS
    for q in lewisham_book.questions:
        assert sorted(q.values) == sorted(CONTRACT_VALUES[q.id]), q.id
    assert sorted(a.id for a in lewisham_book.actions) == sorted(CONTRACT_ORDER)


# --------------------------------------------------------------------------- through the app

KEY = Fernet.generate_key().decode()


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """The default deployment (the Lewisham pack, no preset organisation), without following redirects."""
    settings = Settings(local_pack="lewisham", organisation=None, secret_key=KEY,
                        key_file=tmp_path_factory.mktemp("keys") / "unused.key")
    with TestClient(create_app(settings), follow_redirects=False, raise_server_exceptions=False) as c:
        yield c


@pytest.mark.parametrize("case", SETS, ids=IDS)
def test_review_set_through_the_api(client: TestClient, case: dict[str, Any]) -> None:
    """POST /api/v2/assess with the set's answers at once gives exactly the expected actions and
    urgencies, sorted by urgency then the contract's order, and the expected determinations,
    assumptions and ignored answers; next_question is null exactly when complete."""
    response = client.post("/api/v2/assess", json={"answers": case["answers"]})
    assert response.status_code == 200, response.text[:500]
    body = response.json()
    assert body["contract_version"] == 2
    assert body["complete"] is case["complete"]
    if case["complete"]:
        assert body["next_question"] is None
    else:
        assert body["next_question"]["id"] == case["next_question"]
    got = {r["id"]: r["urgency"] for r in body["referrals"]}
    assert got == case["actions"]
    assert [r["id"] for r in body["referrals"]] == list(case["actions"])
    assert body["determinations"]["modern_slavery"] == case["modern_slavery"]
    assert body["determinations"]["treated_as_child"] is treated_as_child(case)
    assert "consent_status" in body["determinations"]
    assert body["determinations"]["consent_status"] == case["consent_status"]
    assert {a["id"] for a in body["assumptions"]} == set(case["assumptions"])
    assert all(isinstance(a["text"], str) and a["text"] for a in body["assumptions"])
    assert sorted(body["ignored_answers"]) == sorted(case["ignored_answers"])


CONTRACT_FIELDS = ("complete", "next_question", "determinations", "elements", "assumptions", "referrals", "needs",
                   "ignored_answers")


@pytest.mark.parametrize("case", SETS, ids=IDS)
def test_answers_after_a_gap_wait_through_the_api(client: TestClient, case: dict[str, Any]) -> None:
    """Contract v2, JSON API: "An answer to a question after the first unanswered one is judged once the
    questions before it are answered: until then it is neither used nor listed in ignored_answers." The
    set posted without one of the answers its walk uses (the middle one, then the last) gives exactly
    what the answers before that question give alone, with that question as next_question.

    AMBIGUOUS (A5): this rule is written for the JSON API; the quick check posts answers with gaps
    (communication_support is not on its form), so the engine itself cannot simply follow it."""
    used, _, _ = contract_walk(case["answers"])
    asked = list(used)
    for gap in {asked[len(asked) // 2], asked[-1]}:
        order = CONTRACT_QUESTIONS.index(gap)
        rest = {qid: v for qid, v in case["answers"].items() if qid != gap}
        before = {qid: v for qid, v in case["answers"].items() if CONTRACT_QUESTIONS.index(qid) < order}
        with_rest = client.post("/api/v2/assess", json={"answers": rest})
        alone = client.post("/api/v2/assess", json={"answers": before})
        assert with_rest.status_code == alone.status_code == 200
        got, expected = with_rest.json(), alone.json()
        assert got["next_question"]["id"] == gap
        for name in CONTRACT_FIELDS:
            assert got[name] == expected[name], f"without '{gap}': {name} differs"


# The questionnaire ------------------------------------------------------------------------------


def post_form(client: TestClient, url: str, pairs: list[tuple[str, str]]) -> Any:
    """Post url-encoded fields as a browser does (a field may repeat)."""
    return client.post(url, content=urlencode(pairs), headers={"Content-Type": "application/x-www-form-urlencoded"})


def walk_questionnaire(client: TestClient, answers: Mapping[str, Any]) -> tuple[str, str, list[str]]:
    """Start a walk and answer each question the questionnaire asks from the set, skipping optional
    questions, following each redirect, until a page that is not a question, or a contract question
    the set does not answer. Returns the walk id, where it stopped and the questions answered."""
    response = client.post("/start")
    assert response.status_code == 303
    location = str(response.headers["location"])
    match = re.match(r"/w/([A-Za-z0-9_-]+)/", location)
    assert match, location
    walk = match.group(1)
    asked: list[str] = []
    questions = client.app.state.pathway.questions  # type: ignore[attr-defined]
    for _ in range(60):
        match = re.fullmatch(rf"/w/{re.escape(walk)}/q/([a-z_]+)", location)
        if not match:
            return walk, location, asked
        qid = match.group(1)
        if qid in answers:
            assert qid not in asked, f"'{qid}' asked twice"
            value = answers[qid]
            values = value if isinstance(value, list) else [value]
            response = post_form(client, location, [(qid, v) for v in (values or ["none"])])
            assert response.status_code == 303, f"{qid}={value!r}: {response.status_code} {response.text[:300]}"
            asked.append(qid)
        elif questions[qid].optional:
            response = client.post(f"{location}/skip")
            assert response.status_code == 303
        else:
            return walk, location, asked
        location = str(response.headers["location"])
    raise AssertionError("the walk did not end")


def plan_actions(html: str) -> list[tuple[str, int | None]]:
    """The actions on the plan page in order, each with the urgency group it is shown under."""
    found: list[tuple[str, int | None]] = []
    level: int | None = None
    for m in re.finditer(r'urgency-group--(\d)\b|\bid="referral-([a-z0-9_]+)"', html):
        if m.group(1):
            level = int(m.group(1))
        else:
            found.append((m.group(2), level))
    return found


@pytest.mark.parametrize("case", SETS, ids=IDS)
def test_review_set_through_the_questionnaire(client: TestClient, case: dict[str, Any]) -> None:
    """Walking the questionnaire one question at a time asks exactly the questions the set's answers
    are used for (not the ignored ones) and reaches the plan page, which lists exactly the expected
    actions, in order, under their urgency; an incomplete set stops at its next question."""
    client.cookies.clear()
    walk, location, asked = walk_questionnaire(client, case["answers"])
    used, _, _ = contract_walk(case["answers"])
    if not case["complete"]:
        assert location == f"/w/{walk}/q/{case['next_question']}"
        assert asked == list(used)
        response = client.get(f"/w/{walk}/outcome")
        assert response.status_code == 303
        assert response.headers["location"] == location
        return
    assert location == f"/w/{walk}/outcome", f"stopped at {location}, a question the set does not answer"
    assert sorted(asked) == sorted(set(case["answers"]) - set(case["ignored_answers"]))
    page = client.get(location)
    assert page.status_code == 200
    shown = plan_actions(page.text)
    assert [aid for aid, _ in shown] == list(case["actions"])
    assert dict(shown) == case["actions"]


# The quick check ---------------------------------------------------------------------------------


def read_headline(html: str) -> str:
    """The quick check's headline as the user reads it: the answer of the ``who_notifies`` statement
    (``<div id="statement-who_notifies">`` ... ``<strong>Duty to notify.</strong>``), without its full stop."""
    match = re.search(r'id="statement-who_notifies".*?<strong>(.*?)</strong>', html, re.S)
    assert match, "the quick check shows no who_notifies statement"
    return html_lib.unescape(match.group(1)).strip().removesuffix(".")


def headline_answer(category: str, used: Mapping[str, Any]) -> str:
    """The statement answer (pathway_rules/national/statements.yaml, ``who_notifies``) a headline category
    must be shown as, given the answers as used: the wording names the variant the answers call for."""
    dets = contract_determinations(used)
    capacity_doubt = used.get("capacity_concern") == "yes"
    if category == "nrm_referral_child":
        return "NRM referral (child)"
    if category == "seek_consent_and_duty_to_notify":
        return "Duty to notify, anonymously, and ask for consent when it is safe"
    if category == "duty_to_notify":
        return "Duty to notify, anonymously" if capacity_doubt else "Duty to notify"
    if category == "seek_consent":
        return "Ask for consent when it is safe" if dets["consent_status"] == "cannot_ask" else "Ask for consent first"
    if category == "nrm_referral":
        return "NRM referral" if dets["first_responder"] else "NRM referral by a first responder"
    if category == "neither":
        # "For now" only while a referral may still follow once capacity for the decision is assessed.
        slavery = dets["modern_slavery"] in ("yes", "possible")
        return "Neither, for now" if capacity_doubt and slavery else "Neither"
    assert category == "not_known_yet", category
    return "Not known yet"


def quick_reading(answers: Mapping[str, Any], quick_ids: set[str]) -> tuple[str, dict[str, Any]]:
    """The headline category contract v2's tables give on the quick answers alone, judged as the quick check
    judges them (not in order: a question the form does not ask is simply unanswered), and the answers used.
    nrm_referral, duty_to_notify and seek_consent depend only on quick questions."""
    used: dict[str, Any] = {}
    for qid in CONTRACT_QUESTIONS:
        if qid in quick_ids and qid in answers and contract_asks(qid, used, contract_determinations(used)):
            used[qid] = answers[qid]
    _, acts = contract_reading(used, LEWISHAM_FLAGS)
    return headline_from_actions({"answers": used, "actions": acts, "complete": True}), used


@pytest.mark.parametrize("case", SETS, ids=IDS)
def test_quick_check_headline(client: TestClient, case: dict[str, Any]) -> None:
    """The quick check, given the set's answers to the questions its form asks (those the pack marks
    ``quick_check: true``, safe_to_talk and consent_given_alone among them, which v2's consent_status
    needs), heads its answer with the statement the set's category gives."""
    quick_ids = {q.id for q in client.app.state.pathway.rulebook.questions if q.quick_check}  # type: ignore[attr-defined]
    form = client.get("/quick-check")
    assert form.status_code == 200
    assert set(re.findall(r'<input\b[^>]*\bname="([a-z_]+)"', form.text)) == quick_ids
    pairs = [(qid, value) for qid, value in case["answers"].items() if qid in quick_ids]
    assert all(isinstance(value, str) for _, value in pairs)
    page = post_form(client, "/quick-check", pairs)
    assert page.status_code == 200
    used, _, _ = contract_walk(case["answers"])
    category = case["quick_check"]
    if category == "not_known_yet" and case["next_question"] not in quick_ids:
        # The full walk stops at a question the quick check never asks; the headline does not depend on it
        # (only on quick questions), so the quick check already knows what the full walk will say: it must
        # give the answer contract v2's tables give on the quick answers, not "Not known yet".
        category, used = quick_reading(case["answers"], quick_ids)
        assert category != "not_known_yet"
    elif category == "not_known_yet":
        # The walk stops at a quick question the set leaves unanswered: the quick check cannot know either,
        # and the answers it can still give are those the tables give for each answer to it.
        assert case["next_question"] not in case["answers"]
    assert read_headline(page.text) == headline_answer(category, used)

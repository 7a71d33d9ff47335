"""The walk's contract behaviour, case by case: answers in, outcome out (contract v2)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from app.engine.assessment import assess
from app.engine.errors import AnswerError
from app.engine.outcome import Outcome, ReferralOut
from app.engine.rulebook import Rulebook
from tests.conftest import TODAY

# The seed's three cases (issue §7), with everything not stated answered no, or none.
TYRONE: dict[str, Any] = {
    "immediate_danger": "no", "age_group": "adult", "organisation": "local_authority",
    "communication_support": "no", "safe_to_talk": "yes", "action": "yes", "purpose": "yes",
    "exploited_as_child": "no", "means": "yes", "exploitation_types": ["labour"], "partner_or_family_exploiter": "no",
    "capacity_concern": "no", "consent_nrm": "yes", "care_support_needs": "no", "dependent_children": "no",
    "other_victims": "no",
    "homeless_or_at_risk": "no", "arrested_or_charged": "no", "immediate_needs": [], "longer_term_needs": [],
}
LINH: dict[str, Any] = {
    **TYRONE, "organisation": "ngo_first_responder", "communication_support": "yes",
    "communication_needs": ["spoken_language"], "consent_nrm": "no",
    "homeless_or_at_risk": "tonight", "immediate_needs": ["accommodation", "interpreter"],
}
COUNTY_LINES: dict[str, Any] = {
    "immediate_danger": "no", "age_group": "child", "organisation": "police", "communication_support": "no",
    "safe_to_talk": "yes", "action": "yes", "purpose": "yes", "exploitation_types": ["criminal"],
    "partner_or_family_exploiter": "no", "dependent_children": "no", "other_victims": "no",
    "homeless_or_at_risk": "no", "arrested_or_charged": "yes", "immediate_needs": [], "longer_term_needs": [],
}
# An adult about whom nothing was confirmed: modern slavery is only possible.
UNCONFIRMED: dict[str, Any] = {
    **TYRONE, "action": "unsure", "purpose": "unsure", "means": "unsure", "slavery_servitude_forced_labour": "no",
    "exploitation_types": [],
}
# An adult whose answers rule out modern slavery and exploitation.
NOT_EXPLOITED: dict[str, Any] = {
    "immediate_danger": "no", "age_group": "adult", "organisation": "police", "communication_support": "no",
    "safe_to_talk": "yes", "action": "no", "purpose": "no", "slavery_servitude_forced_labour": "no",
    "work_concerns": "no", "homeless_or_at_risk": "no",
}
# Asked only of adults (v2 asks dependent_children and other_victims of everyone).
ADULT_ONLY = ("exploited_as_child", "means", "capacity_concern", "consent_nrm", "care_support_needs")


def run(book: Rulebook, answers: Mapping[str, Any], **kwargs: Any) -> Outcome:
    kwargs.setdefault("today", TODAY)
    return assess(book, answers, **kwargs)


def ids(outcome: Outcome) -> list[str]:
    return [r.id for r in outcome.referrals]


def referral(outcome: Outcome, aid: str) -> ReferralOut:
    found = [r for r in outcome.referrals if r.id == aid]
    assert found, f"{aid} is not listed: {ids(outcome)}"
    return found[0]


def reasons(outcome: Outcome, aid: str) -> str:
    return " ".join(referral(outcome, aid).reasons)


def steps(book: Rulebook, answers: Mapping[str, Any], **kwargs: Any) -> Iterator[tuple[dict[str, Any], Outcome]]:
    """Answer one question at a time, as the stateless API is used: the answers posted, and the outcome."""
    posted: dict[str, Any] = {}
    outcome = run(book, posted, **kwargs)
    yield dict(posted), outcome
    while outcome.next_question is not None:
        qid = outcome.next_question.id
        assert qid not in posted, f"{qid} asked twice"
        posted[qid] = answers[qid]
        outcome = run(book, posted, **kwargs)
        yield dict(posted), outcome


def finish(book: Rulebook, answers: Mapping[str, Any], **kwargs: Any) -> Outcome:
    *_, (_, last) = steps(book, answers, **kwargs)
    return last


def without_ignored(outcome: Outcome) -> dict[str, Any]:
    return outcome.model_dump(exclude={"ignored_answers"})


@pytest.fixture(params=["national", "lewisham"])
def book(request: pytest.FixtureRequest) -> Rulebook:
    """The national pack alone, and the default deployment with the Lewisham overlay."""
    found: Rulebook = request.getfixturevalue(f"{request.param}_book")
    return found


# --------------------------------------------------------------------------- the order of the walk


def test_first_question_is_immediate_danger(book: Rulebook) -> None:
    """With no answers the walk asks immediate_danger first, lists nothing and knows nothing yet."""
    outcome = run(book, {})
    assert outcome.next_question is not None
    assert outcome.next_question.id == "immediate_danger"
    assert outcome.next_question.type == "tri_state"
    assert [o.value for o in outcome.next_question.options] == ["yes", "no", "unsure"]
    assert not outcome.complete
    assert outcome.referrals == []
    assert all(v is None for v in outcome.determinations.model_dump().values())
    assert all(v is None for v in outcome.elements.model_dump().values())
    assert outcome.ignored_answers == []


@pytest.mark.parametrize("danger", ["yes", "unsure"])
def test_999_listed_right_after_immediate_danger(book: Rulebook, danger: str) -> None:
    """Answering immediate_danger yes or unsure lists emergency_999 at once, first, at urgency 1,
    before any other question is answered."""
    outcome = run(book, {"immediate_danger": danger})
    assert ids(outcome) == ["emergency_999"]
    call = outcome.referrals[0]
    assert call.urgency == 1 and not call.provisional
    assert call.contact is not None and call.contact.phone == "999"
    assert outcome.next_question is not None and outcome.next_question.id == "age_group"


def test_no_999_when_no_one_is_in_danger(book: Rulebook) -> None:
    """immediate_danger no lists no emergency call, now or at the end."""
    assert "emergency_999" not in ids(run(book, {"immediate_danger": "no"}))
    assert "emergency_999" not in ids(run(book, TYRONE))


def test_999_stays_first_among_other_urgent_actions(book: Rulebook) -> None:
    """With several act-now actions (interpreter, speak alone, children's services, emergency support)
    the 999 call is still first, at every step of the walk."""
    answers = {**COUNTY_LINES, "immediate_danger": "unsure", "communication_support": "yes",
               "communication_needs": ["spoken_language"], "safe_to_talk": "no"}
    for _, outcome in list(steps(book, answers))[1:]:
        assert ids(outcome)[0] == "emergency_999"
    final = run(book, answers)
    assert [r.id for r in final.referrals if r.urgency == 1] == [
        "emergency_999", "interpreter", "speak_alone", "childrens_social_care"]
    # v2: a consent given while they could not be seen alone counts only if given alone earlier.
    adult = run(book, {**LINH, "immediate_danger": "yes", "consent_nrm": "yes", "safe_to_talk": "unsure",
                       "consent_given_alone": "yes"})
    assert adult.complete
    assert ids(adult)[:5] == ["emergency_999", "interpreter", "speak_alone", "victim_care_contract", "nrm_referral"]


def test_a_question_not_yet_answered_is_not_unsure(book: Rulebook) -> None:
    """Determinations stay null until the answers settle them: unanswered questions are not read as
    'unsure', so nothing that 'possible' would bring is listed before they are answered."""
    start = {"immediate_danger": "no"}
    assert run(book, start).determinations.treated_as_child is None
    known = {**start, "age_group": "adult", "organisation": "police", "communication_support": "no",
             "safe_to_talk": "yes"}
    early = run(book, known)
    assert early.determinations.treated_as_child is False
    assert early.determinations.first_responder is True
    assert early.determinations.trafficking is None
    assert early.determinations.modern_slavery is None
    assert early.elements.model_dump() == {"action": None, "means": None, "purpose": None}
    assert "police_report" not in ids(early) and "modern_slavery_helpline" not in ids(early)
    unsure = run(book, {**known, "action": "unsure", "purpose": "unsure", "exploited_as_child": "no",
                        "means": "unsure", "slavery_servitude_forced_labour": "unsure"})
    assert unsure.determinations.trafficking == "possible"
    assert unsure.determinations.modern_slavery == "possible"
    assert unsure.elements.model_dump() == {"action": "unknown", "means": "unknown", "purpose": "unknown"}
    assert "police_report" in ids(unsure)


def test_a_determination_is_reported_as_soon_as_it_is_settled(book: Rulebook) -> None:
    """An adult with no exploitation: trafficking is 'no' as soon as purpose is no, while modern slavery
    stays null until slavery, servitude or forced labour is answered."""
    answers = {k: NOT_EXPLOITED[k] for k in ("immediate_danger", "age_group", "organisation",
                                             "communication_support", "safe_to_talk", "action", "purpose")}
    outcome = run(book, answers)
    assert outcome.determinations.trafficking == "no"
    assert outcome.determinations.modern_slavery is None
    assert outcome.next_question is not None
    assert outcome.next_question.id == "slavery_servitude_forced_labour"
    assert outcome.elements.means == "not_assessed"
    assert run(book, NOT_EXPLOITED).determinations.modern_slavery == "no"


def test_early_urgency_is_the_most_urgent_it_could_still_take(book: Rulebook) -> None:
    """A child's referral to children's services is listed as soon as the age is known, at urgency 1
    (it could still be needed now), marked provisional; once the answers show no exploitation, no
    danger and somewhere safe to stay, it settles at 2. Answering more never removes it."""
    early = run(book, {"immediate_danger": "no", "age_group": "child"})
    first = referral(early, "childrens_social_care")
    assert (first.urgency, first.provisional) == (1, True)
    answers = {**NOT_EXPLOITED, "age_group": "child", "exploitation_types": []}
    final = run(book, answers)
    assert final.complete
    assert (referral(final, "childrens_social_care").urgency, referral(final, "childrens_social_care").provisional) \
        == (2, False)
    for _, outcome in list(steps(book, answers))[2:]:
        assert "childrens_social_care" in ids(outcome)


def test_next_question_is_null_exactly_when_complete(book: Rulebook) -> None:
    """At every step of the seed cases, complete is true exactly when next_question is null, and the walk
    ends complete having asked each question once."""
    for answers in (TYRONE, LINH, COUNTY_LINES, NOT_EXPLOITED):
        seen = list(steps(book, answers))
        for _, outcome in seen:
            assert outcome.complete is (outcome.next_question is None)
        assert seen[-1][1].complete
        assert all(not o.complete for _, o in seen[:-1])


# --------------------------------------------------------------------------- posting answers


def test_answers_posted_in_any_order(book: Rulebook) -> None:
    """The order of the answers in the request does not matter."""
    for answers in (TYRONE, LINH, COUNTY_LINES):
        forward = run(book, answers)
        backward = run(book, dict(reversed(list(answers.items()))))
        assert forward.model_dump() == backward.model_dump()


def test_a_later_answer_posted_early_waits_for_the_earlier_ones(book: Rulebook) -> None:
    """An answer to a later question, posted before the questions that decide whether it is asked, is
    neither used nor ignored yet; once the earlier answers come, it is used and not asked again."""
    outcome = run(book, {"consent_nrm": "yes"})
    assert outcome.next_question is not None and outcome.next_question.id == "immediate_danger"
    assert outcome.ignored_answers == []
    assert "consent_nrm" not in [a.id for a in outcome.answered]
    asked = [o.next_question.id for _, o in steps(book, TYRONE) if o.next_question]
    before_consent = {k: TYRONE[k] for k in asked[: asked.index("consent_nrm")]}
    posted = run(book, {**before_consent, "consent_nrm": "yes"})
    assert posted.next_question is not None and posted.next_question.id != "consent_nrm"
    assert "consent_nrm" in [a.id for a in posted.answered]


def test_posting_everything_at_once_equals_one_at_a_time(book: Rulebook) -> None:
    """For each seed case, posting all the answers in one request ends exactly where answering one
    question at a time ends."""
    for answers in (TYRONE, LINH, COUNTY_LINES, UNCONFIRMED, NOT_EXPLOITED):
        at_once = run(book, answers)
        one_by_one = finish(book, answers)
        assert without_ignored(at_once) == without_ignored(one_by_one)
        assert one_by_one.ignored_answers == []


def test_answers_off_the_path_are_ignored_for_a_child(book: Rulebook) -> None:
    """For a child, answers to consent_nrm, means, capacity and the other adult questions are not used:
    they are listed in ignored_answers and the outcome is the one without them."""
    adult_answers = {k: TYRONE[k] for k in ADULT_ONLY}
    with_extra = run(book, {**COUNTY_LINES, **adult_answers})
    assert sorted(with_extra.ignored_answers) == sorted(ADULT_ONLY)
    assert without_ignored(with_extra) == without_ignored(run(book, COUNTY_LINES))
    assert "seek_consent" not in ids(with_extra) and "victim_care_contract" not in ids(with_extra)
    assert with_extra.elements.means == "not_required"


def test_changing_an_answer_back_restores_the_held_answers(book: Rulebook) -> None:
    """The caller keeps every answer: changing the age to child sets the adult answers aside (ignored),
    and changing it back uses them again, giving exactly the earlier outcome."""
    adult = run(book, TYRONE)
    as_child = run(book, {**TYRONE, "age_group": "child"})
    assert {"consent_nrm", "means", "capacity_concern"} <= set(as_child.ignored_answers)
    assert "nrm_referral" in ids(as_child) and "childrens_social_care" in ids(as_child)
    back = run(book, {**TYRONE, "age_group": "child"} | {"age_group": "adult"})
    assert back.model_dump() == adult.model_dump()
    assert back.ignored_answers == []


def test_purpose_no_ignores_the_questions_it_makes_pointless(book: Rulebook) -> None:
    """Once purpose is no, exploited_as_child and means are skipped (the contract's example): posted
    anyway, they are ignored, and the test card shows means as not assessed."""
    outcome = run(book, {**NOT_EXPLOITED, "exploited_as_child": "no", "means": "yes"})
    assert outcome.complete
    assert sorted(outcome.ignored_answers) == ["exploited_as_child", "means"]
    assert outcome.elements.means == "not_assessed"
    assert outcome.elements.purpose == "not_met"


# --------------------------------------------------------------------------- the deployment's preset


def test_organisation_preset_skips_the_question_and_says_so(book: Rulebook) -> None:
    """A deployment that presets the organisation never asks it; the walk uses the preset and states the
    assumption in plain words; the answer is shown as coming from the preset."""
    answers = {k: v for k, v in TYRONE.items() if k != "organisation"}
    for _, outcome in steps(book, answers, preset={"organisation": "police"}):
        assert outcome.next_question is None or outcome.next_question.id != "organisation"
    final = run(book, answers, preset={"organisation": "police"})
    assert final.complete
    assert final.determinations.first_responder is True
    assert final.determinations.duty_to_notify_basis == "statutory"
    assert "organisation_preset" in final.assumption_ids
    assert any("deployment's setting" in a and "Police" in a for a in final.assumptions)
    org = [a for a in final.answered if a.id == "organisation"]
    assert len(org) == 1 and org[0].preset and org[0].answer == "police"


def test_an_answer_in_the_request_wins_over_the_preset(book: Rulebook) -> None:
    """When the request gives an organisation, the preset is not used and no assumption is stated."""
    outcome = run(book, {**TYRONE, "organisation": "health"}, preset={"organisation": "police"})
    assert outcome.determinations.first_responder is False
    assert "organisation_preset" not in outcome.assumption_ids
    assert "first_responder_contact" in ids(outcome)


def test_a_bad_preset_is_an_answer_error(book: Rulebook) -> None:
    """A preset outside the question's values is refused like an answer."""
    with pytest.raises(AnswerError, match="organisation"):
        run(book, {}, preset={"organisation": "fire_service"})


# --------------------------------------------------------------------------- needs and contacts

ALL_IMMEDIATE = ["hot_food", "clothes", "hygiene", "accommodation", "health", "interpreter", "legal_advice",
                 "safe_transport"]
ALL_LONGER = ["community_support", "asylum", "family_contact", "education_employment", "repatriation",
              "english", "legal_aid", "substance_misuse"]


def test_a_childs_needs_are_met_through_childrens_services(book: Rulebook) -> None:
    """For anyone treated as a child, every need chosen is met through children's services, with the
    cautions still shown."""
    for age in ("child", "uncertain"):
        outcome = run(book, {**COUNTY_LINES, "age_group": age, "immediate_needs": ALL_IMMEDIATE,
                             "longer_term_needs": ALL_LONGER})
        needs = outcome.needs.immediate + outcome.needs.longer_term
        assert [n.id for n in needs] == ALL_IMMEDIATE + ALL_LONGER
        for need in needs:
            assert need.service.name == book.child_route.name
            assert "children" in need.service.name.lower()
        assert {n.id for n in needs if n.caution} >= {"family_contact", "repatriation", "interpreter"}


def test_an_adults_needs_show_the_lewisham_service_or_none_recorded(lewisham_book: Rulebook) -> None:
    """With the Lewisham pack each of an adult's needs names the local service that meets it, or says
    plainly 'No local service recorded'; nothing is invented, and a contact no primary source confirms
    says 'Confirm locally'."""
    outcome = run(lewisham_book, {**TYRONE, "immediate_needs": ALL_IMMEDIATE, "longer_term_needs": ALL_LONGER})
    services = {n.id: n.service for n in outcome.needs.immediate + outcome.needs.longer_term}
    assert set(services) == set(ALL_IMMEDIATE + ALL_LONGER)
    assert services["health"].name == "University Hospital Lewisham, Emergency Department"
    assert services["health"].recorded
    accommodation = services["accommodation"]
    assert accommodation.name == "Lewisham Housing Options"
    assert accommodation.contact is not None and accommodation.contact.phone == "020 8314 7007"
    assert "020 8314 7007" in (accommodation.details or "")  # the out-of-hours line, in words
    assert services["community_support"].recorded
    assert services["asylum"].name.startswith("Lewisham Refugee and Migrant Network") and services["asylum"].recorded
    assert services["hot_food"].name == "No local service recorded" and not services["hot_food"].recorded
    assert services["family_contact"].name == "No local service recorded"
    substance = services["substance_misuse"].contact
    assert substance is not None and "Confirm locally" in substance.notices  # a regulator's 2022 listing
    for service in services.values():
        assert service.recorded == (service.name != "No local service recorded")


def test_the_national_pack_alone_records_no_local_services(national_book: Rulebook) -> None:
    """Without a local pack every adult need says 'No local service recorded'."""
    outcome = run(national_book, {**TYRONE, "immediate_needs": ALL_IMMEDIATE, "longer_term_needs": ALL_LONGER})
    for need in outcome.needs.immediate + outcome.needs.longer_term:
        assert need.service.name == "No local service recorded"
        assert not need.service.recorded


def test_only_the_needs_chosen_come_back(book: Rulebook) -> None:
    """An empty multi-choice means none of these: no needs come back."""
    outcome = run(book, {**TYRONE, "immediate_needs": ["health"], "longer_term_needs": []})
    assert [n.id for n in outcome.needs.immediate] == ["health"]
    assert outcome.needs.longer_term == []
    assert "health_referral" in ids(outcome)


# --------------------------------------------------------------------------- staleness


def test_no_pack_warnings_on_the_review_date(book: Rulebook) -> None:
    """On the packs' review date no pack is stale: the only warnings are about contacts whose own date
    (checked, or else their source's) is more than 12 months old (tests/engine/test_contacts.py)."""
    outcome = run(book, LINH)
    stale = [c for r in outcome.referrals for c in r.contacts if c.stale]
    stale += [n.service.contact for n in outcome.needs.immediate + outcome.needs.longer_term
              if n.service.contact and n.service.contact.stale]
    assert len(outcome.warnings) == len({c.id for c in stale})
    assert all(w.startswith("The contact details for ") for w in outcome.warnings)
    assert not any(p.stale for p in outcome.packs)


def test_a_pack_reviewed_over_12_months_ago_is_warned_about(book: Rulebook) -> None:
    """A pack whose last_reviewed is more than 12 months before today is named in a warning; exactly 12
    months is not yet stale."""
    reviewed = min(p.last_reviewed for p in book.packs)
    a_year_on = dt.date(reviewed.year + 1, reviewed.month, reviewed.day)
    assert not any("rule pack" in w for w in run(book, LINH, today=a_year_on).warnings)
    later = run(book, LINH, today=a_year_on + dt.timedelta(days=1))
    pack_warnings = [w for w in later.warnings if "rule pack" in w]
    assert len(pack_warnings) == len(book.packs)
    for pack in book.packs:
        assert any(pack.name in w for w in pack_warnings)
    assert all(p.stale for p in later.packs)


# --------------------------------------------------------------------------- reasons


def test_reasons_quote_the_labels_of_the_answers(book: Rulebook) -> None:
    """Reasons quote the user's answers as they saw them (the option's label), not the stored value."""
    outcome = run(book, {**LINH, "immediate_danger": "unsure", "consent_nrm": "not_asked"})
    assert "“Not sure”" in reasons(outcome, "emergency_999")
    assert "“A qualified interpreter for a spoken language”" in reasons(outcome, "interpreter")
    assert "“Yes, nowhere safe tonight”" in reasons(outcome, "housing_referral")
    assert "“Not asked yet”" in reasons(outcome, "seek_consent")
    assert "“Labour or financial exploitation”" in reasons(outcome, "labour_enforcement")
    for r in outcome.referrals:
        assert not re.search(r"\{[a-z_]+\}", " ".join(r.reasons)), r.id


@pytest.mark.parametrize(("danger", "shown", "hidden"), [
    ("yes", "someone is in immediate danger now", "not sure whether"),
    ("unsure", "not sure whether", "someone is in immediate danger now"),
])
def test_reasons_show_only_the_branches_that_held(book: Rulebook, danger: str, shown: str, hidden: str) -> None:
    """The 999 call explains itself by the answer actually given: yes and not sure read differently."""
    text = reasons(run(book, {"immediate_danger": danger}), "emergency_999")
    assert shown in text
    assert hidden not in text


def test_helpline_reasons_differ_by_why_it_is_listed(book: Rulebook) -> None:
    """The Helpline's reasons read differently when modern slavery is possible (for a first responder)
    and when the organisation is not a first responder (and nothing else was found)."""
    possible = run(book, {**UNCONFIRMED, "organisation": "police"})
    assert possible.determinations.modern_slavery == "possible"
    text = reasons(possible, "modern_slavery_helpline")
    assert "Modern slavery is possible" in text
    assert "not a first responder" not in text

    not_fr = run(book, {**NOT_EXPLOITED, "organisation": "health"})
    assert not_fr.determinations.modern_slavery == "no"
    helpline = referral(not_fr, "modern_slavery_helpline")
    assert helpline.urgency == 2
    text = " ".join(helpline.reasons)
    assert "“NHS or other health service”" in text and "is not a first responder" in text
    assert "Modern slavery is" not in text and "Exploitation was reported" not in text
    assert ids(not_fr) == ["modern_slavery_helpline"]


def test_helpline_reason_when_exploitation_is_reported_but_the_test_is_not_met(book: Rulebook) -> None:
    """Exploitation reported but modern slavery not indicated: the Helpline is listed to advise, and
    the reason says so, in words that follow the answer (v2 words the answer rather than quoting its label)."""
    answers = {**NOT_EXPLOITED, "purpose": "unsure", "exploited_as_child": "no", "means": "no",
               "exploitation_types": [], "partner_or_family_exploiter": "no", "capacity_concern": "no",
               "care_support_needs": "no", "dependent_children": "no", "arrested_or_charged": "no",
               "immediate_needs": [], "longer_term_needs": []}
    outcome = run(book, answers)
    assert outcome.complete and outcome.determinations.modern_slavery == "no"
    text = reasons(outcome, "modern_slavery_helpline")
    assert "not sure whether they were exploited" in text and "test for modern slavery is not met" in text
    assert "Modern slavery is" not in text
    said_yes = run(book, {**answers, "purpose": "yes"})
    assert said_yes.complete and said_yes.determinations.modern_slavery == "no"
    text = reasons(said_yes, "modern_slavery_helpline")
    assert "You said they were exploited" in text and "test for modern slavery is not met" in text
    assert "not sure whether" not in text and "Modern slavery is" not in text


def test_nrm_reasons_for_a_child_and_for_an_adult(book: Rulebook) -> None:
    """The NRM referral explains consent by who the person is: no consent for a child, the adult's
    informed consent quoted otherwise."""
    child = reasons(run(book, COUNTY_LINES), "nrm_referral")
    assert "without consent" in child and "Children's services must be contacted first" in child
    assert "informed consent" not in child
    adult = reasons(run(book, TYRONE), "nrm_referral")
    assert "informed consent (“They consent”)" in adult and "without consent" not in adult


# --------------------------------------------------------------------------- answer errors


def test_unknown_question_id_is_an_error_with_a_suggestion(book: Rulebook) -> None:
    """An unknown id is refused, naming it and suggesting the closest question."""
    with pytest.raises(AnswerError) as caught:
        run(book, {"purpsoe": "yes"})
    (problem,) = caught.value.problems
    assert problem.question == "purpsoe"
    assert "did you mean 'purpose'?" in problem.message
    assert "purpose" in problem.allowed


def test_unknown_question_far_from_any_id_has_no_suggestion(book: Rulebook) -> None:
    """An id like nothing in the pack is refused without a misleading suggestion; protected inputs
    such as nationality are not questions at all."""
    with pytest.raises(AnswerError) as caught:
        run(book, {"nationality": "british"})
    assert "'nationality' is not a question" in str(caught.value)
    assert "did you mean" not in str(caught.value)


@pytest.mark.parametrize(("answers", "question", "words"), [
    ({"purpose": "maybe"}, "purpose", ["'maybe'", "yes, no, unsure"]),
    ({"age_group": "teenager"}, "age_group", ["'teenager'", "child, adult, uncertain"]),
    ({"purpose": True}, "purpose", ["True", "yes, no, unsure"]),
    ({"purpose": ["yes"]}, "purpose", ["single value, not a list"]),
    ({"organisation": ["police", "nca"]}, "organisation", ["single value, not a list"]),
    ({"immediate_needs": "health"}, "immediate_needs", ["takes a list", "'health'", "hot_food"]),
    ({"immediate_needs": ["flying"]}, "immediate_needs", ["'flying'", "allowed options"]),
    ({"immediate_needs": ["health", "health"]}, "immediate_needs", ["'health' more than once"]),
])
def test_bad_answers_are_errors_naming_the_question_and_allowed_values(
    book: Rulebook, answers: dict[str, Any], question: str, words: list[str]
) -> None:
    """A value outside the question's values, a list for a single choice, a string for a multi-choice
    and a duplicated option are refused, naming the question and what is allowed."""
    with pytest.raises(AnswerError) as caught:
        run(book, answers)
    (problem,) = caught.value.problems
    assert problem.question == question
    assert problem.allowed == list(book.question(question).values)
    for word in words:
        assert word in problem.message


def test_every_bad_answer_is_reported_at_once(book: Rulebook) -> None:
    """Several bad answers give one error listing each of them; good answers beside them do not matter."""
    with pytest.raises(AnswerError) as caught:
        run(book, {"immediate_danger": "no", "purpsoe": "yes", "action": "perhaps", "longer_term_needs": "english"})
    assert [p.question for p in caught.value.problems] == ["purpsoe", "action", "longer_term_needs"]


def test_an_empty_multi_choice_is_none_of_these(book: Rulebook) -> None:
    """[] is a valid answer to a multi-choice question."""
    outcome = run(book, {**TYRONE, "exploitation_types": []})
    assert outcome.complete
    assert "labour_enforcement" not in ids(outcome)


# --------------------------------------------------------------------------- what the reasons must say


def test_police_report_for_an_adult_without_consent_shares_without_identifying(book: Rulebook) -> None:
    """An adult who declined the NRM: share intelligence about the exploiters and places without
    identifying them, unless they agree or others are at risk; police cooperation is never a condition of
    support. The same for labour enforcement."""
    outcome = run(book, LINH)
    text = reasons(outcome, "police_report")
    for words in ("exploiters and places", "without identifying them", "unless they agree",
                  "others (such as children) are at risk", "never a condition of support"):
        assert words in text
    labour = reasons(outcome, "labour_enforcement")
    assert "without identifying them" in labour and "never a condition of support" in labour


def test_police_report_without_consent_when_capacity_is_in_doubt(book: Rulebook) -> None:
    """Consent is not asked while capacity is in doubt; the police report still protects their identity."""
    outcome = run(book, {**LINH, "capacity_concern": "yes"})
    assert "consent_nrm" in outcome.ignored_answers
    assert "without identifying them" in reasons(outcome, "police_report")
    assert "nrm_referral" not in ids(outcome) and "adult_safeguarding" in ids(outcome)


@pytest.mark.parametrize("organisation", ["police", "labour_enforcement"])
def test_a_police_or_labour_user_records_it_in_their_own_organisation(book: Rulebook, organisation: str) -> None:
    """For a police or labour-enforcement user the intelligence is recorded, not shared, still without
    identifying the person, and support never depends on their cooperation. A police user's police report
    is recording the crime in their own force (v2), never "report to the police"."""
    outcome = run(book, {**LINH, "organisation": organisation})
    for aid in ("police_report", "labour_enforcement"):
        text = reasons(outcome, aid)
        assert "record the intelligence" in text.lower() and "without identifying them" in text
        assert "share intelligence" not in text.lower()
    assert "Record the intelligence in your own organisation" in reasons(outcome, "labour_enforcement")
    assert "never a condition of support" in reasons(outcome, "police_report")
    police = referral(outcome, "police_report")
    if organisation == "police":
        assert police.title == "Record the crime and intelligence in your force"
        text = reasons(outcome, "police_report")
        assert "your force's procedures" in text and "modern slavery lead" in text
        assert "police need the intelligence" not in text
    else:
        # a labour enforcement officer records it in their own organisation and shares it with the police
        assert police.title == "Share intelligence with the police"
        assert "share it with the police" in police.summary


def test_police_report_with_consent_says_engagement_is_their_choice(book: Rulebook) -> None:
    """With consent, the identity caution is not shown; engaging with the police remains their choice."""
    text = reasons(run(book, TYRONE), "police_report")
    assert "without identifying" not in text
    assert "their choice" in text and "never depends on it" in text


def test_seek_consent_says_what_to_explain_first(book: Rulebook) -> None:
    """seek_consent lists what to explain first, and for a duty holder that notifying is still required
    when consent cannot be obtained."""
    outcome = run(book, {**TYRONE, "consent_nrm": "not_asked"})
    text = reasons(outcome, "seek_consent")
    for words in ("what the NRM is", "support it offers", "possible outcomes", "police", "councils",
                  "withdraw at any time", "confidentiality is not absolute", "notify the Home Office anonymously now"):
        assert words in text
    charity = reasons(run(book, {**TYRONE, "organisation": "ngo_first_responder", "consent_nrm": "not_asked"}),
                      "seek_consent")
    assert "notify the Home Office" not in charity


@pytest.mark.parametrize(("organisation", "basis", "consent"), [
    ("local_authority", "statutory (Modern Slavery Act 2015 s52)", "no"),
    ("police", "statutory (Modern Slavery Act 2015 s52)", "cannot_ask"),
    ("home_office", "Home Office policy", "no"),
])
def test_duty_to_notify_states_its_basis_and_anonymity(
    book: Rulebook, organisation: str, basis: str, consent: str
) -> None:
    """duty_to_notify states its basis (statutory, or Home Office policy) and that it is anonymous unless
    the person agrees otherwise; a charity holds no duty."""
    outcome = run(book, {**TYRONE, "organisation": organisation, "consent_nrm": consent})
    text = reasons(outcome, "duty_to_notify")
    assert basis in text
    assert "anonymous unless the person agrees otherwise" in text
    assert "nrm_referral" not in ids(outcome)
    assert "duty_to_notify" not in ids(run(book, LINH))


@pytest.mark.parametrize(("arrested", "urgency"), [("yes", 2), ("unsure", 3)])
def test_legal_advice_defence_reasons(book: Rulebook, arrested: str, urgency: int) -> None:
    """legal_advice_defence: tell the investigating officer and the solicitor now; a lawyer decides
    whether the statutory defence applies; some offences are excluded."""
    outcome = run(book, {**COUNTY_LINES, "arrested_or_charged": arrested})
    item = referral(outcome, "legal_advice_defence")
    assert item.urgency == urgency
    text = " ".join(item.reasons)
    for words in ("investigating officer", "solicitor", "A lawyer decides", "statutory defence",
                  "some serious offences are excluded"):
        assert words in text
    # v2: for a child, an appropriate adult, the youth justice service, and no need to show compulsion.
    for words in ("appropriate adult", "youth justice service", "do not need to show they were compelled"):
        assert words in text


@pytest.mark.parametrize(("homeless", "urgency"), [("tonight", 2), ("unsure", 2), ("within_56_days", 3)])
def test_housing_referral_reasons(book: Rulebook, homeless: str, urgency: int) -> None:
    """housing_referral: with the person's consent and to the council of their choice; a legal duty for
    the bodies that hold it (v2: named to the health and council users who may hold it, not to a charity);
    the council decides eligibility."""
    item = referral(run(book, {**LINH, "homeless_or_at_risk": homeless}), "housing_referral")
    assert item.urgency == urgency
    text = " ".join(item.reasons)
    for words in ("consent", "council of their choice", "council decides whether they are eligible"):
        assert words in text
    assert "legal duty to refer" not in text
    health = referral(run(book, {**LINH, "organisation": "health", "homeless_or_at_risk": homeless}),
                      "housing_referral")
    assert health.urgency == urgency
    text = " ".join(health.reasons)
    for words in ("consent", "council of their choice", "legal duty to refer", "emergency departments",
                  "council decides whether they are eligible"):
        assert words in text


@pytest.mark.parametrize("age", ["adult", "child"])
def test_family_contact_and_repatriation_come_with_a_caution(book: Rulebook, age: str) -> None:
    """Making contact with family and returning home are only after a risk assessment and legal advice."""
    base = TYRONE if age == "adult" else COUNTY_LINES
    outcome = run(book, {**base, "longer_term_needs": ["family_contact", "repatriation", "english"]})
    cautions = {n.id: n.caution for n in outcome.needs.longer_term}
    for nid in ("family_contact", "repatriation"):
        caution = cautions[nid]
        assert caution is not None and "risk assessment" in caution and "legal advice" in caution
    assert cautions["english"] is None


def test_nrm_referral_with_nothing_confirmed_asks_for_their_own_words(book: Rulebook) -> None:
    """An NRM referral when no element was confirmed says to record the indicators in the person's own
    words; with the elements confirmed it does not."""
    unconfirmed = run(book, UNCONFIRMED)
    assert unconfirmed.determinations.modern_slavery == "possible"
    assert "own words" in reasons(unconfirmed, "nrm_referral")
    assert "nothing_confirmed" in unconfirmed.assumption_ids
    assert "own words" not in reasons(run(book, TYRONE), "nrm_referral")


THRESHOLD = re.compile(
    r"reasonable grounds|suspect,? but cannot prove|objective factors|falling short of conclusive proof"
    r"|\bthreshold\b|balance of probabilities",
    re.IGNORECASE,
)


def pack_texts(book: Rulebook) -> Iterator[str]:
    """Every sentence a pack can show."""
    for q in (*book.questions, *book.optional_questions):
        yield from (q.text, q.short, q.help or "", q.why, *q.indicators, q.none_label or "")
        for o in q.options:
            yield from (o.label, o.hint or "")
    for a in book.actions:
        yield from (a.title, a.summary, a.who_acts, *(r.text for r in a.reasons))
    for d in book.determinations:
        yield from (d.label, *map(str, d.value_labels.values()), *(c.because or "" for c in d.cases))
    for e in book.elements:
        yield from (e.label, *(b.because for b in (*e.not_required, *e.unknown)))
    yield from (a.text for a in book.assumptions)
    yield from (g.text for g in book.guidance)
    for n in book.needs.values():
        yield from (n.label, n.caution or "")
        if n.service is not None:
            yield from (n.service.name or "", n.service.details or "")
    yield from (book.child_route.name or "", book.child_route.details or "")
    for c in book.contacts.values():
        yield from (c.name, c.notes or "")
    yield from (r.text for r in book.invariants.never)
    yield from (r.text for r in book.invariants.always)
    yield from (r.text for r in book.invariants.ordering)


def test_no_sentence_states_a_reasonable_grounds_threshold(book: Rulebook) -> None:
    """No text in the packs, nor any outcome of the seed cases, states the reasonable grounds threshold;
    the competent authority decides."""
    texts = list(pack_texts(book))
    assert len(texts) > 200
    offending = [t for t in texts if THRESHOLD.search(t)]
    assert offending == []
    for answers in (TYRONE, LINH, COUNTY_LINES, UNCONFIRMED):
        dumped = run(book, answers).model_dump_json()
        assert not THRESHOLD.search(dumped)
    assert any("competent authority decides" in t for t in texts)

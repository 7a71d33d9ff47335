"""Changing an answer from the action plan: the walk re-routes, and answers set aside come back."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, Request, expect

from tests.browser.walker import answer, continue_walk, seed_answers, walk

pytestmark = pytest.mark.browser


def change(page: Page, short: str, qid: str) -> None:
    """Press the Change link for one answer in the "Your answers" list."""
    link = page.get_by_role("link", name=f"Change {short}", exact=True)
    expect(link).to_have_attribute("href", re.compile(rf"/q/{qid}\b"))
    link.click()
    page.wait_for_url(re.compile(rf"/q/{qid}\?change=1$"))


def test_change_age_to_child_and_back(any_page: Page) -> None:
    """An adult's plan, changed to a child, drops consent (never asked) and adult-only referrals;
    changed back to an adult, the earlier answers and the adult plan return."""
    page = any_page
    walk(page, seed_answers("tyrone"))
    expect(page.locator("#referral-nrm_referral")).to_be_visible()
    expect(page.locator("#referral-victim_care_contract")).to_be_visible()
    expect(page.locator("#referral-childrens_social_care")).to_have_count(0)
    answers = page.locator("dl.answers")
    expect(answers).to_contain_text("Consent to an NRM referral")

    requested: list[str] = []

    def record(request: Request) -> None:
        requested.append(request.url)

    page.on("request", record)
    change(page, "age", "age_group")
    expect(page.get_by_role("radio", name="18 or over", exact=True)).to_be_checked()
    # Back from a change returns to the plan.
    expect(page.get_by_role("link", name="Back")).to_have_attribute("href", re.compile(r"/outcome$"))
    assert answer(page, "child") is None  # straight back to the plan: nothing new to ask

    expect(page.get_by_role("heading", level=1)).to_have_text("Your action plan")
    expect(page.locator("#referral-childrens_social_care")).to_be_visible()
    expect(page.locator("#referral-nrm_referral")).to_be_visible()  # a child is referred without consent
    for adult_only in ("victim_care_contract", "seek_consent", "duty_to_notify"):
        expect(page.locator(f"#referral-{adult_only}")).to_have_count(0)
    expect(answers).not_to_contain_text("Consent to an NRM referral")
    expect(page.locator("a[href*='/q/consent_nrm']")).to_have_count(0)
    expect(page.locator("#ignored-answers")).to_contain_text("Consent to an NRM referral")
    assert not [url for url in requested if "consent_nrm" in url], requested

    change(page, "age", "age_group")
    expect(page.get_by_role("radio", name="Under 18", exact=True)).to_be_checked()
    assert answer(page, "adult") is None
    expect(page.locator("#referral-victim_care_contract")).to_be_visible()
    expect(page.locator("#referral-nrm_referral")).to_be_visible()
    expect(page.locator("#referral-childrens_social_care")).to_have_count(0)
    expect(page.locator("#ignored-answers")).to_have_count(0)
    consent = answers.locator("div", has_text="Consent to an NRM referral")
    expect(consent.locator("dd").first).to_have_text("They consent")
    assert not [url for url in requested if "consent_nrm" in url], requested


def test_change_to_a_path_that_needs_more_answers(any_page: Page) -> None:
    """Changing purpose from no to yes on a short plan asks the questions the new path needs, then
    returns to the plan."""
    page = any_page
    answers = {**seed_answers("tyrone"), "purpose": "no", "slavery_servitude_forced_labour": "no",
               "work_concerns": "no"}  # asked of an adult when modern slavery is "no"
    asked = walk(page, answers)
    assert "consent_nrm" not in asked
    expect(page.locator("#referral-nrm_referral")).to_have_count(0)
    change(page, "purpose (exploitation)", "purpose")
    assert answer(page, "yes") is not None  # the walk goes on from here, not back to the plan
    asked_now = continue_walk(page, seed_answers("tyrone"))
    assert {"means", "consent_nrm"} <= set(asked_now)
    assert not {"immediate_danger", "age_group", "organisation"} & set(asked_now)  # kept, not asked again
    expect(page.locator("#referral-nrm_referral")).to_be_visible()

"""The diagram, training mode with what-if, and the quick check in a real browser, with and without JavaScript."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("js", [False, True])
def test_diagram_nodes_link_to_their_text(js: bool, js_page: Page, nojs_page: Page) -> None:
    """Selecting a question in the drawn pathway (the advanced view) takes you to its text and source."""
    page = js_page if js else nojs_page
    page.goto("/pathway/graph")
    expect(page.get_by_role("heading", level=1)).to_have_text("Every rule and what it reads")
    page.locator('svg a[href="#node-consent_nrm"]').click()
    expect(page).to_have_url(re.compile(r"#node-consent_nrm$"))
    row = page.locator("#node-consent_nrm")
    expect(row).to_contain_text("Asked when:")
    expect(row).to_contain_text("Source:")


@pytest.mark.parametrize("js", [False, True])
def test_training_step_through_and_what_if(js: bool, js_page: Page, nojs_page: Page) -> None:
    """A trainer opens Linh's case, steps through it, reaches the outcome, and flips her consent."""
    page = js_page if js else nojs_page
    page.goto("/training")
    page.get_by_role("link", name=re.compile("Linh")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Linh")
    page.get_by_role("link", name="Step through the case").click()
    expect(page.get_by_text("Expected answer: No.")).to_be_visible()
    for step in range(2, 40):
        expect(page.locator("#expected-answer")).to_be_visible()
        if page.get_by_role("link", name="See the outcome").count():
            break
        page.get_by_role("link", name="Next question").click()
        page.wait_for_url(re.compile(rf"/step/{step}$"))
    page.get_by_role("link", name="See the outcome").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Outcome and explanation")
    expect(page.locator("#referral-housing_referral")).to_be_visible()
    page.locator("#flip-consent_nrm").select_option("consent_nrm:yes")
    page.get_by_role("button", name="Show what changes").click()
    expect(page.locator("#action-change-nrm_referral")).to_contain_text("added")
    expect(page.locator("#action-change-victim_care_contract")).to_contain_text("Act now")


def test_what_if_pending_question_is_answered_by_the_trainer(nojs_page: Page) -> None:
    """A flip that opens an unanswered question shows it as pending; answering it completes the comparison."""
    page = nojs_page
    page.goto("/training/seed_tyrone/outcome")
    page.locator("#flip-purpose").select_option("purpose:no")
    page.get_by_role("button", name="Show what changes").click()
    pending = page.locator("#pending")
    expect(pending).to_contain_text("Pending:")
    expect(pending.locator("input:checked")).to_have_count(0)  # never pre-selected
    # Version 2 opens a second question once modern slavery is "no" (concerns about pay or work):
    # each pending question is answered in turn until the comparison is complete.
    for _ in range(3):
        if not pending.count():
            break
        box = pending.get_by_label("No", exact=True)
        qid = box.get_attribute("name")
        box.check()
        page.get_by_role("button", name="Answer and compare").click()
        page.wait_for_url(re.compile(rf"[?&]{qid}=no\b"))
    expect(page.locator("#pending")).to_have_count(0)
    expect(page.locator("#action-change-nrm_referral")).to_contain_text("removed")


def test_what_if_changes_several_answers_and_builds_on_them(nojs_page: Page) -> None:
    """Age and means changed together on Tyrone's case; then one more change keeps both."""
    page = nojs_page
    page.goto("/training/seed_tyrone/outcome")
    page.get_by_label("Age", exact=True).select_option("age_group:child")
    page.get_by_label("Means (coercion or deception)", exact=True).select_option("means:no")
    page.get_by_role("button", name="Show what changes").click()
    expect(page.locator("#changed-answers li")).to_have_count(2)
    form = page.locator("#what-if-form")
    expect(form.locator("#flip-age_group")).to_have_value("age_group:child")
    expect(form.locator("#flip-means")).to_have_value("means:no")
    form.locator("#flip-immediate_danger").select_option("immediate_danger:yes")
    form.get_by_role("button", name="Show what changes").click()
    expect(page.locator("#changed-answers li")).to_have_count(3)
    expect(page.locator("#action-change-emergency_999")).to_contain_text("added")


def test_quick_check_without_javascript(nojs_page: Page) -> None:
    """Without JavaScript every question shows; the answer comes after pressing Check, ignored answers said."""
    page = nojs_page
    page.goto("/quick-check")
    group = page.locator("#group-age_group")
    group.get_by_label("Under 18", exact=True).check()
    page.locator("#group-consent_nrm").get_by_label("They declined", exact=True).check()
    page.get_by_role("button", name="Check").click()
    expect(page.locator("#statement-consent_needed")).to_contain_text("No.")
    expect(page.locator("#ignored-answers")).to_contain_text("Consent to an NRM referral")
    expect(page.locator("#group-consent_nrm")).to_be_visible()
    expect(page.locator("#group-consent_nrm")).to_contain_text("Not needed")
    expect(page.locator("#group-consent_nrm input").first).to_be_disabled()  # shown, but not needed


def test_quick_check_with_javascript_shows_only_relevant_questions(js_page: Page) -> None:
    """With JavaScript the answer updates as you choose, and questions that cannot matter disappear."""
    page = js_page
    page.goto("/quick-check")
    expect(page.locator("#group-consent_nrm")).to_be_visible()
    page.locator("#group-age_group").get_by_label("Under 18", exact=True).check()
    expect(page.locator("#group-consent_nrm")).to_be_hidden()
    expect(page.locator("#group-means")).to_be_hidden()
    expect(page.locator("#statement-consent_needed")).to_contain_text("No.")
    page.locator("#group-age_group").get_by_label("18 or over", exact=True).check()
    expect(page.locator("#group-consent_nrm")).to_be_visible()  # an adult may need to consent
    expect(page.locator("#group-means")).to_be_visible()
    for group, label in (("immediate_danger", "No"), ("organisation", "Police (including British Transport Police)"),
                         ("safe_to_talk", "Yes"), ("action", "Yes"), ("purpose", "Yes"), ("exploited_as_child", "No"),
                         ("means", "Yes"), ("capacity_concern", "No")):
        page.locator(f"#group-{group}").get_by_label(label, exact=True).check()
        expect(page.locator(f"#group-{group} input:checked")).to_have_count(1)
    page.locator("#group-consent_nrm").get_by_label("They declined", exact=True).check()
    expect(page.locator("#group-consent_given_alone")).to_have_count(1)
    expect(page.locator("#group-consent_given_alone")).to_be_hidden()  # they spoke alone: their answer stands
    expect(page.locator("#statement-who_notifies")).to_contain_text("Duty to notify")

"""Browser history, reload and tabs: the walk behaves like ordinary web pages."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from app.web.walk_token import cookie_name
from tests.browser.conftest import walk_id
from tests.browser.walker import answer, current_question, seed_answers, start, walk_to

pytestmark = pytest.mark.browser

TYRONE = seed_answers("tyrone")


def on_question(page: Page, qid: str, checked: str | None = None) -> None:
    """The page shows question ``qid`` (with the answer ``checked`` ticked, if given)."""
    page.wait_for_url(re.compile(rf"/q/{qid}$"))
    expect(page.locator(f"input[name='{qid}']").first).to_be_visible()
    # With htmx, Back reloads the page (no history cache, by design); a further Back before that
    # page's scripts have run would change only the address, as no one would be listening yet.
    page.wait_for_load_state("domcontentloaded")
    if checked is not None:
        expect(page.locator(f"input[name='{qid}'][value='{checked}']")).to_be_checked()


def test_back_and_forward(any_page: Page) -> None:
    """Back shows the earlier questions with the answers given; Forward returns to where you were."""
    page = any_page
    walk_to(page, TYRONE, "communication_support")
    page.go_back()
    on_question(page, "council_service")  # Lewisham's optional question for council staff, skipped
    page.go_back()
    on_question(page, "organisation", "local_authority")
    page.go_back()
    on_question(page, "age_group", "adult")
    page.go_forward()
    on_question(page, "organisation", "local_authority")
    page.go_forward()
    on_question(page, "council_service")
    page.go_forward()
    on_question(page, "communication_support")
    # The walk carries on from here as if nothing happened.
    assert answer(page, "no") == "safe_to_talk"


def test_back_link_then_change_an_answer(any_page: Page) -> None:
    """The Back link goes to the previous question; a new answer there carries on from that point."""
    page = any_page
    walk_to(page, TYRONE, "communication_support")
    page.get_by_role("link", name="Back").click()
    on_question(page, "organisation", "local_authority")
    assert answer(page, "police") == "communication_support"
    page.get_by_role("link", name="Back").click()
    on_question(page, "organisation", "police")


def test_reload_mid_walk_keeps_the_answers(any_page: Page) -> None:
    """Reloading a question keeps you on it, with every answer so far kept."""
    page = any_page
    walk_to(page, TYRONE, "safe_to_talk")
    page.reload()
    on_question(page, "safe_to_talk")
    page.get_by_role("link", name="Back").click()
    on_question(page, "communication_support", "no")
    page.reload()
    on_question(page, "communication_support", "no")
    assert answer(page, "no") == "safe_to_talk"


def test_two_cases_in_two_tabs_stay_separate(any_page: Page) -> None:
    """Two tabs of one browser hold two cases: their own walk, their own cookie, their own answers."""
    first = any_page
    second = first.context.new_page()
    start(first)
    start(second)
    first_id, second_id = walk_id(first), walk_id(second)
    assert first_id != second_id
    assert answer(first, "yes") == "age_group"
    assert answer(second, "no") == "age_group"
    assert answer(first, "adult") == "organisation"
    assert answer(second, "child") == "organisation"

    names = {c["name"]: c for c in first.context.cookies()}
    assert cookie_name(first_id) in names and cookie_name(second_id) in names
    assert names[cookie_name(first_id)]["value"] != names[cookie_name(second_id)]["value"]
    assert names[cookie_name(first_id)]["path"] == f"/w/{first_id}"
    assert names[cookie_name(first_id)]["httpOnly"] and names[cookie_name(first_id)]["sameSite"] == "Strict"

    for page in (first, second):
        page.reload()
        on_question(page, "organisation")
    expect(first.locator("#banner-emergency_999")).to_be_visible()
    expect(second.locator("#banner-emergency_999")).to_have_count(0)
    first.get_by_role("link", name="Back").click()
    on_question(first, "age_group", "adult")
    second.get_by_role("link", name="Back").click()
    on_question(second, "age_group", "child")
    assert current_question(first) == current_question(second) == "age_group"

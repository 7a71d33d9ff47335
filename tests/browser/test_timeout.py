"""The time-out warning, on a server whose walks expire 6 seconds after the last step."""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.browser.a11y import check_axe, check_reflow
from tests.browser.walker import answer, walk_to

pytestmark = pytest.mark.browser

WAIT_MS = 15_000  # the warning comes 3 seconds after a step, expiry 4 seconds after that


def warning(page: Page):  # type: ignore[no-untyped-def]
    return page.get_by_role("dialog", name="Your answers will be cleared soon")


def test_carry_on_keeps_the_walk_alive(short_page: Page) -> None:
    """The warning appears before the answers expire, with "Carry on" focused; carrying on renews
    the walk, so it can go on well past the moment it would have expired."""
    page = short_page
    walk_to(page, {"immediate_danger": "no"}, "age_group")
    dialog = warning(page)
    expect(dialog).to_be_hidden()
    expect(dialog).to_be_visible(timeout=WAIT_MS)
    expect(dialog).to_contain_text("cleared in 3 seconds")
    carry_on = dialog.get_by_role("button", name="Carry on with my answers")
    expect(carry_on).to_be_focused()
    carry_on.click()
    expect(dialog).to_be_hidden()
    # The warning comes round again 3 seconds later: by then the first cookie would have expired.
    expect(dialog).to_be_visible(timeout=WAIT_MS)
    page.keyboard.press("Escape")  # Escape means carry on too
    expect(dialog).to_be_hidden()
    assert answer(page, "adult") == "organisation"
    page.get_by_role("link", name="Back").click()
    page.wait_for_url(re.compile(r"/q/age_group$"))
    expect(page.get_by_role("radio", name="18 or over")).to_be_checked()


def test_expired_walk_shows_the_expired_page(short_page: Page, axe: Axe) -> None:
    """Left alone, the warning appears and then the answers expire: the page says so and offers
    to start again, and the case's pages are no longer reachable. The open warning and the expired
    page pass axe (WCAG 2.2 AA: no serious or critical violations)."""
    page = short_page
    walk_to(page, {"immediate_danger": "no"}, "age_group")
    case_url = page.url
    expect(warning(page)).to_be_visible(timeout=WAIT_MS)
    check_axe(axe, page, "time-out warning")
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text("Your answers have timed out", timeout=WAIT_MS)
    expect(page.get_by_text("answers are cleared 6 seconds after the last one you gave")).to_be_visible()
    check_axe(axe, page, "expired page")
    check_reflow(page, "expired page")
    page.goto(case_url)
    expect(heading).not_to_have_text("How old is the person?")
    page.get_by_role("button", name="Start again").click()
    page.wait_for_url(re.compile(r"/q/immediate_danger$"))


def test_clear_my_answers_from_the_warning(short_page: Page) -> None:
    """"Clear my answers" in the warning clears the walk and returns to the start page."""
    page = short_page
    walk_to(page, {"immediate_danger": "no"}, "age_group")
    dialog = warning(page)
    expect(dialog).to_be_visible(timeout=WAIT_MS)
    dialog.get_by_role("button", name="Clear my answers").click()
    expect(page.get_by_role("button", name="Start now")).to_be_visible()
    assert not [c for c in page.context.cookies() if c["name"].startswith("pathway_walk_")]

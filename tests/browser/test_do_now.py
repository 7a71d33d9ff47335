"""The plan's "Do now" card (issue 10): at 2 am on a phone, what to do now and whom to phone are on
the first screen, before any reasons or sources."""

from __future__ import annotations

import re
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.browser.a11y import check_axe
from tests.browser.walker import seed_answers, walk

pytestmark = pytest.mark.browser

# The review's walk 1a (../shared/reviews/ux-walkthrough.md): a police officer at 2 am, on a phone,
# with a 15-year-old found in a cannabis grow house whose age is not known, who needs an interpreter,
# and whose "uncle" waits outside.
WALK_1A: dict[str, Any] = {
    "immediate_danger": "yes", "age_group": "uncertain", "organisation": "police",
    "communication_support": "yes", "communication_needs": ["spoken_language"], "safe_to_talk": "yes",
    "action": "yes", "purpose": "yes", "slavery_servitude_forced_labour": "unsure",
    "exploitation_types": ["criminal"], "partner_or_family_exploiter": "no", "dependent_children": "no",
    "other_victims": "unsure", "homeless_or_at_risk": "tonight", "arrested_or_charged": "no",
    "immediate_needs": ["hot_food", "accommodation", "interpreter"], "longer_term_needs": [],
}
CASES = {"tyrone": seed_answers("tyrone"), "linh": seed_answers("linh"),
         "county_lines": seed_answers("county_lines"), "walk_1a": WALK_1A}
VIEWPORTS = [(375, 667), (1280, 800)]
FIRST_SCREEN = 667  # the first phone screen, at both widths


def due_now(page: Page, answers: dict[str, Any]) -> list[dict[str, Any]]:
    """The act-now and today actions for these answers, from the JSON API, most urgent first."""
    response = page.request.post("/api/v2/assess", data={"answers": answers})
    assert response.ok, response.text()
    due = [r for r in response.json()["referrals"] if r["urgency"] <= 2]
    return sorted(due, key=lambda r: r["urgency"])


def bottom(page: Page, selector: str) -> float:
    """How far down the page an element ends, in CSS pixels from the top of the document."""
    return float(page.evaluate(
        "s => { const r = document.querySelector(s).getBoundingClientRect(); return r.bottom + window.scrollY; }",
        selector))


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_card_is_on_the_first_screen(js_page: Page, axe: Axe, name: str) -> None:
    """At 375x667 and 1280x800: the card's heading, its first act-now line and its first number
    other than 999 end within the first 667 px; every act-now and today action is in the card, in
    the pack's words for this user, and the card ends within two screens. axe finds nothing serious."""
    page = js_page
    walk(page, CASES[name])
    expect(page.get_by_role("heading", level=1)).to_have_text("Your action plan")
    due = due_now(page, CASES[name])
    assert due, name
    card = page.get_by_role("region", name="Do now")
    items = card.locator("ol > li")
    expect(items).to_have_count(len(due))
    for item, action in zip(items.all(), due, strict=True):
        expect(item.get_by_role("link", name=action["short_title"], exact=True)).to_have_attribute(
            "href", f"#referral-{action['id']}")
        expect(item.locator(".who")).to_have_text(action["who_acts"])
    for href in card.locator("a[href^='tel:']").evaluate_all("links => links.map(a => a.getAttribute('href'))"):
        assert re.fullmatch(r"tel:\d+", href), href
    expect(card.locator("a[href^='tel:']:not([href='tel:999'])").first).to_be_visible()
    for width, height in VIEWPORTS:
        page.set_viewport_size({"width": width, "height": height})
        page.evaluate("window.scrollTo(0, 0)")
        where = {
            "heading": bottom(page, "#do-now-title"),
            "first act-now line": bottom(page, ".do-now ol > li"),
            "first number other than 999": bottom(page, ".do-now a[href^='tel:']:not([href='tel:999'])"),
        }
        late = {what: y for what, y in where.items() if y > FIRST_SCREEN}
        assert not late, f"{name} at {width}x{height}: below the first {FIRST_SCREEN} px: {late}"
        end = bottom(page, ".do-now")
        assert end <= 2 * height, f"{name} at {width}x{height}: the card ends at {end} px"
    if name == "walk_1a":
        expect(items.first).to_contain_text("Act now")
    check_axe(axe, page, f"the plan ({name})")


def test_copy_and_print_are_in_the_card(js_page: Page) -> None:
    """With JavaScript, Copy and Print are in the card; Print opens the browser's print dialog. The
    reasons and each contact's notes are folded, below the card."""
    page = js_page
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    walk(page, WALK_1A)
    card = page.get_by_role("region", name="Do now")
    expect(card.get_by_role("button", name="Copy the summary")).to_be_visible()
    page.evaluate("window.print = () => { window.__printed = true; }")
    card.get_by_role("button", name="Print this plan").click()
    assert page.evaluate("window.__printed") is True
    card.get_by_role("button", name="Copy the summary").click()
    expect(card.get_by_role("status")).to_have_text("The summary was copied. Paste it into your case notes.")
    expect(card.get_by_role("link", name="Case notes")).to_have_attribute("href", "#case-notes")
    action = page.locator("#referral-childrens_social_care")
    why = action.locator("details.why")
    expect(why.locator("li").first).to_be_hidden()
    why.locator("summary").click()
    expect(why.locator("li").first).to_be_visible()
    expect(action.locator(".contact__notes").first).to_be_hidden()

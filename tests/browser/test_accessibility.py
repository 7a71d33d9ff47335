"""axe-core on every kind of page: no serious or critical WCAG 2.2 AA violations; reflow at 320 px."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.browser.a11y import check_axe, check_reflow
from tests.browser.walker import answer, seed_answers, start, walk, walk_to

pytestmark = pytest.mark.browser


def _start(page: Page) -> None:
    page.goto("/")


def _question(page: Page) -> None:
    walk_to(page, seed_answers("linh"), "exploitation_types")


def _error(page: Page) -> None:
    start(page)
    answer(page, "unsure")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("alert")).to_be_visible()


def _outcome(page: Page) -> None:
    walk(page, {**seed_answers("linh"), "immediate_danger": "yes",  # every urgent banner
                "communication_needs": ["spoken_language", "cognitive"], "safe_to_talk": "no",
                "consent_given_alone": "no"})


def _change(page: Page) -> None:
    walk(page, seed_answers("county_lines"))
    page.get_by_role("link", name="Change age", exact=True).click()
    expect(page.get_by_role("radio", name="Under 18", exact=True)).to_be_checked()


def _problem(page: Page) -> None:
    page.goto("/w/abcdefghijklmnop/q/immediate_danger")
    expect(page.get_by_role("button", name="Start again")).to_be_visible()


def _accessibility(page: Page) -> None:
    page.goto("/accessibility")


def _privacy(page: Page) -> None:
    page.goto("/privacy")


def _not_found(page: Page) -> None:
    page.goto("/no-such-page")


def _pathway(page: Page) -> None:
    page.goto("/pathway")


def _training_step(page: Page) -> None:
    page.goto("/training/seed_linh/step/3")


def _what_if(page: Page) -> None:
    page.goto("/training/seed_tyrone/what-if?flip=purpose:no")
    expect(page.locator("#pending")).to_be_visible()


def _quick_check(page: Page) -> None:
    page.goto("/quick-check")
    page.locator("#group-age_group").get_by_label("Under 18", exact=True).check()
    expect(page.locator("#statement-consent_needed")).to_be_visible()


PAGES: dict[str, Callable[[Page], None]] = {
    "start": _start, "question": _question, "error": _error, "outcome": _outcome, "change": _change,
    "walk problem": _problem, "accessibility": _accessibility, "privacy": _privacy, "not found": _not_found,
    "pathway diagram": _pathway, "training step": _training_step, "what-if": _what_if, "quick check": _quick_check,
}


@pytest.mark.parametrize("what", list(PAGES))
def test_no_serious_violations(js_page: Page, axe: Axe, what: str) -> None:
    """Each kind of page passes axe (WCAG 2.0, 2.1, 2.2 A and AA) and reads at 320 px wide."""
    PAGES[what](js_page)
    expect(js_page.get_by_role("heading", level=1)).to_be_visible()
    check_axe(axe, js_page, what)
    check_reflow(js_page, what)


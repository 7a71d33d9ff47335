"""A whole case walked with the keyboard alone: no mouse, every stop with a visible focus."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.test_seed_walks import EXPECTED
from tests.browser.walker import current_question, seed_answers

pytestmark = pytest.mark.browser

FOCUS_YELLOW = "255, 221, 0"
# The focus style, read from the element itself or, for our radios and checkboxes, the box drawn
# by the label's ::before.
FOCUS_STYLE = """e => {
  const own = getComputedStyle(e);
  const label = e.labels && e.labels[0] ? getComputedStyle(e.labels[0], '::before') : null;
  return [own.backgroundColor, own.boxShadow, own.outlineColor, label ? label.boxShadow : ''].join(' | ');
}"""


def tab_to(page: Page, target: Locator, limit: int = 40) -> None:
    """Press Tab until ``target`` has the focus, then check the focus can be seen."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("e => e === document.activeElement"):
            style = target.evaluate(FOCUS_STYLE)
            assert FOCUS_YELLOW in style, f"no visible focus on {target}: {style}"
            return
    raise AssertionError(f"Tab never reached {target}")


def choose(page: Page, qid: str, value: Any) -> None:
    """Choose an answer with the keyboard: Space on checkboxes; for radios, Tab into the group and
    Space, or the arrow keys to move to the answer (a radio group is one Tab stop)."""
    if isinstance(value, list):
        for v in value or ["none"]:
            box = page.locator(f"input[name='{qid}'][value='{v}']")
            tab_to(page, box)
            page.keyboard.press("Space")
            expect(box).to_be_checked()
        return
    radios = page.locator(f"input[name='{qid}']")
    values = [r.get_attribute("value") for r in radios.all()]
    tab_to(page, radios.first)
    page.keyboard.press("Space")
    for _ in range(values.index(value)):
        page.keyboard.press("ArrowDown")
    expect(page.locator(f"input[name='{qid}'][value='{value}']")).to_be_checked()


def test_keyboard_only_walk(any_page: Page) -> None:
    """With Tab, Space, Enter (and the arrow keys inside a radio group), a user reaches the
    county lines plan: skip link, Start now, every question, Continue, with focus always visible."""
    page = any_page
    answers = seed_answers("county_lines")
    page.goto("/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("#main")).to_be_focused()
    tab_to(page, page.get_by_role("button", name="Start now"))
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/q/immediate_danger$"))

    for _ in range(30):
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        qid = current_question(page)
        if qid is None:
            break
        if qid in answers:
            choose(page, qid, answers[qid])
            tab_to(page, page.get_by_role("button", name="Continue"))
        else:
            tab_to(page, page.get_by_role("button", name="Skip this question"))
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r"/(q/(?!" + qid + r"\b)[a-z_]+|outcome)$"))

    expect(page.get_by_role("heading", level=1)).to_have_text("Your action plan")
    present, absent = EXPECTED["county_lines"]
    for aid in present:
        expect(page.locator(f"#referral-{aid}")).to_be_visible()
    for aid in absent:
        expect(page.locator(f"#referral-{aid}")).to_have_count(0)
    # The Change links are reachable too.
    tab_to(page, page.get_by_role("link", name="Change age", exact=True), limit=80)

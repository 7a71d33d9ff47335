"""Plain words, contacts and the pathway flow in a real browser: axe, reflow and nothing cut off."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.browser.a11y import check_axe, check_reflow

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("url", ["/contacts", "/glossary"])
def test_reference_pages_pass_axe_and_reflow(js_page: Page, axe: Axe, url: str) -> None:
    page = js_page
    page.goto(url)
    expect(page.get_by_role("contentinfo").get_by_role("link", name="Contacts")).to_be_visible()
    check_axe(axe, page, url)
    check_reflow(page, url)


def test_pathway_flow_fits_1280_and_reads_at_320(js_page: Page, axe: Axe) -> None:
    """At 1280 x 800 nothing scrolls sideways or is cut off, the trafficking test's branches sit side by
    side, and the action columns fit the page; at 320 px it reflows into one column of text."""
    page = js_page
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto("/pathway")
    assert page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") <= 0
    clipped = page.evaluate("""() => [...document.querySelectorAll('#main *')]
        .filter(e => !e.closest('.visually-hidden') && e.scrollWidth > e.clientWidth + 1
                     && getComputedStyle(e).overflowX !== 'visible')
        .map(e => e.id || e.className)""")
    assert not clipped, clipped
    main = page.locator("#main").bounding_box()
    assert main
    for box in page.locator(".flow__box").all():
        b = box.bounding_box()
        assert b and b["x"] >= main["x"] - 1 and b["x"] + b["width"] <= main["x"] + main["width"] + 1
    child, adult = (b.bounding_box() for b in page.locator(".flow__branch").all())
    assert child and adult and abs(child["y"] - adult["y"]) < 1 and adult["x"] > child["x"]
    check_axe(axe, page, "/pathway")
    check_reflow(page, "/pathway")

"""The printed action plan (at most two A4 pages, dated, with the packs' versions) and the case notes."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_seed_walks import EXPECTED
from tests.browser.walker import seed_answers, walk

pytestmark = pytest.mark.browser

# The Do now card, then each action with who acts and its contacts, the test card and the date; the
# reasons and each contact's notes are left to the case notes (issue 10).
MAX_PRINTED_PAGES = 2
PAGE_OBJECT = re.compile(rb"/Type\s*/Page(?![a-zA-Z])")


def pdf_pages(pdf: bytes) -> int:
    """The number of pages in a PDF: its /Type /Page objects (Chromium writes them uncompressed)."""
    assert pdf.startswith(b"%PDF-")
    return len(PAGE_OBJECT.findall(pdf))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_printed_plan_fits_two_pages(nojs_page: Page, name: str) -> None:
    """Printing a seed case's plan gives at most two A4 pages showing the date, the Do now card,
    every action with who acts and its contacts, the test card and the packs' versions, without the
    page's controls."""
    page = nojs_page
    walk(page, seed_answers(name))
    packs = page.request.get("/api/v2/pathway").json()["packs"]
    page.emulate_media(media="print")

    today = dt.date.today().strftime("%d %B %Y")
    expect(page.locator("#summary-date")).to_have_text(f"Pathway summary, {today}")
    expect(page.locator("#summary-date")).to_be_visible()
    rules = page.locator("#packs")
    expect(rules).to_be_visible()
    for pack in packs:
        expect(rules).to_contain_text(f"version {pack['version']}")
    expect(page.get_by_role("region", name="Do now")).to_be_visible()
    for aid in EXPECTED[name][0]:
        expect(page.locator(f"#referral-{aid}")).to_be_visible()
        expect(page.locator(f"#referral-{aid} .action__facts")).to_contain_text("Who acts")
        contacts = page.locator(f"#referral-{aid} .contact")
        for i in range(contacts.count()):
            expect(contacts.nth(i).locator(".contact__name")).to_be_visible()
        expect(page.locator(f"#referral-{aid} .why")).to_be_hidden()  # reasons: in the case notes
    expect(page.locator(".test-card")).to_be_visible()
    for control in ("Exit this page", "Clear answers and start again"):
        expect(page.get_by_role("button", name=control).or_(page.get_by_role("link", name=control))).to_be_hidden()
    expect(page.get_by_role("heading", name="Case notes")).to_be_hidden()
    expect(page.locator("header")).to_be_hidden()

    pages = pdf_pages(page.pdf(format="A4"))
    assert 1 <= pages <= MAX_PRINTED_PAGES, f"{name}: {pages} pages"


def test_copy_the_case_notes(js_page: Page) -> None:
    """With JavaScript, "Copy the summary" puts the plain-text summary on the clipboard and says so."""
    page = js_page
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    walk(page, seed_answers("tyrone"))
    page.get_by_role("button", name="Copy the summary").click()
    expect(page.get_by_role("status")).to_have_text("The summary was copied. Paste it into your case notes.")
    text = page.evaluate("navigator.clipboard.readText()")
    assert text.startswith("Pathway summary for case notes")
    assert "Refer to the National Referral Mechanism" in text


def test_case_notes_without_javascript(nojs_page: Page) -> None:
    """Without JavaScript there is no Copy button; the summary opens as plain text to select, or
    downloads (with a warning about shared Downloads folders)."""
    page = nojs_page
    walk(page, seed_answers("county_lines"))
    expect(page.get_by_role("button", name="Copy the summary")).to_be_hidden()
    expect(page.get_by_text("shared Downloads folder")).to_be_visible()
    download = page.get_by_role("link", name="Download the summary as a text file")
    expect(download).to_have_attribute("download", "")
    page.get_by_role("link", name="Show the summary as plain text").click()
    expect(page.locator("body")).to_contain_text("Pathway summary for case notes")
    expect(page.locator("body")).to_contain_text("Refer to children's social care")
    page.go_back()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your action plan")

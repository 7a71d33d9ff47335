"""The seed's three cases, walked to their expected action plans in a real browser."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.walker import seed_answers, walk

pytestmark = pytest.mark.browser

EXPECTED = {
    "tyrone": (["nrm_referral", "victim_care_contract", "labour_enforcement", "police_report", "local_pathway"],
               ["duty_to_notify", "childrens_social_care", "seek_consent"]),
    "linh": (["interpreter", "housing_referral", "modern_slavery_helpline", "police_report", "labour_enforcement"],
             ["duty_to_notify", "nrm_referral", "seek_consent", "communication_adjustments"]),
    "county_lines": (["childrens_social_care", "nrm_referral", "child_trafficking_guardian",
                      "child_exploitation_pathway", "legal_advice_defence", "police_report"],
                     ["seek_consent", "duty_to_notify", "domestic_abuse_support"]),
}


def _check_outcome(page: Page, name: str) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text("Your action plan")
    present, absent = EXPECTED[name]
    for aid in present:
        expect(page.locator(f"#referral-{aid}")).to_be_visible()
    for aid in absent:
        expect(page.locator(f"#referral-{aid}")).to_have_count(0)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_seed_case_without_javascript(nojs_page: Page, name: str) -> None:
    """With JavaScript off, plain forms walk each seed case to its expected actions."""
    asked = walk(nojs_page, seed_answers(name))
    _check_outcome(nojs_page, name)
    if name == "county_lines":
        assert not {"consent_nrm", "consent_given_alone", "means", "work_concerns"} & set(asked)
        assert {"partner_or_family_exploiter", "dependent_children", "other_victims"} <= set(asked)  # for the record


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_seed_case_with_htmx(js_page: Page, name: str) -> None:
    """With htmx loaded, each step swaps in place (no full navigation) and ends on the same plan."""
    js_page.goto("/")
    assert js_page.evaluate("typeof window.htmx") == "object"
    js_page.evaluate("window.__pathwayMarker = 'still here'")
    walk(js_page, seed_answers(name), goto=False)
    _check_outcome(js_page, name)
    # The marker survives only if no step reloaded the document.
    assert js_page.evaluate("window.__pathwayMarker") == "still here"

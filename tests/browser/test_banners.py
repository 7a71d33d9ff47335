"""The urgent prompts appear in the one urgent banner as soon as they are due and stay on every
question after that (the plan lists them itself)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.walker import answer, current_question, seed_answers, start

pytestmark = pytest.mark.browser

# Each banner: the question that makes it due, and its words (the pack's short title) for the
# answers used below. The words follow the answer and the user: speak_alone says "Do not ask in
# front of others" when they cannot be seen alone, and a police user is told to get urgent
# assistance rather than to call 999.
BANNERS = {
    "emergency_999": "immediate_danger",
    "interpreter": "communication_support",
    "speak_alone": "safe_to_talk",
}
WORDS = {
    "emergency_999": "Call 999 now.",
    "interpreter": "Use a qualified interpreter.",
    "speak_alone": "Speak to them alone if safe.",
}


def check_banners(page: Page, due: list[str], words: dict[str, str] = WORDS) -> None:
    region = page.get_by_role("region", name="Urgent actions")
    if not due:
        expect(region).to_have_count(0)
        return
    expect(region).to_be_visible()
    for aid in BANNERS:
        banner = region.locator(f"#banner-{aid}")
        if aid in due:
            expect(banner).to_be_visible()
            expect(banner.locator("strong")).to_have_text(words[aid])
        else:
            expect(banner).to_have_count(0)
    expect(region.locator(".banner").first).to_have_id(f"banner-{due[0]}")  # 999 always first


@pytest.mark.parametrize(("mode", "danger", "alone", "alone_words"), [
    ("nojs", "yes", "no", "Do not ask in front of others."),
    ("htmx", "unsure", "unsure", "Speak to them alone if safe."),
])
def test_banners_appear_and_stay(any_page: Page, danger: str, alone: str, alone_words: str) -> None:
    """"Call 999 now" shows from the answer after immediate danger (yes or not sure) to the last
    question; "Use a qualified interpreter" and the speak-alone banner likewise, once due, in the
    words for the answer given."""
    page = any_page
    answers = {**seed_answers("linh"), "immediate_danger": danger, "communication_support": "unsure",
               "safe_to_talk": alone, "consent_given_alone": "no"}
    words = {**WORDS, "speak_alone": alone_words}
    start(page)
    due: list[str] = []
    check_banners(page, due)
    for _ in range(40):
        qid = current_question(page)
        if qid is None:
            break
        nxt = answer(page, answers[qid]) if qid in answers else skip(page)
        due += [aid for aid, trigger in BANNERS.items() if trigger == qid]
        # On the plan the act-now items lead the page themselves: no banner repeats them there.
        check_banners(page, due if nxt is not None else [], words)
        if nxt is None:
            break
    expect(page.get_by_role("heading", level=1)).to_have_text("Your action plan")
    assert due == ["emergency_999", "interpreter", "speak_alone"]
    for aid in due:
        expect(page.locator(f"#referral-{aid}")).to_be_visible()


def skip(page: Page) -> str | None:
    page.get_by_role("button", name="Skip this question").click()
    expect(page.get_by_role("button", name="Skip this question")).to_have_count(0)
    return current_question(page)


def test_no_banner_when_nothing_is_urgent(nojs_page: Page) -> None:
    """With no danger, no interpreter needed and the person seen alone, no urgent banner shows."""
    page = nojs_page
    start(page)
    for value in ("no", "adult", "police", "no", "yes"):
        answer(page, value)
        check_banners(page, [])


def test_new_banners_are_announced_once(js_page: Page) -> None:
    """With htmx, a banner that appears with a step is read out to screen readers (a polite live
    region outside the swapped content), and not again on the steps after."""
    page = js_page
    start(page)
    announcer = page.locator("#announcer")
    expect(announcer).to_have_attribute("aria-live", "polite")
    answer(page, "unsure")
    expect(announcer).to_contain_text("Call 999 now.")
    expect(page.get_by_role("heading", level=1)).to_be_focused()
    answer(page, "adult")
    expect(announcer).to_have_text("")
    answer(page, "police")
    # A police user is told to get urgent assistance, not to call 999 (the same banner, reworded).
    expect(page.locator("#banner-emergency_999 strong")).to_have_text("Get urgent assistance now.")
    answer(page, "yes")
    # Which communication support is needed decides the interpreter banner (version 2).
    answer(page, ["spoken_language"])
    expect(announcer).to_contain_text("Use a qualified interpreter.")
    expect(announcer).not_to_contain_text("Call 999")
    expect(announcer).not_to_contain_text("urgent assistance")

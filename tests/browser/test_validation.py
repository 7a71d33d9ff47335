"""Validation errors follow the GOV.UK pattern: a summary at the top, the message by the field."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.walker import answer, seed_answers, start, walk_to

pytestmark = pytest.mark.browser


def submit_expecting(page: Page, status: int) -> None:
    """Press Continue and check the status of the answer's POST."""
    with page.expect_response(lambda r: r.request.method == "POST" and "/q/" in r.url) as posted:
        page.get_by_role("button", name="Continue").click()
    assert posted.value.status == status


def test_nothing_chosen_shows_the_error_summary(any_page: Page, mode: str) -> None:
    """Continuing without an answer gives HTTP 422 and re-shows the question with "There is a
    problem" at the top, focused, linking to the options, and the message by the options."""
    page = any_page
    start(page)
    question_url = page.url
    if mode == "htmx":
        page.evaluate("window.__pathwayMarker = 'still here'")
    submit_expecting(page, 422)

    summary = page.get_by_role("alert")
    expect(summary).to_be_visible()
    expect(summary.get_by_role("heading", name="There is a problem")).to_be_visible()
    expect(summary).to_be_focused()  # by autofocus without JavaScript, by pathway.js with it
    expect(page).to_have_title(re.compile(r"^Error: "))
    assert page.url == question_url  # no new history entry for the error
    if mode == "htmx":
        assert page.evaluate("window.__pathwayMarker") == "still here"  # swapped in, not reloaded

    # The summary comes before the question, and its link points to the first option.
    heading = page.get_by_role("heading", level=1)
    summary_box, heading_box = summary.bounding_box(), heading.bounding_box()
    assert summary_box and heading_box and summary_box["y"] < heading_box["y"]
    link = summary.get_by_role("link", name="Select an answer")
    expect(link).to_have_attribute("href", "#immediate_danger")

    # The message sits by the field, and the group of options is described by it.
    group = page.get_by_role("group", name=re.compile("immediate danger"))
    message = group.locator("#immediate_danger-error")
    expect(message).to_have_text("Error: Select an answer")
    expect(group).to_have_attribute("aria-describedby", re.compile(r"\bimmediate_danger-error\b"))

    link.click()
    expect(page.locator("#immediate_danger")).to_be_focused()
    assert answer(page, "no") == "age_group"
    expect(page.get_by_role("alert")).to_have_count(0)


def test_none_of_these_with_another_option_is_an_error(nojs_page: Page) -> None:
    """Without JavaScript both can be ticked: "None of these" with another option is refused (422)."""
    page = nojs_page
    walk_to(page, seed_answers("tyrone"), "exploitation_types")
    page.get_by_role("checkbox", name="Labour or financial exploitation").check()
    page.get_by_role("checkbox", name=re.compile("^None of these")).check()
    submit_expecting(page, 422)
    expect(page.get_by_role("alert")).to_contain_text("not both")
    expect(page.locator("#exploitation_types-error")).to_contain_text("not both")
    expect(page.get_by_role("alert")).to_be_focused()

    # The boxes come back as they were ticked; unticking "None of these" is enough to go on.
    expect(page.get_by_role("checkbox", name="Labour or financial exploitation")).to_be_checked()
    none = page.get_by_role("checkbox", name=re.compile("^None of these"))
    expect(none).to_be_checked()
    none.uncheck()
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(re.compile(r"/q/(?!exploitation_types\b)[a-z_]+$"))


def test_empty_checkboxes_are_an_error(any_page: Page) -> None:
    """Ticking nothing at all on a checkbox question is an error, with or without JavaScript."""
    page = any_page
    walk_to(page, seed_answers("tyrone"), "exploitation_types")
    submit_expecting(page, 422)
    expect(page.get_by_role("alert")).to_contain_text("None of these")
    expect(page.get_by_role("alert")).to_be_focused()
    assert answer(page, ["labour"]) is not None


def test_none_of_these_unticks_the_others(js_page: Page) -> None:
    """With JavaScript, ticking "None of these" unticks the other options, and ticking an option
    unticks "None of these"."""
    page = js_page
    walk_to(page, seed_answers("tyrone"), "exploitation_types")
    labour = page.get_by_role("checkbox", name="Labour or financial exploitation")
    sexual = page.get_by_role("checkbox", name="Sexual exploitation")
    none = page.get_by_role("checkbox", name=re.compile("^None of these"))
    labour.check()
    sexual.check()
    none.check()
    expect(none).to_be_checked()
    expect(labour).not_to_be_checked()
    expect(sexual).not_to_be_checked()
    labour.check()
    expect(labour).to_be_checked()
    expect(none).not_to_be_checked()
    assert answer(page, ["labour"]) is not None


def test_not_known_with_another_option_is_an_error(nojs_page: Page) -> None:
    """"Not known yet" stands alone as "None of these" does: it comes after the "or", and without
    JavaScript ticking it with another option is refused (422) with a message that names it."""
    page = nojs_page
    walk_to(page, seed_answers("tyrone"), "exploitation_types")
    not_known = page.get_by_role("checkbox", name="Not known yet", exact=True)
    labour = page.get_by_role("checkbox", name="Labour or financial exploitation")
    after_or = page.locator(".checkboxes__divider ~ .checkboxes__item input")
    expect(after_or).to_have_count(2)
    expect(after_or.first).to_have_attribute("value", "not_known")
    labour.check()
    not_known.check()
    submit_expecting(page, 422)
    expect(page.get_by_role("alert")).to_contain_text("\u201cNot known yet\u201d, not both")
    expect(page.locator("#exploitation_types-error")).to_contain_text("Not known yet")
    expect(page.get_by_role("alert")).to_be_focused()
    expect(labour).to_be_checked()
    expect(not_known).to_be_checked()

    # "None of these" with "Not known yet" is refused too.
    labour.uncheck()
    page.get_by_role("checkbox", name=re.compile("^None of these")).check()
    submit_expecting(page, 422)
    expect(page.get_by_role("alert")).to_contain_text("not both")

    # "Not known yet" on its own goes on, and asks about pay and working conditions.
    page.get_by_role("checkbox", name=re.compile("^None of these")).uncheck()
    assert answer(page, ["not_known"]) == "work_concerns"


def test_not_known_unticks_the_others(js_page: Page) -> None:
    """With JavaScript, "Not known yet" behaves as "None of these" does: ticking it unticks every
    other box, and ticking any other box unticks it."""
    page = js_page
    walk_to(page, seed_answers("tyrone"), "exploitation_types")
    labour = page.get_by_role("checkbox", name="Labour or financial exploitation")
    sexual = page.get_by_role("checkbox", name="Sexual exploitation")
    not_known = page.get_by_role("checkbox", name="Not known yet", exact=True)
    none = page.get_by_role("checkbox", name=re.compile("^None of these"))
    labour.check()
    sexual.check()
    not_known.check()
    expect(not_known).to_be_checked()
    expect(labour).not_to_be_checked()
    expect(sexual).not_to_be_checked()
    none.check()
    expect(none).to_be_checked()
    expect(not_known).not_to_be_checked()
    not_known.check()
    expect(none).not_to_be_checked()
    labour.check()
    expect(labour).to_be_checked()
    expect(not_known).not_to_be_checked()
    labour.uncheck()
    assert answer(page, ["not_known"]) == "work_concerns"

"""Leaving quickly, and cookies that cannot be trusted: never the case on screen, never a 500."""

from __future__ import annotations

import re

import pytest
from cryptography.fernet import Fernet
from playwright.sync_api import Page, expect

from app.web.walk_token import TokenCodec, Walk, cookie_name
from tests.browser.conftest import LiveServer, keep_local, walk_id
from tests.browser.walker import answer, start, walk_to

pytestmark = pytest.mark.browser


def friendly_problem(page: Page, heading: str) -> None:
    """The friendly page for a walk that cannot be used: a plain heading and a Start again button."""
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    expect(page.get_by_role("button", name="Start again")).to_be_visible()
    expect(page.locator("input[type=radio]")).to_have_count(0)


def test_exit_this_page(any_page: Page, mode: str, live_server: LiveServer) -> None:
    """"Exit this page" goes straight to a neutral site and clears the walk's cookie; with
    JavaScript it also replaces the history entry. Going back never shows the case again."""
    page = any_page
    exit_url = live_server.settings.exit_url
    keep_local(page.context, exit_url)
    walk_to(page, {"immediate_danger": "no", "age_group": "adult"}, "organisation")
    wid = walk_id(page)
    case_url = page.url
    history_before = page.evaluate("history.length") if mode == "htmx" else None
    assert cookie_name(wid) in {c["name"] for c in page.context.cookies()}

    page.get_by_role("button", name="Exit this page").click()
    page.wait_for_url(exit_url)
    expect(page.get_by_role("heading", name="Weather forecast")).to_be_visible()
    assert cookie_name(wid) not in {c["name"] for c in page.context.cookies()}
    if mode == "htmx":
        assert page.evaluate("history.length") == history_before  # replaced, not added

    page.go_back()  # to an earlier page of the case: its answers are gone
    assert "/w/" in page.url
    friendly_problem(page, "We cannot find your answers")

    page.goto(case_url)
    friendly_problem(page, "We cannot find your answers")


def test_exit_from_the_start_page(js_page: Page, live_server: LiveServer) -> None:
    """Exit this page works before any case is started too."""
    keep_local(js_page.context, live_server.settings.exit_url)
    js_page.goto("/")
    js_page.get_by_role("button", name="Exit this page").click()
    js_page.wait_for_url(live_server.settings.exit_url)


def replace_cookie(page: Page, wid: str, value: str) -> None:
    context = page.context
    (cookie,) = [c for c in context.cookies() if c["name"] == cookie_name(wid)]
    context.add_cookies([{**cookie, "value": value}])  # type: ignore[typeddict-item]  # a cookie read back sets as is


def tampered(token: str) -> str:
    middle = len(token) // 2
    return token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1:]


@pytest.mark.parametrize("kind", ["tampered", "other_key"])
def test_bad_cookie_gets_the_friendly_400(any_page: Page, mode: str, kind: str) -> None:
    """A cookie altered by hand, or made with another key, gets the friendly "We cannot read your
    answers" page (HTTP 400, never a 500) with a Start again button that starts a fresh case."""
    page = any_page
    start(page)
    answer(page, "no")
    wid = walk_id(page)
    (cookie,) = [c for c in page.context.cookies() if c["name"] == cookie_name(wid)]
    if kind == "tampered":
        bad = tampered(cookie["value"])
    else:
        bad = TokenCodec(Fernet.generate_key(), 7200).encode(Walk(wid, {"immediate_danger": "yes"}))
    replace_cookie(page, wid, bad)

    if mode == "nojs":
        response = page.reload()
        assert response is not None and response.status == 400
    else:
        page.get_by_role("radio", name="18 or over").check()
        with page.expect_response(lambda r: r.request.method == "POST") as posted:
            page.get_by_role("button", name="Continue").click()
        assert posted.value.status == 400
    friendly_problem(page, "We cannot read your answers")
    assert cookie_name(wid) not in {c["name"] for c in page.context.cookies()}  # the bad cookie is cleared

    page.get_by_role("button", name="Start again").click()
    page.wait_for_url(re.compile(r"/q/immediate_danger$"))
    assert walk_id(page) != wid
    assert answer(page, "no") == "age_group"

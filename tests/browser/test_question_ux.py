"""Question pages at 2 am on a phone: one compact urgent banner, progress you can feel, a script that
never waits for htmx, Exit (sticky, Shift x3) and Clear (asks first), and a quick check that keeps
the keyboard user's place (issue 10)."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, Route, ViewportSize, expect

from app.web.htmx import HTMX_CDN_URL
from app.web.walk_token import cookie_name
from tests.browser.a11y import check_axe
from tests.browser.conftest import LiveServer, keep_local, walk_id
from tests.browser.walker import current_question, scenario_answers, start, walk_to

pytestmark = pytest.mark.browser

PHONE: ViewportSize = {"width": 375, "height": 667}
BANNER_MAX_PX = 96
# Every urgent prompt due: 999 (danger), interpreter and communication adjustments, speak alone.
URGENT = {"immediate_danger": "yes", "age_group": "adult", "organisation": "health",
          "communication_support": "yes", "communication_needs": ["spoken_language", "cognitive"],
          "safe_to_talk": "no", "consent_given_alone": "no"}
SECTION = re.compile(r"^Section (\d) of (\d): ")


def bottom(page: Page, selector: str) -> float:
    """How far down the page (in CSS pixels from its top) an element ends."""
    return float(page.eval_on_selector(selector, "e => e.getBoundingClientRect().bottom + window.scrollY"))


def api_walk(page: Page, answers: dict[str, Any], until: str | None = None) -> str:
    """Start a walk and answer it with plain POSTs from the page's own context (its cookies), fast:
    returns the address of the question ``until`` or of the outcome."""
    location = page.request.post("/start", max_redirects=0).headers["location"]
    for _ in range(40):
        match = re.search(r"/q/([a-z_]+)$", location)
        if not match or match.group(1) == until:
            return location
        qid = match.group(1)
        if qid not in answers:  # an optional question: skipped
            response = page.request.post(location + "/skip", max_redirects=0)
            assert response.status == 303, (qid, response.status)
            location = response.headers["location"]
            continue
        value = answers[qid]
        values = value if isinstance(value, list) else [value]
        body = "&".join(f"{qid}={v}" for v in (values or ["none"]))
        response = page.request.post(location, data=body, max_redirects=0,
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert response.status == 303, (qid, response.status)
        location = response.headers["location"]
    raise AssertionError("the walk did not finish")


def test_one_compact_banner_keeps_each_question_on_the_first_screen(js_page: Page, axe: Axe) -> None:
    """With every urgent answer given, one banner of the pack's short titles (at most 96 px tall at
    375 px), and each question's heading and first option within the first 667 px; "Section x of y"
    counts the sections in the pack's order."""
    page = js_page
    page.set_viewport_size(PHONE)
    answers = {**scenario_answers("seed_linh"), **URGENT}
    start(page)
    seen: list[int] = []
    checked = 0
    for _ in range(30):
        qid = current_question(page)
        if qid is None:
            break
        caption = page.locator(".fieldset__legend .caption").inner_text()
        match = SECTION.match(caption)
        assert match, caption
        seen.append(int(match.group(1)))
        assert int(match.group(2)) == 5
        region = page.get_by_role("region", name="Urgent actions")
        if region.count():
            assert region.count() == 1
            height = region.bounding_box()["height"]  # type: ignore[index]
            assert height <= BANNER_MAX_PX, f"{qid}: the banner is {height} px tall"
            first = ".radios__item, .checkboxes__item"
            assert bottom(page, "h1") <= PHONE["height"], f"{qid}: the heading is below the fold"
            assert bottom(page, first) <= PHONE["height"], f"{qid}: the first option is below the fold"
            checked += 1
            if qid == "consent_nrm":  # all four prompts are due by now
                titles = region.locator(".banner strong").all_inner_texts()
                assert titles == ["Call 999 now.", "Use a qualified interpreter.", "Adapt how you communicate.",
                                  "Do not ask in front of others."], titles  # the words for "cannot speak alone"
                region.get_by_text("Details").click()  # the pack's summaries, behind the disclosure
                expect(region.locator("li")).to_have_count(4)
                expect(region.locator("li").first).to_contain_text("999")
                check_axe(axe, page, "a question page with the urgent banner open")
        value = answers.get(qid)
        if value is None:
            page.get_by_role("button", name="Skip this question").click()
            page.wait_for_url(re.compile(r"/(q/(?!" + qid + r"\b)[a-z_]+|outcome)$"))
            continue
        for v in (value if isinstance(value, list) else [value]) or ["none"]:
            page.locator(f"input[name='{qid}'][value='{v}']").check()
        page.get_by_role("button", name="Continue").click()
        page.wait_for_url(re.compile(r"/(q/(?!" + qid + r"\b)[a-z_]+|outcome)$"))
        expect(page.locator("h1")).to_be_focused()
    assert checked >= 10, checked
    assert seen == sorted(seen) and seen[0] == 1 and seen[-1] >= 4, seen


def test_a_slow_step_says_loading_at_once(js_page: Page) -> None:
    """With the answer's response delayed 3 s, the button is disabled and "Loading..." shows, with
    aria-busy, within 1 s of the click; the next question follows once the response comes."""
    page = js_page
    walk_to(page, {"immediate_danger": "no"}, "age_group")
    held: list[Route] = []

    def hold(route: Route) -> None:
        if route.request.method == "POST":
            held.append(route)
        else:
            route.continue_()

    page.route(re.compile(r"/w/[^/]+/q/age_group$"), hold)
    page.locator("input[value='adult']").check()
    button = page.get_by_role("button", name="Continue")
    clicked = time.monotonic()
    button.click()
    expect(button).to_be_disabled(timeout=1000)
    expect(page.get_by_text("Loading...")).to_be_visible(timeout=1000)
    expect(page.locator("form.question-form")).to_have_attribute("aria-busy", "true", timeout=1000)
    assert time.monotonic() - clicked < 1.0
    page.wait_for_timeout(max(0.0, 3.0 - (time.monotonic() - clicked)) * 1000)
    assert len(held) == 1  # one request, however impatient the taps
    held[0].continue_()
    page.wait_for_url(re.compile(r"/q/organisation$"))
    expect(page.get_by_role("button", name="Continue")).to_be_enabled()
    expect(page.get_by_text("Loading...")).to_have_count(0)


@pytest.mark.parametrize("htmx", ["held", "aborted"])
def test_our_script_does_not_wait_for_htmx(js_page: Page, htmx: str) -> None:
    """With the htmx file held open for 10 s (or refused), copy, print, the time-out warning and focus
    all work from the moment the page is parsed: pathway.js is async and never waits for htmx. (A
    held deferred htmx also holds back DOMContentLoaded, so the 2 s is counted from the click or the
    navigation, earlier moments.)"""
    page = js_page
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    outcome = api_walk(page, {**scenario_answers("seed_linh"), "immediate_danger": "no"})
    question = api_walk(page, {"immediate_danger": "no"}, until="age_group")  # a second walk, not yet answered
    held: list[Route] = []
    page.route(HTMX_CDN_URL, (lambda route: held.append(route)) if htmx == "held" else (lambda route: route.abort()))
    page.clock.install()

    # A step moves focus: a question sent without an answer shows the error summary, focused.
    page.goto(question, wait_until="commit")
    expect(page.locator("h1")).to_be_visible()
    page.get_by_role("button", name="Continue").click(no_wait_after=True)
    expect(page.locator("[data-error-summary]")).to_be_focused(timeout=2000)  # 2 s from the click, before parsing
    # Copy, print and the time-out warning on the plan.
    page.goto(outcome, wait_until="commit")
    copy = page.get_by_role("button", name="Copy the summary")
    expect(copy).to_be_visible(timeout=2000)
    copy.click(no_wait_after=True)
    expect(page.get_by_text("The summary was copied")).to_be_visible()
    assert "Pathway summary" in page.evaluate("navigator.clipboard.readText()")
    page.evaluate("() => { window.__printed = 0; window.print = () => { window.__printed += 1; }; }")
    page.get_by_role("button", name="Print this plan").click(no_wait_after=True)
    assert page.evaluate("window.__printed") == 1
    left, warn = page.evaluate("[document.getElementById('page').dataset.secondsLeft,"
                               " document.getElementById('page').dataset.warningSeconds].map(Number)")
    page.clock.fast_forward((left - warn + 1) * 1000)  # the warning was scheduled as the page was parsed
    expect(page.get_by_role("dialog", name="Your answers will be cleared soon")).to_be_visible()
    if htmx == "held":
        assert held, "the htmx request was not held"
        assert page.evaluate("typeof window.htmx") == "undefined"
        assert page.evaluate("document.readyState") == "interactive"  # DOMContentLoaded still held back
        for route in held:
            route.abort()


def test_exit_is_sticky_and_shift_three_times_leaves(js_page: Page, live_server: LiveServer) -> None:
    """Exit this page stays on screen as the page scrolls; Shift pressed three times leaves for the
    exit address, clearing the walk (twice, then another key, does nothing)."""
    page = js_page
    page.set_viewport_size(PHONE)
    exit_url = live_server.settings.exit_url
    keep_local(page.context, exit_url)
    walk_to(page, {"immediate_danger": "yes", "age_group": "adult"}, "organisation")
    wid = walk_id(page)
    # The last step's swap settles after the URL changes and then starts at the top: scroll until it sticks.
    page.wait_for_function("() => { window.scrollTo(0, document.documentElement.scrollHeight); "
                           "return window.scrollY > 100; }")
    box = page.get_by_role("button", name="Exit this page").bounding_box()
    assert box and box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"]
    page.keyboard.press("Shift")
    page.keyboard.press("Shift")
    expect(page.locator("#announcer")).to_have_text("Shift, press 1 more time to exit.")
    page.keyboard.press("a")
    page.keyboard.press("Shift")
    page.wait_for_timeout(200)
    assert "/q/organisation" in page.url
    page.keyboard.press("Shift")
    page.keyboard.press("Shift")
    page.wait_for_url(exit_url)
    assert cookie_name(wid) not in {c["name"] for c in page.context.cookies()}


def test_clear_asks_first(js_page: Page, axe: Axe) -> None:
    """Clear my answers asks for confirmation (a details element, so without JavaScript too): on a
    question page the real button is inside the disclosure; a clear sent without it (the plan's
    button) gets a confirmation page. (tests/web checks the same without a browser.)"""
    page = js_page
    walk_to(page, {"immediate_danger": "no", "age_group": "adult"}, "organisation")
    wid = walk_id(page)
    yes = page.get_by_role("button", name="Yes, clear my answers")
    expect(yes).to_be_hidden()
    page.get_by_text("Clear answers and start again").click()
    expect(page.get_by_text("You cannot undo it.")).to_be_visible()
    yes.click()
    page.wait_for_url(re.compile(r"/$"))
    expect(page.get_by_role("button", name="Start now")).to_be_visible()
    assert cookie_name(wid) not in {c["name"] for c in page.context.cookies()}
    # A clear without the confirmation (an older form, or the plan's own button): asked first.
    walk_to(page, {"immediate_danger": "no"}, "age_group")
    wid = walk_id(page)
    page.evaluate(f"""() => {{ const f = document.createElement('form'); f.method = 'post';
        f.action = '/w/{wid}/clear'; document.body.append(f); f.submit(); }}""")
    expect(page.get_by_role("heading", level=1)).to_have_text("Are you sure you want to clear your answers?")
    check_axe(axe, page, "the clear confirmation page")
    page.get_by_role("link", name="No, keep my answers").click()
    page.wait_for_url(re.compile(r"/q/age_group$"))


def test_quick_check_keeps_the_keyboard_users_place(js_page: Page, axe: Axe) -> None:
    """Keyboard only: after each in-place update focus stays on the radio just chosen, so the arrow
    keys keep moving within the group; after age, organisation, safe to talk and consent, a
    conditional answer names the questions that would confirm it; "answer every question" starts a
    walk with those answers (sent by POST: nothing in the URL)."""
    page = js_page
    page.goto("/quick-check")

    def focused() -> str:
        return str(page.evaluate("document.activeElement && document.activeElement.id"))

    def press_and_settle(key: str, expect_id: str) -> None:
        """Press a key that changes an answer; wait for the swap, then check focus is on the new page's radio."""
        page.evaluate("document.getElementById('page').__old = true")
        with page.expect_response(lambda r: r.url.endswith("/quick-check") and r.request.method == "POST"):
            page.keyboard.press(key)
        page.wait_for_function("() => !document.getElementById('page').__old"
                               " && !document.querySelector('.htmx-request, .htmx-settling, .htmx-swapping')")
        page.wait_for_function("id => document.activeElement && document.activeElement.id === id", arg=expect_id,
                               timeout=2000)

    def tab_to(name: str) -> None:
        for _ in range(60):
            if page.evaluate("document.activeElement && document.activeElement.name") == name:
                return
            page.keyboard.press("Tab")
        raise AssertionError(f"Tab never reached {name}")

    tab_to("immediate_danger")
    assert focused() == "immediate_danger-yes"
    press_and_settle("Space", "immediate_danger-yes")
    press_and_settle("ArrowDown", "immediate_danger-no")
    press_and_settle("ArrowDown", "immediate_danger-unsure")
    press_and_settle("ArrowUp", "immediate_danger-no")
    scrolled = page.evaluate("window.scrollY")
    tab_to("age_group")
    press_and_settle("Space", "age_group-child")
    press_and_settle("ArrowDown", "age_group-adult")
    assert page.evaluate("window.scrollY") >= scrolled  # never thrown back to the top
    tab_to("organisation")
    press_and_settle("Space", "organisation-police")
    press_and_settle("ArrowDown", "organisation-local_authority")
    expect(page.locator("#conditional-answer")).to_have_count(0)
    tab_to("safe_to_talk")
    press_and_settle("Space", "safe_to_talk-yes")
    tab_to("consent_nrm")
    for _ in range(3):  # to "No, they declined", whatever the order of its options
        if page.evaluate("document.activeElement.value") == "no":
            break
        press_and_settle("ArrowDown", str(page.evaluate(
            "(() => { const all = [...document.querySelectorAll('input[name=consent_nrm]')];"
            " return all[(all.indexOf(document.activeElement) + 1) % all.length].id })()")))
    if not page.locator("#consent_nrm-no").is_checked():
        press_and_settle("Space", "consent_nrm-no")
    answer_box = page.locator("#quick-answer")
    expect(answer_box).not_to_contain_text("Not known yet. Not known yet")
    conditional = page.locator("#conditional-answer")
    expect(conditional).to_contain_text("If modern slavery is possible (a conditional answer)")
    expect(conditional.locator("#conditional-consent_needed strong")).to_have_text("Yes.")
    expect(conditional.locator("#conditional-who_notifies strong")).to_have_text("Duty to notify.")
    expect(conditional.locator("#conditional-confirm")).to_contain_text("Action")
    expect(page.locator("#announcer")).to_contain_text("Not known yet")
    check_axe(axe, page, "the quick check with a conditional answer")
    # Answer every question: a new walk with these answers, and no answer in any URL.
    urls: list[str] = []
    page.on("request", lambda r: urls.append(r.url))
    page.get_by_role("button", name="answer every question").click()
    page.wait_for_url(re.compile(r"/w/[^/]+/q/[a-z_]+$"))
    assert current_question(page) == "council_service"  # Lewisham asks council staff their service (optional)
    assert not [u for u in urls if "local_authority" in u or "consent" in u]
    page.goto(page.url.rsplit("/", 1)[0] + "/organisation")
    expect(page.locator("#organisation-local_authority")).to_be_checked()

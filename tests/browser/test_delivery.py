"""What the browser receives: small pages, cached fingerprinted assets, strict headers, pinned htmx."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import APIResponse, ConsoleMessage, Page, Response, expect

from app.web.htmx import HTMX_CDN_URL, HTMX_SRI, HTMX_VERSION
from app.web.security import content_security_policy
from tests.browser.conftest import LiveServer, walk_id
from tests.browser.test_seed_walks import EXPECTED
from tests.browser.walker import answer, continue_walk, scenario_answers, seed_answers, start, walk

pytestmark = pytest.mark.browser

# Version 2's plans carry more: each contact says where its details come from and whether they
# were checked, and there are new actions. With the Do now card (issue 10) the seed plans weigh 27
# to 33 KB, and the largest plan (below) about 53 KB: the README gives the reason for the budget.
PAGE_LIMIT = 56 * 1024
OWN_ASSETS_LIMIT = 60 * 1024
ASSET_URL = re.compile(r"^/static/pathway\.[0-9a-f]{12}\.(css|js)$")


def check_page_headers(response: Response | APIResponse, what: str, exit_url: str) -> None:
    headers = response.headers
    assert headers["cache-control"] == "no-store", what
    # form-action allows the exit address too: "Exit this page" posts a form answered by a redirect there.
    assert headers["content-security-policy"] == content_security_policy(htmx_local=False, exit_url=exit_url), what
    assert "'unsafe-inline'" not in headers["content-security-policy"] and "'unsafe-eval'" not in headers[
        "content-security-policy"], what
    assert headers["x-content-type-options"] == "nosniff", what
    assert headers["referrer-policy"] == "no-referrer", what


def test_every_page_is_small_and_never_cached(nojs_page: Page, live_server: LiveServer) -> None:
    """Every page is at most 56 KB of HTML, sent with Cache-Control: no-store and the strict CSP."""
    page = nojs_page
    sizes: dict[str, int] = {}

    def record(what: str, response: Response | APIResponse | None) -> None:
        assert response is not None, what
        body = response.body()
        sizes[what] = len(body)
        check_page_headers(response, what, live_server.settings.exit_url)

    record("start", page.goto("/"))
    record("accessibility", page.goto("/accessibility"))
    record("privacy", page.goto("/privacy"))
    record("not found", page.request.get("/no-such-page"))
    start(page)
    record("question", page.request.get(page.url))
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.get_by_role("button", name="Continue").click()
    assert posted.value.status == 422
    record("error", posted.value)
    # One of the largest plans (a police user; children and others at risk), made larger still by
    # all four urgent banners and consent not yet safely asked.
    walk(page, {**scenario_answers("police_danger_partner_children"), "immediate_danger": "yes",
                "communication_support": "yes", "communication_needs": ["spoken_language", "cognitive"],
                "safe_to_talk": "unsure", "consent_given_alone": "no"})
    record("outcome", page.request.get(page.url))
    record("case notes", page.request.get(page.url.replace("/outcome", "/case-notes.txt?show=1")))
    record("walk problem", page.request.get(f"/w/{walk_id(page)}x/q/immediate_danger"))
    too_big = {what: size for what, size in sizes.items() if size > PAGE_LIMIT}
    assert not too_big, too_big


def test_assets_are_fingerprinted_small_and_cached(nojs_page: Page) -> None:
    """Our CSS and JavaScript are served under content-hashed names, cached for a year, and weigh
    at most 60 KB together."""
    page = nojs_page
    page.goto("/")
    urls = [page.locator("link[rel=stylesheet]").get_attribute("href"),
            page.locator("script:not([integrity])").get_attribute("src")]
    total = 0
    for url in urls:
        assert url and ASSET_URL.match(url), url
        response = page.request.get(url)
        assert response.ok, url
        assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert response.headers["content-type"].startswith(("text/css", "text/javascript"))
        total += len(response.body())
    assert total <= OWN_ASSETS_LIMIT, total
    # An old or made-up fingerprint is not served.
    assert page.request.get("/static/pathway.000000000000.css").status == 404


def test_htmx_is_pinned_with_integrity(js_page: Page) -> None:
    """The page loads htmx 2 from its CDN at the pinned version, with SRI and crossorigin; with
    JavaScript on, window.htmx is that version."""
    page = js_page
    page.goto("/")
    script = page.locator(f"script[src*='htmx.org@{HTMX_VERSION}']")
    expect(script).to_have_count(1)
    expect(script).to_have_attribute("src", HTMX_CDN_URL)
    expect(script).to_have_attribute("integrity", HTMX_SRI)
    expect(script).to_have_attribute("crossorigin", "anonymous")
    assert page.evaluate("typeof window.htmx") == "object"
    assert page.evaluate("window.htmx.version") == HTMX_VERSION
    config = page.evaluate("[htmx.config.allowEval, htmx.config.historyCacheSize, htmx.config.selfRequestsOnly]")
    assert config == [False, 0, True]


def test_a_walk_with_htmx_breaks_no_rule(js_page: Page, live_server: LiveServer) -> None:
    """A whole case with htmx logs no error in the console (so no CSP violation), makes no request
    to any other site but the pinned htmx file, and keeps every page's headers strict."""
    page = js_page
    problems: list[str] = []
    requests: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error" and "422" not in message.text:  # the 422 is the deliberate error below
            problems.append(message.text)

    def on_response(response: Response) -> None:
        if response.url.startswith(live_server.url) and response.request.resource_type in ("document", "fetch", "xhr"):
            check_page_headers(response, response.url, live_server.settings.exit_url)

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("request", lambda request: requests.append(request.url))
    page.on("response", on_response)
    start(page)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("alert")).to_be_visible()
    answer(page, "no")
    continue_walk(page, seed_answers("linh"))
    expect(page.locator("#referral-housing_referral")).to_be_visible()
    assert not problems, problems
    elsewhere = {url for url in requests if not url.startswith(live_server.url)}
    assert elsewhere == {HTMX_CDN_URL}, elsewhere


def test_the_walk_works_when_the_cdn_is_unreachable(js_page: Page) -> None:
    """If the CDN cannot be reached, JavaScript still runs but htmx does not: every step is a
    plain form, and the case still reaches its plan."""
    page = js_page
    page.context.unroute(HTMX_CDN_URL)
    page.context.route(HTMX_CDN_URL, lambda route: route.abort())
    page.goto("/")
    assert page.evaluate("typeof window.htmx") == "undefined"
    walk(page, seed_answers("county_lines"), goto=False)
    for aid in EXPECTED["county_lines"][0]:
        expect(page.locator(f"#referral-{aid}")).to_be_visible()
    assert page.evaluate("typeof window.htmx") == "undefined"

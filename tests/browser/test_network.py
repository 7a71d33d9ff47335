"""The Network's dashboard in a real browser: a member signs in with the passphrase, sees the benchmarks
(drawn and tabled), records a training session (the form's errors first) and signs out; axe finds no
serious problem on the sign-in page, the dashboard or the training form (with and without errors)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from axe_playwright_python.sync_playwright import Axe
from cryptography.fernet import Fernet
from playwright.sync_api import Browser, Page, expect

from app.config import Settings
from app.counts import CellKey, CountStore
from app.web.network import hash_passphrase
from tests.browser.a11y import check_axe, check_reflow
from tests.browser.conftest import LiveServer, open_page, start_server

pytestmark = pytest.mark.browser
PASSPHRASE = "the network's own passphrase"


@pytest.fixture(scope="module")
def network_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    settings = Settings(state_dir=tmp_path_factory.mktemp("network-state"), counts="on",
                        secret_key=Fernet.generate_key().decode(),
                        network_passphrase_hash=hash_passphrase(PASSPHRASE))
    store = CountStore(CountStore.url_for(settings))
    store.migrate()
    store.apply({CellKey("2026-10", "action_done", "nrm_referral", "police"): 6,
                 CellKey("2026-09", "action_done", "police_report", "health"): 2})
    store.close()
    server, thread, url = start_server(settings)
    yield LiveServer(url, settings)
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def page(browser: Browser, htmx_file: bytes, network_server: LiveServer) -> Iterator[Page]:
    yield from open_page(browser, network_server.url, htmx_file)


def test_sign_in_dashboard_and_training_pass_axe(page: Page, axe: Axe) -> None:
    page.goto("/network")
    expect(page).to_have_url(re.compile(r"/network/sign-in$"))
    check_axe(axe, page, "the sign-in page")
    page.get_by_label("Passphrase").fill("not it")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".error-summary")).to_contain_text("The passphrase is not right")
    page.get_by_label("Passphrase").fill(PASSPHRASE)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("The Network's picture")
    page.get_by_label("From", exact=True).fill("2026-01")
    page.get_by_label("To", exact=True).fill("2026-11")
    page.get_by_role("button", name="Show these months").click()
    expect(page.get_by_role("img", name=re.compile("NRM referrals made: Rising"))).to_be_visible()
    expect(page.locator("#table-police_reports")).to_contain_text("fewer than 5")
    check_axe(axe, page, "the dashboard")
    check_reflow(page, "the dashboard")

    page.get_by_role("link", name="Record a training session").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Record a training session")
    check_axe(axe, page, "the training form")
    page.get_by_role("button", name="Record the session").click()
    summary = page.locator(".error-summary")
    expect(summary).to_contain_text("Enter the month of the session")
    check_axe(axe, page, "the training form with errors")
    summary.get_by_role("link", name=re.compile("Select the agency")).click()
    expect(page.locator("#agency-0")).to_be_focused()
    page.get_by_label("Month of the session").fill("2026-03")
    page.get_by_label("Metropolitan Police").check()
    page.get_by_label("Number of attendees").fill("28")
    page.get_by_role("button", name="Record the session").click()
    expect(page.locator("#recorded")).to_contain_text("The training session has been recorded")
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/network/sign-in$"))

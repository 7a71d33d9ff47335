"""Counting in the browser (issue 13): a walk completed with counting on is counted once; changing an
answer from the plan and returning to it moves the counts without double counting; "What have you
done?" is counted the same way; the plan with its form passes axe."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator

import pytest
from axe_playwright_python.sync_playwright import Axe
from cryptography.fernet import Fernet
from playwright.sync_api import Browser, Page, expect

from app.config import Settings
from app.counts.store import CountStore
from tests.browser.a11y import check_axe
from tests.browser.conftest import LiveServer, open_page, start_server
from tests.browser.walker import answer, continue_walk, seed_answers, walk

pytestmark = pytest.mark.browser
Cells = Counter[tuple[str, str, str]]


@pytest.fixture(scope="module")
def counting_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, CountStore]]:
    """A server started with PATHWAY_COUNTS=on, its counts in a migrated SQLite file, and a store to read them."""
    folder = tmp_path_factory.mktemp("counting")
    settings = Settings(secret_key=Fernet.generate_key().decode(), key_file=folder / "secret.key", state_dir=folder,
                        counts="on")
    store = CountStore(CountStore.url_for(settings))
    store.migrate()
    server, thread, url = start_server(settings)
    yield LiveServer(url, settings), store
    server.should_exit = True
    thread.join(timeout=10)
    store.close()


@pytest.fixture
def counting_page(browser: Browser, htmx_file: bytes,
                  counting_server: tuple[LiveServer, CountStore]) -> Iterator[Page]:
    yield from open_page(browser, counting_server[0].url, htmx_file)


def snapshot(store: CountStore) -> Cells:
    return Counter({(c.key.dimension, c.key.value, c.key.organisation): c.count
                    for c in store.cells("2000-01", "2999-12") if c.count})


def test_changing_an_answer_moves_the_counts_and_what_was_done_counts(
        counting_page: Page, counting_server: tuple[LiveServer, CountStore], axe: Axe) -> None:
    page, store = counting_page, counting_server[1]
    linh = seed_answers("linh")  # a charity first responder
    walk(page, linh)
    expect(page.get_by_role("heading", level=1)).to_have_text("Your action plan")
    first = snapshot(store)
    assert first[("walks", "completed", "ngo_first_responder")] == 1 and sum(
        n for (d, _, _), n in first.items() if d == "walks") == 1

    # Change the organisation from the plan, and come back to it: the walk's counts move.
    page.get_by_role("link", name="Change your organisation", exact=True).click()
    page.wait_for_url(re.compile(r"/q/organisation\?change=1$"))
    if answer(page, "police") is not None:
        continue_walk(page, linh)
    expect(page.get_by_role("heading", level=1)).to_have_text("Your action plan")
    second = snapshot(store)
    assert second[("walks", "completed", "police")] == 1
    assert second[("walks", "completed", "ngo_first_responder")] == 0
    assert sum(n for (d, _, _), n in second.items() if d == "walks") == 1  # moved, not added
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your action plan")
    assert snapshot(store) == second  # seeing the plan again counts nothing more

    # What have you done? Ticked with the keyboard, saved, confirmed, and counted with the walk's organisation.
    page.get_by_label("NRM referral submitted").focus()
    page.keyboard.press("Space")
    page.get_by_role("button", name="Save what you have done").click()
    expect(page.get_by_role("status").filter(has_text="Saved.")).to_contain_text("NRM referral submitted")
    expect(page.get_by_label("NRM referral submitted")).to_be_checked()
    assert snapshot(store)[("action_done", "nrm_referral", "police")] == 1
    check_axe(axe, page, "the plan with the What have you done? form")

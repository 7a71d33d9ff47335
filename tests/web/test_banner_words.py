"""The urgent banners on the question pages take their words from the pack (each listed act-now action's
short_title and summary, as chosen for this user), never from the templates."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient

from app.config import Settings
from app.engine.assessment import assess
from app.engine.rulebook import Rulebook
from app.main import TEMPLATES, create_app
from app.web.pages import BANNER_ACTIONS
from tests.web.client_state import state_of
from tests.wording_pack import DEFAULT, LOCAL, POLICE, wording_root

KEY = Fernet.generate_key().decode()


def app_client(tmp_path: Path, rules_dir: Path | None = None, organisation: str | None = None) -> TestClient:
    """The app on the shipped packs, or on the wording test pack at ``rules_dir``."""
    settings = Settings(secret_key=KEY, key_file=tmp_path / "unused.key", organisation=organisation)
    if rules_dir is not None:
        settings = Settings(secret_key=KEY, key_file=tmp_path / "unused.key", organisation=organisation,
                            rules_dir=rules_dir, local_pack=LOCAL)
    return TestClient(create_app(settings), follow_redirects=False, raise_server_exceptions=False)


@pytest.fixture
def shipped(tmp_path: Path) -> Iterator[TestClient]:
    with app_client(tmp_path) as c:
        yield c


def start(client: TestClient) -> tuple[str, str]:
    response = client.post("/start")
    assert response.status_code == 303
    location = str(response.headers["location"])
    match = re.match(r"/w/([A-Za-z0-9_-]+)/q/[a-z_]+$", location)
    assert match
    return match.group(1), location


def walk_to(client: TestClient, walk: str, location: str, answers: dict[str, str]) -> str:
    """Answer each question asked, in the walk's order, until one not in ``answers``; its page's URL."""
    for _ in range(40):
        match = re.search(r"/q/([a-z_]+)$", location)
        assert match, location
        qid = match.group(1)
        if qid not in answers:
            return location
        response = client.post(f"/w/{walk}/q/{qid}", data={qid: answers[qid]})
        assert response.status_code == 303, response.text[:300]
        location = str(response.headers["location"])
    raise AssertionError("did not stop")


def banners(page: str) -> dict[str, tuple[str, str]]:
    """Each prompt of the one urgent banner: id -> (the bold words shown, the summary behind its
    disclosure). The shown titles and the summaries' titles must agree, in the same order."""
    shown = re.findall(r'<span class="banner" id="banner-([a-z_0-9]+)"><strong>(.*?)</strong></span>', page)
    found = {}
    for aid, strong, rest in re.findall(
            r'<li id="banner-([a-z_0-9]+)-summary" data-banner="[a-z_0-9]+"><strong>(.*?)</strong> (.*?)</li>', page):
        found[aid] = (html.unescape(strong), html.unescape(rest))
    assert [(aid, html.unescape(strong)) for aid, strong in shown] == [(aid, s) for aid, (s, _) in found.items()]
    assert page.count('role="region" aria-label="Urgent actions"') == (1 if found else 0)  # one banner
    return found


def test_banner_words_are_not_in_the_templates() -> None:
    for name in ("layout.html", "question.html", "outcome.html"):
        template = (TEMPLATES / name).read_text(encoding="utf-8")
        for words in ("Call 999", "qualified interpreter", "Speak to them alone", "Adapt how you communicate"):
            assert words not in template, f"{name} words a banner itself: {words!r}"


def test_banners_show_the_pack_words_for_each_organisation(tmp_path: Path) -> None:
    """Before the organisation is known, the default words; then the police variant for the police,
    and the defaults for a health user."""
    root = wording_root(tmp_path)
    for organisation, expected in (("police", POLICE), ("health", DEFAULT)):
        with app_client(tmp_path, rules_dir=root) as client:
            walk, location = start(client)
            location = walk_to(client, walk, location, {"immediate_danger": "yes"})
            assert location.endswith("/q/organisation")
            before = banners(client.get(location).text)
            assert before == {"emergency_999": (DEFAULT["short_title"] + ".", DEFAULT["summary"])}
            location = walk_to(client, walk, location, {"organisation": organisation})
            after = banners(client.get(location).text)
            assert after == {"emergency_999": (expected["short_title"] + ".", expected["summary"])}


def test_a_preset_organisation_chooses_the_banner_words_from_the_start(tmp_path: Path) -> None:
    root = wording_root(tmp_path)
    with app_client(tmp_path, rules_dir=root, organisation="police") as client:
        walk, location = start(client)
        location = walk_to(client, walk, location, {"immediate_danger": "unsure"})
        assert banners(client.get(location).text) == {
            "emergency_999": (POLICE["short_title"] + ".", POLICE["summary"])}


def test_overlay_wording_reaches_the_banner_but_not_the_police_variant(tmp_path: Path) -> None:
    root = wording_root(tmp_path, overlay_wording=True)
    with app_client(tmp_path, rules_dir=root) as client:
        walk, location = start(client)
        location = walk_to(client, walk, location, {"immediate_danger": "yes", "organisation": "health"})
        assert banners(client.get(location).text) == {"emergency_999": ("Ring 999.", "Ring the police on 999 first.")}
    with app_client(tmp_path, rules_dir=root) as client:
        walk, location = start(client)
        location = walk_to(client, walk, location, {"immediate_danger": "yes", "organisation": "police"})
        assert banners(client.get(location).text)["emergency_999"][0] == POLICE["short_title"] + "."


def test_shipped_pack_banners_use_its_short_titles_and_summaries(shipped: TestClient) -> None:
    """999, interpreter and speak alone, due on the way, each show the shipped pack's own words, 999 first."""
    book: Rulebook = state_of(shipped).rulebook
    answers = {"immediate_danger": "yes", "age_group": "adult", "organisation": "health",
               "communication_support": "unsure", "safe_to_talk": "no"}
    walk, location = start(shipped)
    location = walk_to(shipped, walk, location, answers)
    page = shipped.get(location).text
    shown = banners(page)
    assert list(shown)[:1] == ["emergency_999"]
    assert {"emergency_999", "interpreter", "speak_alone"} <= set(shown)
    chosen = {r.id: r for r in assess(book, answers).referrals}  # the words chosen for this user
    for aid, (strong, rest) in shown.items():
        assert book.action(aid).short_title  # declared in the pack, not made up from the title
        assert strong.rstrip(".") == chosen[aid].short_title.rstrip(".")
        assert rest == chosen[aid].summary


def test_every_banner_action_in_the_shipped_pack_declares_a_short_title(shipped: TestClient) -> None:
    book: Rulebook = state_of(shipped).rulebook
    ids = {a.id for a in book.actions}
    assert {"emergency_999", "interpreter", "speak_alone"} <= ids
    for aid in BANNER_ACTIONS:
        if aid in ids:
            assert book.action(aid).short_title, f"{aid} has no short_title for its banner"

"""Plain words (/glossary), every contact (/contacts) and the pathway as a flow (/pathway), over HTTP."""

from __future__ import annotations

import datetime as dt
import html
import json
import re
import time
from collections.abc import Iterator

import pytest
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient

from app.config import Settings
from app.engine.errors import PackError
from app.engine.explain import CONFIRM_LOCALLY, NOT_YET_CHECKED, UNDATED, contact_out
from app.engine.loader import load_rulebook, rules_dirs
from app.main import create_app
from app.web.reference import GROUPS, contact_group
from app.web.walk_token import cookie_name
from tests.conftest import RULES
from tests.web.client_state import state_of

KEY = Fernet.generate_key().decode()
PATHWAY_BUDGET = 30 * 1024  # bytes of HTML: the README's page budget for /pathway
# The terms the issue names; each must be explained on /glossary.
REQUIRED_TERMS = ("nrm", "first_responder", "duty_to_notify", "competent_authority", "ictg", "reasonable_grounds",
                  "victim_care_contract", "appropriate_adult", "registered_intermediary", "mash")


@pytest.fixture(scope="module", params=["lewisham", "national-only"])
def client(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = Settings(secret_key=KEY, key_file=tmp_path_factory.mktemp("k") / "k",
                        local_pack="lewisham" if request.param == "lewisham" else "none")
    with TestClient(create_app(settings), follow_redirects=False) as c:
        yield c


def text(markup: str) -> str:
    return html.unescape(" ".join(re.sub(r"<[^>]+>", " ", markup).split()))


# ----------------------------------------------------------------------------- /glossary


def test_glossary_explains_every_term_the_issue_names(client: TestClient) -> None:
    page = client.get("/glossary")
    assert page.status_code == 200
    book = state_of(client).rulebook
    ids = {t.id for t in book.glossary}
    assert set(REQUIRED_TERMS) <= ids
    for term in book.glossary:
        assert f'id="term-{term.id}"' in page.text
        assert term.short in text(page.text)
    assert "Source: Modern Slavery Act 2015 s52" in text(page.text)


def test_reasonable_grounds_is_explained_without_its_threshold(client: TestClient) -> None:
    """The pack never states the reasonable grounds threshold: the competent authority decides."""
    words = text(client.get("/glossary").text).lower()
    entry = words[words.index("reasonable grounds decision"):][:600]
    assert "suspect but cannot prove" not in entry and "threshold" not in entry
    assert "competent authority" in entry


def test_a_term_is_linked_where_it_first_appears_and_defined_below(client: TestClient) -> None:
    """The start page links its first NRM to the glossary and defines it in a details element."""
    page = client.get("/").text
    assert page.count('href="/glossary#term-nrm"') == 1
    assert re.search(r'<details class="details term-details">.*?National Referral Mechanism \(NRM\)</dt>', page, re.S)


def test_gloss_escapes_and_keeps_acronyms_in_capitals(client: TestClient) -> None:
    glossary = state_of(client).glossary
    seen: list[str] = []
    out = str(glossary.gloss("<b>nrm</b> and the NRM, then the NRM again; a mash", seen))
    assert "&lt;b&gt;nrm&lt;/b&gt;" in out  # escaped, and "nrm" in lower case is not the acronym
    assert out.count('href="/glossary#term-nrm"') == 1 and seen == ["nrm"]
    assert "term-mash" not in out


def test_a_word_claimed_by_two_terms_refuses_the_pack(tmp_path: object) -> None:
    import shutil
    from pathlib import Path
    root = Path(str(tmp_path)) / "rules"
    shutil.copytree(RULES, root)
    glossary = root / "national" / "glossary.yaml"
    glossary.write_text(glossary.read_text(encoding="utf-8").replace("aliases: [MARAC]", "aliases: [NRM]"),
                        encoding="utf-8")
    with pytest.raises(PackError, match="'NRM' is already explained by glossary term 'nrm'"):
        load_rulebook(*rules_dirs(root, "lewisham"))


# ----------------------------------------------------------------------------- /contacts


def test_contacts_page_shows_every_contact_of_the_packs_with_its_state(client: TestClient) -> None:
    page = client.get("/contacts")
    assert page.status_code == 200
    book = state_of(client).rulebook
    words = text(page.text)
    assert book.contacts
    for c in book.contacts.values():
        item = re.search(rf'<li class="contact-list__item" id="contact-{c.id}">(.*?)</li>', page.text, re.S)
        assert item, c.id
        shown = text(item.group(1))
        assert c.name in shown, c.id
        if c.phone:
            assert f'href="tel:{c.phone.replace(" ", "")}"' in item.group(1), c.id
        if c.hours:
            assert c.hours in shown, c.id
        for notice in contact_out(c, dt.date.today()).notices:
            assert notice in shown, (c.id, notice)
        if c.constant:
            assert NOT_YET_CHECKED not in shown and CONFIRM_LOCALLY not in shown
    assert NOT_YET_CHECKED in words
    assert CONFIRM_LOCALLY in words or UNDATED in words


def test_contacts_are_grouped_with_the_front_doors_first(client: TestClient) -> None:
    page = client.get("/contacts").text
    titles = [t for _, t in GROUPS]
    found = [text(h) for h in re.findall(r'<h2 class="heading-m" id="group-[a-z]+-title">(.*?)</h2>', page)]
    assert found == [t for t in titles if t in found]
    assert found[0] == "Emergency and police"
    book = state_of(client).rulebook
    if "lewisham_mash" in book.contacts:
        assert contact_group(book, book.contacts["lewisham_mash"]) == "children"
        children = page[page.index('id="group-children"'):page.index("</section>", page.index('id="group-children"'))]
        assert children.index("contact-lewisham_mash") < children.index("contact-ictg_service")
        assert contact_group(book, book.contacts["lewisham_housing_out_of_hours"]) == "housing"


def test_contacts_and_glossary_are_linked_from_every_page_and_the_timed_out_page(client: TestClient) -> None:
    for url in ("/", "/privacy", "/training", "/pathway", "/glossary", "/contacts", "/quick-check"):
        page = client.get(url).text
        assert 'href="/contacts"' in page and 'href="/glossary"' in page, url
    # A plan that has timed out: the numbers are one link away.
    walk = re.sub(r"^/w/([^/]+)/.*$", r"\1", client.post("/start").headers["location"])
    old = Fernet(KEY.encode()).encrypt_at_time(
        json.dumps({"v": 1, "w": walk, "a": {"immediate_danger": "no"}, "s": []}).encode(), int(time.time()) - 3 * 3600)
    client.cookies.clear()
    client.cookies.set(cookie_name(walk), old.decode(), domain="testserver.local", path=f"/w/{walk}")
    problem = client.get(f"/w/{walk}/outcome")
    client.cookies.clear()
    assert "Your answers have timed out" in problem.text
    assert re.search(r'id="contacts-link".*?href="/contacts"', problem.text, re.S)


# ----------------------------------------------------------------------------- /pathway


def test_pathway_is_a_flow_in_pack_order_within_its_budget(client: TestClient) -> None:
    page = client.get("/pathway")
    assert page.status_code == 200
    assert len(page.content) <= PATHWAY_BUDGET, len(page.content)
    book = state_of(client).rulebook
    body = page.text
    # Stages top to bottom.
    stages = [body.index(f'id="stage-{s}"') for s in ("questions", "test", "decided", "actions")]
    assert stages == sorted(stages)
    # Sections in the pack's order, every question under its section.
    sections = list(dict.fromkeys(q.section for q in book.questions))
    positions = [body.index(f">{html.escape(s, quote=False)}</h3>") for s in sections]
    assert positions == sorted(positions)
    for q in (*book.questions, *book.optional_questions):
        assert f'id="node-{q.id}"' in body
    # The trafficking test's branches, children and adults, side by side.
    branches = re.findall(r'<div class="flow__box flow__branch">\s*<h3 class="heading-s">(.*?)</h3>', body)
    assert branches == ["For a child (under 18, or age not known)", "For an adult"]
    # Actions by urgency, most urgent first; every action once.
    columns = re.findall(r'<h3 class="heading-m" id="urgency-\d+">(.*?)</h3>', body)
    assert columns[0] == "Act now" and columns == [c for c in ("Act now", "Today", "Within days", "Routine")
                                                   if c in columns]
    for a in book.actions:
        assert body.count(f'id="node-{a.id}"') == 1
    # Plain words, never rule logic.
    words = text(body)
    assert "Only when Communication support is “Yes”" in words
    assert " is listed" not in words and "treated_as_child" not in words


def test_reference_pages_show_no_internal_references(client: TestClient) -> None:
    """No raw ids, facts-sheet citations or seed labels on the new pages (as test_visible_text checks)."""
    from tests.web.test_visible_text import html_text, leaks
    for url in ("/glossary", "/contacts", "/pathway", "/pathway/graph", "/training"):
        found = leaks(html_text(client.get(url).text, node_titles=False))
        assert not found, (url, found[:5])

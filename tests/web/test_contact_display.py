"""How a contact looks on the action plan (contract v2): its notices as tags, who may use it, and
where its details come from; 999 and 101 with no check state."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet

from app.config import Settings
from app.engine.assessment import assess
from app.engine.outcome import ContactOut
from app.engine.rulebook import Rulebook
from app.main import create_app
from tests.conftest import TODAY
from tests.engine.test_contacts import CHILD, contact


@pytest.fixture(scope="module")
def contact_block(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The outcome page's own macro, from the app's own template environment."""
    key_file = Path(tmp_path_factory.mktemp("key")) / "unused.key"
    app = create_app(Settings(secret_key=Fernet.generate_key().decode(), key_file=key_file))
    return app.state.pathway.templates.env.get_template("_macros.html").module.contact_block


def html(block: Any, c: ContactOut) -> str:
    return " ".join(str(block(c)).split())


def test_an_undated_local_line_shows_both_notices_and_its_source(contact_block: Any,
                                                                 lewisham_book: Rulebook) -> None:
    edt = contact(assess(lewisham_book, CHILD, today=TODAY), "lewisham_childrens_emergency_duty_team")
    page = html(contact_block, edt)
    assert '<a href="tel:02083146000" hx-boost="false">020 8314 6000</a>' in page
    assert '<strong class="tag tag--yellow">Undated: confirm locally</strong>' in page
    assert '<strong class="tag tag--yellow">Not yet checked by your organisation</strong>' in page
    assert "Who can use it: Anyone." in page
    assert ("Source: Lewisham Safeguarding Children Partnership, &#34;Worried about the safety of a child?&#34; "
            "(undated).") in page


def test_999_shows_no_check_state(contact_block: Any, lewisham_book: Rulebook) -> None:
    page = html(contact_block, contact(assess(lewisham_book, CHILD, today=TODAY), "emergency_999"))
    assert '<a href="tel:999" hx-boost="false">999</a>' in page
    assert "tag" not in page and "Source:" not in page and "confirm" not in page.lower()


def test_a_confirmed_national_line_is_not_marked_confirm_locally(contact_block: Any,
                                                                 lewisham_book: Rulebook) -> None:
    page = html(contact_block, contact(assess(lewisham_book, CHILD, today=TODAY), "modern_slavery_helpline"))
    assert "Confirm locally" not in page and "Not yet checked by your organisation" in page
    assert "Source: Home Office, First Responder Toolkit for England and Wales, April 2026." in page

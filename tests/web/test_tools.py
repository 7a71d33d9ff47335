"""The pathway diagram, training mode with what-if, and the duty officer's quick check, over HTTP."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient

from app.cli import main
from app.config import Settings
from app.main import create_app
from tests.conftest import RULES


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = Settings(secret_key=Fernet.generate_key().decode(), key_file=tmp_path_factory.mktemp("k") / "k")
    with TestClient(create_app(settings), follow_redirects=False) as c:
        yield c


def quick(client: TestClient, answers: dict[str, str], htmx: bool = False) -> str:
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if htmx:
        headers["HX-Request"] = "true"
    response = client.post("/quick-check", content=urlencode(answers), headers=headers)
    assert response.status_code == 200, response.text[:300]
    return response.text


def statement(html: str, sid: str) -> str:
    match = re.search(rf'id="statement-{sid}".*?<strong>(.*?)</strong>', html, re.S)
    assert match, sid
    return match.group(1)


def test_pathway_graph_draws_every_question_and_action(client: TestClient, lewisham_book: object) -> None:
    """/pathway/graph (the advanced view) shows an SVG drawn on the server with a linked node for every
    question and action, and each node's text in plain words."""
    page = client.get("/pathway/graph")
    assert page.status_code == 200
    svg = re.search(r"<svg.*?</svg>", page.text, re.S)
    assert svg
    root = ET.fromstring(svg.group(0))
    links = {a.get("href") for a in root.iter("{http://www.w3.org/2000/svg}a")}
    for qid in ("immediate_danger", "consent_nrm", "longer_term_needs"):
        assert f"#node-{qid}" in links
        assert f'id="node-{qid}"' in page.text
    for aid in ("emergency_999", "nrm_referral", "age_assessment"):
        assert f"#node-{aid}" in links
    assert "Source: Modern Slavery Act 2015 s52" in page.text
    assert "Asked when: always. " in page.text and "alwaysSource" not in page.text
    assert "<script" not in svg.group(0)
    standalone = client.get("/pathway.svg")
    assert standalone.headers["content-type"].startswith("image/svg+xml")


@pytest.mark.parametrize("fmt", ["svg", "dot", "mermaid"])
def test_cli_diagram_formats(fmt: str, capsys: pytest.CaptureFixture[str]) -> None:
    """`pathway diagram --format` prints the same flow as SVG, DOT or Mermaid. In v2 consent reaches the NRM
    referral through the consent_status determination (with consent_given_alone beside consent_nrm)."""
    assert main(["diagram", "--format", fmt, "--rules", str(RULES)]) == 0
    out = capsys.readouterr().out
    if fmt == "svg":
        ET.fromstring(out)
    elif fmt == "dot":
        assert out.startswith("digraph pathway {")
        for arrow in ('"consent_nrm" -> "consent_status";', '"consent_given_alone" -> "consent_status";',
                      '"consent_status" -> "nrm_referral";'):
            assert arrow in out
    else:
        assert out.startswith("flowchart LR")
        for arrow in ("consent_nrm --> consent_status", "consent_given_alone --> consent_status",
                      "consent_status --> nrm_referral"):
            assert arrow in out


def test_diagram_follows_the_rules(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A change of rule changes the diagram: an action reading a new answer gets a new arrow."""
    import shutil

    shutil.copytree(RULES, tmp_path / "rules")
    actions = tmp_path / "rules" / "national" / "actions.yaml"
    actions.write_text(actions.read_text().replace("""    due:
      age_group: uncertain""", """    due:
      all:
        - age_group: uncertain
        - safe_to_talk: [yes, unsure]"""))
    assert main(["diagram", "--format", "dot", "--rules", str(tmp_path / "rules")]) == 0
    assert '"safe_to_talk" -> "age_assessment";' in capsys.readouterr().out


def test_training_lists_cases_with_narratives(client: TestClient) -> None:
    """/training lists the seed cases and the other narrated scenarios."""
    page = client.get("/training").text
    for slug in ("seed_tyrone", "seed_linh", "seed_county_lines", "capacity_doubt_cuckooing",
                 "health_worker_domestic_servitude", "age_uncertain_cannabis_farm", "adult_exploited_as_child",
                 "adult_declines_police"):
        assert f'href="/training/{slug}"' in page


def test_training_steps_show_the_expected_answer_and_reason(client: TestClient) -> None:
    """Each step shows the question with the expected answer selected and the scenario's reason."""
    page = client.get("/training/seed_tyrone/step/6").text
    assert "Was the person recruited, moved" in page
    assert re.search(r'value="yes" checked', page)
    assert "Recruited by a &#34;recruitment consultant&#34; on arrival in the UK." in page
    last = client.get("/training/seed_tyrone/step/99")
    assert last.status_code == 303 and last.headers["location"] == "/training/seed_tyrone/outcome"


def test_training_outcome_explains_and_offers_what_if(client: TestClient) -> None:
    """The outcome reads out each determination's chain and offers every flip of every answer."""
    page = client.get("/training/seed_county_lines/outcome").text
    assert "Human trafficking: indicated. Action: met (you said yes). Means: not required (they are a child)." in page
    assert 'value="age_group:adult"' in page
    assert 'id="referral-childrens_social_care"' in page


def test_what_if_shows_changes_side_by_side(client: TestClient) -> None:
    """Flipping Tyrone's consent to 'declined' removes the NRM referral and shows why."""
    page = client.get("/training/seed_tyrone/what-if", params={"flip": "consent_nrm:no"}).text
    assert 'id="action-change-nrm_referral"' in page
    removed = page.split('id="action-change-nrm_referral"')[1].split("</tr>")[0]
    assert "removed" in removed and "Not listed" in removed
    added = page.split('id="action-change-duty_to_notify"')[1].split("</tr>")[0]
    assert "added" in added and "anonymous" in added


def test_what_if_child_never_asks_consent(client: TestClient) -> None:
    """Flipping Tyrone to a child brings children's services in and needs no new answers."""
    page = client.get("/training/seed_tyrone/what-if", params={"flip": "age_group:child"}).text
    assert 'id="pending"' not in page
    assert 'id="action-change-childrens_social_care"' in page
    assert 'id="changed-treated_as_child"' in page


def test_what_if_that_opens_questions_asks_them(client: TestClient) -> None:
    """When a flip opens a question the case never answered, it is shown as pending and can be answered,
    one question at a time (v2: once modern slavery is no, an adult is asked about work concerns too)."""
    page = client.get("/training/seed_tyrone/what-if", params={"flip": "purpose:no"}).text
    assert 'id="pending"' in page and "Pending: Is the person held" in page
    next_one = client.get("/training/seed_tyrone/what-if", params=[
        ("flip", "purpose:no"), ("slavery_servitude_forced_labour", "no")]).text
    assert 'id="pending"' in next_one and "Pending: Are there concerns about their pay" in next_one
    assert "Pending: Is the person held" not in next_one
    answered = client.get("/training/seed_tyrone/what-if", params=[
        ("flip", "purpose:no"), ("slavery_servitude_forced_labour", "no"), ("work_concerns", "no")]).text
    assert 'id="pending"' not in answered
    assert 'id="action-change-nrm_referral"' in answered


def test_what_if_rejects_bad_flips(client: TestClient) -> None:
    """A flip of an unknown question or to an impossible value gets a clear 422 page."""
    assert client.get("/training/seed_tyrone/what-if", params={"flip": "nationality:x"}).status_code == 422
    bad = client.get("/training/seed_tyrone/what-if", params={"flip": "age_group:teen"})
    assert bad.status_code == 422 and "allowed values" in bad.text
    assert client.get("/training/no-such-case").status_code == 404


def test_quick_check_adult_who_declines_with_police(client: TestClient) -> None:
    """Police, adult, trafficking, declined when seen alone: consent needed, duty to notify on a statutory
    basis. v2: a refusal counts only if it was given alone; given in company, it is not yet safely asked,
    so the police notify anonymously now and ask again when it is safe."""
    answers = {"immediate_danger": "no", "age_group": "adult", "organisation": "police", "safe_to_talk": "yes",
               "action": "yes", "purpose": "yes", "exploited_as_child": "no", "means": "yes",
               "capacity_concern": "no", "consent_nrm": "no"}
    html = quick(client, answers)
    assert statement(html, "consent_needed") == "Yes."
    assert statement(html, "who_notifies") == "Duty to notify."
    assert "statutory (Modern Slavery Act 2015 s52)" in html
    assert 'id="referral-police_report"' in html
    open_question = quick(client, {k: v for k, v in answers.items() if k != "safe_to_talk"})
    assert statement(open_question, "who_notifies") == "Not known yet."
    in_company = quick(client, {**answers, "safe_to_talk": "no", "consent_given_alone": "no"})
    assert statement(in_company, "consent_needed") == "Yes, asked safely."
    assert statement(in_company, "who_notifies") == "Duty to notify, anonymously, and ask for consent when it is safe."
    assert "statutory (Modern Slavery Act 2015 s52)" in in_company
    alone_earlier = quick(client, {**answers, "safe_to_talk": "no", "consent_given_alone": "yes"})
    assert statement(alone_earlier, "who_notifies") == "Duty to notify."


def test_quick_check_gives_a_conditional_answer_early(client: TestClient) -> None:
    """An adult who declines, seen alone, at a council: before the trafficking test the answer is
    given with modern slavery taken as possible, labelled conditional, naming what would confirm it,
    never "Not known yet" twice; "answer every question" posts the answers (no link carries them)."""
    html = quick(client, {"age_group": "adult", "organisation": "local_authority", "safe_to_talk": "yes",
                          "consent_nrm": "no"})
    assert statement(html, "consent_needed") == "Not known yet."
    assert "Not known yet. Not known yet" not in html and "Not known yet: " not in html
    conditional = html.split('id="conditional-answer"')[1].split("</div>\n  {%")[0]
    assert "a conditional answer" in conditional
    assert re.search(r'id="conditional-consent_needed".*?<strong>Yes\.</strong>', conditional, re.S)
    assert re.search(r'id="conditional-who_notifies".*?<strong>Duty to notify\.</strong>', conditional, re.S)
    confirm = conditional.split('id="conditional-confirm"')[1].split("</p>")[0]
    assert "Action" in confirm and "Means" in confirm
    assert "capacity" in conditional.split('id="conditional-others"')[1].split("</p>")[0]
    carry = html.split('action="/start"')[1].split("</form>")[0]
    assert 'name="consent_nrm" value="no"' in carry and 'href="/"' not in carry
    full = quick(client, {"immediate_danger": "no", "age_group": "adult", "organisation": "police",
                          "safe_to_talk": "yes", "action": "yes", "purpose": "yes", "exploited_as_child": "no",
                          "means": "yes", "capacity_concern": "no", "consent_nrm": "no"})
    assert 'id="conditional-answer"' not in full  # settled: no conditional answer


def test_quick_check_child_ignores_consent_and_says_so(client: TestClient) -> None:
    """A child: no consent, NRM after children's services; the consent answer is ignored and said to be."""
    html = quick(client, {"immediate_danger": "no", "age_group": "child", "organisation": "health",
                          "action": "yes", "purpose": "yes", "consent_nrm": "no", "means": "no"})
    assert statement(html, "consent_needed") == "No."
    assert statement(html, "who_notifies") == "NRM referral (child)."
    ignored = html.split('id="ignored-answers"')[1].split("</p>")[0]
    assert "Consent to an NRM referral" in ignored and "Means" in ignored


def test_quick_check_hides_irrelevant_questions_for_htmx(client: TestClient) -> None:
    """With JavaScript (htmx), questions that cannot matter are hidden; without, they are marked."""
    answers = {"age_group": "child"}
    with_js = quick(client, answers, htmx=True)
    assert re.search(r'id="group-consent_nrm"[^>]*hidden', with_js)
    without = quick(client, answers)
    assert not re.search(r'id="group-consent_nrm"[^>]*hidden', without)
    assert "Not needed" in without.split('id="group-consent_nrm"')[1].split("</legend>")[0]


def test_quick_check_rejects_hostile_input(client: TestClient) -> None:
    """Unknown fields, doubled answers and impossible values each get a 422 with a message."""
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    for body in ("age_group=adult&x=1", "age_group=adult&age_group=child", "age_group=teen"):
        response = client.post("/quick-check", content=body, headers=headers)
        assert response.status_code == 422
        assert "There is a problem" in response.text

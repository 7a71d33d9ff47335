"""The questionnaire over plain HTTP (no browser): state in the cookie, hostile input, headers."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient

from app.config import Settings
from app.engine import ELEMENT_WORDS
from app.engine.scenarios import load_scenario
from app.main import create_app
from app.web.walk_token import cookie_name
from tests.conftest import SCENARIOS
from tests.web.client_state import state_of

KEY = Fernet.generate_key().decode()


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(secret_key=KEY, key_file=tmp_path / "unused.key")
    with TestClient(create_app(settings), follow_redirects=False, raise_server_exceptions=False) as c:
        yield c


def post_form(client: TestClient, url: str, pairs: list[tuple[str, str]]) -> Any:
    """Post url-encoded fields as a browser does (a field may repeat)."""
    return client.post(url, content=urlencode(pairs), headers={"Content-Type": "application/x-www-form-urlencoded"})


def set_token(client: TestClient, walk: str, token: str) -> None:
    """Replace the walk's cookie, as someone editing it in the browser would."""
    client.cookies.clear()
    client.cookies.set(cookie_name(walk), token, domain="testserver.local", path=f"/w/{walk}")


def start(client: TestClient) -> str:
    response = client.post("/start")
    assert response.status_code == 303
    match = re.match(r"/w/([A-Za-z0-9_-]+)/q/immediate_danger$", response.headers["location"])
    assert match
    return match.group(1)


def answer(client: TestClient, walk: str, qid: str, value: str | list[str]) -> str:
    """Post one answer as the browser would, and return where we are sent next."""
    values = value if isinstance(value, list) else [value]
    data = [(qid, v) for v in (values or ["none"])]
    response = post_form(client, f"/w/{walk}/q/{qid}", data)
    assert response.status_code == 303, response.text[:500]
    return str(response.headers["location"])


def walk_all(client: TestClient, walk: str, answers: dict[str, object]) -> str:
    location = f"/w/{walk}/q/immediate_danger"
    for _ in range(40):
        match = re.search(r"/q/([a-z_]+)$", location)
        if not match:
            return location
        qid = match.group(1)
        if qid not in answers:
            if not state_of(client).questions[qid].optional:
                return location
            location = client.post(f"/w/{walk}/q/{qid}/skip").headers["location"]
        else:
            location = answer(client, walk, qid, answers[qid])  # type: ignore[arg-type]
    raise AssertionError("did not finish")


def seed(name: str) -> dict[str, object]:
    return load_scenario(SCENARIOS / f"seed_{name}.yaml").answer_values()


def test_start_page_explains_what_pathway_is_not(client: TestClient) -> None:
    """The start page says the competent authority decides and links the privacy and accessibility pages."""
    page = client.get("/")
    assert page.status_code == 200
    assert "competent authority decides" in page.text
    assert 'href="/privacy"' in page.text and 'href="/accessibility"' in page.text
    assert client.get("/privacy").status_code == 200
    assert "2 hours after your last answer" in client.get("/privacy").text
    assert client.get("/accessibility").status_code == 200


def test_a_whole_case_without_javascript(client: TestClient) -> None:
    """Linh's case walks to an outcome with each action marked by its id, and the answers summarised."""
    walk = start(client)
    location = walk_all(client, walk, seed("linh"))
    assert location == f"/w/{walk}/outcome"
    page = client.get(location)
    assert page.status_code == 200
    for aid in ("interpreter", "housing_referral", "modern_slavery_helpline", "police_report"):
        assert f'id="referral-{aid}"' in page.text
    assert 'id="referral-nrm_referral"' not in page.text
    assert f'href="/w/{walk}/q/consent_nrm?change=1"' in page.text
    assert "Use a qualified interpreter" in page.text  # in the plan (no banner repeats it there)
    assert "Undated: confirm locally" in page.text  # the local numbers are on undated council pages
    assert "Not yet checked by your organisation" in page.text


def test_no_answers_in_urls_or_logs_and_no_store(client: TestClient) -> None:
    """Pages are never cached; the cookie is HttpOnly, SameSite=Strict and scoped to the walk."""
    started = client.post("/start")
    walk = started.headers["location"].split("/")[2]
    response = client.get(f"/w/{walk}/q/immediate_danger")
    assert response.headers["cache-control"] == "no-store"
    csp = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self' https://cdn.jsdelivr.net/npm/htmx.org@2.0.11/" in csp
    assert "'unsafe-inline'" not in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "set-cookie" not in response.headers  # showing a page changes nothing
    cookie = started.headers["set-cookie"]
    assert cookie.startswith(cookie_name(walk) + "=")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and f"Path=/w/{walk}" in cookie
    location = answer(client, walk, "immediate_danger", "no")
    assert location == f"/w/{walk}/q/age_group"  # the answer is not in the address
    assert 'autocomplete="off"' in client.get(location).text


def test_htmx_pinned_with_integrity(client: TestClient) -> None:
    """The htmx script is the pinned 2.0.x file with an SRI hash and crossorigin, configured by meta tag."""
    text = client.get("/").text
    assert re.search(r'<script src="https://cdn.jsdelivr.net/npm/htmx.org@2\.0\.\d+/dist/htmx.min.js" '
                     r'integrity="sha384-[A-Za-z0-9+/=]+" crossorigin="anonymous" defer>', text)
    config = re.search(r'<meta name="htmx-config" content="([^"]+)">', text)
    assert config
    parsed = json.loads(config.group(1).replace("&#34;", '"').replace("&quot;", '"'))
    assert parsed["allowEval"] is False and parsed["historyCacheSize"] == 0
    assert {"code": "422", "swap": True} in parsed["responseHandling"]
    assert "<script>" not in text and "style=" not in text


def test_htmx_request_gets_a_fragment(client: TestClient) -> None:
    """An htmx request gets the #page fragment with its title; a normal request the whole page."""
    walk = start(client)
    whole = client.get(f"/w/{walk}/q/immediate_danger")
    part = client.get(f"/w/{walk}/q/immediate_danger", headers={"HX-Request": "true"})
    assert whole.text.lstrip().startswith("<!DOCTYPE html>")
    assert part.text.lstrip().startswith("<title>")
    assert 'id="page"' in part.text and "<html" not in part.text
    restore = client.get(f"/w/{walk}/q/immediate_danger",
                         headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<html" in restore.text


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "Select an answer"),
        ([("immediate_danger", "yes"), ("immediate_danger", "no")], "Select one answer only"),
        ([("immediate_danger", "maybe")], "Select one of the answers shown"),
        ([("immediate_danger", "yes"), ("extra", "1")], "unexpected field"),
    ],
)
def test_invalid_answers_show_the_error_summary(client: TestClient, data: list[tuple[str, str]],
                                                message: str) -> None:
    """A missing, doubled, unknown or extra field re-shows the question with a 422 and an error summary."""
    walk = start(client)
    response = post_form(client, f"/w/{walk}/q/immediate_danger", data)
    assert response.status_code == 422
    assert "There is a problem" in response.text
    assert message in response.text
    assert 'href="#immediate_danger"' in response.text
    assert response.headers.get("HX-Push-Url") == "false"


def test_multi_choice_none_and_errors(client: TestClient) -> None:
    """'None of these' posts a value the server turns into []; with another option it is an error."""
    walk = start(client)
    answers = dict(seed("tyrone"))
    answers.pop("immediate_needs")
    location = walk_all(client, walk, answers)
    assert location.endswith("/q/immediate_needs")
    both = post_form(client, location, [("immediate_needs", "none"), ("immediate_needs", "health")])
    assert both.status_code == 422 and "not both" in both.text
    empty = post_form(client, location, [])
    assert empty.status_code == 422 and "None of these" in empty.text
    assert answer(client, walk, "immediate_needs", []).endswith("/q/longer_term_needs")


def test_markup_in_fields_is_never_echoed(client: TestClient) -> None:
    """Script and markup sent in a field are refused and never appear unescaped."""
    walk = start(client)
    evil = "<script>alert(1)</script>"
    response = post_form(client, f"/w/{walk}/q/immediate_danger", [("immediate_danger", evil)])
    assert response.status_code == 422
    assert evil not in response.text
    response = post_form(client, f"/w/{walk}/q/immediate_danger", [(evil, "yes")])
    assert response.status_code == 422
    assert "<script>alert" not in response.text


@pytest.mark.parametrize("mutate", ["tamper", "foreign", "truncate", "garbage"])
def test_bad_tokens_get_a_friendly_400(client: TestClient, mutate: str) -> None:
    """A tampered, foreign-key, truncated or nonsense token gets a page offering to start again."""
    walk = start(client)
    name = cookie_name(walk)
    good = client.cookies.get(name, path=f"/w/{walk}")
    assert good
    bad = {
        "tamper": good[:-6] + ("A" if good[-6] != "A" else "B") + good[-5:],
        "foreign": Fernet(Fernet.generate_key()).encrypt(
            json.dumps({"v": 1, "w": walk, "a": {}, "s": []}).encode()).decode(),
        "truncate": good[: len(good) // 2],
        "garbage": "not-a-token",
    }[mutate]
    set_token(client, walk, bad)
    response = client.get(f"/w/{walk}/q/immediate_danger")
    assert response.status_code == 400
    assert "We cannot read your answers" in response.text
    assert "Start again" in response.text


def test_expired_token_says_timed_out(client: TestClient) -> None:
    """A token older than the session gets the timed-out page (HTTP 400)."""
    walk = start(client)
    old = Fernet(KEY.encode()).encrypt_at_time(
        json.dumps({"v": 1, "w": walk, "a": {"immediate_danger": "no"}, "s": []}).encode(), int(time.time()) - 3 * 3600)
    set_token(client, walk, old.decode())
    response = client.get(f"/w/{walk}/q/age_group")
    assert response.status_code == 400
    assert "Your answers have timed out" in response.text


def test_token_for_another_walk_is_refused(client: TestClient) -> None:
    """A valid token copied onto another walk's address is refused, so cases cannot be mixed."""
    first = start(client)
    token = client.cookies.get(cookie_name(first), path=f"/w/{first}")
    second = start(client)
    set_token(client, second, str(token))
    assert client.get(f"/w/{second}/q/immediate_danger").status_code == 400


def test_no_cookie_and_bad_walk_ids(client: TestClient) -> None:
    """A walk address without its cookie gets 400; a malformed walk id gets 404; never a 500."""
    assert client.get("/w/abcdefghijklmnop/q/immediate_danger").status_code == 400
    assert client.get("/w/%3Cscript%3E/q/immediate_danger").status_code == 404
    assert client.get("/w/x/outcome").status_code == 404


def test_wrong_methods_and_unknown_pages(client: TestClient) -> None:
    """Wrong methods and unknown pages get HTML error pages with the right status."""
    walk = start(client)
    assert client.put(f"/w/{walk}/q/immediate_danger").status_code == 405
    assert client.get("/start").status_code == 405
    missing = client.get("/no-such-page")
    assert missing.status_code == 404 and "Page not found" in missing.text


def test_large_form_is_413(client: TestClient) -> None:
    """A form body over 64 KB, declared or chunked, gets a 413 page."""
    walk = start(client)
    response = client.post(f"/w/{walk}/q/immediate_danger", content=b"immediate_danger=" + b"y" * 70_000,
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 413

    def chunks() -> Iterator[bytes]:
        yield b"immediate_danger="
        for _ in range(70):
            yield b"y" * 1024

    response = client.post(f"/w/{walk}/q/immediate_danger", content=chunks(),
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 413


def test_questions_off_the_path_redirect(client: TestClient) -> None:
    """Asking for a question that is not on the path sends the user to where they are."""
    walk = start(client)
    answer(client, walk, "immediate_danger", "no")
    answer(client, walk, "age_group", "child")
    response = client.get(f"/w/{walk}/q/consent_nrm")
    assert response.status_code == 303
    assert response.headers["location"] == f"/w/{walk}/q/organisation"
    assert client.get(f"/w/{walk}/outcome").headers["location"] == f"/w/{walk}/q/organisation"


def test_change_age_reroutes_and_restores(client: TestClient) -> None:
    """Changing adult to child drops consent from the path (kept, listed as not used); changing back restores it."""
    walk = start(client)
    assert walk_all(client, walk, seed("tyrone")).endswith("/outcome")
    adult = client.get(f"/w/{walk}/outcome").text
    assert 'id="referral-nrm_referral"' in adult and 'id="referral-childrens_social_care"' not in adult
    assert answer(client, walk, "age_group", "child") == f"/w/{walk}/outcome"
    child = client.get(f"/w/{walk}/outcome").text
    assert 'id="referral-childrens_social_care"' in child
    assert 'id="referral-victim_care_contract"' not in child
    assert "Consent to an NRM referral" in child.split('id="ignored-answers"')[1].split("</p>")[0]
    assert answer(client, walk, "age_group", "adult") == f"/w/{walk}/outcome"
    again = client.get(f"/w/{walk}/outcome").text
    assert 'id="referral-victim_care_contract"' in again


@pytest.mark.parametrize("name", ["linh", "county_lines", "tyrone"])
def test_the_plans_test_card_reads_as_the_case_notes_do(client: TestClient, name: str) -> None:
    """The trafficking test card on the plan and in the case notes use the same words for each element."""
    walk = start(client)
    walk_all(client, walk, seed(name))
    page = client.get(f"/w/{walk}/outcome").text
    card = page.split('class="table test-card"')[1].split("</table>")[0]
    shown = dict(re.findall(r'<th scope="row">(\w+)</th><td>([^<]*)</td>', card))
    notes = client.get(f"/w/{walk}/case-notes.txt?show=1").text
    assert set(shown) == {"Action", "Means", "Purpose"}
    for element, words in shown.items():
        assert words in ELEMENT_WORDS.values(), (element, words)
        assert re.search(rf"{element}\W+{re.escape(words)}", notes, re.IGNORECASE), (element, words, notes)


def test_case_notes_download_and_clear(client: TestClient) -> None:
    """The summary downloads as text with its date and rules; clearing removes the walk's cookie."""
    walk = start(client)
    walk_all(client, walk, seed("county_lines"))
    notes = client.get(f"/w/{walk}/case-notes.txt")
    assert notes.status_code == 200
    assert notes.headers["content-disposition"].startswith('attachment; filename="pathway-summary-')
    assert "england-wales 2.0.0 + lewisham 2.0.0" in notes.text
    assert "Refer to children's social care" in notes.text
    asked = client.post(f"/w/{walk}/clear")  # without confirm=yes: asked first, nothing cleared
    assert asked.status_code == 200 and "Are you sure you want to clear your answers?" in asked.text
    assert "set-cookie" not in asked.headers and 'name="confirm" value="yes"' in asked.text
    cleared = post_form(client, f"/w/{walk}/clear", [("confirm", "yes")])
    assert cleared.status_code == 303 and cleared.headers["location"] == "/"
    assert f"{cookie_name(walk)}=\"\"" in cleared.headers["set-cookie"] or "Max-Age=0" in cleared.headers["set-cookie"]


def test_the_quick_checks_answers_start_a_walk(client: TestClient) -> None:
    """"Answer every question" from the quick check posts its answers to /start (never in a URL):
    the walk starts with them; anything but a quick question's own valid answer is left out."""
    response = post_form(client, "/start", [("immediate_danger", "no"), ("age_group", "adult"),
                                            ("organisation", "local_authority"), ("consent_nrm", "no"),
                                            ("organisation", "police"), ("means", "sideways"), ("x", "1"),
                                            ("communication_support", "yes")])
    assert response.status_code == 303
    # organisation doubled and means invalid are left out; communication_support is not a quick question.
    assert re.search(r"/w/[A-Za-z0-9_-]+/q/organisation$", response.headers["location"]), response.headers
    walk = response.headers["location"].split("/")[2]
    # (Lewisham then asks its council users which service they work in: an optional question.)
    assert answer(client, walk, "organisation", "local_authority") == f"/w/{walk}/q/council_service"


def test_question_pages_show_their_section(client: TestClient) -> None:
    walk = start(client)
    assert "Section 1 of 5: Safety" in client.get(f"/w/{walk}/q/immediate_danger").text
    answer(client, walk, "immediate_danger", "yes")
    page = client.get(f"/w/{walk}/q/age_group").text
    assert "Section 2 of 5: The person" in page
    assert page.count('aria-label="Urgent actions"') == 1 and "Call 999 now." in page


def test_exit_clears_and_leaves(client: TestClient) -> None:
    """Exit this page is a form's POST: it clears the walk's cookie and sends the user to a neutral
    site. A GET of the same address (an old link, or one from another site) only leaves."""
    walk = start(client)
    page = client.get(f"/w/{walk}/q/immediate_danger").text
    assert f'<form method="post" action="/w/{walk}/exit"' in page
    assert 'data-exit="https://www.bbc.co.uk/weather"' in page
    assert 'hx-boost="false"' in page.split(f'action="/w/{walk}/exit"')[1].split(">")[0]
    link = client.get(f"/w/{walk}/exit")
    assert link.status_code == 303 and link.headers["location"] == "https://www.bbc.co.uk/weather"
    assert "set-cookie" not in link.headers
    assert client.get(f"/w/{walk}/q/immediate_danger").status_code == 200  # the walk is still there
    response = client.post(f"/w/{walk}/exit")
    assert response.status_code == 303
    assert response.headers["location"] == "https://www.bbc.co.uk/weather"
    assert "Max-Age=0" in response.headers["set-cookie"]
    # Before a case is started there is nothing to clear, by either method.
    for method in ("GET", "POST"):
        bare = client.request(method, "/exit")
        assert bare.status_code == 303 and bare.headers["location"] == "https://www.bbc.co.uk/weather"
        assert "set-cookie" not in bare.headers
    assert '<form method="post" action="/exit"' in client.get("/").text


def test_exit_redirect_is_allowed_by_form_action(client: TestClient) -> None:
    """Browsers check a form's redirect against the CSP's form-action, so the exit address's
    origin is allowed there (and nothing else but this site)."""
    csp = client.get("/").headers["content-security-policy"]
    assert "form-action 'self' https://www.bbc.co.uk;" in csp


def test_keepalive_renews_the_cookie(client: TestClient) -> None:
    """Carrying on after the timeout warning renews the walk's cookie without changing the answers."""
    walk = start(client)
    response = client.post(f"/w/{walk}/keepalive")
    assert response.status_code == 204
    assert response.headers["set-cookie"].startswith(cookie_name(walk))


def test_preset_organisation_is_skipped_and_stated(tmp_path: Path) -> None:
    """With PATHWAY_ORGANISATION set, the organisation question is skipped and the plan says so."""
    settings = Settings(secret_key=KEY, organisation="police", key_file=tmp_path / "k")
    with TestClient(create_app(settings), follow_redirects=False) as client:
        walk = start(client)
        answer(client, walk, "immediate_danger", "no")
        assert answer(client, walk, "age_group", "adult").endswith("/q/communication_support")
        answers = {k: v for k, v in seed("tyrone").items() if k != "organisation"}
        outcome = client.get(walk_all(client, walk, answers)).text
        assert "taken from this deployment&#39;s setting: Police" in outcome


def test_generated_key_file_is_private_and_shared(tmp_path: Path) -> None:
    """Without PATHWAY_SECRET_KEY, one key is created, readable only by its owner, and reused after a restart."""
    key_file = tmp_path / "var" / "secret.key"
    settings = Settings(secret_key=None, key_file=key_file)
    with TestClient(create_app(settings), follow_redirects=False) as first:
        walk = start(first)
        token = first.cookies.get(cookie_name(walk), path=f"/w/{walk}")
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    with TestClient(create_app(settings), follow_redirects=False) as second:
        set_token(second, walk, str(token))
        assert second.get(f"/w/{walk}/q/immediate_danger").status_code == 200


def test_workers_starting_together_share_one_key(tmp_path: Path) -> None:
    """Several processes creating the key at once all end up with the same key."""
    key_file = tmp_path / "secret.key"
    code = ("import sys; from pathlib import Path; from app.web.walk_token import load_or_create_key; "
            "sys.stdout.write(load_or_create_key(None, Path(sys.argv[1])).decode())")
    procs = [subprocess.Popen([sys.executable, "-c", code, str(key_file)], stdout=subprocess.PIPE)
             for _ in range(6)]
    keys = {p.communicate(timeout=60)[0] for p in procs}
    assert len(keys) == 1 and keys != {b""}

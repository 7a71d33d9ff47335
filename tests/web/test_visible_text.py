"""No internal reference reaches a user: every page of every shipped scenario, its case notes and its API
output are free of facts-sheet citations (``facts §``), seed labels, source tags (``[S1]``, ``[C2]``) and
raw snake_case ids (``consent_nrm``).

Visible text is what a person reads or hears: HTML text nodes (not ``<script>`` or ``<style>``) and the
attributes a browser shows or a screen reader reads (``title``, ``aria-label``, ``alt``, ``placeholder``,
``label``); the plain-text case notes; and the API's ``title``, ``summary``, ``who_acts``, ``reasons``,
``text`` and ``label`` fields at any depth. Addresses, element ids, classes and form field names are not
visible text. An email or web address inside the text may contain an underscore.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient

from app.config import Settings
from app.engine.scenarios import Scenario, load_scenario
from app.main import create_app
from tests.conftest import SCENARIO_PATHS, deployment_of
from tests.web.client_state import state_of

KEY = Fernet.generate_key().decode()

# Internal references that must never be shown: facts-sheet citations, the seed's labels, source tags.
CITATION = re.compile(r"facts §|seed (?:example|section)|\[[SC]\d+\]", re.IGNORECASE)
# A raw id: letters or digits joined by underscores, with an underscore next to a lowercase letter.
RAW_ID = re.compile(r"[a-z0-9]_[a-z]|[a-z]_[a-z0-9]")
EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+$")
WEB = re.compile(r"^(?:https?://|www\.)[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+(?:[/?#]\S*)?$")
# Attributes whose text is shown or read aloud.
SPOKEN_ATTRIBUTES = ("title", "aria-label", "alt", "placeholder", "label")
API_TEXT_KEYS = frozenset({"title", "summary", "who_acts", "reasons", "text", "label"})
CONTEXT = 60



# ----------------------------------------------------------------------------- finding leaks


VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
                  "wbr"})


class _VisibleText(HTMLParser):
    """Collects an HTML page's text nodes and spoken attributes.

    Skips scripts and styles, and ``<code>``: the markup for an identifier shown on purpose (the cookie's
    name on the privacy page, the rule ids and logic on the diagram page). ``node_titles=False`` also skips
    the diagram's node titles (``<a><title>`` in the SVG), checked on their own.
    """

    SKIP = ("script", "style", "code")

    def __init__(self, *, node_titles: bool = True) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self._open: list[str] = []
        self._skip = 0
        self._node_titles = node_titles

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._attributes(attrs)
        if tag in VOID:
            return
        if self._skipped(tag):
            self._skip += 1
        self._open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._attributes(attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag not in self._open:
            return
        while self._open:
            closed = self._open.pop()
            if self._skipped(closed):
                self._skip -= 1
            if closed == tag:
                break

    def _skipped(self, tag: str) -> bool:
        return tag in self.SKIP or (tag == "title" and not self._node_titles and "a" in self._open)

    def handle_data(self, data: str) -> None:
        if not self._skip and data.strip():
            self.chunks.append(data)

    def _attributes(self, attrs: list[tuple[str, str | None]]) -> None:
        if not self._skip:
            self.chunks += [value for name, value in attrs if name in SPOKEN_ATTRIBUTES and value]


def html_text(markup: str, *, node_titles: bool = True) -> str:
    parser = _VisibleText(node_titles=node_titles)
    parser.feed(markup)
    parser.close()
    return "\n".join(parser.chunks)


def _is_address(token: str) -> bool:
    return bool(EMAIL.match(token) or WEB.match(token))


def leaks(text: str) -> list[str]:
    """Each internal reference in the text, quoted with the words around it."""
    found: list[tuple[int, int]] = [m.span() for m in CITATION.finditer(text)]
    for token in re.finditer(r"\S+", text):
        word = token.group().strip("\"'“”‘’()[]{}<>.,;:!?*")
        if RAW_ID.search(word) and not _is_address(word):
            start = token.start() + token.group().index(word)
            found.append((start, start + len(word)))
    out = []
    for start, end in sorted(set(found)):
        before = " ".join(text[max(0, start - CONTEXT):start].split())
        after = " ".join(text[end:end + CONTEXT].split())
        out.append(f"{text[start:end]!r} in “…{before} [{text[start:end]}] {after}…”")
    return out


def api_text(body: Any, path: str = "$") -> Iterator[tuple[str, str]]:
    """(JSON path, string) for every string under a visible-text key, at any depth."""
    if isinstance(body, dict):
        for key, value in body.items():
            where = f"{path}.{key}"
            if key in API_TEXT_KEYS:
                yield from _strings(value, where)
            else:
                yield from api_text(value, where)
    elif isinstance(body, list):
        for n, item in enumerate(body):
            yield from api_text(item, f"{path}[{n}]")


def _strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, list):
        for n, item in enumerate(value):
            yield from _strings(item, f"{path}[{n}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, f"{path}.{key}")


@dataclass
class Report:
    problems: list[str] = field(default_factory=list)

    def html(self, where: str, response: Any, *, node_titles: bool = True) -> None:
        if self._ok(where, response):
            self.text(where, html_text(response.text, node_titles=node_titles))

    def plain(self, where: str, response: Any) -> None:
        if self._ok(where, response):
            self.text(where, response.text)

    def api(self, where: str, response: Any) -> None:
        if self._ok(where, response):
            for path, text in api_text(response.json()):
                self.text(f"{where} {path}", text)

    def text(self, where: str, text: str) -> None:
        self.problems += [f"{where}: {leak}" for leak in leaks(text)]

    def _ok(self, where: str, response: Any) -> bool:
        if response.status_code != 200:
            self.problems.append(f"{where}: HTTP {response.status_code}")
            return False
        return True

    def check(self) -> None:
        if self.problems:
            pytest.fail(f"{len(self.problems)} internal reference(s) in visible text:\n  "
                        + "\n  ".join(self.problems), pytrace=False)


def test_the_checker_finds_what_it_should() -> None:
    """Ids, citations and tags in text or spoken attributes are found; addresses, scripts, ids and classes not."""
    page = ('<p class="some_class" id="node-consent_nrm">See facts §9 and [S12]; ask consent_nrm.<br>'
            '<input name="a_b" value="c_d"></p><code>pathway_walk_</code>'
            '<a href="/w/x/q/consent_nrm" title="about age_group">x</a><script>var a_b = 1;</script>'
            "<p>Write to first_responder@example.org.uk or see https://www.gov.uk/a_b_c today.</p>"
            '<select name="flip"><optgroup label="Seed example"></optgroup></select>'
            '<svg><a href="#n"><title>Node: age_group</title><text>Age</text></a><desc>c [C1]</desc></svg>')
    found = leaks(html_text(page))
    assert [f.split(" in ")[0] for f in found] == ["'facts §'", "'[S12]'", "'consent_nrm'", "'age_group'",
                                                    "'Seed example'", "'age_group'", "'[C1]'"]
    assert "[consent_nrm] ." in found[2] and "ask" in found[2]
    assert [f.split(" in ")[0] for f in leaks(html_text(page, node_titles=False))][-2:] == ["'Seed example'",
                                                                                            "'[C1]'"]


# ----------------------------------------------------------------------------- apps


@dataclass
class Deployment:
    client: TestClient
    quick_ids: list[str]


@pytest.fixture(scope="module")
def deployments(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[tuple[str, str | None], Deployment]]:
    """One app per (local pack, preset organisation) the scenarios need, built once for the module."""
    key_file = tmp_path_factory.mktemp("visible") / "unused.key"
    wanted: set[tuple[str, str | None]] = {("lewisham", None), ("none", None), ("lewisham", "police")}
    for path in SCENARIO_PATHS:
        scenario = load_scenario(path)
        wanted.add((deployment_of(scenario.local), scenario.preset.get("organisation")))
    built: dict[tuple[str, str | None], Deployment] = {}
    clients = []
    try:
        for local, organisation in sorted(wanted, key=str):
            settings = Settings(secret_key=KEY, key_file=key_file, local_pack=local, organisation=organisation)
            client = TestClient(create_app(settings), follow_redirects=False, raise_server_exceptions=False)
            client.__enter__()
            clients.append(client)
            state = state_of(client)
            quick = [q.id for q in state.rulebook.questions if q.quick_check and q.id not in settings.preset]
            built[(local, organisation)] = Deployment(client, quick)
        yield built
    finally:
        for client in clients:
            client.__exit__(None, None, None)


def _deployment(deployments: dict[tuple[str, str | None], Deployment], scenario: Scenario) -> Deployment:
    return deployments[(deployment_of(scenario.local), scenario.preset.get("organisation"))]


def _form(client: TestClient, url: str, pairs: list[tuple[str, str]]) -> Any:
    return client.post(url, content=urlencode(pairs), headers={"Content-Type": "application/x-www-form-urlencoded"})


# ----------------------------------------------------------------------------- the tests


@pytest.mark.parametrize("deployment", [("lewisham", None), ("none", None), ("lewisham", "police")],
                         ids=["lewisham", "national-only", "police-preset"])
def test_pages_without_a_case_are_plain(deployments: dict[tuple[str, str | None], Deployment],
                                        deployment: tuple[str, str | None]) -> None:
    """The start, privacy, accessibility, training list, diagram pages and GET /api/v2/pathway."""
    client = deployments[deployment].client
    report = Report()
    for url in ("/", "/privacy", "/accessibility", "/training", "/quick-check"):
        report.html(url, client.get(url))
    report.html("/pathway", client.get("/pathway"), node_titles=False)
    report.api("GET /api/v2/pathway", client.get("/api/v2/pathway"))
    report.check()


def test_diagram_node_titles_are_plain(deployments: dict[tuple[str, str | None], Deployment]) -> None:
    """The drawn pathway's boxes are named in plain words: their titles are read out by screen readers."""
    report = Report()
    report.html("/pathway.svg", deployments[("lewisham", None)].client.get("/pathway.svg"))
    report.check()


@pytest.mark.parametrize("path", SCENARIO_PATHS, ids=[p.stem for p in SCENARIO_PATHS])
def test_every_page_of_the_scenario_is_plain(deployments: dict[tuple[str, str | None], Deployment],
                                             path: Path) -> None:
    """The questionnaire, plan, case notes, training pages, quick check and API for one scenario."""
    scenario = load_scenario(path)
    deployment = _deployment(deployments, scenario)
    client = deployment.client
    answers = scenario.answer_values()
    report = Report()

    # The questionnaire, one question at a time, answering exactly what each page asks.
    client.cookies.clear()
    location = client.post("/start").headers["location"]
    walk = location.split("/")[2]
    asked: list[str] = []
    for _ in range(60):
        match = re.fullmatch(rf"/w/{walk}/q/([a-z_]+)", location)
        if not match:
            break
        qid = match.group(1)
        report.html(f"question page {qid}", client.get(location))  # the walk id is random: name the question
        if qid in answers:
            asked.append(qid)
            values = answers[qid] if isinstance(answers[qid], list) else [answers[qid]]
            response = _form(client, location, [(qid, v) for v in (values or ["none"])])
        else:
            assert state_of(client).questions[qid].optional, (
                f"{path.name}: the walk asks {qid}, which the scenario does not answer")
            response = client.post(f"{location}/skip")
        assert response.status_code == 303, f"{path.name}: answering {qid} gave HTTP {response.status_code}"
        location = response.headers["location"]
    assert location == f"/w/{walk}/outcome", f"{path.name}: the walk did not reach the plan ({location})"
    report.html("the plan (outcome page)", client.get(location))
    report.plain("case notes (download)", client.get(f"/w/{walk}/case-notes.txt"))
    report.plain("case notes (shown to copy)", client.get(f"/w/{walk}/case-notes.txt?show=1"))

    # Training mode, for the scenarios it shows.
    if scenario.narrative:
        base = f"/training/{path.stem}"
        report.html(base, client.get(base))
        for number in range(1, 60):  # every step, until the last one leads to the outcome
            step = client.get(f"{base}/step/{number}")
            if step.status_code == 303 and step.headers["location"] == f"{base}/outcome":
                break
            report.html(f"{base}/step/{number}", step)
        outcome = client.get(f"{base}/outcome")
        report.html(f"{base}/outcome", outcome)
        flips = re.findall(r'<option value="([^"]+)"', outcome.text)
        if flips:  # one "what if?" per case, spread over the questions
            flip = flips[len(flips) // 2]
            report.html(f"{base}/what-if?flip={flip}", client.get(f"{base}/what-if", params={"flip": flip}))

    # The quick check, with the scenario's answers to its questions.
    pairs = [(q, str(answers[q])) for q in deployment.quick_ids if isinstance(answers.get(q), str)]
    report.html("POST /quick-check", _form(client, "/quick-check", pairs))

    # The API: each question as it is asked, then the whole plan.
    given: dict[str, Any] = {}
    for qid in asked:
        report.api(f"POST /api/v2/assess (before {qid})", client.post("/api/v2/assess", json={"answers": given}))
        given[qid] = answers[qid]
    final = client.post("/api/v2/assess", json={"answers": answers})
    report.api("POST /api/v2/assess (all answers)", final)
    assert final.json()["complete"] is True, f"{path.name}: the API did not complete the walk"
    report.check()

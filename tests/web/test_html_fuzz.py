"""A fuzz test of the HTML side, beside schemathesis (which covers the API from /openapi.json).

Hypothesis builds requests for every route the app answers, read from ``app.routes`` (so a route
added later is fuzzed without editing this file): path parameters (walk ids, question ids,
scenario slugs, step numbers, file names, any Unicode, lone surrogates), query strings, headers,
cookies and bodies (form fields repeated and oversized, in odd charsets, multipart, JSON, raw
bytes, under any Content-Type), with the method of the route or another. A share of the cases on
walk routes carry a valid walk id with a valid cookie, so the pages behind the cookie are reached
too. Every response must:

- not be a 5xx (the busy 503 would be one, but no cap is reached in-process);
- carry every security header (security.security_headers) and a Cache-Control;
- never hold the marker ``<x-fuzz`` raw: it is in every value sent, so a value shown unescaped
  would show it (JSON responses excepted: the API names a value sent as JSON text, by contract,
  as application/json with nosniff, which no browser renders as HTML);
- have no body for a HEAD, no Location naming the Host sent, and delete no cookie the request did
  not carry; a GET or HEAD sets no cookie, and deletes only one it carried (a HEAD not even that).

Derandomized, so a failure replays; set PATHWAY_FUZZ_RANDOM=1 for new cases each run, and
PATHWAY_FUZZ_SCALE=5 (say) to run five times as many.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

import pytest
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from app.config import Settings
from app.engine.scenarios import load_scenario
from app.engine.walk import route as walk_route
from app.main import create_app
from app.web.security import security_headers
from app.web.walk_token import COOKIE_PREFIX, Walk, cookie_name
from tests.conftest import SCENARIOS
from tests.web.app_routes import AppRoute, every_route

MARKER = "<x-fuzz>"
RAW_MARKER = b"<x-fuzz"  # also catches a value cut short before it is shown
EVIL_HOST = "evil-fuzz.example"
# Examples per route and method: more where a body is read, fewer for HEAD (a GET without the body).
SCALE = float(os.environ.get("PATHWAY_FUZZ_SCALE", "1"))
EXAMPLES = {"POST": 80, "GET": 40, "HEAD": 20}
MIN_REQUESTS = 2000

SETTINGS = Settings(secret_key=Fernet.generate_key().decode(), key_file=Path("/nonexistent-unused/secret.key"))
APP = create_app(SETTINGS)
CLIENT = TestClient(APP, follow_redirects=False, raise_server_exceptions=False)
ROUTES = every_route(APP)
CASES = [(route, method) for route in ROUTES for method in sorted(route.methods)]  # HEAD beside each GET
EXPECTED_HEADERS = {k.decode(): v.decode() for k, v in security_headers(SETTINGS.htmx_local, SETTINGS.exit_url)}

QUESTIONS = APP.state.pathway.questions
CODEC = APP.state.pathway.walk_store.codec  # the cookie store's: tokens made here are the app's own
QUESTION_IDS = sorted(QUESTIONS)
OPTION_VALUES = sorted({o.value for q in QUESTIONS.values() for o in q.options} | {"none"})
SLUGS = sorted(APP.state.pathway.training)
ASSETS = sorted(url.removeprefix("/static/") for url in APP.state.pathway.assets.by_url)
# Walks in four states: just started, part way, and complete (two seed scenarios' answers).
WALK_STATES: list[dict[str, Any]] = [
    {},
    {"immediate_danger": "no", "age_group": "adult"},
    load_scenario(SCENARIOS / "seed_tyrone.yaml").answer_values(),
    load_scenario(SCENARIOS / "seed_linh.yaml").answer_values(),
]


# The questions each walk may answer now (answered, optional now, next): a POST to one of these
# reads the form, where a value sent could be shown back in an error.
def _answerable(answers: dict[str, Any]) -> list[str]:
    where = walk_route(APP.state.pathway.rulebook, answers, preset=SETTINGS.preset)
    return [*where.answered, *(q for q, _ in where.optional), *filter(None, [where.next_question])]


ANSWERABLE = [_answerable(answers) for answers in WALK_STATES]
OTHER_METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]
FORM = "application/x-www-form-urlencoded"
CONTENT_TYPES = [
    FORM, f"{FORM}; charset=utf-8", f"{FORM}; charset=UTF-7", f"{FORM}; charset=unicode_escape",
    f"{FORM}; charset=latin-1", f"{FORM}; charset=x-nonsense", f"{FORM};charset=utf-16", f"{FORM.upper()}",
    "multipart/form-data; boundary=fuzzb0undary", "multipart/form-data", "multipart/form-data; charset=utf-7",
    "text/plain", "text/plain; charset=utf-7", "application/json", "application/json; charset=utf-16",
    "application/xml", "*/*", "", f"text/{MARKER}", "application/x-www-form-urlencoded, text/plain",
]
CHARSETS = ["utf-8", "latin-1", "utf-7", "utf-16", "cp1252", "unicode_escape"]


@dataclass
class Tally:
    requests: int = 0
    by_route: dict[str, int] = field(default_factory=dict)
    statuses: dict[int, int] = field(default_factory=dict)
    valid_walk: int = 0

    def count(self, case: str, status: int, valid_walk: bool) -> None:
        self.requests += 1
        self.by_route[case] = self.by_route.get(case, 0) + 1
        self.statuses[status] = self.statuses.get(status, 0) + 1
        self.valid_walk += valid_walk


TALLY = Tally()

# ----------------------------------------------------------------------------- strategies


def tainted(base: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Text that often holds the marker: alone, before, after or inside other text."""
    return st.one_of(
        base,
        st.just(MARKER),
        base.map(lambda t: t + MARKER),
        st.tuples(base, base).map(lambda ab: ab[0] + MARKER + ab[1]),
    )


def weighted(*choices: tuple[int, st.SearchStrategy[Any]]) -> st.SearchStrategy[Any]:
    """One of the strategies, in proportion to its weight (st.one_of weighs its branches alike)."""
    table = [strategy for weight, strategy in choices for _ in range(weight)]
    return st.integers(0, len(table) - 1).flatmap(lambda i: table[i])


UNICODE = st.text(st.characters(codec=None), max_size=40)  # any code point but a surrogate, mostly
LONE_SURROGATE = st.tuples(UNICODE, st.characters(categories=["Cs"]), UNICODE).map("".join)
ANY_TEXT = tainted(weighted((3, UNICODE), (1, LONE_SURROGATE)))
ASCII_TEXT = tainted(st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40))
WALK_SHAPED = st.from_regex(r"[A-Za-z0-9_-]{10,24}", fullmatch=True)
PARAMS: dict[str, st.SearchStrategy[str]] = {
    "walk_id": st.one_of(WALK_SHAPED, ANY_TEXT, WALK_SHAPED.map(lambda w: w + "\u00e9"),
                         st.sampled_from(["..", ".", "x" * 300, "%00", "abcdefghij\u0661"])),
    "qid": weighted((2, st.sampled_from(QUESTION_IDS)), (1, ANY_TEXT)),
    "slug": weighted((3, st.sampled_from(SLUGS)), (1, ANY_TEXT), (1, st.sampled_from(["..", "../../etc/passwd"]))),
    "number": st.one_of(st.integers(-3, 60).map(str), st.sampled_from(["1e3", "0x1", " 1", "9" * 40]), ANY_TEXT),
    "filename": st.one_of(st.sampled_from(ASSETS), st.just("vendor/htmx.min.js"), ANY_TEXT,
                          st.sampled_from(["../app/main.py", "..%2f..%2fpyproject.toml", "pathway.js"])),
}


def encode(text: str, charset: str = "utf-8") -> bytes:
    """Percent-encode for a query or form, in the charset (lone surrogates as they are)."""
    try:
        raw = text.encode(charset, "surrogatepass" if charset == "utf-8" else "replace")
    except (UnicodeError, LookupError):
        raw = text.encode("utf-8", "surrogatepass")
    return quote_plus(raw).encode()


def urlencoded(pairs: list[tuple[str, str]], charset: str = "utf-8") -> bytes:
    return b"&".join(encode(k, charset) + b"=" + encode(v, charset) for k, v in pairs)


FIELD_NAMES = st.one_of(st.sampled_from(QUESTION_IDS), ANY_TEXT, st.just(""))
FIELD_VALUES = st.one_of(st.sampled_from(OPTION_VALUES), ANY_TEXT, st.just(""),
                         st.integers(1000, 3000).map(lambda n: "y" * n))
PAIRS = st.lists(st.tuples(FIELD_NAMES, FIELD_VALUES), max_size=12)
REPEATED = st.tuples(PAIRS, st.integers(1, 40)).map(lambda pr: pr[0] * pr[1])


@st.composite
def multipart(draw: st.DrawFn) -> tuple[bytes, str]:
    boundary = draw(st.sampled_from(["fuzzb0undary", "x", "-" * 70, MARKER]))
    parts = []
    for name, value in draw(PAIRS):
        charset = draw(st.sampled_from(CHARSETS))
        head = f'Content-Disposition: form-data; name="{name}"'
        if draw(st.booleans()):
            head += '; filename="f.txt"'
        head += f"\r\nContent-Type: text/plain; charset={charset}"
        try:
            body = value.encode(charset)
        except (UnicodeError, LookupError):
            body = value.encode("utf-8", "surrogatepass")
        parts.append(f"--{boundary}\r\n".encode("utf-8", "surrogatepass") + head.encode("utf-8", "surrogatepass")
                     + b"\r\n\r\n" + body + b"\r\n")
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


@st.composite
def bodies(draw: st.DrawFn, answerable: str | None) -> tuple[bytes, str | None]:
    """A body and the Content-Type sent with it (None: no header)."""
    kind = draw(st.sampled_from(["none", "answer", "answer", "form", "form", "form", "tainted", "tainted",
                                 "tainted", "tainted", "repeated", "charset", "multipart", "json", "raw", "typed",
                                 "huge"]))
    if kind == "none":
        return b"", draw(st.sampled_from([None, FORM]))
    if kind == "answer" and answerable is not None and answerable in QUESTIONS:  # as a browser posts it
        values = [o.value for o in QUESTIONS[answerable].options] + ["none"]
        chosen = draw(st.lists(st.sampled_from(values), min_size=1, max_size=3))
        return urlencoded([(answerable, v) for v in chosen]), FORM
    if kind == "tainted":  # the question's field, and others, holding the marker: refused and shown again
        names = st.one_of(st.just(answerable or "immediate_danger"), st.sampled_from(QUESTION_IDS), ANY_TEXT)
        pairs = draw(st.lists(st.tuples(names, ANY_TEXT), min_size=1, max_size=4))
        return urlencoded(pairs), FORM
    if kind in ("form", "answer"):
        return urlencoded(draw(PAIRS)), draw(st.sampled_from([FORM, FORM, f"{FORM}; charset=utf-8", None]))
    if kind == "typed":
        return urlencoded(draw(PAIRS)), draw(st.sampled_from(CONTENT_TYPES))
    if kind == "repeated":
        return urlencoded(draw(REPEATED)), FORM
    if kind == "charset":
        charset = draw(st.sampled_from(CHARSETS))
        return urlencoded(draw(PAIRS), charset), f"{FORM}; charset={charset}"
    if kind == "multipart":
        body, content_type = draw(multipart())
        return body, draw(st.sampled_from([content_type, content_type, *CONTENT_TYPES]))
    if kind == "json":
        answers = dict(draw(st.lists(st.tuples(FIELD_NAMES, st.one_of(FIELD_VALUES, st.lists(FIELD_VALUES))),
                                     max_size=6)))
        text = json.dumps({"answers": answers}, ensure_ascii=draw(st.booleans()))
        return text.encode("utf-8", "surrogatepass"), draw(st.sampled_from(["application/json", *CONTENT_TYPES]))
    if kind == "huge":
        return b"immediate_danger=" + b"y" * draw(st.integers(60_000, 80_000)), FORM
    return draw(st.binary(max_size=3000)), draw(st.sampled_from(CONTENT_TYPES))


FLIPS = st.tuples(st.sampled_from(QUESTION_IDS), ANY_TEXT).map(lambda qv: f"{qv[0]}:{qv[1]}")
# The query names any page reads (change, show, flip and question ids), and any other.
QUERY_NAMES = weighted((2, st.sampled_from(["change", "show", "flip"])), (1, st.sampled_from(QUESTION_IDS)),
                       (1, ANY_TEXT))
QUERY_VALUES = weighted((1, st.sampled_from(["1", "0", "immediate_danger:yes", "age_group:child"])), (2, FLIPS),
                        (1, ANY_TEXT))
QUERY = st.lists(st.tuples(QUERY_NAMES, QUERY_VALUES), max_size=8)
WALK_CASES = ["valid"] * 4 + ["no cookie"] * 2 + ["bad cookie"] * 2 + ["any id"] * 2
HEADER_NAMES = st.from_regex(r"X-[A-Za-z][A-Za-z0-9-]{0,15}", fullmatch=True)


@st.composite
def headers(draw: st.DrawFn) -> dict[str, str]:
    sent: dict[str, str] = {}
    if draw(st.integers(0, 9)) >= 7:
        sent["HX-Request"] = "true"
        if draw(st.booleans()):
            sent["HX-Boosted"] = "true"
        sent["HX-Current-URL"] = draw(ASCII_TEXT)
    if draw(st.booleans()):
        sent["Accept"] = draw(st.sampled_from(["text/html", "application/json", "*/*", "text/plain",
                                              "application/xhtml+xml", MARKER]))
    if draw(st.integers(0, 3)) == 3:
        sent["Host"] = EVIL_HOST
    for name in ("Referer", "Origin", "User-Agent", "Accept-Language", "X-Forwarded-Host", "X-Request-Id"):
        if draw(st.integers(0, 5)) == 5:
            sent[name] = draw(ASCII_TEXT)
    for name, value in draw(st.lists(st.tuples(HEADER_NAMES, ASCII_TEXT), max_size=3)):
        sent[name] = value
    return sent


@dataclass
class FuzzRequest:
    method: str
    url: str
    headers: dict[str, str]
    body: bytes
    valid_walk: bool
    cookies_sent: set[str]


def build(route: AppRoute, method: str, values: dict[str, str], query: list[tuple[str, str]],
          headers: dict[str, str], cookies: list[tuple[str, str]], body: bytes, content_type: str | None,
          valid_walk: bool, slash: bool = False) -> FuzzRequest:
    """The request; with slash, its path ends in "/" (redirected to the route, relative to this site)."""
    sent = dict(headers)
    if cookies:
        sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies)
    if content_type is not None:
        sent["Content-Type"] = content_type
    url = route.url(values) + ("/" if slash else "") + ("?" + urlencoded(query).decode() if query else "")
    return FuzzRequest(method, url, sent, body, valid_walk, {k for k, _ in cookies})


def seeds(route: AppRoute, method: str) -> list[FuzzRequest]:
    """Requests tried first on every route, before the generated ones: a valid walk (where the route
    has one) and real ids everywhere, with the marker in every place a page reads a value from (the
    query, a field's name, its value), so the pages that show a value sent back are reached."""
    found = []
    for state in (0, 2):
        walk = Walk(f"seedwalk{state}abcdefgh", dict(WALK_STATES[state]))
        qid = ANSWERABLE[state][0]
        values = {"walk_id": walk.id, "qid": qid, "slug": SLUGS[0], "number": "1", "filename": ASSETS[0]}
        values = {name: values.get(name, MARKER) for name in route.params}
        cookies = [(cookie_name(walk.id), CODEC.encode(walk))] if "walk_id" in route.params else []
        query = [("flip", f"{qid}:{MARKER}"), ("change", MARKER), ("show", MARKER), (MARKER, MARKER)]
        quick = [q.id for q in APP.state.pathway.rulebook.questions if q.quick_check]
        for pairs in ([(qid, MARKER)], [(MARKER, "1")], [(q, MARKER) for q in quick]):
            found.append(build(route, method, values, query, {"HX-Request": "true"}, cookies, urlencoded(pairs),
                               FORM, "walk_id" in route.params))
        found.append(build(route, method, values, query, {"Host": EVIL_HOST}, cookies, b"", None,
                           "walk_id" in route.params, slash=True))
    if method == "POST":  # over the body limit
        found.append(build(route, method, values, [], {}, cookies, urlencoded([(qid, "y" * 70_000)]), FORM,
                           "walk_id" in route.params))
    return found


@st.composite
def requests_for(draw: st.DrawFn, route: AppRoute, method: str) -> FuzzRequest:
    # Hypothesis draws the simplest value (0) far more often than the others, so 0 is the usual case.
    if draw(st.integers(0, 9)) == 9:
        method = draw(st.sampled_from(OTHER_METHODS))
    values = {name: draw(PARAMS.get(name, ANY_TEXT), label=name) for name in route.params}
    sent = draw(headers())
    cookies: list[tuple[str, str]] = []
    walk_case = draw(st.sampled_from(WALK_CASES)) if "walk_id" in route.params else None
    valid_walk = walk_case == "valid"
    if valid_walk:  # a walk in progress, with its cookie
        state = draw(st.integers(0, len(WALK_STATES) - 1), label="walk state")
        walk = Walk(draw(WALK_SHAPED, label="valid walk_id"), dict(WALK_STATES[state]))
        values["walk_id"] = walk.id
        cookies.append((cookie_name(walk.id), CODEC.encode(walk)))
        if "qid" in values and draw(st.integers(0, 3)) < 3:
            values["qid"] = draw(st.sampled_from(ANSWERABLE[state]), label="answerable qid")
    elif walk_case in ("no cookie", "bad cookie"):  # well formed: a link from elsewhere, or an edited cookie
        values["walk_id"] = draw(WALK_SHAPED, label="walk_id")
        if walk_case == "bad cookie":
            cookies.append((cookie_name(values["walk_id"]), draw(ASCII_TEXT)))
    if draw(st.integers(0, 4)) == 4:
        cookies.append((draw(st.from_regex(r"[a-z_]{1,12}", fullmatch=True)), draw(ASCII_TEXT)))
    body, content_type = draw(bodies(values.get("qid")))
    slash = draw(st.integers(0, 9)) == 9
    return build(route, method, values, draw(QUERY), sent, cookies, body, content_type, valid_walk, slash)


# ----------------------------------------------------------------------------- checks


def check(sent: FuzzRequest, response: Any) -> None:
    where = f"{sent.method} {sent.url[:200]} -> {response.status_code}"
    assert response.status_code < 500, where
    for name, value in EXPECTED_HEADERS.items():
        assert response.headers.get(name) == value, f"{where}: {name}"
    assert response.headers.get("cache-control"), where
    media = response.headers.get("content-type", "").split(";")[0]
    if media != "application/json":
        assert RAW_MARKER not in response.content, f"{where}: a value sent is shown unescaped"
    else:
        json.loads(response.content or b"null")
    assert not any(RAW_MARKER.decode() in v for v in response.headers.values()), where
    if sent.method == "HEAD":
        assert response.content == b"", where
    location = response.headers.get("location")
    if location is not None:
        assert EVIL_HOST not in location, where
        assert location == SETTINGS.exit_url or (location.startswith("/") and location[1:2] not in ("/", "\\")), where
    for cookie in response.headers.get_list("set-cookie"):
        name = cookie.split("=", 1)[0]
        assert name.startswith(COOKIE_PREFIX), where
        deleting = "Max-Age=0" in cookie
        if deleting:
            assert name in sent.cookies_sent, f"{where}: deleted a cookie the request did not carry"
        assert sent.method != "HEAD", f"{where}: a HEAD set a cookie"
        assert sent.method != "GET" or deleting, f"{where}: a GET set a cookie"


def case_id(route: AppRoute, method: str) -> str:
    return f"{method} {route.path}"


@pytest.mark.parametrize(("route", "method"), CASES, ids=[case_id(r, m) for r, m in CASES])
def test_fuzz_route(route: AppRoute, method: str) -> None:
    """Generated requests for one route and method (sometimes another method): never a 5xx, always
    the headers, never a value echoed raw."""

    @settings(max_examples=round(EXAMPLES.get(method, 40) * SCALE), deadline=None, database=None,
              suppress_health_check=list(HealthCheck), derandomize=not os.environ.get("PATHWAY_FUZZ_RANDOM"))
    @given(sent=requests_for(route, method))
    def fuzz(sent: FuzzRequest) -> None:
        CLIENT.cookies.clear()
        response = CLIENT.request(sent.method, sent.url, content=sent.body, headers=sent.headers)
        TALLY.count(case_id(route, method), response.status_code, sent.valid_walk)
        check(sent, response)

    for seed in seeds(route, method):
        fuzz = example(sent=seed)(fuzz)
    fuzz()


def test_enough_requests_were_made() -> None:
    """At least 2,000 requests in all, at least 20 for every route, some with a valid walk, and
    the pages behind the cookie were reached (200s and redirects, not only refusals)."""
    assert TALLY.requests >= MIN_REQUESTS, TALLY.requests
    assert set(TALLY.by_route) == {case_id(r, m) for r, m in CASES}
    assert min(TALLY.by_route.values()) >= 20, TALLY.by_route
    assert TALLY.valid_walk >= 200, TALLY.valid_walk
    for status in (200, 303, 400, 404, 405, 413, 415, 422):
        assert TALLY.statuses.get(status, 0) > 0, (status, TALLY.statuses)

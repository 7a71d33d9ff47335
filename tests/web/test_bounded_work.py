"""Bounded work per request: a hostile request is refused before anything validates it, with a small
reply, and costs at most 1.5 times the CPU of a valid one (issue 9; the security review's M2).

The measurement is benchmarks/bench_hostile.py's (`make bench` runs it with 200 requests of each kind),
here with fewer requests per round and more rounds, the median kept.
"""

from __future__ import annotations

import difflib
import inspect
import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from app.engine.errors import did_you_mean
from app.web import api
from app.web.error_bodies import ECHO_LIMIT, echo
from app.web.json_body import MAX_SUGGESTIONS
from app.web.request_limits import MAX_COOKIES, MAX_QUERY_PARAMETERS
from benchmarks import bench_hostile
from tests.fresh_loop import run_fresh

ASSESS = "/api/v2/assess"


@pytest.fixture(scope="module")
def app() -> Any:
    return bench_hostile.create()


@pytest.fixture(scope="module")
def client(app: Any) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def _question_ids(client: TestClient) -> list[str]:
    pathway = client.get("/api/v2/pathway").json()
    return [q["id"] for q in (*pathway["questions"], *pathway["optional_questions"])]


def test_post_assess_stays_async() -> None:
    """The handler runs on the event loop (a thread hop costs about 100 µs a request): the hostile
    path is made cheap instead."""
    assert inspect.iscoroutinefunction(api.post_assess)


def test_hostile_requests_cost_at_most_one_and_a_half_valid_ones(app: Any) -> None:
    """Every hostile kind of the benchmark, through the whole app: its status, a reply under 8 KB for
    the API, and at most 1.5 times the CPU of the valid request in the same rounds (on a form, of
    the valid request or a user's own mistake, whichever costs more)."""
    rows = run_fresh(bench_hostile.run(app, requests=40, rounds=7))
    over = [row for row in rows if not row.ok]
    assert not over, "\n" + bench_hostile.table(rows)
    names = {row.kind.name for row in rows}
    assert {"unknown_ids", "long_value", "nested_257", "nested_900", "duplicate_keys", "wrong_values",
            "all_wrong", "step_many_fields", "quick_many_fields", "what_if_many_params"} <= names
    for row in rows:
        if row.kind.hostile and row.kind.json:
            assert row.reply_bytes < 8 * 1024, row.kind.name


def test_the_review_request_is_one_small_422(client: TestClient) -> None:
    """The review's 58 KB body of 4,900 unknown ids, which got a 2.3 MB reply: one 422, a few hundred bytes."""
    body = json.dumps({"answers": {f"q{i}": "x" for i in range(4900)}}, separators=(",", ":"))
    response = client.post(ASSESS, content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 422
    assert len(response.content) < 1024
    assert response.json()["error"] == "too_many_values"
    assert len(response.json()["detail"]) == 1


@pytest.mark.parametrize("depth", [30, 257, 900, 5000])
def test_deep_nesting_is_refused_before_parsing(client: TestClient, depth: int) -> None:
    """A multi-choice answer nested deeper than any answer is: 422, counted before the JSON is parsed."""
    body = '{"answers":{"exploitation_types":' + "[" * depth + "]" * depth + "}}"
    response = client.post(ASSESS, content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 422
    assert response.json()["error"] == "invalid_body"
    assert f"has {depth + 2:,} '[' and '{{'" in response.json()["message"]


def test_a_body_within_the_limits_still_names_each_problem(client: TestClient) -> None:
    """Below the structure limits the refusals stay precise: 26 answers is "26 answers", and a nested
    value is echoed under its question."""
    ids = _question_ids(client)
    answers = {f"not_a_question_{i}": "yes" for i in range(len(ids) + 1)}
    response = client.post(ASSESS, json={"answers": answers})
    assert response.json()["error"] == "too_many_answers"
    assert f"gives {len(ids) + 1} answers" in response.json()["message"]
    response = client.post(ASSESS, json={"answers": {"exploitation_types": [["labour"]]}})
    assert response.status_code == 422
    assert response.json()["detail"][0]["question"] == "exploitation_types"


def test_question_ids_are_sent_once_and_suggestions_looked_for_in_the_first_problems(client: TestClient) -> None:
    """With an unknown id for every question, the allowed ids come once (on the first), at most 20
    problems are listed, and "did you mean" is looked for in the first few only."""
    ids = _question_ids(client)
    answers = {qid[:-1] + ("x" if qid[-1] != "x" else "y"): "yes" for qid in ids}
    response = client.post(ASSESS, json={"answers": answers})
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert len(detail) == 20
    assert sorted(detail[0]["allowed"]) == sorted(ids)
    assert all(d["allowed"] is None for d in detail[1:])
    assert all("did you mean" in d["message"] for d in detail[:MAX_SUGGESTIONS])
    assert not any("did you mean" in d["message"] for d in detail[MAX_SUGGESTIONS:])
    assert len(response.content) < 8 * 1024


def test_a_wrong_value_still_names_the_allowed_values(client: TestClient) -> None:
    """Each wrong value of a known question keeps its own allowed values, even past the first."""
    response = client.post(ASSESS, json={"answers": {"age_group": "adlt", "immediate_danger": "maybe"}})
    detail = response.json()["detail"]
    assert [d["allowed"] for d in detail] == [["child", "adult", "uncertain"], ["yes", "no", "unsure"]]


def test_a_long_number_is_422_not_read(client: TestClient) -> None:
    """A number of thousands of digits, which Python reads and writes in quadratic time, is refused as
    it is parsed; a short one is still echoed under its question."""
    body = '{"answers":{"age_group":' + "9" * 4300 + "}}"
    response = client.post(ASSESS, content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 422
    assert "a number of 4,300 digits" in response.json()["message"]
    response = client.post(ASSESS, json={"answers": {"age_group": 18}})
    assert response.json()["detail"][0]["value"] == "18"


def _old_did_you_mean(word: str, candidates: list[str]) -> str | None:
    matches = difflib.get_close_matches(word, candidates, n=1, cutoff=0.7)
    return f"did you mean '{matches[0]}'?" if matches else None


@given(st.text(alphabet="abcdegilmnoprstuy_", max_size=40))
def test_suggestions_are_the_same_as_difflib_alone(word: str) -> None:
    """Leaving out candidates whose length alone rules them out changes no suggestion."""
    candidates = ["immediate_danger", "age_group", "organisation", "purpose", "means", "action", "adult",
                  "exploitation_types", "not_known", "uncertain", "unsure", "yes", "no", "a", ""]
    assert did_you_mean(word, candidates) == _old_did_you_mean(word, candidates)


@given(st.text(alphabet=st.characters(codec=None, categories=("L", "N", "P", "Cc", "Cs", "Zs")), max_size=300))
def test_a_long_string_is_echoed_as_before(value: str) -> None:
    """Cutting a string before encoding it echoes the same text as encoding it whole and cutting."""
    text = json.dumps(value, ensure_ascii=False).encode("utf-8", "backslashreplace").decode("utf-8")
    expected = text if len(text) <= ECHO_LIMIT else text[:ECHO_LIMIT - 3] + "..."
    assert echo(value) == expected


def test_an_oversized_form_field_is_refused_as_it_is_read(client: TestClient) -> None:
    """A quick-check field over 1 KB: 400 before the form is checked or shown again."""
    response = client.post("/quick-check", data={"age_group": "a" * 60_000})
    assert response.status_code == 400
    assert "content-security-policy" in response.headers


@pytest.mark.parametrize("path", ["/privacy", "/healthz", "/training"])
def test_far_too_many_query_parameters_are_refused_unparsed(client: TestClient, path: str) -> None:
    """More query parameters than any page takes: 414 with the usual headers (JSON on /healthz)."""
    response = client.get(path + "?" + "x=1&" * MAX_QUERY_PARAMETERS)
    assert response.status_code == 414
    assert response.headers["cache-control"] == "no-store"
    assert "x-request-id" in response.headers
    if path == "/healthz":
        assert response.json()["error"] == "too_many_parameters"
    assert client.get(path + "?" + "x=1&" * (MAX_QUERY_PARAMETERS - 2)).status_code == 200


def test_far_too_many_cookies_are_refused_unparsed(client: TestClient) -> None:
    """More cookies than a browser keeps for one site: 431 with the usual headers."""
    cookies = "; ".join(f"c{i}=1" for i in range(MAX_COOKIES + 1))
    response = client.get("/privacy", headers={"Cookie": cookies})
    assert response.status_code == 431
    assert "content-security-policy" in response.headers

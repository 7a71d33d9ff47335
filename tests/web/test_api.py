"""The JSON API (contract v2): the contract's shape for the seed's cases, a clear 4xx for every hostile input,
and 410 Gone on the ended v1 paths."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.engine.errors import PackError
from app.engine.scenarios import load_scenario
from app.main import create_app
from tests.conftest import RULES, SCENARIOS


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(create_app(Settings()), raise_server_exceptions=False) as c:
        yield c


def _seed(name: str) -> dict[str, object]:
    return load_scenario(SCENARIOS / f"seed_{name}.yaml").answer_values()


def test_healthz_answers_once_packs_are_loaded(client: TestClient) -> None:
    """/healthz says ok and names the loaded rules."""
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "rules_version": "england-wales 2.0.0 + lewisham 2.0.0"}


def test_empty_answers_ask_the_first_question(client: TestClient) -> None:
    """With no answers the walk asks whether anyone is in danger, with Yes / No / Not sure."""
    body = client.post("/api/v2/assess", json={"answers": {}}).json()
    assert body["contract_version"] == 2
    assert body["complete"] is False
    question = body["next_question"]
    assert question["id"] == "immediate_danger"
    assert question["type"] == "tri_state"
    assert [o["label"] for o in question["options"]] == ["Yes", "No", "Not sure"]
    assert body["referrals"] == []
    assert body["determinations"]["trafficking"] is None


@pytest.mark.parametrize(
    ("name", "expected", "absent"),
    [
        ("tyrone", ["nrm_referral", "victim_care_contract", "labour_enforcement", "police_report", "local_pathway"],
         ["duty_to_notify", "childrens_social_care"]),
        ("linh", ["interpreter", "housing_referral", "modern_slavery_helpline", "police_report"],
         ["duty_to_notify", "nrm_referral"]),
        ("county_lines", ["childrens_social_care", "nrm_referral", "child_trafficking_guardian",
                          "legal_advice_defence", "police_report"], ["seek_consent", "duty_to_notify"]),
    ],
)
def test_seed_cases_through_the_api(client: TestClient, name: str, expected: list[str], absent: list[str]) -> None:
    """Each seed case, posted at once, completes with the contract's referrals in its shape."""
    response = client.post("/api/v2/assess", json={"answers": _seed(name)})
    assert response.status_code == 200
    body = response.json()
    assert body["complete"] is True and body["next_question"] is None
    ids = [r["id"] for r in body["referrals"]]
    for aid in expected:
        assert aid in ids
    for aid in absent:
        assert aid not in ids
    for referral in body["referrals"]:
        assert referral["reasons"] and referral["source"] and referral["who_acts"]
        assert 1 <= referral["urgency"] <= 4
    assert [r["urgency"] for r in body["referrals"]] == sorted(r["urgency"] for r in body["referrals"])
    assert body["rules_version"] == "england-wales 2.0.0 + lewisham 2.0.0"
    assert set(body["elements"]) == {"action", "means", "purpose"}


def test_linh_outcome_details(client: TestClient) -> None:
    """Linh: interpreter acts now, housing and Helpline today, and police intelligence without identifying her."""
    body = client.post("/api/v2/assess", json={"answers": _seed("linh")}).json()
    urgency = {r["id"]: r["urgency"] for r in body["referrals"]}
    assert urgency["interpreter"] == 1
    assert urgency["housing_referral"] == 2
    assert urgency["modern_slavery_helpline"] == 2
    police = next(r for r in body["referrals"] if r["id"] == "police_report")
    assert any("without identifying them" in reason for reason in police["reasons"])
    assert body["determinations"]["duty_to_notify_applies"] is False


def test_county_lines_children_first(client: TestClient) -> None:
    """The county lines child: children's services act now and come before the NRM referral."""
    body = client.post("/api/v2/assess", json={"answers": _seed("county_lines")}).json()
    ids = [r["id"] for r in body["referrals"]]
    assert ids.index("childrens_social_care") < ids.index("nrm_referral")
    assert body["referrals"][0]["id"] == "childrens_social_care"
    assert body["referrals"][0]["urgency"] == 1
    assert body["elements"]["means"] == "not_required"


def test_unverified_contacts_say_confirm_locally(client: TestClient) -> None:
    """Local contacts no primary source confirms are flagged for local confirmation."""
    body = client.post("/api/v2/assess", json={"answers": _seed("tyrone")}).json()
    local = next(r for r in body["referrals"] if r["id"] == "local_pathway")
    assert local["contact"]["name"].startswith("Lewisham Modern Slavery Victim Care Pathway")
    assert local["contact"]["confirmed"] is False
    assert local["contact"]["confirm_locally"] is True
    helpline = next(r for r in body["referrals"] if r["id"] == "modern_slavery_helpline")
    assert helpline["contact"]["phone"] == "08000 121 700"
    assert helpline["contact"]["confirmed"] is True


def test_wrong_value_names_question_and_allowed_values(client: TestClient) -> None:
    """A value outside a question's options gets 422 naming the question, the value and what is allowed."""
    response = client.post("/api/v2/assess", json={"answers": {"age_group": "adlt"}})
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "invalid_answers"
    detail = body["detail"][0]
    assert detail["question"] == "age_group"
    assert detail["value"] == '"adlt"'
    assert detail["allowed"] == ["child", "adult", "uncertain"]
    assert "did you mean 'adult'" in detail["message"]


def test_unknown_question_is_422(client: TestClient) -> None:
    """An unknown question id is named, with a suggestion when one is close."""
    response = client.post("/api/v2/assess", json={"answers": {"purpsoe": "yes"}})
    assert response.status_code == 422
    assert "\"purpsoe\" is not a question (did you mean 'purpose'?)" in response.json()["message"]
    detail = response.json()["detail"]
    assert [(d["question"], d["value"]) for d in detail] == [("purpsoe", '"yes"')]
    assert "purpose" in detail[0]["allowed"]


@pytest.mark.parametrize(
    ("answers", "fragment"),
    [
        ({"immediate_needs": "health"}, "takes a list of options"),
        ({"age_group": ["adult"]}, "takes a single value, not a list"),
        ({"immediate_needs": ["health", "health"]}, "more than once"),
        ({"immediate_needs": ["spa_day"]}, 'cannot include "spa_day"'),
        ({"immediate_needs": [7]}, "cannot include 7"),
        ({"age_group": 18}, "cannot be 18"),
        ({"age_group": None}, "cannot be null"),
        ({"age_group": {"value": "adult"}}, 'cannot be {"value": "adult"}'),
    ],
)
def test_wrong_types_get_clear_422(client: TestClient, answers: dict[str, object], fragment: str) -> None:
    """Wrong types of answer each get a 422 that says what was wrong and what is allowed, and names the
    question, the value given (as JSON text) and the allowed values in its detail."""
    response = client.post("/api/v2/assess", json={"answers": answers})
    assert response.status_code == 422
    assert fragment in response.json()["message"]
    assert "allowed" in response.json()["message"] or "more than once" in fragment
    [(qid, value)] = answers.items()
    [detail] = response.json()["detail"]
    assert detail["question"] == qid
    assert json.loads(detail["value"]) == value
    assert detail["allowed"] and fragment in detail["message"]


def _multi_choice_with_not_known(client: TestClient) -> dict[str, Any]:
    """The loaded packs' exploitation_types question, which contract v2 gives the exclusive value not_known."""
    questions = client.get("/api/v2/pathway").json()["questions"]
    question: dict[str, Any] = next(q for q in questions if q["id"] == "exploitation_types")
    assert question["type"] == "multi_choice"
    assert "not_known" in [o["value"] for o in question["options"]], "the pack does not declare not_known yet"
    return question


def test_not_known_combined_with_another_type_is_422(client: TestClient) -> None:
    """'Not known yet' cannot be combined with a type of exploitation: 422 naming the question, the value
    given and the allowed values; on its own it is accepted."""
    question = _multi_choice_with_not_known(client)
    values = [o["value"] for o in question["options"]]
    other = next(v for v in values if v != "not_known")
    response = client.post("/api/v2/assess", json={"answers": {"exploitation_types": ["not_known", other]}})
    assert response.status_code == 422
    [detail] = response.json()["detail"]
    assert detail["question"] == "exploitation_types"
    assert json.loads(detail["value"]) == ["not_known", other]
    assert detail["allowed"] == values
    assert 'cannot combine "not_known" with another option' in detail["message"]
    alone = client.post("/api/v2/assess", json={"answers": {"exploitation_types": ["not_known"]}})
    assert alone.status_code == 200


def test_outcome_is_contract_v2(client: TestClient) -> None:
    """The outcome says contract_version 2 and gives each assumption as an object with its id and words."""
    body = client.post("/api/v2/assess", json={"answers": {"immediate_danger": "no", "age_group": "uncertain"}}).json()
    assert body["contract_version"] == 2
    assumptions = {a["id"]: a["text"] for a in body["assumptions"]}
    assert "age_presumed_child" in assumptions
    assert "age" in assumptions["age_presumed_child"]
    assert all(set(a) == {"id", "text"} and a["text"] for a in body["assumptions"])


@pytest.mark.parametrize(
    ("content", "status", "code"),
    [
        (b"{not json", 400, "malformed_json"),
        (b"", 400, "malformed_json"),
        (b"[1, 2]", 422, "invalid_body"),
        (b'"answers"', 422, "invalid_body"),
        (b"{}", 422, "invalid_body"),
        (b'{"answers": [], "x": 1}', 422, "invalid_body"),
        (b'{"answers": []}', 422, "invalid_body"),
        (b'{"answers": {"age_group": "adult"}, "extra": true}', 422, "invalid_body"),
        (b"[" * 60_000, 400, "malformed_json"),
        ("{\"answers\": {\"\u00e9\": \"x\"}}".encode(), 422, "invalid_answers"),
        (b"\xff\xfe\x00", 400, "malformed_json"),
        (b'{"answers": {"age_group": NaN}}', 400, "malformed_json"),
        (b'{"answers": {"age_group": "adult"}} trailing', 400, "malformed_json"),
    ],
)
def test_bad_bodies_get_4xx(client: TestClient, content: bytes, status: int, code: str) -> None:
    """Malformed JSON is 400; a body of the wrong shape is 422; never a 5xx."""
    response = client.post("/api/v2/assess", content=content, headers={"Content-Type": "application/json"})
    assert response.status_code == status
    assert response.json()["error"] == code
    assert response.json()["message"]


def test_body_over_64kb_is_413(client: TestClient) -> None:
    """A body over 64 KB is refused with 413, by its declared length."""
    big = json.dumps({"answers": {"age_group": "a" * 70_000}})
    response = client.post("/api/v2/assess", content=big, headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.json()["error"] == "body_too_large"


def test_streamed_body_over_64kb_is_413(client: TestClient) -> None:
    """A chunked body with no Content-Length is counted as it streams and refused past 64 KB."""

    def chunks() -> Iterator[bytes]:
        yield b'{"answers": {"age_group": "'
        for _ in range(80):
            yield b"a" * 1024
        yield b'"}}'

    response = client.post("/api/v2/assess", content=chunks(), headers={"Content-Type": "application/json"})
    assert response.status_code == 413


@pytest.mark.parametrize(
    ("content", "key"),
    [
        (b'{"answers": {}, "answers": {"age_group": "adult"}}', "answers"),
        (b'{"answers": {"age_group": "adult", "age_group": "child"}}', "age_group"),
        (b'{"answers": {"immediate_needs": [{"health": 1, "health": 2}]}}', "health"),
        (b'{"answers": {"age_group": "adult", "x": [[{"a": {"deep": 1, "deep": 2}}]]}}', "deep"),
    ],
)
def test_duplicate_keys_at_any_depth_are_422(client: TestClient, content: bytes, key: str) -> None:
    """A key given twice in one JSON object, at any depth, is refused with 422 naming the key, whatever
    else is wrong with the body (it is not silently read as the last value)."""
    response = client.post("/api/v2/assess", content=content, headers={"Content-Type": "application/json"})
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "duplicate_key"
    assert f'"{key}" is given more than once' in body["message"]
    assert body["detail"][0]["field"] == key


@pytest.mark.parametrize(
    ("content", "question", "shown"),
    [
        (b'{"answers": {"age_group": "\\udc80"}}', "age_group", '"\\udc80"'),
        (b'{"answers": {"immediate_needs": ["health", "\\udc80x"]}}', "immediate_needs", '["health", "\\udc80x"]'),
        (b'{"answers": {"\\udc80": "yes"}}', "\\udc80", '"yes"'),
    ],
)
def test_lone_surrogate_is_shown_escaped(client: TestClient, content: bytes, question: str, shown: str) -> None:
    """A lone surrogate (valid JSON escape, not encodable text) is echoed escaped in a 422, never a 5xx."""
    response = client.post("/api/v2/assess", content=content, headers={"Content-Type": "application/json"})
    assert response.status_code == 422
    response.content.decode("utf-8")  # the error body itself is valid UTF-8
    [detail] = response.json()["detail"]
    assert detail["question"] == question
    assert detail["value"] == shown
    assert "\\udc80" in detail["message"] and "\\udc80" in response.json()["message"]


@pytest.mark.parametrize(
    "content",
    [
        b'{"answers": {}, "\\udc80": 1}',
        b'{"answers": {"\\udc80": 1, "\\udc80": 2}}',
    ],
)
def test_lone_surrogate_in_a_field_name_is_shown_escaped(client: TestClient, content: bytes) -> None:
    """A lone surrogate in an unknown field or a duplicate key is named escaped in a 422, never a 5xx."""
    response = client.post("/api/v2/assess", content=content, headers={"Content-Type": "application/json"})
    assert response.status_code == 422
    assert "\\udc80" in response.json()["message"]


def _question_count(client: TestClient) -> int:
    pathway = client.get("/api/v2/pathway").json()
    return len(pathway["questions"]) + len(pathway["optional_questions"])


def test_at_most_20_problems_are_listed(client: TestClient) -> None:
    """With more than 20 bad answers the 422 lists the first 20 and says how many there were."""
    count = _question_count(client)
    assert count > 20
    answers = {f"not_a_question_{i}": "yes" for i in range(count)}
    response = client.post("/api/v2/assess", json={"answers": answers})
    assert response.status_code == 422
    body = response.json()
    assert len(body["detail"]) == 20
    assert [d["question"] for d in body["detail"]] == [f"not_a_question_{i}" for i in range(20)]
    assert body["message"].startswith(f"{count} answers are not valid (the first 20 are listed")


def test_more_answers_than_questions_is_one_422(client: TestClient) -> None:
    """More answers than the loaded packs have questions gets one 422 saying so, not one per answer."""
    count = _question_count(client)
    answers = {f"not_a_question_{i}": "yes" for i in range(count + 1)}
    response = client.post("/api/v2/assess", json={"answers": answers})
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "too_many_answers"
    assert f"gives {count + 1} answers but the loaded packs have {count} questions" in body["message"]
    assert len(body["detail"]) == 1


@pytest.mark.parametrize(
    ("content_type", "sent"),
    [
        ("text/plain", 'as "text/plain"'),
        ("application/x-www-form-urlencoded", 'as "application/x-www-form-urlencoded"'),
        ("application/json-patch+json", 'as "application/json-patch+json"'),
        (None, "with no Content-Type"),
    ],
)
def test_other_content_types_are_415(client: TestClient, content_type: str | None, sent: str) -> None:
    """A body not sent as application/json gets 415 naming what was sent and what is allowed."""
    headers = {"Content-Type": content_type} if content_type else {}
    response = client.post("/api/v2/assess", content=b'{"answers": {}}', headers=headers)
    assert response.status_code == 415
    body = response.json()
    assert body["error"] == "unsupported_media_type"
    assert body["message"] == f"The request body must be sent as application/json; it was sent {sent}."


def test_json_with_a_charset_is_accepted(client: TestClient) -> None:
    """application/json with parameters (a charset) is application/json."""
    response = client.post("/api/v2/assess", content=b'{"answers": {}}',
                           headers={"Content-Type": "Application/JSON; charset=utf-8"})
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "v2"),
    [("POST", "/api/v1/assess", "POST /api/v2/assess"), ("GET", "/api/v1/pathway", "GET /api/v2/pathway")],
)
def test_v1_paths_are_gone(client: TestClient, method: str, path: str, v2: str) -> None:
    """Contract v1's paths answer 410 Gone, naming the v2 path to use."""
    response = client.request(method, path, json={"answers": {}} if method == "POST" else None)
    assert response.status_code == 410
    body = response.json()
    assert body["error"] == "contract_version_ended"
    assert body["message"].startswith(f"Contract version 1 has ended: use {v2}")


def test_wrong_method_and_path(client: TestClient) -> None:
    """Wrong methods and unknown paths get 405 and 404 with JSON bodies."""
    assert client.get("/api/v2/assess").status_code == 405
    assert client.delete("/api/v2/pathway").status_code == 405
    missing = client.get("/api/v2/nothing")
    assert missing.status_code == 404
    assert missing.json()["error"] == "not_found"


def test_pathway_describes_the_loaded_packs(client: TestClient) -> None:
    """GET /api/v2/pathway lists questions in walk order, determinations, actions, flags and versions."""
    body = client.get("/api/v2/pathway").json()
    assert body["contract_version"] == 2
    assert [q["id"] for q in body["questions"]][:3] == ["immediate_danger", "age_group", "organisation"]
    assert len(body["questions"]) == 24
    assert {d["id"] for d in body["determinations"]} == {
        "treated_as_child", "trafficking", "modern_slavery", "first_responder", "duty_to_notify_applies",
        "duty_to_notify_basis", "consent_status"}
    assert len(body["actions"]) == 22
    nrm = next(a for a in body["actions"] if a["id"] == "nrm_referral")
    assert "consent_status is given" in nrm["due_when"]
    assert [p["id"] for p in body["packs"]] == ["england-wales", "lewisham"]
    flags = {f["id"]: f["value"] for f in body["flags"]}
    assert flags == {"victim_care_pathway": "available", "child_trafficking_guardian_service": "available"}


def test_openapi_documents_every_4xx(client: TestClient) -> None:
    """The OpenAPI schema documents 400, 413, 415 and 422 for assess with the error body's schema, the
    request body generated from the loaded questions, and 410 on the ended v1 paths."""
    schema = client.get("/openapi.json").json()
    assess = schema["paths"]["/api/v2/assess"]["post"]
    assert {"200", "400", "413", "415", "422"} <= set(assess["responses"])
    for status in ("400", "413", "415", "422"):
        assert assess["responses"][status]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/ErrorBody"}
    answers = assess["requestBody"]["content"]["application/json"]["schema"]["properties"]["answers"]
    pathway = client.get("/api/v2/pathway").json()
    assert set(answers["properties"]) == {q["id"] for q in (*pathway["questions"], *pathway["optional_questions"])}
    assert answers["properties"]["age_group"]["enum"] == ["child", "adult", "uncertain"]
    assert answers["maxProperties"] == len(answers["properties"])
    types = [o["value"] for o in _multi_choice_with_not_known(client)["options"]]
    others, alone = answers["properties"]["exploitation_types"]["anyOf"]
    assert others["items"]["enum"] == [v for v in types if v != "not_known"]
    assert (alone["items"]["enum"], alone["maxItems"]) == (["not_known"], 1)
    assert "contract_version" in schema["components"]["schemas"]["AssessResponse"]["properties"]
    for method, path in (("post", "/api/v1/assess"), ("get", "/api/v1/pathway")):
        operation = schema["paths"][path][method]
        assert operation["deprecated"] is True
        assert set(operation["responses"]) == {"410"}


def test_preset_organisation_is_used_when_not_given() -> None:
    """A deployment presetting the organisation skips that question and says so."""
    app = create_app(Settings(organisation="police"))
    with TestClient(app) as c:
        body = c.post("/api/v2/assess", json={"answers": {"immediate_danger": "no", "age_group": "adult"}}).json()
        assert body["next_question"]["id"] == "communication_support"
        assert body["determinations"]["duty_to_notify_applies"] is True
        preset = next(a for a in body["assumptions"] if a["id"] == "organisation_preset")
        assert "deployment's setting" in preset["text"]
        # v2: an answer waits until the questions before it are answered, so the earlier ones are posted too.
        given = c.post("/api/v2/assess", json={"answers": {"immediate_danger": "no", "age_group": "adult",
                                                           "organisation": "health"}}).json()
        assert given["determinations"]["first_responder"] is False
        assert "organisation_preset" not in [a["id"] for a in given["assumptions"]]
        waiting = c.post("/api/v2/assess", json={"answers": {"organisation": "health"}}).json()
        assert waiting["next_question"]["id"] == "immediate_danger"
        assert waiting["determinations"]["first_responder"] is None and waiting["ignored_answers"] == []


def test_national_pack_alone() -> None:
    """PATHWAY_LOCAL_PACK=none loads the national pack alone: no local pathway action."""
    with TestClient(create_app(Settings(local_pack="none"))) as c:
        body = c.post("/api/v2/assess", json={"answers": _seed("tyrone")}).json()
        assert "local_pathway" not in [r["id"] for r in body["referrals"]]
        assert body["rules_version"] == "england-wales 2.0.0"


def test_broken_pack_refuses_to_start(tmp_path: Path) -> None:
    """The app will not build on a broken pack, and the error names file and line."""
    national = tmp_path / "national"
    national.mkdir()
    for f in (RULES / "national").glob("*.yaml"):
        (national / f.name).write_text(f.read_text().replace("purpose: [yes, unsure]", "purpsoe: [yes, unsure]", 1))
    with pytest.raises(PackError) as info:
        create_app(Settings(rules_dir=tmp_path, local_pack="none"))
    assert "condition refers to 'purpsoe' (did you mean 'purpose'?)" in str(info.value)
    assert "questions.yaml:" in str(info.value)


def test_bad_preset_refuses_to_start() -> None:
    """A preset organisation outside the contract's values stops start-up with a clear message."""
    with pytest.raises(ValueError, match="PATHWAY_ORGANISATION: 'organisation' cannot be 'fire'"):
        create_app(Settings(organisation="fire"))


def test_pathway_lists_each_actions_default_wording_and_its_variants(client: TestClient) -> None:
    body = client.get("/api/v2/pathway").json()
    actions = {a["id"]: a for a in body["actions"]}
    emergency = actions["emergency_999"]["wording"]
    assert emergency["title"] == "Call 999 now"
    assert emergency["short_title"] == "Call 999 now"
    police = [v for v in emergency["variants"] if v["when"] == "organisation is police"]
    assert police and police[0]["title"] == "Get urgent assistance now"
    report = actions["police_report"]["wording"]
    assert report["title"] == "Report to the police"
    assert any(v["title"] == "Record the crime and intelligence in your force" for v in report["variants"])
    # every action describes its wording, with or without variants
    assert all(a["wording"]["summary"] for a in body["actions"])

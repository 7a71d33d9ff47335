"""The JSON API: the contract's shape for the seed's cases, and a clear 4xx for every hostile input."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

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
    assert response.json() == {"status": "ok", "rules_version": "england-wales 1.0.0 + lewisham 1.0.0"}


def test_empty_answers_ask_the_first_question(client: TestClient) -> None:
    """With no answers the walk asks whether anyone is in danger, with Yes / No / Not sure."""
    body = client.post("/api/v1/assess", json={"answers": {}}).json()
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
    response = client.post("/api/v1/assess", json={"answers": _seed(name)})
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
    assert body["rules_version"] == "england-wales 1.0.0 + lewisham 1.0.0"
    assert set(body["elements"]) == {"action", "means", "purpose"}


def test_linh_outcome_details(client: TestClient) -> None:
    """Linh: interpreter acts now, housing and Helpline today, and police intelligence without identifying her."""
    body = client.post("/api/v1/assess", json={"answers": _seed("linh")}).json()
    urgency = {r["id"]: r["urgency"] for r in body["referrals"]}
    assert urgency["interpreter"] == 1
    assert urgency["housing_referral"] == 2
    assert urgency["modern_slavery_helpline"] == 2
    police = next(r for r in body["referrals"] if r["id"] == "police_report")
    assert any("without identifying them" in reason for reason in police["reasons"])
    assert body["determinations"]["duty_to_notify_applies"] is False


def test_county_lines_children_first(client: TestClient) -> None:
    """The county lines child: children's services act now and come before the NRM referral."""
    body = client.post("/api/v1/assess", json={"answers": _seed("county_lines")}).json()
    ids = [r["id"] for r in body["referrals"]]
    assert ids.index("childrens_social_care") < ids.index("nrm_referral")
    assert body["referrals"][0]["id"] == "childrens_social_care"
    assert body["referrals"][0]["urgency"] == 1
    assert body["elements"]["means"] == "not_required"


def test_unverified_contacts_say_confirm_locally(client: TestClient) -> None:
    """Local contacts without a confirmed number are flagged for local confirmation."""
    body = client.post("/api/v1/assess", json={"answers": _seed("tyrone")}).json()
    local = next(r for r in body["referrals"] if r["id"] == "local_pathway")
    assert local["contact"]["name"] == "Lewisham Modern Slavery Victim Care Pathway"
    assert local["contact"]["confirm_locally"] is True
    helpline = next(r for r in body["referrals"] if r["id"] == "modern_slavery_helpline")
    assert helpline["contact"]["phone"] == "08000 121 700"
    assert helpline["contact"]["verified"] is True


def test_wrong_value_names_question_and_allowed_values(client: TestClient) -> None:
    """A value outside a question's options gets 422 naming the question, the value and what is allowed."""
    response = client.post("/api/v1/assess", json={"answers": {"age_group": "adlt"}})
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "invalid_answers"
    detail = body["details"][0]
    assert detail["question"] == "age_group"
    assert detail["value"] == "adlt"
    assert detail["allowed"] == ["child", "adult", "uncertain"]
    assert "did you mean 'adult'" in detail["message"]


def test_unknown_question_is_422(client: TestClient) -> None:
    """An unknown question id is named, with a suggestion when one is close."""
    response = client.post("/api/v1/assess", json={"answers": {"purpsoe": "yes"}})
    assert response.status_code == 422
    assert "'purpsoe' is not a question (did you mean 'purpose'?)" in response.json()["message"]


@pytest.mark.parametrize(
    ("answers", "fragment"),
    [
        ({"immediate_needs": "health"}, "takes a list of options"),
        ({"age_group": ["adult"]}, "takes a single value, not a list"),
        ({"immediate_needs": ["health", "health"]}, "more than once"),
        ({"immediate_needs": ["spa_day"]}, "cannot include 'spa_day'"),
        ({"age_group": 18}, "cannot be 18"),
        ({"age_group": None}, "cannot be None"),
    ],
)
def test_wrong_types_get_clear_422(client: TestClient, answers: dict[str, object], fragment: str) -> None:
    """Wrong types of answer each get a 422 that says what was wrong and what is allowed."""
    response = client.post("/api/v1/assess", json={"answers": answers})
    assert response.status_code == 422
    assert fragment in response.json()["message"]
    assert "allowed" in response.json()["message"] or "more than once" in fragment


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
    ],
)
def test_bad_bodies_get_4xx(client: TestClient, content: bytes, status: int, code: str) -> None:
    """Malformed JSON is 400; a body of the wrong shape is 422; never a 5xx."""
    response = client.post("/api/v1/assess", content=content, headers={"Content-Type": "application/json"})
    assert response.status_code == status
    assert response.json()["error"] == code
    assert response.json()["message"]


def test_body_over_64kb_is_413(client: TestClient) -> None:
    """A body over 64 KB is refused with 413, by its declared length."""
    big = json.dumps({"answers": {"age_group": "a" * 70_000}})
    response = client.post("/api/v1/assess", content=big, headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.json()["error"] == "body_too_large"


def test_streamed_body_over_64kb_is_413(client: TestClient) -> None:
    """A chunked body with no Content-Length is counted as it streams and refused past 64 KB."""

    def chunks() -> Iterator[bytes]:
        yield b'{"answers": {"age_group": "'
        for _ in range(80):
            yield b"a" * 1024
        yield b'"}}'

    response = client.post("/api/v1/assess", content=chunks(), headers={"Content-Type": "application/json"})
    assert response.status_code == 413


def test_wrong_method_and_path(client: TestClient) -> None:
    """Wrong methods and unknown paths get 405 and 404 with JSON bodies."""
    assert client.get("/api/v1/assess").status_code == 405
    assert client.delete("/api/v1/pathway").status_code == 405
    missing = client.get("/api/v1/nothing")
    assert missing.status_code == 404
    assert missing.json()["error"] == "not_found"


def test_pathway_describes_the_loaded_packs(client: TestClient) -> None:
    """GET /api/v1/pathway lists questions in walk order, determinations, actions, flags and versions."""
    body = client.get("/api/v1/pathway").json()
    assert [q["id"] for q in body["questions"]][:3] == ["immediate_danger", "age_group", "organisation"]
    assert len(body["questions"]) == 20
    assert {d["id"] for d in body["determinations"]} == {
        "treated_as_child", "trafficking", "modern_slavery", "first_responder", "duty_to_notify_applies",
        "duty_to_notify_basis"}
    assert len(body["actions"]) == 19
    nrm = next(a for a in body["actions"] if a["id"] == "nrm_referral")
    assert "consent_nrm is yes" in nrm["due_when"]
    assert [p["id"] for p in body["packs"]] == ["england-wales", "lewisham"]
    flags = {f["id"]: f["value"] for f in body["flags"]}
    assert flags == {"victim_care_pathway": "available", "child_trafficking_guardian_service": "unknown"}


def test_openapi_documents_every_4xx(client: TestClient) -> None:
    """The OpenAPI schema documents 400, 413 and 422 for assess, with the error body's schema."""
    schema = client.get("/openapi.json").json()
    responses = schema["paths"]["/api/v1/assess"]["post"]["responses"]
    assert {"200", "400", "413", "422"} <= set(responses)
    assert "requestBody" in schema["paths"]["/api/v1/assess"]["post"]


def test_preset_organisation_is_used_when_not_given() -> None:
    """A deployment presetting the organisation skips that question and says so."""
    app = create_app(Settings(organisation="police"))
    with TestClient(app) as c:
        body = c.post("/api/v1/assess", json={"answers": {"immediate_danger": "no", "age_group": "adult"}}).json()
        assert body["next_question"]["id"] == "communication_support"
        assert body["determinations"]["duty_to_notify_applies"] is True
        assert any("deployment's setting" in a for a in body["assumptions"])
        given = c.post("/api/v1/assess", json={"answers": {"organisation": "health"}}).json()
        assert given["determinations"]["first_responder"] is False


def test_national_pack_alone() -> None:
    """PATHWAY_LOCAL_PACK=none loads the national pack alone: no local pathway action."""
    with TestClient(create_app(Settings(local_pack="none"))) as c:
        body = c.post("/api/v1/assess", json={"answers": _seed("tyrone")}).json()
        assert "local_pathway" not in [r["id"] for r in body["referrals"]]
        assert body["rules_version"] == "england-wales 1.0.0"


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

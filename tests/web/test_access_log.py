"""Access logs: every record has only allowlisted fields, and no answer, token, cookie or form body."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from urllib.parse import urlencode

import pytest
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient

from app.config import Settings
from app.engine.scenarios import load_scenario
from app.main import create_app
from app.web.access_log import ALLOWED_FIELDS
from tests.conftest import SCENARIOS


def test_a_whole_case_logs_nothing_sensitive(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Walk Linh's case: each record's keys are the allowlist, routes are templates, and no answer,
    walk id, token or form body appears anywhere in the log."""
    settings = Settings(secret_key=Fernet.generate_key().decode(), key_file=tmp_path / "k")
    answers = load_scenario(SCENARIOS / "seed_linh.yaml").answer_values()
    caplog.set_level(logging.INFO, logger="pathway.access")
    secrets_seen: list[str] = []
    with TestClient(create_app(settings), follow_redirects=False) as client:
        location = client.post("/start").headers["location"]
        walk = location.split("/")[2]
        secrets_seen.append(walk)
        while "/q/" in location:
            qid = location.rsplit("/", 1)[1]
            if qid not in answers:  # an optional question the scenario does not answer
                location = client.post(f"{location}/skip").headers["location"]
                continue
            value = answers[qid]
            pairs = [(qid, v) for v in (value if isinstance(value, list) else [value])] or [(qid, "none")]
            response = client.post(location, content=urlencode(pairs),
                                   headers={"Content-Type": "application/x-www-form-urlencoded"})
            location = response.headers["location"]
            token = client.cookies.get(f"pathway_walk_{walk}", path=f"/w/{walk}")
            secrets_seen.append(str(token))
        assert client.get(location).status_code == 200
        client.post("/api/v2/assess", json={"answers": answers})
        assert response.headers["x-request-id"]
    records = [r.getMessage() for r in caplog.records if r.name == "pathway.access"]
    assert len(records) > 20
    text = "\n".join(records)
    for record in records:
        data = json.loads(record)
        assert tuple(data) == ALLOWED_FIELDS
        assert "{" in data["route"] or data["route"] in ("/start", "/api/v2/assess")
    for secret in secrets_seen:
        assert secret not in text
    assert not re.search(r"tonight|labour|interpreter|ngo_first_responder", text)
    assert "/w/{walk_id}/q/{qid}" in text

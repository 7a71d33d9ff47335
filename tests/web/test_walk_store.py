"""The walk store is a seam: a whole questionnaire walk runs against another WalkStore (kept in memory
here, a real implementation of the protocol) with no cookie ever set, and PATHWAY_WALK_STORE names
the store, refusing any other name at start with the names allowed."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import Response

from app.cli import startup_problems
from app.config import Settings
from app.main import create_app
from app.web.app_state import AppState
from app.web.errors import TokenProblem
from app.web.walk_store import CookieWalkStore, WalkStore
from app.web.walk_token import Walk
from tests.web.client_state import state_of

MAX_STEPS = 80


class MemoryWalkStore:
    """Every walk in a dict on the server, keyed by its id: what a server-side store would do."""

    def __init__(self, seconds: int = 7200) -> None:
        self.walks: dict[str, Walk] = {}
        self.seconds = seconds

    def load(self, request: Request, walk_id: str) -> Walk:
        kept = self.walks.get(walk_id)
        if kept is None:
            raise TokenProblem("missing")
        return Walk(kept.id, dict(kept.answers), list(kept.skipped_optional))

    def save(self, request: Request, response: Response, walk: Walk) -> Response:
        self.walks[walk.id] = Walk(walk.id, dict(walk.answers), list(walk.skipped_optional))
        return response

    def holds(self, request: Request, walk_id: str) -> bool:
        return walk_id in self.walks

    def clear(self, request: Request, response: Response, walk_id: str) -> Response:
        self.walks.pop(walk_id, None)
        return response

    def seconds_left(self, walk: Walk) -> int:
        return self.seconds


def test_the_memory_store_is_a_walk_store() -> None:
    store: WalkStore = MemoryWalkStore()  # checked by mypy against the protocol
    assert isinstance(store, MemoryWalkStore)


def test_a_whole_walk_runs_against_another_store_and_sets_no_cookie() -> None:
    store = MemoryWalkStore()
    client = TestClient(create_app(walk_store=store))
    state: AppState = state_of(client)
    responses = [client.post("/start", follow_redirects=False)]
    url = responses[-1].headers["location"]
    walk_id = url.split("/")[2]
    for _ in range(MAX_STEPS):
        if url.endswith("/outcome"):
            break
        qid = url.rsplit("/", 1)[1]
        info = state.questions[qid]
        value = "none" if info.type == "multi_choice" else info.options[0].value
        responses.append(client.get(url))
        responses.append(client.post(url, data={qid: value}, follow_redirects=False))
        assert responses[-1].status_code == 303, responses[-1].text
        url = responses[-1].headers["location"]
    plan = client.get(url)
    responses.append(plan)
    assert plan.status_code == 200
    assert "Your action plan" in plan.text
    assert len(store.walks[walk_id].answers) > 5
    assert all("set-cookie" not in r.headers for r in responses)
    assert not client.cookies
    # Clearing forgets the walk in the store; the walk's pages then say its answers cannot be found.
    cleared = client.post(f"/w/{walk_id}/clear", data={"confirm": "yes"}, follow_redirects=False)
    assert cleared.status_code == 303 and "set-cookie" not in cleared.headers
    assert walk_id not in store.walks
    missing = client.get(f"/w/{walk_id}/outcome")
    assert missing.status_code == 400
    assert "We cannot find your answers" in missing.text


def test_the_cookie_store_is_the_default(tmp_path: Path) -> None:
    app = create_app(Settings(key_file=tmp_path / "secret.key"))
    state: AppState = app.state.pathway
    assert isinstance(state.walk_store, CookieWalkStore)


@pytest.mark.parametrize("name", ["redis", "", "cookies"])
def test_an_unknown_walk_store_is_refused_at_start_naming_the_stores_allowed(name: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(walk_store=name)
    assert "PATHWAY_WALK_STORE must be one of: cookie" in str(caught.value)
    settings, problems = startup_problems({"walk_store": name})
    assert settings is None
    assert problems == ["PATHWAY_WALK_STORE must be one of: cookie"]


def test_the_walk_store_setting_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATHWAY_WALK_STORE", " Cookie ")
    assert Settings().walk_store == "cookie"
    monkeypatch.setenv("PATHWAY_WALK_STORE", "memory")
    with pytest.raises(ValidationError, match="PATHWAY_WALK_STORE must be one of: cookie"):
        Settings()

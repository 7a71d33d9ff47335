"""Training cases at start and per request: a broken scenario stops the app at start, naming the file
and the problem, and a case's outcome is assessed on the day each page is asked for (the clock is a
dependency, replaced here, never waited for)."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.cli import startup_problems
from app.config import Settings
from app.engine import PackError
from app.main import create_app
from app.web.app_state import AppState
from app.web.clock import today
from tests.conftest import RULES

NOT_UTF8 = b"name: caf\xe9\n"
NOT_AN_OPTION = ("name: Broken training case\nnarrative: A case whose answer the questions do not take.\n"
                 "local: lewisham\nanswers:\n  immediate_danger: maybe\nexpect:\n  complete: false\n")


def _rules_with(tmp_path: Path, name: str, data: bytes) -> Path:
    rules = tmp_path / "rules"
    shutil.copytree(RULES, rules)
    (rules / "scenarios" / name).write_bytes(data)
    return rules


def _settings(rules: Path, tmp_path: Path) -> Settings:
    return Settings(rules_dir=rules, key_file=tmp_path / "secret.key")


@pytest.mark.parametrize(("data", "line", "message"), [
    (NOT_UTF8, 1, "not UTF-8 text (byte 0xe9 cannot be read); save the file as UTF-8"),
    (NOT_AN_OPTION.encode(), 5, "'immediate_danger' cannot be 'maybe'; allowed values: yes, no, unsure"),
], ids=["unreadable", "answer_not_an_option"])
def test_a_broken_scenario_stops_the_app_naming_the_file_and_the_problem(
        tmp_path: Path, data: bytes, line: int, message: str) -> None:
    """Never an empty or shorter training list: create_app raises, and the start-up check (the
    "Pathway will not start" lines of `pathway serve`) says the same, once."""
    rules = _rules_with(tmp_path, "zz_broken.yaml", data)
    expected = f"{rules / 'scenarios' / 'zz_broken.yaml'}:{line}: {message}"
    with pytest.raises(PackError) as caught:
        create_app(_settings(rules, tmp_path))
    assert [str(p) for p in caught.value.problems] == [expected]
    settings, problems = startup_problems({"rules_dir": rules, "key_file": tmp_path / "secret.key"})
    assert settings is not None
    assert problems == [expected]


def test_a_scenario_written_for_another_local_pack_is_left_out_not_refused(tmp_path: Path) -> None:
    """A readable scenario for another deployment is not this one's training case (and no problem)."""
    other = NOT_AN_OPTION.replace("local: lewisham", "local: southwark").replace("maybe", "no")
    rules = _rules_with(tmp_path, "zz_elsewhere.yaml", other.encode())
    app = create_app(_settings(rules, tmp_path))
    state: AppState = app.state.pathway
    assert state.training
    assert "zz_elsewhere" not in state.training


@pytest.fixture(scope="module")
def app() -> FastAPI:
    return create_app()


def test_a_training_case_is_walked_on_the_day_given(app: FastAPI) -> None:
    state: AppState = app.state.pathway
    case = state.training[sorted(state.training)[0]]
    first, second = dt.date(2026, 11, 28), dt.date(2027, 3, 1)
    assert case.walk(first).outcome.assessed_on == first
    assert case.walk(second).outcome.assessed_on == second
    assert case.walk(first).asked == case.walk(second).asked  # the day never changes the questions


def _clock(day: dt.date, asked: list[dt.date]) -> Callable[[], Awaitable[dt.date]]:
    """A clock stopped at ``day`` that records each time it is read."""
    async def stopped() -> dt.date:
        asked.append(day)
        return day
    return stopped


@pytest.mark.parametrize("path", ["outcome", "what-if?flip=immediate_danger:yes", "step/1", ""])
def test_training_pages_assess_on_the_day_of_the_request(app: FastAPI, path: str) -> None:
    """Two requests on two days (the clock dependency replaced): each page reads the clock, and the
    case's outcome it shows was assessed that day, not on the day the server started."""
    state: AppState = app.state.pathway
    client = TestClient(app)
    slug = sorted(state.training)[0]
    case = state.training[slug]
    asked: list[dt.date] = []
    try:
        for day in (dt.date(2026, 11, 28), dt.date(2027, 3, 1)):
            app.dependency_overrides[today] = _clock(day, asked)
            response = client.get(f"/training/{slug}/{path}")
            assert response.status_code == 200, response.text
            if path.startswith(("outcome", "what-if")):
                assert case.walked is not None
                assert case.walked.outcome.assessed_on == day
    finally:
        app.dependency_overrides.clear()
    if path:  # the case page itself shows nothing dated
        assert asked == [dt.date(2026, 11, 28), dt.date(2027, 3, 1)]

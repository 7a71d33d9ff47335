"""Counting without records (issue 13): a questionnaire walk's plan GET counts it once, a changed walk
moves its counts, "What have you done?" counts the referrals made; nothing else counts, and with
counting off nothing is stored. Against a real CountStore on SQLite in a temporary folder."""

from __future__ import annotations

import dataclasses
import re
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.config import Settings
from app.counts.store import CountStore
from app.engine.scenarios import load_scenario
from app.main import create_app
from app.web import counting
from app.web.walk_token import Counted, Walk, cookie_name, new_walk_id
from tests.conftest import SCENARIOS
from tests.web.client_state import codec_of, state_of

KEY = Fernet.generate_key().decode()
LINH: dict[str, Any] = load_scenario(SCENARIOS / "seed_linh.yaml").answer_values()  # a charity first responder
Cells = Counter[tuple[str, str, str]]


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CountStore]:
    """A migrated SQLite database in a temporary folder, read through its own store."""
    url = f"sqlite:///{tmp_path_factory.mktemp('counts') / 'counts.sqlite3'}"
    store = CountStore(url)
    store.migrate()
    yield store
    store.close()


def settings_for(folder: Path, *, counts: str, url: str | None = None) -> Settings:
    return Settings(secret_key=KEY, key_file=folder / "unused.key", state_dir=folder, counts=counts,
                    database_url=url)


@pytest.fixture(scope="module")
def client(database: CountStore, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = settings_for(tmp_path_factory.mktemp("on"), counts="on", url=str(database.engine.url))
    with TestClient(create_app(settings), follow_redirects=False, raise_server_exceptions=False) as c:
        yield c


@pytest.fixture(autouse=True)
def no_cookies_kept(client: TestClient) -> None:
    client.cookies.clear()


def snapshot(store: CountStore) -> Cells:
    return Counter({(c.key.dimension, c.key.value, c.key.organisation): c.count
                    for c in store.cells("2000-01", "2999-12") if c.count})


def moved(before: Cells, after: Cells) -> dict[tuple[str, str, str], int]:
    """The cells that changed, by how much."""
    return {k: after[k] - before[k] for k in set(before) | set(after) if after[k] != before[k]}


def new_walk(client: TestClient, answers: dict[str, Any]) -> tuple[str, str]:
    walk = Walk(new_walk_id(), dict(answers))
    return walk.id, codec_of(client).encode(walk)


def send(client: TestClient, method: str, walk_id: str, token: str, path: str = "/outcome",
         data: dict[str, Any] | None = None) -> tuple[Any, str]:
    """One request with the walk's cookie; the response and the walk's token after it."""
    client.cookies.clear()
    client.cookies.set(cookie_name(walk_id), token, path=f"/w/{walk_id}")
    response = client.request(method, f"/w/{walk_id}{path}", data=data)
    found = re.search(cookie_name(walk_id) + r"=([^;]+)", response.headers.get("set-cookie", ""))
    return response, found.group(1) if found else token


def counted(client: TestClient, walk_id: str, token: str) -> Counted | None:
    return codec_of(client).decode(token, walk_id).counted


def plan_walks(cells: Cells) -> int:
    return sum(n for (dimension, _, _), n in cells.items() if dimension == "walks")


# ----------------------------------------------------------------------------- the plan's GET


def test_first_plan_get_counts_once_and_records_it_in_the_token(client: TestClient, database: CountStore) -> None:
    walk_id, token = new_walk(client, LINH)
    before = snapshot(database)
    response, after_token = send(client, "GET", walk_id, token)
    assert response.status_code == 200
    changes = moved(before, snapshot(database))
    org = "ngo_first_responder"
    assert changes[("walks", "completed", org)] == 1
    assert changes[("treated_as_child", "no", org)] == 1
    assert changes[("exploitation_type", "labour", org)] == 1
    assert all(n == 1 and o == org for (_, _, o), n in changes.items())
    listed = {v for (d, v, _) in changes if d == "action_listed"}
    assert listed and listed <= {a.id for a in state_of(client).rulebook.actions}
    record = counted(client, walk_id, after_token)
    assert record is not None and record.month == time.strftime("%Y-%m") and record.organisation == org
    assert len(record.cells) == len(changes)
    # Seeing the plan is not renewing the walk: the token keeps its time.
    codec = codec_of(client)
    assert codec.decode(after_token, walk_id).issued_at == codec.decode(token, walk_id).issued_at
    # The same GET again (with the token it was given) counts nothing and sets no cookie.
    again_before = snapshot(database)
    again, _ = send(client, "GET", walk_id, after_token)
    assert again.status_code == 200 and "set-cookie" not in again.headers
    assert moved(again_before, snapshot(database)) == {}


def test_head_never_counts(client: TestClient, database: CountStore) -> None:
    walk_id, token = new_walk(client, LINH)
    before = snapshot(database)
    response, after = send(client, "HEAD", walk_id, token)
    assert response.status_code == 200 and after == token
    assert moved(before, snapshot(database)) == {}


def test_a_changed_answer_moves_the_counts_without_double_counting(client: TestClient, database: CountStore) -> None:
    walk_id, token = new_walk(client, LINH)
    _, token = send(client, "GET", walk_id, token)
    first = counted(client, walk_id, token)
    before = snapshot(database)
    response, token = send(client, "POST", walk_id, token, "/q/organisation", {"organisation": "police"})
    assert response.status_code == 303
    assert moved(before, snapshot(database)) == {}  # an answer alone counts nothing
    response, token = send(client, "GET", walk_id, token)
    assert response.status_code == 200
    after = snapshot(database)
    changes = moved(before, after)
    assert plan_walks(after) == plan_walks(before)  # moved, not added
    assert changes[("walks", "completed", "ngo_first_responder")] == -1
    assert changes[("walks", "completed", "police")] == 1
    second = counted(client, walk_id, token)
    assert first is not None and second is not None and second.month == first.month
    assert second.organisation == "police"


def test_a_contribution_stays_in_its_first_month_and_never_goes_below_zero(client: TestClient,
                                                                          database: CountStore) -> None:
    """A walk first counted in an earlier month moves its cells there; a replayed older record can take
    away counts never added here (documented), but no count goes below 0."""
    walk = Walk(new_walk_id(), dict(LINH), counted=Counted("2001-01", "police", frozenset({"w:completed"})))
    send(client, "GET", walk.id, codec_of(client).encode(walk))
    month = {(c.key.dimension, c.key.value, c.key.organisation): c.count for c in database.cells("2001-01", "2001-01")}
    assert month[("walks", "completed", "ngo_first_responder")] == 1
    assert month.get(("walks", "completed", "police"), 0) == 0  # 0 - 1 is held at 0


def test_a_council_user_can_give_their_service(client: TestClient, database: CountStore) -> None:
    walk_id, token = new_walk(client, {**LINH, "organisation": "local_authority"})
    page, _ = send(client, "GET", walk_id, token, "/q/council_service")  # offered to council users
    assert page.status_code == 200 and "Children&#39;s social care" in page.text and "Youth offending" in page.text
    other_id, other = new_walk(client, LINH)
    assert send(client, "GET", other_id, other, "/q/council_service")[0].status_code == 303  # and no one else
    _, token = send(client, "POST", walk_id, token, "/q/council_service", {"council_service": "youth_offending"})
    before = snapshot(database)
    send(client, "GET", walk_id, token)
    counted = moved(before, snapshot(database))
    # The service is counted, and every cell of the walk carries it after the organisation type, so that
    # NRM referrals can be followed within each council department (the strategy's benchmarks).
    assert counted[("council_service", "youth_offending", "local_authority/youth_offending")] == 1
    assert {organisation for _, _, organisation in counted} == {"local_authority/youth_offending"}


def test_the_api_the_quick_check_and_training_never_count(client: TestClient, database: CountStore) -> None:
    before = snapshot(database)
    assert client.post("/api/v2/assess", json={"answers": LINH}).status_code == 200
    assert client.get("/quick-check").status_code == 200
    assert client.post("/quick-check", data={"immediate_danger": "no", "age_group": "adult"}).status_code == 200
    slug = next(iter(state_of(client).training))
    assert client.get(f"/training/{slug}/outcome").status_code == 200
    assert moved(before, snapshot(database)) == {}


def test_the_store_down_still_shows_the_plan_and_keeps_the_token(client: TestClient, tmp_path: Path) -> None:
    app = client.app
    assert isinstance(app, FastAPI)
    kept = app.state.pathway
    app.state.pathway = dataclasses.replace(kept, counts=CountStore(f"sqlite:///{tmp_path / 'none' / 'x.sqlite3'}"))
    try:
        walk_id, token = new_walk(client, LINH)
        started = time.perf_counter()
        response, after = send(client, "GET", walk_id, token)
        assert response.status_code == 200 and "Your action plan" in response.text
        assert after == token and time.perf_counter() - started < 1.5
        done, _ = send(client, "POST", walk_id, token, "/done", {"done": "nrm_referral"})
        assert done.status_code == 503 and "could not be recorded just now" in done.text
    finally:
        app.state.pathway = kept


# ----------------------------------------------------------------------------- What have you done?


def test_what_was_done_is_counted_and_changeable(client: TestClient, database: CountStore) -> None:
    walk_id, token = new_walk(client, LINH)
    plan, token = send(client, "GET", walk_id, token)
    assert "What have you done?" in plan.text and 'name="done" type="checkbox" value="police_report"' in plan.text
    assert '<label class="checkboxes__label" for="done">NRM referral submitted</label>' in plan.text
    before = snapshot(database)
    response, token = send(client, "POST", walk_id, token, "/done", {"done": ["nrm_referral", "police_report"]})
    assert response.status_code == 303 and response.headers["location"].endswith("/outcome?recorded=1#what-done")
    org = "ngo_first_responder"
    assert moved(before, snapshot(database)) == {("action_done", "nrm_referral", org): 1,
                                                ("action_done", "police_report", org): 1}
    shown, _ = send(client, "GET", walk_id, token, "/outcome?recorded=1")
    assert "Saved." in shown.text and 'value="nrm_referral" checked' in shown.text
    before = snapshot(database)
    _, token = send(client, "POST", walk_id, token, "/done", {"done": "duty_to_notify"})
    assert moved(before, snapshot(database)) == {("action_done", "nrm_referral", org): -1,
                                                ("action_done", "police_report", org): -1,
                                                ("action_done", "duty_to_notify", org): 1}
    record = counted(client, walk_id, token)
    assert record is not None and {c for c in record.cells if c.startswith("d:")} == {"d:duty_to_notify"}


@pytest.mark.parametrize(("data", "words"), [
    ({"done": "made_up"}, "a choice that is not listed"),
    ({"done": "nrm_referral", "name": "Linh"}, "an unexpected field (name)"),
])
def test_a_malformed_done_form_is_refused_clearly(client: TestClient, database: CountStore,
                                                  data: dict[str, str], words: str) -> None:
    walk_id, token = new_walk(client, LINH)
    _, token = send(client, "GET", walk_id, token)
    before = snapshot(database)
    response, after = send(client, "POST", walk_id, token, "/done", data)
    assert response.status_code == 400 and words in response.text
    assert 'class="error-summary"' in response.text and 'href="#done"' in response.text
    assert after == token and moved(before, snapshot(database)) == {}


def test_counting_on_says_what_is_stored(client: TestClient) -> None:
    assert "counts, by month" in client.get("/").text
    privacy = client.get("/privacy").text
    assert "nothing about a case is stored" not in privacy and "no record for each case" in privacy
    assert "older copy of a case" in privacy  # the replay limit, in plain words


# ----------------------------------------------------------------------------- counting off


def test_counting_off_stores_nothing_and_keeps_the_old_words(tmp_path: Path) -> None:
    with TestClient(create_app(settings_for(tmp_path, counts="off")), follow_redirects=False) as off:
        assert state_of(off).counts is None
        walk_id, token = new_walk(off, LINH)
        plan, after = send(off, "GET", walk_id, token)
        assert plan.status_code == 200 and after == token and "What have you done?" not in plan.text
        done, _ = send(off, "POST", walk_id, token, "/done", {"done": "nrm_referral"})
        assert done.status_code == 404 and "counting is not turned on" in done.text
        assert "counts, by month" not in off.get("/").text
        assert "nothing about a case is stored" in off.get("/privacy").text
    assert not list(tmp_path.glob("*.sqlite3*"))


# ----------------------------------------------------------------------------- the token


def test_moves_and_the_token_stay_small() -> None:
    old = Counted("2026-11", "police", frozenset({"w:completed", "a:nrm_referral", "t:no"}))
    changes = counting.deltas(old, "2026-11", "police", {"w:completed", "a:duty_to_notify", "t:no"})
    assert {(k.dimension, k.value, n) for k, n in changes.items()} == {("action_listed", "nrm_referral", -1),
                                                                     ("action_listed", "duty_to_notify", 1)}
    assert Counted.from_data(old.to_data()) == old
    assert Counted.from_data({"m": "2026-13", "o": "", "k": ""}) is None
    assert Counted.from_data({"m": "2026-11", "o": "", "k": "x:<script>"}) is None
    walk = Walk(new_walk_id(), dict(LINH))
    bare = len(walk.to_json())
    walk.counted = Counted("2026-11", "ngo_first_responder", frozenset(f"a:action_{i:02d}" for i in range(12)))
    assert len(walk.to_json()) - bare < 300

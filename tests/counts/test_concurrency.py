"""No increment lost under concurrency, on SQLite and on PostgreSQL: first the store alone (several processes,
each with several threads, applying at once), then 200 distinct complete walks each GETting their plan once,
all at once, through a real two-worker `pathway serve` with counting on."""

from __future__ import annotations

import http.client
import multiprocessing
import os
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from app.counts import CellKey, CountStore
from app.engine import Rulebook, assess
from app.web import counting
from app.web.walk_token import TokenCodec, Walk, cookie_name, new_walk_id
from benchmarks.answer_sets import Answers, generate
from tests.counts.conftest import Postgres
from tests.load.server import HOST, PathwayServer

PROCESSES = 4
THREADS = 4
APPLIES = 25  # per thread
WALKS = CellKey("2026-11", "walks", "completed", "")
DRAINED = CellKey("2026-11", "action_done", "nrm_referral", "")
WALK_COUNT = 200


def _writer(url: str, process: int) -> None:
    """One process: THREADS threads, each applying APPLIES deltas (one transaction each)."""
    store = CountStore(url)
    failures: list[BaseException] = []

    def run(thread: int) -> None:
        try:
            for i in range(APPLIES):
                store.apply({WALKS: 1, DRAINED: -1,
                             CellKey("2026-11", "exploitation_type", f"type{(thread + i) % 5}", ""): 1,
                             CellKey("2026-11", "action_listed", f"p{process}", "police"): 2})
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(t,)) for t in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    store.close()
    if failures:
        raise SystemExit(f"process {process}: {failures[0]!r}")


def test_concurrent_applies_from_several_processes_lose_nothing(store: CountStore) -> None:
    total = PROCESSES * THREADS * APPLIES
    store.apply({DRAINED: total - 10})  # taken down 10 below zero: stays at 0
    url = store.url.render_as_string(hide_password=False)
    context = multiprocessing.get_context("fork")
    processes = [context.Process(target=_writer, args=(url, p)) for p in range(PROCESSES)]
    for p in processes:
        p.start()
    for p in processes:
        p.join(60)
    assert [p.exitcode for p in processes] == [0] * PROCESSES
    found = {c.key: c.count for c in store.cells("2026-11", "2026-11")}
    assert found[WALKS] == total and found[DRAINED] == 0
    assert sum(n for k, n in found.items() if k.dimension == "exploitation_type") == total
    assert all(found[CellKey("2026-11", "action_listed", f"p{p}", "police")] == 2 * THREADS * APPLIES
               for p in range(PROCESSES))


def _expected(book: Rulebook, walks: list[Answers]) -> Counter[tuple[str, str, str]]:
    """What the walks add, by (dimension, value, organisation), as counting.py counts a plan."""
    expected: Counter[tuple[str, str, str]] = Counter()
    for answers in walks:
        outcome = assess(book, answers)
        for key, delta in counting.deltas(None, "2026-11", counting.organisation_of(outcome),
                                          counting.plan_cells(outcome)).items():
            expected[(key.dimension, key.value, key.organisation)] += delta
    return expected


def _see_the_plan(port: int, codec: TokenCodec, answers: Answers) -> int:
    walk = Walk(new_walk_id(), dict(answers))
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        connection.request("GET", f"/w/{walk.id}/outcome",
                           headers={"Cookie": f"{cookie_name(walk.id)}={codec.encode(walk)}"})
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def _server(folder: Path, key: bytes, database_url: str | None) -> PathwayServer:
    """A two-worker `pathway serve` counting into ``database_url`` (default: SQLite in its state folder)."""
    folder.mkdir()
    env = {**os.environ, "PATHWAY_COUNTS": "on", "PATHWAY_SECRET_KEY": key.decode(),
           "PATHWAY_STATE_DIR": str(folder / "state"), "PATHWAY_LOCAL_PACK": "lewisham"}
    env.pop("PATHWAY_DATABASE_URL", None)
    if database_url:
        env["PATHWAY_DATABASE_URL"] = database_url
    return PathwayServer(folder, env, workers=2)


def _walk_all(server: PathwayServer, key: bytes, walks: list[Answers]) -> list[int]:
    """Every walk GETs its plan once, all at once (one thread each)."""
    codec = TokenCodec(key, 3600)
    with ThreadPoolExecutor(max_workers=len(walks)) as pool:
        return list(pool.map(lambda answers: _see_the_plan(server.port, codec, answers), walks))


def _counted(url: str) -> Counter[tuple[str, str, str]]:
    store = CountStore(url)
    found: Counter[tuple[str, str, str]] = Counter()
    for cell in store.cells("2000-01", "2999-12"):
        found[(cell.key.dimension, cell.key.value, cell.key.organisation)] += cell.count
    store.close()
    return found


@pytest.mark.slow
def test_200_walks_at_once_through_two_workers_lose_no_count(tmp_path: Path, lewisham_book: Rulebook,
                                                            postgres: Postgres) -> None:
    """On SQLite (the default file in the state folder) and on PostgreSQL (a new database): each server
    migrates first (serve's pre-start check), then starts both workers; both servers start together."""
    key = Fernet.generate_key()
    urls = {"sqlite": f"sqlite:///{tmp_path / 'sqlite' / 'state' / 'counts.sqlite3'}",
            "postgresql": postgres.create_database("walks")}
    servers = {"sqlite": _server(tmp_path / "sqlite", key, None),
               "postgresql": _server(tmp_path / "postgresql", key, urls["postgresql"])}
    walks = generate(lewisham_book, WALK_COUNT)
    expected = _expected(lewisham_book, walks)
    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            list(pool.map(lambda server: server.start(), servers.values()))
        for dialect, server in servers.items():
            assert _walk_all(server, key, walks) == [200] * WALK_COUNT, dialect
    finally:
        with ThreadPoolExecutor(max_workers=2) as pool:
            list(pool.map(lambda server: server.stop(), servers.values()))
    for dialect, url in urls.items():
        found = _counted(url)
        assert sum(n for (dimension, _, _), n in found.items() if dimension == "walks") == WALK_COUNT, dialect
        assert found == expected, dialect

"""The counts' store, on SQLite and on a real PostgreSQL alike: migrations, atomic increments never below 0,
training sessions, sign-in failures (hashed, pruned), and CountsUnavailable (quickly) whenever the database
cannot be used."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import text

from app.cli import main, migrate_counts
from app.config import Settings
from app.counts import CellKey, CountStore, CountsUnavailable, TrainingSession
from app.counts.store import HEAD, MIGRATIONS, database_url
from app.main import create_app
from app.web.app_state import AppState

NOW = datetime(2026, 11, 28, 15, 30, tzinfo=UTC)
WALKS = CellKey("2026-11", "walks", "all", "")
NRM = CellKey("2026-11", "action_listed", "nrm_referral", "police")
QUICKLY = 1.5  # seconds: a call never waits much longer than the 1 s timeouts


def test_head_is_the_newest_migration() -> None:
    assert ScriptDirectory(str(MIGRATIONS)).get_current_head() == HEAD


def test_migrating_twice_changes_nothing_and_readiness_needs_it(database_url: str) -> None:
    store = CountStore(database_url)
    with pytest.raises(CountsUnavailable):
        store.check_ready()
    store.migrate()
    store.apply({WALKS: 2})
    store.migrate()
    store.check_ready()
    assert store.revision() == HEAD
    assert [c.count for c in store.cells("2026-11", "2026-11")] == [2]
    store.close()


def test_increments_add_up_and_never_go_below_zero(store: CountStore) -> None:
    store.apply({WALKS: 1, NRM: 1})
    store.apply({WALKS: 1, NRM: -1})
    store.apply({NRM: -3, WALKS: 0})
    store.apply({CellKey("2026-11", "action_done", "nrm_referral", ""): -1})  # a new counter starts at 0
    store.apply({})
    found = {c.key: c.count for c in store.cells("2026-01", "2026-12")}
    assert found[WALKS] == 2 and found[NRM] == 0
    assert found.get(CellKey("2026-11", "action_done", "nrm_referral", ""), 0) == 0


def test_cells_are_the_range_in_order(store: CountStore) -> None:
    keys = [CellKey(month, "exploitation_type", value, "") for month in ("2025-12", "2026-01", "2026-02")
            for value in ("sexual", "labour")]
    store.apply(dict.fromkeys(keys, 1))
    cells = store.cells("2026-01", "2026-02")
    assert [c.key for c in cells] == sorted(k for k in keys if k.month >= "2026-01")
    assert store.cells("2027-01", "2027-12") == []


def test_a_bad_key_is_refused_before_anything_is_written(store: CountStore) -> None:
    for bad in (CellKey("2026-13", "walks", "all", ""), CellKey("2026-11", "postcode", "SE6", ""),
                CellKey("2026-11", "walks", "x" * 121, "")):
        with pytest.raises(ValueError, match="cannot count"):
            store.apply({WALKS: 1, bad: 1})
    assert store.cells("2026-01", "2026-12") == []
    with pytest.raises(ValueError, match="YYYY-MM"):
        store.cells("2026-1", "2026-12")


def test_one_apply_is_one_transaction(store: CountStore) -> None:
    """A failing upsert undoes the ones before it: an overflowing count on PostgreSQL; a broken table on
    SQLite (its integers do not overflow)."""
    if store.dialect == "postgresql":
        deltas = {WALKS: 1, NRM: 2**40}
    else:
        with store.engine.begin() as connection:
            connection.execute(text("CREATE TRIGGER refuse BEFORE INSERT ON counts WHEN NEW.dimension = "
                                    "'walks' BEGIN SELECT RAISE(ABORT, 'refused'); END"))
        deltas = {NRM: 1, WALKS: 1}  # NRM is upserted first (keys are sorted), then WALKS fails
    with pytest.raises(CountsUnavailable):
        store.apply(deltas)
    assert store.cells("2026-01", "2026-12") == []


def test_training_sessions(store: CountStore) -> None:
    store.add_training(TrainingSession("2026-10", "Lewisham Police ", 30))
    store.add_training(TrainingSession("2026-11", "Children's social care", 25))
    store.add_training(TrainingSession("2026-11", "Children's social care", 25))
    assert store.training("2026-11", "2026-12") == [TrainingSession("2026-11", "Children's social care", 25)] * 2
    assert store.training("2026-01", "2026-10") == [TrainingSession("2026-10", "Lewisham Police", 30)]
    for bad in (TrainingSession("2026-00", "Police", 1), TrainingSession("2026-11", " ", 1),
                TrainingSession("2026-11", "Police", -1)):
        with pytest.raises(ValueError, match="training session"):
            store.add_training(bad)


def test_sign_in_failures_are_kept_hashed_for_15_minutes(store: CountStore) -> None:
    for minutes in (0, 0, 5):
        store.note_sign_in_failure("192.0.2.7", NOW + timedelta(minutes=minutes))
    store.note_sign_in_failure("192.0.2.8", NOW)
    assert store.sign_in_failures("192.0.2.7", NOW - timedelta(minutes=15)) == 3
    assert store.sign_in_failures("192.0.2.7", NOW + timedelta(minutes=1)) == 1
    assert store.sign_in_failures("198.51.100.1", NOW) == 0
    with store.engine.connect() as connection:
        stored = [tuple(row) for row in connection.execute(text("SELECT address FROM sign_in_failures"))]
    assert stored and not any("192.0.2" in str(row) for row in stored)
    store.note_sign_in_failure("192.0.2.8", NOW + timedelta(minutes=20))  # prunes everything before minute 5
    assert store.sign_in_failures("192.0.2.7", NOW - timedelta(hours=1)) == 1
    assert store.sign_in_failures("192.0.2.8", NOW - timedelta(hours=1)) == 1
    other_key = CountStore(str(store.url.render_as_string(hide_password=False)), address_key=b"another")
    assert other_key.sign_in_failures("192.0.2.8", NOW - timedelta(hours=1)) == 0
    other_key.close()


def _calls(store: CountStore) -> Iterator[tuple[str, Callable[[], Any]]]:
    yield "apply", lambda: store.apply({WALKS: 1})
    yield "cells", lambda: store.cells("2026-01", "2026-12")
    yield "add_training", lambda: store.add_training(TrainingSession("2026-11", "Police", 1))
    yield "training", lambda: store.training("2026-01", "2026-12")
    yield "note_sign_in_failure", lambda: store.note_sign_in_failure("192.0.2.7", NOW)
    yield "sign_in_failures", lambda: store.sign_in_failures("192.0.2.7", NOW)
    yield "check_ready", store.check_ready
    yield "migrate", store.migrate


def _all_unavailable_quickly(store: CountStore) -> None:
    for name, call in _calls(store):
        started = time.monotonic()
        with pytest.raises(CountsUnavailable):
            call()
        assert time.monotonic() - started < QUICKLY, name


def test_an_unreachable_database_is_unavailable_quickly(tmp_path: Path, postgres_url: str) -> None:
    stopped = postgres_url.replace("host=", f"host={tmp_path}/")  # no server there: as one stopped
    for url in (f"sqlite:///{tmp_path}/missing/folder/counts.sqlite3", stopped):
        store = CountStore(url)
        if store.dialect == "sqlite":  # migrate would make the folder; make a file stand in its way
            (tmp_path / "missing").write_text("")
        _all_unavailable_quickly(store)


def test_a_locked_sqlite_file_is_unavailable_after_its_timeout(tmp_path: Path) -> None:
    path = tmp_path / "counts.sqlite3"
    store = CountStore(f"sqlite:///{path}")
    store.migrate()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another process holding the file, as a stuck writer would
    try:
        started = time.monotonic()
        with pytest.raises(CountsUnavailable, match="locked"):
            store.apply({WALKS: 1})
        assert 0.9 < time.monotonic() - started < QUICKLY
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    store.apply({WALKS: 1})
    store.close()


def test_a_locked_postgresql_table_is_unavailable_after_its_timeout(postgres_url: str) -> None:
    store = CountStore(postgres_url)
    store.migrate()
    holder = CountStore(postgres_url)
    with holder.engine.connect() as connection, connection.begin():
        connection.execute(text("LOCK TABLE counts IN ACCESS EXCLUSIVE MODE"))
        started = time.monotonic()
        with pytest.raises(CountsUnavailable):
            store.apply({WALKS: 1})
        assert 0.9 < time.monotonic() - started < QUICKLY
    store.apply({WALKS: 1})
    store.close()
    holder.close()


def test_database_urls() -> None:
    assert database_url("postgresql://u:p@db/pathway").drivername == "postgresql+psycopg"
    assert database_url("sqlite:////var/lib/pathway/counts.sqlite3").drivername == "sqlite+pysqlite"
    for bad, why in (("mysql://db/x", "only sqlite and postgresql"), ("sqlite://", "names no SQLite file"),
                     ("not a url", "is not a database URL")):
        with pytest.raises(ValueError, match=why):
            database_url(bad)


def test_settings_choose_the_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings(state_dir=tmp_path)
    assert not settings.counting
    assert CountStore.url_for(settings) == f"sqlite:///{tmp_path}/counts.sqlite3"
    monkeypatch.setenv("PATHWAY_DATABASE_URL", "postgresql://pathway:hunter2pw@db/pathway")
    monkeypatch.setenv("PATHWAY_COUNTS", "ON")
    monkeypatch.setenv("PATHWAY_NETWORK_TRUSTED_PROXIES", "10.0.0.5, 10.1.0.0/16")
    settings = Settings()
    assert settings.counting and "hunter2pw" not in repr(settings)
    assert CountStore.url_for(settings) == "postgresql://pathway:hunter2pw@db/pathway"
    assert settings.network_trusted_proxies == ("10.0.0.5/32", "10.1.0.0/16")
    assert settings.network_auth == "passphrase" and settings.network_proxy_header == "X-Remote-User"
    for name, value, message in (("COUNTS", "yes", "must be one of: off, on"),
                                 ("DATABASE_URL", "oracle://x/y", "only sqlite and postgresql"),
                                 ("NETWORK_AUTH", "ldap", "must be one of: passphrase, proxy"),
                                 ("NETWORK_TRUSTED_PROXIES", "proxy.local", "not an IP address"),
                                 ("NETWORK_PROXY_HEADER", "X User", "must be a header name")):
        with monkeypatch.context() as patch:
            patch.setenv(f"PATHWAY_{name}", value)
            with pytest.raises(ValueError, match=message):
                Settings()


def test_the_app_starts_with_its_database_down(tmp_path: Path) -> None:
    """Workers never migrate nor connect at start: the store exists, and its calls raise CountsUnavailable."""
    (tmp_path / "missing").write_text("")
    down = Settings(counts="on", database_url=f"sqlite:///{tmp_path}/missing/counts.sqlite3",
                    state_dir=tmp_path)
    state: AppState = create_app(down).state.pathway
    assert state.counts is not None
    with pytest.raises(CountsUnavailable):
        state.counts.apply({WALKS: 1})
    assert migrate_counts(down) is not None and "Walks are served" in str(migrate_counts(down))
    off: AppState = create_app(Settings(state_dir=tmp_path)).state.pathway
    assert off.counts is None


def test_pathway_counts_migrate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PATHWAY_STATE_DIR", str(tmp_path))
    assert main(["counts", "migrate"]) == 0
    assert "up to date (revision 0001)" in capsys.readouterr().out
    CountStore(f"sqlite:///{tmp_path}/counts.sqlite3").check_ready()
    assert migrate_counts(Settings(counts="on")) is None
    monkeypatch.setenv("PATHWAY_DATABASE_URL", f"sqlite:///{tmp_path}/counts.sqlite3/not-a-folder/x")
    assert main(["counts", "migrate"]) == 1
    assert "could not be" in capsys.readouterr().err

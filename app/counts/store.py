"""Where the Network's picture is kept: a SQL database through SQLAlchemy Core, its tables made by the
Alembic migrations beside this module (``app/counts/migrations``).

SQLite by default, a file in the state folder (``<PATHWAY_STATE_DIR>/counts.sqlite3``), safe under several
workers: write-ahead logging, a busy timeout and ``BEGIN IMMEDIATE`` for every writing transaction, so
writers queue on the file's lock instead of failing half-way. PostgreSQL when ``PATHWAY_DATABASE_URL``
names one (psycopg 3). Increments are atomic upserts (``UPSERT`` below, one statement per dialect), all of
one ``apply`` in one transaction, never below 0.

Every call is bounded: SQLite waits at most ``timeout`` (1 s) for the file's lock; PostgreSQL connects
within ``connect_timeout`` (libpq and psycopg count anything under 2 s as 2 s; a stopped server refuses at
once) and runs each statement within ``statement_timeout`` and ``lock_timeout`` (1 s). Every failure is
raised as ``CountsUnavailable``, which callers turn into "figures unavailable": counting never breaks a
walk or the start of a worker.

Workers never migrate: ``migrate`` runs in ``pathway serve``'s pre-start check (before any worker starts)
and in ``pathway counts migrate``; ``check_ready`` says whether the database is reachable and migrated.

Sign-in failures are kept per address and minute, the address as a keyed hash (HMAC-SHA256 with a key
derived from ``address_key``, which ``create_app`` derives from the walk cookies' secret key), and pruned
15 minutes after their minute.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    CheckConstraint,
    Column,
    Connection,
    Engine,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    TextClause,
    create_engine,
    event,
    text,
)
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import ConnectionPoolEntry

from .model import Cell, CellKey, TrainingSession, is_month

if TYPE_CHECKING:
    from app.config import Settings

# The Alembic revision this code reads and writes (the newest in migrations/versions; a test checks it).
HEAD = "0001"
# The Alembic scripts, installed with the package (as files: pip installs Pathway as files).
MIGRATIONS = Path(str(files("app.counts.migrations")))
# Failures older than this many minutes are pruned (the sign-in's window).
FAILURE_WINDOW_MINUTES = 15
DRIVERS = {"sqlite": "sqlite+pysqlite", "sqlite+pysqlite": "sqlite+pysqlite", "postgresql": "postgresql+psycopg",
           "postgresql+psycopg": "postgresql+psycopg", "postgres": "postgresql+psycopg"}

# The tables as the migrations make them (the store's queries; tests/counts/test_schema.py checks both agree).
metadata = MetaData()
counts = Table(
    "counts", metadata,
    Column("month", String(7), nullable=False),  # YYYY-MM: nothing finer is kept
    Column("dimension", String(40), nullable=False),
    Column("value", String(120), nullable=False),
    Column("organisation", String(120), nullable=False),  # "" when the walk gave none
    Column("count", Integer, nullable=False),
    PrimaryKeyConstraint("month", "dimension", "value", "organisation", name="counts_pkey"),
    CheckConstraint("count >= 0", name="counts_count_not_negative"),
)
training_sessions = Table(
    "training_sessions", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("month", String(7), nullable=False, index=True),
    Column("agency", String(200), nullable=False),
    Column("attendees", Integer, nullable=False),
    CheckConstraint("attendees >= 0", name="training_sessions_attendees_not_negative"),
)
sign_in_failures = Table(
    "sign_in_failures", metadata,
    Column("address", String(64), nullable=False),  # HMAC-SHA256 of the address, hex
    Column("minute", Integer, nullable=False),  # minutes since 1970-01-01 UTC
    Column("failures", Integer, nullable=False),
    PrimaryKeyConstraint("address", "minute", name="sign_in_failures_pkey"),
)

# The atomic increment, one statement per dialect: a new counter starts at max(0, delta); an existing one
# becomes max(0, count + delta), in the same statement, so concurrent writers never lose an increment.
UPSERT: dict[str, TextClause] = {
    "sqlite": text(
        "INSERT INTO counts (month, dimension, value, organisation, count) "
        "VALUES (:month, :dimension, :value, :organisation, max(0, :delta)) "
        "ON CONFLICT (month, dimension, value, organisation) "
        "DO UPDATE SET count = max(0, counts.count + :delta)"),
    "postgresql": text(
        "INSERT INTO counts (month, dimension, value, organisation, count) "
        "VALUES (:month, :dimension, :value, :organisation, GREATEST(0, :delta)) "
        "ON CONFLICT (month, dimension, value, organisation) "
        "DO UPDATE SET count = GREATEST(0, counts.count + :delta)"),
}
# One more failure for an address in a minute (the same statement in both dialects).
FAILURE_UPSERT = text(
    "INSERT INTO sign_in_failures (address, minute, failures) VALUES (:address, :minute, 1) "
    "ON CONFLICT (address, minute) DO UPDATE SET failures = sign_in_failures.failures + 1")


class CountsUnavailable(Exception):
    """The counts database cannot be reached, read or written in time (or is not migrated)."""


def database_url(url: str) -> URL:
    """The SQLAlchemy URL for ``url``, with the driver Pathway uses (pysqlite; psycopg 3 for PostgreSQL).
    Raises ValueError naming what is allowed."""
    try:
        parsed = make_url(url)
    except Exception:
        raise ValueError("is not a database URL: give sqlite:////path/to/counts.sqlite3 or "
                         "postgresql://user:password@host/database") from None
    driver = DRIVERS.get(parsed.drivername)
    if driver is None:
        raise ValueError(f"names the database kind {parsed.drivername!r}: only sqlite and postgresql "
                         "(postgresql+psycopg) are supported")
    if driver.startswith("sqlite") and parsed.database in (None, "", ":memory:"):
        raise ValueError("names no SQLite file: give sqlite:////path/to/counts.sqlite3")
    return parsed.set(drivername=driver)


def _reason(exc: BaseException) -> str:
    """The first line of the driver's own message (never the SQL or its parameters)."""
    cause = getattr(exc, "orig", None) or exc
    lines = str(cause).strip().splitlines()
    return lines[0] if lines else type(cause).__name__


@contextmanager
def _unavailable(what: str) -> Iterator[None]:
    """Every failure inside as CountsUnavailable (the contract: callers catch that one exception)."""
    try:
        yield
    except CountsUnavailable:
        raise
    except Exception as exc:  # the database's, the driver's, the pool's or Alembic's, all alike to a caller
        raise CountsUnavailable(f"the counts database could not {what}: {_reason(exc)}") from exc


def _sqlite_engine(url: URL, timeout: float) -> Engine:
    engine = create_engine(url, connect_args={"timeout": timeout, "check_same_thread": False},
                           pool_size=5, max_overflow=10, pool_timeout=timeout)

    @event.listens_for(engine, "connect")
    def _connected(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        dbapi_connection.isolation_level = None  # pysqlite's own BEGIN off: the "begin" hook below emits ours
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
        cursor.execute("PRAGMA journal_mode = WAL")  # readers never block the writer, nor it them
        cursor.execute("PRAGMA synchronous = NORMAL")  # safe with WAL; a power cut may lose the last counts
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        # Writers take the lock at BEGIN (waiting up to the busy timeout), never half-way through.
        writing = connection.get_execution_options().get("pathway_write", True)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writing else "BEGIN")

    return engine


def _postgresql_engine(url: URL, timeout: float) -> Engine:
    milliseconds = max(1, int(timeout * 1000))
    options = f"-c statement_timeout={milliseconds} -c lock_timeout={milliseconds}"
    return create_engine(url, connect_args={"connect_timeout": max(1, math.ceil(timeout)), "options": options,
                                            "application_name": "pathway-counts"},
                         pool_size=5, max_overflow=10, pool_timeout=timeout, pool_pre_ping=True)


class CountStore:
    """The counters, training sessions and sign-in failures, in the database ``url`` names. Nothing
    connects until a method is called; every method raises CountsUnavailable when the database fails
    or does not answer in time, and ValueError for a key or session that cannot be stored."""

    def __init__(self, url: str, *, timeout: float = 1.0, address_key: bytes = b"") -> None:
        self.url = database_url(url)
        self.timeout = timeout
        self.dialect = "sqlite" if self.url.drivername.startswith("sqlite") else "postgresql"
        make = _sqlite_engine if self.dialect == "sqlite" else _postgresql_engine
        self.engine = make(self.url, timeout)
        self._address_key = hmac.new(address_key, b"pathway counts: sign-in failures", hashlib.sha256).digest()

    @staticmethod
    def url_for(settings: Settings) -> str:
        """PATHWAY_DATABASE_URL, else the SQLite file in the state folder."""
        if settings.database_url is not None:
            return settings.database_url.get_secret_value()
        return f"sqlite:///{settings.state_dir / 'counts.sqlite3'}"

    def close(self) -> None:
        """Close the pooled connections (before a fork, or at the end)."""
        self.engine.dispose()

    @contextmanager
    def _write(self, what: str) -> Iterator[Connection]:
        with _unavailable(what), self.engine.connect() as connection, connection.begin():
            yield connection

    @contextmanager
    def _read(self, what: str) -> Iterator[Connection]:
        with _unavailable(what), self.engine.connect() as connection:
            connection = connection.execution_options(pathway_write=False)
            with connection.begin():
                yield connection

    def migrate(self) -> None:
        """Bring the tables up to the newest migration (Alembic ``upgrade head``). Only ``pathway serve``'s
        pre-start check and ``pathway counts migrate`` call this; workers never do."""
        from alembic import command
        from alembic.config import Config

        if self.dialect == "sqlite" and self.url.database:
            with _unavailable("be created"):
                Path(self.url.database).parent.mkdir(parents=True, exist_ok=True)
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        with self._write("be migrated") as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    def revision(self) -> str | None:
        """The database's migration revision (None before the first migration)."""
        with self._read("be read") as connection:
            present = connection.dialect.has_table(connection, "alembic_version")
            if not present:
                return None
            value = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
            return None if value is None else str(value)

    def check_ready(self) -> None:
        """Raise CountsUnavailable unless the database answers and holds the tables this code expects."""
        found = self.revision()
        if found != HEAD:
            state = "not migrated" if found is None else f"at revision {found}, not {HEAD}"
            raise CountsUnavailable(f"the counts database is {state}: run `pathway counts migrate`")

    def apply(self, deltas: Mapping[CellKey, int]) -> None:
        """Add each delta to its counter, all in one transaction (all or none); a counter never goes below 0."""
        rows = []
        for key in sorted(deltas):  # one order for every writer: no deadlock between two walks' upserts
            if problem := key.problem():
                raise ValueError(f"cannot count {key}: {problem}")
            if deltas[key]:
                rows.append({"month": key.month, "dimension": key.dimension, "value": key.value,
                             "organisation": key.organisation, "delta": int(deltas[key])})
        if not rows:
            return
        with self._write("be written") as connection:
            connection.execute(UPSERT[self.dialect], rows)

    def cells(self, first_month: str, last_month: str) -> list[Cell]:
        """Every stored counter from ``first_month`` to ``last_month`` (YYYY-MM, both included), in order of
        month, dimension, value and organisation. A counter not stored is 0; a stored one may be 0 too."""
        _check_months(first_month, last_month)
        query = (counts.select().where(counts.c.month.between(first_month, last_month))
                 .order_by(counts.c.month, counts.c.dimension, counts.c.value, counts.c.organisation))
        with self._read("be read") as connection:
            return [Cell(CellKey(month, dimension, value, organisation), int(count))
                    for month, dimension, value, organisation, count in connection.execute(query)]

    def add_training(self, session: TrainingSession) -> None:
        """Record one training session delivered."""
        if problem := session.problem():
            raise ValueError(f"cannot record the training session: {problem}")
        with self._write("be written") as connection:
            connection.execute(training_sessions.insert().values(
                month=session.month, agency=session.agency.strip(), attendees=session.attendees))

    def training(self, first_month: str, last_month: str) -> list[TrainingSession]:
        """The training sessions from ``first_month`` to ``last_month`` (both included), in the order recorded."""
        _check_months(first_month, last_month)
        query = (training_sessions.select().where(training_sessions.c.month.between(first_month, last_month))
                 .order_by(training_sessions.c.month, training_sessions.c.id))
        with self._read("be read") as connection:
            return [TrainingSession(row.month, row.agency, int(row.attendees)) for row in connection.execute(query)]

    def _address(self, address: str) -> str:
        return hmac.new(self._address_key, address.encode(), hashlib.sha256).hexdigest()

    def note_sign_in_failure(self, address: str, now: datetime) -> None:
        """Count one failed sign-in from ``address`` in ``now``'s minute, pruning failures older than the
        window. Give ``now`` timezone-aware (a naive one is taken as local time)."""
        minute = _minute(now)
        with self._write("be written") as connection:
            connection.execute(sign_in_failures.delete().where(
                sign_in_failures.c.minute < minute - FAILURE_WINDOW_MINUTES))
            connection.execute(FAILURE_UPSERT, {"address": self._address(address), "minute": minute})

    def sign_in_failures(self, address: str, since: datetime) -> int:
        """How many failed sign-ins from ``address`` since ``since``'s minute (at most the last 15 minutes
        are kept)."""
        query = text("SELECT COALESCE(SUM(failures), 0) FROM sign_in_failures "
                     "WHERE address = :address AND minute >= :minute")
        with self._read("be read") as connection:
            total = connection.execute(query, {"address": self._address(address), "minute": _minute(since)}).scalar()
            return int(total or 0)


def _minute(moment: datetime) -> int:
    return int(moment.timestamp() // 60)


def _check_months(first: str, last: str) -> None:
    for month in (first, last):
        if not is_month(month):
            raise ValueError(f"month {month!r} is not YYYY-MM")

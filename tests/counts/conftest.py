"""The counts' databases for the tests: a fresh SQLite file per test, and a real PostgreSQL the session
starts itself (``postgres_url``): initdb as the ``postgres`` user (with ``runuser`` when the tests run as
root) in a folder made and chowned here, started with ``pg_ctl`` on a Unix socket only
(``listen_addresses=''``), one database made for the run, stopped and removed at the end."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.counts import CountStore

INSTALL = "install PostgreSQL (`make postgresql`, or apt-get install postgresql) for tests/counts"
# Speed over durability: a throw-away server for the tests only.
SERVER_OPTIONS = ("-c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                  "-c max_connections=200")


def postgres_bin() -> Path | None:
    """The newest PostgreSQL's binaries (Debian keeps them under /usr/lib/postgresql/<version>/bin)."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                   key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0)
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    return Path(initdb).resolve().parent if initdb else None


class Postgres:
    """A PostgreSQL server of the tests' own, in ``root`` (data/, socket/, log), run as ``postgres``."""

    def __init__(self, binaries: Path) -> None:
        self.bin = binaries
        self.root = Path(tempfile.mkdtemp(prefix="pathway-postgres-"))
        self.data = self.root / "data"
        self.socket = self.root / "socket"
        self.socket.mkdir()
        self.as_root = os.geteuid() == 0
        if self.as_root:  # the server refuses to run as root: the folder is the postgres user's
            shutil.chown(self.root, "postgres", "postgres")
            shutil.chown(self.socket, "postgres", "postgres")

    def run(self, *command: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if self.as_root else []
        done = subprocess.run([*prefix, str(self.bin / command[0]), *command[1:]], capture_output=True,
                              text=True, timeout=60, cwd=self.root, check=False)
        if done.returncode:
            raise RuntimeError(f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")

    def start(self) -> None:
        if not self.data.exists():
            self.run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C",
                     "--no-sync")
        self.run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "log"), "-w", "-t", "30",
                 "-o", f"-k {self.socket} {SERVER_OPTIONS}", "start")

    def stop(self) -> None:
        self.run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@/{database}?host={self.socket}"

    def create_database(self, name: str) -> str:
        self.run("createdb", "-h", str(self.socket), "-U", "postgres", name)
        return self.url(name)


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    """The session's PostgreSQL server (fails, saying how to install it, when there is none)."""
    binaries = postgres_bin()
    if binaries is None:
        pytest.fail(f"no PostgreSQL found (no initdb): {INSTALL}")
    server = Postgres(binaries)
    try:
        server.start()
        yield server
    finally:
        try:
            server.stop()
        finally:
            shutil.rmtree(server.root, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_url(postgres: Postgres) -> str:
    """A database of the session's server, made for the run (empty: each test's own tables are dropped)."""
    return postgres.create_database("pathway")


def _empty_postgres(url: str) -> None:
    from sqlalchemy import text

    store = CountStore(url)
    with store.engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS counts, training_sessions, sign_in_failures, alembic_version"))
    store.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database, not migrated: a new SQLite file, then the session's PostgreSQL database emptied."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'counts.sqlite3'}"
        return
    url: str = request.getfixturevalue("postgres_url")
    _empty_postgres(url)
    yield url
    _empty_postgres(url)


@pytest.fixture
def store(database_url: str) -> Iterator[CountStore]:
    """A migrated store on each database in turn."""
    counts = CountStore(database_url)
    counts.migrate()
    yield counts
    counts.close()

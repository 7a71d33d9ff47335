"""The server's own limits, against a real ``pathway serve`` on a free loopback port.

Test-sized limits: a request head must be complete within 1 s (PATHWAY_HEADER_TIMEOUT), an idle
kept-alive connection is closed after 2 s (PATHWAY_KEEPALIVE_TIMEOUT), a body must arrive
within 4 s (PATHWAY_BODY_TIMEOUT) and one worker handles at most 50 requests at once
(PATHWAY_MAX_CONCURRENCY). Every phase runs under a hard timeout of its own, and the clients
are asyncio streams in this process, all on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import resource
import time
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest

from app import cli
from app.config import Settings
from tests.fresh_loop import run_fresh
from tests.load.server import HOST, PathwayServer

pytestmark = pytest.mark.slow

HEADER_TIMEOUT = 1.0
KEEPALIVE_TIMEOUT = 2.0
BODY_TIMEOUT = 4.0
MAX_CONCURRENCY = 50
CLOSED_WITHIN = 3.0  # seconds: every idle, trickling or kept-alive connection is closed by then
HARD_LIMIT = 15.0  # seconds for any one phase, whatever happens
FDS_WANTED = 4096  # 500 held connections, both ends, plus the server's own

# Headers a normal response carries that depend on the response, not on the security policy.
PER_RESPONSE = {"date", "content-length", "content-type", "x-request-id", "connection", "retry-after", "vary"}

TRICKLED_HEAD = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: " + b"a" * 200 + b"\r\n\r\n"
SLOW_JSON = (b"POST /api/v2/assess HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
             b"Content-Length: 1000\r\n\r\n{")
SLOW_FORM = (b"POST /quick-check HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
             b"Content-Length: 1000\r\n\r\na")


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes


def parse(raw: bytes) -> Reply:
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return Reply(int(lines[0].split()[1]), headers, body)


@dataclass
class Conn:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    opened: float = field(default_factory=time.monotonic)
    received: bytes = b""
    closed_after: float | None = None  # seconds from opening to the server's close

    async def read_to_close(self) -> None:
        """Read until the server closes the connection (EOF or reset), noting when."""
        try:
            while chunk := await self.reader.read(65536):
                self.received += chunk
        except ConnectionError:
            pass
        self.closed_after = time.monotonic() - self.opened

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(ConnectionError):
            await self.writer.wait_closed()


async def connect(port: int) -> Conn:
    reader, writer = await asyncio.open_connection(HOST, port)
    return Conn(reader, writer)


async def request(port: int, path: str, timeout: float = 2.0) -> Reply:
    """One GET on a new connection (closed after the answer)."""
    conn = await connect(port)
    try:
        conn.writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
        async with asyncio.timeout(timeout):
            await conn.read_to_close()
        return parse(conn.received)
    finally:
        await conn.close()


T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T], limit: float = HARD_LIMIT) -> T:
    """Run one phase under a hard timeout."""
    async def bounded() -> T:
        async with asyncio.timeout(limit):
            return await coro
    return run_fresh(bounded())


@pytest.fixture(scope="module", autouse=True)
def enough_file_descriptors() -> Iterator[None]:
    """Raise the soft RLIMIT_NOFILE (inherited by the server) so 500 held connections fit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = FDS_WANTED if hard == resource.RLIM_INFINITY else min(FDS_WANTED, hard)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    yield
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def limits_env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PATHWAY_")}
    env.update(PATHWAY_KEY_FILE=str(tmp / "secret.key"), PATHWAY_HEADER_TIMEOUT=str(HEADER_TIMEOUT),
               PATHWAY_KEEPALIVE_TIMEOUT=str(KEEPALIVE_TIMEOUT), PATHWAY_BODY_TIMEOUT=str(BODY_TIMEOUT),
               PATHWAY_MAX_CONCURRENCY=str(MAX_CONCURRENCY))
    return env


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, enough_file_descriptors: None) -> Iterator[PathwayServer]:
    tmp = tmp_path_factory.mktemp("limits")
    srv = PathwayServer(tmp, limits_env(tmp))
    srv.start(timeout=30)
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="module")
def security_headers(server: PathwayServer) -> dict[str, str]:
    """The headers an ordinary answer carries that are not about that answer (the security policy)."""
    ok = run(request(server.port, "/healthz"))
    assert ok.status == 200
    policy = {k: v for k, v in ok.headers.items() if k not in PER_RESPONSE}
    assert {"content-security-policy", "x-content-type-options", "cache-control"} <= set(policy)
    return policy


def log_text(server: PathwayServer) -> str:
    return server.log.read_text(errors="replace")


def max_closed(conns: list[Conn]) -> float:
    return max(c.closed_after if c.closed_after is not None else float("inf") for c in conns)


# ----------------------------------------------------------------------------- head and idle


def test_idle_and_trickling_connections_are_closed(server: PathwayServer, security_headers: dict[str, str]) -> None:
    """200 connections that send nothing and 200 that send a head a byte every 0.3 s, all at once:
    the server closes every one within 3 s, and answers the trickled heads 408 first."""

    async def trickle(conn: Conn) -> None:
        reading = asyncio.create_task(conn.read_to_close())
        for byte in TRICKLED_HEAD:
            with contextlib.suppress(ConnectionError):
                conn.writer.write(bytes([byte]))
                await conn.writer.drain()
            await asyncio.wait([reading], timeout=0.3)
            if reading.done():
                break
        await reading

    async def phase() -> tuple[list[Conn], list[Conn]]:
        idle = list(await asyncio.gather(*(connect(server.port) for _ in range(200))))
        trickling = list(await asyncio.gather(*(connect(server.port) for _ in range(200))))
        try:
            async with asyncio.timeout(CLOSED_WITHIN + 5):
                await asyncio.gather(*(c.read_to_close() for c in idle), *(trickle(c) for c in trickling))
        finally:
            await asyncio.gather(*(c.close() for c in idle + trickling))
        return idle, trickling

    idle, trickling = run(phase())
    print(f"\nclosed: idle max {max_closed(idle):.2f} s, trickling max {max_closed(trickling):.2f} s")
    assert max_closed(idle) <= CLOSED_WITHIN
    assert max_closed(trickling) <= CLOSED_WITHIN
    assert min(c.closed_after or 0 for c in idle + trickling) >= HEADER_TIMEOUT * 0.5  # not at once
    assert all(c.received == b"" for c in idle), "an idle connection is closed without a word"
    for conn in trickling:
        reply = parse(conn.received)
        assert reply.status == 408
        assert set(security_headers) <= set(reply.headers)
        assert reply.headers["connection"] == "close"
    assert "Traceback" not in log_text(server)


def test_kept_alive_connections_are_closed_when_idle(server: PathwayServer) -> None:
    """A connection left open after an answer is closed after the keep-alive timeout (2 s)."""

    async def phase() -> list[Conn]:
        conns = list(await asyncio.gather(*(connect(server.port) for _ in range(50))))
        try:
            for conn in conns:
                conn.writer.write(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            async with asyncio.timeout(CLOSED_WITHIN + 5):
                await asyncio.gather(*(c.read_to_close() for c in conns))
        finally:
            await asyncio.gather(*(c.close() for c in conns))
        return conns

    conns = run(phase())
    print(f"\nkept-alive connections closed after at most {max_closed(conns):.2f} s")
    assert all(parse(c.received).status == 200 for c in conns)
    assert min(c.closed_after or 0 for c in conns) >= KEEPALIVE_TIMEOUT * 0.5
    assert max_closed(conns) <= CLOSED_WITHIN


# ----------------------------------------------------------------------------- the cap


def test_held_connections_get_the_calm_503_and_it_recovers(server: PathwayServer,
                                                           security_headers: dict[str, str]) -> None:
    """500 connections stop mid-body: 50 are held by the app and the rest get the calm 503, as does
    /healthz (Retry-After, every security header, problem JSON); once they close, /healthz answers
    200 within 1 s."""

    async def phase() -> tuple[list[Conn], int, Reply, Reply, float]:
        conns = list(await asyncio.gather(*(connect(server.port) for _ in range(500))))
        readers: list[asyncio.Task[None]] = []
        try:
            for conn in conns:
                conn.writer.write(SLOW_JSON)
            readers = [asyncio.create_task(c.read_to_close()) for c in conns]
            async with asyncio.timeout(BODY_TIMEOUT - 1):  # before the held bodies time out
                while sum(t.done() for t in readers) < len(conns) - MAX_CONCURRENCY:
                    await asyncio.sleep(0.02)
                await asyncio.sleep(0.1)  # anything more would show now
                held = sum(not t.done() for t in readers)
                busy_api = await request(server.port, "/healthz")
                busy_page = await request(server.port, "/")
        finally:
            for task in readers:
                task.cancel()
            await asyncio.gather(*readers, return_exceptions=True)
            await asyncio.gather(*(c.close() for c in conns))
        closed = time.monotonic()
        while True:
            with contextlib.suppress(OSError, TimeoutError):
                if (await request(server.port, "/healthz", timeout=1.0)).status == 200:
                    break
            await asyncio.sleep(0.02)
        return conns, held, busy_api, busy_page, time.monotonic() - closed

    conns, held, busy_api, busy_page, recovered = run(phase())
    print(f"\nheld by the app: {held}; /healthz answered 200 {recovered:.3f} s after they closed")
    assert held == MAX_CONCURRENCY
    refused = [parse(c.received) for c in conns if c.received]
    assert len(refused) == len(conns) - MAX_CONCURRENCY
    for reply in [*refused, busy_api, busy_page]:
        assert reply.status == 503
        assert reply.headers["retry-after"].isdigit()
        assert reply.headers["connection"] == "close"
        assert "x-request-id" in reply.headers
        for name, value in security_headers.items():
            assert reply.headers.get(name) == value, name
    assert busy_api.headers["content-type"].startswith("application/json")
    assert json.loads(busy_api.body)["error"] == "busy"
    assert busy_page.headers["content-type"].startswith("text/html")
    assert b"Pathway is busy" in busy_page.body
    assert recovered <= 1.0
    log = log_text(server)
    assert '"event":"busy"' in log
    assert "Traceback" not in log
    assert "Exceeded concurrency limit" not in log  # uvicorn's own bare 503 never answered


# ----------------------------------------------------------------------------- bodies


def test_slow_bodies_time_out(server: PathwayServer, security_headers: dict[str, str]) -> None:
    """A body still arriving after 4 s gets a 408 (problem JSON for the API, a page for a form) and the
    connection is closed; a body the app never read is cut off too. The log says so, with no traceback."""

    async def slow(head: bytes) -> Conn:
        conn = await connect(server.port)
        conn.writer.write(head)
        reading = asyncio.create_task(conn.read_to_close())
        try:
            while not reading.done():  # a byte every 0.3 s: trickling never extends the deadline
                with contextlib.suppress(ConnectionError):
                    conn.writer.write(b"1")
                    await conn.writer.drain()
                await asyncio.wait([reading], timeout=0.3)
        finally:
            await conn.close()
        return conn

    async def phase() -> list[Conn]:
        unread = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\n1"
        return list(await asyncio.gather(slow(SLOW_JSON), slow(SLOW_FORM), slow(unread)))

    api, form, unread = run(phase())
    print(f"\nslow bodies closed after {api.closed_after:.2f}, {form.closed_after:.2f} and "
          f"{unread.closed_after:.2f} s")
    for conn, kind in ((api, "application/json"), (form, "text/html")):
        reply = parse(conn.received)
        assert reply.status == 408
        assert reply.headers["content-type"].startswith(kind)
        assert reply.headers["connection"] == "close"
        for name, value in security_headers.items():
            assert reply.headers.get(name) == value, name
        assert BODY_TIMEOUT * 0.9 <= (conn.closed_after or 0) <= BODY_TIMEOUT + 1.5
    assert parse(unread.received).status == 200  # answered before the body came, then cut off
    assert (unread.closed_after or 0) <= BODY_TIMEOUT + 1.5
    log = log_text(server)
    assert log.count('"event":"body_timeout"') >= 3
    assert '"status":408' in log
    assert "Traceback" not in log


# ----------------------------------------------------------------------------- two workers


def test_two_workers_keep_the_head_deadline(tmp_path: Path) -> None:
    """With --workers 2 (uvicorn's spawned workers), the protocol and its deadline still apply."""
    srv = PathwayServer(tmp_path, limits_env(tmp_path), workers=2)
    srv.start(timeout=40)
    try:
        async def phase() -> tuple[list[Conn], list[Conn]]:
            idle = list(await asyncio.gather(*(connect(srv.port) for _ in range(20))))
            partial = list(await asyncio.gather(*(connect(srv.port) for _ in range(20))))
            try:
                for conn in partial:
                    conn.writer.write(b"GET /healthz HTTP/1.1\r\nHost: 127")
                async with asyncio.timeout(CLOSED_WITHIN + 5):
                    await asyncio.gather(*(c.read_to_close() for c in idle + partial))
            finally:
                await asyncio.gather(*(c.close() for c in idle + partial))
            return idle, partial

        idle, partial = run(phase())
        assert max_closed(idle + partial) <= CLOSED_WITHIN
        assert all(parse(c.received).status == 408 for c in partial)
        assert "Traceback" not in srv.log.read_text(errors="replace")
    finally:
        srv.stop()


# ----------------------------------------------------------------------------- settings


@pytest.mark.parametrize(("name", "value", "says"), [
    ("PATHWAY_HEADER_TIMEOUT", "soon", "PATHWAY_HEADER_TIMEOUT must be a number of seconds"),
    ("PATHWAY_HEADER_TIMEOUT", "0", "PATHWAY_HEADER_TIMEOUT must be more than 0 and at most 300 seconds"),
    ("PATHWAY_BODY_TIMEOUT", "nan", "PATHWAY_BODY_TIMEOUT must be more than 0 and at most 600 seconds"),
    ("PATHWAY_KEEPALIVE_TIMEOUT", "-1", "PATHWAY_KEEPALIVE_TIMEOUT must be more than 0 and at most 300"),
    ("PATHWAY_KEEPALIVE_TIMEOUT", "1e999", "PATHWAY_KEEPALIVE_TIMEOUT must be more than 0 and at most 300"),
    ("PATHWAY_MAX_CONCURRENCY", "2.5", "PATHWAY_MAX_CONCURRENCY must be a whole number from 1 to 100000"),
    ("PATHWAY_MAX_CONCURRENCY", "0", "PATHWAY_MAX_CONCURRENCY must be a whole number from 1 to 100000"),
    ("PATHWAY_MAX_CONCURRENCY", "9" * 5000, "PATHWAY_MAX_CONCURRENCY must be a whole number from 1 to 100000"),
])
def test_a_bad_limit_setting_stops_serve_with_its_name(monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str],
                                                       name: str, value: str, says: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=says):
        Settings()
    assert cli.main(["serve", "--port", "1"]) == 1  # refused before uvicorn is started
    err = capsys.readouterr().err
    assert err.startswith("Pathway will not start")
    assert says in err


def test_limit_settings_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HEADER_TIMEOUT", "BODY_TIMEOUT", "KEEPALIVE_TIMEOUT", "MAX_CONCURRENCY"):
        monkeypatch.delenv(f"PATHWAY_{name}", raising=False)
    settings = Settings()
    assert (settings.header_timeout, settings.body_timeout, settings.keepalive_timeout,
            settings.max_concurrency) == (10.0, 30.0, 5.0, 256)
    monkeypatch.setenv("PATHWAY_HEADER_TIMEOUT", "2.5")
    assert Settings().header_timeout == 2.5

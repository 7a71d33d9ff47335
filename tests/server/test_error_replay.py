"""The security review's 500s (H1, L4), replayed against a real ``pathway serve``.

In-process tests cannot see uvicorn's "Exception in ASGI application" traceback: it is printed by
the server. So each trigger is sent here over plain HTTP (and the aborted upload over a raw
socket) to one server on a free loopback port, and its standard error is read afterwards: every
request has one access record with the expected status, there is no traceback, no error record
and no hostile value, and the server still answers /healthz.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import socket
import time
from collections.abc import Iterator
from urllib.parse import quote, urlencode

import pytest
from cryptography.fernet import Fernet

from tests.load.server import HOST, PathwayServer

pytestmark = pytest.mark.slow

UNICODE_WALK_IDS = ["é" * 10, "漢" * 12, "ＡＢＣ" * 4, "١٢٣" * 4, "²" * 10]
WALK_ROUTES = [
    ("GET", "/w/{id}", 404),
    ("GET", "/w/{id}/q/immediate_danger", 404),
    ("GET", "/w/{id}/outcome", 404),
    ("GET", "/w/{id}/case-notes.txt", 404),
    ("GET", "/w/{id}/exit", 303),  # Exit this page always leaves, for any id
    ("POST", "/w/{id}/clear", 404),
    ("POST", "/w/{id}/keepalive", 404),
    ("POST", "/w/{id}/q/immediate_danger/skip", 404),
    ("POST", "/w/{id}/q/immediate_danger", 404),
]
SURROGATE_BODIES = [
    '{"answers": {"\\ud800": "yes"}}',
    '{"answers": {"immediate_danger": "\\ud800"}}',
    '{"answers": {"immediate_danger": ["\\ud800"]}}',
    '{"answers": {}, "\\ud800": 1}',
    '{"answers": {"exploitation_types": ["\\ud800"]}}',
]
DEPTHS = [257, 300, 500, 979]
FORM = "application/x-www-form-urlencoded"
# What a traceback or an unexpected error looks like in uvicorn's or Python's output.
TRACEBACK = re.compile(r"Traceback|Exception in ASGI|Internal Server Error|\"event\":\"error\"")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PathwayServer]:
    tmp = tmp_path_factory.mktemp("replay")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PATHWAY_")}
    env.update(PATHWAY_SECRET_KEY=Fernet.generate_key().decode(), PATHWAY_KEY_FILE=str(tmp / "unused.key"))
    srv = PathwayServer(tmp, env)
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


def request(server: PathwayServer, method: str, path: str, body: bytes | None = None,
            headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection(HOST, server.port, timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def start_walk(server: PathwayServer) -> tuple[str, str]:
    """A new walk's id and its cookie, as a browser would hold them."""
    status, headers, _ = request(server, "POST", "/start")
    assert status == 303
    walk = headers["location"].split("/")[2]
    cookie = headers["set-cookie"].split(";", 1)[0]
    return walk, cookie


def records_since(server: PathwayServer, offset: int) -> tuple[str, list[dict[str, object]]]:
    """The server's standard error since offset, and the access records in it."""
    text = server.log.read_bytes()[offset:].decode("utf-8", "replace")
    records = [json.loads(line) for line in text.splitlines() if line.startswith('{"event":"request"')]
    return text, records


def wait_for_records(server: PathwayServer, offset: int, count: int, timeout: float = 5) -> list[dict[str, object]]:
    """The access records since offset, once there are count of them besides /healthz (the previous
    test's last check may land after offset)."""
    deadline = time.monotonic() + timeout
    while True:
        _, records = records_since(server, offset)
        if sum(r["route"] != "/healthz" for r in records) >= count or time.monotonic() > deadline:
            return records
        time.sleep(0.02)


def assert_clean(server: PathwayServer, offset: int, *hostile: str) -> None:
    text, _ = records_since(server, offset)
    assert not TRACEBACK.search(text), text[-3000:]
    for value in hostile:
        assert value not in text
    assert request(server, "GET", "/healthz")[0] == 200


def test_the_review_requests_get_4xx_and_no_traceback(server: PathwayServer) -> None:
    """Each H1 trigger gets its own status and leaves only its access record on standard error."""
    offset = server.log.stat().st_size
    expected: list[int] = []
    for walk_id in UNICODE_WALK_IDS:
        for method, route, status in WALK_ROUTES:
            got, headers, _ = request(server, method, route.format(id=quote(walk_id)))
            assert got == status, (method, route, walk_id)
            assert headers["content-security-policy"] and headers["x-request-id"]
            assert "set-cookie" not in headers
            expected.append(status)
    for body in SURROGATE_BODIES:
        got, _, raw = request(server, "POST", "/api/v2/assess", body.encode(), {"Content-Type": "application/json"})
        assert got == 422, body
        assert "\\\\ud800" in raw.decode("utf-8")
        expected.append(422)
    for depth in DEPTHS:
        body = '{"answers": {"exploitation_types": ' + "[" * depth + "]" * depth + "}}"
        got, _, _ = request(server, "POST", "/api/v2/assess", body.encode(), {"Content-Type": "application/json"})
        assert got == 422, depth
        expected.append(422)
    # (charset, hostile part, text): the text decodes to a lone surrogate under that charset
    for charset, part, text in [("utf-7", "value", "+2AA-"), ("utf-7", "name", "+2AA-"),
                                ("unicode_escape", "value", "\\ud800"), ("unicode_escape", "name", "\\ud800")]:
        walk, cookie = start_walk(server)
        expected.append(303)
        for url, field, extra in [("/quick-check", "age_group", {}),
                                  (f"/w/{walk}/q/immediate_danger", "immediate_danger", {"Cookie": cookie})]:
            name, value = (field, text) if part == "value" else (text, "yes")
            multipart = f'--X\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n--X--\r\n'
            got, _, _ = request(server, "POST", url, multipart.encode(),
                                {"Content-Type": f"multipart/form-data; boundary=X; charset={charset}", **extra})
            assert got == 415, (url, charset, part)
            got, _, _ = request(server, "POST", url, urlencode([(name, value)]).encode(),
                                {"Content-Type": f"{FORM}; charset={charset}", **extra})
            assert got == 422, (url, charset, part)
            expected += [415, 422]
    records = [r for r in wait_for_records(server, offset, len(expected)) if r["route"] != "/healthz"]
    assert [r["status"] for r in records] == expected
    assert_clean(server, offset, *UNICODE_WALK_IDS, quote(UNICODE_WALK_IDS[0]))


def abort_upload(server: PathwayServer, path: str, content_type: str, cookie: str | None = None) -> bytes:
    """Declare 100 bytes, send 10, stop sending; return what the server sent before closing."""
    head = (f"POST {path} HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: {content_type}\r\nContent-Length: 100\r\n"
            + (f"Cookie: {cookie}\r\n" if cookie else "") + "\r\n")
    with socket.create_connection((HOST, server.port), timeout=10) as sock:
        sock.sendall(head.encode() + b'{"answers"')
        time.sleep(0.2)  # let the app start reading the body
        sock.shutdown(socket.SHUT_WR)  # the client is done: the body will never be complete
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    return received


def test_an_aborted_upload_is_499_and_nothing_sent(server: PathwayServer) -> None:
    """Content-Length 100, 10 bytes, then the client closes: nothing is sent back, the access log
    records 499 for the route, and there is no traceback (L4)."""
    offset = server.log.stat().st_size
    walk, cookie = start_walk(server)
    targets = [("/api/v2/assess", "application/json", None, "/api/v2/assess"),
               ("/quick-check", FORM, None, "/quick-check"),
               (f"/w/{walk}/q/immediate_danger", FORM, cookie, "/w/{walk_id}/q/{qid}")]
    for path, content_type, with_cookie, _ in targets:
        assert abort_upload(server, path, content_type, with_cookie) == b""
    records = [r for r in wait_for_records(server, offset, 1 + len(targets)) if r["method"] == "POST"]
    assert [(r["route"], r["status"]) for r in records] == [("/start", 303)] + [(t[3], 499) for t in targets]
    assert_clean(server, offset)


def test_an_upload_cut_off_abruptly_is_499(server: PathwayServer) -> None:
    """The same with the socket closed outright (no half-close), as a crashed client would."""
    offset = server.log.stat().st_size
    head = (f"POST /api/v2/assess HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: application/json\r\n"
            "Content-Length: 100\r\n\r\n")
    with socket.create_connection((HOST, server.port), timeout=10) as sock:
        sock.sendall(head.encode() + b'{"answers"')
        time.sleep(0.2)
    records = [r for r in wait_for_records(server, offset, 1) if r["method"] == "POST"]
    assert [(r["route"], r["status"]) for r in records] == [("/api/v2/assess", 499)]
    assert_clean(server, offset)

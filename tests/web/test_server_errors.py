"""Every 500 the security review found now gets its own 4xx, and a 500 that still happens is calm.

The review's triggers (../shared/reviews/security-review.md, H1, M1 and L4), replayed in-process:
a walk id with non-ASCII letters on every ``/w/...`` route (404), a lone surrogate in the API body
(422, shown escaped), deep nesting in a multi-choice answer (422), a form body in an odd charset
(415 for multipart, which no form here sends; 422 for a plain form, whose charset is ignored), and
a client that goes away mid-upload (499 in the access log, nothing sent). Each checks that nothing
was logged with a traceback. tests/server/test_error_replay.py replays them against a real
``pathway serve``, where a traceback would come from uvicorn.

Then a route made to fail on its own app instance: the 500 is our error page (or the API's error
JSON) with every header the other responses carry and the request id, and the log gets one record
with the route template and the exception's type, never a request value or a traceback.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from cryptography.fernet import Fernet
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from starlette.responses import StreamingResponse
from starlette.types import Message, Scope

from app.config import Settings
from app.main import create_app
from app.web.access_log import ALLOWED_FIELDS
from app.web.server_errors import ERROR_FIELDS
from tests.fresh_loop import run_fresh

KEY = Fernet.generate_key().decode()
JSON = {"Content-Type": "application/json"}
FORM = "application/x-www-form-urlencoded"

# The review's five non-ASCII walk ids: Latin, CJK, fullwidth, Arabic-Indic digits, superscripts.
# Each passed str.isalnum() and broke http.cookies when the walk's cookie was named after it.
UNICODE_WALK_IDS = ["é" * 10, "漢" * 12, "ＡＢＣ" * 4, "١٢٣" * 4, "²" * 10]
WALK_ID_NAMES = ["latin", "cjk", "fullwidth", "arabic-indic", "superscript"]
WALK_ROUTES = [
    ("GET", "/w/{id}"),
    ("GET", "/w/{id}/q/immediate_danger"),
    ("GET", "/w/{id}/outcome"),
    ("GET", "/w/{id}/case-notes.txt"),
    ("POST", "/w/{id}/clear"),
    ("POST", "/w/{id}/keepalive"),
    ("POST", "/w/{id}/q/immediate_danger/skip"),
    ("POST", "/w/{id}/q/immediate_danger"),
]


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    settings = Settings(secret_key=KEY, key_file=tmp_path_factory.mktemp("key") / "unused.key")
    return create_app(settings)


@pytest.fixture(scope="module")
def client(app: FastAPI) -> Iterator[TestClient]:
    # raise_server_exceptions stays on: an exception reaching Starlette's ServerErrorMiddleware
    # (the path to uvicorn's traceback) would fail the test here.
    with TestClient(app, follow_redirects=False) as c:
        yield c


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    return caplog


def server_records(logs: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """What the server logged (not the test's HTTP client, which logs each URL it asks for)."""
    return [r for r in logs.records if not r.name.startswith(("httpx", "httpcore"))]


def no_traceback(logs: pytest.LogCaptureFixture, *hostile: str) -> None:
    """Nothing was logged with a traceback or at error level, and no hostile value reached the log."""
    for record in server_records(logs):
        assert record.exc_info is None, record.getMessage()
        assert record.levelno < logging.ERROR, record.getMessage()
        text = record.getMessage()
        assert "Traceback" not in text
        for value in hostile:
            assert value not in text


def access_records(logs: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    return [json.loads(r.getMessage()) for r in logs.records if r.name == "pathway.access"]


def error_records(logs: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    return [json.loads(r.getMessage()) for r in logs.records if r.name == "pathway.web"]


def start_walk(client: TestClient) -> str:
    response = client.post("/start")
    assert response.status_code == 303
    match = re.match(r"/w/([A-Za-z0-9_-]+)/q/immediate_danger$", response.headers["location"])
    assert match
    return match.group(1)


def multipart(name: str, value: str, charset: str | None) -> tuple[bytes, dict[str, str]]:
    """One multipart field as curl would send it, with the charset parameter the review used."""
    body = (f'--X\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n--X--\r\n').encode()
    content_type = "multipart/form-data; boundary=X" + (f"; charset={charset}" if charset else "")
    return body, {"Content-Type": content_type}


# ----------------------------------------------------------------------------- H1.1: walk ids


@pytest.mark.parametrize("walk_id", UNICODE_WALK_IDS, ids=WALK_ID_NAMES)
@pytest.mark.parametrize(("method", "route"), WALK_ROUTES)
def test_a_unicode_walk_id_is_page_not_found(client: TestClient, logs: pytest.LogCaptureFixture, walk_id: str,
                                             method: str, route: str) -> None:
    """Every /w/... route answers a walk id with non-ASCII letters or digits 404 "Page not found",
    with the security headers, no cookie set or cleared, and nothing logged but the access record."""
    response = client.request(method, route.format(id=quote(walk_id)))
    assert response.status_code == 404
    assert "Page not found" in response.text
    assert response.headers["content-security-policy"]
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-request-id"]
    assert "set-cookie" not in response.headers
    no_traceback(logs, walk_id)
    assert [r["status"] for r in access_records(logs)] == [404]


@pytest.mark.parametrize("walk_id", UNICODE_WALK_IDS, ids=WALK_ID_NAMES)
def test_exit_with_a_unicode_walk_id_still_leaves(client: TestClient, logs: pytest.LogCaptureFixture,
                                                  walk_id: str) -> None:
    """Exit this page always leaves for the exit address (never an error page someone could see over
    the user's shoulder); with a walk id that is not ours there is no cookie to clear."""
    response = client.get(f"/w/{quote(walk_id)}/exit")
    assert response.status_code == 303
    assert response.headers["location"] == "https://www.bbc.co.uk/weather"
    assert "set-cookie" not in response.headers
    no_traceback(logs, walk_id)


def test_ascii_walk_ids_still_work(client: TestClient) -> None:
    """The ASCII check keeps every id new_walk_id makes (letters, digits, - and _)."""
    walk = start_walk(client)
    assert client.get(f"/w/{walk}/q/immediate_danger").status_code == 200
    assert client.get("/w/abc-DEF_123/outcome").status_code == 400  # well formed, no cookie: "cannot find"
    assert client.get("/w/short/outcome").status_code == 404


# ----------------------------------------------------------------------------- H1.2: lone surrogates


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ('{"answers": {"\\ud800": "yes"}}', "invalid_answers"),  # as a key
        ('{"answers": {"immediate_danger": "\\ud800"}}', "invalid_answers"),  # as a value
        ('{"answers": {"immediate_danger": ["\\ud800"]}}', "invalid_answers"),  # as a list item
        ('{"answers": {}, "\\ud800": 1}', "invalid_body"),  # as an unknown top-level field
        ('{"answers": {"exploitation_types": ["\\ud800"]}}', "invalid_answers"),  # as a multi-choice item
    ],
    ids=["key", "value", "list-item", "top-level-field", "multi-choice-item"],
)
def test_a_lone_surrogate_is_echoed_escaped(client: TestClient, logs: pytest.LogCaptureFixture, body: str,
                                            code: str) -> None:
    """A lone surrogate the 422 echoes comes back as the six characters \\ud800, in valid UTF-8."""
    response = client.post("/api/v2/assess", content=body, headers=JSON)
    assert response.status_code == 422
    text = response.content.decode("utf-8")  # strict: a raw surrogate could not have been encoded
    data = json.loads(text)
    assert data["error"] == code
    shown = json.dumps(data)
    assert "\\\\ud800" in shown  # the escape itself, as text, not the code point
    assert "\ud800" not in json.dumps(data, ensure_ascii=False)
    no_traceback(logs)


# ----------------------------------------------------------------------------- H1.3: deep nesting


@pytest.mark.parametrize("depth", [256, 257, 300, 500, 979, 980, 5000])
def test_deeply_nested_multi_choice_is_422(client: TestClient, logs: pytest.LogCaptureFixture, depth: int) -> None:
    """A multi-choice answer nested 257 deep (pydantic's serialisation limit), ~450 to 979 (the old
    echo's recursion) or past the JSON reader's own limit gets 422, whatever the call stack's depth."""
    body = '{"answers": {"exploitation_types": ' + "[" * depth + "]" * depth + "}}"
    response = client.post("/api/v2/assess", content=body, headers=JSON)
    assert response.status_code == 422
    data = response.json()
    assert data["error"] in ("invalid_answers", "invalid_body")
    assert len(response.content) < 5000  # the echo is cut short, never the whole nest
    no_traceback(logs)


# ----------------------------------------------------------------------------- H1.4: odd charsets

# (field name, value) pairs that decode to a lone surrogate under the charset given.
ODD_CHARSETS = [
    ("utf-7", "value", "+2AA-"),
    ("utf-7", "name", "+2AA-"),
    ("unicode_escape", "value", "\\ud800"),
    ("unicode_escape", "name", "\\ud800"),
    (None, "value", "adult"),
]


def _form_target(client: TestClient, where: str) -> tuple[str, str]:
    """The URL of a form and a field it expects."""
    if where == "quick-check":
        return "/quick-check", "age_group"
    walk = start_walk(client)
    return f"/w/{walk}/q/immediate_danger", "immediate_danger"


@pytest.mark.parametrize("where", ["quick-check", "answer"])
@pytest.mark.parametrize(("charset", "part", "text"), ODD_CHARSETS)
def test_multipart_forms_are_refused_415(client: TestClient, logs: pytest.LogCaptureFixture, where: str,
                                         charset: str | None, part: str, text: str) -> None:
    """The quick check and the answer form only ever send application/x-www-form-urlencoded (htmx
    too), so a multipart body, in any charset, is refused with 415 before anything decodes it."""
    url, field = _form_target(client, where)
    name, value = (field, text) if part == "value" else (text, "yes")
    body, headers = multipart(name, value, charset)
    response = client.post(url, content=body, headers=headers)
    assert response.status_code == 415
    assert "That form could not be read" in response.content.decode("utf-8")
    assert response.headers["content-security-policy"]
    assert response.headers["x-request-id"]
    assert "set-cookie" not in response.headers  # the walk is untouched
    no_traceback(logs)


@pytest.mark.parametrize("where", ["quick-check", "answer"])
@pytest.mark.parametrize(("charset", "part", "text"), ODD_CHARSETS[:4])
def test_plain_forms_ignore_the_charset_422(client: TestClient, logs: pytest.LogCaptureFixture, where: str,
                                            charset: str, part: str, text: str) -> None:
    """A plain form that names UTF-7 or unicode_escape is read as UTF-8 all the same: the odd value
    or field name is simply not an answer (422), and the page shown again encodes."""
    url, field = _form_target(client, where)
    pairs = [(field, text)] if part == "value" else [(text, "yes")]
    response = client.post(url, content=urlencode(pairs), headers={"Content-Type": f"{FORM}; charset={charset}"})
    assert response.status_code == 422
    assert "There is a problem" in response.content.decode("utf-8")
    no_traceback(logs)


def test_a_plain_form_still_works(client: TestClient) -> None:
    """The refusal is only for other media types: the forms as browsers send them still answer."""
    walk = start_walk(client)
    response = client.post(f"/w/{walk}/q/immediate_danger", content="immediate_danger=no",
                           headers={"Content-Type": f"{FORM}; charset=UTF-8"})
    assert response.status_code == 303
    response = client.post("/quick-check", content="age_group=adult", headers={"Content-Type": FORM})
    assert response.status_code == 200


# ----------------------------------------------------------------------------- L4: aborted uploads


def _asgi_request(app: FastAPI, method: str, path: str, headers: list[tuple[bytes, bytes]],
                  chunks: list[bytes]) -> list[Message]:
    """Call the app as uvicorn would for a client that sends these chunks and then goes away."""
    scope: Scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
        "path": path, "raw_path": path.encode(), "root_path": "", "query_string": b"", "headers": headers,
        "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000), "state": {},
    }
    pending: list[Message] = [{"type": "http.request", "body": c, "more_body": True} for c in chunks]
    sent: list[Message] = []

    async def receive() -> Message:
        if pending:
            return pending.pop(0)
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    run_fresh(app(scope, receive, send))
    return sent


@pytest.mark.parametrize(
    ("path", "content_type"),
    [("/api/v2/assess", b"application/json"), ("/quick-check", FORM.encode())],
)
def test_an_aborted_upload_is_499_with_nothing_sent(app: FastAPI, logs: pytest.LogCaptureFixture, path: str,
                                                    content_type: bytes) -> None:
    """Content-Length 100, 10 bytes, then the client is gone: nothing is sent, the access log says
    499, and there is no error record and no traceback."""
    headers = [(b"host", b"testserver"), (b"content-type", content_type), (b"content-length", b"100")]
    sent = _asgi_request(app, "POST", path, headers, [b'{"answers"'])
    assert sent == []
    records = access_records(logs)
    assert [(r["route"], r["status"]) for r in records] == [(path, 499)]
    assert error_records(logs) == []
    no_traceback(logs)


# ----------------------------------------------------------------------------- M1: a 500 that still happens

SECRET = "Hostile-Value-7f3a"  # stands for a request value: an answer, a walk id, a token


@pytest.fixture(scope="module")
def failing(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """An app of its own with routes that fail, each with a request value in its exception's message."""
    settings = Settings(secret_key=KEY, key_file=tmp_path_factory.mktemp("key") / "unused.key")
    app = create_app(settings)

    async def boom(request: Request, thing: str) -> None:
        raise RuntimeError(f"cannot use {thing!r} from {dict(request.query_params)}")

    def stream(thing: str) -> StreamingResponse:
        def chunks() -> Iterator[bytes]:
            yield b"partial "
            raise LookupError(thing)
        return StreamingResponse(chunks(), media_type="text/plain")

    app.add_api_route("/boom/{thing}", boom, methods=["GET", "POST"])
    app.add_api_route("/api/v2/boom/{thing}", boom, methods=["GET", "POST"])
    app.add_api_route("/stream/{thing}", stream, methods=["GET"])
    with TestClient(app, follow_redirects=False) as c:
        yield c


def _headers_like(response: Any, reference: Any) -> None:
    """The 500 carries every header the reference response (a 404 of the same kind) carries, with the
    same value (except its length and its own request id)."""
    for name, value in reference.headers.items():
        if name in ("content-length", "x-request-id", "date"):
            continue
        assert response.headers.get(name) == value, name
    assert re.fullmatch(r"[0-9a-f]{16}", response.headers["x-request-id"])


def _one_error_record(logs: pytest.LogCaptureFixture, route: str, error: str, request_id: str,
                      status: int = 500) -> None:
    errors = error_records(logs)
    assert len(errors) == 1, errors
    record = errors[0]
    assert tuple(record) == ERROR_FIELDS
    assert record == {"event": "error", "method": "GET", "route": route, "status": status, "error": error,
                      "request_id": request_id}
    (access,) = access_records(logs)
    assert tuple(access) == ALLOWED_FIELDS
    assert (access["route"], access["status"], access["request_id"]) == (route, status, request_id)
    for entry in server_records(logs):  # the error record is the only one above INFO, and none has a traceback
        assert entry.exc_info is None
        assert "Traceback" not in entry.getMessage()
        assert SECRET not in entry.getMessage()
        assert entry.levelno < logging.ERROR or entry.name == "pathway.web"


def test_an_unexpected_error_is_a_calm_page(failing: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    """An HTML route that raises: our error page, status 500, every security header and the request
    id (in the header and on the page), one log record naming the route template and the exception's
    type, and no request value or traceback anywhere."""
    reference = failing.get("/no-such-page")
    assert reference.status_code == 404
    caplog.set_level(logging.DEBUG)
    response = failing.get(f"/boom/{SECRET}?answer={SECRET}")
    assert response.status_code == 500
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    _headers_like(response, reference)
    request_id = response.headers["x-request-id"]
    assert "Sorry, there is a problem with the service" in response.text
    assert "<!DOCTYPE html>" in response.text and 'href="/"' in response.text  # the whole layout
    assert f"<strong>{request_id}</strong>" in response.text
    assert SECRET not in response.text
    assert "RuntimeError" not in response.text and "Traceback" not in response.text
    _one_error_record(caplog, "/boom/{thing}", "RuntimeError", request_id)


def test_an_unexpected_error_for_htmx_is_a_fragment(failing: TestClient) -> None:
    """With htmx, the same error as a #page fragment (and the request id)."""
    response = failing.get(f"/boom/{SECRET}", headers={"HX-Request": "true"})
    assert response.status_code == 500
    assert "<!DOCTYPE html>" not in response.text and 'id="page"' in response.text
    assert response.headers["x-request-id"] in response.text


def test_an_unexpected_api_error_is_problem_json(failing: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    """An API route that raises: the API's error JSON, every security header, the request id."""
    reference = failing.get("/api/v2/no-such-thing")
    assert reference.status_code == 404
    caplog.set_level(logging.DEBUG)
    response = failing.get(f"/api/v2/boom/{SECRET}")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/json"
    _headers_like(response, reference)
    request_id = response.headers["x-request-id"]
    body = response.json()
    assert set(body) == {"error", "message", "detail"}
    assert body["error"] == "internal_error" and body["detail"] == []
    assert request_id in body["message"]
    assert SECRET not in response.text and "RuntimeError" not in response.text
    _one_error_record(caplog, "/api/v2/boom/{thing}", "RuntimeError", request_id)


def test_a_page_that_cannot_render_falls_back(failing: TestClient, caplog: pytest.LogCaptureFixture,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """If even the error page fails (say, a template), the 500 is a bare page: still calm, still
    with the headers and the request id, still one record."""

    class Broken:
        def TemplateResponse(self, *args: Any, **kwargs: Any) -> Any:  # Starlette's name
            raise OSError("template gone")

    state = failing.app.state  # type: ignore[attr-defined]
    monkeypatch.setattr(state, "pathway", dataclasses.replace(state.pathway, templates=Broken()))
    caplog.set_level(logging.DEBUG)
    response = failing.get(f"/boom/{SECRET}")
    assert response.status_code == 500
    request_id = response.headers["x-request-id"]
    assert "Sorry, there is a problem with the service" in response.text
    assert f"Reference: {request_id}" in response.text
    assert response.headers["content-security-policy"] and response.headers["cache-control"] == "no-store"
    _one_error_record(caplog, "/boom/{thing}", "RuntimeError", request_id)


def test_an_error_after_the_answer_began_is_logged_once(failing: TestClient,
                                                        caplog: pytest.LogCaptureFixture) -> None:
    """An error mid-stream, after the status was sent, cannot become a 500: the record names it (with
    the status already sent), and nothing else is logged."""
    caplog.set_level(logging.DEBUG)
    response = failing.get(f"/stream/{SECRET}")
    assert response.status_code == 200
    _one_error_record(caplog, "/stream/{thing}", "LookupError", response.headers["x-request-id"], status=200)

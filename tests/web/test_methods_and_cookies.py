"""Cookies and methods (review L1, L2, L5): a walk's cookie is deleted only when the request carried
it and it cannot be used; every state change is a POST; HEAD works wherever GET does and changes
nothing; no Location is built from the Host header."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient

from app.config import Settings
from app.engine.scenarios import load_scenario
from app.main import create_app
from app.web.walk_token import Walk, cookie_name, new_walk_id
from tests.conftest import SCENARIOS
from tests.web.app_routes import AppRoute, every_route
from tests.web.client_state import codec_of, state_of

KEY = Fernet.generate_key().decode()
# Headers that differ between any two responses, whatever the method.
PER_RESPONSE = {"x-request-id", "date"}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """One app for the module (each test sends the cookies it means to, on a cleared jar)."""
    settings = Settings(secret_key=KEY, key_file=tmp_path_factory.mktemp("key") / "unused.key")
    with TestClient(create_app(settings), follow_redirects=False, raise_server_exceptions=False) as c:
        yield c


@pytest.fixture(autouse=True)
def no_cookies_kept(client: TestClient) -> None:
    client.cookies.clear()


def walk_with(client: TestClient, answers: dict[str, object], issued_at: int | None = None) -> tuple[str, str]:
    """A walk id and its cookie, holding these answers (made with the app's own key)."""
    walk = Walk(new_walk_id(), dict(answers))
    codec = codec_of(client)
    token = (codec.encode(walk) if issued_at is None else
             codec.fernet.encrypt_at_time(walk.to_json(), issued_at).decode())
    return walk.id, token


def cookie_header(walk: str, token: str) -> dict[str, str]:
    return {"Cookie": f"{cookie_name(walk)}={token}"}


def deletes(response: object, walk: str) -> bool:
    cookies = response.headers.get_list("set-cookie")  # type: ignore[attr-defined]
    return any(c.startswith(cookie_name(walk) + "=") and "Max-Age=0" in c for c in cookies)


# ----------------------------------------------------------------------------- L2: cookies


WALK_GETS = ["/w/{id}", "/w/{id}/q/immediate_danger", "/w/{id}/outcome", "/w/{id}/case-notes.txt"]
WALK_POSTS = ["/w/{id}/q/immediate_danger", "/w/{id}/q/contact_method/skip", "/w/{id}/keepalive",
              "/w/{id}/clear", "/w/{id}/exit"]


def test_a_link_from_another_site_keeps_the_walk(client: TestClient) -> None:
    """A walk's address opened without its SameSite=Strict cookie (a link or form from another site)
    gets "We cannot find your answers" and no Set-Cookie at all, so the walk is still there after."""
    walk, token = walk_with(client, {"immediate_danger": "no"})
    client.cookies.clear()
    for route in WALK_GETS:
        response = client.get(route.format(id=walk))
        assert response.status_code == 400, route
        assert "We cannot find your answers" in response.text
        assert "set-cookie" not in response.headers, route
    for route in WALK_POSTS:
        response = client.post(route.format(id=walk), content=b"immediate_danger=yes",
                               headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert response.status_code in (303, 400), route
        assert "set-cookie" not in response.headers, route
    # The page offers a link from this site, which carries the cookie: the walk goes on from there.
    missing = client.get(f"/w/{walk}/q/age_group")
    assert f'<a href="/w/{walk}">try this case again</a>' in missing.text
    again = client.get(f"/w/{walk}", headers=cookie_header(walk, token))
    assert again.status_code == 303 and again.headers["location"] == f"/w/{walk}/q/age_group"
    back = client.get(f"/w/{walk}/q/age_group", headers=cookie_header(walk, token))
    assert back.status_code == 200 and "How old is the person?" in back.text


@pytest.mark.parametrize("kind", ["tampered", "other_key", "expired", "other_walk"])
def test_an_unusable_cookie_is_cleared(client: TestClient, kind: str) -> None:
    """A cookie the request carried that cannot be used (tampered, another key, expired, another
    walk's) gets its page and is deleted; a HEAD of the same address deletes nothing."""
    walk, token = walk_with(client, {"immediate_danger": "no"})
    if kind == "tampered":
        token = token[:-6] + ("A" if token[-6] != "A" else "B") + token[-5:]
    elif kind == "other_key":
        token = Fernet(Fernet.generate_key()).encrypt(Walk(walk, {}).to_json()).decode()
    elif kind == "expired":
        codec = codec_of(client)
        token = codec.fernet.encrypt_at_time(Walk(walk, {}).to_json(), int(time.time()) - 3 * 3600).decode()
    else:
        token = walk_with(client, {"immediate_danger": "no"})[1]  # a good token, of another walk
    client.cookies.clear()
    title = "Your answers have timed out" if kind == "expired" else "We cannot read your answers"
    for route in WALK_GETS:
        response = client.get(route.format(id=walk), headers=cookie_header(walk, token))
        assert response.status_code == 400 and title in response.text, route
        assert "try this case again" not in response.text  # it would not help
        assert deletes(response, walk), route
        cookie = response.headers["set-cookie"]
        assert f"Path=/w/{walk}" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
        head = client.head(route.format(id=walk), headers=cookie_header(walk, token))
        assert head.status_code == 400 and "set-cookie" not in head.headers and head.content == b""
    posted = client.post(f"/w/{walk}/keepalive", headers=cookie_header(walk, token))
    assert posted.status_code == 400 and deletes(posted, walk)


def test_showing_a_page_does_not_renew_the_answers(client: TestClient) -> None:
    """Only a POST renews the cookie. A page says how long its answers have left (data-seconds-left),
    so the time-out warning counts down from the last answer, not from the page view."""
    session = int(state_of(client).settings.session_minutes * 60)
    walk, token = walk_with(client, {"immediate_danger": "no"}, issued_at=int(time.time()) - 600)
    page = client.get(f"/w/{walk}/q/age_group", headers=cookie_header(walk, token))
    assert page.status_code == 200 and "set-cookie" not in page.headers
    left = int(page.text.split('data-seconds-left="', 1)[1].split('"', 1)[0])
    assert session - 605 <= left <= session - 600
    assert f'data-session-seconds="{session}"' in page.text
    renewed = client.post(f"/w/{walk}/keepalive", headers=cookie_header(walk, token))
    assert renewed.status_code == 204 and renewed.headers["set-cookie"].startswith(cookie_name(walk) + "=")
    assert 'data-seconds-left' not in client.get("/privacy").text  # no walk, no countdown


# ----------------------------------------------------------------------------- L5: methods


def sample_values(client: TestClient) -> tuple[dict[str, str], dict[str, str]]:
    """A value for each path parameter that reaches a real page, and the walk's cookie header."""
    app = client.app
    answers = load_scenario(SCENARIOS / "seed_tyrone.yaml").answer_values()
    walk, token = walk_with(client, answers)
    asset = next(iter(app.state.pathway.assets.by_url)).removeprefix("/static/")  # type: ignore[attr-defined]
    values = {"walk_id": walk, "qid": "age_group", "slug": next(iter(app.state.pathway.training)),  # type: ignore[attr-defined]
              "number": "1", "filename": asset}
    return values, cookie_header(walk, token)


def get_routes(client: TestClient) -> list[AppRoute]:
    return [r for r in every_route(client.app) if "GET" in r.methods]  # type: ignore[arg-type]


def test_every_get_route_answers_head_alike(client: TestClient) -> None:
    """Every GET route (taken from app.routes, so later ones too) answers HEAD with the same status
    and headers as GET and no body, with and without the walk's cookie; neither sets a cookie."""
    values, with_cookie = sample_values(client)
    routes = get_routes(client)
    assert len(routes) >= 20
    statuses = set()
    for route in routes:
        url = route.url({name: values.get(name, "x") for name in route.params})
        for headers in ({}, with_cookie):
            client.cookies.clear()
            got = client.get(url, headers=headers)
            head = client.head(url, headers=headers)
            assert got.status_code < 500, (url, got.status_code)
            assert head.status_code == got.status_code, url
            assert head.content == b"", url
            same = {k: v for k, v in got.headers.items() if k not in PER_RESPONSE}
            assert {k: v for k, v in head.headers.items() if k not in PER_RESPONSE} == same, url
            assert "set-cookie" not in got.headers and "set-cookie" not in head.headers, url
            statuses.add((route.path, bool(headers), got.status_code))
    # The sample values reach the real pages: every walk page answers 200 with the cookie.
    assert ("/w/{walk_id}/outcome", True, 200) in statuses
    assert ("/w/{walk_id}/q/{qid}", True, 200) in statuses
    assert ("/static/{filename:path}", False, 200) in statuses
    assert ("/training/{slug}/step/{number}", False, 200) in statuses
    assert ("/healthz", False, 200) in statuses and ("/pathway.svg", False, 200) in statuses


def test_state_changes_are_posts_to_the_walk(client: TestClient) -> None:
    """Every route that can set or delete a walk's cookie is a POST; every walk route but /start
    holds the walk id. GET /w/{id}/exit leaves without touching the walk."""
    for route in every_route(client.app):  # type: ignore[arg-type]
        if route.path.startswith("/w/") and "POST" in route.methods:
            assert "walk_id" in route.params
            assert route.methods == {"POST"}, route.id
    walk, token = walk_with(client, {"immediate_danger": "no"})
    leave = client.get(f"/w/{walk}/exit", headers=cookie_header(walk, token))
    assert leave.status_code == 303 and leave.headers["location"] == "https://www.bbc.co.uk/weather"
    assert "set-cookie" not in leave.headers
    exit_post = client.post(f"/w/{walk}/exit", headers=cookie_header(walk, token))
    assert exit_post.status_code == 303 and deletes(exit_post, walk)


def test_head_of_probes_and_assets(client: TestClient) -> None:
    """The probes and assets that uptime checks and caches use answer HEAD (it was 405)."""
    values, _ = sample_values(client)
    for url in ("/healthz", "/api/v2/pathway", "/pathway.svg", f"/static/{values['filename']}", "/openapi.json"):
        response = client.head(url)
        assert response.status_code == 200, url
        assert int(response.headers["content-length"]) > 0 and response.content == b""
    assert client.head("/api/v1/pathway").status_code == 410


def test_wrong_method_names_head_in_allow(client: TestClient) -> None:
    """A 405 on a GET route lists HEAD as allowed too; a POST-only route answers HEAD with 405."""
    refused = client.post("/privacy")
    assert refused.status_code == 405 and refused.headers["allow"] == "GET, HEAD"
    head = client.head("/start")
    assert head.status_code == 405 and head.headers["allow"] == "POST" and head.content == b""


def test_openapi_documents_head(client: TestClient) -> None:
    """Each GET in /openapi.json has its HEAD beside it: same statuses, no body, its own operationId."""
    schema = client.get("/openapi.json").json()
    ids = [op["operationId"] for ops in schema["paths"].values() for op in ops.values()]
    assert len(ids) == len(set(ids))
    for path, ops in schema["paths"].items():
        if "get" in ops:
            assert set(ops["head"]["responses"]) == set(ops["get"]["responses"]), path
            assert all("content" not in r for r in ops["head"]["responses"].values())
    assert schema["paths"]["/api/v1/pathway"]["head"]["deprecated"] is True
    assert "410" in schema["paths"]["/api/v1/pathway"]["head"]["responses"]
    assert "415" in schema["paths"]["/api/v2/assess"]["post"]["responses"]


# ----------------------------------------------------------------------------- L1: Host


@pytest.mark.parametrize(("sent", "location"), [
    ("/privacy/", "/privacy"),
    ("/api/v2/pathway/?x=1", "/api/v2/pathway?x=1"),
    ("/w/abcdefghijklmnop/q/immediate_danger/", "/w/abcdefghijklmnop/q/immediate_danger"),
    ("/static/x%2Fy/", "/static/x%2Fy"),
])
def test_trailing_slash_redirect_is_relative(client: TestClient, sent: str, location: str) -> None:
    """A trailing slash is redirected with a relative Location: the Host header is never written
    into a response (it was: http://evil.example/privacy)."""
    for method in ("GET", "HEAD", "POST"):
        response = client.request(method, sent, headers={"Host": "evil.example"})
        assert response.status_code == 307, (method, sent)
        assert response.headers["location"] == location
        assert not any("evil.example" in v for v in response.headers.values())
        assert response.headers["x-content-type-options"] == "nosniff"


def test_no_redirect_to_another_site_or_nowhere(client: TestClient) -> None:
    """A slash-ended path no route answers is a 404, not a redirect (no //host Location)."""
    for sent in ("/no-such-page/", "/w/", "/%2F%2Fevil.example/", "/%5Cevil.example/"):
        response = client.get(sent, headers={"Host": "evil.example"})
        assert response.status_code == 404, sent
        assert "location" not in response.headers

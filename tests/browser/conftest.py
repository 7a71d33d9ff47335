"""Browser tests: a live Pathway server on a free port, driven by Playwright in Debian's Chromium.

htmx is loaded from its CDN URL as in production, but the request is answered from a copy
fetched from the npm registry and checked against the template's SRI hash, so no test reaches
the internet.
"""

from __future__ import annotations

import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from axe_playwright_python.sync_playwright import Axe
from cryptography.fernet import Fernet
from playwright.sync_api import Browser, BrowserContext, Page, Route

from app.config import Settings
from app.main import create_app
from app.web.htmx import HTMX_CDN_URL, HTMX_SRI
from app.web.htmx_vendor import fetch_htmx, sri_of

ACTION_TIMEOUT_MS = 10_000  # fail fast: a step that has not happened in 10 seconds will not happen
ROOT = Path(__file__).resolve().parent.parent.parent
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    args = {**browser_type_launch_args, "args": CHROMIUM_FLAGS}
    if CHROMIUM:
        args["executable_path"] = CHROMIUM
    return args


@dataclass
class LiveServer:
    url: str
    settings: Settings


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(settings: Settings) -> tuple[uvicorn.Server, threading.Thread, str]:
    port = _free_port()
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning",
                            access_log=False, lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    return server, thread, f"http://127.0.0.1:{port}"


@pytest.fixture(scope="session")
def server_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(secret_key=Fernet.generate_key().decode(),
                    key_file=tmp_path_factory.mktemp("keys") / "secret.key")


@pytest.fixture(scope="session")
def live_server(server_settings: Settings) -> Iterator[LiveServer]:
    server, thread, url = start_server(server_settings)
    yield LiveServer(url, server_settings)
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def htmx_file(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The pinned htmx, fetched from the npm registry and checked against the template's SRI hash."""
    cached = ROOT / "static" / "vendor"
    path = fetch_htmx(cached)
    data = path.read_bytes()
    assert sri_of(data) == HTMX_SRI
    return data


def serve_htmx(context: BrowserContext, htmx_file: bytes) -> None:
    def fulfil(route: Route) -> None:
        route.fulfill(status=200, body=htmx_file, headers={
            "Content-Type": "text/javascript; charset=utf-8",
            "Access-Control-Allow-Origin": "*",
        })

    context.route(HTMX_CDN_URL, fulfil)


def open_page(browser: Browser, url: str, htmx_file: bytes | None) -> Iterator[Page]:
    """A page in a fresh context on ``url``: htmx served from the verified copy, or JavaScript off."""
    context = browser.new_context(base_url=url, java_script_enabled=htmx_file is not None)
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    if htmx_file is not None:
        serve_htmx(context, htmx_file)
    yield context.new_page()
    context.close()


@pytest.fixture
def js_page(browser: Browser, htmx_file: bytes, live_server: LiveServer) -> Iterator[Page]:
    """A page with JavaScript on and htmx loaded (from the verified local copy of the CDN file)."""
    yield from open_page(browser, live_server.url, htmx_file)


@pytest.fixture
def nojs_page(browser: Browser, live_server: LiveServer) -> Iterator[Page]:
    """A page with JavaScript turned off: plain forms, POST then redirect."""
    yield from open_page(browser, live_server.url, None)


@pytest.fixture(params=["nojs", "htmx"])
def mode(request: pytest.FixtureRequest) -> str:
    """Run the test twice: with JavaScript off (plain forms), then with htmx swapping each step."""
    return str(request.param)


@pytest.fixture
def any_page(request: pytest.FixtureRequest, mode: str) -> Page:
    """nojs_page or js_page, following ``mode``."""
    page: Page = request.getfixturevalue("nojs_page" if mode == "nojs" else "js_page")
    return page


@pytest.fixture(scope="session")
def short_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A second server whose walks expire after 6 seconds, with the warning 3 seconds before."""
    settings = Settings(secret_key=Fernet.generate_key().decode(), session_minutes=0.1, warning_minutes=0.05,
                        key_file=tmp_path_factory.mktemp("short-keys") / "secret.key")
    server, thread, url = start_server(settings)
    yield LiveServer(url, settings)
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def short_page(browser: Browser, htmx_file: bytes, short_server: LiveServer) -> Iterator[Page]:
    """A page with JavaScript and htmx on the short-lived server."""
    yield from open_page(browser, short_server.url, htmx_file)


def keep_local(context: BrowserContext, exit_url: str) -> None:
    """Refuse every request that would leave the machine; answer the exit URL with a local stand-in."""

    def refuse(route: Route) -> None:
        if route.request.url == HTMX_CDN_URL:
            route.fallback()  # answered by serve_htmx's handler, registered earlier
        else:
            route.abort()

    context.route(re.compile(r"^https?://(?!127\.0\.0\.1[:/])"), refuse)
    context.route(exit_url, lambda route: route.fulfill(
        status=200, content_type="text/html; charset=utf-8",
        body="<!DOCTYPE html><html lang='en'><title>Weather</title><h1>Weather forecast</h1></html>"))


@pytest.fixture(scope="session")
def axe() -> Axe:
    """axe-core, as packaged by axe-playwright-python."""
    return Axe()


def walk_id(page: Page) -> str:
    match = re.search(r"/w/([A-Za-z0-9_-]+)/", page.url)
    assert match, page.url
    return match.group(1)

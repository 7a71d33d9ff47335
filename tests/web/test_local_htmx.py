"""PATHWAY_HTMX_LOCAL=true serves the pinned htmx shipped with Pathway (security review L10: no page load
reaches the CDN), and only the file the pages' SRI hash names: a changed file is refused at start."""

from __future__ import annotations

import shutil
from importlib.resources import files
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient
from starlette.requests import Request

from app.cli import startup_problems
from app.config import Settings
from app.main import create_app
from app.web.assets import HTMX_MISSING, Assets
from app.web.htmx import HTMX_CDN_URL, HTMX_LOCAL_NAME, HTMX_SRI
from app.web.htmx_vendor import sri_of

KEY = Fernet.generate_key().decode()


def test_the_shipped_htmx_is_served_from_this_site(tmp_path: Path) -> None:
    app = create_app(Settings(secret_key=KEY, key_file=tmp_path / "unused.key", htmx_local=True))
    with TestClient(app) as client:
        start = client.get("/")
        assert f'src="/static/vendor/{HTMX_LOCAL_NAME}" integrity="{HTMX_SRI}"' in start.text
        assert HTMX_CDN_URL not in start.text
        served = client.get(f"/static/vendor/{HTMX_LOCAL_NAME}")
        assert served.status_code == 200
        assert sri_of(served.content) == HTMX_SRI
        assert served.headers["content-type"] == "text/javascript; charset=utf-8"


def test_an_htmx_file_that_is_not_the_pinned_one_is_not_served(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATHWAY_SECRET_KEY", KEY)
    assert startup_problems({"htmx_local": True})[1] == []  # the installed file is the pinned one
    static = tmp_path / "static"
    shutil.copytree(str(files("app.static")), static, ignore=shutil.ignore_patterns("__pycache__"))
    vendored = static / "vendor" / HTMX_LOCAL_NAME
    vendored.write_bytes(vendored.read_bytes() + b"\nalert(1)")
    assets = Assets(static)
    assert assets.htmx_local is None  # so PATHWAY_HTMX_LOCAL=true refuses to start, saying:
    assert HTMX_MISSING.startswith("PATHWAY_HTMX_LOCAL is set but this installation has no htmx file matching")
    request = Request({"type": "http", "method": "GET", "path": f"/static/vendor/{HTMX_LOCAL_NAME}", "headers": []})
    assert assets.serve(request, f"vendor/{HTMX_LOCAL_NAME}").status_code == 404

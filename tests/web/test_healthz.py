"""``GET /healthz`` means ready: ok only when a page renders from the templates and the static files are
served; a broken installation (templates missing or broken, static files missing) answers 503 with the
reason, never a 500, while the pages themselves would fail."""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jinja2
import pytest
from cryptography.fernet import Fernet
from fastapi import FastAPI
from fastapi.templating import Jinja2Templates
from fastapi.testclient import TestClient

from app.config import Settings
from app.main import TEMPLATES, create_app, page_templates
from app.web.app_state import AppState
from app.web.assets import Assets


@pytest.fixture
def app(tmp_path: Path) -> FastAPI:
    return create_app(Settings(secret_key=Fernet.generate_key().decode(), key_file=tmp_path / "unused.key"))


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def _break(app: FastAPI, **parts: Any) -> None:
    """Swap a part of the built app's state for a broken one, as a damaged installation would give."""
    state: AppState = app.state.pathway
    app.state.pathway = dataclasses.replace(state, **parts)


def _templates_from(app: FastAPI, folder: Path) -> Jinja2Templates:
    state: AppState = app.state.pathway
    return page_templates(state.glossary, jinja2.FileSystemLoader(str(folder)))


def test_ready_when_a_page_renders_and_the_static_files_are_served(app: FastAPI, client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "rules_version": app.state.pathway.rulebook.version}
    assert "503" in client.get("/openapi.json").json()["paths"]["/healthz"]["get"]["responses"]


def test_no_templates_is_503_with_the_reason_while_pages_fail(app: FastAPI, client: TestClient,
                                                             tmp_path: Path) -> None:
    empty = tmp_path / "templates"
    empty.mkdir()
    _break(app, templates=_templates_from(app, empty))
    assert client.get("/privacy").status_code == 500  # what /healthz used to hide
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert response.json() == {"status": "unavailable", "rules_version": app.state.pathway.rulebook.version,
                               "reason": "a page cannot be rendered (TemplateNotFound)"}


def test_a_broken_template_is_503_not_500(app: FastAPI, client: TestClient, tmp_path: Path) -> None:
    copy = tmp_path / "templates"
    shutil.copytree(str(TEMPLATES), copy)
    layout = copy / "layout.html"
    layout.write_text(layout.read_text(encoding="utf-8") + "{% if %}", encoding="utf-8")
    _break(app, templates=_templates_from(app, copy))
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["reason"] == "a page cannot be rendered (TemplateSyntaxError)"


def test_static_files_missing_is_503_naming_them(app: FastAPI, client: TestClient, tmp_path: Path) -> None:
    _break(app, assets=Assets(tmp_path))
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["reason"] == "static files missing from the installation: pathway.css, pathway.js"
    assert client.head("/healthz").status_code == 503

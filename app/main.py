"""The application factory. Nothing happens at import: run with ``uvicorn --factory app.main:create_app``."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import jinja2
from fastapi import FastAPI
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel

from app.config import Settings
from app.engine.answers import validate_answers
from app.engine.diagram import to_svg
from app.engine.errors import AnswerError, PackError
from app.engine.loader import load_rulebook, rules_dirs
from app.engine.rulebook import Rulebook
from app.web import api, pages, pathway_page, problems, quick_check, reference, training
from app.web.access_log import AccessLogMiddleware
from app.web.assets import Assets
from app.web.body_limit import BodyLimitMiddleware
from app.web.concurrency import ConcurrencyLimitMiddleware
from app.web.methods import HeadAsGetMiddleware, RelativeSlashRedirectMiddleware
from app.web.request_limits import RequestLimitsMiddleware
from app.web.security import SecurityHeadersMiddleware
from app.web.server_errors import CalmErrorsMiddleware
from app.web.walk_token import TokenCodec, load_or_create_key

TEMPLATES = Path(__file__).resolve().parent / "web" / "templates"


@dataclass(frozen=True)
class AppState:
    settings: Settings
    rulebook: Rulebook
    description: api.PathwayInfo


class Health(BaseModel):
    status: str
    rules_version: str


def load_for(settings: Settings) -> Rulebook:
    """Load the packs the settings choose; raises PackError, or ValueError for a bad preset."""
    national, local = rules_dirs(settings.rules_dir, settings.local_pack)
    book = load_rulebook(national, local)
    if settings.preset:
        try:
            validate_answers(book, settings.preset)
        except AnswerError as exc:
            raise ValueError(f"PATHWAY_ORGANISATION: {exc}") from None
    return book


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Once the server starts: move the loaded rules and templates out of the garbage collector's way.

    Full collections otherwise walk every long-lived object and showed as p99 spikes of about
    30 ms on the outcome page (docs/performance.md).
    """
    gc.collect()
    gc.freeze()
    yield


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app: load and check the packs (refusing a broken one), then wire the routes."""
    settings = settings or Settings()
    book = load_for(settings)
    app = FastAPI(
        title="Pathway",
        version=book.version,
        description=(
            "Decision support for professionals who meet possible victims of modern slavery and human "
            "trafficking in England and Wales. It supports a professional's judgement; the Home Office's "
            "competent authority decides NRM cases. Nothing about a case is stored."
        ),
        docs_url=None,
        redoc_url=None,
        lifespan=_lifespan,
        # Starlette's trailing-slash redirect writes the Host header into Location (review L1):
        # RelativeSlashRedirectMiddleware redirects with a relative address instead.
        redirect_slashes=False,
    )
    description = api.describe_pathway(book, settings.preset)
    app.state.pathway = AppState(settings, book, description)
    app.state.questions = {q.id: q for q in (*description.questions, *description.optional_questions)}
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
                             undefined=jinja2.StrictUndefined)
    app.state.templates = Jinja2Templates(env=env)
    app.state.assets = Assets()
    if settings.htmx_local and app.state.assets.htmx_local is None:
        raise ValueError("PATHWAY_HTMX_LOCAL is set but static/vendor has no htmx file: run `make vendor-htmx`")
    key = load_or_create_key(settings.secret_key, settings.key_file)
    app.state.codec = TokenCodec(key, int(settings.session_minutes * 60))
    # HEAD answered as GET, without the body or any Set-Cookie (methods.py).
    app.add_middleware(HeadAsGetMiddleware)
    app.add_middleware(RelativeSlashRedirectMiddleware)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes, timeout=settings.body_timeout)
    # Far too many query parameters or cookies: refused before FastAPI parses them (bounded work).
    app.add_middleware(RequestLimitsMiddleware)
    # Inside the security headers and the access log, so its calm 503 carries both.
    app.add_middleware(ConcurrencyLimitMiddleware, limit=settings.max_concurrency)
    # Inside the security headers and the access log, so an unexpected error's 500 carries both.
    app.add_middleware(CalmErrorsMiddleware)
    app.add_middleware(SecurityHeadersMiddleware, htmx_local=settings.htmx_local, exit_url=settings.exit_url)
    app.add_middleware(AccessLogMiddleware)
    problems.install(app)
    app.state.diagram_svg = to_svg(book)
    app.include_router(api.router)
    app.include_router(api.ended)
    api.install_openapi(app, book)
    app.include_router(pages.router)
    app.include_router(quick_check.router)
    app.include_router(pathway_page.router)
    reference.install(app, book)
    training.install(app, settings.rules_dir, settings.local_pack, book)

    @app.get("/healthz", response_model=Health, tags=["ops"])
    def healthz() -> Health:
        """Answers once the rule packs are loaded."""
        return Health(status="ok", rules_version=book.version)

    return app


__all__ = ["PackError", "create_app", "load_for"]

"""The application factory. Nothing happens at import: run with ``uvicorn --factory app.main:create_app``."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.resources import files
from typing import Any

import jinja2
from fastapi import FastAPI
from fastapi.templating import Jinja2Templates

from app.config import Settings
from app.counts import CountStore
from app.engine import (
    AnswerError,
    PackError,
    Rulebook,
    in_sentence,
    load_rulebook,
    rules_dirs,
    to_svg,
    validate_answers,
)
from app.web import api, health, network, pages, pathway_page, problems, quick_check, reference, training
from app.web.access_log import AccessLogMiddleware
from app.web.app_state import AppState
from app.web.assets import HTMX_MISSING, Assets
from app.web.body_limit import BodyLimitMiddleware
from app.web.concurrency import ConcurrencyLimitMiddleware
from app.web.forwarded import ForwardedMiddleware
from app.web.methods import HeadAsGetMiddleware, RelativeSlashRedirectMiddleware
from app.web.request_limits import RequestLimitsMiddleware
from app.web.security import SecurityHeadersMiddleware
from app.web.server_errors import CalmErrorsMiddleware
from app.web.walk_store import CookieWalkStore, WalkStore
from app.web.walk_token import TokenCodec, load_or_create_key

# The page templates, in the installed package (read by Jinja's PackageLoader; tests read them here too).
TEMPLATES = files("app.web") / "templates"
# Every router, in the order their routes are matched.
ROUTERS = (api.router, api.ended, pages.router, quick_check.router, pathway_page.router, reference.router,
           training.router, network.router, health.router)


class PathwayApp(FastAPI):
    """The FastAPI app, its OpenAPI document completed for the loaded packs (api.complete_openapi)."""

    def __init__(self, book: Rulebook, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.book = book
        self._completed: dict[str, Any] | None = None

    def openapi(self) -> dict[str, Any]:
        """The document, made once: the request schema of the loaded packs, and HEAD beside each GET."""
        if self._completed is None:
            self._completed = api.complete_openapi(super().openapi(), self.book)
        return self._completed


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


def walk_store_for(settings: Settings) -> WalkStore:
    """The store PATHWAY_WALK_STORE names (the settings allow only the names config.WALK_STORES lists)."""
    if settings.walk_store == "cookie":
        key = load_or_create_key(settings.secret_key, settings.key_path)
        return CookieWalkStore(TokenCodec(key, int(settings.session_minutes * 60)))
    raise ValueError(f"PATHWAY_WALK_STORE: no store is called {settings.walk_store!r}")


def counts_for(settings: Settings) -> CountStore | None:
    """The counts' store when PATHWAY_COUNTS=on, else None. It connects only when first used (workers never
    migrate: `pathway serve`'s pre-start check has). Sign-in failures' addresses are hashed with a key
    derived from the walk cookies' key."""
    if not settings.counting:
        return None
    key = load_or_create_key(settings.secret_key, settings.key_path)
    return CountStore(CountStore.url_for(settings), address_key=key)


def page_templates(glossary: reference.Glossary, loader: jinja2.BaseLoader | None = None) -> Jinja2Templates:
    """The page templates, each given the glossary (``glossary``, the ``gloss`` filter) and ``in_sentence``.
    By default from the installed package (app/web/templates), wherever Pathway is installed."""
    env = jinja2.Environment(loader=loader or jinja2.PackageLoader("app.web", "templates"), autoescape=True,
                             undefined=jinja2.StrictUndefined)
    env.globals["glossary"] = glossary
    env.filters["gloss"] = glossary.gloss
    env.filters["in_sentence"] = in_sentence
    return Jinja2Templates(env=env)


def build_state(settings: Settings, book: Rulebook, walk_store: WalkStore | None = None) -> AppState:
    """Everything the routes read, built once from the loaded packs. A training scenario that cannot be
    read or run raises PackError (the app refuses to start)."""
    description = api.describe_pathway(book, settings.preset)
    assets = Assets()
    if settings.htmx_local and assets.htmx_local is None:
        raise ValueError(HTMX_MISSING)
    glossary = reference.Glossary(book.glossary)
    return AppState(
        settings=settings,
        rulebook=book,
        description=description,
        questions={q.id: q for q in (*description.questions, *description.optional_questions)},
        templates=page_templates(glossary),
        assets=assets,
        walk_store=walk_store or walk_store_for(settings),
        diagram_svg=to_svg(book),
        flow=pathway_page.flow(book),
        glossary=glossary,
        training=training.load_cases(settings.rules_dir, settings.local_pack, book),
        counts=counts_for(settings),
    )


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Once the server starts: move the loaded rules and templates out of the garbage collector's way.

    Full collections otherwise walk every long-lived object and showed as p99 spikes of about
    30 ms on the outcome page (docs/performance.md).
    """
    gc.collect()
    gc.freeze()
    yield


def create_app(settings: Settings | None = None, *, walk_store: WalkStore | None = None) -> FastAPI:
    """Build the app: load and check the packs and training cases (refusing a broken one), then wire
    the middleware and the routes. ``walk_store``: where walks are kept, instead of the one the
    settings choose (PATHWAY_WALK_STORE)."""
    settings = settings or Settings()
    book = load_for(settings)
    app = PathwayApp(
        book,
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
    app.state.pathway = build_state(settings, book, walk_store)
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
    # Outermost: the connection's own address is kept before a trusted proxy's headers replace it.
    app.add_middleware(ForwardedMiddleware, trusted_hosts=settings.forwarded_allow_ips)
    problems.install(app)
    for router in ROUTERS:
        app.include_router(router)
    return app


__all__ = ["PackError", "create_app", "load_for"]

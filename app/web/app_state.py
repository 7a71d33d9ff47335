"""What every route reads from the app, typed: ``AppState``, built once by ``create_app``, and the
``app_state`` dependency that hands it to a route.

``state_of`` is the one place that reads ``request.app.state``; routes take the state as a
parameter (``state: State``), and code that runs outside a route's dependencies (the page renderer,
the error handlers) calls ``state_of(request)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends
from fastapi.templating import Jinja2Templates
from starlette.requests import Request

from app.config import Settings
from app.counts import CountStore
from app.engine import Rulebook

from .assets import Assets
from .walk_store import WalkStore

if TYPE_CHECKING:  # the routers' own types; each router imports this module
    from .api import PathwayInfo, QuestionInfo
    from .pathway_page import Flow
    from .reference import Glossary
    from .training import Case


@dataclass(frozen=True)
class AppState:
    """The app's loaded rules and everything built from them at start; never changed after."""

    settings: Settings
    rulebook: Rulebook
    description: PathwayInfo  # GET /api/v2/pathway, but for the packs' staleness (judged per request)
    questions: Mapping[str, QuestionInfo]  # every question (optional ones too) as the API describes it
    templates: Jinja2Templates
    assets: Assets
    walk_store: WalkStore
    diagram_svg: str  # the rule graph, drawn once
    flow: Flow  # the /pathway page's sections, branches and actions
    glossary: Glossary
    training: Mapping[str, Case]  # the training cases, by slug
    # The Network's picture (app/counts): None unless PATHWAY_COUNTS=on. Never connected at start; its calls
    # raise CountsUnavailable when the database is down ("figures unavailable"), never breaking a walk.
    counts: CountStore | None = None


def state_of(request: Request) -> AppState:
    """The app's state: set once by create_app as ``app.state.pathway``."""
    state: AppState = request.app.state.pathway
    return state


async def app_state(request: Request) -> AppState:
    """FastAPI dependency: the app's state (async, so FastAPI calls it inline, not in a thread)."""
    return state_of(request)


State = Annotated[AppState, Depends(app_state)]

"""Rendering a page: the whole document, or only its #page fragment for htmx, from one template.

Every router renders with ``page()``; the context every template can count on is set here.
"""

from __future__ import annotations

from typing import Any

from fastapi.responses import HTMLResponse
from starlette.requests import Request

from app.engine import ELEMENT_WORDS, URGENCY_LABELS

from . import htmx
from .app_state import state_of


def page(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    """Render a page: the whole document, or the #page fragment for htmx. Both share one template."""
    state = state_of(request)
    settings = state.settings
    context.setdefault("walk_id", None)
    context.setdefault("banners", [])
    context.setdefault("error", None)
    context.setdefault("seconds_left", None)
    context.update(
        request=request,
        fragment=htmx.is_htmx(request),
        settings=settings,
        assets=state.assets,
        htmx_src=htmx.HTMX_CDN_URL if not settings.htmx_local else f"/static/vendor/{htmx.HTMX_LOCAL_NAME}",
        htmx_sri=htmx.HTMX_SRI,
        htmx_config=htmx.HTMX_CONFIG,
        session_seconds=int(settings.session_minutes * 60),
        warning_seconds=int(settings.warning_minutes * 60),
        urgency_labels=URGENCY_LABELS,
        element_words=ELEMENT_WORDS,  # the test card's words, as the case notes write them
    )
    response = state.templates.TemplateResponse(request, name, context, status_code=status)
    htmx.vary(response)
    return response

"""``GET /healthz``: ready, not merely running. It answers ok only when this worker can serve a page: the
rule packs are loaded (the app is built only once they are), a page renders from the installed templates,
and the CSS and JavaScript every page links to are served. Otherwise 503 with the reason, for a load
balancer to route around the instance; never a 500. The check renders the privacy notice (no case data)
each time, so a template removed or broken under a running server (an upgrade half done) shows at once.
"""

from __future__ import annotations

import json
import logging

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from .app_state import State
from .render import page

router = APIRouter(tags=["ops"])
log = logging.getLogger("pathway.web")


class Health(BaseModel):
    status: str  # "ok", or "unavailable"
    rules_version: str
    reason: str | None = None  # why it is unavailable


def _not_ready(request: Request, state: State) -> str | None:
    """Why this worker cannot serve pages, or None when it can."""
    if not state.rulebook.questions:
        return "the rule packs are not loaded"
    missing = state.assets.missing
    if missing:
        return f"static files missing from the installation: {', '.join(missing)}"
    for name in ("pathway.css", "pathway.js"):
        served = state.assets.serve(request, state.assets.url(name).removeprefix("/static/"))
        if served.status_code != 200 or not served.body:
            return f"the static file {name} is not served"
    try:
        rendered = page(request, "privacy.html", title="Privacy notice")
    except Exception as exc:  # any failure to render means not ready: reported, never a 500
        return f"a page cannot be rendered ({type(exc).__name__})"
    if rendered.status_code != 200 or not rendered.body:
        return "a page rendered empty"
    return None


@router.get("/healthz", response_model=Health, response_model_exclude_none=True,
            responses={503: {"model": Health, "description": "Not ready: the reason says what is missing."}})
def healthz(request: Request, state: State) -> Health | JSONResponse:
    """Ready: the rule packs are loaded, a page renders and the static files are served; else 503."""
    reason = _not_ready(request, state)
    if reason is None:
        return Health(status="ok", rules_version=state.rulebook.version)
    log.error(json.dumps({"event": "not_ready", "route": "/healthz", "reason": reason}, separators=(",", ":")))
    body = Health(status="unavailable", rules_version=state.rulebook.version, reason=reason)
    return JSONResponse(body.model_dump(), status_code=503, headers={"Retry-After": "5"})

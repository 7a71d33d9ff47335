"""The floor for `benchmarks/bench_http.py`: a bare FastAPI app answering Pathway's routes with constants.

It is served exactly as Pathway is (same uvicorn, same settings, one worker), so the ratio
Pathway / floor is the cost of Pathway's own work per request: middlewares, reading the form
or JSON body, decrypting and re-encrypting the walk cookie, the rule engine and the templates.
The floor reads nothing and decides nothing; its handlers are ``async def`` returning
prebuilt bodies, the least FastAPI can do for a request. Run: ``uvicorn --factory benchmarks.floor_app:create_app``.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, RedirectResponse, Response

ASSESS_JSON = b'{"rules_version":"floor","complete":true,"referrals":[]}'
OUTCOME_HTML = "<!doctype html><html lang='en'><title>Your action plan</title><h1>Your action plan</h1></html>"


def create_app() -> FastAPI:
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)

    @app.post("/api/v2/assess")
    async def assess() -> Response:
        return Response(ASSESS_JSON, media_type="application/json")

    @app.post("/w/{walk_id}/q/{qid}")
    async def answer(walk_id: str, qid: str) -> RedirectResponse:
        return RedirectResponse(f"/w/{walk_id}/q/next", status_code=303)

    @app.get("/w/{walk_id}/outcome", response_class=HTMLResponse)
    async def outcome(walk_id: str) -> HTMLResponse:
        return HTMLResponse(OUTCOME_HTML)

    @app.get("/healthz")
    async def healthz() -> Response:
        return Response(b'{"status":"ok"}', media_type="application/json")

    return app

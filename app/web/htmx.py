"""Everything that knows about htmx: its pinned version, its config, and its HX-* headers."""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import Response

HTMX_VERSION = "2.0.11"
HTMX_SRI = "sha384-2OatzQy1H+Zd/IIrjr1TcuDGqLXeHhbooAyJY1KdQMKnr4LZ22k31GBLdYKHmVjg"
HTMX_CDN_URL = f"https://cdn.jsdelivr.net/npm/htmx.org@{HTMX_VERSION}/dist/htmx.min.js"
HTMX_LOCAL_NAME = f"htmx.org@{HTMX_VERSION}.min.js"

# Configured through the htmx-config meta tag: no eval, no inline styles, no history snapshots
# in localStorage (they would keep a case's answers on a shared computer), and 422 responses
# (validation errors) are swapped in like any page.
HTMX_CONFIG = json.dumps({
    "allowEval": False,
    "allowScriptTags": False,
    "includeIndicatorStyles": False,
    "historyCacheSize": 0,
    "refreshOnHistoryMiss": True,
    "selfRequestsOnly": True,
    "scrollIntoViewOnBoost": False,
    "responseHandling": [
        {"code": "204", "swap": False},
        {"code": "[23]..", "swap": True},
        {"code": "422", "swap": True},
        {"code": "400", "swap": True},
        {"code": "[45]..", "swap": False, "error": True},
    ],
}, separators=(",", ":"))


def is_htmx(request: Request) -> bool:
    """A request made by htmx that wants a fragment (not a history restore, which wants a whole page)."""
    return request.headers.get("HX-Request") == "true" and request.headers.get("HX-History-Restore-Request") != "true"


def no_push(response: Response) -> Response:
    """Do not add a history entry for this response (a re-shown form with errors)."""
    response.headers["HX-Push-Url"] = "false"
    return response


def vary(response: Response) -> Response:
    response.headers["Vary"] = "HX-Request"
    return response

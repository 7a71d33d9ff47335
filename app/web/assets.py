"""Our own CSS and JavaScript, served under fingerprinted names and cached for a year, and the pinned
htmx file. All are read once, at start, from the installed package ``app.static`` (importlib.resources:
the repository's static/ in a clone, site-packages in an installed wheel) and served from memory."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib.resources import files
from importlib.resources.abc import Traversable

from starlette.requests import Request
from starlette.responses import Response

from .htmx import HTMX_LOCAL_NAME, HTMX_SRI
from .htmx_vendor import sri_of

STATIC_PACKAGE = "app.static"
TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}
# The files every page links to: without them no page can be rendered (GET /healthz checks).
REQUIRED = ("pathway.css", "pathway.js")
HTMX_MISSING = (f"PATHWAY_HTMX_LOCAL is set but this installation has no htmx file matching the pinned hash "
                f"(app/static/vendor/{HTMX_LOCAL_NAME}): reinstall Pathway, or in a clone run `make vendor-htmx`")


@dataclass(frozen=True)
class Asset:
    name: str
    url: str
    body: bytes
    media_type: str


def _suffix(name: str) -> str:
    return name[name.rfind("."):] if "." in name else ""


class Assets:
    def __init__(self, directory: Traversable | None = None) -> None:
        directory = directory or files(STATIC_PACKAGE)
        self.by_name: dict[str, Asset] = {}
        self.by_url: dict[str, Asset] = {}
        for entry in sorted(directory.iterdir(), key=lambda e: e.name):
            suffix = _suffix(entry.name)
            if suffix not in TYPES or not entry.is_file():
                continue
            body = entry.read_bytes()
            digest = hashlib.sha256(body).hexdigest()[:12]
            url = f"/static/{entry.name.removesuffix(suffix)}.{digest}{suffix}"
            asset = Asset(entry.name, url, body, TYPES[suffix])
            self.by_name[entry.name] = asset
            self.by_url[url] = asset
        # The pinned htmx (shipped in the wheel), only if it is the file the pages' SRI hash names.
        vendored = directory / "vendor" / HTMX_LOCAL_NAME
        htmx = vendored.read_bytes() if vendored.is_file() else None
        self.htmx_local = htmx if htmx is not None and sri_of(htmx) == HTMX_SRI else None

    @property
    def missing(self) -> list[str]:
        """The files every page needs that this installation lacks."""
        return [name for name in REQUIRED if name not in self.by_name]

    def url(self, name: str) -> str:
        return self.by_name[name].url

    def serve(self, request: Request, filename: str) -> Response:
        asset = self.by_url.get(f"/static/{filename}")
        if asset is not None:
            return Response(asset.body, media_type=asset.media_type,
                            headers={"Cache-Control": "public, max-age=31536000, immutable"})
        if filename == f"vendor/{HTMX_LOCAL_NAME}" and self.htmx_local is not None:
            return Response(self.htmx_local, media_type=TYPES[".js"],
                            headers={"Cache-Control": "public, max-age=31536000, immutable"})
        return Response("Not found", status_code=404, media_type="text/plain")

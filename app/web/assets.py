"""Our own CSS and JavaScript, served under fingerprinted names and cached for a year."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response

from .htmx import HTMX_LOCAL_NAME

STATIC = Path(__file__).resolve().parent.parent.parent / "static"
TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}


@dataclass(frozen=True)
class Asset:
    name: str
    url: str
    body: bytes
    media_type: str


class Assets:
    def __init__(self, directory: Path = STATIC) -> None:
        self.by_name: dict[str, Asset] = {}
        self.by_url: dict[str, Asset] = {}
        for path in sorted(directory.glob("*")):
            if path.suffix not in TYPES or not path.is_file():
                continue
            body = path.read_bytes()
            digest = hashlib.sha256(body).hexdigest()[:12]
            url = f"/static/{path.stem}.{digest}{path.suffix}"
            asset = Asset(path.name, url, body, TYPES[path.suffix])
            self.by_name[path.name] = asset
            self.by_url[url] = asset
        vendored = directory / "vendor" / HTMX_LOCAL_NAME
        self.htmx_local = vendored.read_bytes() if vendored.is_file() else None

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

"""Every route an app answers, as the tests that must cover all of them (later ones included) see them.

FastAPI keeps an included router as one entry of ``app.routes``; ``iter_route_contexts`` opens
them, so a route added in a later issue is listed here without editing any test.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote

from fastapi import FastAPI
from fastapi.routing import iter_route_contexts

PARAM = re.compile(r"{([A-Za-z_][A-Za-z0-9_]*)(?::[a-z]+)?}")


@dataclass(frozen=True)
class AppRoute:
    path: str  # the template, such as /w/{walk_id}/q/{qid}
    methods: frozenset[str]  # HEAD included wherever GET is (methods.HeadAsGetMiddleware)
    params: tuple[str, ...]

    @property
    def id(self) -> str:
        return f"{'+'.join(sorted(self.methods))} {self.path}"

    def url(self, values: Mapping[str, str | bytes]) -> str:
        """The template with each parameter percent-encoded (a ``:path`` one keeps its slashes)."""
        def fill(match: re.Match[str]) -> str:
            value = values[match.group(1)]
            raw = value.encode("utf-8", "surrogatepass") if isinstance(value, str) else value
            return quote(raw, safe="/" if match.group(0).endswith(":path}") else "")

        return PARAM.sub(fill, self.path)


def every_route(app: FastAPI) -> list[AppRoute]:
    routes = []
    for context in iter_route_contexts(app.routes):
        path, methods = context.path, context.methods
        if not path or not methods:
            continue
        methods = set(methods)
        if "GET" in methods:
            methods.add("HEAD")
        routes.append(AppRoute(path, frozenset(methods), tuple(PARAM.findall(path))))
    return routes

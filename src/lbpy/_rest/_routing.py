"""The route table: each exposed model's remote methods by verb and path, matched per request."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._model._remote_definition import Endpoint, RemoteMethod, default_source
from .._remoting import exposed_methods

if TYPE_CHECKING:
    from .._model._persisted import Model


class Route:
    __slots__ = ("args", "method", "model", "pages", "params", "path", "segments", "static_count", "verb")

    def __init__(self, model: type[Model], method: RemoteMethod, verb: str, path: str) -> None:
        self.verb = verb
        self.model = model
        self.method = method
        self.path = path
        parts = [p for p in path.strip("/").split("/") if p]
        self.segments = tuple(None if p.startswith((":", "{")) else p.lower() for p in parts)
        self.params = tuple(p.strip(":{}") if p.startswith((":", "{")) else None for p in parts)
        self.static_count = sum(1 for s in self.segments if s is not None)
        endpoint = Endpoint(verb, path)
        self.args = [(a, default_source(a, endpoint)) for a in method.accepts]
        self.pages = method.pages

    def match(self, parts: list[str]) -> dict[str, str] | None:
        if len(parts) != len(self.segments):
            return None
        params: dict[str, str] = {}
        for part, segment, name in zip(parts, self.segments, self.params, strict=True):
            if segment is None:
                if name is not None:
                    params[name] = part
            elif segment != part.lower():
                return None
        return params


class ModelRoutes:
    def __init__(self, model: type[Model], methods: list[RemoteMethod]) -> None:
        self.model = model
        self.methods = methods
        self.by_verb: dict[str, list[Route]] = {}
        for method in methods:
            for endpoint in method.http:
                self.by_verb.setdefault(endpoint.verb, []).append(Route(model, method, endpoint.verb, endpoint.path))
        # static paths win over parameters (/findOne before /:id): a static path is one dict
        # look-up, however many a model has (scopes, remote methods), before the few with parameters
        self.static: dict[tuple[str, tuple[Any, ...]], Route] = {}
        self.dynamic: dict[tuple[str, int], list[Route]] = {}
        for verb, routes in self.by_verb.items():
            routes.sort(key=lambda r: (len(r.segments), -r.static_count))
            for route in routes:
                if route.static_count == len(route.segments):
                    self.static.setdefault((verb, route.segments), route)
                else:
                    self.dynamic.setdefault((verb, len(route.segments)), []).append(route)

    def find(self, verb: str, parts: list[str]) -> tuple[Route, dict[str, str]] | None:
        route = self.static.get((verb, tuple([part.lower() for part in parts])))
        if route is not None:
            return route, {}
        for route in self.dynamic.get((verb, len(parts)), ()):
            params = route.match(parts)
            if params is not None:
                return route, params
        return None


def route_table(models: list[type[Model]]) -> dict[str, ModelRoutes]:
    """The routes of ``models`` by their plural (lower case), as the URL names them."""
    return {model.spec.plural.strip("/").lower(): ModelRoutes(model, exposed_methods(model)) for model in models}

"""What a remote method declares: LoopBack's remoting metadata (accepts, returns, http).

Each method a model exposes over REST is declared once, as a ``RemoteMethod``: the router builds
its routes from it and the OpenAPI documents describe it from it. The PersistedModel methods
(find, create, ...), the relation and scope routes, and the remote methods an app adds (from the
model JSON's ``methods`` or from Python) all use this shape.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

#: where an argument comes from, as LoopBack's ``http.source`` names it
SOURCES = ("path", "query", "body", "form", "header", "req", "res", "context", "options")

#: what a method does, as ACLs name it
ACCESS_TYPES = ("READ", "WRITE", "EXECUTE", "REPLICATE")


@dataclass
class Accept:
    arg: str
    type: Any = "any"
    source: str | None = None
    required: bool = False
    description: str = ""
    default: Any = None

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Accept:
        if not isinstance(raw, dict) or not isinstance(raw.get("arg"), str):
            raise ValueError('each "accepts" item needs an "arg" name')
        http = raw.get("http")
        source = http.get("source") if isinstance(http, dict) else None
        if http == "optionsFromRequest":
            source = "options"
        if source is not None and source not in SOURCES:
            raise ValueError(f'argument "{raw["arg"]}" has an unknown http.source "{source}"')
        return cls(
            arg=raw["arg"],
            type=raw.get("type", "any"),
            source=source,
            required=bool(raw.get("required")),
            description=_text(raw.get("description")),
            default=raw.get("default"),
        )


@dataclass
class Returns:
    arg: str | None = None
    type: Any = "any"
    root: bool = False
    description: str = ""
    #: the result may be missing: null, or ``{}`` (LoopBack's belongsTo without a foreign key)
    optional: bool = False

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Returns:
        if not isinstance(raw, dict):
            raise ValueError('"returns" must be an object or a list of objects')
        return cls(
            arg=raw.get("arg"),
            type=raw.get("type", "any"),
            root=bool(raw.get("root")),
            description=_text(raw.get("description")),
        )


@dataclass
class Endpoint:
    verb: str
    path: str

    def segments(self) -> tuple[str, ...]:
        return tuple(part for part in self.path.strip("/").split("/") if part)


@dataclass
class RemoteMethod:
    """A method exposed over REST. ``fn`` is called as ``fn(Model, **args)`` for a static method and
    ``fn(instance, **args)`` for an instance method (``prototype.``)."""

    name: str
    fn: Callable[..., Any]
    accepts: list[Accept] = field(default_factory=list)
    returns: list[Returns] = field(default_factory=list)
    http: list[Endpoint] = field(default_factory=list)
    description: str = ""
    is_static: bool = True
    builtin: bool = False
    status: int = 200
    #: called with the result to say 404 (findById and findOne answer 404 for nothing found)
    not_found: Callable[[Any], bool] | None = None
    #: answers with server-sent events rather than JSON (createChangeStream)
    streams: bool = False
    #: what ACLs see the method do (READ, WRITE, EXECUTE, REPLICATE); None lets LoopBack's rule decide
    access_type: str | None = None
    #: the token scopes that may call it (LoopBack's accessScopes); None is ["DEFAULT"]
    access_scopes: list[str] | None = None

    @property
    def pages(self) -> bool:
        """A built-in list read through a ``filter`` (find, a relation's or a scope's records),
        whose page ``remoting.rest.maxLimit`` bounds."""
        returns = self.returns
        return (
            self.builtin
            and any(a.arg == "filter" for a in self.accepts)
            and bool(returns and returns[0].root and isinstance(returns[0].type, list))
        )

    @property
    def full_name(self) -> str:
        return self.name if self.is_static else f"prototype.{self.name}"


def _text(value: Any) -> str:
    if isinstance(value, list):
        return "\n".join(str(v) for v in value)
    return str(value) if value else ""


def parse_http(raw: Any, name: str, is_static: bool) -> list[Endpoint]:
    items = raw if isinstance(raw, list) else [raw] if raw else []
    endpoints = []
    for item in items:
        if not isinstance(item, dict):
            raise ValueError('"http" must be an object like {"path": "/greet", "verb": "get"}')
        verb = str(item.get("verb", "post")).upper()
        if verb == "DEL":
            verb = "DELETE"
        if verb == "ALL":
            verb = "POST"
        if verb not in ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"):
            raise ValueError(f'"http.verb" "{item.get("verb")}" is not an HTTP verb')
        path = str(item.get("path") or f"/{name}")
        if not path.startswith("/"):
            path = "/" + path
        endpoints.append(Endpoint(verb, path))
    if not endpoints:
        endpoints = [Endpoint("POST", f"/{name}")]
    if not is_static:
        endpoints = [Endpoint(e.verb, e.path if e.path.startswith("/:id") else "/:id" + e.path) for e in endpoints]
    return endpoints


def remote_method_from_json(name: str, raw: dict[str, Any], fn: Callable[..., Any]) -> RemoteMethod:
    """A method as the model JSON's ``methods`` section (or ``Model.remote_method``) declares it."""
    is_static = not name.startswith("prototype.")
    short = name[len("prototype.") :] if not is_static else name
    if raw.get("isStatic") is False:
        is_static = False
    accepts = raw.get("accepts") or []
    if isinstance(accepts, dict):
        accepts = [accepts]
    returns = raw.get("returns") or []
    if isinstance(returns, dict):
        returns = [returns]
    access_type = raw.get("accessType")
    if access_type is not None and access_type not in ACCESS_TYPES:
        raise ValueError(f'"accessType" {access_type!r} must be one of {", ".join(ACCESS_TYPES)}')
    scopes = raw.get("accessScopes")
    if scopes is not None and (not isinstance(scopes, list) or not all(isinstance(x, str) for x in scopes)):
        raise ValueError('"accessScopes" must be a list of scope names')
    return RemoteMethod(
        name=short,
        fn=fn,
        accepts=[a if isinstance(a, Accept) else Accept.from_json(a) for a in accepts],
        returns=[r if isinstance(r, Returns) else Returns.from_json(r) for r in returns],
        http=parse_http(raw.get("http"), short, is_static),
        description=_text(raw.get("description")),
        is_static=is_static,
        status=int((raw.get("http") or {}).get("status", 200)) if isinstance(raw.get("http"), dict) else 200,
        access_type=access_type,
        access_scopes=scopes,
    )


def default_source(accept: Accept, endpoint: Endpoint) -> str:
    """Where an argument is read when it does not say: path if the path names it, else the
    query string for GET/HEAD/DELETE and the JSON body's property of that name otherwise."""
    if accept.source:
        return accept.source
    if f":{accept.arg}" in endpoint.path or f"{{{accept.arg}}}" in endpoint.path:
        return "path"
    if endpoint.verb in ("GET", "HEAD", "DELETE"):
        return "query"
    return "form"

"""Remote methods: LoopBack's remoting metadata (accepts, returns, http) and the built-in table.

Each method a model exposes over REST is declared once here, as a ``RemoteMethod``: the router
builds its routes from it and the OpenAPI documents describe it from it. The PersistedModel
methods (find, create, ...) are declared in ``builtin_methods``; remote methods an app adds
(from the model JSON's ``methods`` or from Python) use the same shape.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Callable

from ._errors import BadRequestError, NotFoundError
from ._model._types import CoercionError, resolve_type

#: where an argument comes from, as LoopBack's ``http.source`` names it
SOURCES = ("path", "query", "body", "form", "header", "req", "res", "context", "options")


@dataclass
class Accept:
    arg: str
    type: Any = "any"
    source: str | None = None
    required: bool = False
    description: str = ""
    default: Any = None

    @classmethod
    def from_json(cls, raw: dict) -> "Accept":
        if not isinstance(raw, dict) or not isinstance(raw.get("arg"), str):
            raise ValueError('each "accepts" item needs an "arg" name')
        http = raw.get("http")
        source = http.get("source") if isinstance(http, dict) else None
        if http == "optionsFromRequest":
            source = "options"
        if source is not None and source not in SOURCES:
            raise ValueError(f'argument "{raw["arg"]}" has an unknown http.source "{source}"')
        return cls(
            arg=raw["arg"], type=raw.get("type", "any"), source=source,
            required=bool(raw.get("required")), description=_text(raw.get("description")),
            default=raw.get("default"),
        )


@dataclass
class Returns:
    arg: str | None = None
    type: Any = "any"
    root: bool = False
    description: str = ""

    @classmethod
    def from_json(cls, raw: dict) -> "Returns":
        if not isinstance(raw, dict):
            raise ValueError('"returns" must be an object or a list of objects')
        return cls(arg=raw.get("arg"), type=raw.get("type", "any"), root=bool(raw.get("root")),
                   description=_text(raw.get("description")))


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
    fn: Callable
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
        endpoints = [
            Endpoint(e.verb, e.path if e.path.startswith("/:id") else "/:id" + e.path) for e in endpoints
        ]
    return endpoints


def remote_method_from_json(name: str, raw: dict, fn: Callable) -> RemoteMethod:
    """A method as the model JSON's ``methods`` section (or ``Model.remote_method``) declares it."""
    is_static = not name.startswith("prototype.")
    short = name[len("prototype."):] if not is_static else name
    if raw.get("isStatic") is False:
        is_static = False
    accepts = raw.get("accepts") or []
    if isinstance(accepts, dict):
        accepts = [accepts]
    returns = raw.get("returns") or []
    if isinstance(returns, dict):
        returns = [returns]
    return RemoteMethod(
        name=short,
        fn=fn,
        accepts=[a if isinstance(a, Accept) else Accept.from_json(a) for a in accepts],
        returns=[r if isinstance(r, Returns) else Returns.from_json(r) for r in returns],
        http=parse_http(raw.get("http"), short, is_static),
        description=_text(raw.get("description")),
        is_static=is_static,
        status=int((raw.get("http") or {}).get("status", 200)) if isinstance(raw.get("http"), dict) else 200,
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


def coerce_arg(accept: Accept, value: Any, source: str) -> Any:
    """An argument value read as its declared type; text from a URL is converted."""
    kind = accept.type
    if value is None or kind in ("any", None) or source in ("req", "res", "context", "options"):
        return value
    if isinstance(kind, list) or kind in ("array", "object") or isinstance(kind, str) and kind[:1].isupper():
        if isinstance(value, str) and source in ("query", "path", "header", "form"):
            text = value.strip()
            if text[:1] in "[{":
                try:
                    value = json.loads(text)
                except ValueError:
                    raise BadRequestError(
                        f'`{accept.arg}` is not valid JSON', code="INVALID_PARAMETER") from None
            elif isinstance(kind, list) or kind == "array":
                value = [part for part in text.split(",")] if text else []
        if isinstance(kind, list) or kind == "array":
            if not isinstance(value, list):
                value = [value]
            if isinstance(kind, list) and kind and kind[0] not in ("any", None):
                item = Accept(accept.arg, kind[0])
                value = [coerce_arg(item, v, source) for v in value]
            return value
        if kind == "object" and not isinstance(value, dict):
            raise BadRequestError(f"`{accept.arg}` must be an object", code="INVALID_PARAMETER")
        return value
    try:
        type_ = resolve_type(kind, set())
    except ValueError:
        return value
    try:
        return type_.coerce_query(value) if source != "body" else type_.coerce(value)
    except CoercionError as exc:
        raise BadRequestError(f"`{accept.arg}` {exc}", code="INVALID_PARAMETER") from None


# ---------------------------------------------------------------------------------------------
# The PersistedModel methods LoopBack 3 exposes, in its route order.


async def _create(Model, data=None, options=None):
    if data is None:
        data = {}
    return await Model.create(data, options)


async def _upsert(Model, data=None, options=None):
    return await Model.upsert(_object_body(Model, data), options)


async def _replace_or_create(Model, data=None, options=None):
    return await Model.replace_or_create(_object_body(Model, data), options)


async def _upsert_with_where(Model, where=None, data=None, options=None):
    return await Model.upsert_with_where(_required_where(where), _object_body(Model, data), options)


def _required_where(where: Any) -> Any:
    # over REST a missing where is a mistake, not "every record" (LoopBack answered 500)
    if where is None:
        raise BadRequestError(
            "where is required: pass ?where={...}, or ?where={} to match every record",
            code="INVALID_PARAMETER",
        )
    return where


async def _exists(Model, id, options=None):
    return await Model.exists(id, options)


async def _find_by_id(Model, id, filter=None, options=None):
    found = await Model.find_by_id(id, filter, options)
    if found is None:
        raise NotFoundError(f'Unknown "{Model.spec.name}" id "{id}".', code="MODEL_NOT_FOUND")
    return found


async def _replace_by_id(Model, id, data=None, options=None):
    return await Model.replace_by_id(id, _object_body(Model, data), options)


async def _find(Model, filter=None, options=None):
    return await Model.find(filter, options)


async def _find_one(Model, filter=None, options=None):
    found = await Model.find_one(filter, options)
    if found is None:
        raise NotFoundError(f'Unknown "{Model.spec.name}" instance.', code="MODEL_NOT_FOUND")
    return found


async def _update_all(Model, where=None, data=None, options=None):
    return await Model.update_all(_required_where(where), _object_body(Model, data), options)


async def _delete_by_id(Model, id, options=None):
    return await Model.destroy_by_id(id, options)


async def _count(Model, where=None, options=None):
    return await Model.count(where, options)


async def _change_stream(Model, options=None):
    return Model.create_change_stream(options)


async def _patch_attributes(instance, data=None, options=None):
    return await instance.update_attributes(_object_body(type(instance), data), options)


def _object_body(Model, data: Any) -> dict:
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise BadRequestError(
            "Value is not an object.", code="INVALID_BODY"
        )
    return data


def builtin_methods(model_name: str) -> list[RemoteMethod]:
    """LoopBack 3's PersistedModel remote methods for a model called ``model_name``."""
    data = Accept("data", model_name, "body", description="Model instance data")
    id_ = Accept("id", "any", "path", True, "Model id")
    filter_ = Accept("filter", "object", "query",
                     description="Filter defining fields, where, include, order, offset, and limit "
                                 '- must be a JSON-encoded string (`{"where":{"something":"value"}}`).  '
                                 "See https://loopback.io/doc/en/lb3/Querying-data.html"
                                 "#using-stringified-json-in-rest-queries for more details.")
    where = Accept("where", "object", "query", description="Criteria to match model instances")
    instance = Returns("data", model_name, True)
    options = Accept("options", "object", "options")

    def m(name, fn, accepts, returns, http, description, **extra):
        return RemoteMethod(
            name=name, fn=fn, accepts=accepts + [options], returns=returns,
            http=[Endpoint(v, p) for v, p in http], description=description, builtin=True, **extra,
        )

    return [
        m("create", _create, [Accept("data", model_name, "body",
                                     description="Model instance data")],
          [instance], [("POST", "/")],
          "Create a new instance of the model and persist it into the data source."),
        m("patchOrCreate", _upsert, [data], [instance], [("PATCH", "/")],
          "Patch an existing model instance or insert a new one into the data source."),
        m("replaceOrCreate", _replace_or_create, [data], [instance],
          [("PUT", "/"), ("POST", "/replaceOrCreate")],
          "Replace an existing model instance or insert a new one into the data source."),
        m("upsertWithWhere", _upsert_with_where, [where, Accept(
            "data", model_name, "body", description="An object of model property name/value pairs")],
          [instance], [("POST", "/upsertWithWhere")],
          "Update an existing model instance or insert a new one into the data source based on the where criteria."),
        m("exists", _exists, [id_], [Returns("exists", "boolean")],
          [("GET", "/:id/exists"), ("HEAD", "/:id")],
          "Check whether a model instance exists in the data source."),
        m("findById", _find_by_id, [id_, Accept(
            "filter", "object", "query",
            description='Filter defining fields and include - must be a JSON-encoded string ({"something":"value"})')],
          [instance], [("GET", "/:id")], "Find a model instance by {{id}} from the data source."),
        m("replaceById", _replace_by_id, [id_, Accept(
            "data", model_name, "body", description="Model instance data")],
          [instance], [("PUT", "/:id"), ("POST", "/:id/replace")],
          "Replace attributes for a model instance and persist it into the data source."),
        m("find", _find, [filter_], [Returns("data", [model_name], True)], [("GET", "/")],
          "Find all instances of the model matched by filter from the data source."),
        m("findOne", _find_one, [filter_], [instance], [("GET", "/findOne")],
          "Find first instance of the model matched by filter from the data source."),
        m("updateAll", _update_all, [where, Accept(
            "data", model_name, "body", description="An object of model property name/value pairs")],
          [Returns("info", {"count": {"type": "number", "description": "The number of instances updated"}}, True,
                   "Information related to the outcome of the operation")],
          [("POST", "/update")],
          "Update instances of the model matched by {{where}} from the data source."),
        m("deleteById", _delete_by_id, [id_], [Returns("info", "object", True)],
          [("DELETE", "/:id")], "Delete a model instance by {{id}} from the data source."),
        m("count", _count, [where], [Returns("count", "number")], [("GET", "/count")],
          "Count instances of the model matched by where from the data source."),
        RemoteMethod(
            name="patchAttributes", fn=_patch_attributes,
            accepts=[Accept("data", model_name, "body",
                            description="An object of model property name/value pairs"), options],
            returns=[instance], http=[Endpoint("PATCH", "/:id")],
            description="Patch attributes for a model instance and persist it into the data source.",
            is_static=False, builtin=True,
        ),
        RemoteMethod(
            name="createChangeStream", fn=_change_stream, accepts=[Accept("options", "object")],
            returns=[Returns("changes", "file", True)],
            http=[Endpoint("POST", "/change-stream"), Endpoint("GET", "/change-stream")],
            description="Create a change stream.", builtin=True, streams=True,
        ),
    ]

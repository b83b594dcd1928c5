"""Remoting: which methods each model exposes, and how their arguments are read.

LoopBack's strong-remoting, without HTTP: the PersistedModel methods LoopBack 3 exposes (in its
route order), a model's relation, scope and own remote methods, filtered by its
``sharedMethods`` and disabled methods; and an argument read as its declared type.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ._errors import BadRequestError, NotFoundError
from ._model._remote_definition import Accept, Endpoint, RemoteMethod, Returns
from ._model._remote_methods import is_disabled, method_names
from ._model._scopes import scope_methods
from ._model._types import CoercionError, resolve_type
from ._model.relations._routes import nested_methods, relation_methods

if TYPE_CHECKING:
    from ._model._change_stream import ChangeStream
    from ._model._persisted import Model


def coerce_arg(accept: Accept, value: Any, source: str) -> Any:
    """An argument value read as its declared type; text from a URL is converted."""
    kind = accept.type
    if value is None or kind in ("any", None) or source in ("req", "res", "context", "options"):
        return value
    if isinstance(kind, list) or kind in ("array", "object") or (isinstance(kind, str) and kind[:1].isupper()):
        if isinstance(value, str) and source in ("query", "path", "header", "form"):
            text = value.strip()
            if text[:1] in "[{":
                try:
                    value = json.loads(text)
                except ValueError:
                    raise BadRequestError(f"`{accept.arg}` is not valid JSON", code="INVALID_PARAMETER") from None
            elif isinstance(kind, list) or kind == "array":
                value = list(text.split(",")) if text else []
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


async def _create(Model: type[Model], data: Any = None, options: dict[str, Any] | None = None) -> Any:
    if data is None:
        data = {}
    return await Model.create(data, options)


async def _upsert(Model: type[Model], data: Any = None, options: dict[str, Any] | None = None) -> Model:
    return await Model.upsert(_object_body(Model, data), options)


async def _replace_or_create(Model: type[Model], data: Any = None, options: dict[str, Any] | None = None) -> Model:
    return await Model.replace_or_create(_object_body(Model, data), options)


async def _upsert_with_where(
    Model: type[Model], where: Any = None, data: Any = None, options: dict[str, Any] | None = None
) -> Model:
    return await Model.upsert_with_where(_required_where(where), _object_body(Model, data), options)


def _required_where(where: Any) -> Any:
    # over REST a missing where is a mistake, not "every record" (LoopBack answered 500)
    if where is None:
        raise BadRequestError(
            "where is required: pass ?where={...}, or ?where={} to match every record",
            code="INVALID_PARAMETER",
        )
    return where


async def _exists(Model: type[Model], id: Any, options: dict[str, Any] | None = None) -> bool:
    return await Model.exists(id, options)


async def _find_by_id(Model: type[Model], id: Any, filter: Any = None, options: dict[str, Any] | None = None) -> Model:
    found = await Model.find_by_id(id, filter, options)
    if found is None:
        raise NotFoundError(f'Unknown "{Model.spec.name}" id "{id}".', code="MODEL_NOT_FOUND")
    return found


async def _replace_by_id(Model: type[Model], id: Any, data: Any = None, options: dict[str, Any] | None = None) -> Model:
    return await Model.replace_by_id(id, _object_body(Model, data), options)


async def _find(Model: type[Model], filter: Any = None, options: dict[str, Any] | None = None) -> list[Model]:
    return await Model.find(filter, options)


async def _find_one(Model: type[Model], filter: Any = None, options: dict[str, Any] | None = None) -> Model:
    found = await Model.find_one(filter, options)
    if found is None:
        raise NotFoundError(f'Unknown "{Model.spec.name}" instance.', code="MODEL_NOT_FOUND")
    return found


async def _update_all(
    Model: type[Model], where: Any = None, data: Any = None, options: dict[str, Any] | None = None
) -> dict[str, Any]:
    return await Model.update_all(_required_where(where), _object_body(Model, data), options)


async def _delete_by_id(Model: type[Model], id: Any, options: dict[str, Any] | None = None) -> dict[str, Any]:
    return await Model.destroy_by_id(id, options)


async def _count(Model: type[Model], where: Any = None, options: dict[str, Any] | None = None) -> int:
    return await Model.count(where, options)


async def _change_stream(Model: type[Model], options: dict[str, Any] | None = None) -> ChangeStream:
    return Model.create_change_stream(options)


async def _patch_attributes(instance: Model, data: Any = None, options: dict[str, Any] | None = None) -> Model:
    return await instance.update_attributes(_object_body(type(instance), data), options)


def _object_body(Model: type[Model], data: Any) -> dict[str, Any]:
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise BadRequestError("Value is not an object.", code="INVALID_BODY")
    return data


def builtin_methods(model_name: str) -> list[RemoteMethod]:
    """LoopBack 3's PersistedModel remote methods for a model called ``model_name``."""
    data = Accept("data", model_name, "body", description="Model instance data")
    id_ = Accept("id", "any", "path", True, "Model id")
    filter_ = Accept(
        "filter",
        "object",
        "query",
        description="Filter defining fields, where, include, order, offset, and limit "
        '- must be a JSON-encoded string (`{"where":{"something":"value"}}`).  '
        "See https://loopback.io/doc/en/lb3/Querying-data.html"
        "#using-stringified-json-in-rest-queries for more details.",
    )
    where = Accept("where", "object", "query", description="Criteria to match model instances")
    instance = Returns("data", model_name, True)
    options = Accept("options", "object", "options")

    def m(
        name: str,
        fn: Callable[..., Any],
        accepts: list[Accept],
        returns: list[Returns],
        http: list[tuple[str, str]],
        description: str,
        **extra: Any,
    ) -> RemoteMethod:
        return RemoteMethod(
            name=name,
            fn=fn,
            accepts=accepts + [options],
            returns=returns,
            http=[Endpoint(v, p) for v, p in http],
            description=description,
            builtin=True,
            **extra,
        )

    return [
        m(
            "create",
            _create,
            [Accept("data", model_name, "body", description="Model instance data")],
            [instance],
            [("POST", "/")],
            "Create a new instance of the model and persist it into the data source.",
        ),
        m(
            "patchOrCreate",
            _upsert,
            [data],
            [instance],
            [("PATCH", "/")],
            "Patch an existing model instance or insert a new one into the data source.",
        ),
        m(
            "replaceOrCreate",
            _replace_or_create,
            [data],
            [instance],
            [("PUT", "/"), ("POST", "/replaceOrCreate")],
            "Replace an existing model instance or insert a new one into the data source.",
        ),
        m(
            "upsertWithWhere",
            _upsert_with_where,
            [where, Accept("data", model_name, "body", description="An object of model property name/value pairs")],
            [instance],
            [("POST", "/upsertWithWhere")],
            "Update an existing model instance or insert a new one into the data source based on the where criteria.",
        ),
        m(
            "exists",
            _exists,
            [id_],
            [Returns("exists", "boolean")],
            [("GET", "/:id/exists"), ("HEAD", "/:id")],
            "Check whether a model instance exists in the data source.",
        ),
        m(
            "findById",
            _find_by_id,
            [
                id_,
                Accept(
                    "filter",
                    "object",
                    "query",
                    description=(
                        'Filter defining fields and include - must be a JSON-encoded string ({"something":"value"})'
                    ),
                ),
            ],
            [instance],
            [("GET", "/:id")],
            "Find a model instance by {{id}} from the data source.",
        ),
        m(
            "replaceById",
            _replace_by_id,
            [id_, Accept("data", model_name, "body", description="Model instance data")],
            [instance],
            [("PUT", "/:id"), ("POST", "/:id/replace")],
            "Replace attributes for a model instance and persist it into the data source.",
        ),
        m(
            "find",
            _find,
            [filter_],
            [Returns("data", [model_name], True)],
            [("GET", "/")],
            "Find all instances of the model matched by filter from the data source.",
        ),
        m(
            "findOne",
            _find_one,
            [filter_],
            [instance],
            [("GET", "/findOne")],
            "Find first instance of the model matched by filter from the data source.",
        ),
        m(
            "updateAll",
            _update_all,
            [where, Accept("data", model_name, "body", description="An object of model property name/value pairs")],
            [
                Returns(
                    "info",
                    {"count": {"type": "number", "description": "The number of instances updated"}},
                    True,
                    "Information related to the outcome of the operation",
                )
            ],
            [("POST", "/update")],
            "Update instances of the model matched by {{where}} from the data source.",
        ),
        m(
            "deleteById",
            _delete_by_id,
            [id_],
            [Returns("info", "object", True)],
            [("DELETE", "/:id")],
            "Delete a model instance by {{id}} from the data source.",
        ),
        m(
            "count",
            _count,
            [where],
            [Returns("count", "number")],
            [("GET", "/count")],
            "Count instances of the model matched by where from the data source.",
        ),
        RemoteMethod(
            name="patchAttributes",
            fn=_patch_attributes,
            accepts=[
                Accept("data", model_name, "body", description="An object of model property name/value pairs"),
                options,
            ],
            returns=[instance],
            http=[Endpoint("PATCH", "/:id")],
            description="Patch attributes for a model instance and persist it into the data source.",
            is_static=False,
            builtin=True,
        ),
        RemoteMethod(
            name="createChangeStream",
            fn=_change_stream,
            accepts=[Accept("options", "object")],
            returns=[Returns("changes", "file", True)],
            http=[Endpoint("POST", "/change-stream"), Endpoint("GET", "/change-stream")],
            description="Create a change stream.",
            builtin=True,
            streams=True,
        ),
    ]


def exposed_methods(model: type[Model]) -> list[RemoteMethod]:
    """Every remote method ``model`` exposes, in LoopBack's order: its relation routes, its named
    scopes and the built-ins (when persisted), then its own."""
    methods: list[RemoteMethod] = []
    if model.spec.persisted and model.spec.id_name:
        methods.extend(relation_methods(model))
        methods.extend(nested_methods(model, _served_relation_methods))
        methods.extend(scope_methods(model))
        methods.extend(builtin_methods(model.spec.name))
    methods.extend(model.remote_methods())
    allowed = _shared_methods(model)
    return [m for m in methods if not is_disabled(model, m) and _allowed(m, allowed)]


def _served_relation_methods(model: type[Model]) -> list[RemoteMethod]:
    allowed = _shared_methods(model)
    return [m for m in relation_methods(model) if not is_disabled(model, m) and _allowed(m, allowed)]


def _shared_methods(model: type[Model]) -> dict[str, bool] | None:
    remoting = model.spec.options.get("remoting") or {}
    shared = remoting.get("sharedMethods") if isinstance(remoting, dict) else None
    return shared if isinstance(shared, dict) else None


def _allowed(method: RemoteMethod, shared: dict[str, bool] | None) -> bool:
    if shared is None:
        return True
    for name in method_names(method):
        if name in shared:
            return bool(shared[name])
    return bool(shared.get("*", True))

"""A model's default ``scope`` and its named ``scopes``, as LoopBack 3 applied them.

The default scope is merged into every query of the model (find, findOne, findById, count, and the
where of updateAll and destroyAll): its ``where`` is and-ed with the query's, its ``limit``,
``skip``, ``fields`` win, its ``order`` applies when the query has none, its ``include`` adds to
the query's. The equality conditions of its ``where`` are also written into every created or
updated record, as LoopBack's ``defaultScope`` did.

A named scope ``"vips": {"where": {"vip": true}}`` becomes ``Model.vips``: ``await Model.vips()``
finds, ``Model.vips.count()``, ``.create(data)`` and ``.destroy_all()`` work inside the scope;
over REST, ``GET/POST/DELETE /Models/vips`` and ``GET /Models/vips/count``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._errors import BadRequestError, BootError
from .._filter import Filter, conjunction
from ._remote_definition import Accept, Endpoint, RemoteMethod, Returns

if TYPE_CHECKING:
    from ._persisted import Model


def merge(scope: Filter, query: Filter) -> Filter:
    """``query`` inside ``scope`` (LoopBack's mergeQuery with the scope as the update)."""
    include = query.include + tuple(i for i in scope.include if i not in query.include)
    return Filter(
        where=conjunction(scope.where, query.where) if scope.where is not None else query.where,
        fields=scope.fields if scope.fields is not None else query.fields,
        order=query.order or scope.order,
        limit=scope.limit if scope.limit is not None else query.limit,
        skip=scope.skip or query.skip,
        include=include,
    )


def equalities(raw_where: Any) -> dict[str, Any]:
    """The ``{"kind": "a"}`` conditions of a scope's where: values every write gets."""
    if not isinstance(raw_where, dict):
        return {}
    found = {}
    for key, value in raw_where.items():
        if key in ("and", "or"):
            if key == "and" and isinstance(value, list):
                for item in value:
                    found.update(equalities(item))
            continue
        if isinstance(value, dict):
            if list(value) == ["eq"]:
                found[key] = value["eq"]
            continue
        if "." not in key:
            found[key] = value
    return found


def set_default_scope(model: type[Model], raw: dict[str, Any], source: str) -> None:
    scope = _parse(model, raw, f"{source}: scope")
    values = _coerced_values(model, equalities(raw.get("where")), f"{source}: scope")

    def apply(query: Filter) -> Filter:
        return merge(scope, query)

    model._runtime.default_scope = apply
    model._runtime.scope_values = values


def _parse(model: type[Model], raw: Any, where: str) -> Filter:
    if not isinstance(raw, dict):
        raise BootError(f'{where} must be a filter object, e.g. {{"where": {{"deleted": false}}}}')
    try:
        return model.parse_filter(raw)
    except Exception as exc:  # a FilterError names the problem
        raise BootError(f"{where}: {getattr(exc, 'message', exc)}") from None


def _coerced_values(model: type[Model], values: dict[str, Any], where: str) -> dict[str, Any]:
    out = {}
    for key, value in values.items():
        prop = model.spec.properties.get(key)
        if prop is None:
            continue
        try:
            out[key] = prop.type.coerce(value)
        except ValueError as exc:
            raise BootError(f'{where}: "{key}" {exc}') from None
    return out


class ScopeAccessor:
    """``Model.<scope>``: the model's records inside a named scope."""

    def __init__(self, model: type[Model], name: str, scope: Filter, values: dict[str, Any]) -> None:
        self.model = model
        self.name = name
        self.scope = scope
        self.values = values

    def __repr__(self) -> str:
        return f"<scope {self.model.__name__}.{self.name}>"

    def filter(self, query: Any = None) -> Filter:
        flt = self.model.parse_filter(query) if not isinstance(query, Filter) else query
        return merge(self.scope, flt)

    async def __call__(self, filter: Any = None, options: dict[str, Any] | None = None) -> list[Model]:
        return await self.find(filter, options)

    async def find(self, filter: Any = None, options: dict[str, Any] | None = None) -> list[Model]:
        return await self.model.find(self.filter(filter), options)

    async def count(self, where: Any = None, options: dict[str, Any] | None = None) -> int:
        where = self.model.parse_where(where)
        return await self.model.count(conjunction(self.scope.where, where), options)

    async def create(self, data: Any = None, options: dict[str, Any] | None = None) -> Any:
        if isinstance(data, list):
            return await self.model.create([self._inside(item) for item in data], options)
        return await self.model.create(self._inside(data), options)

    async def destroy_all(self, where: Any = None, options: dict[str, Any] | None = None) -> dict[str, Any]:
        where = self.model.parse_where(where)
        return await self.model.destroy_all(conjunction(self.scope.where, where), options)

    delete_all = destroy_all

    def _inside(self, data: Any) -> dict[str, Any]:
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise BadRequestError("Value is not an object.", code="INVALID_BODY")
        return {**data, **self.values}


def add_named_scope(model: type[Model], name: str, raw: Any, source: str) -> ScopeAccessor:
    where = f"{source}: scopes.{name}"
    if not isinstance(name, str) or not name.isidentifier():
        raise BootError(f'{where}: "{name}" is not a valid scope name (letters, digits and _)')
    if name in model.spec.properties or name in model.spec.relations or model._is_builtin_attribute(name):
        raise BootError(
            f'{where}: the name "{name}" is taken by a property, relation or method of '
            f"{model.spec.name}; rename the scope"
        )
    scope = _parse(model, raw, where)
    accessor = ScopeAccessor(model, name, scope, _coerced_values(model, equalities(raw.get("where")), where))
    setattr(model, name, accessor)
    model._runtime.named_scopes[name] = accessor
    return accessor


def scope_methods(model: type[Model]) -> list[RemoteMethod]:
    """The REST routes of the named scopes, as LoopBack exposed them (before the built-ins)."""
    methods = []
    for klass in reversed(model.__mro__):
        runtime = vars(klass).get("_runtime")
        for name in runtime.named_scopes if runtime is not None else ():
            methods.extend(_routes(model, name))
    return methods


def _routes(model: type[Model], name: str) -> list[RemoteMethod]:
    model_name = model.spec.name

    async def get(Model: type[Model], filter: Any = None, options: dict[str, Any] | None = None) -> list[Model]:
        result: list[Any] = await getattr(Model, name).find(filter, options)
        return result

    async def create(Model: type[Model], data: Any = None, options: dict[str, Any] | None = None) -> Any:
        return await getattr(Model, name).create(data, options)

    async def delete(Model: type[Model], options: dict[str, Any] | None = None) -> None:
        await getattr(Model, name).destroy_all(None, options)

    async def count(Model: type[Model], where: Any = None, options: dict[str, Any] | None = None) -> int:
        result: int = await getattr(Model, name).count(where, options)
        return result

    options = Accept("options", "object", "options")
    path = f"/{name}"
    return [
        RemoteMethod(
            f"__get__{name}",
            get,
            [Accept("filter", "object", "query"), options],
            [Returns(name, [model_name], True)],
            [Endpoint("GET", path)],
            f"Queries {name} of {model_name}.",
            builtin=True,
        ),
        RemoteMethod(
            f"__create__{name}",
            create,
            [Accept("data", model_name, "body"), options],
            [Returns(name, model_name, True)],
            [Endpoint("POST", path)],
            f"Creates a new instance in {name} of this model.",
            builtin=True,
        ),
        RemoteMethod(
            f"__delete__{name}",
            delete,
            [options],
            [],
            [Endpoint("DELETE", path)],
            f"Deletes all {name} of this model.",
            builtin=True,
        ),
        RemoteMethod(
            f"__count__{name}",
            count,
            [Accept("where", "object", "query", description="Criteria to match model instances"), options],
            [Returns("count", "number")],
            [Endpoint("GET", f"{path}/count")],
            f"Counts {name} of {model_name}.",
            builtin=True,
        ),
    ]

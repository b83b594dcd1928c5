"""The connector contract over a remote API's collection resource: the CRUD that the ``rest``
connector's CRUD mode and the ``openapi`` connector share.

A subclass says how each call reaches the remote (``Resource``: list, get, create, patch,
replace, delete, and optionally count and update-all); this class maps lbpy's contract onto them:

    all        GET /{resource}/{id} for a lookup by id alone, else the collection
    create     POST the collection; the new id from the answer (or its Location header)
    update_attributes   PATCH /{resource}/{id};  replace_by_id   PUT /{resource}/{id}
    destroy_all         DELETE /{resource}/{id} for each matching record
    count, update       the remote's own ``/count`` and ``/update`` when it is a LoopBack API

How much of a filter the remote evaluates is the datasource's ``filters`` setting:
``"loopback"`` (the remote takes LoopBack's ``?filter=`` JSON: where with the comparison and
list operators, and/or, order, fields, limit, skip), an object that narrows it
(``{"operators": [...], "order": false, ...}``), or ``"none"`` (it only lists: lbpy evaluates
the filter, paging through the whole collection as ``paging`` says). Either way lbpy completes
what the remote does not do, so every filter works.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any, NoReturn

import anyio

from .._errors import BootError, NotFoundError
from .._filter import Capabilities, Filter, apply_filter, where_to_json
from .._json_values import json_value
from .._model._definition import ModelSpec
from ..http import HttpClient
from ..http._remote_errors import malformed
from ._base import Connector, Setting

#: where operators a LoopBack remote evaluates as lbpy does; pattern operators (like, ilike,
#: regexp) differ in LoopBack 3 and are evaluated by lbpy unless ``operators`` lists them
LOOPBACK_OPERATORS = frozenset(["eq", "neq", "gt", "gte", "lt", "lte", "between", "inq", "nin", "and", "or"])
FILTER_MODES = ("loopback", "none")
_FILTER_KEYS = ("operators", "order", "fields", "limit", "nestedPaths")


def _remote_filter(raw: Any, where: str) -> Capabilities | None:
    """What the ``filters`` setting says the remote evaluates: ``"loopback"`` (the operators
    LoopBack evaluates as lbpy does, order, fields, limit and skip), ``"none"`` (nothing: None),
    or an object naming them: ``{"operators": [...], "order": false, "fields": true, "limit":
    true, "nestedPaths": false}``."""
    if raw == "none":
        return None
    if raw == "loopback":
        raw = {}
    if not isinstance(raw, Mapping) or set(raw) - set(_FILTER_KEYS):
        raise BootError(
            f'{where}: filters must be "loopback" (the remote takes LoopBack\'s ?filter=), '
            f'"none" (lbpy filters what it lists), or an object with {", ".join(_FILTER_KEYS)}'
        )
    operators = raw.get("operators")
    if operators is not None and (not isinstance(operators, list) or not all(isinstance(o, str) for o in operators)):
        raise BootError(f'{where}: filters.operators must be a list such as ["eq", "gt", "inq", "and"]')
    return Capabilities(
        operators=(frozenset(operators) if operators is not None else LOOPBACK_OPERATORS) | {"eq"},
        order=raw.get("order", True) is not False,
        fields=raw.get("fields", True) is not False,
        limit=raw.get("limit", True) is not False,
        nested_paths=raw.get("nestedPaths", False) is True,
    )


#: the settings every HTTP-backed connector understands (see lbpy.http's settings)
HTTP_SETTINGS = (
    Setting(
        "auth.type",
        description="authentication: none, basic, bearer, apiKey or oauth2",
        default="none",
        choices=("none", "basic", "bearer", "apiKey", "oauth2"),
    ),
    Setting("auth.username", required=True, description="user name", when={"auth.type": ("basic",)}),
    Setting("auth.password", required=True, secret=True, description="password", when={"auth.type": ("basic",)}),
    Setting("auth.token", required=True, secret=True, description="bearer token", when={"auth.type": ("bearer",)}),
    Setting(
        "auth.in",
        description="where the API key goes: header or query",
        default="header",
        choices=("header", "query"),
        when={"auth.type": ("apiKey",)},
    ),
    Setting(
        "auth.name",
        description="the API key's header or query parameter name",
        default="X-API-Key",
        when={"auth.type": ("apiKey",)},
    ),
    Setting("auth.value", required=True, secret=True, description="the API key", when={"auth.type": ("apiKey",)}),
    Setting("auth.tokenUrl", required=True, description="the OAuth2 token URL", when={"auth.type": ("oauth2",)}),
    Setting("auth.clientId", required=True, description="the OAuth2 client id", when={"auth.type": ("oauth2",)}),
    Setting(
        "auth.clientSecret",
        required=True,
        secret=True,
        description="the OAuth2 client secret",
        when={"auth.type": ("oauth2",)},
    ),
    Setting("auth.scope", description="the OAuth2 scopes, space separated", when={"auth.type": ("oauth2",)}),
)


class Resource:
    """How one model's CRUD reaches the remote. Each method returns the decoded JSON answer
    (``get``/``patch``/``replace`` return None for a 404; ``delete`` the number removed)."""

    async def list(self, query: dict[str, Any]) -> list[dict[str, Any]]:
        raise NotImplementedError

    async def get(self, id: Any) -> dict[str, Any] | None:
        raise NotImplementedError

    async def create(self, data: dict[str, Any]) -> tuple[Any, Any]:
        """The answer's body and the new id when the answer says it elsewhere (Location)."""
        raise NotImplementedError

    async def patch(self, id: Any, data: dict[str, Any]) -> dict[str, Any] | None:
        raise NotImplementedError

    async def replace(self, id: Any, data: dict[str, Any]) -> dict[str, Any] | None:
        raise NotImplementedError

    async def delete(self, id: Any) -> int:
        raise NotImplementedError

    async def count(self, where: dict[str, Any] | None) -> int | None:
        """The remote's count, or None when it has none (lbpy then counts what ``list`` finds)."""
        return None

    async def update_all(self, where: dict[str, Any] | None, data: dict[str, Any]) -> int | None:
        return None


class HttpCrudConnector(Connector):
    """The contract's CRUD over ``Resource`` objects, one per attached model."""

    blocking = False
    default_id_type = "number"

    def __init__(
        self,
        settings: Mapping[str, Any] | None = None,
        models: Mapping[str, ModelSpec] | None = None,
        *,
        app_dir: Path | None = None,
    ) -> None:
        super().__init__(settings, models, app_dir=app_dir)
        self._remote_filter = _remote_filter(
            self.settings.get("filters", "loopback"), f'datasource "{self.settings.get("name") or self.name}"'
        )
        self.set_filter_mode("none" if self._remote_filter is None else "loopback")
        self._resources: dict[str, Resource] = {}
        #: per model, the properties read back from JSON (dates, buffers): found once, not per row
        self._readers: dict[str, tuple[Any, ...]] = {}

    def set_filter_mode(self, mode: str) -> None:
        """``loopback``: the remote evaluates LoopBack's filter (what ``filters`` declares);
        ``none``: lbpy evaluates it, and looks records up by id itself (GET /{id})."""
        self.filter_mode = mode
        if mode == "loopback":
            capabilities = self._remote_filter or _remote_filter("loopback", "")
            assert capabilities is not None  # "loopback" always names what the remote evaluates
            self.capabilities = capabilities
        else:
            self.capabilities = Capabilities(
                operators=frozenset({"eq", "and"}), fields=False, order=False, limit=False, nested_paths=False
            )

    # -- what a subclass provides -----------------------------------------------------------

    http: HttpClient

    def resource(self, model: str) -> Resource:
        raise NotImplementedError

    def _resource(self, model: str) -> Resource:
        found = self._resources.get(model)
        if found is None:
            found = self._resources[model] = self.resource(model)
        return found

    # -- lifecycle ----------------------------------------------------------------------------

    async def connect(self) -> None:
        """Nothing to open: connections are made by the first request, and pooled."""

    async def disconnect(self) -> None:
        await self.http.aclose()

    # -- reading ------------------------------------------------------------------------------

    def _loaded(self, model: str, row: Any) -> dict[str, Any]:
        """A remote record with its dates and buffers read back as Python values, so that
        lbpy's evaluation of a filter compares like with like."""
        if not isinstance(row, dict):
            raise_malformed(self.http.name, f"a record that is not an object for {model}")
        spec = self.models.get(model)
        cached = self._readers.get(model)
        if cached is None or cached[0] is not spec:  # a model defined again reads by its new spec
            cached = self._readers[model] = (
                spec,
                tuple(
                    (name, prop.type.coerce)
                    for name, prop in (spec.properties.items() if spec is not None else ())
                    if prop.type.name in ("date", "buffer")
                ),
            )
        for name, coerce in cached[1]:
            value = row.get(name)
            if value is not None:
                try:
                    row[name] = coerce(value)
                except (ValueError, TypeError):
                    pass
        result: dict[str, Any] = row
        return result

    def _only_id(self, model: str, filter: Filter) -> Any:
        """The id a filter looks up alone (findById), or a marker that it does not."""
        where = filter.where
        id_name = self.id_name(model)
        if (
            where is not None
            and len(where) == 1
            and id_name in where
            and list(where[id_name]) == ["eq"]
            and not filter.skip
            and not filter.order
            and where[id_name]["eq"] is not None
        ):
            return where[id_name]["eq"]
        return _NO_ID

    async def all(self, model: str, filter: Filter, options: dict[str, Any]) -> list[dict[str, Any]]:
        resource = self._resource(model)
        id = self._only_id(model, filter)
        if id is not _NO_ID:
            found = await resource.get(id)
            rows = [self._loaded(model, found)] if found is not None else []
            return apply_filter(rows, replace(filter, where=None)) if filter.fields else rows
        if self.filter_mode == "loopback":
            query = {"filter": _filter_json(filter)} if filter != Filter() else {}
            return [self._loaded(model, row) for row in await resource.list(query)]
        rows = [self._loaded(model, row) for row in await resource.list({})]
        return apply_filter(rows, Filter(where=filter.where)) if filter.where is not None else rows

    async def count(self, model: str, where: dict[str, Any] | None, options: dict[str, Any]) -> int:
        if self.filter_mode == "loopback":
            counted = await self._resource(model).count(where)
            if counted is not None:
                return counted
        return len(await self.all(model, Filter(where=where), options))

    # -- writing ------------------------------------------------------------------------------

    async def create(self, model: str, data: dict[str, Any], options: dict[str, Any]) -> Any:
        body, located = await self._resource(model).create(_body(data))
        id_name = self.id_name(model)
        if isinstance(body, dict) and body.get(id_name) is not None:
            return body[id_name]
        if located is not None:
            return located
        if data.get(id_name) is not None:
            return data[id_name]
        raise_malformed(self.http.name, f"no id for the {model} it created")

    async def update_attributes(
        self, model: str, id: Any, data: dict[str, Any], options: dict[str, Any]
    ) -> dict[str, Any]:
        id_name = self.id_name(model)
        changes = {k: v for k, v in data.items() if k != id_name}
        record = await self._resource(model).patch(id, _body(changes))
        if record is None:
            raise NotFoundError(f'Unknown "{model}" id "{id}".', code="MODEL_NOT_FOUND")
        if not isinstance(record, dict) or id_name not in record:
            fetched = await self._resource(model).get(id)  # an answer without the record (204)
            record = fetched if fetched is not None else {**changes, id_name: id}
        return self._loaded(model, record)

    async def replace_by_id(self, model: str, id: Any, data: dict[str, Any], options: dict[str, Any]) -> dict[str, Any]:
        id_name = self.id_name(model)
        record = await self._resource(model).replace(id, _body({**data, id_name: id}))
        if record is None:
            raise NotFoundError(f'Unknown "{model}" id "{id}".', code="MODEL_NOT_FOUND")
        if not isinstance(record, dict) or id_name not in record:
            fetched = await self._resource(model).get(id)
            record = fetched if fetched is not None else {**data, id_name: id}
        return self._loaded(model, record)

    async def update(
        self, model: str, where: dict[str, Any] | None, data: dict[str, Any], options: dict[str, Any]
    ) -> dict[str, Any]:
        id_name = self.id_name(model)
        changes = _body({k: v for k, v in data.items() if k != id_name})
        if self.filter_mode == "loopback":
            counted = await self._resource(model).update_all(where, changes)
            if counted is not None:
                return {"count": counted}
        ids = await self._ids(model, where, options)
        resource = self._resource(model)
        results = await _each(ids, lambda id: resource.patch(id, changes))
        return {"count": sum(1 for r in results if r is not None)}

    async def destroy_all(self, model: str, where: dict[str, Any] | None, options: dict[str, Any]) -> dict[str, Any]:
        resource = self._resource(model)
        id_name = self.id_name(model)
        if where is not None and list(where) == [id_name] and list(where[id_name]) == ["eq"]:
            return {"count": await resource.delete(where[id_name]["eq"])}
        ids = await self._ids(model, where, options)
        return {"count": sum(r or 0 for r in await _each(ids, resource.delete))}

    async def _ids(self, model: str, where: dict[str, Any] | None, options: dict[str, Any]) -> list[Any]:
        id_name = self.id_name(model)
        if where is not None and list(where) == [id_name] and list(where[id_name]) == ["inq"]:
            return list(where[id_name]["inq"])
        fields = (id_name,) if self.filter_mode == "loopback" else None
        rows = await self.all(model, Filter(where=where, fields=fields), options)
        return [row[id_name] for row in rows if row.get(id_name) is not None]

    async def ping(self) -> None:
        for model in list(self.models)[:1]:
            await self._resource(model).list({"filter": {"limit": 1}} if self.filter_mode == "loopback" else {})


_NO_ID = object()


def _filter_json(filter: Filter) -> dict[str, Any]:
    """A filter as LoopBack's JSON, its values (dates) as JSON values."""
    out = filter.to_dict()
    if filter.where is not None:
        out["where"] = where_to_json(filter.where, convert=json_value)
    out.pop("include", None)
    return out


def where_json(where: dict[str, Any] | None) -> dict[str, Any]:
    return where_to_json(where, convert=json_value) if where is not None else {}


def _body(data: Mapping[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = json_value(dict(data))
    return result


async def read_capped(
    fetch: Callable[[dict[str, Any]], Awaitable[tuple[list[dict[str, Any]], bool]]], flt: dict[str, Any]
) -> list[dict[str, Any]]:
    """Every record a LoopBack filter asks for, from a remote that may cap its answers (lbpy's
    ``remoting.rest.maxLimit`` says so in ``X-Max-Limit``): ``fetch(filter)`` answers a page and
    whether it was capped; the rest is asked for with ``skip`` until nothing is left."""
    wanted = flt.get("limit")
    start = flt.get("skip") or flt.get("offset") or 0
    rows: list[dict[str, Any]] = []
    for _ in range(10_000):
        page, capped = await fetch(flt)
        rows.extend(page)
        if not capped or not page or (wanted is not None and len(rows) >= wanted):
            break
        flt = {k: v for k, v in flt.items() if k != "offset"}
        flt["skip"] = start + len(rows)
        if wanted is not None:
            flt["limit"] = wanted - len(rows)
    return rows


async def _each(ids: list[Any], call: Callable[[Any], Awaitable[Any]]) -> list[Any]:
    """``call(id)`` for every id, concurrently (the client bounds how many at once); None for
    an id that is gone."""
    results: list[Any] = [None] * len(ids)

    async def one(index: int, id: Any) -> None:
        try:
            results[index] = await call(id)
        except NotFoundError:
            results[index] = None

    async with anyio.create_task_group() as group:
        for index, id in enumerate(ids):
            group.start_soon(one, index, id)
    return results


def raise_malformed(name: str, what: str) -> NoReturn:
    raise malformed(name, what)

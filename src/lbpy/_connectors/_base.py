"""The connector contract: one base class, a required core, and defaults built on it.

A connector is a class deriving from ``Connector``. The required core is four methods:

    all(model, filter, options)                      -> list of records (dicts)
    create(model, data, options)                     -> the new record's id
    update_attributes(model, id, data, options)      -> the updated record (raise NotFoundError)
    destroy_all(model, where, options)               -> {"count": n}

Every other method has a default here built on that core, so a minimal connector is short;
a connector overrides what its backend does better. Any method may be ``def`` or ``async def``:
lbpy awaits coroutines and runs plain methods in a worker thread unless the class says
``blocking = False`` (its plain methods never wait on I/O).

``filter`` is an ``lbpy.Filter`` (parsed, coerced, canonical where); ``where`` is a canonical
where dict or None. ``capabilities`` says which parts of a filter the connector evaluates itself;
lbpy evaluates the rest in Python, so every connector answers every filter correctly: ``all``
receives only what the connector declared, and ``count``, ``update`` and ``destroy_all`` receive
None, a where the connector declared or, when it cannot, a lookup of the matching ids: ``inq``
when declared, else one ``{id: {"eq": value}}`` per id (``update`` falls back to
``update_attributes`` when even ``eq`` is not declared; ``destroy_all`` must always answer an id
lookup). The ``*_with_capabilities`` functions below do this, for the datasource, the defaults
here and the conformance kit alike.

Errors are raised, never returned: ``lbpy.NotFoundError`` (answered 404), ``lbpy.ValidationError``
(422), ``lbpy.ConflictError`` for a taken id (409); anything else is answered 500 and logged with
its traceback.
"""

from __future__ import annotations

from collections.abc import Awaitable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, ClassVar, Protocol, TypeAlias, TypeVar

from .._errors import NotFoundError
from .._filter import (
    ALL_CAPABILITIES,
    Capabilities,
    Filter,
    conjunction,
    split_filter,
    where_supported,
)
from .._model._definition import ModelSpec, PropertySpec
from .._model._types import ArrayType
from ._calls import call_connector
from ._change_bus import ChangeBus
from ._discovery import schemas_from_discovery

_T = TypeVar("_T")
#: what a contract method returns: its value, or (an ``async def`` method) an awaitable of it
MaybeAwaitable: TypeAlias = _T | Awaitable[_T]


class ConnectorHost(Protocol):
    """What a connector package's ``initialize(datasource)`` receives: the datasource, whose
    ``connector`` it sets."""

    name: str
    settings: dict[str, Any]
    models: dict[str, ModelSpec]
    app_dir: Path | None
    connector_name: str
    connector: Connector


@dataclass(frozen=True)
class Setting:
    """One datasource setting a connector needs; the datasource wizard prompts from these.
    A dotted name (``auth.token``) is a key of an object setting (``"auth": {"token": ...}``)."""

    name: str
    type: str = "string"  # string | number | boolean | json
    required: bool = False
    default: Any = None
    secret: bool = False
    description: str = ""
    #: the answers to choose from (the wizard shows a list)
    choices: tuple[str, ...] = ()
    #: asked only when the settings already answered say so: setting name -> accepted values
    when: Mapping[str, tuple[Any, ...]] | None = None


class Connector:
    #: the connector's name, as datasources.json spells it
    name: ClassVar[str] = "connector"
    #: the settings the datasource wizard asks for
    settings_schema: ClassVar[tuple[Setting, ...]] = ()
    #: the parts of a filter this connector evaluates itself
    capabilities: Capabilities = ALL_CAPABILITIES
    #: whether plain (non-async) methods may block on I/O and so run off the event loop
    blocking: ClassVar[bool] = True
    #: the type of an injected ``id`` property: "number" or "string"
    default_id_type: ClassVar[str] = "number"
    #: whether a record keeps properties its model does not declare (a non-strict model's extra
    #: data); when not, lbpy answers a create with what was stored, without them
    stores_undeclared: ClassVar[bool] = True
    #: whether each process holds records of its own (memory, transient): such a store's change
    #: events never leave the process
    per_process: ClassVar[bool] = False

    def __init__(
        self,
        settings: Mapping[str, Any] | None = None,
        models: Mapping[str, ModelSpec] | None = None,
        *,
        app_dir: Path | None = None,
    ):
        """``settings`` are the datasource's; ``models`` the definitions of the models attached
        to it, by name (a live mapping: models attach after the connector is made); ``app_dir``
        the app's folder, against which relative file settings are read. No I/O here:
        ``connect()`` opens connections."""
        if models is not None and not isinstance(models, Mapping):
            # connectors written for lbpy 0.1 passed the datasource itself
            app_dir = app_dir if app_dir is not None else getattr(models, "app_dir", None)
            models = getattr(models, "models", None)
        self.settings: dict[str, Any] = dict(settings or {})
        #: the definitions of the models attached to this connector's datasource, by name
        self.models: Mapping[str, ModelSpec] = models if models is not None else {}
        self.app_dir = app_dir

    # -- what LoopBack's Connector gave its subclasses ------------------------------------

    def model_definition(self, model: str) -> ModelSpec:
        try:
            return self.models[model]
        except KeyError:
            raise LookupError(f'model "{model}" is not attached to this datasource') from None

    def id_name(self, model: str) -> str:
        """The model's id property; ``id`` for a model that is not attached (as LoopBack's default)."""
        spec = self.models.get(model)
        return (spec.id_name if spec is not None else None) or "id"

    def id_names(self, model: str) -> list[str]:
        return list(self.model_definition(model).id_names)

    def properties(self, model: str) -> dict[str, PropertySpec]:
        return self.model_definition(model).properties

    def property(self, model: str, name: str) -> PropertySpec | None:
        return self.model_definition(model).properties.get(name)

    def model_settings(self, model: str) -> dict[str, Any]:
        """What the model's JSON says to this connector: ``"<connector name>": {...}`` at its top
        level or under ``options`` (LoopBack read both), e.g. ``{"table": "greetings"}``."""
        spec = self.models.get(model)
        if spec is None:
            return {}
        value = spec.settings.get(self.name) or spec.options.get(self.name) or {}
        return value if isinstance(value, dict) else {}

    def table_name(self, model: str) -> str:
        """The backend's name for the model's table or collection: ``table`` in model_settings,
        else the model's name."""
        return str(self.model_settings(model).get("table") or model)

    def id_where(self, model: str, id: Any) -> dict[str, Any]:
        return {self.id_name(model): {"eq": id}}

    # -- lifecycle ------------------------------------------------------------------------

    def connect(self) -> MaybeAwaitable[None]:
        """Open connections. Called once before the first request."""

    def disconnect(self) -> MaybeAwaitable[None]:
        """Close connections. Called when the app stops."""

    def ping(self) -> MaybeAwaitable[None]:
        """Raise if the backend cannot be reached."""

    # -- change streams across processes ----------------------------------------------------

    def change_bus(self, channel: str | None = None) -> ChangeBus | None:
        """A bus through the backend itself that carries change events between the processes
        sharing it (PostgreSQL's LISTEN/NOTIFY), or None when the backend has none."""
        return None

    def store_identity(self) -> str:
        """What names the store the same way in every process that shares it (no secrets): the
        default name of a Redis channel for its change events."""
        return f"{self.name}:{self.settings.get('name') or ''}"

    # -- the required core ----------------------------------------------------------------

    def all(self, model: str, filter: Filter, options: dict[str, Any]) -> MaybeAwaitable[list[dict[str, Any]]]:
        raise NotImplementedError(f"{type(self).__name__} must implement all()")

    def create(self, model: str, data: dict[str, Any], options: dict[str, Any]) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement create()")

    def update_attributes(
        self, model: str, id: Any, data: dict[str, Any], options: dict[str, Any]
    ) -> MaybeAwaitable[dict[str, Any]]:
        raise NotImplementedError(f"{type(self).__name__} must implement update_attributes()")

    def destroy_all(
        self, model: str, where: dict[str, Any] | None, options: dict[str, Any]
    ) -> MaybeAwaitable[dict[str, Any]]:
        raise NotImplementedError(f"{type(self).__name__} must implement destroy_all()")

    # -- defaults built on the core -------------------------------------------------------

    async def _call(self, method: str, *args: Any) -> Any:
        return await call_connector(self, method, *args)

    async def count(self, model: str, where: dict[str, Any] | None, options: dict[str, Any]) -> int:
        rows = await find_with_capabilities(self, model, Filter(where=where), options)
        return len(rows)

    async def find_by_id(self, model: str, id: Any, options: dict[str, Any]) -> dict[str, Any] | None:
        rows = await find_with_capabilities(self, model, Filter(where=self.id_where(model, id), limit=1), options)
        return rows[0] if rows else None

    async def update(
        self, model: str, where: dict[str, Any] | None, data: dict[str, Any], options: dict[str, Any]
    ) -> dict[str, Any]:
        id_name = self.id_name(model)
        rows = await find_with_capabilities(self, model, Filter(where=where), options)
        for row in rows:
            await self._call("update_attributes", model, row[id_name], data, options)
        return {"count": len(rows)}

    async def _created(self, model: str, data: dict[str, Any], options: dict[str, Any]) -> dict[str, Any]:
        new_id = await self._call("create", model, data, options)
        # the backend may have filled in defaults: answer what it stored
        stored = await self.find_by_id(model, new_id, options)
        return stored if stored is not None else {**data, self.id_name(model): new_id}

    async def update_or_create(self, model: str, data: dict[str, Any], options: dict[str, Any]) -> dict[str, Any]:
        id = data.get(self.id_name(model))
        if id is not None and await self.find_by_id(model, id, options) is not None:
            result: dict[str, Any] = await self._call("update_attributes", model, id, data, options)
            return result
        return await self._created(model, data, options)

    async def replace_by_id(self, model: str, id: Any, data: dict[str, Any], options: dict[str, Any]) -> dict[str, Any]:
        existing = await self.find_by_id(model, id, options)
        if existing is None:
            raise NotFoundError(f'Unknown "{model}" id "{id}".', code="MODEL_NOT_FOUND")
        id_name = self.id_name(model)
        # a replace removes what the new data does not name
        cleared = {key: None for key in existing if key not in data and key != id_name}
        result: dict[str, Any] = await self._call(
            "update_attributes", model, id, {**cleared, **data, id_name: id}, options
        )
        return result

    async def replace_or_create(self, model: str, data: dict[str, Any], options: dict[str, Any]) -> dict[str, Any]:
        id = data.get(self.id_name(model))
        if id is not None and await self.find_by_id(model, id, options) is not None:
            result: dict[str, Any] = await self._call("replace_by_id", model, id, data, options)
            return result
        return await self._created(model, data, options)

    # -- discovery: the attached models describe themselves ---------------------------------

    async def discover_model_definitions(self, options: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        return [{"name": name, "type": "table"} for name in self.models]

    async def discover_model_properties(self, name: str, options: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        spec = self.models.get(name)
        if spec is None:
            return []
        return [
            {
                "owner": None,
                "tableName": name,
                "columnName": prop.name,
                "type": json_type(prop.type),
                "dataType": prop.type.describe(),
                "dataLength": None,
                "dataPrecision": None,
                "dataScale": None,
                "nullable": "N" if prop.required or prop.is_id else "Y",
                "generated": bool(prop.generated) if prop.is_id else None,
            }
            for prop in spec.properties.values()
        ]

    async def discover_primary_keys(self, name: str, options: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        spec = self.models.get(name)
        if spec is None:
            return []
        return [
            {"owner": None, "tableName": name, "columnName": column, "keySeq": i + 1, "pkName": f"{name}_pk"}
            for i, column in enumerate(spec.id_names)
        ]

    async def discover_foreign_keys(self, name: str, options: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """belongsTo relations of the attached model ``name``, as foreign keys."""
        spec = self.models.get(name)
        if spec is None:
            return []
        keys = []
        for relation in spec.relations.values():
            target = self.models.get(relation.model or "")
            if relation.type != "belongsTo" or target is None:
                continue
            column = relation.foreign_key or f"{relation.name}Id"
            keys.append(
                {
                    "fkOwner": None,
                    "fkName": f"{name}_{relation.name}_fk",
                    "fkTableName": name,
                    "fkColumnName": column,
                    "keySeq": 1,
                    "pkOwner": None,
                    "pkName": f"{target.name}_pk",
                    "pkTableName": target.name,
                    "pkColumnName": relation.primary_key or target.id_name,
                }
            )
        return keys

    async def discover_schemas(self, name: str, options: dict[str, Any] | None = None) -> dict[str, dict[str, Any]]:
        """LoopBack model JSON for ``name`` (and, with ``relations``, the tables it points to)."""
        return await schemas_from_discovery(self, name, options or {})

    # -- functions a connector adds to its models ------------------------------------------

    def model_functions(self, model: str) -> dict[str, dict[str, Any]]:
        """The methods this connector adds to the attached model ``model``, as LoopBack's
        connectors mixed functions into a model's DataAccessObject: method name -> its remoting
        metadata, in the form of a model JSON's ``methods`` entry (``accepts``, ``returns``,
        ``http``, ``description``; ``"shared": false`` keeps it off the REST API).

        lbpy makes each one ``Model.<name>(*args, **kwargs)`` (positional arguments in the order
        of ``accepts``), which calls ``call_function``, and a remote method unless the model's
        own ``methods`` entry declares that name. Called at boot, before ``connect()``."""
        return {}

    async def call_function(self, model: str, name: str, args: dict[str, Any], options: dict[str, Any]) -> Any:
        """Run the function ``name`` of ``model_functions`` with ``args`` (argument name ->
        value; an argument not given is absent or None)."""
        raise NotImplementedError(f"{type(self).__name__} declares no function {name}")

    # -- migration ------------------------------------------------------------------------

    def automigrate(self, models: list[str] | None = None) -> MaybeAwaitable[None]:
        """Drop and re-create the storage of ``models`` (all attached models when None)."""

    def autoupdate(self, models: list[str] | None = None) -> MaybeAwaitable[None]:
        """Create what is missing for ``models`` without dropping anything."""


# -- what lbpy does for a connector that evaluates part of a filter ----------------------------


async def find_with_capabilities(
    connector: Connector, model: str, filter: Filter, options: dict[str, Any]
) -> list[dict[str, Any]]:
    """``all`` with the part of ``filter`` the connector declared; lbpy finishes the rest."""
    if filter.include:
        filter = replace(filter, include=())  # relations are lbpy's work, never the connector's
    pushed, finish = split_filter(filter, connector.capabilities)
    rows = await call_connector(connector, "all", model, pushed, options)
    rows = list(rows)
    return finish(rows) if finish is not None else rows


async def count_with_capabilities(
    connector: Connector, model: str, where: dict[str, Any] | None, options: dict[str, Any]
) -> int:
    if where_supported(where, connector.capabilities):
        return int(await call_connector(connector, "count", model, where, options))
    return len(await find_with_capabilities(connector, model, Filter(where=where), options))


async def update_with_capabilities(
    connector: Connector, model: str, where: dict[str, Any] | None, data: dict[str, Any], options: dict[str, Any]
) -> dict[str, Any]:
    if where_supported(where, connector.capabilities):
        return count_result(await call_connector(connector, "update", model, where, data, options))
    ids = await _matching_ids(connector, model, where, options)
    if not ids:
        return {"count": 0}
    id_where = _id_lookup(connector, model, ids)
    if id_where is not None:
        return count_result(await call_connector(connector, "update", model, id_where, data, options))
    count = 0
    for id in ids:
        if _supports_eq(connector):
            info = await call_connector(connector, "update", model, connector.id_where(model, id), data, options)
            count += count_result(info)["count"]
        else:
            try:
                await call_connector(connector, "update_attributes", model, id, data, options)
            except NotFoundError:
                continue  # deleted meanwhile
            count += 1
    return {"count": count}


async def destroy_with_capabilities(
    connector: Connector, model: str, where: dict[str, Any] | None, options: dict[str, Any]
) -> dict[str, Any]:
    if where_supported(where, connector.capabilities):
        return count_result(await call_connector(connector, "destroy_all", model, where, options))
    ids = await _matching_ids(connector, model, where, options)
    if not ids:
        return {"count": 0}
    id_where = _id_lookup(connector, model, ids)
    if id_where is not None:
        return count_result(await call_connector(connector, "destroy_all", model, id_where, options))
    # an id lookup is the least any backend answers (DELETE /items/{id}), declared or not
    count = 0
    for id in ids:
        info = await call_connector(connector, "destroy_all", model, connector.id_where(model, id), options)
        count += count_result(info)["count"]
    return {"count": count}


async def _matching_ids(
    connector: Connector, model: str, where: dict[str, Any] | None, options: dict[str, Any]
) -> list[Any]:
    id_name = connector.id_name(model)
    rows = await find_with_capabilities(connector, model, Filter(where=where), options)
    return [row[id_name] for row in rows if row.get(id_name) is not None]


def _id_lookup(connector: Connector, model: str, ids: list[Any]) -> dict[str, Any] | None:
    """``{id: {inq: ids}}`` when the connector evaluates inq; None when it must go id by id."""
    where = {connector.id_name(model): {"inq": ids}}
    return where if where_supported(where, connector.capabilities) else None


def _supports_eq(connector: Connector) -> bool:
    return "eq" in connector.capabilities.operators


def count_result(info: Any) -> dict[str, Any]:
    """``{"count": n}`` from what a connector returned (a dict with count, or a number)."""
    if isinstance(info, dict) and "count" in info:
        return {"count": int(info["count"])}
    if isinstance(info, int) and not isinstance(info, bool):
        return {"count": info}
    raise TypeError(f'a connector must return {{"count": n}}, not {info!r}')


def json_type(kind: Any) -> Any:
    """A property type as model JSON declares it: ``"string"``, ``["string"]``, ``"Address"``."""
    if isinstance(kind, ArrayType):
        return [json_type(kind.item)] if kind.item is not None else ["any"]
    return kind.name


__all__ = [
    "Connector",
    "ConnectorHost",
    "Setting",
    "call_connector",
    "conjunction",
    "count_with_capabilities",
    "destroy_with_capabilities",
    "find_with_capabilities",
    "update_with_capabilities",
]

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
lbpy evaluates the rest in Python, so every connector answers every filter correctly.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from .._errors import NotFoundError
from .._filter import ALL_CAPABILITIES, Capabilities, Filter, conjunction, get_path
from .._model._definition import ModelSpec, PropertySpec

if TYPE_CHECKING:
    from .._datasource import DataSource


@dataclass(frozen=True)
class Setting:
    """One datasource setting a connector needs; the datasource wizard prompts from these."""

    name: str
    type: str = "string"  # string | number | boolean | json
    required: bool = False
    default: Any = None
    secret: bool = False
    description: str = ""


class Connector:
    #: the connector's name, as datasources.json spells it
    name: ClassVar[str] = "connector"
    #: the settings the datasource wizard asks for
    settings_schema: ClassVar[tuple[Setting, ...]] = ()
    #: the parts of a filter this connector evaluates itself
    capabilities: ClassVar[Capabilities] = ALL_CAPABILITIES
    #: whether plain (non-async) methods may block on I/O and so run off the event loop
    blocking: ClassVar[bool] = True
    #: the type of an injected ``id`` property: "number" or "string"
    default_id_type: ClassVar[str] = "number"

    def __init__(self, settings: dict[str, Any] | None = None, datasource: "DataSource | None" = None):
        # no I/O here: connect() opens connections
        self.settings: dict[str, Any] = dict(settings or {})
        self.datasource = datasource

    # -- what LoopBack's Connector gave its subclasses ------------------------------------

    @property
    def models(self) -> dict[str, ModelSpec]:
        """The definitions of the models attached to this connector's datasource, by name."""
        if self.datasource is None:
            return {}
        return {name: model.spec for name, model in self.datasource.models.items()}

    def model_definition(self, model: str) -> ModelSpec:
        try:
            return self.models[model]
        except KeyError:
            raise LookupError(f'model "{model}" is not attached to this datasource') from None

    def id_name(self, model: str) -> str:
        return self.model_definition(model).id_name or "id"

    def id_names(self, model: str) -> list[str]:
        return list(self.model_definition(model).id_names)

    def properties(self, model: str) -> dict[str, PropertySpec]:
        return self.model_definition(model).properties

    def property(self, model: str, name: str) -> PropertySpec | None:
        return self.model_definition(model).properties.get(name)

    def id_where(self, model: str, id: Any) -> dict:
        return {self.id_name(model): {"eq": id}}

    # -- lifecycle ------------------------------------------------------------------------

    def connect(self) -> None:
        """Open connections. Called once before the first request."""

    def disconnect(self) -> None:
        """Close connections. Called when the app stops."""

    def ping(self) -> None:
        """Raise if the backend cannot be reached."""

    # -- the required core ----------------------------------------------------------------

    def all(self, model: str, filter: Filter, options: dict) -> list[dict]:
        raise NotImplementedError(f"{type(self).__name__} must implement all()")

    def create(self, model: str, data: dict, options: dict) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement create()")

    def update_attributes(self, model: str, id: Any, data: dict, options: dict) -> dict:
        raise NotImplementedError(f"{type(self).__name__} must implement update_attributes()")

    def destroy_all(self, model: str, where: dict | None, options: dict) -> dict:
        raise NotImplementedError(f"{type(self).__name__} must implement destroy_all()")

    # -- defaults built on the core -------------------------------------------------------

    async def _call(self, method: str, *args: Any) -> Any:
        return await call_connector(self, method, *args)

    async def count(self, model: str, where: dict | None, options: dict) -> int:
        rows = await self._call("all", model, Filter(where=where), options)
        return len(rows)

    async def find_by_id(self, model: str, id: Any, options: dict) -> dict | None:
        rows = await self._call("all", model, Filter(where=self.id_where(model, id), limit=1), options)
        return rows[0] if rows else None

    async def update(self, model: str, where: dict | None, data: dict, options: dict) -> dict:
        id_name = self.id_name(model)
        rows = await self._call("all", model, Filter(where=where, fields=(id_name,)), options)
        for row in rows:
            await self._call("update_attributes", model, row[id_name], data, options)
        return {"count": len(rows)}

    async def update_or_create(self, model: str, data: dict, options: dict) -> dict:
        id = data.get(self.id_name(model))
        if id is not None and await self.find_by_id(model, id, options) is not None:
            return await self._call("update_attributes", model, id, data, options)
        new_id = await self._call("create", model, data, options)
        return {**data, self.id_name(model): new_id}

    async def replace_by_id(self, model: str, id: Any, data: dict, options: dict) -> dict:
        existing = await self.find_by_id(model, id, options)
        if existing is None:
            raise NotFoundError(f'Unknown "{model}" id "{id}".', code="MODEL_NOT_FOUND")
        id_name = self.id_name(model)
        # a replace removes what the new data does not name
        cleared = {key: None for key in existing if key not in data and key != id_name}
        return await self._call(
            "update_attributes", model, id, {**cleared, **data, id_name: id}, options
        )

    async def replace_or_create(self, model: str, data: dict, options: dict) -> dict:
        id = data.get(self.id_name(model))
        if id is not None and await self.find_by_id(model, id, options) is not None:
            return await self.replace_by_id(model, id, data, options)
        new_id = await self._call("create", model, data, options)
        return {**data, self.id_name(model): new_id}

    # -- discovery: the attached models describe themselves ---------------------------------

    async def discover_model_definitions(self, options: dict | None = None) -> list[dict]:
        return [{"name": name, "type": "table"} for name in self.models]

    async def discover_model_properties(self, name: str, options: dict | None = None) -> list[dict]:
        spec = self.models.get(name)
        if spec is None:
            return []
        return [
            {
                "tableName": name,
                "columnName": prop.name,
                "type": prop.type.describe(),
                "dataType": prop.type.describe(),
                "nullable": "N" if prop.required or prop.is_id else "Y",
            }
            for prop in spec.properties.values()
        ]

    async def discover_primary_keys(self, name: str, options: dict | None = None) -> list[dict]:
        spec = self.models.get(name)
        if spec is None:
            return []
        return [
            {"tableName": name, "columnName": column, "keySeq": i + 1, "pkName": f"{name}_pk"}
            for i, column in enumerate(spec.id_names)
        ]

    async def discover_foreign_keys(self, name: str, options: dict | None = None) -> list[dict]:
        return []

    async def discover_schemas(self, name: str, options: dict | None = None) -> dict[str, dict]:
        """LoopBack model JSON for ``name`` (and, with ``relations``, the tables it points to)."""
        from .._discovery import schemas_from_discovery

        return await schemas_from_discovery(self, name, options or {})

    # -- migration ------------------------------------------------------------------------

    def automigrate(self, models: list[str] | None = None) -> None:
        """Drop and re-create the storage of ``models`` (all attached models when None)."""

    def autoupdate(self, models: list[str] | None = None) -> None:
        """Create what is missing for ``models`` without dropping anything."""


async def call_connector(connector: Connector, method: str, *args: Any) -> Any:
    """Call a connector method the way the contract says: await coroutines, run blocking
    plain functions in a worker thread, call non-blocking ones directly."""
    fn = getattr(connector, method)
    if inspect.iscoroutinefunction(fn):
        return await fn(*args)
    if connector.blocking:
        import anyio.to_thread

        result = await anyio.to_thread.run_sync(lambda: fn(*args))
    else:
        result = fn(*args)
    if inspect.isawaitable(result):
        result = await result
    return result


def matches_id(record: dict, id_name: str, id: Any) -> bool:
    return get_path(record, id_name) == id


__all__ = ["Connector", "Setting", "call_connector", "conjunction"]

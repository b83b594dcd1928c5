"""A datasource: a name, its settings, and the connector serving them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import anyio

from ._connectors._base import (
    Connector,
    call_connector,
    count_with_capabilities,
    destroy_with_capabilities,
    find_with_capabilities,
    update_with_capabilities,
)
from ._connectors._missing import MissingConnector
from ._connectors._registry import canonical_name, find_initializer
from ._errors import BootError, ConnectorNotFoundError
from ._filter import Filter
from ._model._definition import ModelSpec

#: calls that must not connect first
_LIFECYCLE = frozenset({"connect", "disconnect"})


class DataSource:
    """What LoopBack's ``DataSource`` was: the connector plus the models attached to it.

    ``settings["connector"]`` names a connector (found by ``lbpy._connectors._registry``); as in
    LoopBack, it may also be the connector module itself or its ``initialize`` function, which
    lets tests and scripts use a connector that is not installed.
    """

    #: set by the connector's ``initialize(datasource)``
    connector: Connector

    def __init__(self, name: str, settings: dict[str, Any], *, app_dir: Path | None = None, missing_ok: bool = False):
        """``missing_ok``: a connector lbpy cannot find does not raise; the datasource is made with a
        stand-in whose every call answers 503 naming it, and ``missing`` says what to do."""
        self.name = name
        #: why the connector is missing (with ``missing_ok``), else None
        self.missing: str | None = None
        self.settings = dict(settings)
        self.app_dir = app_dir
        #: the definitions of the models attached to this datasource, by name
        self.models: dict[str, ModelSpec] = {}
        self.connected = False
        self._connecting: Any = None  # an anyio.Lock, made on first use inside an event loop
        given = settings.get("connector") or "memory"
        initialize: Callable[..., Any]
        if isinstance(given, str):
            self.connector_name = canonical_name(given)
            try:
                initialize = find_initializer(self.connector_name, app_dir)
            except ConnectorNotFoundError:
                if not missing_ok:
                    raise
                self.missing = (
                    f'datasource "{name}" uses the connector "{self.connector_name}", which lbpy does not have: '
                    f"install one (pip install lbpy-connector-{self.connector_name}) or write one "
                    f"(lbpy connector {self.connector_name})"
                )
                message = self.missing

                def initialize(datasource: DataSource) -> None:
                    datasource.connector = MissingConnector(
                        datasource.settings, datasource.models, app_dir=app_dir, message=message
                    )

        elif isinstance(given, ModuleType) and callable(getattr(given, "initialize", None)):
            self.connector_name = canonical_name(given.__name__.rpartition(".")[2])
            initialize = given.initialize
        elif callable(given):
            self.connector_name = canonical_name(getattr(given, "__module__", "") or "connector")
            initialize = given
        else:
            raise BootError(f'datasource "{name}": "connector" must be a connector name, not {type(given).__name__}')
        initialize(self)  # sets self.connector
        if not isinstance(getattr(self, "connector", None), Connector):
            raise BootError(
                f'connector "{self.connector_name}": initialize(datasource) must set '
                "datasource.connector to an instance of lbpy.Connector"
            )
        # the connector sees the definitions of the models attached here, as they attach
        self.connector.models = self.models
        if self.connector.app_dir is None:
            self.connector.app_dir = app_dir
        if not isinstance(given, str):
            # a module or function was given: name the datasource's connector the way JSON would
            self.connector_name = self.connector.name
            self.settings["connector"] = self.connector_name

    def __repr__(self) -> str:
        return f"<DataSource {self.name} ({self.connector_name})>"

    def attach(self, spec: ModelSpec) -> None:
        self.models[spec.name] = spec

    async def call(self, method: str, *args: Any) -> Any:
        """Call a connector method, connecting first if nothing has yet (LoopBack queued calls
        until its datasource was connected; scripts and tests need no explicit connect)."""
        if not self.connected and method not in _LIFECYCLE:
            await self.connect()
        return await call_connector(self.connector, method, *args)

    async def connect(self) -> None:
        if self.connected:
            return
        if self._connecting is None:
            self._connecting = anyio.Lock()
        async with self._connecting:
            if not self.connected:  # another task may have connected while we waited
                await call_connector(self.connector, "connect")
                self.connected = True

    async def disconnect(self) -> None:
        if self.connected:
            self.connected = False
            await call_connector(self.connector, "disconnect")

    async def ping(self) -> None:
        await self.call("ping")

    # Data access with the connector's capabilities applied: what a connector does not evaluate
    # natively (an operator, order, fields, paging) lbpy does in Python, so every connector
    # answers every filter the same way.

    async def all(self, model: str, filter: Filter, options: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        await self.connect()
        return await find_with_capabilities(self.connector, model, filter, options or {})

    async def count(self, model: str, where: dict[str, Any] | None, options: dict[str, Any] | None = None) -> int:
        await self.connect()
        return await count_with_capabilities(self.connector, model, where, options or {})

    async def update(
        self, model: str, where: dict[str, Any] | None, data: dict[str, Any], options: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        await self.connect()
        return await update_with_capabilities(self.connector, model, where, data, options or {})

    async def destroy_all(
        self, model: str, where: dict[str, Any] | None, options: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        await self.connect()
        return await destroy_with_capabilities(self.connector, model, where, options or {})

    # LoopBack's discovery and migration calls

    async def discover_model_definitions(self, options: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = await self.call("discover_model_definitions", options or {})
        return result

    async def discover_model_properties(self, name: str, options: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = await self.call("discover_model_properties", name, options or {})
        return result

    async def discover_primary_keys(self, name: str, options: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = await self.call("discover_primary_keys", name, options or {})
        return result

    async def discover_foreign_keys(self, name: str, options: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = await self.call("discover_foreign_keys", name, options or {})
        return result

    async def discover_schemas(self, name: str, options: dict[str, Any] | None = None) -> dict[str, dict[str, Any]]:
        result: dict[str, dict[str, Any]] = await self.call("discover_schemas", name, options or {})
        return result

    async def discover_schema(self, name: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
        """The model JSON of ``name`` alone (LoopBack's discoverSchema)."""
        schemas = await self.discover_schemas(name, {**(options or {}), "relations": False})
        return next(iter(schemas.values()))

    async def automigrate(self, models: list[str] | None = None) -> None:
        await self.call("automigrate", models)

    async def autoupdate(self, models: list[str] | None = None) -> None:
        await self.call("autoupdate", models)

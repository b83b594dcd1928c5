"""A datasource: a name, its settings, and the connector serving them."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._connectors._base import Connector, call_connector
from ._connectors._registry import canonical_name, find_initializer
from ._errors import BootError

if TYPE_CHECKING:
    from ._model._persisted import Model


class DataSource:
    """What LoopBack's ``DataSource`` was: the connector plus the models attached to it."""

    def __init__(self, name: str, settings: dict[str, Any], *, app_dir: Path | None = None):
        self.name = name
        self.settings = dict(settings)
        self.app_dir = app_dir
        self.connector_name = canonical_name(str(settings.get("connector") or "memory"))
        self.models: dict[str, type[Model]] = {}
        self.connector: Connector | None = None
        self.connected = False
        initialize = find_initializer(self.connector_name, app_dir)
        initialize(self)
        if not isinstance(self.connector, Connector):
            raise BootError(
                f'connector "{self.connector_name}": initialize(datasource) must set '
                "datasource.connector to an instance of lbpy.Connector"
            )

    def __repr__(self) -> str:
        return f"<DataSource {self.name} ({self.connector_name})>"

    def attach(self, model: type[Model]) -> None:
        self.models[model.spec.name] = model

    async def call(self, method: str, *args: Any) -> Any:
        return await call_connector(self.connector, method, *args)

    async def connect(self) -> None:
        if not self.connected:
            await self.call("connect")
            self.connected = True

    async def disconnect(self) -> None:
        if self.connected:
            self.connected = False
            await self.call("disconnect")

    async def ping(self) -> None:
        await self.connect()
        await self.call("ping")

    # LoopBack's discovery and migration calls

    async def discover_model_definitions(self, options: dict | None = None) -> list[dict]:
        await self.connect()
        return await self.call("discover_model_definitions", options or {})

    async def discover_model_properties(self, name: str, options: dict | None = None) -> list[dict]:
        await self.connect()
        return await self.call("discover_model_properties", name, options or {})

    async def discover_primary_keys(self, name: str, options: dict | None = None) -> list[dict]:
        await self.connect()
        return await self.call("discover_primary_keys", name, options or {})

    async def discover_foreign_keys(self, name: str, options: dict | None = None) -> list[dict]:
        await self.connect()
        return await self.call("discover_foreign_keys", name, options or {})

    async def discover_schemas(self, name: str, options: dict | None = None) -> dict[str, dict]:
        await self.connect()
        return await self.call("discover_schemas", name, options or {})

    async def automigrate(self, models: list[str] | None = None) -> None:
        await self.connect()
        await self.call("automigrate", models)

    async def autoupdate(self, models: list[str] | None = None) -> None:
        await self.connect()
        await self.call("autoupdate", models)

"""The transient connector: LoopBack's datasource for models that are never stored.

Its models validate their data, run their hooks and serve their remote methods, but keep
nothing: a create answers the validated record with a fresh id (24 hexadecimal characters, as
LoopBack's), every read finds nothing, and every update or delete matches nothing.
"""

from __future__ import annotations

import secrets
from typing import Any

from .._errors import NotFoundError
from .._filter import Filter
from ._base import Connector, ConnectorHost


class TransientConnector(Connector):
    name = "transient"
    blocking = False
    per_process = True
    default_id_type = "string"

    def all(self, model: str, filter: Filter, options: dict[str, Any]) -> list[dict[str, Any]]:
        return []

    def create(self, model: str, data: dict[str, Any], options: dict[str, Any]) -> Any:
        id_name = self.id_name(model)
        return data[id_name] if data.get(id_name) is not None else secrets.token_hex(12)

    def update_attributes(self, model: str, id: Any, data: dict[str, Any], options: dict[str, Any]) -> dict[str, Any]:
        raise NotFoundError(f'Unknown "{model}" id "{id}".', code="MODEL_NOT_FOUND")

    def destroy_all(self, model: str, where: dict[str, Any] | None, options: dict[str, Any]) -> dict[str, Any]:
        return {"count": 0}


def initialize(datasource: ConnectorHost) -> None:
    datasource.connector = TransientConnector(datasource.settings, datasource.models, app_dir=datasource.app_dir)

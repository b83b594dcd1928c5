"""The stand-in for a connector lbpy does not have: the app boots, and the models on that datasource
answer 503 naming the connector, instead of the whole app failing to start."""

from __future__ import annotations

from typing import Any

from .._errors import ServiceUnavailableError
from ._base import Connector


class MissingConnector(Connector):
    """Every call fails with a 503 that says which connector is missing and what to do."""

    name = "missing"
    per_process = True

    def __init__(self, settings: dict[str, Any], models: Any, *, app_dir: Any, message: str) -> None:
        super().__init__(settings, models, app_dir=app_dir)
        self.message = message

    def _fail(self) -> ServiceUnavailableError:
        return ServiceUnavailableError(self.message, code="CONNECTOR_NOT_INSTALLED")

    def connect(self) -> None:
        raise self._fail()

    def ping(self) -> None:
        raise self._fail()

    def all(self, model: str, filter: Any, options: dict[str, Any]) -> list[dict[str, Any]]:
        raise self._fail()

    def create(self, model: str, data: dict[str, Any], options: dict[str, Any]) -> Any:
        raise self._fail()

    def update_attributes(self, model: str, id: Any, data: dict[str, Any], options: dict[str, Any]) -> dict[str, Any]:
        raise self._fail()

    def destroy_all(self, model: str, where: dict[str, Any] | None, options: dict[str, Any]) -> dict[str, Any]:
        raise self._fail()

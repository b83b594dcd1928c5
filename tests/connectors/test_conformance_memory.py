"""The built-in memory connector passes the whole conformance kit, in memory and with a file."""

from __future__ import annotations

from typing import Any, ClassVar

from lbpy.testing import ConnectorConformance


class TestMemoryConnector(ConnectorConformance):
    settings: ClassVar[dict[str, Any]] = {"connector": "memory"}


class TestMemoryConnectorWithAFile(ConnectorConformance):
    def datasource_settings(self) -> dict:
        return {"connector": "memory", "file": str(self.tmp_path / "db.json")}

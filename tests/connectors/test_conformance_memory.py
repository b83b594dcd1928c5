"""The built-in memory connector passes the whole conformance kit, in memory and with a file."""

from __future__ import annotations

import tempfile
from pathlib import Path

from lbpy.testing import ConnectorConformance


class TestMemoryConnector(ConnectorConformance):
    settings = {"connector": "memory"}


class TestMemoryConnectorWithAFile(ConnectorConformance):
    def datasource_settings(self) -> dict:
        folder = Path(tempfile.mkdtemp(prefix="lbpy-memory-kit-"))
        return {"connector": "memory", "file": str(folder / "db.json")}

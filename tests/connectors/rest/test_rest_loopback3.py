"""A LoopBack 3 app as the remote: models over it through the rest connector's CRUD mode pass
lbpy's conformance kit (skipped, with the reason, without node and npm)."""

from __future__ import annotations

import pytest

from lbpy.testing import ConnectorConformance


class TestRestOverLoopBack3(ConnectorConformance):
    @pytest.fixture(autouse=True)
    def _remote(self, loopback3_remote):
        self.remote = loopback3_remote

    def datasource_settings(self):
        # LoopBack 3's memory connector orders null and false otherwise than lbpy does: the
        # remote filters and pages, lbpy sorts
        return {"connector": "rest", "baseURL": f"{self.remote}/api", "crud": True, "filters": {"order": False}}

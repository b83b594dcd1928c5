"""An lbpy app served by ``lbpy start`` as the remote: a second app's models over it through the
rest connector's CRUD mode pass lbpy's conformance kit, the remote evaluating LoopBack's
``?filter=``."""

from __future__ import annotations

import pytest

from lbpy.testing import ConnectorConformance


class TestRestOverLbpy(ConnectorConformance):
    @pytest.fixture(autouse=True)
    def _remote(self, lbpy_remote):
        self.remote = lbpy_remote

    def datasource_settings(self):
        return {"connector": "rest", "baseURL": f"{self.remote}/api", "crud": True}

"""The openapi connector over real remotes, from the documents they publish: an lbpy app served
by ``lbpy start`` (its /openapi.json, OpenAPI 3) and a LoopBack 3 app (its
/explorer/swagger.json, Swagger 2.0); models over them pass lbpy's conformance kit, their CRUD
reaching the remote through the documents' operations, each argument checked against the
document's schemas."""

from __future__ import annotations

import pytest

from lbpy.testing import ConnectorConformance


class TestOpenApiOverLbpy(ConnectorConformance):
    @pytest.fixture(autouse=True)
    def _remote(self, lbpy_remote):
        self.remote = lbpy_remote

    def datasource_settings(self):
        return {"connector": "openapi", "spec": f"{self.remote}/openapi.json"}


class TestOpenApiOverLoopBack3(ConnectorConformance):
    modes = ("model",)  # the connector's own methods are the same code as over lbpy

    @pytest.fixture(autouse=True)
    def _remote(self, loopback3_remote):
        self.remote = loopback3_remote

    def datasource_settings(self):
        # the document has no host: its basePath is read against the URL it came from; LoopBack
        # 3 orders null and false otherwise than lbpy, so lbpy sorts
        return {"connector": "openapi", "spec": f"{self.remote}/explorer/swagger.json", "filters": {"order": False}}

"""A component of server/component-config.json that lbpy does not have does not stop the boot."""

from __future__ import annotations

import json
import logging

from conftest import write_app
from starlette.testclient import TestClient

from lbpy import create_app


def test_an_unknown_component_warns_once_and_the_app_boots(tmp_path, caplog):
    root = write_app(tmp_path / "app", {"Note": {"properties": {"title": {"type": "string"}}}})
    (root / "server" / "component-config.json").write_text(
        json.dumps(
            {
                "loopback-component-explorer": {"mountPath": "/explorer"},
                "loopback-component-passport": {"providers": "providers.json"},
                "loopback-component-storage": False,
            }
        )
    )
    with caplog.at_level(logging.WARNING, logger="lbpy"), TestClient(create_app(root)) as api:
        assert api.get("/api/Notes").status_code == 200
        assert api.get("/explorer/").status_code == 200
    warnings = [r.getMessage() for r in caplog.records if "component" in r.getMessage()]
    expected = (
        'component "loopback-component-passport" (server/component-config.json) is not part of lbpy and is '
        "not loaded: do what it did in a boot script (server/boot/*.py), or remove it"
    )
    assert warnings == [expected]

"""Hostile requests on the embedded stores: each is a 4xx or is stored safely, and no store is
left answering later requests with a 500."""

from __future__ import annotations

import pytest
from hostile_input import check_hostile_requests


@pytest.mark.parametrize("connector", ["memory", "sqlite"])
def test_no_request_earns_a_500_or_poisons_the_store(tmp_path, connector):
    check_hostile_requests(tmp_path / "app", {"name": "db", "connector": connector,
                                              "file": str(tmp_path / "db.sqlite3")})


def test_the_memory_connector_keeps_a_non_strict_models_extra_data_as_loopback_did(make_client):
    client = make_client({"Order": {"properties": {"total": "number"}, "strict": False}})
    created = client.post("/api/Orders", json={"total": 1, "extra": "x"}).json()
    assert created == client.get("/api/Orders/1").json() == {"total": 1, "extra": "x", "id": 1}

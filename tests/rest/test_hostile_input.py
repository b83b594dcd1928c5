"""Hostile requests on the embedded stores: each is a 4xx or is stored safely, and no store is
left answering later requests with a 500."""

from __future__ import annotations

import pytest
from hostile_input import check_hostile_requests


@pytest.mark.parametrize("connector", ["memory", "sqlite"])
def test_no_request_earns_a_500_or_poisons_the_store(tmp_path, connector):
    check_hostile_requests(
        tmp_path / "app", {"name": "db", "connector": connector, "file": str(tmp_path / "db.sqlite3")}
    )


def test_the_memory_connector_keeps_a_non_strict_models_extra_data_as_loopback_did(make_client):
    client = make_client({"Order": {"properties": {"total": "number"}, "strict": False}})
    created = client.post("/api/Orders", json={"total": 1, "extra": "x"}).json()
    assert created == client.get("/api/Orders/1").json() == {"total": 1, "extra": "x", "id": 1}


NOTE = {"properties": {"title": "string", "secret": "string"}, "hidden": ["secret"]}


def test_a_write_limited_by_a_hidden_property_is_refused_and_changes_nothing(make_client):
    client = make_client({"Note": NOTE})
    for title in ("a", "b"):
        client.post("/api/Notes", json={"title": title, "secret": "XYZ" + title})
    for path in ("/api/Notes/update", "/api/Notes/upsertWithWhere"):
        answer = client.post(path, params={"where": '{"secret": {"like": "XYZa%"}}'}, json={"title": "hacked"})
        assert answer.status_code == 400, path
        error = answer.json()["error"]
        assert error["code"] == "HIDDEN_PROPERTY" and '"secret"' in error["message"]
        both = client.post(path, params={"where": '{"or": [{"title": "a"}, {"secret": "XYZa"}]}'}, json={"title": "x"})
        assert both.status_code == 400, path
    assert sorted(n["title"] for n in client.get("/api/Notes").json()) == ["a", "b"]


def test_a_read_still_ignores_a_condition_on_a_hidden_property_as_loopback_did(make_client):
    client = make_client({"Note": NOTE})
    client.post("/api/Notes", json={"title": "a", "secret": "s"})
    found = client.get("/api/Notes", params={"filter": '{"where": {"secret": "no such value"}}'}).json()
    assert [n["title"] for n in found] == ["a"]  # no value can be probed
    assert client.get("/api/Notes/count", params={"where": '{"secret": "s"}'}).json() == {"count": 1}

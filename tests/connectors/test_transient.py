"""The transient connector: models that validate and answer, but are never stored (LoopBack's)."""

from __future__ import annotations

import re

import pytest

CALC = {"properties": {"a": {"type": "number", "required": True}}}


@pytest.fixture
def api(make_client):
    return make_client({"Calc": CALC}, datasources={"db": {"name": "db", "connector": "transient"}})


def test_a_create_answers_the_validated_record_with_a_fresh_id_and_keeps_nothing(api):
    created = api.post("/api/Calcs", json={"a": "1"})
    assert created.status_code == 200
    body = created.json()
    assert body["a"] == 1 and re.fullmatch(r"[0-9a-f]{24}", body["id"])
    assert api.post("/api/Calcs", json={"a": 1}).json()["id"] != body["id"]
    assert api.get("/api/Calcs").json() == []
    assert api.get("/api/Calcs/count").json() == {"count": 0}
    assert api.get(f"/api/Calcs/{body['id']}").status_code == 404
    assert api.get(f"/api/Calcs/{body['id']}/exists").json() == {"exists": False}


def test_validation_still_runs(api):
    answer = api.post("/api/Calcs", json={})
    assert answer.status_code == 422
    assert answer.json()["error"]["details"]["codes"] == {"a": ["presence"]}


def test_updates_and_deletes_match_nothing(api):
    assert api.patch("/api/Calcs/abc", json={"a": 2}).status_code == 404
    assert api.post("/api/Calcs/update?where={}", json={"a": 2}).json() == {"count": 0}
    assert api.delete("/api/Calcs/abc").json() == {"count": 0}
    assert [r["a"] for r in api.post("/api/Calcs", json=[{"a": 1}, {"a": 2}]).json()] == [1, 2]

"""A record as answered: hidden properties are left out at every depth, including in the records
a model embeds (embedsOne, embedsMany, a property typed with another model), as LoopBack's
toJSON left them out; protected properties are left out where the record is nested."""

from __future__ import annotations

import json

import pytest

MODELS = {
    "Customer": {
        "properties": {"name": "string", "pin": "string", "billing": "Address", "previous": ["Address"]},
        "hidden": ["pin"],
        "relations": {
            "address": {"type": "embedsOne", "model": "Address"},
            "contacts": {"type": "embedsMany", "model": "Address"},
            "orders": {"type": "hasMany", "model": "Order", "foreignKey": "customerId"},
        },
    },
    "Order": {
        "properties": {"total": "number", "shipTo": "Address"},
        "relations": {"customer": {"type": "belongsTo", "model": "Customer", "foreignKey": "customerId"}},
    },
    "Address": {
        "base": "Model",
        "properties": {"street": "string", "doorCode": "string", "note": "string"},
        "hidden": ["doorCode"],
        "protected": ["note"],
    },
}

ADDRESS = {"street": "Main St", "doorCode": "4711", "note": "ring twice"}
SHOWN = {"street": "Main St", "note": "ring twice"}


@pytest.fixture
def api(make_client):
    client = make_client(MODELS, model_config={"Address": {"dataSource": None, "public": False}})
    created = client.post(
        "/api/Customers",
        json={
            "name": "Ann",
            "pin": "1234",
            "billing": ADDRESS,
            "previous": [ADDRESS],
            "_address": ADDRESS,
            "addresses": [{**ADDRESS, "id": "a1"}],
        },
    )
    assert created.status_code == 200, created.text
    assert client.post("/api/Orders", json={"total": 5, "shipTo": ADDRESS, "customerId": 1}).status_code == 200
    return client


def test_the_hidden_properties_of_embedded_records_are_left_out(api):
    for path in [
        "/Customers/1",
        "/Customers",
        "/Customers/findOne",
        "/Customers/1/address",
        "/Customers/1/contacts",
        "/Orders/1/customer",
    ]:
        answer = api.get("/api" + path)
        assert answer.status_code == 200, path
        assert "4711" not in answer.text and "1234" not in answer.text, path
    customer = api.get("/api/Customers/1").json()
    assert customer["billing"] == SHOWN and customer["previous"] == [SHOWN]
    assert customer["_address"] == SHOWN and customer["addresses"] == [{**SHOWN, "id": "a1"}]


def test_included_records_leave_out_their_embedded_hidden_and_protected_properties(api):
    orders = api.get("/api/Orders?filter=" + json.dumps({"include": "customer"})).json()
    assert orders[0]["shipTo"] == SHOWN
    customer = orders[0]["customer"]
    assert "pin" not in customer and customer["billing"] == {"street": "Main St"}
    found = api.get("/api/Customers/1?filter=" + json.dumps({"include": "orders"})).json()
    assert found["orders"][0]["shipTo"] == {"street": "Main St"}
    created = api.post("/api/Orders", json={"total": 6, "shipTo": ADDRESS, "customerId": 1})
    assert created.json()["shipTo"] == SHOWN

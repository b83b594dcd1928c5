"""The OpenAPI 3 document's filter and where schemas say what the server accepts: a filter the
document allows is answered 200, and the filters it leaves out that the server refuses are a 400.
The schemas never refer to themselves, so that tools can walk them (inline every reference)."""

from __future__ import annotations

import json

import pytest

jsonschema = pytest.importorskip("jsonschema", reason="jsonschema comes with schemathesis (pip install -e '.[test]')")

MODELS = {
    "Customer": {
        "properties": {
            "name": {"type": "string", "required": True},
            "age": "number",
            "vip": "boolean",
            "born": "date",
            "tags": ["string"],
            "address": "object",
            "secret": "string",
        },
        "hidden": ["secret"],
        "relations": {"orders": {"type": "hasMany", "model": "Order"}},
    },
    "Order": {
        "strict": True,
        "properties": {"total": "number"},
        "relations": {"customer": {"type": "belongsTo", "model": "Customer"}},
    },
}


def _inline(node, schemas: dict, depth: int = 0):
    """The document's schema as JSON Schema, every reference inlined (OpenAPI 3.0's nullable as
    JSON Schema's null); a reference cycle would not end, and fails here."""
    assert depth < 20, "a schema refers to itself"
    if isinstance(node, list):
        return [_inline(item, schemas, depth) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        return _inline(schemas[node["$ref"].rsplit("/", 1)[1]], schemas, depth + 1)
    out = {key: _inline(value, schemas, depth) for key, value in node.items() if key not in ("nullable", "example")}
    return {"anyOf": [out, {"type": "null"}]} if node.get("nullable") else out


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    from conftest import write_app
    from starlette.testclient import TestClient

    from lbpy import create_app

    with TestClient(create_app(write_app(tmp_path_factory.mktemp("shop"), MODELS))) as client:
        yield from _shop(client)


def _shop(client):
    customer = client.post("/api/Customers", json={"name": "Ann", "age": 30, "tags": ["a"]}).json()
    client.post(f"/api/Customers/{customer['id']}/orders", json={"total": 5})
    document = client.get("/openapi.json").json()
    schemas = document["components"]["schemas"]

    validators: dict = {}

    def parameter(path: str, name: str):
        if (path, name) not in validators:
            (found,) = [p for p in document["paths"][path]["get"]["parameters"] if p["name"] == name]
            schema = _inline(found["content"]["application/json"]["schema"], schemas)
            validators[path, name] = jsonschema.Draft7Validator(schema)
        return validators[path, name]

    yield client, parameter


ACCEPTED = [
    {"include": "orders"},
    {"include": ["orders", {"relation": "orders", "scope": {"where": {"total": {"gt": 1}}, "limit": 2}}]},
    {"include": {"orders": True}},
    {"where": {"age": {"between": [1, 40]}, "name": {"inq": ["Ann", None]}}},
    {"where": {"or": [{"age": None}, {"born": {"lt": "2030-01-01T00:00:00Z"}}], "tags": "a"}},
    {"where": {"address": None, "vip": {"neq": True}, "name": {"regexp": "An"}}},
    {"where": {"nickname": {"like": "A"}}},  # a property the model does not declare
    {"order": "age DESC, name", "fields": {"name": True, "age": True}, "limit": 5, "skip": 0},
    {"order": ["name asc"], "fields": ["name"]},
]
REFUSED = [
    {"include": [None, None]},
    {"include": "nothing"},
    {"include": 5},
    {"where": {"age": {"between": [None, None]}}},
    {"where": {"age": {"between": [1]}}},
    {"where": {"age": {"gt": None}}},
    {"where": {"age": {"unknown": 1}}},
    {"where": {"address": {"city": "x"}}},
    {"where": {"name": {"regexp": "("}}},
    {"where": {"and": [1]}},
    {"limit": -1},
]


@pytest.mark.parametrize("accepted", ACCEPTED, ids=json.dumps)
def test_a_filter_the_document_allows_is_answered(shop, accepted):
    client, parameter = shop
    parameter("/Customers", "filter").validate(accepted)
    answer = client.get("/api/Customers", params={"filter": json.dumps(accepted)})
    assert answer.status_code == 200, answer.text


@pytest.mark.parametrize("refused", REFUSED, ids=json.dumps)
def test_a_filter_the_server_refuses_is_outside_the_document(shop, refused):
    client, parameter = shop
    with pytest.raises(jsonschema.ValidationError):
        parameter("/Customers", "filter").validate(refused)
    assert client.get("/api/Customers", params={"filter": json.dumps(refused)}).status_code == 400


def test_a_relations_filter_is_its_targets_and_a_strict_model_orders_by_its_properties(shop):
    client, parameter = shop
    order_filter = parameter("/Customers/{id}/orders", "filter")
    order_filter.validate({"where": {"total": {"gte": 1}}, "order": "total DESC"})
    with pytest.raises(jsonschema.ValidationError):
        order_filter.validate({"order": "nickname"})
    answer = client.get("/api/Orders", params={"filter": json.dumps({"order": "nickname"})})
    assert answer.status_code == 400
    with pytest.raises(jsonschema.ValidationError):
        parameter("/Customers/count", "where").validate({"age": {"between": [None, None]}})


def test_no_filter_schema_asks_for_values_of_unbounded_depth(shop):
    """A ``not`` (generate anything, then filter) or a bare object nests without bound."""
    _, parameter = shop
    for path, name in [("/Customers", "filter"), ("/Customers/count", "where"), ("/Customers/{id}/orders", "filter")]:
        text = json.dumps(parameter(path, name).schema)
        assert '"not":' not in text
        assert '{"type": "object"}' not in text

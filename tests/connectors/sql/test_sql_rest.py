"""The REST API answers the same on SQLite, PostgreSQL and MariaDB as on the memory connector.

One scenario of HTTP requests (create, find with every operator, order, fields, limit/skip, count,
findOne, exists, update with where, replace, upsert, upsertWithWhere, delete, validation errors,
unknown ids) runs against an app on the memory connector and the same app on each SQL database;
every response must have the same status and body. The one deliberate difference, that SQL cannot
keep a property set to null apart from one never set (both read back as left out, where the memory
connector shows the explicit null), is normalised away.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from sql_support import BACKENDS, datasource_settings, require, sql_session  # noqa: F401

CUSTOMER = {
    "strict": True,
    "properties": {
        "name": {"type": "string", "required": True},
        "age": {"type": "number"},
        "vip": {"type": "boolean", "default": False},
        "born": {"type": "date"},
        "tags": ["string"],
        "address": {"type": "object"},
    },
    "hidden": ["secret"],
}
CUSTOMER["properties"]["secret"] = {"type": "string"}

GADGET = {"idInjection": False, "properties": {"code": {"type": "string", "id": True}, "label": "string"}}

PEOPLE = [
    {
        "name": "Alice",
        "age": 30,
        "vip": True,
        "born": "1990-05-01",
        "tags": ["a", "b"],
        "address": {"city": "Paris"},
        "secret": "s1",
    },
    {"name": "bob", "age": 25, "born": "1995-01-15T10:00:00Z", "tags": ["b"], "address": {"city": "London"}},
    {"name": "Carol", "age": None, "vip": True, "tags": [], "address": {"city": "paris"}},
    {"name": "dave", "born": "2000-12-31T23:59:59Z", "tags": ["a"]},
    {"name": "Eve_1", "age": 40, "tags": ["c", "a"], "address": {"city": "Berlin", "zip": 10115}},
    {"name": "a.c%d", "age": 35, "address": {"city": "Paris"}, "secret": "s6"},
]

FIND_FILTERS = [
    {"where": {"age": 30}},
    {"where": {"age": {"neq": 30}}},
    {"where": {"age": {"gt": 26}}},
    {"where": {"age": {"between": [25, 35]}}},
    {"where": {"name": {"inq": ["Alice", "bob"]}}},
    {"where": {"name": {"nin": ["Alice"]}}},
    {"where": {"name": {"like": "a"}}},
    {"where": {"name": {"nlike": "a"}}},
    {"where": {"name": {"ilike": "A%"}}},
    {"where": {"name": {"nilike": "e"}}},
    {"where": {"name": {"regexp": "^[a-c]"}}},
    {"where": {"name": {"regexp": "/^[a-c]/i"}}},
    {"where": {"age": None}},
    {"where": {"age": {"neq": None}}},
    {"where": {"tags": "a"}},
    {"where": {"address.city": "Paris"}},
    {"where": {"address.zip": {"gt": 10000}}},
    {"where": {"born": {"gt": "1995-01-01"}}},
    {"where": {"vip": True}},
    {"where": {"or": [{"age": {"lt": 26}}, {"and": [{"vip": True}, {"age": {"gte": 30}}]}]}},
    {"where": {"secret": "s1"}},
    {"order": "age DESC"},
    {"order": ["vip DESC", "name ASC"]},
    {"order": "born"},
    {"order": "address.city DESC"},
    {"order": "secret"},
    {"fields": ["name", "age"]},
    {"fields": {"tags": False}},
    {"fields": {"secret": True, "name": True}},
    {"limit": 2},
    {"limit": 2, "skip": 2},
    {"offset": 5},
    {"where": {"age": {"gt": 1}}, "order": "age ASC", "limit": 2, "skip": 1, "fields": ["name"]},
]

BRACKETS = [
    "filter[where][age][gt]=26",
    "filter[where][name][inq][]=Alice&filter[where][name][inq][]=dave",
    "filter[where][address.city]=Paris",
    "filter[order]=age%20DESC&filter[limit]=3",
    "filter[fields][name]=true",
    "filter[where][or][0][age]=25&filter[where][or][1][name]=dave",
    "filter[where][born][lt]=1996-01-01",
    "filter[where][vip]=false",
    "filter[skip]=4",
]


def scenario(client) -> list[tuple[str, Any]]:
    """Requests a LoopBack app answers; returns (label, (status, body)) for each."""
    answers: list[tuple[str, Any]] = []

    def say(label: str, response) -> Any:
        body = response.json() if response.content else None
        answers.append((label, (response.status_code, _normalise(body))))
        return body

    for person in PEOPLE:
        say(f"create {person['name']}", client.post("/api/Customers", json=person))
    say("create many", client.post("/api/Customers", json=[{"name": "Frank", "age": 50}, {"name": "Gina"}]))
    for flt in FIND_FILTERS:
        say(f"find {flt}", client.get("/api/Customers", params={"filter": json.dumps(flt)}))
    for query in BRACKETS:
        say(f"find {query}", client.get(f"/api/Customers?{query}"))
    for where in [None, {"age": {"gt": 26}}, {"tags": "b"}, {"age": "30"}, {"secret": "s1"}]:
        params = {"where": json.dumps(where)} if where else {}
        say(f"count {where}", client.get("/api/Customers/count", params=params))
    say("count brackets", client.get("/api/Customers/count?where[vip]=true"))
    say(
        "findOne",
        client.get(
            "/api/Customers/findOne", params={"filter": json.dumps({"where": {"age": {"gt": 30}}, "order": "age DESC"})}
        ),
    )
    say("findOne none", client.get("/api/Customers/findOne", params={"filter": json.dumps({"where": {"age": 99}})}))
    say("findById", client.get("/api/Customers/1"))
    say("findById fields", client.get("/api/Customers/1", params={"filter": json.dumps({"fields": ["name"]})}))
    say("findById unknown", client.get("/api/Customers/999"))
    say("findById not a number", client.get("/api/Customers/abc"))
    say("exists", client.get("/api/Customers/2/exists"))
    say("exists unknown", client.get("/api/Customers/999/exists"))
    say("head", client.head("/api/Customers/2"))
    say("patch", client.patch("/api/Customers/2", json={"age": "26", "tags": ["x"]}))
    say("patch unknown", client.patch("/api/Customers/999", json={"age": 1}))
    say("patch invalid", client.patch("/api/Customers/2", json={"age": "old"}))
    say("patch strict", client.patch("/api/Customers/2", json={"nickname": "b"}))
    say("replace", client.put("/api/Customers/3", json={"name": "Caroline", "age": 33}))
    say("replace via POST", client.post("/api/Customers/4/replace", json={"name": "David"}))
    say("replace unknown", client.put("/api/Customers/999", json={"name": "Nobody"}))
    say("replace missing name", client.put("/api/Customers/4", json={"age": 1}))
    say("replaceOrCreate existing", client.put("/api/Customers", json={"id": 5, "name": "Eve", "age": 41}))
    say("replaceOrCreate new", client.put("/api/Customers", json={"name": "Hank", "age": 60}))
    say("replaceOrCreate POST", client.post("/api/Customers/replaceOrCreate", json={"id": 1, "name": "Alicia"}))
    say("upsert existing", client.patch("/api/Customers", json={"id": 6, "age": 36}))
    say("upsert new", client.patch("/api/Customers", json={"name": "Ivy", "age": 22}))
    say(
        "upsertWithWhere one",
        client.post("/api/Customers/upsertWithWhere", params={"where": json.dumps({"name": "Ivy"})}, json={"age": 23}),
    )
    say(
        "upsertWithWhere none",
        client.post(
            "/api/Customers/upsertWithWhere", params={"where": json.dumps({"name": "Jo"})}, json={"name": "Jo"}
        ),
    )
    say(
        "upsertWithWhere many",
        client.post("/api/Customers/upsertWithWhere", params={"where": json.dumps({"vip": True})}, json={"age": 1}),
    )
    say(
        "update where",
        client.post("/api/Customers/update", params={"where": json.dumps({"age": {"gt": 30}})}, json={"vip": True}),
    )
    say("update brackets", client.post("/api/Customers/update?where[name]=bob", json={"age": "27"}))
    say(
        "update nothing matches",
        client.post("/api/Customers/update", params={"where": json.dumps({"name": "zed"})}, json={"age": 1}),
    )
    say(
        "update invalid",
        client.post("/api/Customers/update", params={"where": json.dumps({"name": "bob"})}, json={"age": "x"}),
    )
    say("create invalid", client.post("/api/Customers", json={"name": "", "age": "x"}))
    say("create strict", client.post("/api/Customers", json={"name": "K", "shoe": 42}))
    say("create with id", client.post("/api/Customers", json={"id": 1, "name": "dup"}))
    say("delete", client.delete("/api/Customers/2"))
    say("delete again", client.delete("/api/Customers/2"))
    say("after", client.get("/api/Customers", params={"filter": json.dumps({"order": "id"})}))
    say("count after", client.get("/api/Customers/count"))
    say("gadget", client.post("/api/Gadgets", json={"code": "g-1", "label": "one"}))
    say("gadget duplicate", client.post("/api/Gadgets", json={"code": "g-1", "label": "again"}))
    say("gadget find", client.get("/api/Gadgets/g-1"))
    say("gadget patch", client.patch("/api/Gadgets/g-1", json={"label": "uno"}))
    say("gadget list", client.get("/api/Gadgets"))
    say("gadget delete", client.delete("/api/Gadgets/g-1"))
    return answers


def _normalise(body: Any) -> Any:
    """Records without their null values (see the module doc)."""
    if isinstance(body, list):
        return [_normalise(item) for item in body]
    if isinstance(body, dict) and "error" not in body:
        return {k: v for k, v in body.items() if v is not None}
    return body


MODELS = {"Customer": CUSTOMER, "Gadget": GADGET}


@pytest.fixture(scope="module")
def memory_answers(tmp_path_factory):
    from conftest import write_app
    from starlette.testclient import TestClient

    from lbpy import create_app

    root = write_app(tmp_path_factory.mktemp("memory"), MODELS)
    with TestClient(create_app(root), raise_server_exceptions=False) as client:
        return scenario(client)


@pytest.mark.parametrize("backend_name", BACKENDS)
def test_rest_answers_are_the_memory_connectors(backend_name, memory_answers, make_client, tmp_path, sql_session):
    require(backend_name)
    client = make_client(MODELS, datasources={"db": datasource_settings(backend_name, tmp_path)})
    client.portal.call(client.app.datasources["db"].automigrate)
    answers = scenario(client)
    assert [label for label, _ in answers] == [label for label, _ in memory_answers]
    for (label, got), (_, expected) in zip(answers, memory_answers, strict=True):
        assert got == expected, label


@pytest.mark.parametrize("backend_name", BACKENDS)
def test_the_autoupdate_setting_creates_tables_on_the_first_request(backend_name, make_client, tmp_path, sql_session):
    require(backend_name)
    settings = datasource_settings(backend_name, tmp_path, autoupdate=True)
    models = {
        "Ledger": {
            "options": {
                "postgresql": {"table": f"ledger_{tmp_path.name[-8:].lower()}"},
                "mysql": {"table": f"ledger_{tmp_path.name[-8:].lower()}"},
            },
            "properties": {"entry": "string"},
        }
    }
    client = make_client(models, datasources={"db": settings})
    created = client.post("/api/Ledgers", json={"entry": "first"})
    assert created.status_code == 200, created.text
    assert client.get("/api/Ledgers").json() == [{"entry": "first", "id": 1}]
    client.portal.call(client.app.datasources["db"].automigrate)  # leave nothing behind


@pytest.mark.parametrize("backend_name", BACKENDS)
def test_a_table_that_does_not_exist_says_to_migrate(backend_name, make_client, tmp_path, sql_session):
    require(backend_name)
    models = {
        "Missing": {
            "options": {
                "postgresql": {"table": "never_created"},
                "mysql": {"table": "never_created"},
                "sqlite3": {"table": "never_created"},
            },
            "properties": {"x": "string"},
        }
    }
    client = make_client(models, datasources={"db": datasource_settings(backend_name, tmp_path)})
    response = client.get("/api/Missings")
    assert response.status_code == 500
    assert "lbpy migrate" in response.json()["error"]["message"]


@pytest.mark.parametrize("backend_name", BACKENDS)
def test_properties_a_model_does_not_declare_are_not_stored(backend_name, make_client, tmp_path, sql_session):
    """A deliberate difference, as in LoopBack's SQL connectors: a non-strict model's undeclared
    properties have no column to live in. The memory connector keeps them."""
    require(backend_name)
    client = make_client(
        {"Note": {"properties": {"title": "string"}}}, datasources={"db": datasource_settings(backend_name, tmp_path)}
    )
    client.portal.call(client.app.datasources["db"].automigrate)
    created = client.post("/api/Notes", json={"title": "t", "extra": 1})
    assert created.status_code == 200
    assert client.get("/api/Notes/1").json() == {"title": "t", "id": 1}

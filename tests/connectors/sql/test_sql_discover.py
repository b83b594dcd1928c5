"""Discovery reads an existing database: tables and views, columns, primary and foreign keys."""

from __future__ import annotations

import pytest
from sql_support import BACKENDS, boot, datasource_settings, portal, require, sql_session  # noqa: F401

SCHEMA_SQL = {
    "common": [
        (
            "CREATE TABLE disc_customer (id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(50) NOT NULL, "
            "born {timestamp}, vip {boolean})"
        ),
        (
            "CREATE TABLE disc_order (id INTEGER NOT NULL PRIMARY KEY, customer_id INTEGER NOT NULL, "
            "total DECIMAL(10, 2), note TEXT, "
            "CONSTRAINT disc_order_customer_fk FOREIGN KEY (customer_id) REFERENCES disc_customer (id))"
        ),
        "CREATE VIEW disc_big_orders AS SELECT id, total FROM disc_order WHERE total > 100",
    ],
}
TYPES = {
    "sqlite": {"timestamp": "DATETIME", "boolean": "BOOLEAN"},
    "postgresql": {"timestamp": "TIMESTAMP WITH TIME ZONE", "boolean": "BOOLEAN"},
    "mysql": {"timestamp": "DATETIME", "boolean": "TINYINT(1)"},
}


@pytest.fixture(params=BACKENDS)
def discovered(request, tmp_path, portal, sql_session):
    require(request.param)
    app = boot(tmp_path / "app", {}, datasource_settings(request.param, tmp_path))
    datasource = app.datasources["db"]
    connector = datasource.connector
    portal.call(datasource.connect)

    def run(*statements):
        if request.param == "postgresql":
            statements = (f'SET search_path TO "{connector.config.schema}"', *statements)

        def work(conn):
            for statement in statements:
                conn.exec_driver_sql(statement)

        portal.call(connector._run, work)

    run("DROP VIEW IF EXISTS disc_big_orders", "DROP TABLE IF EXISTS disc_order", "DROP TABLE IF EXISTS disc_customer")
    run(*[s.format(**TYPES[request.param]) for s in SCHEMA_SQL["common"]])
    yield request.param, datasource
    run(
        "DROP VIEW IF EXISTS disc_big_orders",
        "SET search_path TO DEFAULT" if request.param == "postgresql" else "SELECT 1",
    )
    portal.call(datasource.disconnect)


def test_tables_and_views_are_discovered(discovered, portal):
    _, datasource = discovered
    found = portal.call(datasource.discover_model_definitions, {})
    by_name = {d["name"]: d for d in found}
    assert by_name["disc_customer"]["type"] == "table"
    assert by_name["disc_order"]["type"] == "table"
    assert by_name["disc_big_orders"]["type"] == "view"
    assert all(d.get("owner") for d in found)
    tables_only = portal.call(datasource.discover_model_definitions, {"views": False})
    assert "disc_big_orders" not in {d["name"] for d in tables_only}


def test_columns_are_discovered_with_loopback_types(discovered, portal):
    _, datasource = discovered
    columns = {c["columnName"]: c for c in portal.call(datasource.discover_model_properties, "disc_customer")}
    assert list(columns) == ["id", "name", "born", "vip"]
    assert columns["id"]["type"] == "Number" and columns["id"]["nullable"] == "N"
    assert columns["name"]["type"] == "String" and columns["name"]["dataLength"] == 50
    assert columns["name"]["nullable"] == "N"
    assert columns["born"]["type"] == "Date" and columns["born"]["nullable"] == "Y"
    assert columns["vip"]["type"] == "Boolean"
    order = {c["columnName"]: c for c in portal.call(datasource.discover_model_properties, "disc_order")}
    assert order["total"]["type"] == "Number"
    assert (order["total"]["dataPrecision"], order["total"]["dataScale"]) == (10, 2)
    assert order["note"]["type"] == "String"
    assert all(c["tableName"] == "disc_order" for c in order.values())
    assert portal.call(datasource.discover_model_properties, "no_such_table") == []


def test_primary_and_foreign_keys_are_discovered(discovered, portal):
    _, datasource = discovered
    keys = portal.call(datasource.discover_primary_keys, "disc_order")
    assert [(k["columnName"], k["keySeq"]) for k in keys] == [("id", 1)]
    foreign = portal.call(datasource.discover_foreign_keys, "disc_order")
    assert len(foreign) == 1
    fk = foreign[0]
    assert (fk["fkTableName"], fk["fkColumnName"], fk["pkTableName"], fk["pkColumnName"]) == (
        "disc_order",
        "customer_id",
        "disc_customer",
        "id",
    )
    exported = portal.call(datasource.connector.discover_exported_foreign_keys, "disc_customer", {})
    assert [(e["fkTableName"], e["fkColumnName"]) for e in exported] == [("disc_order", "customer_id")]
    assert portal.call(datasource.discover_foreign_keys, "disc_customer") == []


def test_lbpy_discover_turns_the_database_into_a_working_api(discovered, portal, tmp_path):
    """`lbpy discover --relations` writes models whose settings map back to the tables; the app
    then serves the existing rows and writes new ones through the discovered names."""
    import json

    from conftest import write_app
    from starlette.testclient import TestClient
    from typer.testing import CliRunner

    from lbpy import create_app
    from lbpy._cli import app as cli

    backend, datasource = discovered
    connector = datasource.connector

    def run(*statements):
        if backend == "postgresql":
            statements = (f'SET search_path TO "{connector.config.schema}"', *statements)

        def work(conn):
            for statement in statements:
                conn.exec_driver_sql(statement)

        portal.call(lambda: connector._run(work, write=True))

    run(
        "INSERT INTO disc_customer (id, name, vip) VALUES (1, 'Ada', "
        + ("true" if backend == "postgresql" else "1")
        + ")",
        "INSERT INTO disc_order (id, customer_id, total, note) VALUES (10, 1, 250.5, 'big')",
    )
    settings = {k: v for k, v in datasource.settings.items() if k != "name"}
    root = write_app(tmp_path / "api", {}, datasources={"db": {"name": "db", **settings}})
    result = CliRunner().invoke(
        cli, ["discover", "--app", str(root), "--datasource", "db", "--models", "disc_order", "--relations", "--yes"]
    )
    assert result.exit_code == 0, result.output
    order = json.loads((root / "common" / "models" / "disc-order.json").read_text())
    customer = json.loads((root / "common" / "models" / "disc-customer.json").read_text())
    assert order["relations"]["customer"] == {"type": "belongsTo", "model": "DiscCustomer", "foreignKey": "customerId"}
    assert customer["relations"]["discOrders"]["type"] == "hasMany"
    with TestClient(create_app(root)) as client:
        orders = client.get("/api/DiscOrders").json()
        assert orders == [{"id": 10, "customerId": 1, "total": 250.5, "note": "big"}]
        assert client.get("/api/DiscCustomers/1").json() == {"id": 1, "name": "Ada", "vip": True, "born": None}
        new_order = {"customerId": 1, "total": 5, "note": "small"}
        if not order["properties"]["id"].get("generated"):
            new_order["id"] = 11  # the database does not number orders: the client does
        created = client.post("/api/DiscOrders", json=new_order)
        assert created.status_code == 200, created.text
        found = client.get("/api/DiscOrders", params={"filter": json.dumps({"where": {"total": {"lt": 100}}})})
        assert [o["id"] for o in found.json()] == [created.json()["id"]]
        missing_name = client.post("/api/DiscCustomers", json={"id": 2})
        assert missing_name.status_code == 422  # name is NOT NULL: the discovered model requires it
        # the foreign key became relations the API serves
        with_customer = client.get("/api/DiscOrders/10", params={"filter": json.dumps({"include": "customer"})})
        assert with_customer.json()["customer"] == {"id": 1, "name": "Ada", "vip": True, "born": None}
        orders = client.get("/api/DiscCustomers/1/discOrders", params={"filter": json.dumps({"order": "id"})})
        assert [o["id"] for o in orders.json()] == [10, created.json()["id"]]

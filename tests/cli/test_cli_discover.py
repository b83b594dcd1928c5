"""lbpy discover: list what a datasource's connector exposes and write models from it."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from conftest import write_app
from typer.testing import CliRunner

from lbpy._cli import app as cli
from lbpy._connector_project import ConnectorAnswers, render_connector

SHOP = """
from lbpy import Connector

COLUMNS = {
    "customer": [("id", "integer", "N"), ("name", "text", "Y")],
    "customer_order": [("id", "integer", "N"), ("customer_id", "integer", "N"), ("total", "real", "Y")],
}

class Shop(Connector):
    name = "shop"
    blocking = False

    def all(self, model, filter, options):
        return []

    def discover_model_definitions(self, options=None):
        return [{"name": name, "type": "table", "owner": "main"} for name in COLUMNS]

    def discover_model_properties(self, name, options=None):
        return [{"owner": "main", "tableName": name, "columnName": c, "dataType": t, "nullable": n}
                for c, t, n in COLUMNS.get(name, [])]

    def discover_primary_keys(self, name, options=None):
        return [{"tableName": name, "columnName": "id", "keySeq": 1}] if name in COLUMNS else []

    def discover_foreign_keys(self, name, options=None):
        if name != "customer_order":
            return []
        return [{"fkTableName": name, "fkColumnName": "customer_id", "fkName": "fk_customer",
                 "pkOwner": "main", "pkTableName": "customer", "pkColumnName": "id", "keySeq": 1}]

def initialize(datasource):
    datasource.connector = Shop(datasource.settings, datasource)
"""


def discover(app: Path, *args: str):
    return CliRunner().invoke(cli, ["discover", "--app", str(app), *args])


@pytest.fixture
def shop_app(tmp_path) -> Path:
    root = write_app(
        tmp_path / "app",
        datasources={
            "db": {"name": "db", "connector": "memory"},
            "shop": {"name": "shop", "connector": "shop"},
        },
    )
    (root / "connectors" / "shop").mkdir(parents=True)
    (root / "connectors" / "shop" / "__init__.py").write_text(textwrap.dedent(SHOP))
    return root


def model_json(root: Path, file: str) -> dict:
    return json.loads((root / "common" / "models" / file).read_text())


def model_config(root: Path) -> dict:
    return json.loads((root / "server" / "model-config.json").read_text())


def test_lists_the_tables_and_writes_the_chosen_model(shop_app):
    result = discover(shop_app, "--datasource", "shop", "--models", "customer", "--yes")
    assert result.exit_code == 0, result.output
    assert "customer_order" in result.output and "CustomerOrder" in result.output  # the table
    customer = model_json(shop_app, "customer.json")
    assert customer["name"] == "Customer"
    assert customer["options"]["shop"] == {"schema": "main", "table": "customer"}
    assert customer["properties"]["id"]["id"] == 1
    assert not (shop_app / "common" / "models" / "customer-order.json").exists()
    assert model_config(shop_app)["Customer"] == {"dataSource": "shop", "public": True}
    assert "wrote common/models/customer.json" in result.output


def test_relations_write_belongs_to_and_has_many(shop_app):
    result = discover(shop_app, "--datasource", "shop", "--models", "customer_order", "--relations", "--yes")
    assert result.exit_code == 0, result.output
    order = model_json(shop_app, "customer-order.json")
    customer = model_json(shop_app, "customer.json")
    assert order["relations"] == {"customer": {"type": "belongsTo", "model": "Customer", "foreignKey": "customerId"}}
    assert customer["relations"] == {
        "customerOrders": {"type": "hasMany", "model": "CustomerOrder", "foreignKey": "customerId"}
    }
    assert {"Customer", "CustomerOrder"} <= set(model_config(shop_app))
    assert "CustomerOrder.customer: belongsTo Customer" in result.output


def test_all_writes_every_table(shop_app):
    result = discover(shop_app, "--datasource", "shop", "--all")
    assert result.exit_code == 0, result.output
    assert {"Customer", "CustomerOrder"} <= set(model_config(shop_app))


def test_an_existing_model_is_kept_unless_force(shop_app):
    assert discover(shop_app, "--datasource", "shop", "--all").exit_code == 0
    (shop_app / "common" / "models" / "customer.json").write_text('{"name": "Customer", "x": 1}')
    result = discover(shop_app, "--datasource", "shop", "--all")
    assert result.exit_code == 2
    assert "model(s) Customer, CustomerOrder already exist; pass --force" in result.output
    assert model_json(shop_app, "customer.json") == {"name": "Customer", "x": 1}
    assert discover(shop_app, "--datasource", "shop", "--all", "--force").exit_code == 0
    assert model_json(shop_app, "customer.json")["options"]["shop"]["table"] == "customer"


def test_an_unknown_table_is_refused(shop_app):
    result = discover(shop_app, "--datasource", "shop", "--models", "nope")
    assert result.exit_code == 2
    assert "--models: no table nope in the datasource; tables: customer, customer_order" in result.output


def test_an_unknown_datasource_is_refused(shop_app):
    result = discover(shop_app, "--datasource", "other", "--all")
    assert result.exit_code == 2
    assert "--datasource must be one of: db, shop" in result.output


def test_models_and_all_together_are_refused(shop_app):
    result = discover(shop_app, "--datasource", "shop", "--all", "--models", "customer")
    assert result.exit_code == 2


def test_outside_an_app_it_says_so(tmp_path):
    result = discover(tmp_path, "--all")
    assert result.exit_code == 2
    assert "is not an lbpy app" in result.output


def test_a_discovered_helloworld_model_serves_the_article_s_records(tmp_path):
    """The generated connector's Greeting table, discovered, is served over REST."""
    from starlette.testclient import TestClient

    from lbpy import create_app

    root = write_app(tmp_path / "app", datasources={"hw": {"name": "hw", "connector": "helloworld"}})
    render_connector(
        ConnectorAnswers(
            name="helloworld",
            package_name="lbpy-connector-helloworld",
            directory=root / "connectors" / "lbpy-connector-helloworld",
            description="Hello",
            author="",
            is_async=True,
        )
    )
    result = discover(root, "--yes")
    assert result.exit_code == 0, result.output
    greeting = model_json(root, "greeting.json")
    assert greeting["properties"]["id"]["type"] == "number"
    assert greeting["properties"]["name"]["type"] == "string"
    with TestClient(create_app(root)) as client:
        assert client.get("/api/Greetings").json() == [{"id": 1, "name": "hello"}, {"id": 2, "name": "world"}]
        assert client.post("/api/Greetings", json={"name": "again"}).json() == {"id": 3, "name": "again"}

"""Discovery results as LoopBack model JSON: names, types, keys and relations."""

from __future__ import annotations

from typing import ClassVar

import anyio
import pytest

from lbpy import Connector, DataSource, NotFoundError
from lbpy._connectors._discovery import build_schema, model_name, property_name, property_type


@pytest.mark.parametrize(
    "table, model",
    [
        ("customer", "Customer"),
        ("customer_orders", "CustomerOrders"),
        ("CUSTOMER", "Customer"),
        ("order-lines", "OrderLines"),
        ("HelloWorld", "HelloWorld"),
        ("Greeting", "Greeting"),
    ],
)
def test_table_names_become_model_names(table, model):
    assert model_name(table) == model


@pytest.mark.parametrize(
    "column, prop",
    [
        ("id", "id"),
        ("ID", "id"),
        ("FIRST_NAME", "firstName"),
        ("first_name", "firstName"),
        ("firstName", "firstName"),
        ("Zip", "zip"),
    ],
)
def test_column_names_become_property_names(column, prop):
    assert property_name(column) == prop


@pytest.mark.parametrize(
    "column, kind",
    [
        ({"type": "Number"}, "number"),
        ({"type": ["string"]}, ["string"]),
        ({"type": "[string]"}, ["string"]),
        ({"dataType": "VARCHAR2"}, "string"),
        ({"dataType": "int(11)"}, "number"),
        ({"dataType": "tinyint(1)"}, "boolean"),
        ({"dataType": "timestamp with time zone"}, "date"),
        ({"dataType": "jsonb"}, "object"),
        ({"dataType": "bytea"}, "buffer"),
        ({"dataType": "numeric"}, "number"),
        ({"dataType": "uuid"}, "string"),
    ],
)
def test_column_types_become_loopback_types(column, kind):
    assert property_type(column) == kind


def test_a_schema_has_the_shape_lbpy_model_writes():
    columns = [
        {
            "owner": "public",
            "tableName": "CUSTOMER",
            "columnName": "ID",
            "dataType": "integer",
            "nullable": "N",
            "generated": True,
        },
        {
            "owner": "public",
            "tableName": "CUSTOMER",
            "columnName": "FIRST_NAME",
            "dataType": "varchar",
            "dataLength": 40,
            "nullable": "N",
        },
        {
            "owner": "public",
            "tableName": "CUSTOMER",
            "columnName": "BALANCE",
            "dataType": "numeric",
            "dataPrecision": 10,
            "dataScale": 2,
            "nullable": "Y",
        },
    ]
    schema = build_schema("postgresql", "CUSTOMER", columns, [{"columnName": "ID", "keySeq": 1}])
    assert list(schema) == [
        "name",
        "base",
        "idInjection",
        "options",
        "properties",
        "validations",
        "relations",
        "acls",
        "methods",
    ]
    assert schema["name"] == "Customer"
    assert schema["options"] == {"validateUpsert": True, "postgresql": {"schema": "public", "table": "CUSTOMER"}}
    assert schema["properties"]["id"] == {
        "type": "number",
        "required": False,
        "id": 1,
        "generated": True,
        "postgresql": {"columnName": "ID", "dataType": "integer", "nullable": "N"},
    }
    assert schema["properties"]["firstName"]["required"] is True
    assert schema["properties"]["firstName"]["length"] == 40
    assert schema["properties"]["balance"]["precision"] == 10
    assert schema["properties"]["balance"]["required"] is False


class ShopConnector(Connector):
    """Two tables, orders pointing at customers."""

    name = "shop"
    blocking = False
    COLUMNS: ClassVar[dict[str, list[tuple[str, str, str]]]] = {
        "customer": [("id", "integer", "N"), ("name", "text", "Y")],
        "customer_order": [("id", "integer", "N"), ("customer_id", "integer", "N"), ("total", "real", "Y")],
    }

    def discover_model_definitions(self, options=None):
        return [{"name": name, "type": "table", "owner": "main"} for name in self.COLUMNS]

    def discover_model_properties(self, name, options=None):
        return [
            {"owner": "main", "tableName": name, "columnName": c, "dataType": t, "nullable": n}
            for c, t, n in self.COLUMNS.get(name, [])
        ]

    def discover_primary_keys(self, name, options=None):
        return [{"tableName": name, "columnName": "id", "keySeq": 1}] if name in self.COLUMNS else []

    def discover_foreign_keys(self, name, options=None):
        if name != "customer_order":
            return []
        return [
            {
                "fkTableName": name,
                "fkColumnName": "customer_id",
                "fkName": "fk_customer",
                "pkOwner": "main",
                "pkTableName": "customer",
                "pkColumnName": "id",
                "keySeq": 1,
            }
        ]


def shop() -> DataSource:
    import types

    module = types.ModuleType("shop_connector")
    module.initialize = lambda ds: setattr(ds, "connector", ShopConnector(ds.settings, ds))
    return DataSource("shop", {"connector": module})


def test_relations_become_belongs_to_and_has_many_and_reach_the_target_table():
    schemas = anyio.run(shop().discover_schemas, "customer_order", {"relations": True})
    assert sorted(schemas) == ["Customer", "CustomerOrder"]
    assert schemas["CustomerOrder"]["relations"] == {
        "customer": {"type": "belongsTo", "model": "Customer", "foreignKey": "customerId"}
    }
    assert schemas["Customer"]["relations"] == {
        "customerOrders": {"type": "hasMany", "model": "CustomerOrder", "foreignKey": "customerId"}
    }
    assert schemas["CustomerOrder"]["properties"]["customerId"]["shop"]["columnName"] == "customer_id"


def test_without_relations_only_the_table_is_described():
    schemas = anyio.run(shop().discover_schemas, "customer_order")
    assert list(schemas) == ["CustomerOrder"]
    assert schemas["CustomerOrder"]["relations"] == {}


def test_discover_schema_returns_one_definition():
    schema = anyio.run(shop().discover_schema, "customer")
    assert schema["name"] == "Customer"
    assert schema["properties"]["name"] == {
        "type": "string",
        "required": False,
        "shop": {"columnName": "name", "dataType": "text", "nullable": "Y"},
    }


def test_name_mapping_can_be_turned_off():
    schemas = anyio.run(shop().discover_schemas, "customer_order", {"nameMapper": None})
    assert list(schemas) == ["customer_order"]
    assert "customer_id" in schemas["customer_order"]["properties"]


def test_an_unknown_table_is_not_found():
    with pytest.raises(NotFoundError, match='Table "nope" does not exist'):
        anyio.run(shop().discover_schemas, "nope")

"""The connector contract end to end: errors to HTTP, how methods are called, connect and
disconnect, and what a connector receives when it evaluates only part of a filter."""

from __future__ import annotations

import json
import logging
import sys
import textwrap
import threading
import types
from pathlib import Path
from typing import ClassVar

import anyio
import pytest
from conftest import write_app

from lbpy import BootError, Connector, DataSource, NotFoundError, create_app

THING = {"properties": {"name": {"type": "string"}, "n": {"type": "number"}}}


def local_connector(app: Path, name: str, source: str) -> None:
    """A connector package in the app's connectors/ folder."""
    package = app / "connectors" / name
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(textwrap.dedent(source))


def app_with(tmp_path: Path, connector: str, source: str, models=None) -> Path:
    root = write_app(
        tmp_path / "app", models or {"Thing": THING}, datasources={"db": {"name": "db", "connector": connector}}
    )
    local_connector(root, connector, source)
    return root


def client_for(root: Path):
    from starlette.testclient import TestClient

    from lbpy import create_app

    return TestClient(create_app(root), raise_server_exceptions=False)


FAILING = """
from lbpy import Connector, NotFoundError, ValidationError

class Failing(Connector):
    name = "failing"

    def all(self, model, filter, options):
        where = filter.where or {}
        if where.get("name", {}).get("eq") == "boom":
            raise RuntimeError("backend exploded: table things is locked")
        return [{"id": 1, "name": "one"}]

    def create(self, model, data, options):
        if data.get("name") == "bad":
            raise ValidationError(model, {"name": [("format", "is refused by the backend")]},
                                  values=data)
        return 2

    def update_attributes(self, model, id, data, options):
        raise NotFoundError(f'Unknown "{model}" id "{id}".', code="MODEL_NOT_FOUND")

    def destroy_all(self, model, where, options):
        return {"count": 0}

def initialize(datasource):
    datasource.connector = Failing(datasource.settings, datasource)
"""


def test_a_validation_error_from_the_connector_is_a_422(tmp_path):
    with client_for(app_with(tmp_path, "failing", FAILING)) as client:
        response = client.post("/api/Things", json={"name": "bad"})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["name"] == "ValidationError"
    assert error["details"]["codes"] == {"name": ["format"]}
    assert "is refused by the backend" in error["message"]


def test_a_not_found_error_from_the_connector_is_a_404(tmp_path):
    with client_for(app_with(tmp_path, "failing", FAILING)) as client:
        response = client.patch("/api/Things/1", json={"name": "x"})
    assert response.status_code == 404
    assert response.json()["error"]["message"] == 'Unknown "Thing" id "1".'


def test_any_other_error_is_a_500_with_the_detail_in_the_log_only(tmp_path, caplog):
    with client_for(app_with(tmp_path, "failing", FAILING)) as client, caplog.at_level(logging.ERROR):
        response = client.get("/api/Things", params={"filter": '{"where": {"name": "boom"}}'})
    assert response.status_code == 500
    assert response.json() == {"error": {"statusCode": 500, "message": "Internal Server Error"}}
    assert "table things is locked" not in response.text
    assert "backend exploded: table things is locked" in caplog.text


RECORDING = """
import threading
from lbpy import Capabilities, Connector

CALLS = []

class Recording(Connector):
    name = "recording"
    capabilities = Capabilities(operators=frozenset({"eq"}), fields=False, order=False,
                                limit=False, nested_paths=False)

    def __init__(self, settings=None, datasource=None):
        super().__init__(settings, datasource)
        self.rows = {1: {"id": 1, "name": "a", "n": 1}, 2: {"id": 2, "name": "b", "n": 2},
                     3: {"id": 3, "name": "c", "n": 3}}

    def connect(self):
        CALLS.append(("connect", threading.current_thread().name))

    def disconnect(self):
        CALLS.append(("disconnect",))

    def _match(self, where):
        if where is None:
            return list(self.rows.values())
        (path, cond), = where.items()
        return [r for r in self.rows.values() if r.get(path) == cond["eq"]]

    def all(self, model, filter, options):
        CALLS.append(("all", filter.where, filter.order, filter.limit, filter.fields))
        return [dict(r) for r in self._match(filter.where)]

    def count(self, model, where, options):
        CALLS.append(("count", where))
        return len(self._match(where))

    def create(self, model, data, options):
        return 4

    def update_attributes(self, model, id, data, options):
        self.rows[id].update(data)
        return dict(self.rows[id])

    def update(self, model, where, data, options):
        CALLS.append(("update", where))
        rows = self._match(where)
        for row in rows:
            row.update(data)
        return {"count": len(rows)}

    def destroy_all(self, model, where, options):
        CALLS.append(("destroy_all", where))
        rows = self._match(where)
        for row in rows:
            del self.rows[row["id"]]
        return {"count": len(rows)}

def initialize(datasource):
    datasource.connector = Recording(datasource.settings, datasource)
"""


@pytest.fixture
def recording(tmp_path):
    root = app_with(tmp_path, "recording", RECORDING)
    with client_for(root) as client:
        calls = sys.modules["lbpy_connector_recording"].CALLS
        calls.clear()
        yield client, calls
    sys.modules.pop("lbpy_connector_recording", None)


def test_a_connector_receives_only_the_filter_parts_it_declared(recording):
    client, calls = recording
    response = client.get(
        "/api/Things",
        params={"filter": json.dumps({"where": {"n": {"gt": 1}}, "order": "n DESC", "limit": 1, "fields": ["name"]})},
    )
    assert response.json() == [{"name": "c"}]
    assert calls == [("all", None, None, None, None)]


def test_an_equality_goes_to_the_connector(recording):
    client, calls = recording
    assert client.get("/api/Things", params={"filter": '{"where": {"name": "b"}}'}).json() == [
        {"id": 2, "name": "b", "n": 2}
    ]
    assert calls == [("all", {"name": {"eq": "b"}}, None, None, None)]


def test_count_with_an_undeclared_operator_counts_what_lbpy_finds(recording):
    client, calls = recording
    assert client.get("/api/Things/count", params={"where": '{"n": {"lt": 3}}'}).json() == {"count": 2}
    assert [c[0] for c in calls] == ["all"]
    calls.clear()
    assert client.get("/api/Things/count", params={"where": '{"name": "a"}'}).json() == {"count": 1}
    assert calls == [("count", {"name": {"eq": "a"}})]


def test_update_with_an_undeclared_operator_goes_id_by_id(recording):
    client, calls = recording
    response = client.post("/api/Things/update", params={"where": '{"n": {"gte": 2}}'}, json={"name": "z"})
    assert response.json() == {"count": 2}
    assert [c for c in calls if c[0] == "update"] == [("update", {"id": {"eq": 2}}), ("update", {"id": {"eq": 3}})]
    assert [r["name"] for r in client.get("/api/Things").json()] == ["a", "z", "z"]


def test_connect_runs_once_at_start_and_disconnect_at_stop(tmp_path):
    root = app_with(tmp_path, "recording", RECORDING)
    client = client_for(root)
    with client:
        for _ in range(3):
            client.get("/api/Things")
        calls = sys.modules["lbpy_connector_recording"].CALLS
        assert [c[0] for c in calls].count("connect") == 1
        assert calls[0][0] == "connect"
    assert calls[-1] == ("disconnect",)
    sys.modules.pop("lbpy_connector_recording", None)


class ThreadConnector(Connector):
    name = "threads"
    seen: ClassVar[list[str]] = []

    def all(self, model, filter, options):
        ThreadConnector.seen.append(threading.current_thread().name)
        return []


class LoopConnector(ThreadConnector):
    blocking = False


class AsyncConnector(ThreadConnector):
    async def all(self, model, filter, options):
        ThreadConnector.seen.append(threading.current_thread().name)
        return [{"id": 1}]


def module_for(cls):
    module = types.ModuleType(f"conn_{cls.__name__}")
    module.initialize = lambda ds: setattr(ds, "connector", cls(ds.settings, ds))
    return module


@pytest.mark.parametrize("cls, on_loop", [(ThreadConnector, False), (LoopConnector, True), (AsyncConnector, True)])
def test_blocking_methods_run_off_the_event_loop(cls, on_loop):
    from lbpy import Filter

    ThreadConnector.seen = []

    async def main():
        datasource = DataSource("db", {"connector": module_for(cls)})
        await datasource.all("Thing", Filter(), {})
        return threading.current_thread().name

    loop_thread = anyio.run(main)
    assert (ThreadConnector.seen == [loop_thread]) is on_loop


def test_a_datasource_connects_once_before_its_first_call_even_under_concurrency():
    from lbpy import Filter

    class Counting(Connector):
        connects = 0

        async def connect(self):
            await anyio.sleep(0.01)
            Counting.connects += 1

        async def all(self, model, filter, options):
            return []

    async def main():
        datasource = DataSource("db", {"connector": module_for(Counting)})
        async with anyio.create_task_group() as group:
            for _ in range(5):
                group.start_soon(datasource.all, "Thing", Filter(), {})
        assert datasource.connected
        await datasource.disconnect()
        assert not datasource.connected

    anyio.run(main)
    assert Counting.connects == 1


def test_a_datasource_accepts_the_connector_module_itself():
    datasource = DataSource("db", {"connector": module_for(ThreadConnector)})
    assert isinstance(datasource.connector, ThreadConnector)
    assert datasource.settings["connector"] == "threads"
    assert datasource.connector.models is datasource.models


def test_a_connector_sees_the_definitions_of_the_models_attached_to_its_datasource(tmp_path):
    app = create_app(write_app(tmp_path / "app", {"Thing": {"properties": {"name": "string"}}}))
    connector = app.datasources["db"].connector
    assert list(connector.models) == ["Thing"]
    assert connector.model_definition("Thing") is app.model("Thing").spec
    assert connector.id_name("Thing") == "id"


def test_a_connector_written_for_the_datasource_argument_still_works():
    class OldStyle(ThreadConnector):
        def __init__(self, settings=None, datasource=None):
            super().__init__(settings, datasource)

    module = types.ModuleType("conn_old_style")
    module.initialize = lambda datasource: setattr(datasource, "connector", OldStyle(datasource.settings, datasource))
    datasource = DataSource("db", {"connector": module}, app_dir=Path("/srv/app"))
    assert datasource.connector.models is datasource.models
    assert datasource.connector.app_dir == Path("/srv/app")


def test_initialize_must_set_a_connector():
    module = types.ModuleType("conn_lazy")
    module.initialize = lambda datasource: None
    with pytest.raises(BootError, match=r"initialize\(datasource\) must set datasource.connector"):
        DataSource("db", {"connector": module})


def test_model_settings_and_table_name_come_from_the_model_json(tmp_path):
    from lbpy import create_app

    root = write_app(
        tmp_path,
        {
            "Top": {"properties": {}, "memory": {"table": "top_table"}},
            "Nested": {"properties": {}, "options": {"memory": {"table": "nested_table"}}},
            "Plain": {"properties": {}},
        },
    )
    connector = create_app(root).datasources["db"].connector
    assert connector.table_name("Top") == "top_table"
    assert connector.table_name("Nested") == "nested_table"
    assert connector.table_name("Plain") == "Plain"
    assert connector.model_settings("Plain") == {}
    assert connector.id_name("Plain") == "id"
    assert connector.id_name("NotAttached") == "id"


def test_the_base_discovery_describes_attached_models(tmp_path):
    from lbpy import create_app

    root = write_app(
        tmp_path,
        {
            "Customer": {"properties": {"name": {"type": "string", "required": True}}},
            "Order": {
                "properties": {"total": "number", "tags": ["string"]},
                "relations": {"customer": {"type": "belongsTo", "model": "Customer"}},
            },
        },
    )
    datasource = create_app(root).datasources["db"]

    async def main():
        return (
            await datasource.discover_model_definitions(),
            await datasource.discover_model_properties("Order"),
            await datasource.discover_foreign_keys("Order"),
            await datasource.discover_schemas("Order", {"relations": True}),
        )

    tables, columns, keys, schemas = anyio.run(main)
    assert [t["name"] for t in tables] == ["Customer", "Order"]
    # the belongsTo's foreign key is a property of Order even though its JSON does not declare it
    assert {c["columnName"]: c["type"] for c in columns} == {
        "total": "number",
        "tags": ["string"],
        "id": "number",
        "customerId": "number",
    }
    assert keys[0]["pkTableName"] == "Customer" and keys[0]["fkColumnName"] == "customerId"
    assert schemas["Order"]["relations"]["customer"] == {
        "type": "belongsTo",
        "model": "Customer",
        "foreignKey": "customerId",
    }
    assert schemas["Customer"]["relations"]["orders"] == {
        "type": "hasMany",
        "model": "Order",
        "foreignKey": "customerId",
    }
    assert schemas["Customer"]["properties"]["name"]["required"] is True


def test_not_found_from_an_unknown_table(tmp_path):
    from lbpy import create_app

    datasource = create_app(write_app(tmp_path, {"Thing": THING})).datasources["db"]
    with pytest.raises(NotFoundError, match='Table "Nope" does not exist'):
        anyio.run(datasource.discover_schemas, "Nope")

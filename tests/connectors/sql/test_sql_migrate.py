"""Migration: ``lbpy migrate`` creates and updates tables from the models, and prints its SQL;
LoopBack's model settings choose table and column names and types."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import write_app
from sql_support import BACKENDS, datasource_settings, execute, require, sql_session  # noqa: F401
from typer.testing import CliRunner

from lbpy._cli import app as cli

runner = CliRunner()


def _unique(tmp_path: Path, stem: str) -> str:
    return f"{stem}_{tmp_path.name[-10:].lower().replace('-', '_')}"


def _columns(client_or_app, portal_call, table: str) -> dict[str, dict]:
    datasource = client_or_app.datasources["db"]
    return {p["columnName"]: p for p in portal_call(datasource.discover_model_properties, table)}


def _write(root: Path, models: dict, settings: dict) -> Path:
    return write_app(root, models, datasources={"db": {**settings, "name": "db"}})


def _invoke(*args: str):
    result = runner.invoke(cli, list(args))
    return result.exit_code, result.output


@pytest.fixture
def table(tmp_path):
    return _unique(tmp_path, "item")


def _item(table: str, extra: dict | None = None, drop: tuple[str, ...] = ()) -> dict:
    properties = {"name": {"type": "string", "index": True}, "qty": "number", "when": "date", "tags": ["string"]}
    properties.update(extra or {})
    for name in drop:
        properties.pop(name)
    return {
        "Item": {
            "options": {db: {"table": table} for db in ("postgresql", "mysql", "sqlite3")},
            "properties": properties,
        }
    }


@pytest.mark.parametrize("backend_name", BACKENDS)
def test_migrate_creates_then_adds_what_is_missing_and_never_drops(backend_name, tmp_path, table, sql_session):
    require(backend_name)
    settings = datasource_settings(backend_name, tmp_path)
    root = _write(tmp_path / "app", _item(table), settings)

    code, output = _invoke("migrate", "--app", str(root), "--dry-run")
    assert code == 0, output
    assert "CREATE TABLE" in output and "would run" in output and table in output
    code, output = _invoke("migrate", "--app", str(root))
    assert code == 0, output
    assert "CREATE TABLE" in output and "CREATE INDEX" in output and "(ran)" in output
    code, output = _invoke("migrate", "--app", str(root))
    assert code == 0 and "nothing to change" in output

    from starlette.testclient import TestClient

    from lbpy import create_app

    with TestClient(create_app(root)) as client:
        assert client.post("/api/Items", json={"name": "bolt", "qty": 3, "tags": ["m"]}).status_code == 200

    # a new property becomes a new column; a removed one stays, with its data, and is reported
    _write(tmp_path / "app", _item(table, {"colour": {"type": "string", "length": 20}}, drop=("qty",)), settings)
    code, output = _invoke("migrate", "--app", str(root), "--dry-run")
    assert code == 0 and "ADD COLUMN" in output and "colour" in output and "DROP" not in output
    assert "qty" in output and "stays" in output
    code, output = _invoke("migrate", "--app", str(root))
    assert code == 0 and "ADD COLUMN" in output
    with TestClient(create_app(root)) as client:
        assert client.get("/api/Items").json() == [
            {"name": "bolt", "when": None, "tags": ["m"], "colour": None, "id": 1}
        ]
        client.patch("/api/Items/1", json={"colour": "red"})
        assert client.get("/api/Items/1").json()["colour"] == "red"
        columns = _columns(client.app, client.portal.call, table)
    assert {"name", "when", "tags", "id", "colour", "qty"} <= set(columns)

    # --drop re-creates the table: the data is gone, the removed column too
    code, output = _invoke("migrate", "--app", str(root), "--drop", "--yes")
    assert code == 0 and "DROP TABLE" in output and "CREATE TABLE" in output
    with TestClient(create_app(root)) as client:
        assert client.get("/api/Items").json() == []
        assert "qty" not in _columns(client.app, client.portal.call, table)


def test_migrate_refuses_bad_input_with_exit_code_2(tmp_path):
    root = _write(tmp_path / "app", _item("item"), datasource_settings("sqlite", tmp_path))
    for args, fragment in [
        (["--datasource", "nope"], 'no datasource "nope"'),
        (["--model", "Nope"], 'no model "Nope"'),
    ]:
        code, output = _invoke("migrate", "--app", str(root), *args)
        assert code == 2, output
        assert fragment in output
    code, output = _invoke("migrate", "--app", str(tmp_path / "missing"))
    assert code == 2 and "no such folder" in output


def test_migrate_skips_connectors_without_a_schema(tmp_path):
    root = write_app(tmp_path / "app", {"Note": {"properties": {"title": "string"}}})
    code, output = _invoke("migrate", "--app", str(root))
    assert code == 0
    assert "memory connector keeps no schema" in output


def test_migrate_against_a_database_that_is_down_fails_with_the_reason(tmp_path):
    import socket

    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    root = _write(
        tmp_path / "app", _item("item"), {"connector": "postgresql", "url": f"postgresql://u@127.0.0.1:{port}/x"}
    )
    code, output = _invoke("migrate", "--app", str(root))
    assert code == 1
    assert "cannot be reached" in output
    assert "Traceback" not in output


@pytest.mark.parametrize("backend_name", BACKENDS)
def test_loopback_mapping_settings_name_tables_columns_and_types(backend_name, tmp_path, sql_session):
    require(backend_name)
    table = _unique(tmp_path, "legacy_people")
    db_keys = ("postgresql", "mysql", "sqlite3")
    models = {
        "Person": {
            "idInjection": False,
            "options": {key: {"table": table} for key in db_keys},
            "properties": {
                "personId": {
                    "type": "number",
                    "id": True,
                    "generated": True,
                    **{key: {"columnName": "person_id"} for key in db_keys},
                },
                "fullName": {
                    "type": "string",
                    "length": 40,
                    "required": True,
                    **{key: {"columnName": "full_name"} for key in db_keys},
                },
                "salary": {
                    "type": "number",
                    **{key: {"dataType": "decimal", "dataPrecision": 10, "dataScale": 2} for key in db_keys},
                },
                "level": {"type": "number", **{key: {"dataType": "integer"} for key in db_keys}},
                "note": {"type": "string", **{key: {"dataType": "text"} for key in db_keys}},
                "Extra": {"type": "object"},
            },
        }
    }
    root = _write(tmp_path / "app", models, datasource_settings(backend_name, tmp_path))
    code, output = _invoke("migrate", "--app", str(root), "--drop", "--yes")
    assert code == 0, output

    from starlette.testclient import TestClient

    from lbpy import create_app

    with TestClient(create_app(root)) as client:
        created = client.post(
            "/api/People", json={"fullName": "Ada", "salary": 1234.5, "level": 3, "note": "n", "Extra": {"a": [1]}}
        )
        assert created.status_code == 200, created.text
        assert created.json() == {
            "fullName": "Ada",
            "salary": 1234.5,
            "level": 3,
            "note": "n",
            "Extra": {"a": [1]},
            "personId": 1,
        }
        assert (
            client.get(
                "/api/People", params={"filter": json.dumps({"where": {"salary": {"gt": 1000}}, "order": "fullName"})}
            ).json()[0]["level"]
            == 3
        )
        assert client.get("/api/People/1").json()["salary"] == 1234.5
        columns = _columns(client.app, client.portal.call, table)
    expected_extra = "extra" if backend_name == "postgresql" else "Extra"
    assert set(columns) == {"person_id", "full_name", "salary", "level", "note", expected_extra}
    assert columns["full_name"]["dataLength"] == 40
    assert columns["salary"]["dataType"] in ("decimal", "numeric")
    assert columns["salary"]["dataPrecision"] == 10 and columns["salary"]["dataScale"] == 2
    assert columns["level"]["type"] == "Number" and columns["level"]["dataType"] in ("integer", "int")
    assert columns["person_id"]["nullable"] == "N"


@pytest.mark.parametrize("backend_name", ["postgresql"])
def test_postgresql_names_are_lower_case_and_the_schema_setting_is_used(backend_name, tmp_path, sql_session):
    require(backend_name)
    settings = datasource_settings(backend_name, tmp_path)
    schema = settings.pop("schema")
    table = _unique(tmp_path, "mixedcase")
    models = {
        "MixedCase": {
            "options": {"postgresql": {"schema": schema, "table": table}},
            "properties": {"firstName": "string"},
        }
    }
    root = _write(tmp_path / "app", models, settings)
    code, output = _invoke("migrate", "--app", str(root))
    assert code == 0, output
    assert f"{schema}.{table}" in output.replace('"', "")
    rows = execute(
        settings["url"],
        f"SELECT column_name FROM information_schema.columns "
        f"WHERE table_schema = '{schema}' AND table_name = '{table}' ORDER BY 1",
    )
    assert [r[0] for r in rows[0]] == ["firstname", "id"]


def _sqlite_app_with_a_row(tmp_path: Path) -> Path:
    from starlette.testclient import TestClient

    from lbpy import create_app

    root = _write(tmp_path / "app", _item("item"), datasource_settings("sqlite", tmp_path))
    assert _invoke("migrate", "--app", str(root))[0] == 0
    with TestClient(create_app(root)) as client:
        assert client.post("/api/Items", json={"name": "keep me"}).status_code == 200
    return root


def _names(root: Path) -> list[str]:
    from starlette.testclient import TestClient

    from lbpy import create_app

    with TestClient(create_app(root)) as client:
        return [item["name"] for item in client.get("/api/Items").json()]


def test_drop_without_a_terminal_needs_yes_and_changes_nothing(tmp_path):
    root = _sqlite_app_with_a_row(tmp_path)
    code, output = _invoke("migrate", "--app", str(root), "--drop")
    assert code == 2
    assert "pass --yes to confirm" in output
    assert _names(root) == ["keep me"]
    assert _invoke("migrate", "--app", str(root), "--drop", "--dry-run")[0] == 0  # shows, asks nothing
    assert _names(root) == ["keep me"]


@pytest.mark.parametrize("answer, code, names", [("n", 1, ["keep me"]), ("y", 0, [])])
def test_drop_at_a_terminal_asks_first(tmp_path, answer, code, names):
    import os
    import sys

    pexpect = pytest.importorskip("pexpect", reason="pexpect drives the pseudo-terminal")
    root = _sqlite_app_with_a_row(tmp_path)
    env = {**os.environ, "TERM": "xterm", "PROMPT_TOOLKIT_NO_CPR": "1"}
    child = pexpect.spawn(
        sys.executable,
        ["-m", "lbpy", "migrate", "--app", str(root), "--drop"],
        env=env,
        encoding="utf-8",
        timeout=20,
        dimensions=(40, 120),
    )
    child.expect("losing every row in them")
    child.send(answer)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == code
    assert _names(root) == names

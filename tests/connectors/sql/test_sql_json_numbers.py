"""Numbers inside object and array properties read back as JavaScript reads them (a double; an
integer kept exact within 64 bits), on the memory connector and on every SQL database, and no
stored value, whoever wrote it, makes a read fail.

PostgreSQL's JSONB keeps a number as ``numeric`` and writes ``1e30`` back as thirty-one digits,
an integer no 64-bit encoder writes; a row written by another program can hold text that is not
JSON (SQLite), a number beyond a double's range, or nesting deeper than an answer may hold.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
from pathlib import Path

import pytest
from sql_support import BACKENDS, POSTGRESQL_URL, datasource_settings, execute, sql_session  # noqa: F401

#: what a client sends -> what a JavaScript client reads back (JSON.parse of the answer)
NUMBERS = {
    "big": (b"1e30", 1e30),
    "huge": (b"1e300", 1e300),
    "tiny": (b"1e-300", 1e-300),
    "fraction": (b"0.1", 0.1),
    "negative": (b"-2.5e-7", -2.5e-7),
    "int": (b"12", 12),
    "int64": (b"9223372036854775807", 9223372036854775807),
    "beyond64": (b"100000000000000000000000000000", 1e29),
    "nearly_double": (b"1e18", 1e18),
}


def _body() -> bytes:
    address = b",".join(b'"%s":%s' % (key.encode(), text) for key, (text, _) in NUMBERS.items())
    readings = b",".join(text for text, _ in NUMBERS.values())
    return b'{"name":"p","address":{%s,"nested":[{"deep":1e30}]},"readings":[%s]}' % (address, readings)


def _expected() -> dict:
    address = {key: value for key, (_, value) in NUMBERS.items()}
    return {**address, "nested": [{"deep": 1e30}]}


def _app(make_client, tmp_path: Path, connector: str):
    model = f"Gauge{secrets.token_hex(3)}"
    datasource = (
        {"name": "db", "connector": "memory"}
        if connector == "memory"
        else {**datasource_settings(connector, tmp_path), "autoupdate": True}
    )
    client = make_client(
        {
            model: {"plural": "Gauges", "properties": {"name": "string", "address": "object", "readings": ["number"]}},
            "Probe": {
                "properties": {"label": "string"},
                "relations": {"gauge": {"type": "belongsTo", "model": model, "foreignKey": "gaugeId"}},
            },
        },
        datasources={"db": datasource},
    )
    return client, model


@pytest.mark.parametrize("connector", ["memory", *BACKENDS])
def test_numbers_inside_objects_and_arrays_read_back_as_javascript_reads_them(
    make_client, tmp_path, connector, sql_session
):
    client, _ = _app(make_client, tmp_path, connector)
    created = client.post("/api/Gauges", content=_body(), headers={"content-type": "application/json"})
    assert created.status_code == 200, created.text
    gauge_id = created.json()["id"]
    probe = client.post("/api/Probes", json={"label": "p", "gaugeId": gauge_id}).json()
    readings = [value for _, value in NUMBERS.values()]
    reads = [
        client.get("/api/Gauges"),
        client.get(f"/api/Gauges/{gauge_id}"),
        client.get("/api/Gauges", params={"filter": json.dumps({"where": {"id": gauge_id}})}),
        client.get(f"/api/Probes/{probe['id']}/gauge", params={"refresh": "true"}),
        client.get("/api/Probes", params={"filter": '{"include": "gauge"}'}),
    ]
    for answer in reads:
        assert answer.status_code == 200, answer.text
    stored = [reads[0].json()[0], reads[1].json(), reads[2].json()[0], reads[3].json(), reads[4].json()[0]["gauge"]]
    for gauge in stored:
        assert gauge["address"] == _expected()
        assert gauge["readings"] == readings


#: rows another program wrote into the table, per backend: (SQL value of ``address``, what is read)
FOREIGN_ROWS = {
    "sqlite": [
        ("'{\"x\": 100000000000000000000000000000}'", {"x": 1e29}),
        ("'{\"x\": 1e400}'", {"x": None}),  # Infinity, which JSON.stringify writes as null
        ("'{\"x\": NaN}'", {"x": None}),
        ("'{\"x\": 1' || hex(zeroblob(2500)) || '}'", {"x": None}),
        ("'not json {'", "not json {"),
        ("'" + "[" * 300 + "]" * 300 + "'", None),
    ],
    "postgresql": [
        ("'{\"x\": 1e30}'::jsonb", {"x": 1e30}),
        ("'{\"x\": 1e400}'::jsonb", {"x": None}),
        ("('{\"x\": 0.' || repeat('0', 400) || '1}')::jsonb", {"x": 0}),
        ("('[' || repeat('[', 299) || repeat(']', 299) || ']')::jsonb", None),
    ],
    "mysql": [
        ("'{\"x\": 100000000000000000000000000000}'", {"x": 1e29}),
        ("'{\"x\": 1e300}'", {"x": 1e300}),
    ],
}


@pytest.mark.parametrize("backend", BACKENDS)
def test_no_row_another_program_wrote_makes_a_read_fail(make_client, tmp_path, backend, sql_session):
    client, model = _app(make_client, tmp_path, backend)
    gauge_id = client.post("/api/Gauges", json={"name": "p"}).json()["id"]
    settings = datasource_settings(backend, tmp_path)
    if backend == "sqlite":
        url, table = "", f'"{model}"'
    elif backend == "postgresql":
        url, table = POSTGRESQL_URL, f'"{settings["schema"]}"."{model.lower()}"'
    else:
        url, table = settings["url"], f"`{model}`"
    for value, expected in FOREIGN_ROWS[backend]:
        statement = f"UPDATE {table} SET address = {value} WHERE id = {gauge_id}"
        if backend == "sqlite":
            with sqlite3.connect(settings["file"]) as db:
                db.execute(statement)
        else:
            execute(url, statement)
        for answer in (client.get("/api/Gauges"), client.get(f"/api/Gauges/{gauge_id}")):
            assert answer.status_code == 200, (value[:80], answer.text[:300])
            address = (answer.json()[0] if isinstance(answer.json(), list) else answer.json())["address"]
            if expected is not None:
                assert address == expected, value[:80]


def test_a_date_column_holding_what_another_program_wrote_reads_without_failing(make_client, tmp_path, sql_session):
    """SQLite keeps any value in any column: text that is no date, a number, bytes."""
    client = make_client(
        {"Event": {"properties": {"at": "date"}}},
        datasources={"db": {**datasource_settings("sqlite", tmp_path), "autoupdate": True}},
    )
    event = client.post("/api/Events", json={"at": "2026-01-01T00:00:00Z"}).json()
    for value, expected in [("'garbage'", "garbage"), ("1e300", 1e300), ("x'01'", {"type": "Buffer", "data": [1]})]:
        with sqlite3.connect(tmp_path / "db.sqlite3") as db:
            db.execute(f'UPDATE "Event" SET "at" = {value}')
        for answer in (client.get("/api/Events"), client.get(f"/api/Events/{event['id']}")):
            assert answer.status_code == 200, (value, answer.text)
        assert client.get(f"/api/Events/{event['id']}").json()["at"] == expected

"""Nothing a request sends can change an SQL statement.

Injection payloads go into every place a request reaches: where values, operators' operands, where
keys and nested paths, order, fields, limit/skip, ids in the URL, bodies of create/patch/update/
upsertWithWhere, and bracket-syntax keys. Every statement the database receives is recorded: no
payload may appear in any statement's text (values travel as bound parameters), no request may
fail with a 500, and a canary table and the model's rows must survive.
"""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from sql_support import BACKENDS, datasource_settings, recorded_statements, require, sql_session  # noqa: F401

PAYLOADS = [
    "'; DROP TABLE canary; --",
    '"; DROP TABLE canary; --',
    "x' OR '1'='1",
    "1 OR 1=1",
    "1); DELETE FROM account; --",
    "`name`; DROP TABLE canary #",
    "\\'; DROP TABLE canary; --",
    "%' OR 1=1 --",
    "$1::text; SELECT pg_sleep(1)",
    "?) OR (1=1",
    "%(name)s",
    ":id OR 1=1",
    "/* comment */ UNION SELECT * FROM canary",
    "name = name",
    "' || (SELECT secret FROM canary) || '",
]
MARKERS = [
    "DROP TABLE",
    "OR 1=1",
    "OR '1'='1",
    "DELETE FROM",
    "UNION SELECT",
    "pg_sleep",
    "comment */",
    "(SELECT secret",
    "name = name",
    "%(name)s",
    ":id OR",
]

ACCOUNT = {
    "options": {"postgresql": {"table": "account"}, "mysql": {"table": "account"}, "sqlite3": {"table": "account"}},
    "properties": {"name": {"type": "string"}, "age": "number", "address": "object", "tags": ["string"]},
}


def _requests(payload: str) -> list[tuple[str, str, dict]]:
    """(method, url, options) for each place a request can carry ``payload``."""
    enc = quote(payload, safe="")
    where_values = [
        {"name": payload},
        {"name": {"neq": payload}},
        {"name": {"like": payload}},
        {"name": {"nlike": payload}},
        {"name": {"ilike": payload}},
        {
            "name": {
                "regexp": payload.replace("(", "\\(")
                .replace(")", "\\)")
                .replace("$", "\\$")
                .replace("?", "\\?")
                .replace("*", "\\*")
            }
        },
        {"name": {"inq": [payload, "a"]}},
        {"name": {"nin": [payload]}},
        {"name": {"gt": payload}},
        {"name": {"between": [payload, payload]}},
        {"tags": payload},
        {"tags": {"inq": [payload]}},
        {"address.city": payload},
        {"address.city": {"like": payload}},
        {f"address.{payload}": "x"},
        {f"address.{payload}": {"neq": None}},
        {payload: "x"},
        {payload: {"like": "x"}},
        {"or": [{"name": payload}, {f"address.{payload}.x": 1}]},
    ]
    requests: list[tuple[str, str, dict]] = []
    for where in where_values:
        requests.append(("GET", "/api/Accounts", {"params": {"filter": json.dumps({"where": where})}}))
        requests.append(("GET", "/api/Accounts/count", {"params": {"where": json.dumps(where)}}))
    for flt in [
        {"order": payload},
        {"order": f"name {payload}"},
        {"order": [f"address.{payload}"]},
        {"fields": [payload, "name"]},
        {"fields": {payload: True}},
        {"limit": payload},
        {"skip": payload},
        {"order": "address.city DESC", "where": {"address.city": {"nin": [payload]}}},
    ]:
        requests.append(("GET", "/api/Accounts", {"params": {"filter": json.dumps(flt)}}))
    requests += [
        ("GET", f"/api/Accounts?filter[where][name]={enc}", {}),
        ("GET", f"/api/Accounts?filter[where][{enc}]=1", {}),
        ("GET", f"/api/Accounts?filter[where][address.{enc}]=1", {}),
        ("GET", f"/api/Accounts?filter[order]={enc}", {}),
        ("GET", f"/api/Accounts?filter[where][name][inq][]={enc}&filter[where][name][inq][]=a", {}),
        ("GET", f"/api/Accounts/{enc}", {}),
        ("GET", f"/api/Accounts/{enc}/exists", {}),
        ("HEAD", f"/api/Accounts/{enc}", {}),
        ("DELETE", f"/api/Accounts/{enc}", {}),
        ("PATCH", f"/api/Accounts/{enc}", {"json": {"name": "x"}}),
        ("POST", "/api/Accounts", {"json": {"name": payload, "address": {payload: payload}, "tags": [payload]}}),
        ("PATCH", "/api/Accounts/1", {"json": {"name": payload, "address": {"city": payload}}}),
        ("POST", "/api/Accounts/update", {"params": {"where": json.dumps({"name": payload})}, "json": {"age": 1}}),
        ("POST", "/api/Accounts/update", {"params": {"where": json.dumps({"id": 2})}, "json": {"name": payload}}),
        (
            "POST",
            "/api/Accounts/upsertWithWhere",
            {"params": {"where": json.dumps({"name": payload})}, "json": {"name": payload}},
        ),
        ("PUT", "/api/Accounts/2", {"json": {"name": payload, "tags": [payload]}}),
    ]
    return requests


@pytest.mark.parametrize("backend_name", BACKENDS)
def test_no_request_can_change_a_statement(backend_name, make_client, tmp_path, sql_session):
    require(backend_name)
    client = make_client({"Account": ACCOUNT}, datasources={"db": datasource_settings(backend_name, tmp_path)})
    datasource = client.app.datasources["db"]
    client.portal.call(datasource.automigrate)
    connector = datasource.connector
    client.portal.call(connector.ping)
    schema = connector.config.schema
    canary = f'"{schema}".canary' if schema else "canary"
    if backend_name == "mysql":
        canary = "canary"

    def run(*statements: str) -> list:
        def work(conn):
            return [
                conn.exec_driver_sql(s).all() if s.startswith("SELECT") else conn.exec_driver_sql(s) for s in statements
            ]

        return client.portal.call(connector._run, work)

    run(
        f"DROP TABLE IF EXISTS {canary}",
        f"CREATE TABLE {canary} (secret VARCHAR(20))",
        f"INSERT INTO {canary} VALUES ('kept')",
    )
    for name in ("Ann", "Ben"):
        assert client.post("/api/Accounts", json={"name": name, "address": {"city": "Paris"}}).status_code == 200

    failures = []
    # SQLite's one-row statements (a record by id, a new record) are compiled once from the model
    # and never pass through here; every statement that carries a request's filter does
    with recorded_statements(connector) as statements:
        for payload in PAYLOADS:
            for method, url, options in _requests(payload):
                response = client.request(method, url, **options)
                if response.status_code >= 500:
                    failures.append((method, url, options, response.status_code, response.text[:200]))

    assert not failures, failures[:5]
    assert len(statements) > len(PAYLOADS) * 40
    leaked = [s for s in statements if any(marker in s for marker in MARKERS)]
    assert not leaked, leaked[:3]
    assert run(f"SELECT secret FROM {canary}")[0] == [("kept",)]
    names = {row["name"] for row in client.get("/api/Accounts").json()}
    assert {"Ben"} <= names or any(p in names for p in PAYLOADS)  # Ben was only ever renamed to a payload
    stored = client.get("/api/Accounts", params={"filter": json.dumps({"where": {"name": PAYLOADS[0]}})}).json()
    assert stored and all(row["name"] == PAYLOADS[0] for row in stored), "payloads are stored as plain text"
    run(f"DROP TABLE {canary}")


def test_sql_text_only_ever_names_model_columns(make_client, tmp_path):
    """Order and fields are checked against the model: names it does not have never reach SQL."""
    client = make_client(
        {"Account": {**ACCOUNT, "strict": True}}, datasources={"db": datasource_settings("sqlite", tmp_path)}
    )
    client.portal.call(client.app.datasources["db"].automigrate)
    bad_order = client.get("/api/Accounts", params={"filter": json.dumps({"order": "name; DROP TABLE account"})})
    assert bad_order.status_code == 400
    unknown = client.get("/api/Accounts", params={"filter": json.dumps({"order": "nosuch"})})
    assert unknown.status_code == 400 and "nosuch" in unknown.json()["error"]["message"]
    fields = client.get("/api/Accounts", params={"filter": json.dumps({"fields": ["nosuch", "name"]})})
    assert fields.status_code == 200

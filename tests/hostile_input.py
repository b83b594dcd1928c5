"""Requests a hostile client sends, and what each must get: never a 500, and never a store that
answers later requests with one. Shared by the REST tests (memory, SQLite) and the SQL tests
(PostgreSQL, MariaDB)."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import write_app
from starlette.testclient import TestClient

from lbpy import create_app

SHOP = {
    "Customer": {"properties": {"name": "string"}, "relations": {"orders": {"type": "hasMany", "model": "Order"}}},
    "Order": {
        "properties": {"total": "number", "placed": "date"},
        "relations": {"customer": {"type": "belongsTo", "model": "Customer"}},
    },
}
DEEP = "[" * 3000 + "]" * 3000


def body(text: str) -> dict:
    return {"content": text, "headers": {"content-type": "application/json"}}


def where(condition: str) -> dict:
    return {"params": {"filter": '{"where": ' + condition + "}"}}


#: (verb, path, request options, the statuses that are right)
CASES = [
    ("POST", "/api/Customers", body('{"name": "a\\ud800b"}'), {400}),
    ("POST", "/api/Orders", body('{"total": 1180591620717411303424}'), {200}),
    ("POST", "/api/Orders", body('{"customerId": 9223372036854775808, "total": 1}'), {200}),
    ("POST", "/api/Customers", body('{"name": ' + DEEP + "}"), {400}),
    ("GET", "/api/Customers", where('{"name": ' + DEEP + "}"), {400}),
    ("GET", "/api/Customers", where('{"name": "a\\ud800b"}'), {400}),
    ("GET", "/api/Customers", {"params": {"filter": '{"limit": 100000000000000000000000}'}}, {400}),
    ("GET", "/api/Customers", where('{"id": 100000000000000000000000}'), {200}),
    ("GET", "/api/Customers", where('{"id": {"inq": [1e300, 2]}}'), {200}),
    ("PUT", "/api/Customers/4.97e+303", body('{"name": "x"}'), {404}),
    ("PUT", "/api/Customers", body('{"id": 4.97e+303, "name": "x"}'), {404, 422}),
    ("POST", "/api/Customers", body('{"name": "nul\\u0000here"}'), {200, 422}),
    ("GET", "/api/Customers", where('{"name": "a\\u0000b"}'), {200, 400}),
    # a date whose offset puts it before year 1 (or after 9999) in UTC
    ("POST", "/api/Orders", body('{"total": 1, "placed": "0001-01-01T00:05:32.22+10:06"}'), {422}),
    ("GET", "/api/Orders", where('{"placed": {"gt": "9999-12-31T23:00:00-05:00"}}'), {400}),
]

#: after every case, these still answer for every caller
STILL_WORKING = ["/api/Customers", "/api/Orders", '/api/Orders?filter={"include":"customer"}', "/api/Orders/count"]


def check_hostile_requests(root: Path, datasource: dict) -> None:
    write_app(root, SHOP, datasources={"db": {**datasource, "autoupdate": True}})
    with TestClient(create_app(root), raise_server_exceptions=False) as client:
        for verb, path, options, allowed in CASES:
            answer = client.request(verb, path, **options)
            shown = f"{verb} {path} {json.dumps(options)[:80]}"
            assert answer.status_code in allowed, f"{shown}: {answer.status_code} {answer.text[:200]}"
            if answer.status_code >= 400:
                error = answer.json()["error"]
                assert error["statusCode"] == answer.status_code and error["message"], shown
            for url in STILL_WORKING:
                after = client.get(url)
                assert after.status_code == 200, f"after {shown}: GET {url} is {after.status_code} {after.text[:200]}"

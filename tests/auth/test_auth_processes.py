"""Real ``lbpy start`` processes: an unchanged LoopBack 3 app with a custom User model and acls,
and two processes on one PostgreSQL database accepting each other's tokens."""

from __future__ import annotations

import json
import secrets
import time
from pathlib import Path

import httpx
from auth_app import FAST_HASHING, write_auth_app
from connectors.sql.sql_support import POSTGRESQL_URL, execute, require
from lbpy_process import lbpy_start

LOOPBACK_MODEL_CONFIG = {
    "_meta": {
        "sources": ["loopback/common/models", "loopback/server/models", "../common/models", "./models"],
        "mixins": ["loopback/common/mixins", "loopback/server/mixins", "../common/mixins", "./mixins"],
    },
    "User": {"dataSource": "db", "public": False},
    "AccessToken": {"dataSource": "db", "public": False},
    "ACL": {"dataSource": "db", "public": False},
    "RoleMapping": {"dataSource": "db", "public": False, "options": {"strictObjectIDCoercion": True}},
    "Role": {"dataSource": "db", "public": False},
    "Customer": {"dataSource": "db", "public": True},
    "Order": {"dataSource": "db", "public": True},
}
CUSTOMER = {
    "name": "Customer",
    "base": "User",
    "idInjection": True,
    "options": {"validateUpsert": True},
    "properties": {"name": {"type": "string"}},
    "validations": [],
    "relations": {"orders": {"type": "hasMany", "model": "Order", "foreignKey": "customerId"}},
    "acls": [
        {
            "accessType": "READ",
            "principalType": "ROLE",
            "principalId": "$owner",
            "permission": "ALLOW",
            "property": "__get__orders",
        }
    ],
    "methods": {},
}
ORDER = {
    "name": "Order",
    "base": "PersistedModel",
    "idInjection": True,
    "properties": {"total": {"type": "number", "required": True}},
    "relations": {"customer": {"type": "belongsTo", "model": "Customer", "foreignKey": "customerId"}},
    "acls": [
        {"accessType": "*", "principalType": "ROLE", "principalId": "$everyone", "permission": "DENY"},
        {"accessType": "*", "principalType": "ROLE", "principalId": "$owner", "permission": "ALLOW"},
        {
            "accessType": "EXECUTE",
            "principalType": "ROLE",
            "principalId": "$authenticated",
            "permission": "ALLOW",
            "property": "create",
        },
    ],
    "methods": {},
}


def write_loopback_app(root: Path) -> Path:
    """A LoopBack 3 app as `lb app` and `lb model` left it, JavaScript included."""
    (root / "server" / "boot").mkdir(parents=True)
    (root / "common" / "models").mkdir(parents=True)
    (root / "server" / "server.js").write_text("'use strict';\nvar loopback = require('loopback');\n")
    (root / "server" / "boot" / "authentication.js").write_text(
        "module.exports = function enableAuthentication(server) { server.enableAuth(); };\n"
    )
    (root / "server" / "config.json").write_text(
        json.dumps(
            {
                "restApiRoot": "/api",
                "host": "0.0.0.0",
                "port": 3000,
                "remoting": {
                    "context": False,
                    "rest": {"handleErrors": False, "normalizeHttpPath": False, "xml": False},
                    "json": {"strict": False, "limit": "100kb"},
                    "urlencoded": {"extended": True, "limit": "100kb"},
                    "cors": False,
                },
                "auth": {"passwordHashing": FAST_HASHING},
            },
            indent=2,
        )
    )
    (root / "server" / "datasources.json").write_text(json.dumps({"db": {"name": "db", "connector": "memory"}}))
    (root / "server" / "model-config.json").write_text(json.dumps(LOOPBACK_MODEL_CONFIG, indent=2))
    for name, definition in (("customer", CUSTOMER), ("order", ORDER)):
        (root / "common" / "models" / f"{name}.json").write_text(json.dumps(definition, indent=2))
        (root / "common" / "models" / f"{name}.js").write_text(f"module.exports = function({name}) {{}};\n")
    return root


def test_an_unchanged_loopback_app_with_a_custom_user_model(tmp_path):
    root = write_loopback_app(tmp_path / "shop")
    with lbpy_start(root, "--port", "0") as server:
        api = httpx.Client(base_url=server.url + "/api", timeout=10)
        ann = api.post("/Customers", json={"email": "ann@example.com", "password": "secret", "name": "Ann"})
        assert ann.status_code == 200, ann.text
        api.post("/Customers", json={"email": "bob@example.com", "password": "secret"})
        token = api.post("/Customers/login", json={"email": "ann@example.com", "password": "secret"}).json()["id"]
        bob = api.post("/Customers/login", json={"email": "bob@example.com", "password": "secret"}).json()["id"]
        assert api.post("/Orders", json={"total": 5}).status_code == 401
        order = api.post("/Orders", json={"total": 5, "customerId": 1}, headers={"Authorization": token})
        assert order.status_code == 200
        assert api.get("/Orders/1", headers={"Authorization": token}).json()["total"] == 5
        assert api.get("/Orders/1", headers={"Authorization": bob}).status_code == 401
        assert [o["total"] for o in api.get("/Customers/1/orders", headers={"Authorization": token}).json()] == [5]
        assert api.get("/Customers/1/orders", headers={"Authorization": bob}).status_code == 401
        assert api.get("/Customers").json()["error"]["code"] == "AUTHORIZATION_REQUIRED"
        assert "password" not in api.get("/Customers/1", headers={"Authorization": token}).text
    log = "".join(server.stderr)
    assert "JavaScript" in log and "access control is off" not in log
    assert token not in log and token not in "".join(server.stdout)


def test_turning_access_control_off_warns_at_start(tmp_path):
    root = write_loopback_app(tmp_path / "open")
    config = json.loads((root / "server" / "config.json").read_text())
    config["auth"]["enabled"] = False
    (root / "server" / "config.json").write_text(json.dumps(config))
    with lbpy_start(root, "--port", "0") as server:
        assert httpx.get(server.url + "/api/Orders").status_code == 200
    assert "access control is off" in "".join(server.stderr)


def test_two_processes_on_one_postgresql_database(tmp_path):
    require("postgresql")
    schema = f"lbpy_auth_two_{secrets.token_hex(4)}"
    execute(POSTGRESQL_URL, f'CREATE SCHEMA "{schema}"')
    try:
        root = write_auth_app(
            tmp_path / "app",
            {"name": "db", "connector": "postgresql", "url": POSTGRESQL_URL, "schema": schema, "autoupdate": True},
        )
        with lbpy_start(root, "--port", "0") as first, lbpy_start(root, "--port", "0") as second:
            token = httpx.post(
                first.url + "/api/Accounts/login", json={"email": "ann@example.com", "password": "ann-secret"}
            ).json()["id"]
            headers = {"Authorization": f"Bearer {token}"}
            assert httpx.get(second.url + "/api/Accounts/1", headers=headers).json()["email"] == "ann@example.com"
            assert (
                httpx.patch(second.url + "/api/Notes/1", json={"title": "from the second"}, headers=headers).status_code
                == 200
            )
            assert httpx.post(first.url + "/api/Accounts/logout", headers=headers).status_code == 204
            time.sleep(1.2)  # the second process trusted the token for at most cacheSeconds (1)
            assert httpx.get(second.url + "/api/Accounts/1", headers=headers).status_code == 401
    finally:
        execute(POSTGRESQL_URL, f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')

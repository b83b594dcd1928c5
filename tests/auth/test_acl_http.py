"""Every kind of route, for an anonymous caller, an authenticated one, the record's owner and an
admin (a static role), on memory, SQLite and PostgreSQL.

The expected statuses are what LoopBack 3.28 answered for the same app with ``enableAuth()``
(recorded from the real thing), except where lbpy is safer on purpose: an ``include`` or a
relation route reaching a model the caller may not read or write is refused (LoopBack answered
with its records), and an acl naming a method by an alias (``updateAttributes``) applies
(LoopBack ignored it).
"""

from __future__ import annotations

import json
import secrets

import pytest
from auth_app import login, write_auth_app
from connectors.sql.sql_support import POSTGRESQL_URL, execute, require
from starlette.testclient import TestClient

from lbpy import create_app

CALLERS = ("anon", "ann", "bob", "cat")  # anonymous, owner of the ann records, another user, admin
WHERE_1 = "?where=" + json.dumps({"id": 1})

#: (method, path, body, statuses for anon, ann, bob, cat); LoopBack 3.28's answers unless noted
READS = [
    ("GET", "/Notes", None, (401, 200, 200, 200)),
    ("GET", "/Notes/1", None, (401, 200, 200, 200)),
    ("GET", "/Notes/999", None, (401, 404, 404, 404)),
    ("GET", "/Notes/count", None, (401, 200, 200, 200)),
    ("GET", "/Notes/findOne", None, (401, 200, 200, 200)),
    ("GET", "/Notes/1/exists", None, (401, 200, 200, 200)),
    ("HEAD", "/Notes/1", None, (401, 200, 200, 200)),
    # lbpy: a relation route needs the related model's access too (LoopBack 3: 200 for every
    # reader of the note): only Ann reads her account, and Tag denies everyone
    ("GET", "/Notes/1/owner", None, (401, 200, 401, 401)),
    ("GET", "/Notes/1/tags", None, (401, 401, 401, 401)),
    ("GET", "/Notes/1/tags/count", None, (401, 401, 401, 401)),
    ("GET", "/Notes/ping", None, (200, 200, 200, 200)),
    ("POST", "/Notes/shout", None, (401, 200, 200, 200)),
    ("POST", "/Notes/whisper", None, (401, 401, 401, 200)),
    ("POST", "/Notes/1/stamp", None, (401, 401, 401, 200)),
    ("POST", "/Notes/999/stamp", None, (401, 401, 401, 404)),
    ("GET", "/Memos/1", None, (401, 200, 401, 401)),
    ("GET", "/Memos", None, (401, 401, 401, 401)),
    ("GET", "/Docs/1", None, (401, 401, 401, 401)),
    ("GET", "/Projects/1", None, (401, 200, 200, 401)),
    ("GET", "/Projects", None, (401, 401, 200, 401)),
    ("GET", "/Secrets", None, (401, 401, 401, 401)),
    ("GET", "/Secrets/count", None, (200, 200, 200, 200)),
    ("GET", "/Tags/count", None, (401, 401, 401, 401)),
    ("GET", "/Items", None, (200, 200, 200, 200)),
    ("DELETE", "/Items/1", None, (401, 401, 401, 401)),
    ("GET", "/Accounts", None, (401, 401, 401, 401)),
    ("GET", "/Accounts/1", None, (401, 200, 401, 401)),
    ("GET", "/Accounts/1/exists", None, (401, 401, 401, 401)),
    ("GET", "/Accounts/1/accessTokens", None, (401, 401, 401, 401)),
    ("GET", "/Accounts/1/notes", None, (401, 200, 401, 401)),
    ("GET", "/Boxes/1", None, (200, 403, 403, 403)),
    ("GET", "/Boxes", None, (401, 200, 200, 200)),
    ("GET", "/Boxes/findOne", None, (401, 403, 403, 403)),
    # lbpy: the included Tag denies everyone (LoopBack answered 200 with the tags)
    ("GET", "/Notes?filter=" + json.dumps({"include": "tags"}), None, (401, 401, 401, 401)),
    # lbpy: Account's find is open to nobody (User's default acls), so neither is including it
    ("GET", "/Notes/1?filter=" + json.dumps({"include": "owner"}), None, (401, 401, 401, 401)),
    ("GET", "/Boxes?filter=" + json.dumps({"include": []}), None, (401, 200, 200, 200)),
]

WRITES = [
    ("PATCH", "/Notes/1", {"title": "x"}, (401, 200, 401, 200)),
    ("PATCH", "/Notes/999", {"title": "x"}, (401, 401, 401, 404)),
    ("PUT", "/Notes/1", {"title": "y", "ownerId": 1}, (401, 200, 401, 200)),
    ("POST", "/Notes/1/replace", {"title": "y", "ownerId": 1}, (401, 200, 401, 200)),
    ("POST", "/Notes", {"title": "new"}, (401, 200, 200, 200)),
    ("PATCH", "/Notes", {"id": 1, "title": "u"}, (401, 200, 401, 200)),
    ("POST", "/Notes/replaceOrCreate", {"title": "roc"}, (401, 401, 401, 200)),
    ("POST", "/Notes/upsertWithWhere" + WHERE_1, {"title": "uww"}, (401, 401, 401, 200)),
    ("POST", "/Notes/update" + WHERE_1, {"title": "upd"}, (401, 401, 401, 200)),
    ("POST", "/Notes/1/tags", {"label": "t"}, (401, 401, 401, 401)),  # lbpy: Tag denies everyone
    ("PATCH", "/Items/1", {"name": "n"}, (200, 200, 200, 200)),
    ("PATCH", "/Memos/1", {"title": "m"}, (401, 200, 401, 401)),
    ("PATCH", "/Accounts/1", {"nickname": "annie"}, (401, 200, 401, 401)),
    ("PATCH", "/Accounts/2", {"nickname": "x"}, (401, 401, 200, 401)),
    ("PATCH", "/Accounts", {"id": 1, "nickname": "x"}, (401, 401, 401, 401)),
    ("POST", "/Boxes", {"name": "p"}, (401, 403, 200, 403)),
    # lbpy: "updateAttributes" is patchAttributes' alias, so the $authenticated acl applies
    # (LoopBack 3 matched a model's acls by the method's own name only, and answered 403)
    ("PATCH", "/Boxes/1", {"name": "p"}, (401, 200, 200, 200)),
]

BACKENDS = ["memory", "sqlite", "postgresql"]


@pytest.fixture(scope="module", params=BACKENDS)
def served(request, tmp_path_factory):
    backend = request.param
    schema = None
    if backend == "memory":
        datasource = {"name": "db", "connector": "memory"}
    elif backend == "sqlite":
        datasource = {
            "name": "db",
            "connector": "sqlite",
            "file": str(tmp_path_factory.mktemp("db") / "db.sqlite3"),
            "autoupdate": True,
        }
    else:
        require("postgresql")
        schema = f"lbpy_auth_{secrets.token_hex(4)}"
        execute(POSTGRESQL_URL, f'DROP SCHEMA IF EXISTS "{schema}" CASCADE', f'CREATE SCHEMA "{schema}"')
        datasource = {
            "name": "db",
            "connector": "postgresql",
            "url": POSTGRESQL_URL,
            "schema": schema,
            "autoupdate": True,
        }
    root = write_auth_app(tmp_path_factory.mktemp(backend) / "app", datasource)
    with TestClient(create_app(root), raise_server_exceptions=False) as client:
        tokens = {name: login(client, name) for name in CALLERS[1:]}
        yield client, tokens
    if schema:
        execute(POSTGRESQL_URL, f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def _call(client, tokens, caller, method, path, body):
    headers = {"Authorization": tokens[caller]} if caller in tokens else {}
    return client.request(method, "/api" + path, headers=headers, json=body)


@pytest.mark.parametrize("method,path,body,expected", READS, ids=[f"{m} {p}" for m, p, _, _ in READS])
def test_reads(served, method, path, body, expected):
    client, tokens = served
    got = tuple(_call(client, tokens, caller, method, path, body).status_code for caller in CALLERS)
    assert got == expected


@pytest.mark.parametrize("method,path,body,expected", WRITES, ids=[f"{m} {p}" for m, p, _, _ in WRITES])
def test_writes(served, method, path, body, expected):
    client, tokens = served
    got = tuple(_call(client, tokens, caller, method, path, body).status_code for caller in CALLERS)
    assert got == expected


def test_denials_answer_as_loopback(served):
    client, tokens = served
    assert _call(client, tokens, "anon", "GET", "/Notes", None).json() == {
        "error": {
            "statusCode": 401,
            "name": "Error",
            "message": "Authorization Required",
            "code": "AUTHORIZATION_REQUIRED",
        }
    }
    # an authenticated caller is refused with 401 too, unless the model says aclErrorStatus 403
    assert (
        _call(client, tokens, "bob", "PATCH", "/Notes/1", {"title": "z"}).json()["error"]["code"]
        == "AUTHORIZATION_REQUIRED"
    )
    assert _call(client, tokens, "ann", "GET", "/Boxes/1", None).json() == {
        "error": {"statusCode": 403, "name": "Error", "message": "Access Denied", "code": "ACCESS_DENIED"}
    }
    found = _call(client, tokens, "cat", "GET", "/Notes/999", None).json()["error"]
    assert (found["statusCode"], found["code"]) == (404, "MODEL_NOT_FOUND")


def test_owner_through_a_relation_route_and_what_is_returned(served):
    client, tokens = served
    notes = _call(client, tokens, "ann", "GET", "/Accounts/1/notes", None).json()
    assert notes and all(n["ownerId"] == 1 for n in notes)
    assert _call(client, tokens, "ann", "GET", "/Notes/ping", None).json() == {"result": "pong"}
    assert _call(client, tokens, "cat", "POST", "/Notes/1/stamp", None).json() == {"result": "stamped 1"}
    owner = _call(client, tokens, "ann", "GET", "/Notes/1/owner", None)
    assert owner.json()["email"] == "ann@example.com" and "password" not in owner.text

"""Role, RoleMapping and ACL served over REST (``"public": true`` in model-config.json) are safe
by default: only the admin role (``auth.adminRole``, ``"admin"`` unless set) writes them, or reads
RoleMapping and ACL records, unless the app's own acls or ACL records say otherwise. LoopBack 3
gave them no acls, so anyone could create a role mapping that made them an admin."""

from __future__ import annotations

import copy
import json

import pytest
from auth_app import login, write_auth_app
from starlette.testclient import TestClient

from lbpy import BootError, create_app

PUBLIC = {name: {"dataSource": "db", "public": True} for name in ("Role", "RoleMapping", "ACL")}


def _client(root, config=None):
    write_auth_app(root, config=copy.deepcopy(config))
    entries = json.loads((root / "server" / "model-config.json").read_text())
    (root / "server" / "model-config.json").write_text(json.dumps({**entries, **PUBLIC}))
    return TestClient(create_app(root), raise_server_exceptions=False)


@pytest.fixture
def client(tmp_path):
    with _client(tmp_path / "app") as client:
        yield client


def _admin_role_id(client, cat):
    return next(r["id"] for r in client.get("/api/Roles", headers=cat).json() if r["name"] == "admin")


def test_nobody_but_an_admin_writes_roles_and_mappings(client):
    bob, cat = {"Authorization": login(client, "bob")}, {"Authorization": login(client, "cat")}
    admin = _admin_role_id(client, cat)
    escalate = {"principalType": "USER", "principalId": "2", "roleId": admin}
    for headers in ({}, bob):
        assert client.post("/api/RoleMappings", json=escalate, headers=headers).status_code == 401
        assert client.post(f"/api/Roles/{admin}/principals", json=escalate, headers=headers).status_code == 401
        assert client.post("/api/Roles", json={"name": "boss"}, headers=headers).status_code == 401
        assert client.patch(f"/api/Roles/{admin}", json={"name": "x"}, headers=headers).status_code == 401
        assert client.get("/api/RoleMappings", headers=headers).status_code == 401
        assert client.get(f"/api/Roles/{admin}/principals", headers=headers).status_code == 401
        assert (
            client.post(
                "/api/ACLs",
                json={
                    "model": "*",
                    "property": "*",
                    "accessType": "*",
                    "principalType": "ROLE",
                    "principalId": "$everyone",
                    "permission": "ALLOW",
                },
                headers=headers,
            ).status_code
            == 401
        )
        assert client.get("/api/ACLs", headers=headers).status_code == 401
    # Bob is no admin: an admin-only method of Note stays closed to him
    assert client.post("/api/Notes/whisper", headers=bob).status_code == 401
    # role names are readable, as LoopBack left them
    assert [r["name"] for r in client.get("/api/Roles", headers=bob).json()] == ["admin"]
    # an admin makes Bob an admin
    assert client.get("/api/RoleMappings", headers=cat).status_code == 200
    assert client.post("/api/RoleMappings", json=escalate, headers=cat).status_code == 200
    assert client.post("/api/Notes/whisper", headers=bob).status_code == 200


def test_the_apps_acl_records_may_open_them(client):
    bob, cat = {"Authorization": login(client, "bob")}, {"Authorization": login(client, "cat")}
    grant = {
        "model": "RoleMapping",
        "property": "find",
        "accessType": "READ",
        "principalType": "ROLE",
        "principalId": "$authenticated",
        "permission": "ALLOW",
    }
    assert client.post("/api/ACLs", json=grant, headers=cat).status_code == 200
    assert client.get("/api/RoleMappings", headers=bob).status_code == 200
    assert (
        client.post(
            "/api/RoleMappings", json={"principalType": "USER", "principalId": "2", "roleId": "x"}, headers=bob
        ).status_code
        == 401
    )


def test_the_admin_role_is_a_setting(tmp_path):
    with _client(tmp_path / "app", {"auth": {"adminRole": "superuser"}}) as client:
        cat = {"Authorization": login(client, "cat")}
        assert client.get("/api/RoleMappings", headers=cat).status_code == 401
    with pytest.raises(BootError, match=r"auth\.adminRole"):
        _client(tmp_path / "bad", {"auth": {"adminRole": 5}})

"""A user record written through another model's relation route (``POST /Teams/1/members``,
``PUT /Teams/1/members/{fk}``) is a client's write like ``POST /Accounts``: ``emailVerified`` and
``verificationToken`` are not the client's to set, so a relation route cannot skip
``emailVerificationRequired``."""

from __future__ import annotations

from auth_app import FAST_HASHING
from conftest import write_app
from starlette.testclient import TestClient

from lbpy import create_app

OPEN = [{"principalType": "ROLE", "principalId": "$everyone", "permission": "ALLOW"}]
MODELS = {
    "Account": {
        "base": "User",
        "options": {"emailVerificationRequired": True},
        "relations": {"team": {"type": "belongsTo", "model": "Team", "foreignKey": "teamId"}},
    },
    "Team": {
        "properties": {"name": "string"},
        "acls": OPEN,
        "relations": {"members": {"type": "hasMany", "model": "Account", "foreignKey": "teamId"}},
    },
}


def test_a_relation_route_does_not_verify_an_email(tmp_path):
    root = write_app(tmp_path / "app", MODELS, config={"auth": {"passwordHashing": FAST_HASHING}})
    with TestClient(create_app(root), raise_server_exceptions=False) as client:
        assert client.post("/api/Teams", json={"name": "t"}).status_code == 200
        created = client.post(
            "/api/Teams/1/members",
            json={
                "email": "eve@example.com",
                "password": "eve-secret",
                "emailVerified": True,
                "verificationToken": "abc",
            },
        )
        assert created.status_code == 200 and created.json()["emailVerified"] is False
        login = client.post("/api/Accounts/login", json={"email": "eve@example.com", "password": "eve-secret"})
        assert login.json()["error"]["code"] == "LOGIN_FAILED_EMAIL_NOT_VERIFIED"
        assert client.get("/api/Accounts/confirm?uid=1&token=abc").status_code == 400
        # nor does an update through the relation, even by the user itself
        updated = client.put("/api/Teams/1/members/1", json={"emailVerified": True})
        assert updated.status_code in (200, 401)
        assert (
            client.post("/api/Accounts/login", json={"email": "eve@example.com", "password": "eve-secret"}).status_code
            == 401
        )


def test_a_new_email_needs_verifying_again(tmp_path):
    boot = tmp_path / "app" / "server" / "boot"
    root = write_app(tmp_path / "app", MODELS, config={"auth": {"passwordHashing": FAST_HASHING}})
    boot.mkdir()
    (boot / "seed.py").write_text("""
async def boot(app):
    await app.models["Account"].create({"email": "ann@example.com", "password": "ann-secret", "emailVerified": True})
""")
    with TestClient(create_app(root), raise_server_exceptions=False) as client:
        token = client.post("/api/Accounts/login", json={"email": "ann@example.com", "password": "ann-secret"}).json()[
            "id"
        ]
        changed = client.patch(
            "/api/Accounts/1", json={"email": "ann@elsewhere.example"}, headers={"Authorization": token}
        )
        assert changed.status_code == 200
        login = client.post("/api/Accounts/login", json={"email": "ann@elsewhere.example", "password": "ann-secret"})
        assert login.json()["error"]["code"] == "LOGIN_FAILED_EMAIL_NOT_VERIFIED"

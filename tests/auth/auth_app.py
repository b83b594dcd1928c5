"""The app the access-control tests share: the models of the LoopBack 3 app whose answers the
tests record (a custom User model, owners through a relation, a userId and an owner property,
a static admin role, a custom role resolver, ACL records), seeded by a boot script."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conftest import write_app

#: cheap hashing for tests (the costs are settings; the algorithm is the same)
FAST_HASHING = {"timeCost": 1, "memoryCost": 1024, "parallelism": 1}

MODELS: dict[str, dict[str, Any]] = {
    "Account": {
        "base": "User",
        "properties": {"nickname": {"type": "string"}},
        "relations": {"notes": {"type": "hasMany", "model": "Note", "foreignKey": "ownerId"}},
        "acls": [{"principalType": "ROLE", "principalId": "$owner", "permission": "ALLOW", "property": "__get__notes"}],
    },
    "Note": {
        "properties": {"title": {"type": "string"}},
        "relations": {
            "owner": {"type": "belongsTo", "model": "Account", "foreignKey": "ownerId"},
            "tags": {"type": "hasMany", "model": "Tag", "foreignKey": "noteId"},
        },
        "acls": [
            {"accessType": "*", "principalType": "ROLE", "principalId": "$everyone", "permission": "DENY"},
            {"accessType": "READ", "principalType": "ROLE", "principalId": "$authenticated", "permission": "ALLOW"},
            {"accessType": "WRITE", "principalType": "ROLE", "principalId": "$owner", "permission": "ALLOW"},
            {
                "accessType": "EXECUTE",
                "principalType": "ROLE",
                "principalId": "$authenticated",
                "permission": "ALLOW",
                "property": "create",
            },
            {"accessType": "*", "principalType": "ROLE", "principalId": "admin", "permission": "ALLOW"},
            {"principalType": "ROLE", "principalId": "$everyone", "permission": "ALLOW", "property": "ping"},
        ],
        "methods": {
            "ping": {"returns": {"arg": "result", "type": "string"}, "http": {"verb": "get"}},
            "shout": {"returns": {"arg": "result", "type": "string"}, "http": {"verb": "post"}, "accessType": "READ"},
            "whisper": {"returns": {"arg": "result", "type": "string"}, "http": {"verb": "post"}},
            "prototype.stamp": {"returns": {"arg": "result", "type": "string"}, "http": {"verb": "post"}},
        },
    },
    "Memo": {
        "properties": {"title": "string", "userId": "number"},
        "acls": [
            {"principalType": "ROLE", "principalId": "$everyone", "permission": "DENY"},
            {"principalType": "ROLE", "principalId": "$owner", "permission": "ALLOW"},
            {"principalType": "ROLE", "principalId": "$authenticated", "permission": "ALLOW", "property": "create"},
        ],
    },
    "Doc": {
        "properties": {"title": "string", "ownerId": "number"},
        "acls": [
            {"principalType": "ROLE", "principalId": "$everyone", "permission": "DENY"},
            {"principalType": "ROLE", "principalId": "$owner", "permission": "ALLOW"},
        ],
    },
    "Project": {
        "properties": {"title": "string", "owner": "number"},
        "acls": [
            {"principalType": "ROLE", "principalId": "$everyone", "permission": "DENY"},
            {"principalType": "ROLE", "principalId": "$owner", "permission": "ALLOW"},
            {"principalType": "ROLE", "principalId": "teammate", "permission": "ALLOW", "accessType": "READ"},
        ],
    },
    "Secret": {"properties": {"text": "string"}, "defaultPermission": "DENY"},
    "Item": {"properties": {"name": "string"}, "acls": []},
    "Tag": {
        "properties": {"label": "string"},
        "acls": [{"principalType": "ROLE", "principalId": "$everyone", "permission": "DENY"}],
    },
    "Box": {
        "properties": {"name": "string"},
        "aclErrorStatus": 403,
        "acls": [
            {"principalType": "ROLE", "principalId": "$everyone", "permission": "DENY"},
            {
                "principalType": "ROLE",
                "principalId": "$unauthenticated",
                "permission": "ALLOW",
                "accessType": "READ",
                "property": "findById",
            },
            {"principalType": "USER", "principalId": "2", "permission": "ALLOW", "accessType": "WRITE"},
            {
                "principalType": "ROLE",
                "principalId": "$authenticated",
                "permission": "ALLOW",
                "property": ["find", "count"],
            },
            {
                "principalType": "ROLE",
                "principalId": "$authenticated",
                "permission": "ALLOW",
                "property": "updateAttributes",
            },
        ],
    },
}

NOTE_PY = """
def customize(Note):
    async def ping():
        return "pong"

    async def shout():
        return "SHOUT"

    async def whisper():
        return "psst"

    async def stamp(self):
        return f"stamped {self.id}"

    Note.ping, Note.shout, Note.whisper, Note.stamp = ping, shout, whisper, stamp
"""

SEED = """
async def boot(app):
    Account, Role, RoleMapping, ACL = (app.models[n] for n in ("Account", "Role", "RoleMapping", "ACL"))
    Role.register_resolver("teammate", lambda role, ctx: str(ctx.get_user_id()) == "2")
    if await Account.count():
        return  # a second process on the same database
    ann = await Account.create({"email": "ann@example.com", "username": "ann", "password": "ann-secret"})
    bob = await Account.create({"email": "bob@example.com", "username": "bob", "password": "bob-secret"})
    cat = await Account.create({"email": "cat@example.com", "username": "cat", "password": "cat-secret"})
    admin = await Role.create({"name": "admin"})
    await RoleMapping.create({"principalType": "USER", "principalId": cat.id, "roleId": admin.id})
    Note, Tag = app.models["Note"], app.models["Tag"]
    await Note.create({"title": "ann note", "ownerId": ann.id})
    await Note.create({"title": "bob note", "ownerId": bob.id})
    await Tag.create({"label": "t1", "noteId": 1})
    await app.models["Memo"].create({"title": "ann memo", "userId": ann.id})
    await app.models["Doc"].create({"title": "ann doc", "ownerId": ann.id})
    await app.models["Project"].create({"title": "ann project", "owner": ann.id})
    await app.models["Item"].create({"name": "free"})
    await app.models["Box"].create({"name": "b1"})
    await ACL.create({"model": "Item", "property": "deleteById", "accessType": "*", "principalType": "ROLE",
                      "principalId": "$everyone", "permission": "DENY"})
    await ACL.create({"model": "*", "property": "count", "accessType": "READ", "principalType": "ROLE",
                      "principalId": "$everyone", "permission": "ALLOW"})
"""

PASSWORDS = {"ann": "ann-secret", "bob": "bob-secret", "cat": "cat-secret"}


def write_auth_app(root: Path, datasource: dict | None = None, *, config: dict | None = None) -> Path:
    auth = {"passwordHashing": FAST_HASHING, **((config or {}).pop("auth", {}) if config else {})}
    write_app(
        root,
        MODELS,
        datasources={"db": datasource or {"name": "db", "connector": "memory"}},
        config={"auth": auth, **(config or {})},
    )
    (root / "common" / "models" / "note.py").write_text(NOTE_PY)
    (root / "server" / "boot").mkdir(exist_ok=True)
    (root / "server" / "boot" / "seed.py").write_text(SEED)
    return root


def login(client, name: str, password: str | None = None) -> str:
    response = client.post(
        "/api/Accounts/login", json={"email": f"{name}@example.com", "password": password or PASSWORDS[name]}
    )
    assert response.status_code == 200, response.text
    return response.json()["id"]

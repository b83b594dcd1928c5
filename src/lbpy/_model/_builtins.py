"""LoopBack 3's built-in authentication models, as model definitions.

``User``, ``AccessToken``, ``ACL``, ``Role`` and ``RoleMapping`` have the properties, hidden
properties, relations and default ``acls`` a LoopBack 3 app (and its database) expects, so that
``model-config.json`` names them as LoopBack apps do and an app model with ``"base": "User"``
inherits all of it. What they *do* (hashing passwords, issuing tokens, resolving roles and ACLs)
is ``lbpy._auth``'s.
"""

from __future__ import annotations

from typing import Any

#: the built-in models lbpy provides, in the order they are declared
AUTH_MODELS = ("User", "AccessToken", "ACL", "RoleMapping", "Role")


def _acl(
    principal: str, permission: str, property: str | None = None, access_type: str | None = None
) -> dict[str, str]:
    acl = {"principalType": "ROLE", "principalId": principal, "permission": permission}
    if property is not None:
        acl["property"] = property
    if access_type is not None:
        acl["accessType"] = access_type
    return acl


USER: dict[str, Any] = {
    "name": "User",
    "properties": {
        "realm": {"type": "string"},
        "username": {"type": "string"},
        "password": {"type": "string", "required": True},
        "email": {"type": "string", "required": True},
        "emailVerified": "boolean",
        "verificationToken": "string",
    },
    "options": {"caseSensitiveEmail": True},
    "hidden": ["password", "verificationToken"],
    # only the owner reads or changes a user; anyone registers, logs in and out
    "acls": [
        _acl("$everyone", "DENY"),
        _acl("$everyone", "ALLOW", "create"),
        _acl("$owner", "ALLOW", "deleteById"),
        _acl("$everyone", "ALLOW", "login"),
        _acl("$everyone", "ALLOW", "logout"),
        _acl("$owner", "ALLOW", "findById"),
        _acl("$owner", "ALLOW", "patchAttributes"),
        _acl("$owner", "ALLOW", "replaceById"),
        _acl("$everyone", "ALLOW", "verify", "EXECUTE"),
        _acl("$everyone", "ALLOW", "confirm"),
        _acl("$everyone", "ALLOW", "resetPassword", "EXECUTE"),
        _acl("$authenticated", "ALLOW", "changePassword", "EXECUTE"),
        _acl("$authenticated", "ALLOW", "setPassword", "EXECUTE"),
    ],
    "relations": {
        "accessTokens": {
            "type": "hasMany",
            "model": "AccessToken",
            "foreignKey": "userId",
            "options": {"disableInclude": True},
        },
    },
}

ACCESS_TOKEN: dict[str, Any] = {
    "name": "AccessToken",
    "properties": {
        "id": {"type": "string", "id": True},
        "ttl": {
            "type": "number",
            "ttl": True,
            "default": 1209600,
            "description": "time to live in seconds (2 weeks by default)",
        },
        "scopes": {"type": ["string"], "description": "Array of scopes granted to this access token."},
        "created": {"type": "date", "defaultFn": "now"},
    },
    "relations": {"user": {"type": "belongsTo", "model": "User", "foreignKey": "userId"}},
    "acls": [_acl("$everyone", "DENY")],
}

ACL: dict[str, Any] = {
    "name": "ACL",
    "properties": {
        "model": {"type": "string", "description": "The name of the model"},
        "property": {"type": "string", "description": "The name of the property, method, scope, or relation"},
        "accessType": "string",
        "permission": "string",
        "principalType": "string",
        "principalId": "string",
    },
}

ROLE: dict[str, Any] = {
    "name": "Role",
    "properties": {
        "id": {"type": "string", "id": True, "generated": True},
        "name": {"type": "string", "required": True},
        "description": "string",
        "created": {"type": "date", "defaultFn": "now"},
        "modified": {"type": "date", "defaultFn": "now"},
    },
    "relations": {"principals": {"type": "hasMany", "model": "RoleMapping", "foreignKey": "roleId"}},
}

ROLE_MAPPING: dict[str, Any] = {
    "name": "RoleMapping",
    "description": "Map principals to roles",
    "properties": {
        "id": {"type": "string", "id": True, "generated": True},
        "principalType": {
            "type": "string",
            "description": "The principal type, such as USER, APPLICATION, "
            "ROLE, or user model name in case of multiple user models",
        },
        "principalId": {"type": "string", "index": True},
    },
    "relations": {"role": {"type": "belongsTo", "model": "Role", "foreignKey": "roleId"}},
}

EMAIL: dict[str, Any] = {
    "name": "Email",
    "base": "Model",
    "description": "A message sent through a mail datasource: Email.send({to, from, subject, text, html})",
    "properties": {
        "to": {"type": "string", "required": True},
        "from": {"type": "string", "required": True},
        "subject": {"type": "string", "required": True},
        "text": {"type": "string"},
        "html": {"type": "string"},
    },
}

BUILTIN_DEFINITIONS: dict[str, dict[str, Any]] = {
    "Email": EMAIL,
    "User": USER,
    "AccessToken": ACCESS_TOKEN,
    "ACL": ACL,
    "RoleMapping": ROLE_MAPPING,
    "Role": ROLE,
}

#: the built-in models each one needs beside it (its relations' targets)
RELATED = {
    "Email": (),
    "User": ("AccessToken",),
    "AccessToken": ("User",),
    "Role": ("RoleMapping",),
    "RoleMapping": ("Role",),
    "ACL": (),
}

#: how a built-in is shown where a file name would be
SOURCES = {name: f"loopback/common/models/{name}" for name in BUILTIN_DEFINITIONS}

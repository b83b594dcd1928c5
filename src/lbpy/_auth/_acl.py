"""LoopBack 3's ACL resolution: rules, their ranking, and the permission a request gets.

A rule (an entry of a model's ``acls``, or an ``ACL`` record) names a model, a property (a method
name, ``*``, or a list of names in the model JSON), an access type (``READ``, ``WRITE``,
``EXECUTE``, ``REPLICATE`` or ``*``), a principal (``USER``, ``APP`` or ``ROLE`` and its id) and a
permission (``ALLOW``, ``DENY``, ``ALARM``, ``AUDIT``). The rules that apply to the caller are
ranked as LoopBack ranked them, most specific first: exact model, then property (a method's
aliases count as its name), then access type (an ``EXECUTE`` rule also matches ``READ`` and
``WRITE``, a ``WRITE`` rule ``REPLICATE``); a user principal over an app over a role; among roles
a static role over ``$owner`` over ``$related`` over ``$authenticated``/``$unauthenticated``
over ``$everyone``; and on a tie ``DENY`` over ``AUDIT`` over ``ALARM`` over ``ALLOW``. The
first applicable rule decides; with none, the model's ``defaultPermission`` (else the app's,
else ``ALLOW``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

ALL = "*"
READ, WRITE, EXECUTE, REPLICATE = "READ", "WRITE", "EXECUTE", "REPLICATE"
ACCESS_TYPES = (READ, WRITE, EXECUTE, REPLICATE)
ALLOW, DENY, ALARM, AUDIT, DEFAULT = "ALLOW", "DENY", "ALARM", "AUDIT", "DEFAULT"
PERMISSIONS = (ALLOW, ALARM, AUDIT, DENY)
PERMISSION_ORDER = {DEFAULT: 0, ALLOW: 1, ALARM: 2, AUDIT: 3, DENY: 4}
USER, APP, ROLE = "USER", "APP", "ROLE"
OWNER, RELATED, AUTHENTICATED, UNAUTHENTICATED, EVERYONE = (
    "$owner",
    "$related",
    "$authenticated",
    "$unauthenticated",
    "$everyone",
)

_PRINCIPAL_WEIGHT = {USER: 4, APP: 3, ROLE: 2}
_ROLE_WEIGHT = {OWNER: 4, RELATED: 3, AUTHENTICATED: 2, UNAUTHENTICATED: 2, EVERYONE: 1}


class AclError(ValueError):
    """An ACL entry that cannot be used; the message names the field."""


@dataclass(frozen=True)
class Rule:
    model: str
    property: str
    access_type: str
    permission: str
    principal_type: str
    principal_id: str

    @classmethod
    def from_json(cls, raw: Any, model: str, *, property: str | None = None) -> Rule:
        """A model JSON's ``acls`` entry (or an ACL record) as a rule; an AclError says what is
        wrong with one that lbpy cannot enforce as written."""
        if not isinstance(raw, dict):
            raise AclError("each acls entry must be an object with principalType, principalId and permission")
        permission = raw.get("permission")
        if permission not in PERMISSIONS:
            raise AclError(f"permission {permission!r} is not one of {', '.join(PERMISSIONS)}")
        access_type = raw.get("accessType") or ALL
        if access_type not in ACCESS_TYPES and access_type != ALL:
            raise AclError(f"accessType {access_type!r} is not one of READ, WRITE, EXECUTE, REPLICATE, *")
        principal_type = raw.get("principalType")
        principal_id = raw.get("principalId")
        if not isinstance(principal_type, str) or not principal_type:
            raise AclError('principalType is missing; use "ROLE", "USER" or "APP"')
        if principal_id is None or principal_id == "":
            raise AclError('principalId is missing, e.g. "$everyone", "$owner" or a role name')
        prop = property if property is not None else raw.get("property")
        if prop is None or prop == "":
            prop = ALL
        if not isinstance(prop, str):
            raise AclError("property must be a method name, * or a list of method names")
        return cls(
            model=str(raw.get("model") or model),
            property=prop,
            access_type=access_type,
            permission=permission,
            principal_type=principal_type,
            principal_id=str(principal_id),
        )


@dataclass(frozen=True)
class Request:
    """What is being accessed: a model, a method (with its aliases) and an access type."""

    model: str
    property: str
    access_type: str
    method_names: frozenset[str]


def score(rule: Rule, request: Request) -> int:
    """How specifically ``rule`` matches ``request`` (higher is more specific); -1 when it does not."""
    total = 0
    for rule_value, wanted, kind in (
        (rule.model, request.model, "model"),
        (rule.property, request.property, "property"),
        (rule.access_type, request.access_type, "access"),
    ):
        total *= 4
        exact = rule_value == wanted or (kind == "property" and rule_value in request.method_names)
        if kind == "access" and not exact:
            exact = rule_value == EXECUTE or (rule_value == WRITE and wanted == REPLICATE)
        if exact:
            total += 3
        elif rule_value == ALL:
            total += 2
        elif wanted == ALL:
            total += 1
        else:
            return -1
    total = total * 4 + _PRINCIPAL_WEIGHT.get(rule.principal_type, 1)
    total *= 8
    if rule.principal_type == ROLE:
        total += _ROLE_WEIGHT.get(rule.principal_id, 5)
    return total * 4 + PERMISSION_ORDER[rule.permission] - 1


def ranked(rules: Iterable[Rule], request: Request) -> list[tuple[int, Rule]]:
    """The rules that match ``request``, most specific first."""
    scored = [(score(rule, request), rule) for rule in rules]
    return sorted((item for item in scored if item[0] >= 0), key=lambda item: -item[0])


def settle(permission: str, *defaults: str | None) -> str:
    """A DEFAULT permission resolved by the model's, then the app's default permission."""
    if permission != DEFAULT:
        return permission
    for default in defaults:
        if default in PERMISSIONS:
            return default
    return ALLOW


def is_allowed(permission: str) -> bool:
    return permission != DENY

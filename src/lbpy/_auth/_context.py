"""Who is calling and what they access: LoopBack's AccessContext and principals, in Python names.

A role resolver (``Role.register_resolver``) and ``Model.check_access`` receive an
``AccessContext``: ``model`` (the class), ``model_id``, ``property`` (the method's name),
``method_names``, ``access_type``, ``access_token`` (the AccessToken record, or None) and
``principals``; ``get_user_id()`` and ``is_authenticated()`` answer as LoopBack's did.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass, field
from typing import Any

from ._acl import ALL, APP, ROLE, USER


@dataclass(frozen=True)
class Principal:
    type: str
    id: Any

    def key(self) -> tuple[str, str]:
        return self.type, str(self.id)


def token_principals(token: Any) -> list[Principal]:
    """The principals an access token stands for: its user, and its application if any."""
    if token is None:
        return []
    found = []
    user_id = token.get("userId")
    if user_id is not None:
        found.append(Principal(token.get("principalType") or USER, user_id))
    app_id = token.get("appId")
    if app_id is not None:
        found.append(Principal(APP, app_id))
    return found


@dataclass
class AccessContext:
    model: Any
    property: str = ALL
    access_type: str = ALL
    model_id: Any = None
    access_token: Any = None
    method_names: frozenset[str] = frozenset()
    principals: list[Principal] = field(default_factory=list)
    #: the remote call's options (what hooks see as ctx.options), when there is one
    options: dict[str, Any] | None = None

    @builtins.property  # the field "property" hides the builtin in this class body
    def model_name(self) -> str | None:
        return self.model.spec.name if self.model is not None else None

    def get_user(self) -> Principal | None:
        for principal in self.principals:
            if principal.type not in (APP, ROLE, "SCOPE"):
                return principal
        return None

    def get_user_id(self) -> Any:
        user = self.get_user()
        return user.id if user is not None else None

    def get_app_id(self) -> Any:
        return next((p.id for p in self.principals if p.type == APP), None)

    def is_authenticated(self) -> bool:
        return self.get_user_id() is not None or self.get_app_id() is not None

"""An app's access-control settings, from ``server/config.json``.

LoopBack 3's own key, ``aclErrorStatus`` (401 or 403 for a denied caller who sent a valid token),
is read where LoopBack read it. lbpy's settings live under ``auth``::

    "auth": {
      "enabled": true,            # default: on when a model derives from User or declares acls
      "defaultPermission": "ALLOW", # what a request no ACL matches gets (a model's own wins)
      "cacheSeconds": 1,          # how long a token and its roles are trusted without a look-up
      "passwordHashing": {"timeCost": 3, "memoryCost": 65536, "parallelism": 4},
      "loginThrottle": {"perAccount": "10 per 15 minutes", "perAddress": "100 per 15 minutes",
                        "storage": "memory://"},
      "cookie": {"secret": "${COOKIE_SECRET}"},   # read (and set at login) a signed cookie
      "redirectOrigins": ["https://app.example.com"],  # where confirm's ?redirect= may point
      "adminRole": "admin"        # who may write Role, RoleMapping and ACL over REST (null: nobody)
    }

``"auth": false`` is ``{"enabled": false}``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ._acl import PERMISSIONS
from ._passwords import HashSettings

DEFAULT_PER_ACCOUNT = "10 per 15 minutes"
DEFAULT_PER_ADDRESS = "100 per 15 minutes"


@dataclass(frozen=True)
class ThrottleSettings:
    enabled: bool = True
    per_account: str = DEFAULT_PER_ACCOUNT
    per_address: str = DEFAULT_PER_ADDRESS
    storage: str = "memory://"


@dataclass(frozen=True)
class AuthSettings:
    enabled: bool | None = None
    default_permission: str | None = None
    acl_error_status: int = 401
    cache_seconds: float = 1.0
    hashing: HashSettings = field(default_factory=HashSettings)
    throttle: ThrottleSettings = field(default_factory=ThrottleSettings)
    cookie_secret: str | None = None
    #: where GET /Users/confirm?redirect= may send a browser besides this server's own paths
    redirect_origins: tuple[str, ...] = ()
    #: the static role that may write Role, RoleMapping and ACL records (and read the last two)
    #: over REST where the app's acls say nothing; None: no one
    admin_role: str | None = "admin"

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> AuthSettings:
        """The settings in ``config`` (server/config.json as a dict); a ValueError names the key
        that cannot be used."""
        raw = config.get("auth")
        if raw is None:
            raw = {}
        elif isinstance(raw, bool):
            raw = {"enabled": raw}
        elif not isinstance(raw, dict):
            raise ValueError('"auth" must be an object, e.g. {"enabled": true}, or true/false')
        enabled = raw.get("enabled")
        if enabled is not None and not isinstance(enabled, bool):
            raise ValueError("auth.enabled must be true or false")
        default = raw.get("defaultPermission")
        if default is not None and default not in PERMISSIONS:
            raise ValueError(f"auth.defaultPermission must be one of {', '.join(PERMISSIONS)}, not {default!r}")
        status = config.get("aclErrorStatus", 401)
        if status not in (401, 403, 404):
            raise ValueError(f"aclErrorStatus must be 401, 403 or 404, not {status!r}")
        seconds = raw.get("cacheSeconds", 1.0)
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not 0 <= seconds <= 60:
            raise ValueError("auth.cacheSeconds must be a number of seconds from 0 to 60")
        throttle = raw.get("loginThrottle", {})
        if throttle is False:
            throttle_settings = ThrottleSettings(enabled=False)
        elif isinstance(throttle, dict):
            throttle_settings = ThrottleSettings(
                per_account=str(throttle.get("perAccount", DEFAULT_PER_ACCOUNT)),
                per_address=str(throttle.get("perAddress", DEFAULT_PER_ADDRESS)),
                storage=str(throttle.get("storage", "memory://")),
            )
        else:
            raise ValueError(
                'auth.loginThrottle must be an object such as {"perAccount": "10 per 15 minutes"}, or false'
            )
        cookie = raw.get("cookie")
        secret = None
        if cookie is not None:
            if not isinstance(cookie, dict) or not isinstance(cookie.get("secret"), str) or len(cookie["secret"]) < 16:
                raise ValueError('auth.cookie needs a "secret" of at least 16 characters, e.g. "${COOKIE_SECRET}"')
            secret = cookie["secret"]
        origins = raw.get("redirectOrigins", [])
        if not isinstance(origins, list) or not all(
            isinstance(o, str) and o.startswith(("http://", "https://")) for o in origins
        ):
            raise ValueError('auth.redirectOrigins must be a list of origins such as "https://app.example.com"')
        admin_role = raw.get("adminRole", "admin")
        if admin_role is False:
            admin_role = None
        if admin_role is not None and (not isinstance(admin_role, str) or not admin_role or admin_role.startswith("$")):
            raise ValueError('auth.adminRole must be the name of a static role, such as "admin", or null')
        return cls(
            enabled=enabled,
            admin_role=admin_role,
            default_permission=default,
            acl_error_status=status,
            cache_seconds=float(seconds),
            hashing=HashSettings.from_config(raw.get("passwordHashing")),
            throttle=throttle_settings,
            cookie_secret=secret,
            redirect_origins=tuple(origins),
        )

"""The operations settings of ``server/config.json``, read and checked once at boot::

    "health": {"path": "/health", "readyPath": "/ready", "timeout": 2,
               "datasources": {"petstore": true}},         # false turns both paths off
    "metrics": {"enabled": true, "path": "/metrics", "token": "${METRICS_TOKEN}"},
    "accessLog": true,                                      # or LBPY_ACCESS_LOG=1, lbpy start --access-log
    "rateLimit": {"perAddress": "600/minute", "perToken": "1200/minute", "storage": "redis://..."},
    "trust proxy": "loopback"                               # Express's setting: whose X-Forwarded-For to believe

A wrong value is a ``ValueError`` whose message names the key and a value that works.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field
from typing import Any

from .._app_files import substitute_env

ACCESS_LOG_ENV = "LBPY_ACCESS_LOG"

#: Express's names for address ranges, as ``trust proxy`` takes them
_NAMED_RANGES = {
    "loopback": ("127.0.0.1/8", "::1/128"),
    "linklocal": ("169.254.0.0/16", "fe80::/10"),
    "uniquelocal": ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"),
}


@dataclass(frozen=True)
class HealthSettings:
    enabled: bool = True
    path: str = "/health"
    ready_path: str = "/ready"
    #: seconds a datasource's ping may take before readiness says "timeout"
    timeout: float = 2.0
    #: datasource name -> pinged or not; unnamed ones are pinged unless they are remote HTTP APIs
    datasources: dict[str, bool] = field(default_factory=dict)


@dataclass(frozen=True)
class MetricsSettings:
    enabled: bool = False
    path: str = "/metrics"
    #: when set, a scrape must send ``Authorization: Bearer <token>``
    token: str | None = None


@dataclass(frozen=True)
class RateLimitSettings:
    enabled: bool = False
    per_address: str | None = None
    per_token: str | None = None
    storage: str = "memory://"


@dataclass(frozen=True)
class TrustProxy:
    """Express's ``trust proxy``: how many proxy hops, or which proxy addresses, to believe."""

    everyone: bool = False
    hops: int = 0
    networks: tuple[Any, ...] = ()

    @property
    def enabled(self) -> bool:
        return self.everyone or self.hops > 0 or bool(self.networks)

    def trusts(self, address: str, index: int) -> bool:
        if self.everyone:
            return True
        if self.hops:
            return index < self.hops
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self.networks if ip.version == network.version)


@dataclass(frozen=True)
class OpsSettings:
    health: HealthSettings = field(default_factory=HealthSettings)
    metrics: MetricsSettings = field(default_factory=MetricsSettings)
    access_log: bool = False
    rate_limit: RateLimitSettings = field(default_factory=RateLimitSettings)
    trust_proxy: TrustProxy = field(default_factory=TrustProxy)

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> OpsSettings:
        """The settings in ``config`` (server/config.json's keys)."""
        return cls(
            health=_health(config.get("health")),
            metrics=_metrics(config.get("metrics")),
            access_log=_access_log(config.get("accessLog")),
            rate_limit=_rate_limit(config.get("rateLimit")),
            trust_proxy=_trust_proxy(config.get("trust proxy", config.get("trustProxy"))),
        )


def _path(value: Any, key: str) -> str:
    if not isinstance(value, str) or not value.startswith("/") or len(value) < 2 or "?" in value:
        raise ValueError(f'{key} must be a path such as "/health", not {value!r}')
    return value.rstrip("/") or value


def _object(value: Any, key: str, example: str) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"enabled": value}
    if not isinstance(value, dict):
        raise ValueError(f"{key} must be an object such as {example}, or true/false")
    enabled = value.get("enabled", True)
    if not isinstance(enabled, bool):
        raise ValueError(f"{key}.enabled must be true or false")
    return value


def _health(raw: Any) -> HealthSettings:
    if raw is None:
        return HealthSettings()
    raw = _object(raw, "health", '{"path": "/health", "readyPath": "/ready"}')
    timeout = raw.get("timeout", 2)
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout <= 60:
        raise ValueError("health.timeout must be a number of seconds from 0 to 60, e.g. 2")
    datasources = raw.get("datasources", {})
    if not isinstance(datasources, dict) or not all(isinstance(v, bool) for v in datasources.values()):
        raise ValueError('health.datasources must map datasource names to true or false, e.g. {"petstore": true}')
    settings = HealthSettings(
        enabled=raw.get("enabled", True),
        path=_path(raw.get("path", "/health"), "health.path"),
        ready_path=_path(raw.get("readyPath", "/ready"), "health.readyPath"),
        timeout=float(timeout),
        datasources=dict(datasources),
    )
    if settings.path == settings.ready_path:
        raise ValueError("health.path and health.readyPath must differ")
    return settings


def _metrics(raw: Any) -> MetricsSettings:
    if raw is None:
        return MetricsSettings()
    raw = _object(raw, "metrics", '{"enabled": true, "path": "/metrics"}')
    token = substitute_env(raw.get("token"), "server/config.json: metrics.token")
    if token is not None and (not isinstance(token, str) or len(token) < 16):
        raise ValueError('metrics.token must be a secret of at least 16 characters, e.g. "${METRICS_TOKEN}"')
    return MetricsSettings(
        enabled=raw.get("enabled", True), path=_path(raw.get("path", "/metrics"), "metrics.path"), token=token or None
    )


def _access_log(raw: Any) -> bool:
    env = os.environ.get(ACCESS_LOG_ENV, "").strip().lower()
    if env:
        return env in ("1", "true", "yes", "on")
    if raw is None:
        return False
    if isinstance(raw, dict):
        raw = raw.get("enabled", True)
    if not isinstance(raw, bool):
        raise ValueError("accessLog must be true or false")
    return raw


def _rate_limit(raw: Any) -> RateLimitSettings:
    if raw is None:
        return RateLimitSettings()
    raw = _object(raw, "rateLimit", '{"perAddress": "600/minute", "perToken": "1200/minute"}')
    limits = {}
    for key in ("perAddress", "perToken"):
        value = raw.get(key)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise ValueError(f'rateLimit.{key} must be a rate such as "600/minute"')
        limits[key] = value
    storage = substitute_env(raw.get("storage", "memory://"), "server/config.json: rateLimit.storage")
    if not isinstance(storage, str) or not storage.strip():
        raise ValueError('rateLimit.storage must be "memory" or a Redis URL such as "redis://localhost:6379/0"')
    storage = storage.strip()
    if storage == "memory":
        storage = "memory://"
    enabled = raw.get("enabled", True) and any(limits.values())
    return RateLimitSettings(
        enabled=enabled, per_address=limits["perAddress"], per_token=limits["perToken"], storage=storage
    )


def _trust_proxy(raw: Any) -> TrustProxy:
    if raw is None or raw is False:
        return TrustProxy()
    if raw is True:
        return TrustProxy(everyone=True)
    if isinstance(raw, int):
        if raw < 0:
            raise ValueError('"trust proxy" must be a number of proxy hops (0 or more)')
        return TrustProxy(hops=raw)
    items = [part.strip() for part in raw.split(",")] if isinstance(raw, str) else raw
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        raise ValueError(
            '"trust proxy" must be true, a number of hops, or addresses such as ["loopback", "10.0.0.0/8"]'
        )
    networks = []
    for item in items:
        for text in _NAMED_RANGES.get(item, (item,)):
            try:
                networks.append(ipaddress.ip_network(text, strict=False))
            except ValueError:
                raise ValueError(
                    f'"trust proxy": {item!r} is not an address, a subnet such as "10.0.0.0/8", '
                    "or one of loopback, linklocal, uniquelocal"
                ) from None
    return TrustProxy(networks=tuple(networks))

"""What a datasource's settings say about HTTP, read and checked once, at boot.

baseURL          the API's root, e.g. "https://api.example.com/v1"
timeout          milliseconds for each of connecting, sending, waiting for the answer
                 (LoopBack's request option; default 30000)
retries          how many times a request is retried on a connection error, a 429 or a
                 503 (default 2); a dropped connection is retried for GET, HEAD, PUT, DELETE
retryBackoff     milliseconds before the first retry, doubled each time (default 200)
maxRetryWait     the longest Retry-After lbpy waits for, in milliseconds (default 10000);
                 a longer one is answered at once, 503 with the remote's Retry-After
maxConcurrency   requests in flight to this API at once (default 64)
rateLimit        requests per second at most (default: no bound); rateBurst, a burst after
                 a quiet spell (default: one second's worth)
rateLimitStorage where the rate is counted: "memory", each process for itself (default), or a
                 Redis URL ("redis://host:6379/0"), every process of the app together; the
                 app's rateLimit.storage in server/config.json when that is Redis
maxResponseBytes the largest answer lbpy reads from the API, in bytes, before and after
                 undoing its Content-Encoding (default 10485760, 10 MiB); a larger one is a
                 502 naming this setting, and its connection is closed without reading on
headers          headers sent with every request (also read from LoopBack's
                 options.headers and defaults.headers)
auth             see lbpy.http's auth module: basic, bearer, apiKey, oauth2
strictSSL        false to accept a certificate that does not verify (default true)
paging           how ``all`` pages through a collection (see lbpy.http's paging module)
transport        an httpx transport object, for tests (an ASGI app behind
                 ``httpx.ASGITransport``); never in a JSON file
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from .._errors import BootError
from ._auth import auth_from_settings
from ._body import DEFAULT_MAX_RESPONSE_BYTES
from ._paging import Paging
from ._redact import Secrets

_REDIS_SCHEMES = ("redis://", "rediss://", "redis+unix://")
#: header names whose values are credentials
_SECRET_HEADERS = ("authorization", "cookie", "key", "token", "secret", "password")


@dataclass
class HttpSettings:
    name: str = "remote"
    base_url: str | None = None
    timeout: float = 30.0
    retries: int = 2
    backoff: float = 0.2
    max_retry_wait: float = 10.0
    max_concurrency: int | None = 64
    rate: float | None = None
    burst: int | None = None
    #: a Redis URL where every process counts the rate together; None: each process for itself
    rate_storage: str | None = None
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES
    headers: dict[str, str] = field(default_factory=dict)
    auth: httpx.Auth | None = None
    verify: bool = True
    paging: Paging = field(default_factory=Paging)
    transport: httpx.AsyncBaseTransport | None = None
    secrets: Secrets = field(default_factory=Secrets)


def http_settings(
    settings: Mapping[str, Any],
    *,
    name: str | None = None,
    where: str | None = None,
    base_url_key: str = "baseURL",
    require_base_url: bool = False,
) -> HttpSettings:
    """The HTTP settings of a datasource's ``settings``; a BootError names a bad one."""
    name = name or str(settings.get("name") or "remote")
    where = where or f'datasource "{name}"'
    secrets = Secrets()
    base_url = settings.get(base_url_key) or settings.get("restPath")
    if base_url is not None:
        if not isinstance(base_url, str) or not base_url.startswith(("http://", "https://")):
            raise BootError(
                f'{where}: {base_url_key} must be an http(s) URL such as "https://api.example.com/v1", not {base_url!r}'
            )
        base_url = base_url.rstrip("/")
    elif require_base_url:
        raise BootError(f'{where}: {base_url_key} is required, e.g. "https://api.example.com/v1"')

    def number(key: str, default: float | None, *, minimum: float = 0, whole: bool = False) -> Any:
        value = settings.get(key, default)
        if value is None:
            return None
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or value < minimum
            or (whole and value != int(value))
        ):
            kind = "a whole number" if whole else "a number"
            raise BootError(f"{where}: {key} must be {kind} of at least {minimum:g}, not {value!r}")
        return int(value) if whole else float(value)

    headers: dict[str, str] = {}
    for source in (settings.get("defaults"), settings.get("options"), settings):
        raw = source.get("headers") if isinstance(source, Mapping) else None
        if raw is None:
            continue
        if not isinstance(raw, Mapping):
            raise BootError(f'{where}: "headers" must be an object of header names and values')
        for key, value in raw.items():
            if value is None:
                continue
            headers[str(key)] = str(value)
            if any(word in str(key).lower() for word in _SECRET_HEADERS):
                secrets.add(str(value))
    options = given_options if isinstance(given_options := settings.get("options"), Mapping) else {}
    auth_raw = settings.get("auth", options.get("auth"))
    transport = settings.get("transport")
    if transport is not None and not isinstance(transport, httpx.AsyncBaseTransport):
        raise BootError(f"{where}: transport must be an httpx.AsyncBaseTransport (tests only)")
    strict = settings.get("strictSSL", options.get("strictSSL", True))
    rate_storage = settings.get("rateLimitStorage", "memory")
    if not isinstance(rate_storage, str) or not (
        rate_storage.strip() in ("memory", "memory://") or rate_storage.startswith(_REDIS_SCHEMES)
    ):
        raise BootError(
            f'{where}: rateLimitStorage must be "memory" or a Redis URL such as "redis://127.0.0.1:6379/0", '
            f"not {rate_storage!r}"
        )
    return HttpSettings(
        name=name,
        base_url=base_url,
        timeout=number("timeout", 30000, minimum=1) / 1000,
        retries=number("retries", 2, whole=True),
        backoff=number("retryBackoff", 200) / 1000,
        max_retry_wait=number("maxRetryWait", 10000) / 1000,
        max_concurrency=number("maxConcurrency", 64, minimum=1, whole=True),
        rate=number("rateLimit", None, minimum=0.001),
        burst=number("rateBurst", None, minimum=1, whole=True),
        rate_storage=rate_storage if rate_storage.startswith(_REDIS_SCHEMES) else None,
        max_response_bytes=number("maxResponseBytes", DEFAULT_MAX_RESPONSE_BYTES, minimum=1, whole=True),
        headers=headers,
        auth=auth_from_settings(auth_raw, secrets, where=where),
        verify=strict is not False,
        paging=Paging.from_settings(settings.get("paging"), where=where),
        transport=transport,
        secrets=secrets,
    )

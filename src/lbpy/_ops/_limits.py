"""Rate limits per client: ``rateLimit.perToken`` for a request that carries a valid access
token (counted per token, wherever it comes from), ``rateLimit.perAddress`` for every other
(counted per client address). Counters live in this process (``"storage": "memory"``) or in
Redis (``"storage": "redis://host:6379/0"``), where every process and machine of the app counts
together. A request over its limit is answered 429 with ``Retry-After``; every counted answer
says where its client stands in ``RateLimit-Limit``, ``RateLimit-Remaining`` and
``RateLimit-Reset`` (seconds), the IETF draft's headers.

A token that is not valid counts as none: inventing tokens gets a caller nothing but its
address's limit. Tokens are kept as digests, never in the counters' storage as they are. When
Redis cannot be reached requests are served uncounted (and a warning says so once a minute):
the limits protect the app, they are not worth taking it down.
"""

from __future__ import annotations

import hashlib
import logging
import time
from typing import Any

from starlette.types import Scope

from .._errors import BootError, HttpError
from .._rate_limit import RateLimitConfigError, RateLimiter, Taken, parse_limit
from ._settings import RateLimitSettings

log = logging.getLogger("lbpy")

_WARN_EVERY = 60.0


class RequestLimits:
    def __init__(self, settings: RateLimitSettings, auth: Any) -> None:
        try:
            self.per_address = (
                parse_limit(settings.per_address, "server/config.json: rateLimit.perAddress")
                if settings.per_address
                else None
            )
            self.per_token = (
                parse_limit(settings.per_token, "server/config.json: rateLimit.perToken")
                if settings.per_token
                else None
            )
            self.limiter = RateLimiter(settings.storage)
        except RateLimitConfigError as exc:
            raise BootError(
                f"server/config.json: rateLimit: {exc}" if "server/config.json" not in str(exc) else str(exc)
            ) from None
        #: the app's access control, which knows valid tokens (None: no tokens to count by)
        self.auth = auth if self.per_token is not None and getattr(auth, "token_model", None) is not None else None
        self._warned_at = -_WARN_EVERY

    async def take(self, scope: Scope, address: str | None) -> tuple[int, Taken] | None:
        """Count this request; its limit and what is left, or None when it is not counted."""
        limit, key = await self._limit_and_key(scope, address)
        if limit is None:
            return None
        try:
            return limit.amount, await self.limiter.take(limit, *key)
        except HttpError:
            now = time.monotonic()
            if now - self._warned_at >= _WARN_EVERY:
                self._warned_at = now
                log.warning("the rate-limit storage is unavailable: requests are served without counting")
            return None

    async def _limit_and_key(self, scope: Scope, address: str | None) -> tuple[Any, tuple[str, ...]]:
        if self.auth is not None:
            try:
                access = await self.auth.call_access(scope)
            except Exception:  # an expired token (REST answers its 401), a store that is down
                access = None
            token = getattr(access, "token", None)
            if token is not None:
                digest = hashlib.sha256(str(token.id).encode()).hexdigest()[:32]
                return self.per_token, ("requests-token", digest)
        if self.per_address is not None and address:
            return self.per_address, ("requests-address", address)
        return None, ()


def limit_headers(limit: int, taken: Taken) -> list[tuple[bytes, bytes]]:
    """The IETF draft's headers (a 429 adds ``Retry-After`` through its error)."""
    return [
        (b"ratelimit-limit", str(limit).encode()),
        (b"ratelimit-remaining", str(taken.remaining).encode()),
        (b"ratelimit-reset", str(taken.reset_after).encode()),
    ]

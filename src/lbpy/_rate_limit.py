"""Rate limits: counters per key over a moving window, kept by the ``limits`` package.

One ``RateLimiter`` holds one storage: in this process's memory by default, or Redis
(``redis://host:6379/0``) so that every process of an app counts together. Limits are written as
``limits`` parses them: ``"10 per 15 minutes"``, ``"100/hour"``. A key is a tuple of strings
(``("login", "account", "ann@example.com")``). Login throttling uses it; so can anything else
that needs to count requests per address or per token.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

from ._errors import ServiceUnavailableError

# ``limits`` loads when a limiter is first made: an app that never counts pays nothing at start


class RateLimitConfigError(ValueError):
    """A limit or a storage that cannot be used; the message says which."""


def parse_limit(text: str, where: str) -> Any:
    """``text`` as a ``limits`` rate-limit item; a RateLimitConfigError names ``where``."""
    from limits import parse
    from limits.errors import ConfigurationError

    try:
        return parse(text)
    except (ValueError, ConfigurationError):
        raise RateLimitConfigError(
            f'{where}: "{text}" is not a rate limit; write it like "10 per 15 minutes" or "100/hour"'
        ) from None


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    #: whole seconds until the next attempt is allowed (0 when allowed)
    retry_after: int = 0


@dataclass(frozen=True)
class Taken:
    allowed: bool
    #: events still allowed in the window
    remaining: int
    #: whole seconds until the window frees up (at least 1)
    reset_after: int


class RateLimiter:
    """Moving-window counters in one storage (``memory://`` or a ``redis://`` URL)."""

    def __init__(self, storage_uri: str = "memory://") -> None:
        from limits.aio.strategies import MovingWindowRateLimiter
        from limits.errors import ConfigurationError
        from limits.storage import storage_from_string

        uri = storage_uri.strip()
        options: dict[str, Any] = {}
        if uri.startswith(("redis://", "rediss://", "redis+unix://")):
            uri = "async+" + uri
            options["implementation"] = "redispy"
        elif uri.startswith("memory://"):
            uri = "async+" + uri
        try:
            self._storage = storage_from_string(uri, **options)
        except (ConfigurationError, ValueError, ImportError) as exc:
            raise RateLimitConfigError(
                f"rate-limit storage {storage_uri!r} cannot be used ({exc}); use memory:// or "
                "redis://host:6379 (pip install 'lbpy[redis]')"
            ) from None
        self._limiter = MovingWindowRateLimiter(self._storage)
        self.uri = storage_uri

    async def check(self, limit: Any, *key: str) -> Verdict:
        """Whether ``key`` is still under ``limit``, without counting this call."""
        try:
            if await self._limiter.test(limit, *key):
                return Verdict(True)
            stats = await self._limiter.get_window_stats(limit, *key)
        except Exception as exc:  # the storage (Redis) is unreachable
            raise self._unavailable(exc) from None
        return Verdict(False, max(1, math.ceil(stats.reset_time - time.time())))

    async def take(self, limit: Any, *key: str) -> Taken:
        """Count one event for ``key`` unless that would go over ``limit``; what is left."""
        try:
            allowed = await self._limiter.hit(limit, *key)
            stats = await self._limiter.get_window_stats(limit, *key)
        except Exception as exc:
            raise self._unavailable(exc) from None
        return Taken(allowed, max(0, stats.remaining), max(1, math.ceil(stats.reset_time - time.time())))

    async def hit(self, limit: Any, *key: str) -> bool:
        """Count one event for ``key``; False when that went over ``limit``."""
        try:
            return await self._limiter.hit(limit, *key)
        except Exception as exc:
            raise self._unavailable(exc) from None

    async def seconds_to_wait(self, limit: Any, *key: str) -> float:
        """How long until ``key`` has room under ``limit`` again (0 when it has now)."""
        try:
            stats = await self._limiter.get_window_stats(limit, *key)
        except Exception as exc:
            raise self._unavailable(exc) from None
        return 0.0 if stats.remaining > 0 else max(0.0, stats.reset_time - time.time())

    async def clear(self, limit: Any, *key: str) -> None:
        try:
            await self._limiter.clear(limit, *key)
        except Exception as exc:
            raise self._unavailable(exc) from None

    def _unavailable(self, exc: Exception) -> ServiceUnavailableError:
        return ServiceUnavailableError(
            f"the rate-limit storage is unavailable ({type(exc).__name__}); try again later",
            code="RATE_LIMIT_UNAVAILABLE",
        )

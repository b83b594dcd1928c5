"""lbpy._rate_limit: moving-window counters in memory, or in Redis shared by every limiter
(every process) that names the same storage."""

from __future__ import annotations

import asyncio
import secrets

import pytest
from redis_support import REDIS_URL, needs_redis

from lbpy._errors import ServiceUnavailableError
from lbpy._rate_limit import RateLimitConfigError, RateLimiter, parse_limit


async def _exhaust(limiter: RateLimiter, key: tuple[str, ...]) -> list:
    limit = parse_limit("2 per minute", "test")
    results = [await limiter.hit(limit, *key) for _ in range(3)]
    verdict = await limiter.check(limit, *key)
    await limiter.clear(limit, *key)
    after = await limiter.check(limit, *key)
    return [results, verdict.allowed, 1 <= verdict.retry_after <= 60, after.allowed]


def test_memory_counts_per_key():
    assert asyncio.run(_exhaust(RateLimiter(), ("t", secrets.token_hex(4)))) == [[True, True, False], False, True, True]


@needs_redis
def test_redis_is_shared_by_every_limiter():
    key = ("t", secrets.token_hex(4))
    limit = parse_limit("2 per minute", "test")

    async def run():
        first, second = RateLimiter(REDIS_URL), RateLimiter(REDIS_URL)
        await first.hit(limit, *key)
        await second.hit(limit, *key)
        verdict = await first.check(limit, *key)
        await first.clear(limit, *key)
        return verdict.allowed

    assert asyncio.run(run()) is False


def test_bad_limits_and_storages_are_clear_errors():
    with pytest.raises(RateLimitConfigError, match='"often" is not a rate limit'):
        parse_limit("often", "auth.loginThrottle.perAccount")
    with pytest.raises(RateLimitConfigError, match="cannot be used"):
        RateLimiter("nosuch://x")


def test_an_unreachable_storage_is_a_503():
    limiter = RateLimiter("redis://127.0.0.1:1/0")
    with pytest.raises(ServiceUnavailableError):
        asyncio.run(limiter.hit(parse_limit("1/minute", "test"), "k"))

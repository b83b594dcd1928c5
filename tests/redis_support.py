"""The Redis server the tests use (``LBPY_TEST_REDIS_URL``, else 127.0.0.1:6379): whether it can be
reached, and a skip that says so when it cannot."""

from __future__ import annotations

import os
import socket
from urllib.parse import urlsplit

import pytest

REDIS_URL = os.environ.get("LBPY_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
_ADDRESS = (urlsplit(REDIS_URL).hostname or "127.0.0.1", urlsplit(REDIS_URL).port or 6379)
_reachable: dict[str, str | None] = {}


def redis_unreachable_reason() -> str | None:
    """Why the test Redis cannot be used, or None when it can (asked once per process)."""
    if "reason" not in _reachable:
        try:
            socket.create_connection(_ADDRESS, timeout=2).close()
            _reachable["reason"] = None
        except OSError as exc:
            _reachable["reason"] = (
                f"Redis is not reachable at {_ADDRESS[0]}:{_ADDRESS[1]} ({exc}); start it or set LBPY_TEST_REDIS_URL"
            )
    return _reachable["reason"]


def redis_reachable() -> bool:
    return redis_unreachable_reason() is None


def require_redis() -> None:
    """Skip the calling test, saying why, when the test Redis cannot be reached."""
    reason = redis_unreachable_reason()
    if reason:
        pytest.skip(reason)


#: marks a test that needs the test Redis (skipped, saying why, without it)
needs_redis = pytest.mark.skipif(not redis_reachable(), reason=redis_unreachable_reason() or "")

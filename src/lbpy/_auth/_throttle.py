"""Login throttling: failed logins counted per account and per client address.

Past ``perAccount`` failures for one account, or ``perAddress`` from one address, within their
windows, a login (and a password-reset request) answers 429 with ``Retry-After`` until the
window frees up; a successful login clears its account's count. Counts live in this process by
default, or in Redis (``"storage": "redis://host:6379"``) for every process of the app. An
unknown account is counted like a known one, so throttling tells nothing about which exist.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .._errors import TooManyRequestsError
from .._rate_limit import RateLimiter, parse_limit
from ._settings import ThrottleSettings


class LoginThrottle:
    def __init__(self, settings: ThrottleSettings) -> None:
        self.settings = settings
        self._limiter: RateLimiter | None = None

    @property
    def limiter(self) -> RateLimiter:
        """Made at the first login, so that an app's start loads no rate-limit machinery."""
        if self._limiter is None:
            settings = self.settings
            self.per_account = parse_limit(settings.per_account, "auth.loginThrottle.perAccount")
            self.per_address = parse_limit(settings.per_address, "auth.loginThrottle.perAddress")
            self._limiter = RateLimiter(settings.storage)
        return self._limiter

    def _keys(self, account: str | None, address: str | None) -> Iterator[tuple[Any, tuple[str, str]]]:
        self.limiter  # noqa: B018 (reads the limits)
        if account:
            yield self.per_account, ("login-account", account)
        if address:
            yield self.per_address, ("login-address", address)

    async def check(self, account: str | None, address: str | None) -> None:
        """A 429 when the account or the address is over its limit."""
        waits = []
        for limit, key in self._keys(account, address):
            verdict = await self.limiter.check(limit, *key)
            if not verdict.allowed:
                waits.append(verdict.retry_after)
        if waits:
            wait = max(waits)
            raise TooManyRequestsError(
                f"Too many failed attempts: try again in {wait} seconds", retry_after=wait, code="TOO_MANY_ATTEMPTS"
            )

    async def failed(self, account: str | None, address: str | None) -> None:
        for limit, key in self._keys(account, address):
            await self.limiter.hit(limit, *key)

    async def succeeded(self, account: str | None) -> None:
        if account:
            limiter = self.limiter
            await limiter.clear(self.per_account, "login-account", account)


def account_key(model_name: str, credentials: dict[str, Any]) -> str | None:
    """The account a login or reset request names, however it is spelt."""
    for field in ("email", "username"):
        value = credentials.get(field)
        if isinstance(value, str) and value:
            realm = credentials.get("realm")
            realm = realm if isinstance(realm, str) else ""
            return f"{model_name}:{realm}:{field}:{value.strip().lower()}"
    return None

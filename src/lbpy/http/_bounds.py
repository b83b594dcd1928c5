"""A per-datasource bound on requests in flight and on their rate, so that one busy app cannot
flood a remote API (and be locked out by it).

The bound on requests in flight is each process's own. The rate is too, unless it is shared
(``SharedRate``): then every process that names the same Redis counts the datasource's requests
together, so that an app of many workers keeps the remote's quota as one process would.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from collections import deque

import anyio

from .._errors import BootError, HttpError
from .._rate_limit import RateLimitConfigError, RateLimiter, parse_limit

log = logging.getLogger("lbpy.http")

_WARN_EVERY = 60.0


class SharedRate:
    """A datasource's rate counted in Redis (``rateLimitStorage``), over whole-second windows as
    Redis counts them: at most ``floor(rate * W)`` requests in any ``W = ceil(burst / rate)``
    seconds, which never exceeds ``rate`` on average. The key is the datasource's name and base
    URL, so that the processes of one app share it and other datasources do not."""

    def __init__(self, storage: str, name: str, base_url: str | None, rate: float, burst: int) -> None:
        self.storage = storage
        self.name = name
        self.window = max(1, math.ceil(burst / rate))
        self.amount = max(1, math.floor(rate * self.window))
        self.limit = parse_limit(f"{self.amount} per {self.window} second", f'datasource "{name}": rateLimit')
        self.key = ("lbpy-http-rate", name, hashlib.sha256((base_url or "").encode()).hexdigest()[:16])
        try:
            #: remade for each event loop that sends requests (Redis connections belong to one)
            self._limiter: RateLimiter | None = RateLimiter(storage)
        except RateLimitConfigError as exc:
            raise BootError(f'datasource "{name}": rateLimitStorage: {exc}') from None
        self._warned_at = -_WARN_EVERY

    async def take(self) -> bool:
        """Wait for room in the shared window and take it; False when the storage cannot be
        reached (the caller keeps its own bound then, and a warning says so once a minute)."""
        if self._limiter is None:
            self._limiter = RateLimiter(self.storage)
        try:
            while True:
                if await self._limiter.hit(self.limit, *self.key):
                    return True
                await anyio.sleep(max(0.01, await self._limiter.seconds_to_wait(self.limit, *self.key)))
        except HttpError:
            now = time.monotonic()
            if now - self._warned_at >= _WARN_EVERY:
                self._warned_at = now
                log.warning(
                    'datasource "%s": the rateLimitStorage cannot be reached: requests keep this '
                    "process's own bound until it can",
                    self.name,
                )
            return False

    def reset(self) -> None:
        self._limiter = None


class RequestBounds:
    """At most ``max_concurrency`` requests at once and, with ``rate`` set, requests started at
    least ``1 / rate`` seconds apart (a burst of ``burst`` may go at once after a quiet spell)."""

    def __init__(
        self,
        max_concurrency: int | None = None,
        rate: float | None = None,
        burst: int | None = None,
        shared: SharedRate | None = None,
    ) -> None:
        self.max_concurrency = max_concurrency
        self.rate = rate
        #: the rate counted with other processes (None: this process's own)
        self.shared = shared
        self.burst = max(1, int(burst if burst is not None else (rate or 1)))
        #: requests holding a slot, and those waiting for one, first come first served; a free
        #: slot is taken without a trip through the event loop (a semaphore's acquire yields to
        #: it on every request, a measurable share of a pooled request's cost)
        self._in_flight = 0
        self._waiters: deque[anyio.Event] = deque()
        self._lock: anyio.Lock | None = None
        self._tokens = float(self.burst)
        self._stamp = time.monotonic()

    async def __aenter__(self) -> RequestBounds:
        if self.max_concurrency:
            if self._in_flight < self.max_concurrency and not self._waiters:
                self._in_flight += 1
            else:
                await self._wait_for_slot()
        try:
            if self.rate:
                await self._take(self.rate)
        except BaseException:
            self._release()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._release()

    async def _wait_for_slot(self) -> None:
        """Wait until a finishing request hands its slot over (``_release``)."""
        handed = anyio.Event()
        self._waiters.append(handed)
        try:
            await handed.wait()
        except BaseException:
            if handed.is_set():
                self._release()  # handed a slot while being cancelled: pass it on
            else:
                self._waiters.remove(handed)
            raise

    def _release(self) -> None:
        if not self.max_concurrency:
            return
        if self._waiters:
            self._waiters.popleft().set()  # the slot goes to the first waiter, still counted
        else:
            self._in_flight -= 1

    async def _take(self, rate: float) -> None:
        if self._lock is None:
            self._lock = anyio.Lock()
        async with self._lock:  # one waiter at a time: requests start in arrival order
            if self.shared is not None and await self.shared.take():
                return
            while True:
                now = time.monotonic()
                self._tokens = min(float(self.burst), self._tokens + (now - self._stamp) * rate)
                self._stamp = now
                if self._tokens >= 1:
                    self._tokens -= 1
                    return
                await anyio.sleep((1 - self._tokens) / rate)

    def reset(self) -> None:
        """Forget primitives bound to an event loop that has ended (after ``aclose``)."""
        self._in_flight = 0
        self._waiters = deque()
        self._lock = None
        if self.shared is not None:
            self.shared.reset()

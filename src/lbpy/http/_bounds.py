"""A per-datasource bound on requests in flight and on their rate, so that one busy app cannot
flood a remote API (and be locked out by it)."""

from __future__ import annotations

import time

import anyio


class RequestBounds:
    """At most ``max_concurrency`` requests at once and, with ``rate`` set, requests started at
    least ``1 / rate`` seconds apart (a burst of ``burst`` may go at once after a quiet spell)."""

    def __init__(self, max_concurrency: int | None = None, rate: float | None = None,
                 burst: int | None = None) -> None:
        self.max_concurrency = max_concurrency
        self.rate = rate
        self.burst = max(1, int(burst if burst is not None else (rate or 1)))
        self._semaphore: anyio.Semaphore | None = None
        self._lock: anyio.Lock | None = None
        self._tokens = float(self.burst)
        self._stamp = time.monotonic()

    async def __aenter__(self) -> "RequestBounds":
        if self.max_concurrency:
            if self._semaphore is None:
                self._semaphore = anyio.Semaphore(self.max_concurrency)
            await self._semaphore.acquire()
        try:
            if self.rate:
                await self._take()
        except BaseException:
            if self._semaphore is not None:
                self._semaphore.release()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._semaphore is not None:
            self._semaphore.release()

    async def _take(self) -> None:
        if self._lock is None:
            self._lock = anyio.Lock()
        async with self._lock:  # one waiter at a time: requests start in arrival order
            while True:
                now = time.monotonic()
                self._tokens = min(float(self.burst), self._tokens + (now - self._stamp) * self.rate)
                self._stamp = now
                if self._tokens >= 1:
                    self._tokens -= 1
                    return
                await anyio.sleep((1 - self._tokens) / self.rate)

    def reset(self) -> None:
        """Forget primitives bound to an event loop that has ended (after ``aclose``)."""
        self._semaphore = None
        self._lock = None

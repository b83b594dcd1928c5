"""A per-datasource bound on requests in flight and on their rate, so that one busy app cannot
flood a remote API (and be locked out by it)."""

from __future__ import annotations

import time
from collections import deque

import anyio


class RequestBounds:
    """At most ``max_concurrency`` requests at once and, with ``rate`` set, requests started at
    least ``1 / rate`` seconds apart (a burst of ``burst`` may go at once after a quiet spell)."""

    def __init__(self, max_concurrency: int | None = None, rate: float | None = None, burst: int | None = None) -> None:
        self.max_concurrency = max_concurrency
        self.rate = rate
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

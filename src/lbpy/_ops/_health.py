"""Health and readiness, for load balancers and orchestrators.

``GET /health`` answers 200 ``{"status": "ok"}`` while the process serves. ``GET /ready``
answers 503 once the process is stopping (SIGTERM: it finishes what is under way and takes
nothing new), so that a load balancer sends nothing more its way; otherwise it pings every
datasource (at once, each bounded by ``health.timeout``) and answers 200 when all answered,
else 503 naming the ones that did not, by name and kind of failure only: a datasource's URL,
host or credentials are never in the answer. Remote HTTP APIs (the ``rest`` and
``openapi`` connectors) are not pinged unless ``health.datasources`` names them: an instance is
still ready when an API it calls is down.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from .._datasource import DataSource
from .._errors import HttpError
from ._settings import HealthSettings

log = logging.getLogger("lbpy")

#: connectors that reach someone else's service: not pinged unless asked for
_REMOTE_CONNECTORS = frozenset({"rest", "openapi"})


class Readiness:
    def __init__(
        self,
        settings: HealthSettings,
        datasources: dict[str, DataSource],
        start: Callable[[], Awaitable[None]],
        stopping: Callable[[], bool] = lambda: False,
    ) -> None:
        self.timeout = settings.timeout
        self.start = start
        #: whether the process is stopping (draining its requests under way)
        self.stopping = stopping
        self.checked = {
            name: settings.datasources.get(name, ds.connector_name not in _REMOTE_CONNECTORS)
            for name, ds in datasources.items()
        }
        self.datasources = datasources
        #: a ping still running (a database that does not answer): the next probe waits on it
        #: rather than adding another, so probes never pile up on a stuck pool
        self._pending: dict[str, asyncio.Task[Any]] = {}

    async def check(self) -> tuple[int, dict[str, Any]]:
        if self.stopping():
            return _STOPPING
        try:
            await self.start()
        except Exception as exc:
            log.warning("not ready: the app could not start (%s)", _kind(exc))
            return 503, {"status": "unavailable", "reason": "the app has not started"}
        names = [name for name, checked in self.checked.items() if checked]
        results = await asyncio.gather(*(self._ping(name) for name in names))
        report: dict[str, str] = {name: "skipped" for name, checked in self.checked.items() if not checked}
        report.update(zip(names, results, strict=True))
        if self.stopping():  # the signal came while the datasources were pinged
            return _STOPPING
        ready = all(result == "ok" for result in results)
        return (200 if ready else 503), {"status": "ok" if ready else "unavailable", "datasources": report}

    async def _ping(self, name: str) -> str:
        task = self._pending.get(name)
        if task is None:
            task = self._pending[name] = asyncio.ensure_future(self.datasources[name].ping())
            task.add_done_callback(functools.partial(self._done, name))
        # asyncio.wait leaves the ping running past the timeout: a SQL pool's wait is shielded
        # from cancellation, and a later probe picks the same ping up
        done, _ = await asyncio.wait({task}, timeout=self.timeout)
        if not done:
            return "timeout"
        exc = task.exception()
        if exc is None:
            return "ok"
        log.warning('not ready: datasource "%s" did not answer its ping (%s)', name, _kind(exc))
        return f"failed ({type(exc).__name__})"

    def _done(self, name: str, task: asyncio.Task[Any]) -> None:
        if self._pending.get(name) is task:
            del self._pending[name]
        if not task.cancelled():
            task.exception()  # retrieved: no "exception was never retrieved" at exit


_STOPPING = (503, {"status": "unavailable", "reason": "the process is shutting down"})


def _kind(exc: BaseException) -> str:
    """What went wrong, in lbpy's own words when lbpy raised it; a driver's text may hold a
    host or a user name, so only its class is shown."""
    if isinstance(exc, HttpError):
        return str(exc.message)
    return type(exc).__name__

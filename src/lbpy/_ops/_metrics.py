"""Prometheus metrics, with the official ``prometheus-client`` (``pip install 'lbpy[metrics]'``).

Requests are counted by model, remote method and status, and timed by model and method: the
labels come from the route a request matched, never from its path, so their number is bounded by
the app's routes (a request no route served has empty ``model`` and ``method``). SQL pools and
open change-stream clients are gauges.

Under ``lbpy start --workers N`` each worker writes its figures to files in
``PROMETHEUS_MULTIPROC_DIR`` (prometheus-client's multiprocess mode) and a scrape, answered by
any worker, adds them up; ``multiprocess_dir`` makes that folder for the run and removes it after.
"""

from __future__ import annotations

import asyncio
import hmac
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol, runtime_checkable

from .._datasource import DataSource
from .._errors import BootError
from ._settings import MetricsSettings

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
#: request durations in seconds: lbpy answers most requests in a millisecond or a few
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
#: how often a worker in multiprocess mode writes its pools' figures (a scrape reads files only)
POOL_REFRESH_SECONDS = 2.0


@contextmanager
def multiprocess_dir(workers: int) -> Iterator[str | None]:
    """For a run of ``workers`` processes: a fresh ``PROMETHEUS_MULTIPROC_DIR`` (when more than
    one and none is set), removed when the run ends. The workers inherit it from the
    environment; one that is already set is the operator's, and is left alone."""
    if workers <= 1 or os.environ.get(MULTIPROC_ENV):
        yield os.environ.get(MULTIPROC_ENV)
        return
    path = tempfile.mkdtemp(prefix="lbpy-metrics-")
    os.environ[MULTIPROC_ENV] = path
    try:
        yield path
    finally:
        if os.environ.get(MULTIPROC_ENV) == path:
            del os.environ[MULTIPROC_ENV]
        shutil.rmtree(path, ignore_errors=True)


@runtime_checkable
class PoolReporting(Protocol):
    """A connector with a connection pool whose figures metrics show (the SQL connector)."""

    def pool_status(self) -> dict[str, int] | None: ...


class Metrics:
    """One app's metrics; ``observe`` is called once per request, at its end."""

    def __init__(self, settings: MetricsSettings, datasources: dict[str, DataSource]) -> None:
        try:
            import prometheus_client
        except ImportError:
            raise BootError(
                "server/config.json turns metrics on, but prometheus-client is not installed: "
                "pip install 'lbpy[metrics]'"
            ) from None
        from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

        self._client = prometheus_client
        self.settings = settings
        self.token = settings.token.encode() if settings.token else None
        self.multiprocess = bool(os.environ.get(MULTIPROC_ENV))
        # one registry per app (tests and scripts make several); in multiprocess mode the
        # figures live in files and a scrape collects them from there
        self.registry = None if self.multiprocess else CollectorRegistry(auto_describe=True)
        registry = self.registry
        if registry is not None:
            prometheus_client.ProcessCollector(registry=registry)
        self.requests = Counter(
            "lbpy_http_requests",
            "HTTP requests answered, by model, remote method and status",
            ["model", "method", "status"],
            registry=registry,
        )
        self.duration = Histogram(
            "lbpy_http_request_duration_seconds",
            "Time to answer an HTTP request, by model and remote method",
            ["model", "method"],
            buckets=BUCKETS,
            registry=registry,
        )
        self.streams = Gauge(
            "lbpy_change_stream_clients",
            "Open change-stream connections, by model",
            ["model"],
            multiprocess_mode="livesum",
            registry=registry,
        )
        self.pool_size = Gauge(
            "lbpy_sql_pool_connections",
            "Connections the SQL pool holds open",
            ["datasource"],
            multiprocess_mode="livesum",
            registry=registry,
        )
        self.pool_in_use = Gauge(
            "lbpy_sql_pool_connections_in_use",
            "SQL pool connections serving a request",
            ["datasource"],
            multiprocess_mode="livesum",
            registry=registry,
        )
        self.pool_max = Gauge(
            "lbpy_sql_pool_connections_max",
            "Connections the SQL pool may open",
            ["datasource"],
            multiprocess_mode="livesum",
            registry=registry,
        )
        self.pool_waits = Counter(
            "lbpy_sql_pool_waits", "Requests that found no idle SQL connection", ["datasource"], registry=registry
        )
        self.pool_timeouts = Counter(
            "lbpy_sql_pool_timeouts",
            "Requests that waited acquireTimeout for a SQL connection and were answered 503",
            ["datasource"],
            registry=registry,
        )
        self._pools = [(name, ds) for name, ds in datasources.items() if isinstance(ds.connector, PoolReporting)]
        self._counted: dict[str, tuple[int, int]] = {}
        #: (route, status) -> the counter's and the histogram's children, made once each
        self._children: dict[Any, tuple[Any, Any]] = {}
        self._stream_children: dict[str, Any] = {}
        self._refreshing = False

    # -- per request --------------------------------------------------------------------------

    def observe(self, route: Any, status: int, seconds: float) -> None:
        children = self._children.get((route, status))
        if children is None:
            children = self._children[(route, status)] = self._make_children(route, status)
        children[0].inc()
        children[1].observe(seconds)

    def _make_children(self, route: Any, status: int) -> tuple[Any, Any]:
        model, method = labels_of(route)
        return self.requests.labels(model, method, str(status)), self.duration.labels(model, method)

    def stream_gauge(self, route: Any) -> Any:
        model = route.model.spec.name
        gauge = self._stream_children.get(model)
        if gauge is None:
            gauge = self._stream_children[model] = self.streams.labels(model)
        return gauge

    def start_refreshing(self) -> None:
        """In multiprocess mode a scrape reads files only: each worker writes its pools'
        figures every few seconds (from the first request on; nothing per request)."""
        if not self.multiprocess or self._refreshing or not self._pools:
            return
        self._refreshing = True
        loop = asyncio.get_running_loop()

        def tick() -> None:
            self.refresh_pools()
            loop.call_later(POOL_REFRESH_SECONDS, tick)

        loop.call_later(POOL_REFRESH_SECONDS, tick)

    # -- per scrape -----------------------------------------------------------------------------

    def allowed(self, headers: Iterable[tuple[bytes, bytes]]) -> bool:
        if self.token is None:
            return True
        for key, value in headers:
            if key == b"authorization":
                scheme, _, given = value.partition(b" ")
                return scheme.lower() == b"bearer" and hmac.compare_digest(given.strip(), self.token)
        return False

    def exposition(self) -> tuple[bytes, bytes]:
        """The Prometheus text of every figure (every worker's, in multiprocess mode), and its type."""
        self.refresh_pools()
        client = self._client
        registry = self.registry
        if registry is None:  # multiprocess mode: a registry that reads every worker's files
            from prometheus_client import CollectorRegistry, multiprocess

            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
        return client.generate_latest(registry), client.CONTENT_TYPE_LATEST.encode()

    def refresh_pools(self) -> None:
        for name, datasource in self._pools:
            connector = datasource.connector
            status = connector.pool_status() if isinstance(connector, PoolReporting) else None
            if status is None:
                continue
            self.pool_size.labels(name).set(status["size"])
            self.pool_in_use.labels(name).set(status["in_use"])
            self.pool_max.labels(name).set(status["max"])
            waits, timeouts = status.get("waits"), status.get("timeouts")
            if waits is None or timeouts is None:
                continue
            seen_waits, seen_timeouts = self._counted.get(name, (0, 0))
            if waits > seen_waits:
                self.pool_waits.labels(name).inc(waits - seen_waits)
            if timeouts > seen_timeouts:
                self.pool_timeouts.labels(name).inc(timeouts - seen_timeouts)
            self._counted[name] = (max(waits, seen_waits), max(timeouts, seen_timeouts))


def labels_of(route: Any) -> tuple[str, str]:
    """A route's ``model`` and ``method`` labels: the model's name and the remote method's, as
    LoopBack names it (``find``, ``prototype.patchAttributes``); empty for no route."""
    if route is None:
        return "", ""
    method = route.method
    return route.model.spec.name, method.name if method.is_static else f"prototype.{method.name}"

"""The operations layer: one ASGI callable around the app's own.

It answers the health, readiness and metrics paths itself (uncounted, unlogged, outside the
REST API's routes, ACLs and documents), and for every other request: gives it a request id,
finds its client's address, applies the rate limits, and once it is answered counts it in the
metrics and writes its access-log line. Each part costs nothing when it is off; the access log's
line is formatted only when a handler writes it.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Awaitable, Callable
from time import perf_counter
from typing import Any, ClassVar

from starlette.types import Message, Receive, Scope, Send

from .._datasource import DataSource
from .._errors import MethodNotAllowedError, TooManyRequestsError, UnauthorizedError
from .._rest._errors import error_body
from .._rest._response import dumps, request_origin, send_response
from ._health import Readiness
from ._limits import RequestLimits, limit_headers
from ._metrics import Metrics, labels_of
from ._request import (
    REQUEST_ID_HEADER,
    client_address,
    current_request_id,
    forwarded_scheme,
    install_request_id_filter,
    logged_path,
    request_id,
)
from ._settings import OpsSettings

log = logging.getLogger("lbpy")
access_log = logging.getLogger("lbpy.access")

#: where the REST layer leaves the route a request matched (read for metrics and logs)
ROUTE_KEY = "lbpy.route"

_TEXT = [(b"content-type", b"text/plain; charset=utf-8")]


class Operations:
    def __init__(
        self,
        settings: OpsSettings,
        *,
        datasources: dict[str, DataSource],
        auth: Any,
        start: Callable[[], Awaitable[None]],
        stopping: Callable[[], bool] = lambda: False,
        cors: bool,
        debug: bool,
    ) -> None:
        self.settings = settings
        self.cors = cors
        self.debug = debug
        self.trust = settings.trust_proxy
        self.access_log = settings.access_log
        self.metrics = Metrics(settings.metrics, datasources) if settings.metrics.enabled else None
        self.limits = RequestLimits(settings.rate_limit, auth) if settings.rate_limit.enabled else None
        self.readiness = Readiness(settings.health, datasources, start, stopping)
        self.paths: dict[str, Callable[..., Any]] = {}
        if settings.health.enabled:
            self.paths[settings.health.path] = self._health
            self.paths[settings.health.ready_path] = self._ready
        if self.metrics is not None:
            self.paths[settings.metrics.path] = self._metrics
        install_request_id_filter(log)

    def wrap(self, app: Callable[..., Any]) -> Callable[..., Any]:
        paths = self.paths
        trust = self.trust
        metrics = self.metrics
        limits = self.limits
        logging_on = self.access_log

        async def operations(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            own = paths.get(scope["path"])
            if own is not None:
                await own(scope, receive, send)
                return
            started = perf_counter()
            rid = request_id(scope["headers"])
            if trust.enabled:
                address = client_address(scope, trust)
                scheme = forwarded_scheme(scope, trust)
                if scheme is not None:
                    scope["scheme"] = scheme  # https through a trusted proxy: Secure cookies
                scope["client"] = (address, 0)  # what the layers below (login throttling) see
            else:
                client = scope.get("client")
                address = client[0] if client else None
            added = [(REQUEST_ID_HEADER, rid.encode())]
            status = 0
            stream = None
            if metrics is not None:
                metrics.start_refreshing()

            async def reply(message: Message) -> None:
                nonlocal status, stream
                if message["type"] == "http.response.start":
                    status = message["status"]
                    message["headers"] = [*message.get("headers", ()), *added]
                    if metrics is not None:
                        route = scope.get(ROUTE_KEY)
                        if route is not None and route.method.streams and status == 200:
                            stream = metrics.stream_gauge(route)
                            stream.inc()
                await send(message)

            context = current_request_id.set(rid)
            try:
                if limits is not None:
                    counted = await limits.take(scope, address)
                    if counted is not None:
                        added += limit_headers(*counted)
                        if not counted[1].allowed:
                            wait = counted[1].reset_after
                            await self._error(
                                scope,
                                reply,
                                TooManyRequestsError(
                                    f"Too many requests: try again in {wait} seconds",
                                    retry_after=wait,
                                    code="TOO_MANY_REQUESTS",
                                ),
                            )
                            return
                await app(scope, receive, reply)
            except Exception as exc:
                if status:
                    log.error("error after the answer had started", exc_info=exc)
                else:
                    await self._error(scope, reply, exc)  # logs an unexpected one with its request id
            finally:
                current_request_id.reset(context)
                if stream is not None:
                    stream.dec()
                seconds = perf_counter() - started
                if metrics is not None:
                    metrics.observe(scope.get(ROUTE_KEY), status or 500, seconds)
                if logging_on and access_log.isEnabledFor(logging.INFO):
                    _log_access(scope, address, status or 500, seconds, rid)

        return operations

    async def _error(self, scope: Scope, send: Send, exc: BaseException) -> None:
        status, payload = error_body(exc, debug=self.debug)
        headers = tuple(
            (k.lower().encode("latin-1"), str(v).encode("latin-1"))
            for k, v in (getattr(exc, "headers", None) or {}).items()
        )
        await send_response(send, status, dumps(payload), request_origin(scope), self.cors, extra=headers)

    # -- the operator's paths ---------------------------------------------------------------------

    async def _health(self, scope: Scope, receive: Receive, send: Send) -> None:
        if await self._refuse_verb(scope, send):
            return
        await self._json(scope, send, 200, {"status": "ok"})

    async def _ready(self, scope: Scope, receive: Receive, send: Send) -> None:
        if await self._refuse_verb(scope, send):
            return
        status, body = await self.readiness.check()
        await self._json(scope, send, status, body)

    async def _metrics(self, scope: Scope, receive: Receive, send: Send) -> None:
        if await self._refuse_verb(scope, send):
            return
        metrics = self.metrics
        assert metrics is not None  # this path is served only when metrics are on
        if not metrics.allowed(scope["headers"]):
            await self._error(scope, send, _metrics_unauthorized())
            return
        body, content_type = metrics.exposition()
        head = scope["method"] == "HEAD"
        await send_response(
            send,
            200,
            None if head else body,
            None,
            False,
            length=len(body),
            content_type=[(b"content-type", content_type)],
            extra=_NO_CACHE,
        )

    async def _refuse_verb(self, scope: Scope, send: Send) -> bool:
        if scope["method"] in ("GET", "HEAD"):
            return False
        await self._error(
            scope, send, MethodNotAllowedError(f"{scope['path']} answers GET and HEAD only", allowed=["GET", "HEAD"])
        )
        return True

    async def _json(self, scope: Scope, send: Send, status: int, body: dict[str, Any]) -> None:
        payload = dumps(body)
        head = scope["method"] == "HEAD"
        await send_response(
            send,
            status,
            None if head else payload,
            request_origin(scope),
            self.cors,
            length=len(payload),
            extra=_NO_CACHE,
        )


def _metrics_unauthorized() -> UnauthorizedError:
    return UnauthorizedError(
        "Metrics need the token in server/config.json's metrics.token: send Authorization: Bearer <token>",
        code="AUTHORIZATION_REQUIRED",
        headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
    )


_NO_CACHE = ((b"cache-control", b"no-store"),)


def _log_access(scope: Scope, address: str | None, status: int, seconds: float, rid: str) -> None:
    """One line per request; the fields are on the record too, for a structured formatter."""
    model, method = labels_of(scope.get(ROUTE_KEY))
    path = logged_path(scope)
    verb = scope["method"]
    ms = round(seconds * 1000, 3)
    access_log.handle(
        AccessRecord(
            (address or "-", verb, path, status, ms, rid),
            {
                "request_id": rid,
                "client_addr": address,
                "method": verb,
                "path": path,
                "status_code": status,
                "duration_ms": ms,
                "model": model or None,
                "remote_method": method or None,
            },
        )
    )


class AccessRecord(logging.LogRecord):
    """An access-log record on ``lbpy.access``, made without what ``Logger.info`` does for any
    record (walk the stack for the caller, parse its file name, look up the thread's and the
    process's names: two thirds of its cost) and is the same for every request of a process."""

    _constant: ClassVar[dict[str, Any]] = {}
    _pid: ClassVar[int] = 0

    def __init__(
        self, args: tuple[Any, ...], fields: dict[str, Any]
    ) -> None:  # not super().__init__: what it does is avoided
        if AccessRecord._pid != os.getpid():
            AccessRecord._constant = _constant_fields()
            AccessRecord._pid = os.getpid()
        now = time.time()
        self.__dict__.update(AccessRecord._constant)
        self.__dict__.update(fields)
        self.args = args
        self.created = now
        self.msecs = int((now - int(now)) * 1000) + 0.0
        # logging's start time has no public name; LogRecord reads the same module attribute
        self.relativeCreated = (now - logging._startTime) * 1000  # type: ignore[attr-defined]


def _constant_fields() -> dict[str, Any]:
    probe = logging.LogRecord(access_log.name, logging.INFO, __file__, 0, _ACCESS_LINE, None, None, "access")
    fields = dict(probe.__dict__)
    for varying in ("args", "created", "msecs", "relativeCreated"):
        fields.pop(varying, None)
    return fields


_ACCESS_LINE = '%s - "%s %s" %d %.1fms %s'

"""The ASGI app: lifespan, CORS, LoopBack 3's REST routes for every public model, errors, and
the explorer and documents.

The REST path is plain ASGI (no per-request framework objects) because it is the hot path; the
explorer and the documents are ordinary Starlette routes.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any
from urllib.parse import unquote_to_bytes

from starlette.routing import Router
from starlette.types import Receive, Scope, Send

from .._errors import HttpError, NotFoundError
from ._docs import doc_routes
from ._errors import error_body
from ._invoke import RestApp
from ._response import dumps, request_origin, send_preflight, send_response
from ._served import ServedApp

log = logging.getLogger("lbpy")


def build_asgi(app: ServedApp, fallback: Callable[..., Any] | None = None) -> Callable[..., Any]:
    """The whole ASGI app: lifespan, CORS, REST routes, documents and the explorer.

    With ``fallback`` (the rest of an HTTP pipeline), a request none of these serve goes on to it,
    and ``/`` is the pipeline's to place (see :func:`root_status`); otherwise it is a LoopBack 404."""
    rest = RestApp(app)
    root = app.rest_api_root
    root_len = len(root)

    async def not_found(scope: Scope, receive: Receive, send: Send) -> None:
        error = NotFoundError(f"Cannot {scope.get('method', 'GET')} {scope.get('path', '/')}")
        status, payload = error_body(error, debug=app.debug)
        await send_response(send, status, dumps(payload), request_origin(scope), rest.cors)

    others = Router(routes=doc_routes(app, rest), default=fallback or not_found)
    routes_built: list[bool] = []
    at_root = None if fallback is not None else root_status(rest.cors)

    async def asgi(scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "lifespan":
            await _lifespan(app, receive, send)
            return
        if kind != "http":
            await others(scope, receive, send)
            return
        if not app.started or not routes_built:
            try:
                await app.start()
                if not routes_built:
                    rest.build_routes()
                    routes_built.append(True)
            except Exception as exc:
                status, payload = error_body(exc if isinstance(exc, HttpError) else _unavailable(exc), debug=app.debug)
                await send_response(send, status, dumps(payload), None, False)
                return
        origin = request_origin(scope)
        path: str = scope["path"]
        if scope["method"] == "OPTIONS" and rest.cors:
            await send_preflight(scope, send, origin)
            return
        if path.startswith(root) and (len(path) == root_len or path[root_len] == "/"):
            await rest.handle(scope, receive, send, _path_parts(scope, path, root_len), origin)
            return
        if at_root is not None and path == "/" and scope["method"] in ("GET", "HEAD"):
            await at_root(scope, receive, send)
            return
        await others(scope, receive, send)

    return asgi


def root_status(cors: bool) -> Callable[..., Any]:
    """``GET /``: when the app started and how long it has run (LoopBack's ``boot/root.js``)."""
    started_at = datetime.now(timezone.utc)
    start_clock = time.monotonic()

    async def status(scope: Scope, receive: Receive, send: Send) -> None:
        body = dumps({"started": started_at, "uptime": round(time.monotonic() - start_clock, 3)})
        await send_response(send, 200, body, request_origin(scope), cors)

    return status


def _path_parts(scope: Scope, path: str, root_len: int) -> list[str]:
    """The segments after the REST root, each decoded on its own as Express decoded route
    parameters: ``/Notes/a%2Fb`` names the note whose id is ``a/b``, not a longer path."""
    raw: bytes | None = scope.get("raw_path")
    if not raw or b"%" not in raw:
        return [p for p in path[root_len:].split("/") if p]
    segments = [unquote_to_bytes(p).decode("utf-8", "replace") for p in raw.split(b"/") if p]
    return segments[len([p for p in path[:root_len].split("/") if p]) :]


def _unavailable(exc: Exception) -> HttpError:
    log.error("the app could not start: %s", exc)
    return HttpError(f"The app could not start: {exc}", status_code=503, code="APP_NOT_STARTED")


async def _lifespan(app: ServedApp, receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            try:
                await app.start()
            except Exception as exc:
                log.error("the app could not start: %s", exc)
                await send({"type": "lifespan.startup.failed", "message": str(exc)})
                raise  # servers stop quietly after startup.failed; test clients re-raise it
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            try:
                await app.stop()
            finally:
                await send({"type": "lifespan.shutdown.complete"})
            return

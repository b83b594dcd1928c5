"""uvicorn's HTTP/1.1 protocol with the bounds it lacks against slow clients.

uvicorn closes idle kept-alive connections (``timeout_keep_alive``) and answers 503 beyond
``limit_concurrency``, but it waits forever for a request's headers: 500 connections that send
half a request line each stay open for as long as their clients like. This protocol gives every
request ``headersTimeout`` from its first byte (from the connection's opening, for the first) to
finish its line and headers, and ``maxHeaderSize`` bytes to do it in; past either it answers
408 or 431 in LoopBack's error shape and closes the connection. Beyond ``maxConnections`` it
answers 503 in that shape too (uvicorn's own answer is plain text). Everything else is uvicorn's.

The body's own bound (``requestTimeout``) is kept by the REST layer, which reads the body.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from ._app_files import HttpConfig


class Config(uvicorn.Config):
    """uvicorn's settings plus the app's ``http`` bounds, which reach every worker process
    with the rest of the configuration."""

    def __init__(self, app: ASGIApp | str, *, http: HttpConfig, **options: Any) -> None:
        super().__init__(
            app,
            http=BoundedHttpToolsProtocol,
            # uvicorn annotates these two as int, and takes seconds as a float
            timeout_keep_alive=http.keep_alive_timeout / 1000,  # type: ignore[arg-type]
            limit_concurrency=http.max_connections,
            timeout_graceful_shutdown=http.shutdown_timeout / 1000 if http.shutdown_timeout else None,  # type: ignore[arg-type]
            h11_max_incomplete_event_size=http.max_header_size,
            **options,
        )
        self.http_bounds = http


def _error_response(status: int, reason: str, message: str, code: str) -> bytes:
    body = json.dumps({"error": {"statusCode": status, "name": "Error", "message": message, "code": code}}).encode()
    return b"".join(
        [
            f"HTTP/1.1 {status} {reason}\r\n".encode(),
            b"content-type: application/json; charset=utf-8\r\n",
            b"content-length: ",
            str(len(body)).encode(),
            b"\r\n",
            b"connection: close\r\n\r\n",
            body,
        ]
    )


HEADERS_TIMED_OUT = _error_response(
    408, "Request Timeout", "the request's headers did not arrive in time", "REQUEST_TIMEOUT"
)
HEADERS_TOO_LARGE = _error_response(
    431, "Request Header Fields Too Large", "the request's line and headers are too large", "HEADERS_TOO_LARGE"
)
INVALID_REQUEST = _error_response(
    400, "Bad Request", "the request line or headers are not valid HTTP", "INVALID_HTTP_REQUEST"
)


_TOO_MANY_CONNECTIONS = json.dumps(
    {
        "error": {
            "statusCode": 503,
            "name": "Error",
            "message": "the server is serving as many connections as it may (http.maxConnections); try again shortly",
            "code": "TOO_MANY_CONNECTIONS",
        }
    }
).encode()


async def too_many_connections(scope: Scope, receive: Receive, send: Send) -> None:
    """The ASGI app that answers a request beyond ``maxConnections``."""
    await send(
        {
            "type": "http.response.start",
            "status": 503,
            "headers": [
                (b"content-type", b"application/json; charset=utf-8"),
                (b"content-length", str(len(_TOO_MANY_CONNECTIONS)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": _TOO_MANY_CONNECTIONS, "more_body": False})


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, with a deadline and a size bound on each request's headers."""

    def __init__(self, config: uvicorn.Config, *args: Any, **kwargs: Any) -> None:
        super().__init__(config, *args, **kwargs)
        bounds: HttpConfig = getattr(config, "http_bounds", None) or HttpConfig()
        self._headers_timeout = bounds.headers_timeout / 1000
        self._max_header_size = bounds.max_header_size
        # the bound on connections is kept here, so that the answer beyond it is lbpy's
        self._max_connections, self.limit_concurrency = self.limit_concurrency, None
        self._headers_timer: asyncio.TimerHandle | None = None
        #: bytes received since the request began whose headers are not complete yet; None
        #: while no request's headers are awaited (its body, its response, idle keep-alive)
        self._header_bytes: int | None = None

    # -- the header deadline ------------------------------------------------------------------

    def _await_headers(self) -> None:
        if self._header_bytes is None:
            self._header_bytes = 0
        if self._headers_timer is None and self._headers_timeout:
            self._headers_timer = self.loop.call_later(self._headers_timeout, self._headers_timed_out)

    def _headers_arrived(self) -> None:
        self._header_bytes = None
        if self._headers_timer is not None:
            self._headers_timer.cancel()
            self._headers_timer = None

    def _headers_timed_out(self) -> None:
        self._headers_timer = None
        self._refuse(HEADERS_TIMED_OUT)

    def _refuse(self, response: bytes) -> None:
        if self.transport.is_closing():
            return
        if self.cycle is None or self.cycle.response_complete:
            self.transport.write(response)
        # a response under way (a later request was pipelined behind it): only closing is safe
        self.transport.close()

    # -- uvicorn's and httptools' callbacks ---------------------------------------------------

    # asyncio types the argument as any transport; a TCP connection's is always a Transport
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._await_headers()

    def connection_lost(self, exc: Exception | None) -> None:
        self._headers_arrived()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._header_bytes is not None:
            self._header_bytes += len(data)
        super().data_received(data)
        # counted after parsing: a chunk that ends the headers and carries a body is no offence
        if self._header_bytes is not None and self._header_bytes > self._max_header_size:
            self._headers_arrived()
            self._refuse(HEADERS_TOO_LARGE)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._await_headers()

    def send_400_response(self, msg: str) -> None:
        """A request httptools cannot parse (a bad character in its line, a line too long for the
        parser): LoopBack's JSON error, as every other answer, instead of uvicorn's plain text."""
        self._headers_arrived()
        self.transport.write(INVALID_REQUEST)
        self.transport.close()

    def on_headers_complete(self) -> None:
        self._headers_arrived()
        limit = self._max_connections
        if limit is not None and (len(self.connections) >= limit or len(self.tasks) >= limit):
            self.logger.warning("Exceeded concurrency limit.")
            app, self.app = self.app, too_many_connections
            try:
                super().on_headers_complete()  # the request goes to the 503's app
            finally:
                self.app = app
            return
        super().on_headers_complete()

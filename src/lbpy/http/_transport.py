"""lbpy.http's own HTTP/1.1 connections: an httpx transport on asyncio sockets with the
httptools parser (the one uvicorn serves with), pooled per origin.

httpx builds the requests and reads the answers as everywhere else; this transport only moves
bytes. It exists because, measured in a hop between two lbpy apps, httpcore's pool and h11
cost several times the whole request's work on the remote; this costs a small part of it.

    transport = Http11Transport(ssl_context=ssl_context(True), max_idle=64)
    response = await transport.handle_async_request(request)   # an httpx.Response, body read
    await transport.aclose()

What it does:
* bodies with Content-Length, chunked, or read until the remote closes; 1xx answers skipped;
* keep-alive: a connection goes back to its origin's idle list (most recently used first)
  unless the answer or the request said ``Connection: close``; an idle connection the remote
  closed is noticed by the event loop and never reused; one idle longer than
  ``keepalive_expiry`` is closed rather than reused (a remote closes idle connections too);
* a request on a reused connection that the remote closed before answering anything is sent
  once more on a new connection when its method is idempotent (the remote never saw it);
* a bound on the answer's body (``max_body`` bytes): a Content-Length beyond it, or a body that
  goes on past it, is ``ResponseTooLarge`` and the connection is closed without reading on;
* timeouts from the request's ``timeout`` extension (connect, write, and read: the longest wait
  for the next bytes), raised as httpx's ``ConnectTimeout``, ``WriteTimeout``, ``ReadTimeout``;
* TLS through asyncio's ssl with the given context; errors as httpx's exception classes.

What it leaves to httpx's own transport (``HttpClient`` chooses): proxies, HTTP/2, event loops
other than asyncio's, and test transports.
"""

from __future__ import annotations

import asyncio
import re
import ssl
from typing import Any

import httptools
import httpx

from ._body import DEFAULT_MAX_RESPONSE_BYTES, ResponseTooLarge, declared_too_large

#: methods whose request may be sent again when a reused connection turned out to be closed
_REPEATABLE = frozenset({b"GET", b"HEAD", b"OPTIONS", b"PUT", b"DELETE", b"TRACE"})
_DEFAULT_PORTS = {"http": 80, "https": 443}
#: what never goes into a header: it would end the header, or the request, early
_UNSAFE = re.compile(rb"[\r\n\0]")


class Http11Transport(httpx.AsyncBaseTransport):
    """HTTP/1.1 to any http(s) origin, at most ``max_idle`` idle connections kept per origin, and
    answers of at most ``max_body`` bytes."""

    def __init__(
        self,
        *,
        ssl_context: ssl.SSLContext | None = None,
        max_idle: int = 64,
        keepalive_expiry: float = 5.0,
        max_body: int = DEFAULT_MAX_RESPONSE_BYTES,
    ) -> None:
        self.ssl_context = ssl_context
        self.max_body = max_body
        self.max_idle = max_idle
        self.keepalive_expiry = keepalive_expiry
        self._idle: dict[tuple[str, str, int], list[_Connection]] = {}
        self._busy: set[_Connection] = set()
        #: connections opened (for tests and metrics)
        self.opened = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        scheme = url.scheme
        if scheme not in _DEFAULT_PORTS:
            raise httpx.UnsupportedProtocol(f"lbpy.http speaks http and https, not {scheme!r}", request=request)
        origin = (scheme, url.host, url.port or _DEFAULT_PORTS[scheme])
        method = request.method.encode("ascii")
        head, body, closing = await _serialize(request, method)
        status, reason, headers, content = await self.exchange(
            origin, method, head, body, request.extensions.get("timeout") or {}, closing=closing, request=request
        )
        return httpx.Response(
            status,
            headers=headers,
            stream=httpx.ByteStream(content),
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": reason},
        )

    async def exchange(
        self,
        origin: tuple[str, str, int],
        method: bytes,
        head: bytes,
        body: bytes,
        timeouts: dict[str, Any],
        *,
        closing: bool = False,
        request: httpx.Request | None = None,
    ) -> tuple[int, bytes, list[tuple[bytes, bytes]], bytes]:
        """Send a request already in bytes (``head``: its request line and headers) to
        ``origin`` (scheme, host, port); the answer's status, reason, raw headers and body."""
        connection = self._reuse(origin)
        reused = connection is not None
        if connection is None:
            connection = await self._connect(origin, timeouts.get("connect"), request)
        self._busy.add(connection)
        try:
            try:
                answer = await connection.exchange(head, body, method, timeouts, request, self.max_body)
            except _Unanswered:
                connection.close()
                if not (reused and method in _REPEATABLE):
                    raise httpx.RemoteProtocolError(
                        "Server disconnected without sending a response.", request=request
                    ) from None
                self._busy.discard(connection)
                connection = await self._connect(origin, timeouts.get("connect"), request)
                self._busy.add(connection)
                try:
                    answer = await connection.exchange(head, body, method, timeouts, request, self.max_body)
                except _Unanswered:
                    connection.close()
                    raise httpx.RemoteProtocolError(
                        "Server disconnected without sending a response.", request=request
                    ) from None
        except BaseException:
            self._busy.discard(connection)
            connection.close()  # mid-request (an error, a timeout, a cancelled caller): never reused
            raise
        self._busy.discard(connection)
        status, reason, headers, content, keep_alive = answer
        if keep_alive and not closing and not connection.closed:
            self._release(origin, connection)
        else:
            connection.close()
        return status, reason, headers, content

    def _reuse(self, origin: tuple[str, str, int]) -> _Connection | None:
        idle = self._idle.get(origin)
        if not idle:
            return None
        now = asyncio.get_running_loop().time()
        while idle:
            connection = idle.pop()
            if not connection.closed and now - connection.idle_since < self.keepalive_expiry:
                return connection
            connection.close()
        return None

    def _release(self, origin: tuple[str, str, int], connection: _Connection) -> None:
        idle = self._idle.setdefault(origin, [])
        if len(idle) >= self.max_idle:
            connection.close()
            return
        connection.idle_since = connection.loop.time()
        idle.append(connection)

    async def _connect(
        self, origin: tuple[str, str, int], timeout: float | None, request: httpx.Request | None
    ) -> _Connection:
        scheme, host, port = origin
        loop = asyncio.get_running_loop()
        tls = None
        if scheme == "https":
            tls = self.ssl_context or ssl.create_default_context()
        try:
            _, connection = await asyncio.wait_for(
                loop.create_connection(
                    lambda: _Connection(loop), host, port, ssl=tls, server_hostname=host if tls else None
                ),
                timeout,
            )
        except asyncio.TimeoutError:
            raise httpx.ConnectTimeout(f"connecting to {host}:{port} timed out", request=request) from None
        except (OSError, ssl.SSLError) as exc:
            raise httpx.ConnectError(
                f"cannot connect to {host}:{port}: {exc.strerror or exc}", request=request
            ) from None
        self.opened += 1
        return connection

    async def aclose(self) -> None:
        idle, self._idle = self._idle, {}
        for connections in idle.values():
            for connection in connections:
                connection.close()
        for connection in list(self._busy):
            connection.close()
        self._busy.clear()


async def _serialize(request: httpx.Request, method: bytes) -> tuple[bytes, bytes, bool]:
    """The request line and headers as bytes, the body (a streamed one read whole, and sent as
    one chunk when httpx asked for chunked encoding), and whether it asks to close after."""
    try:
        body = request.content
    except httpx.RequestNotRead:
        body = await request.aread()
    lines = [method, b" ", request.url.raw_path, b" HTTP/1.1\r\n"]
    chunked = closing = False
    for name, value in request.headers.raw:
        if _UNSAFE.search(name) or _UNSAFE.search(value):
            raise httpx.LocalProtocolError("a header name or value holds a line break", request=request)
        lowered = name.lower()
        if lowered == b"transfer-encoding" and value.lower() == b"chunked":
            chunked = True
        elif lowered == b"connection" and value.lower() == b"close":
            closing = True
        lines += (name, b": ", value, b"\r\n")
    lines.append(b"\r\n")
    if chunked:
        body = (b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)) if body else b"0\r\n\r\n"
    return b"".join(lines), body, closing


class _Unanswered(Exception):
    """The remote closed the connection before a byte of the answer came."""


class _Connection(asyncio.Protocol):
    """One TCP (or TLS) connection and the answer being read on it."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.closed = False
        self.idle_since = 0.0
        self._waiter: asyncio.Future[Any] | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._drained: asyncio.Future[Any] | None = None
        self._paused = False
        self._method = b"GET"
        self._max_body = DEFAULT_MAX_RESPONSE_BYTES
        self._reset()

    def _reset(self) -> None:
        self._status = 0
        self._reason = b""
        self._headers: list[tuple[bytes, bytes]] = []
        self._body: list[bytes] = []
        self._received = False
        self._headers_done = False
        self._framed = False  # Content-Length or chunked: the parser knows where the body ends
        self._keep_alive = False
        self._last_read = 0.0
        self._size = 0

    # -- one request and its answer -------------------------------------------------------

    async def exchange(
        self,
        head: bytes,
        body: bytes,
        method: bytes,
        timeouts: dict[str, Any],
        request: httpx.Request | None,
        max_body: int = DEFAULT_MAX_RESPONSE_BYTES,
    ) -> tuple[int, bytes, list[Any], bytes, bool]:
        if self.closed or self.transport is None:
            raise _Unanswered
        self._reset()
        self._method = method
        self._max_body = max_body
        waiter = self._waiter = self.loop.create_future()
        self.transport.write(head + body if len(body) < 65536 else head)
        if len(body) >= 65536:
            self.transport.write(body)
        if self._paused:
            await self._drain(timeouts.get("write"), request)
        read_timeout = timeouts.get("read")
        if read_timeout is not None:
            self._last_read = self.loop.time()
            self._timer = self.loop.call_later(read_timeout, self._check_read, read_timeout)
        try:
            failure = await waiter
        finally:
            self._waiter = None
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
        if failure is not None:
            kind, message = failure
            if kind is _Unanswered:
                raise _Unanswered
            raise kind(message, request=request)
        keep_alive = self._keep_alive and method != b"HEAD" and not self.closed
        return self._status, self._reason, self._headers, b"".join(self._body), keep_alive

    async def _drain(self, timeout: float | None, request: httpx.Request | None) -> None:
        self._drained = self.loop.create_future()
        try:
            failure = await asyncio.wait_for(asyncio.shield(self._drained), timeout)
        except asyncio.TimeoutError:
            raise httpx.WriteTimeout("sending the request timed out", request=request) from None
        finally:
            self._drained = None
        if failure is not None:
            raise httpx.WriteError(failure, request=request)

    def _check_read(self, read_timeout: float) -> None:
        waited = self.loop.time() - self._last_read
        if waited >= read_timeout:
            self._finish((httpx.ReadTimeout, "waiting for the answer timed out"))
            self.close()
        else:
            self._timer = self.loop.call_later(read_timeout - waited, self._check_read, read_timeout)

    def _finish(self, failure: tuple[type, str] | None) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(failure)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            if self.transport is not None:
                self.transport.close()

    # -- asyncio's protocol callbacks ---------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # asyncio types the argument as any transport; a stream connection's is always a Transport
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        if self._waiter is None:
            self.close()  # bytes nobody asked for: the connection cannot be trusted any more
            return
        self._received = True
        self._last_read = self.loop.time()
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._finish((httpx.RemoteProtocolError, "the remote switched protocols, which lbpy does not follow"))
            self.close()
        except httptools.HttpParserError as exc:
            self._finish((httpx.RemoteProtocolError, f"a malformed HTTP answer ({exc})"))
            self.close()

    def eof_received(self) -> bool:
        if self._waiter is not None and self._headers_done and not self._framed:
            self.closed = True
            self._finish(None)  # a body that ends where the connection does
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self._drained is not None and not self._drained.done():
            self._drained.set_result(str(exc or "the connection closed"))
        if self._waiter is not None and not self._waiter.done():
            if not self._received:
                self._waiter.set_result((_Unanswered, ""))
            else:
                self._waiter.set_result(
                    (httpx.RemoteProtocolError, "the remote closed the connection in the middle of its answer")
                )

    def pause_writing(self) -> None:
        self._paused = True

    def resume_writing(self) -> None:
        self._paused = False
        if self._drained is not None and not self._drained.done():
            self._drained.set_result(None)

    # -- httptools' parser callbacks ----------------------------------------------------------

    def on_status(self, reason: bytes) -> None:
        self._reason += reason

    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers.append((name, value))

    def on_headers_complete(self) -> None:
        self._status = self.parser.get_status_code()
        # asked here: once the message is complete the parser has forgotten its version and headers
        self._keep_alive = self.parser.should_keep_alive()
        self._headers_done = True
        names = {name.lower() for name, _ in self._headers}
        self._framed = (
            b"content-length" in names
            or b"transfer-encoding" in names
            or self._status in (204, 304)
            or 100 <= self._status < 200
        )
        bodiless = self._method == b"HEAD" or self._status < 200 or self._status in (204, 304)
        if not bodiless and declared_too_large(self._headers, self._max_body):
            self._too_large()
            return
        if self._method == b"HEAD":
            # the parser cannot be told that no body follows an answer to HEAD: the answer is
            # complete here, and the connection is not used again
            self._finish(None)

    def on_body(self, body: bytes) -> None:
        if self._method == b"HEAD" or self.closed:
            return
        self._size += len(body)
        if self._size > self._max_body:
            self._too_large()
            return
        self._body.append(body)

    def _too_large(self) -> None:
        # the rest is never read: the connection goes, and the remote stops at its next write
        self._finish((ResponseTooLarge, "the answer is too large"))
        self.close()

    def on_message_complete(self) -> None:
        if 100 <= self._status < 200:
            self._reset()  # an interim answer (103 Early Hints): the real one follows
            self._received = True
            return
        self._finish(None)

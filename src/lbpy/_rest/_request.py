"""A request to a REST route: its path parameters, query, headers and body, read when asked for,
and each argument of a remote method read from where it comes from."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl

import anyio
from starlette.requests import Request
from starlette.types import Message, Receive, Scope

from .._errors import BadRequestError, RequestTimeoutError, RequestTooLargeError
from .._filter import parse_query
from .._json_values import UnusableJsonError, loads
from .._model._remote_definition import Accept
from .._remoting import coerce_arg


def parse_size(value: Any, default: int = 100 * 1024) -> int:
    """LoopBack's body limits: ``"100kb"``, ``"1mb"`` or a number of bytes."""
    if isinstance(value, int):
        return value
    if not isinstance(value, str) or not value.strip():
        return default
    text = value.strip().lower()
    units = {"gb": 1 << 30, "mb": 1 << 20, "kb": 1 << 10, "b": 1}
    for unit, factor in units.items():
        if text.endswith(unit):
            try:
                return int(float(text[: -len(unit)]) * factor)
            except ValueError:
                return default
    try:
        return int(text)
    except ValueError:
        return default


class Call:
    """One request to a REST route: its parsed parts, read when a handler asks for them."""

    __slots__ = ("_body", "_body_read", "_query", "_raw", "limit", "options", "params", "receive", "scope", "timeout")

    def __init__(
        self, scope: Scope, receive: Receive, params: dict[str, str], limit: int, timeout: float | None = None
    ) -> None:
        self.scope = scope
        self.receive = receive
        self.params = params
        self.limit = limit
        #: seconds the whole body may take to arrive (``http.requestTimeout``); None waits
        self.timeout = timeout
        self._query: dict[str, Any] | None = None
        self._body: Any = None
        self._body_read = False
        self._raw = b""
        self.options: dict[str, Any] = {}

    def query(self) -> dict[str, Any]:
        if self._query is None:
            raw = self.scope.get("query_string", b"")
            self._query = parse_query(parse_qsl(raw.decode("latin-1"), keep_blank_values=True)) if raw else {}
        return self._query

    def header(self, name: str) -> str | None:
        key = name.lower().encode("latin-1")
        headers: Iterable[tuple[bytes, bytes]] = self.scope.get("headers", ())
        for k, v in headers:
            if k == key:
                return v.decode("latin-1")
        return None

    async def replay(self) -> Message:
        """An ASGI receive for code that reads the request itself (a ``req`` argument, a remote
        hook's ``ctx.req``): the body lbpy already read is given again rather than waited for."""
        if self._body_read:
            return {"type": "http.request", "body": self._raw, "more_body": False}
        return await self.receive()

    async def _read_body(self) -> bytes:
        chunks = []
        size = 0
        while True:
            message = await self.receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                raise RequestTooLargeError(
                    f"request entity too large: the body is over {self.limit} bytes; raise "
                    "remoting.json.limit in server/config.json to accept more",
                    code="entity.too.large",
                )
            chunks.append(chunk)
            if not message.get("more_body"):
                break
        return b"".join(chunks)

    async def body(self) -> Any:
        if self._body_read:
            return self._body
        self._body_read = True
        try:
            with anyio.fail_after(self.timeout):
                raw = self._raw = await self._read_body()
        except TimeoutError:
            raise RequestTimeoutError(
                f"request timeout: the body did not arrive within {self.timeout:g} s; send it at "
                "once, or raise http.requestTimeout in server/config.json"
            ) from None
        content_type = (self.header("content-type") or "").split(";")[0].strip().lower()
        if not raw.strip():
            self._body = None
        elif content_type == "application/x-www-form-urlencoded":
            self._body = parse_query(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
        elif content_type in ("", "application/json", "text/json") or content_type.endswith("+json"):
            try:
                self._body = loads(raw)
            except UnusableJsonError as exc:
                raise BadRequestError(
                    f"The request body cannot be used: {exc}", code="entity.parse.failed", name="SyntaxError"
                ) from None
            except ValueError as exc:
                raise BadRequestError(
                    f"Malformed JSON in the request body: {getattr(exc, 'msg', exc)} at position "
                    f"{getattr(exc, 'pos', 0)}; send a JSON object",
                    code="entity.parse.failed",
                    name="SyntaxError",
                ) from None
        else:
            self._body = None
        return self._body


async def read_arg(accept: Accept, source: str, call: Call, builtin: bool) -> Any:
    if source == "path":
        value = call.params.get(accept.arg)
    elif source == "query":
        value = call.query().get(accept.arg)
    elif source == "body":
        value = await call.body()
    elif source == "form":
        body = await call.body()
        value = body.get(accept.arg) if isinstance(body, dict) else None
        if value is None:
            value = call.query().get(accept.arg)
    elif source == "header":
        value = call.header(accept.arg)
    elif source == "options":
        return call.options
    elif source in ("req", "context"):
        return Request(call.scope, call.replay)
    else:
        value = None
    if value is None and accept.default is not None:
        value = accept.default
    if builtin:
        return value
    return coerce_arg(accept, value, source)

"""Answers: LoopBack's JSON bodies (compact, orjson), a method's result as its ``returns`` say,
and the CORS headers LoopBack 3's default ``cors({origin: true, credentials: true})`` sent."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import orjson
from starlette.types import Scope, Send

from .._json_values import encodable, json_value
from .._model._record_json import is_record
from .._model._remote_definition import RemoteMethod

_JSON_HEADERS = [(b"content-type", b"application/json; charset=utf-8")]
_ALLOWED_METHODS = b"GET,HEAD,PUT,PATCH,POST,DELETE"
CORS_ALWAYS = [(b"vary", b"Origin"), (b"access-control-allow-credentials", b"true")]


def dumps(body: Any) -> bytes:
    """Compact UTF-8 JSON, as LoopBack answers; orjson because encoding dominates a find's cost.
    A value orjson cannot write (an integer beyond 64 bits a connector read, a lone surrogate) is
    answered as the nearest JSON value, never as a failed request."""
    try:
        return orjson.dumps(body, default=_default, option=orjson.OPT_NON_STR_KEYS)
    except orjson.JSONEncodeError:
        return orjson.dumps(encodable(body), option=orjson.OPT_NON_STR_KEYS)


def _default(value: Any) -> Any:
    if is_record(value):
        return value.to_json()
    return json_value(value) if not isinstance(value, (dict, list)) else value


def serialize(method: RemoteMethod, result: Any) -> bytes | None:
    returns = method.returns
    if not returns:
        return None  # answered 204 No Content
    if len(returns) == 1 and returns[0].root:
        if is_record(result):
            return dumps(result.to_json())
        if isinstance(result, list):
            return dumps([r.to_json() if is_record(r) else json_value(r) for r in result])
        return dumps(json_value(result))
    if len(returns) == 1:
        return dumps({returns[0].arg: json_value(result)})
    if isinstance(result, dict):
        return dumps({r.arg: json_value(result.get(r.arg)) for r in returns})
    values = result if isinstance(result, (list, tuple)) else [result]
    return dumps({r.arg: json_value(v) for r, v in zip(returns, values, strict=False)})


async def send_response(
    send: Send,
    status: int,
    body: bytes | None,
    origin: bytes | None,
    cors: bool,
    *,
    length: int | None = None,
    content_type: Sequence[tuple[bytes, bytes]] = _JSON_HEADERS,
    extra: Sequence[tuple[bytes, bytes]] = (),
) -> None:
    headers = [*content_type, *extra]  # a 204 too, as LoopBack's remoting answered every method
    size = len(body) if body is not None else (length or 0)
    headers.append((b"content-length", str(size).encode()))
    if cors:
        # LoopBack's cors({origin: true, credentials: true}) answers like this on every response
        if origin is not None:
            headers.append((b"access-control-allow-origin", origin))
        headers += CORS_ALWAYS
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body or b""})


def request_origin(scope: Scope) -> bytes | None:
    headers: Iterable[tuple[bytes, bytes]] = scope["headers"]
    for key, value in headers:
        if key == b"origin":
            return value
    return None


async def send_preflight(scope: Scope, send: Send, origin: bytes | None) -> None:
    requested = b""
    for key, value in scope["headers"]:
        if key == b"access-control-request-headers":
            requested = value
    headers = [(b"access-control-allow-origin", origin)] if origin is not None else []
    headers += [
        (b"access-control-allow-credentials", b"true"),
        (b"access-control-allow-methods", _ALLOWED_METHODS),
        (b"access-control-max-age", b"86400"),
        (b"vary", b"Origin, Access-Control-Request-Headers"),
        (b"content-length", b"0"),
    ]
    if requested:
        headers.append((b"access-control-allow-headers", requested))
    await send({"type": "http.response.start", "status": 204, "headers": headers})
    await send({"type": "http.response.body", "body": b""})

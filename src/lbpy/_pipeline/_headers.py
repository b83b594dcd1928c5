"""Header lists of ASGI messages: read, add to ``Vary``, and layers that edit a response's headers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Headers = list[tuple[bytes, bytes]]
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def header(headers: Any, name: bytes) -> bytes | None:
    """The first value of ``name`` in an ASGI header list (ASGI header names are lower case)."""
    for key, value in headers:
        if key == name:
            return bytes(value)
    return None


def without(headers: Headers, name: bytes) -> Headers:
    return [(k, v) for k, v in headers if k != name]


def add_vary(headers: Headers, field: bytes) -> Headers:
    """``field`` added to ``Vary`` once, as the vary package adds it (``*`` stays ``*``)."""
    for index, (key, value) in enumerate(headers):
        if key == b"vary":
            present = [part.strip().lower() for part in value.split(b",")]
            if b"*" in present or field.lower() in present:
                return headers
            headers[index] = (key, value + b", " + field if value.strip() else field)
            return headers
    headers.append((b"vary", field))
    return headers


def editing_headers(app: ASGIApp, edit: Callable[[Scope, int, Headers], Headers]) -> ASGIApp:
    """``app`` with ``edit(scope, status, headers)`` applied to its response's headers."""

    async def layer(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = edit(scope, message["status"], list(message.get("headers", ())))
            await send(message)

        await app(scope, receive, sending)

    return layer


def on_paths(paths: tuple[str, ...], layer: ASGIApp, next_app: ASGIApp) -> ASGIApp:
    """``layer`` for requests under one of ``paths`` (a prefix ending at a ``/``), ``next_app`` for others."""
    prefixes = tuple("/" + p.strip("/") if p.strip("/") else "/" for p in paths)

    async def routed(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and under(scope["path"], prefixes):
            await layer(scope, receive, send)
        else:
            await next_app(scope, receive, send)

    return routed


def under(path: str, prefixes: tuple[str, ...]) -> bool:
    return any(prefix == "/" or path == prefix or path.startswith(prefix + "/") for prefix in prefixes)

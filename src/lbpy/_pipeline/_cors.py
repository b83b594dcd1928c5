"""``cors``: the Express ``cors`` package's answers (2.8), from middleware.json's options.

``origin``: ``true`` reflects the request's origin, a string is sent as it is, a list allows the
origins it names (an entry written ``/…/`` is a regular expression), ``false`` turns CORS off,
``"*"`` (the package's default) allows any origin without credentials' echo.
"""

from __future__ import annotations

import re
from typing import Any

from .._errors import BootError
from ._headers import ASGIApp, Headers, Message, Receive, Scope, Send, add_vary, header

_DEFAULT_METHODS = "GET,HEAD,PUT,PATCH,POST,DELETE"


def _joined(value: Any) -> str | None:
    if value is None or value is False:
        return None
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)


def _origin_rule(origin: Any, where: str) -> Any:
    if isinstance(origin, list):
        return [_origin_rule(item, where) for item in origin]
    if isinstance(origin, str) and len(origin) > 2 and origin.startswith("/") and origin.endswith("/"):
        try:
            return re.compile(origin[1:-1])
        except re.error as exc:
            raise BootError(f"{where}: origin {origin} is not a regular expression: {exc}") from None
    return origin


def _allowed(origin: str | None, rule: Any) -> bool:
    if isinstance(rule, list):
        return any(_allowed(origin, item) for item in rule)
    if isinstance(rule, str):
        return origin == rule
    if isinstance(rule, re.Pattern):
        return origin is not None and rule.search(origin) is not None
    return bool(rule)


def cors(app: ASGIApp, options: dict[str, Any] | None = None, *, where: str = "cors") -> ASGIApp:
    options = dict(options or {})
    origin = _origin_rule(options.get("origin", "*"), where)
    if not origin:
        return app  # origin: false, as the package: no CORS headers at all
    methods = (_joined(options.get("methods", _DEFAULT_METHODS)) or "").encode()
    allowed_headers = _joined(options.get("allowedHeaders", options.get("headers")))
    exposed = (_joined(options.get("exposedHeaders")) or "").encode()
    max_age = options.get("maxAge")
    max_age_value = (
        str(max_age).encode()
        if (isinstance(max_age, (int, float)) and not isinstance(max_age, bool)) or max_age
        else b""
    )
    credentials = options.get("credentials") is True
    preflight_continue = bool(options.get("preflightContinue", False))
    success = int(options.get("optionsSuccessStatus", 204))

    def origin_headers(scope: Scope) -> Headers:
        out: Headers = []
        if origin == "*":
            out.append((b"access-control-allow-origin", b"*"))
        elif isinstance(origin, str):
            out.append((b"access-control-allow-origin", origin.encode()))
            out.append((b"vary", b"Origin"))
        else:
            asked = header(scope["headers"], b"origin")
            if asked and _allowed(asked.decode("latin-1"), origin):
                out.append((b"access-control-allow-origin", asked))
            out.append((b"vary", b"Origin"))
        if credentials:
            out.append((b"access-control-allow-credentials", b"true"))
        return out

    def preflight_headers(scope: Scope) -> Headers:
        out = origin_headers(scope)
        out.append((b"access-control-allow-methods", methods))
        if allowed_headers is None:
            requested = header(scope["headers"], b"access-control-request-headers")
            add_vary(out, b"Access-Control-Request-Headers")
            if requested:
                out.append((b"access-control-allow-headers", requested))
        elif allowed_headers:
            out.append((b"access-control-allow-headers", allowed_headers.encode()))
        if max_age_value:
            out.append((b"access-control-max-age", max_age_value))
        if exposed:
            out.append((b"access-control-expose-headers", exposed))
        return out

    async def layer(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        if scope["method"] == "OPTIONS":
            own = preflight_headers(scope)
            if not preflight_continue:
                own.append((b"content-length", b"0"))
                await send({"type": "http.response.start", "status": success, "headers": own})
                await send({"type": "http.response.body", "body": b""})
                return
        else:
            own = origin_headers(scope)
            if exposed:
                own.append((b"access-control-expose-headers", exposed))

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = _combine(own, list(message.get("headers", ())))
            await send(message)

        await app(scope, receive, sending)

    return layer


def _combine(own: Headers, theirs: Headers) -> Headers:
    """The middleware's headers first (it ran first), the response's own after; Vary merged."""
    if not any(key == b"vary" or key == b"access-control-allow-origin" for key, _ in theirs):
        return own + theirs
    out = list(own)
    for key, value in theirs:
        if key == b"vary":
            for field in value.split(b","):
                if field.strip():
                    add_vary(out, field.strip())
        elif key != b"access-control-allow-origin" or not any(k == key for k, _ in own):
            out.append((key, value))
    return out

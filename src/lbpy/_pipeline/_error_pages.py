"""``loopback#urlNotFound`` and ``strong-error-handler``: LoopBack's 404 for a path nothing served,
and error answers in the format the client asks for (JSON, or an HTML page for a browser), as
strong-error-handler negotiates it (``Accept``, or ``?_format=html``)."""

from __future__ import annotations

import html
import json
from typing import Any
from urllib.parse import parse_qs

from .._errors import NotFoundError
from .._rest._errors import error_body
from .._rest._response import dumps
from ._headers import ASGIApp, Message, Receive, Scope, Send, header, without
from ._negotiate import best_media_type

_OFFERED = ("application/json", "text/html")
_FORMATS = {
    "json": "application/json",
    "application/json": "application/json",
    "html": "text/html",
    "text/html": "text/html",
}
_LIMIT = 64 * 1024


def url_not_found(debug: bool) -> ASGIApp:
    """The last of the chain: ``Cannot GET /path`` as LoopBack's JSON 404."""

    async def not_found(scope: Scope, receive: Receive, send: Send) -> None:
        error = NotFoundError(f"Cannot {scope.get('method', 'GET')} {_url(scope)}")
        status, payload = error_body(error, debug=debug)
        body = dumps(payload)
        headers = [(b"content-type", b"application/json; charset=utf-8"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return not_found


def _url(scope: Scope) -> str:
    """The URL as the client wrote it (Express's ``req.url``): still percent-encoded, with its query."""
    raw: bytes = scope.get("raw_path") or scope.get("path", "/").encode("utf-8")
    query = scope.get("query_string", b"")
    return (raw + (b"?" + query if query else b"")).decode("latin-1")


def _wanted(scope: Scope, default: str) -> str:
    query = scope.get("query_string", b"")
    accept = header(scope["headers"], b"accept")
    if b"_format=" not in query and (accept is None or (b"html" not in accept and b"text/*" not in accept)):
        # only an Accept naming HTML (or text/*) can prefer the page: the rest is the default's
        return default if accept is None or default == "application/json" else _negotiated(accept, default)
    if b"_format=" in query:
        asked = parse_qs(query.decode("latin-1")).get("_format", [""])[0]
        if asked in _FORMATS:
            return _FORMATS[asked]
    return _negotiated(accept, default)


def _negotiated(accept: bytes | None, default: str) -> str:
    return best_media_type(accept, _OFFERED) or default


def error_handler(app: ASGIApp, options: dict[str, Any] | None = None) -> ASGIApp:
    """Error answers (LoopBack's JSON error shape) turned into an HTML page where the client prefers one."""
    options = dict(options or {})
    default = _FORMATS.get(str(options.get("defaultType", "json")), "application/json")
    negotiate = options.get("negotiateContentType", True) is not False

    async def layer(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        wanted = _wanted(scope, default) if negotiate else default
        if wanted != "text/html":
            await app(scope, receive, send)
            return
        held: Message | None = None
        chunks: list[bytes] = []

        async def sending(message: Message) -> None:
            nonlocal held
            if message["type"] == "http.response.start":
                kind = header(message.get("headers", ()), b"content-type") or b""
                length = header(message.get("headers", ()), b"content-length")
                if (
                    message["status"] >= 400
                    and kind.startswith(b"application/json")
                    and (length is None or int(length) <= _LIMIT)
                ):
                    held = message
                    return
                await send(message)
                return
            if held is None or message["type"] != "http.response.body":
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False) and sum(map(len, chunks)) <= _LIMIT:
                return
            start, held = held, None
            body = b"".join(chunks)
            page = _page(body) if not message.get("more_body", False) else None
            if page is None:  # not an error body after all (or too long): as it was
                await send(start)
                await send({"type": "http.response.body", "body": body, "more_body": message.get("more_body", False)})
                return
            start["headers"] = [
                *without(without(start["headers"], b"content-type"), b"content-length"),
                (b"content-type", b"text/html; charset=utf-8"),
                (b"content-length", str(len(page)).encode()),
            ]
            await send(start)
            await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else page})

        await app(scope, receive, sending)

    return layer


def _page(body: bytes) -> bytes | None:
    try:
        error = json.loads(body)["error"]
    except (ValueError, KeyError, TypeError):
        return None
    if not isinstance(error, dict):
        return None
    status = html.escape(str(error.get("statusCode", "")))
    message = html.escape(str(error.get("message", "")))
    name = html.escape(str(error.get("name", "Error")))
    rows = "".join(
        f"      <div><b>{html.escape(str(key))}</b>: {html.escape(_text(value))}</div>\n"
        for key, value in error.items()
        if key not in ("statusCode", "message", "name", "stack")
    )
    stack = f"      <pre>{html.escape(str(error['stack']))}</pre>\n" if "stack" in error else ""
    return (
        "<!DOCTYPE html>\n<html>\n  <head>\n    <meta charset='utf-8'>\n    <title>Error</title>\n"
        "    <style>body{margin:0;padding:64px 80px;font:14px/1.5 system-ui,sans-serif;color:#333;background:#f5f5f5}"
        "h1{font-size:28px;margin:0 0 12px}h2{font-size:18px;font-weight:normal;margin:0 0 16px}em{font-weight:bold}"
        "pre{background:#fff;padding:12px;overflow:auto}</style>\n"
        f'  </head>\n  <body>\n    <div id="wrapper">\n      <h1>{name}</h1>\n'
        f"      <h2><em>{status}</em> {message}</h2>\n"
        f"{rows}{stack}    </div>\n  </body>\n</html>\n"
    ).encode()


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)

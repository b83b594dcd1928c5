"""``loopback#favicon`` / ``serve-favicon``: ``/favicon.ico`` answered from memory, as serve-favicon 2.5
answers it (a strong ETag of the bytes, a year's caching, ``OPTIONS`` and other verbs handled).
Without a path, lbpy's own icon."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from typing import Any

from .._errors import BootError
from ._headers import ASGIApp, Receive, Scope, Send, header
from ._static import parse_ms

LBPY_ICON = Path(__file__).with_name("favicon.ico")
_YEAR_MS = 31536000000


def favicon(
    app: ASGIApp, path: str | None = None, options: dict[str, Any] | None = None, *, where: str = ""
) -> ASGIApp:
    source = Path(path) if path else LBPY_ICON
    try:
        icon = source.read_bytes()
    except OSError as exc:
        raise BootError(f"{where}: the icon {source} cannot be read: {exc.strerror}") from None
    max_age = min(parse_ms((options or {}).get("maxAge", _YEAR_MS), where), _YEAR_MS) // 1000
    digest = base64.b64encode(hashlib.sha1(icon).digest()).decode()[:27]
    etag = f'"{len(icon):x}-{digest}"'.encode()
    headers = [
        (b"cache-control", f"public, max-age={max_age}".encode()),
        (b"etag", etag),
        (b"content-length", str(len(icon)).encode()),
        (b"content-type", b"image/x-icon"),
    ]
    allow = [(b"allow", b"GET, HEAD, OPTIONS")]

    async def layer(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != "/favicon.ico":
            await app(scope, receive, send)
            return
        method = scope["method"]
        if method not in ("GET", "HEAD"):
            status = 200 if method == "OPTIONS" else 405
            await send(
                {"type": "http.response.start", "status": status, "headers": [*allow, (b"content-length", b"0")]}
            )
            await send({"type": "http.response.body", "body": b""})
            return
        none_match = header(scope["headers"], b"if-none-match")
        if none_match and any(t.strip() in (etag, b"W/" + etag, b"*") for t in none_match.split(b",")):
            await send({"type": "http.response.start", "status": 304, "headers": headers[:2]})
            await send({"type": "http.response.body", "body": b""})
            return
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if method == "HEAD" else icon})

    return layer

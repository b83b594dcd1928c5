"""``compression``: gzip, deflate and (where the ``brotli`` package is installed) brotli, negotiated
as Express's ``compression`` 1.8 negotiates them.

A response is compressed when its type is compressible, its ``Cache-Control`` allows transforms,
it is at least ``threshold`` bytes (1kb by default; a streamed one of unknown length always) and
the client accepts an encoding. ``Vary: Accept-Encoding`` is added to every compressible answer.
The body is compressed as it streams: nothing is held back but the first chunk.
"""

from __future__ import annotations

import re
import zlib
from typing import Any

from .._errors import BootError
from ._headers import ASGIApp, Message, Receive, Scope, Send, add_vary, header, without
from ._negotiate import best_encoding

try:  # brotli is optional: without it, gzip and deflate are offered
    import brotli as _brotli
except ImportError:  # pragma: no cover - depends on the environment
    _brotli = None

_COMPRESSIBLE = re.compile(
    rb"^(text/|application/(json|javascript|x-javascript|ecmascript|xml|xhtml\+xml|rss\+xml|atom\+xml|"
    rb"ld\+json|manifest\+json|vnd\.api\+json|problem\+json|graphql|x-www-form-urlencoded|wasm)|"
    rb"image/(svg\+xml|x-icon|vnd\.microsoft\.icon|bmp)|font/(ttf|otf)|application/[a-z0-9.+-]*\+(json|xml))",
    re.IGNORECASE,
)
_NO_TRANSFORM = re.compile(rb"(?:^|,)\s*?no-transform\s*?(?:,|$)", re.IGNORECASE)
_UNITS = {"b": 1, "kb": 1024, "mb": 1024**2, "gb": 1024**3}


def parse_bytes(value: Any, where: str) -> int:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return int(value)
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?\s*", str(value), re.IGNORECASE)
    if not match:
        raise BootError(f'{where}: "{value}" is not a size; write a number of bytes or e.g. "1kb"')
    return int(float(match.group(1)) * _UNITS[(match.group(2) or "b").lower()])


class _Encoder:
    def __init__(self, method: str, level: int) -> None:
        self.method = method
        if method == "br":
            assert _brotli is not None
            self._br = _brotli.Compressor(quality=4)
        else:
            wbits = 31 if method == "gzip" else 15
            self._z = zlib.compressobj(level, zlib.DEFLATED, wbits)

    def feed(self, data: bytes, last: bool) -> bytes:
        if self.method == "br":
            out: bytes = self._br.process(data) if data else b""
            tail: bytes = self._br.finish() if last else self._br.flush()
            return out + tail
        out = self._z.compress(data) if data else b""
        return out + self._z.flush(zlib.Z_FINISH if last else zlib.Z_SYNC_FLUSH)


def compression(app: ASGIApp, options: dict[str, Any] | None = None, *, where: str = "compression") -> ASGIApp:
    options = dict(options or {})
    threshold = parse_bytes(options.get("threshold", 1024), where)
    level = int(options.get("level", zlib.Z_DEFAULT_COMPRESSION))
    if not -1 <= level <= 9:
        raise BootError(f"{where}: level must be between -1 and 9")
    supported = ("br", "gzip", "deflate") if _brotli is not None else ("gzip", "deflate")
    preferred = ("br", "gzip") if _brotli is not None else ("gzip",)

    async def layer(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        start: Message | None = None
        encoder: _Encoder | None = None

        async def sending(message: Message) -> None:
            nonlocal start, encoder
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                content_type = header(headers, b"content-type")
                cache = header(headers, b"cache-control")
                if (
                    content_type is None
                    or not _COMPRESSIBLE.match(content_type)
                    or (cache and _NO_TRANSFORM.search(cache))
                ):
                    await send(message)
                    return
                message["headers"] = add_vary(headers, b"Accept-Encoding")
                length = header(headers, b"content-length")
                if length is not None and (not length.isdigit() or int(length) < threshold):
                    await send(message)  # too short to compress: nothing more to decide
                    return
                start = message  # decided at the first body chunk, which tells the size of a short answer
                return
            if message["type"] != "http.response.body" or start is None:
                await send(message)
                return
            body: bytes = message.get("body", b"")
            more = message.get("more_body", False)
            if encoder is None and start is not None:
                headers = start["headers"]
                length = header(headers, b"content-length")
                size = int(length) if length and length.isdigit() else (None if more else len(body))
                method = None
                if (
                    (size is None or size >= threshold)
                    and header(headers, b"content-encoding") in (None, b"identity")
                    and scope["method"] != "HEAD"
                    and start["status"] not in (204, 304)
                ):
                    method = best_encoding(header(scope["headers"], b"accept-encoding"), supported, preferred)
                if method is None:
                    await send(start)
                    start = None
                    await send(message)
                    return
                encoder = _Encoder(method, level)
                start["headers"] = [*without(headers, b"content-length"), (b"content-encoding", method.encode())]
                await send(start)
            assert encoder is not None
            await send({"type": "http.response.body", "body": encoder.feed(body, not more), "more_body": more})

        await app(scope, receive, sending)
        if start is not None and encoder is None:  # an answer that started and never sent its body
            await send(start)

    return layer

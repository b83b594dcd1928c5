"""Requests sent straight to an ASGI app, with exactly the headers a test names (a test client
adds its own Accept and Accept-Encoding, which would change what is negotiated)."""

from __future__ import annotations

import gzip
import zlib
from dataclasses import dataclass
from typing import Any

import brotli


@dataclass
class Answer:
    status: int
    headers: list[tuple[str, str]]
    chunks: list[bytes]

    @property
    def raw(self) -> bytes:
        return b"".join(self.chunks)

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k == name), None)

    @property
    def body(self) -> bytes:
        encoding = self.header("content-encoding")
        if encoding == "gzip":
            return gzip.decompress(self.raw)
        if encoding == "br":
            return brotli.decompress(self.raw)
        if encoding == "deflate":
            return zlib.decompress(self.raw)
        return self.raw


async def call(app: Any, method: str, path: str, headers: dict[str, str] | None = None, body: bytes = b"") -> Answer:
    raw_path, _, query = path.partition("?")
    from urllib.parse import unquote

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": unquote(raw_path),
        "raw_path": raw_path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
        + [(b"host", b"127.0.0.1:3000")],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 3000),
    }
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    answer = Answer(0, [], [])

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            answer.status = message["status"]
            answer.headers = [(k.decode().lower(), v.decode("latin-1")) for k, v in message.get("headers", [])]
        elif message["type"] == "http.response.body":
            answer.chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return answer

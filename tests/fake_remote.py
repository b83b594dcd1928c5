"""A remote API that misbehaves on purpose, as a real HTTP server on a local port (a thread
running an asyncio server that speaks HTTP/1.1 itself, so that it can drop a connection or stall
in the middle of an answer). Each path is a behaviour; ``hits`` counts the requests per path::

    /ok                     200 {"ok": true}
    /status/<code>          that status with a LoopBack error body
    /retry-after/<s>/<n>    429 with Retry-After: <s> for the first <n> requests, then 200
    /unavailable            503 every time
    /slow/<seconds>         200 after that many seconds
    /drop                   reads the request and closes the connection, answering nothing
    /malformed              200, Content-Type application/json, a body that is not JSON
    /echo                   200 with the request's method, path, query, headers and body
    /length                 200 {"length": <bytes of the request body>}
    /big/<n>                200 with a JSON string of n characters
    /chunked                200 with a JSON body sent in several chunks (Transfer-Encoding: chunked)
    /until-close            200 with no Content-Length: the body ends where the connection does
    /close                  200 with Connection: close, then closes
    /close-after            200 (keep-alive), then closes the connection at once, as a remote
                            does with a connection idle past its keep-alive timeout
    /stale                  answers the first request on a connection; a later request on the
                            same connection is read and dropped unanswered, counted as
                            "/stale dropped" (the remote closed it as the request arrived)
    /slow-body/<seconds>    200: the headers and half the body, the rest after that many seconds
    /garbage                bytes that are not an HTTP answer
    /endless                200, chunked, a body that never ends
    /gzip/<n>               200, Content-Encoding gzip: n zero bytes, compressed

``requests`` lists each request (with ``at``, its ``time.monotonic()``); ``connections`` counts
the TCP connections accepted. ``FakeRemote(tls=context)`` serves HTTPS.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import parse_qs, urlsplit


class FakeRemote:
    def __init__(self, tls=None) -> None:
        self.tls = tls
        self.connections = 0
        #: connections the remote has closed
        self.closed = 0
        self._heads: dict = {}  # writer -> whether the request being answered is a HEAD
        self.hits: Counter[str] = Counter()
        self.requests: list[dict] = []
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.base_events.Server | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    def _run(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._server = self._loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1", 0, ssl=self.tls))
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()

    def start(self) -> FakeRemote:
        self._thread.start()
        self._ready.wait(10)
        return self

    def stop(self) -> None:
        if self._loop is not None:

            async def close() -> None:
                self._server.close()
                for task in asyncio.all_tasks():
                    if task is not asyncio.current_task():
                        task.cancel()

            asyncio.run_coroutine_threadsafe(close(), self._loop).result(5)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(5)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        served = 0
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, target, _ = lines[0].split(" ", 2)
                headers = {
                    k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)
                }
                if headers.get("transfer-encoding", "").lower() == "chunked":
                    body = b""
                    while size := int((await reader.readuntil(b"\r\n")).strip(), 16):
                        body += (await reader.readexactly(size + 2))[:-2]
                    await reader.readuntil(b"\r\n")
                else:
                    body = await reader.readexactly(int(headers.get("content-length", "0") or 0))
                url = urlsplit(target)
                served += 1
                if url.path == "/stale" and served > 1:
                    self.hits[url.path + " dropped"] += 1
                    return
                self.hits[url.path] += 1
                self.requests.append(
                    {
                        "method": method,
                        "path": url.path,
                        "query": parse_qs(url.query),
                        "headers": headers,
                        "body": body.decode("utf-8", "replace"),
                        "at": time.monotonic(),
                    }
                )
                self._heads[writer] = method == "HEAD"
                if not await self._answer(method, url.path, self.hits[url.path], headers, body, url, writer):
                    return
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()
            self._heads.pop(writer, None)
            self.closed += 1

    async def _answer(self, method, path, hit, headers, body, url, writer) -> bool:
        parts = [p for p in path.split("/") if p]
        kind = parts[0] if parts else ""
        if kind == "drop":
            return False
        if kind == "slow":
            await asyncio.sleep(float(parts[1]))
            return self._send(writer, 200, {"ok": True})
        if kind == "malformed":
            return self._send(writer, 200, b'{"items": [1, 2', content_type="application/json")
        if kind == "unavailable":
            return self._send(writer, 503, {"error": {"statusCode": 503, "message": "down for maintenance"}})
        if kind == "retry-after":
            if hit <= int(parts[2]):
                return self._send(writer, 429, {"error": {"message": "slow down"}}, extra={"Retry-After": parts[1]})
            return self._send(writer, 200, {"ok": True, "attempt": hit})
        if kind == "status":
            code = int(parts[1])
            error = {"statusCode": code, "name": "Error", "message": f"remote says {code}"}
            if code == 422:
                error.update(
                    name="ValidationError",
                    details={
                        "context": "Thing",
                        "codes": {"name": ["presence"]},
                        "messages": {"name": ["can't be blank"]},
                    },
                )
            return self._send(writer, code, {"error": error})
        if kind == "garbage":
            writer.write(b"HELLO THERE\r\n\r\n")
            await writer.drain()
            return False
        if kind == "endless":
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
            piece = b'"' + b"x" * 65534 + b'"'
            while True:  # until the client closes the connection
                writer.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                await writer.drain()
        if kind == "gzip":
            data = gzip.compress(b"0" * int(parts[1]))
            return self._send(writer, 200, data, extra={"Content-Encoding": "gzip"})
        if kind == "length":
            return self._send(writer, 200, {"length": len(body)})
        if kind == "big":
            return self._send(writer, 200, "x" * int(parts[1]))
        if kind == "chunked":
            data = json.dumps({"items": list(range(50)), "text": "y" * 3000}).encode()
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
            for start in range(0, len(data), 700):
                piece = data[start : start + 700]
                writer.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                await writer.drain()
                await asyncio.sleep(0.001)
            writer.write(b"0\r\n\r\n")
            return True
        if kind == "until-close":
            writer.write(b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{"ended": ')
            await writer.drain()
            await asyncio.sleep(0.01)
            writer.write(b'"by close"}')
            return False
        if kind == "close":
            return not self._send(writer, 200, {"closing": True}, extra={"Connection": "close"})
        if kind == "close-after":
            self._send(writer, 200, {"ok": True})
            await writer.drain()
            return False
        if kind == "slow-body":
            data = json.dumps({"text": "z" * 200}).encode()
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
                % (len(data), data[:100])
            )
            await writer.drain()
            await asyncio.sleep(float(parts[1]))
            writer.write(data[100:])
            return True
        if kind == "echo":
            return self._send(
                writer,
                200,
                {
                    "method": method,
                    "path": path,
                    "query": parse_qs(url.query),
                    "headers": headers,
                    "body": body.decode("utf-8", "replace"),
                },
            )
        return self._send(writer, 200, {"ok": True})

    def _send(
        self, writer, status: int, body, *, content_type: str = "application/json", extra: dict | None = None
    ) -> bool:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        reason = {200: "OK", 429: "Too Many Requests", 503: "Service Unavailable"}.get(status, "Status")
        lines = [
            f"HTTP/1.1 {status} {reason}",
            f"Content-Type: {content_type}",
            f"Content-Length: {len(data)}",
            *(f"{k}: {v}" for k, v in (extra or {}).items()),
            "",
            "",
        ]
        writer.write("\r\n".join(lines).encode("latin-1") + (b"" if self._heads.get(writer) else data))
        return True


@contextmanager
def fake_remote(tls=None) -> Iterator[FakeRemote]:
    server = FakeRemote(tls).start()
    try:
        yield server
    finally:
        server.stop()

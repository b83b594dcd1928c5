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
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections import Counter
from contextlib import contextmanager
from typing import Iterator
from urllib.parse import parse_qs, urlsplit


class FakeRemote:
    def __init__(self) -> None:
        self.hits: Counter[str] = Counter()
        self.requests: list[dict] = []
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.base_events.Server | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _run(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._server = self._loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1", 0))
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()

    def start(self) -> "FakeRemote":
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
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, target, _ = lines[0].split(" ", 2)
                headers = {k.strip().lower(): v.strip() for k, _, v in (l.partition(":") for l in lines[1:] if l)}
                body = await reader.readexactly(int(headers.get("content-length", "0") or 0))
                url = urlsplit(target)
                self.hits[url.path] += 1
                self.requests.append({"method": method, "path": url.path, "query": parse_qs(url.query),
                                      "headers": headers, "body": body.decode("utf-8", "replace")})
                if not await self._answer(method, url.path, self.hits[url.path], headers, body, url, writer):
                    return
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

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
                return self._send(writer, 429, {"error": {"message": "slow down"}},
                                  extra={"Retry-After": parts[1]})
            return self._send(writer, 200, {"ok": True, "attempt": hit})
        if kind == "status":
            code = int(parts[1])
            error = {"statusCode": code, "name": "Error", "message": f"remote says {code}"}
            if code == 422:
                error.update(name="ValidationError", details={
                    "context": "Thing", "codes": {"name": ["presence"]}, "messages": {"name": ["can't be blank"]}})
            return self._send(writer, code, {"error": error})
        if kind == "echo":
            return self._send(writer, 200, {"method": method, "path": path, "query": parse_qs(url.query),
                                            "headers": headers, "body": body.decode("utf-8", "replace")})
        return self._send(writer, 200, {"ok": True})

    def _send(self, writer, status: int, body, *, content_type: str = "application/json",
              extra: dict | None = None) -> bool:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        reason = {200: "OK", 429: "Too Many Requests", 503: "Service Unavailable"}.get(status, "Status")
        lines = [f"HTTP/1.1 {status} {reason}", f"Content-Type: {content_type}",
                 f"Content-Length: {len(data)}", *(f"{k}: {v}" for k, v in (extra or {}).items()), "", ""]
        writer.write("\r\n".join(lines).encode("latin-1") + data)
        return True


@contextmanager
def fake_remote() -> Iterator[FakeRemote]:
    server = FakeRemote().start()
    try:
        yield server
    finally:
        server.stop()

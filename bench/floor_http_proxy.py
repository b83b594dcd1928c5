"""The floor for bench_http.py: a bare Starlette app that forwards every GET to the remote over
httpx (the library lbpy.http builds on) and answers the remote's body as is.

    FLOOR_REMOTE=http://127.0.0.1:3001 FLOOR_CONNECTIONS=32 uvicorn floor_http_proxy:app

No model layer, no filter parsing, no JSON decoding or encoding: what is left is the cost of two
servers on the path (the hop's HTTP server, its HTTP client, the remote) on the same cores.
Connections are pooled as lbpy.http pools them, one httpx transport per connection, most
recently used first: httpx's own pool of 32 walks every connection on every request and is
slower than the hop itself (FLOOR_POOL=httpx measures that).
"""

from __future__ import annotations

import os
from contextlib import asynccontextmanager

import httpx
from lbpy.http._client import ssl_context
from lbpy.http._transport import Http11Transport
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

REMOTE = os.environ["FLOOR_REMOTE"].rstrip("/")
CONNECTIONS = int(os.environ.get("FLOOR_CONNECTIONS", "32"))
CLIENT = os.environ.get("FLOOR_CLIENT", "lbpy")
SHARED_POOL = os.environ.get("FLOOR_POOL") == "httpx"
client: httpx.AsyncClient
free: list[httpx.AsyncHTTPTransport] = []


@asynccontextmanager
async def lifespan(app):
    global client
    limits = httpx.Limits(max_connections=CONNECTIONS, max_keepalive_connections=CONNECTIONS)
    transport = Http11Transport(ssl_context=ssl_context(), max_idle=CONNECTIONS) if CLIENT == "lbpy" else None
    async with httpx.AsyncClient(base_url=REMOTE, limits=limits, transport=transport) as opened:
        client = opened
        yield
    for lane in free:
        await lane.aclose()


async def forward(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if SHARED_POOL:
        answer = await client.get(target, headers={"Accept": "application/json"})
    else:
        outgoing = client.build_request("GET", target, headers={"Accept": "application/json"})
        lane = free.pop() if free else httpx.AsyncHTTPTransport(limits=httpx.Limits(max_connections=1))
        try:
            answer = await lane.handle_async_request(outgoing)
            await answer.aread()
        finally:
            free.append(lane)
    return Response(answer.content, status_code=answer.status_code,
                    media_type=answer.headers.get("content-type"))


app = Starlette(routes=[Route("/{path:path}", forward)], lifespan=lifespan)

"""The floor for bench_http.py: a bare Starlette app that forwards every GET to the remote with
the HTTP client the rest connector uses, and answers the remote's body as it is.

    FLOOR_REMOTE=http://127.0.0.1:3001 FLOOR_CONNECTIONS=32 uvicorn floor_http_proxy:app

No model layer, no filter parsing, no JSON decoding or encoding: what is left is the cost of two
servers on the path (the hop's HTTP server, its HTTP client, the remote) on the same cores.
``FLOOR_CLIENT`` picks the client: ``lbpy`` (default: lbpy.http's ``HttpClient`` with the hop's
settings), ``httpx`` (an ``httpx.AsyncClient`` on httpx's own pool: what a proxy written with
httpx alone costs; that pool walks every connection on every request).
"""

from __future__ import annotations

import os
from contextlib import asynccontextmanager

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from lbpy.http import HttpClient, http_settings

REMOTE = os.environ["FLOOR_REMOTE"].rstrip("/")
CONNECTIONS = int(os.environ.get("FLOOR_CONNECTIONS", "32"))
CLIENT = os.environ.get("FLOOR_CLIENT", "lbpy")
client: httpx.AsyncClient | HttpClient


@asynccontextmanager
async def lifespan(app):
    global client
    if CLIENT == "lbpy":
        async with HttpClient(
            http_settings({"name": "remote", "baseURL": REMOTE, "maxConcurrency": CONNECTIONS})
        ) as client:
            yield
    else:
        limits = httpx.Limits(max_connections=CONNECTIONS, max_keepalive_connections=CONNECTIONS)
        async with httpx.AsyncClient(base_url=REMOTE, limits=limits) as client:
            yield


async def forward(request: Request) -> Response:
    if CLIENT == "lbpy":
        answer = await client.request("GET", request.url.path, params=dict(request.query_params), allow=range(400, 600))
    else:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        answer = await client.get(target, headers={"Accept": "application/json"})
    return Response(answer.content, status_code=answer.status_code, media_type=answer.headers.get("content-type"))


app = Starlette(routes=[Route("/{path:path}", forward)], lifespan=lifespan)

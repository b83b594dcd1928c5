"""A small fake of the remote API, in-process: an ASGI app that the tests put behind httpx's
ASGI transport (``"transport": httpx.ASGITransport(app=FakeApi())`` in the datasource's
settings), so the connector's requests reach it without a network.

YOUR SYSTEM: make it answer as your API does (its paths, its paging, its error bodies, its
authentication), so that the tests keep telling the truth about the real one.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

TOKEN = "test-token"
MAX_PAGE = 100


class FakeApi:
    def __init__(self) -> None:
        self.tables: dict[str, dict[str, dict]] = {}
        self.ids: dict[str, itertools.count] = {}
        self.requests = 0
        self.app = Starlette(routes=[
            Route("/api/{resource}", self.collection, methods=["GET", "POST"]),
            Route("/api/{resource}/{id}", self.item, methods=["GET", "PATCH", "PUT", "DELETE"]),
        ])

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http":
            self.requests += 1
            headers = dict(scope["headers"])
            if headers.get(b"authorization") != f"Bearer {TOKEN}".encode():
                await _error(401, "invalid token")(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def table(self, name: str) -> dict[str, dict]:
        self.ids.setdefault(name, itertools.count(1))
        return self.tables.setdefault(name, {})

    async def collection(self, request: Request) -> Response:
        table = self.table(request.path_params["resource"])
        if request.method == "POST":
            record = await request.json()
            id = record.get("id")
            if id is None:
                id = next(self.ids[request.path_params["resource"]])
                record["id"] = id
            if str(id) in table:
                return _error(409, f"a record with id {id} exists")
            table[str(id)] = record
            return JSONResponse({"id": id, "success": True}, status_code=201)
        equals = {key[len("where."):]: json.loads(value) for key, value in request.query_params.items()
                  if key.startswith("where.")}
        rows = [r for r in table.values() if all(r.get(k) == v for k, v in equals.items())]
        offset = int(request.query_params.get("offset", 0))
        limit = min(int(request.query_params.get("limit", MAX_PAGE)), MAX_PAGE)
        return JSONResponse({"records": rows[offset:offset + limit], "totalSize": len(rows)})

    async def item(self, request: Request) -> Response:
        table = self.table(request.path_params["resource"])
        key = request.path_params["id"]
        record = table.get(key)
        if record is None:
            return _error(404, f"no record {key}")
        if request.method == "GET":
            return JSONResponse(record)
        if request.method == "DELETE":
            del table[key]
            return Response(status_code=204)
        body: dict[str, Any] = await request.json()
        if request.method == "PATCH":
            record.update({k: v for k, v in body.items() if k != "id"})
            return Response(status_code=204)  # as Salesforce answers a PATCH
        table[key] = {**body, "id": record["id"]}
        return JSONResponse(table[key])


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": {"statusCode": status, "message": message}}, status_code=status)

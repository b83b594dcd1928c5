"""The floor for bench_sql_peers.py: a bare Starlette app on the same async driver as lbpy
(asyncpg or asyncmy), with hand-written SQL, answering the bench's routes of Model1.

    FLOOR_URL=postgresql://postgres@127.0.0.1:5432/db uvicorn floor_sql_app:app
    FLOOR_URL=mysql://root@127.0.0.1:3306/db uvicorn floor_sql_app:app

It understands exactly the filters the bench sends (a ``between`` on ``n``, a ``limit``, a count
whose where is a ``gt`` on ``n``) and creates its table when it starts.
"""

from __future__ import annotations

import json
import os
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

URL = os.environ["FLOOR_URL"]
POOL_SIZE = int(os.environ.get("FLOOR_POOL_SIZE", "10"))
POSTGRESQL = URL.startswith("postgresql")
COLUMNS = "id, name, content, n"
P1, P2 = ("$1", "$2") if POSTGRESQL else ("%s", "%s")  # each driver's parameter marks


def record(row) -> dict:
    return {"id": row[0], "name": row[1], "content": row[2], "n": row[3]}


if POSTGRESQL:
    import asyncpg

    DDL = "CREATE TABLE IF NOT EXISTS model1 (id SERIAL PRIMARY KEY, name TEXT NOT NULL, content TEXT, n INTEGER)"

    class Store:
        async def open(self) -> None:
            self.pool = await asyncpg.create_pool(URL, min_size=POOL_SIZE, max_size=POOL_SIZE)
            await self.pool.execute(DDL)

        async def close(self) -> None:
            await self.pool.close()

        async def rows(self, sql: str, *args) -> list:
            return await self.pool.fetch(sql, *args)

        async def insert(self, name, content, n) -> int:
            return await self.pool.fetchval(
                "INSERT INTO model1 (name, content, n) VALUES ($1, $2, $3) RETURNING id", name, content, n
            )
else:
    import asyncmy

    DDL = (
        "CREATE TABLE IF NOT EXISTS model1 (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(512) NOT NULL, "
        "content TEXT, n INT) DEFAULT CHARSET=utf8mb4"
    )

    class Store:
        async def open(self) -> None:
            parts = urlsplit(URL)
            self.pool = await asyncmy.create_pool(
                host=parts.hostname,
                port=parts.port or 3306,
                user=parts.username or "root",
                password=parts.password or "",
                db=parts.path.lstrip("/"),
                autocommit=True,
                minsize=POOL_SIZE,
                maxsize=POOL_SIZE,
                charset="utf8mb4",
            )
            async with self.pool.acquire() as conn, conn.cursor() as cursor:
                await cursor.execute(DDL)

        async def close(self) -> None:
            self.pool.close()
            await self.pool.wait_closed()

        async def rows(self, sql: str, *args) -> list:
            async with self.pool.acquire() as conn, conn.cursor() as cursor:
                await cursor.execute(sql, args)
                return await cursor.fetchall()

        async def insert(self, name, content, n) -> int:
            async with self.pool.acquire() as conn, conn.cursor() as cursor:
                await cursor.execute("INSERT INTO model1 (name, content, n) VALUES (%s, %s, %s)", (name, content, n))
                return cursor.lastrowid


store = Store()


async def find(request):
    flt = json.loads(request.query_params.get("filter") or "{}")
    if "where" in flt:
        low, high = flt["where"]["n"]["between"]
        rows = await store.rows(f"SELECT {COLUMNS} FROM model1 WHERE n BETWEEN {P1} AND {P2} ORDER BY id", low, high)
    else:
        rows = await store.rows(f"SELECT {COLUMNS} FROM model1 ORDER BY id LIMIT {P1}", int(flt.get("limit", 100)))
    return JSONResponse([record(r) for r in rows])


async def find_by_id(request):
    rows = await store.rows(f"SELECT {COLUMNS} FROM model1 WHERE id = {P1}", int(request.path_params["id"]))
    if not rows:
        return JSONResponse({"error": {"statusCode": 404}}, status_code=404)
    return JSONResponse(record(rows[0]))


async def count(request):
    where = json.loads(request.query_params.get("where") or "{}")
    if where:
        rows = await store.rows(f"SELECT count(*) FROM model1 WHERE n > {P1}", where["n"]["gt"])
    else:
        rows = await store.rows("SELECT count(*) FROM model1")
    return JSONResponse({"count": rows[0][0]})


async def create(request):
    data = await request.json()
    new_id = await store.insert(data["name"], data.get("content"), data.get("n"))
    return JSONResponse({**data, "id": new_id})


@asynccontextmanager
async def lifespan(app):
    await store.open()
    yield
    await store.close()


app = Starlette(
    lifespan=lifespan,
    routes=[
        Route("/api/Model1s", find, methods=["GET"]),
        Route("/api/Model1s", create, methods=["POST"]),
        Route("/api/Model1s/count", count),
        Route("/api/Model1s/{id:int}", find_by_id),
    ],
)

"""A warm app opens no connection per request, keeps within its pool, and negotiates no TLS
with a local server unless asked.

The app reaches PostgreSQL or MariaDB through a counting TCP proxy (every connection the app
opens passes it); the server's own view (pg_stat_activity, MariaDB's process list) must show the
same connections before and after a burst of concurrent requests.
"""

from __future__ import annotations

import asyncio
import json
import struct

import httpx
import pytest
from sql_support import (  # noqa: F401
    MYSQL_URL,
    POSTGRESQL_URL,
    datasource_settings,
    execute,
    proxy_for,
    require,
    sql_session,
    through,
)

THING = {"properties": {"label": "string", "size": "number"}}
#: PostgreSQL's SSLRequest: length 8, then the code 80877103
SSL_REQUEST = struct.pack("!ii", 8, 80877103)


def _server_connections(backend: str, ports: set[int]) -> set:
    """The server's own ids of the connections that come from ``ports`` (the proxy's side)."""
    if backend == "postgresql":
        rows = execute(POSTGRESQL_URL, "SELECT pid, client_port FROM pg_stat_activity")[0]
        return {pid for pid, port in rows if port in ports}
    rows = execute(MYSQL_URL, "SELECT ID, HOST FROM information_schema.PROCESSLIST")[0]
    return {
        ident
        for ident, host in rows
        if host and host.rpartition(":")[2].isdigit() and int(host.rpartition(":")[2]) in ports
    }


def _burst(client, requests: int, concurrency: int) -> list[int]:
    """``requests`` requests of the hot kinds, ``concurrency`` at a time, on the app's event loop."""
    app = client.app

    async def run() -> list[int]:
        gate = asyncio.Semaphore(concurrency)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://lbpy") as http:

            async def one(i: int) -> int:
                async with gate:
                    kind = i % 5
                    if kind == 0:
                        response = await http.get(f"/api/Things/{i % 20 + 1}")
                    elif kind == 1:
                        response = await http.get(
                            "/api/Things",
                            params={"filter": json.dumps({"where": {"size": {"between": [i % 10, i % 10 + 5]}}})},
                        )
                    elif kind == 2:
                        response = await http.get("/api/Things", params={"filter": json.dumps({"limit": 5})})
                    elif kind == 3:
                        response = await http.get(
                            "/api/Things/count", params={"where": json.dumps({"size": {"gt": i % 20}})}
                        )
                    else:
                        response = await http.post("/api/Things", json={"label": f"new {i}", "size": i % 20})
                    return response.status_code

            return await asyncio.gather(*[one(i) for i in range(requests)])

    return client.portal.call(run)


@pytest.mark.parametrize("backend_name", ["postgresql", "mysql"])
def test_a_warm_app_opens_no_connection_per_request(backend_name, make_client, tmp_path, proxy_for, sql_session):
    require(backend_name)
    proxy = proxy_for(backend_name)
    settings = datasource_settings(backend_name, tmp_path, pool={"max": 4, "min": 1})
    settings["url"] = through(settings["url"], proxy.port)
    settings["changeStream"] = "local"  # the request pool alone: a change-stream listener is one more
    client = make_client({"Thing": THING}, datasources={"db": settings})
    client.portal.call(client.app.datasources["db"].automigrate)
    for i in range(20):
        assert client.post("/api/Things", json={"label": f"thing {i}", "size": i}).status_code == 200

    assert set(_burst(client, 200, 64)) == {200}  # warm: the pool has grown to what the load needs
    opened = proxy.accepted
    before = _server_connections(backend_name, proxy.upstream_ports)
    assert set(_burst(client, 500, 64)) == {200}
    after = _server_connections(backend_name, proxy.upstream_ports)

    assert proxy.accepted == opened, f"{proxy.accepted - opened} connections opened during the burst"
    assert after == before and 1 <= len(after) <= 4
    assert proxy.most_open <= 4


@pytest.mark.parametrize("backend_name", ["postgresql", "mysql"])
def test_the_pool_never_holds_more_than_its_max(backend_name, make_client, tmp_path, proxy_for, sql_session):
    require(backend_name)
    proxy = proxy_for(backend_name)
    key = "max" if backend_name == "postgresql" else "connectionLimit"  # LoopBack's names
    settings = datasource_settings(backend_name, tmp_path, **{key: 2})
    settings["url"] = through(settings["url"], proxy.port)
    settings["changeStream"] = "local"  # the request pool alone: a change-stream listener is one more
    client = make_client({"Thing": THING}, datasources={"db": settings})
    client.portal.call(client.app.datasources["db"].automigrate)
    for i in range(20):
        client.post("/api/Things", json={"label": f"thing {i}", "size": i})
    assert set(_burst(client, 150, 50)) == {200}
    assert proxy.most_open <= 2
    assert len(_server_connections(backend_name, proxy.upstream_ports)) <= 2


def test_postgresql_on_this_machine_negotiates_no_tls_unless_asked(make_client, tmp_path, proxy_for, sql_session):
    require("postgresql")
    for sslmode, asks in ((None, False), ("prefer", True)):
        proxy = proxy_for("postgresql")
        settings = datasource_settings("postgresql", tmp_path, **({"sslmode": sslmode} if sslmode else {}))
        settings["url"] = through(settings["url"], proxy.port)
        client = make_client({"Thing": THING}, datasources={"db": settings})
        client.portal.call(client.app.datasources["db"].automigrate)
        assert client.get("/api/Things/count").status_code == 200
        assert proxy.greetings, "the app never reached the database"
        assert all((greeting == SSL_REQUEST) is asks for greeting in proxy.greetings), (sslmode, proxy.greetings)


@pytest.mark.parametrize("backend_name", ["postgresql", "mysql"])
def test_a_request_that_finds_every_connection_busy_answers_503_in_time(
    backend_name, make_client, tmp_path, sql_session
):
    require(backend_name)
    settings = datasource_settings(backend_name, tmp_path, pool={"max": 1, "acquireTimeout": 0.3})
    client = make_client({"Thing": THING}, datasources={"db": settings})
    client.portal.call(client.app.datasources["db"].automigrate)
    engine = client.app.datasources["db"].connector.engine

    async def hold_the_only_connection_while_a_request_comes() -> httpx.Response:
        async def hold(conn) -> None:
            await asyncio.sleep(1.5)

        holder = asyncio.ensure_future(engine.run_direct(hold))
        await asyncio.sleep(0.2)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=client.app), base_url="http://lbpy") as http:
            response = await http.get("/api/Things/count")
        await holder
        return response

    response = client.portal.call(hold_the_only_connection_while_a_request_comes)
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "DATABASE_BUSY"
    assert client.get("/api/Things/count").json() == {"count": 0}  # and it serves again once free

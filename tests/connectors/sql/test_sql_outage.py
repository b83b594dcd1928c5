"""A database that goes away answers 503 with a clear message, and the app recovers by itself.

The app reaches PostgreSQL or MariaDB through a TCP proxy that the test stops (closing every open
connection, as a restarting server does) and starts again on the same port.
"""

from __future__ import annotations

import socket

import pytest
from sql_support import datasource_settings, proxy_for, require, sql_session, through  # noqa: F401


@pytest.mark.parametrize("backend_name", ["postgresql", "mysql"])
def test_a_database_that_goes_down_answers_503_and_the_app_recovers(
    backend_name, make_client, tmp_path, proxy_for, sql_session
):
    require(backend_name)
    proxy = proxy_for(backend_name)
    settings = datasource_settings(backend_name, tmp_path)
    settings["url"] = through(settings["url"], proxy.port)
    client = make_client({"Thing": {"properties": {"label": "string"}}}, datasources={"db": settings})
    client.portal.call(client.app.datasources["db"].automigrate)
    assert client.post("/api/Things", json={"label": "before"}).status_code == 200

    proxy.stop()
    for method, url, body in [
        ("GET", "/api/Things", None),
        ("GET", "/api/Things/1", None),
        ("POST", "/api/Things", {"label": "lost"}),
        ("GET", "/api/Things/count", None),
    ]:
        response = client.request(method, url, json=body)
        assert response.status_code == 503, response.text
        error = response.json()["error"]
        assert error["statusCode"] == 503
        assert 'database of datasource "db" cannot be reached' in error["message"]

    proxy.start()
    assert client.get("/api/Things").json() == [{"label": "before", "id": 1}]
    assert client.post("/api/Things", json={"label": "after"}).status_code == 200
    assert client.get("/api/Things/count").json() == {"count": 2}


@pytest.mark.parametrize("backend_name", ["postgresql", "mysql"])
def test_an_app_that_starts_while_its_database_is_down_serves_once_it_is_up(
    backend_name, make_client, tmp_path, proxy_for, sql_session
):
    require(backend_name)
    proxy = proxy_for(backend_name)
    settings = datasource_settings(backend_name, tmp_path)
    settings["url"] = through(settings["url"], proxy.port)
    proxy.stop()
    client = make_client({"Thing": {"properties": {"label": "string"}}}, datasources={"db": settings})
    down = client.get("/api/Things")
    assert down.status_code == 503
    proxy.start()
    client.portal.call(client.app.datasources["db"].automigrate)
    assert client.get("/api/Things").json() == []


def test_a_database_that_does_not_listen_at_all_is_a_503_not_a_crash(make_client, tmp_path):
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    settings = {"name": "db", "connector": "postgresql", "url": f"postgresql://nobody@127.0.0.1:{port}/none"}
    client = make_client({"Thing": {"properties": {"label": "string"}}}, datasources={"db": settings})
    response = client.get("/api/Things")
    assert response.status_code == 503
    assert f"127.0.0.1:{port}" not in response.json()["error"]["message"] or "nobody@" not in response.text

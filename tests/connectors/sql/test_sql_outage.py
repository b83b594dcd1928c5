"""A database that goes away answers 503 with a clear message, and the app recovers by itself.

The app reaches PostgreSQL or MariaDB through a TCP proxy that the test stops (closing every open
connection, as a restarting server does) and starts again on the same port.
"""

from __future__ import annotations

import socket
import threading
from urllib.parse import urlsplit

import pytest
from sql_support import MYSQL_URL, POSTGRESQL_URL, datasource_settings, require, sql_session  # noqa: F401


class Proxy:
    """A TCP forwarder on a fixed local port that can be switched off and on."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self._server: socket.socket | None = None
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()

    def start(self) -> None:
        server = socket.socket()
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", self.port))
        server.listen(64)
        self._server = server
        threading.Thread(target=self._accept, args=(server,), daemon=True).start()

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            try:
                server.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept()
            except OSError:
                pass
            server.close()
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()

    def _accept(self, server: socket.socket) -> None:
        while True:
            try:
                client, _ = server.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets += [client, upstream]
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


def _through(url: str, port: int) -> str:
    parts = urlsplit(url)
    netloc = parts.netloc.rsplit("@", 1)
    host = f"127.0.0.1:{port}"
    netloc = f"{netloc[0]}@{host}" if len(netloc) == 2 else host
    return parts._replace(netloc=netloc).geturl()


@pytest.fixture
def proxy_for():
    proxies = []

    def make(backend: str) -> Proxy:
        parts = urlsplit(POSTGRESQL_URL if backend == "postgresql" else MYSQL_URL)
        proxy = Proxy((parts.hostname or "127.0.0.1", parts.port or (5432 if backend == "postgresql" else 3306)))
        proxy.start()
        proxies.append(proxy)
        return proxy

    yield make
    for proxy in proxies:
        proxy.stop()


@pytest.mark.parametrize("backend_name", ["postgresql", "mysql"])
def test_a_database_that_goes_down_answers_503_and_the_app_recovers(
    backend_name, make_client, tmp_path, proxy_for, sql_session
):
    require(backend_name)
    proxy = proxy_for(backend_name)
    settings = datasource_settings(backend_name, tmp_path)
    settings["url"] = _through(settings["url"], proxy.port)
    client = make_client({"Thing": {"properties": {"label": "string"}}}, datasources={"db": settings})
    client.portal.call(client.app.datasources["db"].automigrate)
    assert client.post("/api/Things", json={"label": "before"}).status_code == 200

    proxy.stop()
    for method, url, body in [("GET", "/api/Things", None), ("GET", "/api/Things/1", None),
                              ("POST", "/api/Things", {"label": "lost"}), ("GET", "/api/Things/count", None)]:
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
    settings["url"] = _through(settings["url"], proxy.port)
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

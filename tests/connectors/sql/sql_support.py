"""Shared set-up for the SQL connector's tests: one database per backend and test session.

Tests take the ``sql_datasource`` fixture, parametrised over SQLite (a file in tmp_path),
PostgreSQL and MariaDB/MySQL. Each session (each pytest-xdist worker is one) works in a schema
(PostgreSQL) or database (MySQL) of its own with a random name, dropped at the end, so parallel
runs and workers never meet. A server that cannot
be reached skips its tests with the reason. ``LBPY_TEST_POSTGRESQL_URL`` and
``LBPY_TEST_MYSQL_URL`` point the tests at other servers.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

BACKENDS = ["sqlite", "postgresql", "mysql"]

POSTGRESQL_URL = os.environ.get("LBPY_TEST_POSTGRESQL_URL", "postgresql://postgres@127.0.0.1:5432/test")
MYSQL_URL = os.environ.get("LBPY_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/test")

_reachable: dict[str, str | None] = {}


def unreachable_reason(backend: str) -> str | None:
    """Why the test server of ``backend`` cannot be used, or None when it can."""
    if backend == "sqlite":
        return None
    if backend not in _reachable:
        url = POSTGRESQL_URL if backend == "postgresql" else MYSQL_URL
        parts = urlsplit(url)
        host, port = parts.hostname or "127.0.0.1", parts.port or (5432 if backend == "postgresql" else 3306)
        try:
            socket.create_connection((host, port), timeout=2).close()
            asyncio.run(_execute(url, ["SELECT 1"]))
            _reachable[backend] = None
        except Exception as exc:  # any failure means: skip, and say why
            name = "PostgreSQL" if backend == "postgresql" else "MariaDB/MySQL"
            _reachable[backend] = (
                f"{name} is not reachable at {host}:{port} ({type(exc).__name__}: {exc}); start it or "
                f"set LBPY_TEST_{backend.upper()}_URL"
            )
    return _reachable[backend]


def require(backend: str) -> None:
    reason = unreachable_reason(backend)
    if reason:
        pytest.skip(reason)


async def _execute(url: str, statements: list[str]) -> list:
    from sqlalchemy.ext.asyncio import create_async_engine

    from lbpy._connectors.sql._config import read_settings

    config = read_settings("test", "sqlite", {"url": url}, None)
    engine = create_async_engine(config.url, isolation_level="AUTOCOMMIT")
    results = []
    try:
        async with engine.connect() as conn:
            for statement in statements:
                result = await conn.exec_driver_sql(statement)
                results.append(result.all() if result.returns_rows else None)
    finally:
        await engine.dispose()
    return results


def execute(url: str, *statements: str) -> list:
    """Run SQL on a test server (outside any app)."""
    return asyncio.run(_execute(url, list(statements)))


_session: dict[str, str] = {}


def _session_name() -> str:
    if "name" not in _session:
        import atexit

        # each pytest-xdist worker is a session of its own: its name says which, for whoever
        # finds one left behind
        worker = os.environ.get("PYTEST_XDIST_WORKER", "")
        _session["name"] = f"lbpy_t_{worker}_{secrets.token_hex(4)}" if worker else f"lbpy_t_{secrets.token_hex(4)}"
        atexit.register(_drop_quietly)  # also when a run ends without its fixtures' teardown
    return _session["name"]


def _drop_quietly() -> None:
    try:
        drop_session_databases()
    except Exception:  # the server went away: nothing left to drop
        pass


def postgresql_schema() -> str:
    name = _session_name()
    if "postgresql" not in _session:
        execute(POSTGRESQL_URL, f'CREATE SCHEMA IF NOT EXISTS "{name}"')
        _session["postgresql"] = name
    return name


def mysql_url() -> str:
    name = _session_name()
    if "mysql" not in _session:
        execute(MYSQL_URL, f"CREATE DATABASE IF NOT EXISTS `{name}` CHARACTER SET utf8mb4")
        _session["mysql"] = name
    return MYSQL_URL.rsplit("/", 1)[0] + "/" + name


def drop_session_databases() -> None:
    if "postgresql" in _session:
        execute(POSTGRESQL_URL, f'DROP SCHEMA IF EXISTS "{_session["postgresql"]}" CASCADE')
    if "mysql" in _session:
        execute(MYSQL_URL, f"DROP DATABASE IF EXISTS `{_session['mysql']}`")
    _session.clear()


@pytest.fixture(scope="session", autouse=False)
def sql_session():
    yield
    drop_session_databases()


def datasource_settings(backend: str, tmp_path: Path, name: str = "db", **extra: Any) -> dict:
    """Datasource settings for ``backend``: a file for SQLite, this session's schema/database else."""
    require(backend)
    if backend == "sqlite":
        settings = {"name": name, "connector": "sqlite", "file": str(tmp_path / f"{name}.sqlite3")}
    elif backend == "postgresql":
        settings = {"name": name, "connector": "postgresql", "url": POSTGRESQL_URL, "schema": postgresql_schema()}
    else:
        settings = {"name": name, "connector": "mysql", "url": mysql_url()}
    return {**settings, **extra}


@pytest.fixture(params=BACKENDS)
def backend(request, sql_session) -> str:
    require(request.param)
    return request.param


@pytest.fixture(scope="session")
def portal():
    """One event loop for a whole session, like a server's: ``portal.call(fn, *args)``."""
    from anyio.from_thread import start_blocking_portal

    with start_blocking_portal() as running:
        yield running


def boot(root: Path, models: dict[str, dict], datasource: dict, **options: Any):
    """Write an app whose models live on ``datasource`` and boot it (without serving)."""
    from conftest import write_app

    from lbpy import create_app

    write_app(root, models, datasources={"db": {**datasource, "name": "db"}}, **options)
    return create_app(root)


def call(portal, fn: Callable, *args: Any) -> Any:
    return portal.call(fn, *args)


class recorded_statements:
    """The SQL text of every statement a connector sends through SQLAlchemy while in the block
    (its engine and, on SQLite, the engine of the calling thread's connections)."""

    def __init__(self, connector) -> None:
        self.engines = [
            getattr(e, "sync_engine", e)
            for e in (connector.engine._engine, connector.engine._inline_engine)
            if e is not None
        ]
        self.statements: list[str] = []

    def _record(self, conn, cursor, statement, *args) -> None:
        self.statements.append(statement)

    def __enter__(self) -> list[str]:
        import sqlalchemy as sa

        for engine in self.engines:
            sa.event.listen(engine, "before_cursor_execute", self._record)
        return self.statements

    def __exit__(self, *exc) -> None:
        import sqlalchemy as sa

        for engine in self.engines:
            sa.event.remove(engine, "before_cursor_execute", self._record)


class Proxy:
    """A TCP forwarder on a fixed local port that can be switched off and on, and that counts
    what passes: connections accepted, open at once (and the most ever), and the first bytes
    each client sent."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self._server: socket.socket | None = None
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self.accepted = 0
        self.open = 0
        self.most_open = 0
        self.greetings: list[bytes] = []  # each connection's first bytes from the client
        self.upstream_ports: set[int] = set()  # the ports the server sees, for its own view

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
                self.accepted += 1
                self.open += 1
                self.most_open = max(self.most_open, self.open)
                self.upstream_ports.add(upstream.getsockname()[1])
            threading.Thread(target=self._pump, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, False), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, from_client: bool) -> None:
        first = from_client
        try:
            while data := source.recv(65536):
                if first:
                    with self._lock:
                        self.greetings.append(data[:8])
                    first = False
                sink.sendall(data)
        except OSError:
            pass
        finally:
            if from_client:
                with self._lock:
                    self.open -= 1
            for sock in (source, sink):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


def through(url: str, port: int) -> str:
    """``url`` with its host and port replaced by 127.0.0.1:``port`` (a Proxy)."""
    parts = urlsplit(url)
    netloc = parts.netloc.rsplit("@", 1)
    host = f"127.0.0.1:{port}"
    netloc = f"{netloc[0]}@{host}" if len(netloc) == 2 else host
    return parts._replace(netloc=netloc).geturl()


@pytest.fixture
def proxy_for():
    """``proxy_for(backend)``: a started Proxy to that backend's test server, stopped afterwards."""
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

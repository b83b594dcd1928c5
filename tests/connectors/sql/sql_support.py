"""Shared set-up for the SQL connector's tests: one database per backend and test session.

Tests take the ``sql_datasource`` fixture, parametrised over SQLite (a file in tmp_path),
PostgreSQL and MariaDB/MySQL. Each session works in a schema (PostgreSQL) or database (MySQL) of
its own with a random name, dropped at the end, so parallel runs never meet. A server that cannot
be reached skips its tests with the reason. ``LBPY_TEST_POSTGRESQL_URL`` and
``LBPY_TEST_MYSQL_URL`` point the tests at other servers.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
from pathlib import Path
from typing import Any, Callable
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

        _session["name"] = f"lbpy_t_{secrets.token_hex(4)}"
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
        self.engines = [getattr(e, "sync_engine", e) for e in (connector.engine._engine, connector.engine._inline_engine)
                        if e is not None]
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

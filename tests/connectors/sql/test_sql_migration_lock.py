"""``lbpy migrate`` holds a lock per database: two machines releasing at once never interleave
their DDL, the second waits (saying so) and finds nothing left to do, and a wait longer than
``--lock-timeout`` is a one-line error with exit code 1."""

from __future__ import annotations

import asyncio
import fcntl
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest
from conftest import write_app
from sql_support import BACKENDS, MYSQL_URL, POSTGRESQL_URL, datasource_settings, sql_session  # noqa: F401

from lbpy._connectors.sql._migration_lock import NAME, PG_KEY


def _app(tmp_path: Path, backend: str) -> tuple[Path, dict]:
    table = f"lock_{tmp_path.name[-10:].lower().replace('-', '_')}"
    models = {
        f"Part{i}": {
            "options": {db: {"table": f"{table}_{i}"} for db in ("postgresql", "mysql", "sqlite3")},
            "properties": {"name": {"type": "string", "index": True}, "qty": "number"},
        }
        for i in range(6)
    }
    settings = datasource_settings(backend, tmp_path)
    return write_app(tmp_path / "app", models, datasources={"db": settings}), settings


def _migrate(root: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "lbpy", "migrate", "--app", str(root), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@contextmanager
def _held(backend: str, settings: dict):
    """The migration lock, held by this test as another machine's migration would hold it."""
    if backend == "sqlite":
        with open(settings["file"] + ".migrate-lock", "a+b") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            yield
        return
    loop = asyncio.new_event_loop()
    if backend == "postgresql":
        import asyncpg

        conn = loop.run_until_complete(asyncpg.connect(POSTGRESQL_URL))
        loop.run_until_complete(conn.execute("SELECT pg_advisory_lock($1)", PG_KEY))
        try:
            yield
        finally:
            loop.run_until_complete(conn.close())
            loop.close()
        return
    import asyncmy

    database = settings["url"].rsplit("/", 1)[1]
    host_port = MYSQL_URL.split("@", 1)[1].split("/", 1)[0]
    host, _, port = host_port.partition(":")
    conn = loop.run_until_complete(asyncmy.connect(host=host, port=int(port or 3306), user="root", password=""))
    name = f"{NAME} {database}"[:64]

    async def select(sql: str):
        async with conn.cursor() as cursor:
            await cursor.execute(sql, (name,))
            return (await cursor.fetchone())[0]

    try:
        assert loop.run_until_complete(select("SELECT GET_LOCK(%s, 0)")) == 1
        yield
        assert loop.run_until_complete(select("SELECT RELEASE_LOCK(%s)")) == 1
    finally:
        loop.run_until_complete(conn.ensure_closed())
        loop.close()


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_migration_waits_for_another_and_gives_up_after_lock_timeout(backend, tmp_path, sql_session):
    root, settings = _app(tmp_path, backend)
    with _held(backend, settings):
        waiting = _migrate(root, "--lock-timeout", "1")
        out, err = waiting.communicate(timeout=60)
    assert waiting.returncode == 1, out + err
    assert "another migration of this database is running; waiting" in err
    assert "another migration still runs after 1 s" in err and "--lock-timeout" in err
    assert "Traceback" not in err and "CREATE TABLE" not in out  # nothing ran, nothing half-done

    # once the lock is free the same command runs
    done = _migrate(root)
    out, err = done.communicate(timeout=120)
    assert done.returncode == 0, out + err
    assert "(ran)" in out


@pytest.mark.parametrize("backend", BACKENDS)
def test_two_migrations_at_once_run_one_after_the_other(backend, tmp_path, sql_session):
    root, _ = _app(tmp_path, backend)
    first, second = _migrate(root), _migrate(root)
    answers = [process.communicate(timeout=120) for process in (first, second)]
    assert [first.returncode, second.returncode] == [0, 0], answers
    outputs = sorted(out for out, _ in answers)
    # one created the six tables, the other found them all there
    ran = [out for out in outputs if "(ran)" in out]
    assert len(ran) == 1, outputs
    assert ran[0].count("CREATE TABLE") == 6
    assert "nothing to change" in next(out for out in outputs if out is not ran[0])

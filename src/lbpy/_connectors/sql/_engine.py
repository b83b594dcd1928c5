"""The SQL connector's engine: connections, and where each operation runs.

Every operation is one plain function of a connection (SQLAlchemy's ``Connection``, or a
coroutine function of a ``_fast.DirectConnection``), run where it is cheapest:

* PostgreSQL and MySQL/MariaDB on asyncpg or asyncmy: the connector's reads and writes run on the
  driver's own pool (``run_direct``, see ``_fast``); migration, discovery and other work of
  SQLAlchemy's own on the asynchronous engine through ``AsyncConnection.run_sync``. A URL that
  names a synchronous driver runs everything in worker threads.
* SQLite: one-row work (a record by id, a new record, a patch by id) and reads that finish within
  a small budget run at once on the calling thread, the hottest statements straight on sqlite3;
  anything longer, and anything that would wait for another writer's lock, runs in worker threads.

bench/bench_sql.py measures these choices through lbpy. Connections are in autocommit mode: a read
or a write of one statement needs no transaction; an operation of several statements runs
between BEGIN and COMMIT (``BEGIN IMMEDIATE`` on SQLite, so writers queue instead of failing).
Operations are shielded from cancellation, so a client that goes away never leaves one half done.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
import threading
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio
import anyio.to_thread
import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool, QueuePool

from ..._filter import like_search, regexp_search
from ..._json_values import loads_stored
from ._config import SqlSettings, connect_args
from ._errors import is_disconnect, translate
from ._fast import DIRECT_DRIVERS, DirectPool, direct_pool
from ._schema import json_dumps

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine


class SqlEngine:
    """The engines of one datasource and the rules for running work on them.

    ``run(fn, *args)`` calls ``fn(connection, *args)`` and returns its result; errors come back
    as lbpy's errors (``translate``). Engines are made by ``open()``; no connection is opened
    until work needs one."""

    def __init__(self, config: SqlSettings, datasource_name: str) -> None:
        self.config = config
        self.datasource_name = datasource_name
        self.backend = config.backend
        self._engine: Any = None
        self._engine_loop: Any = None
        self._inline_engine: Any = None  # SQLite: connections used on the calling thread
        self._inline: dict[int, Any] = {}
        #: asyncpg and asyncmy: the connector's reads and writes run on the driver's own pool
        self.has_direct_path = (self.backend, config.url.get_driver_name()) in DIRECT_DRIVERS
        self.direct: DirectPool | None = None
        self._dialect_ready = False
        self._dialect_lock: anyio.Lock | None = None

    @property
    def is_open(self) -> bool:
        return self._engine is not None and not self._engine_is_stale()

    def open(self) -> None:
        self._engine = self._create_engine()
        self._engine_loop = _running_loop() if self.config.is_async else None
        self._inline_engine = self._create_inline_engine()
        self._dialect_ready = False
        self._dialect_lock = None
        if self.config.is_async:
            self.direct = direct_pool(self.config, self._engine.dialect, self._engine.sync_engine.dispatch)

    async def close(self) -> None:
        engine, self._engine = self._engine, None
        direct, self.direct = self.direct, None
        self._close_inline()
        if engine is None:
            return
        if self.config.is_async:
            if self._engine_loop is _running_loop():
                if direct is not None:
                    await direct.close()
                await engine.dispose()
            else:
                if direct is not None:
                    direct.terminate()
                engine.sync_engine.dispose(close=False)
        else:
            await anyio.to_thread.run_sync(engine.dispose)

    def pool_status(self) -> dict[str, int] | None:
        """The pool requests use: connections open (``size``), ``in_use`` and allowed (``max``),
        and, on the driver's own pool, acquires that found none idle (``waits``) and gave up
        (``timeouts``). None before the engine opens."""
        if self._engine is None:
            return None
        if self.direct is not None:
            return self.direct.status()
        pool = (self._engine.sync_engine if self.config.is_async else self._engine).pool
        if not isinstance(pool, QueuePool):
            return None
        in_use = pool.checkedout()
        return {"size": in_use + pool.checkedin(), "in_use": in_use, "max": pool.size() + max(pool._max_overflow, 0)}

    @property
    def dialect(self) -> sa.engine.Dialect:
        dialect: sa.engine.Dialect = self.config.url.get_dialect()() if self._engine is None else self._engine.dialect
        return dialect

    def _create_engine(self) -> sa.Engine | AsyncEngine:
        config = self.config
        options: dict[str, Any] = {
            "isolation_level": "AUTOCOMMIT",
            "skip_autocommit_rollback": True,
            "json_serializer": json_dumps,
            "json_deserializer": loads_stored,
            "pool_recycle": config.max_lifetime,
            "echo": config.echo,
        }
        if config.backend == "sqlite":
            memory = config.url.database in (None, "", ":memory:")
            if not memory:
                Path(config.url.database).parent.mkdir(parents=True, exist_ok=True)
            options.update(
                poolclass=QueuePool,
                pool_size=1 if memory else config.pool_max,
                max_overflow=0 if memory else config.max_overflow,
                pool_timeout=config.pool_timeout,
                connect_args={"timeout": 30, "check_same_thread": False},
            )
            engine = sa.create_engine(config.url, **options)
            sa.event.listen(engine, "connect", _sqlite_on_connect(memory))
            return engine
        if self.has_direct_path:
            # requests use the driver's pool; this engine serves migration and discovery, and
            # keeps no connection open between them
            options["poolclass"] = NullPool
        else:
            options.update(
                pool_size=config.pool_max, max_overflow=config.max_overflow, pool_timeout=config.pool_timeout
            )
        options["connect_args"] = connect_args(config)
        if config.is_async:
            from sqlalchemy.ext.asyncio import create_async_engine

            return create_async_engine(config.url, **options)
        return sa.create_engine(config.url, **options)

    def _create_inline_engine(self) -> sa.Engine | None:
        """SQLite files only: connections that never wait for a lock (a busy database sends the
        work to a worker thread instead of stalling the event loop)."""
        config = self.config
        if config.backend != "sqlite" or config.is_async or config.url.database in (None, "", ":memory:"):
            return None
        engine = sa.create_engine(
            config.url,
            poolclass=NullPool,
            isolation_level="AUTOCOMMIT",
            skip_autocommit_rollback=True,
            json_serializer=json_dumps,
            json_deserializer=loads_stored,
            echo=config.echo,
            connect_args={"timeout": 0, "check_same_thread": False},
        )
        sa.event.listen(engine, "connect", _sqlite_on_connect(False))
        return engine

    def _engine_is_stale(self) -> bool:
        """An async engine's connections belong to the event loop that opened them."""
        return self.config.is_async and self._engine_loop is not None and self._engine_loop is not _running_loop()

    async def _engine_for_now(self) -> Any:  # an Engine, or an AsyncEngine for an async driver
        if self._engine is None or self._engine_is_stale():
            if self._engine is not None:
                self._engine.sync_engine.dispose(close=False)
                self._engine = None
            if self.direct is not None:
                self.direct.terminate()
                self.direct = None
            self._close_inline()
            self.open()
        return self._engine

    async def _learn_dialect(self) -> None:
        """SQLAlchemy learns the server (its version, MariaDB or MySQL) on its first connection,
        and statements are compiled for what it learnt: connect once before the first compile."""
        if self._dialect_lock is None:
            self._dialect_lock = anyio.Lock()
        async with self._dialect_lock:
            if not self._dialect_ready:
                async with self._engine.connect():
                    pass
                self._dialect_ready = True

    async def run_direct(self, work: Callable[..., Any], *args: Any, write: bool = False, atomic: bool = False) -> Any:
        """``await work(connection, *args)`` on a connection of the driver's pool (``_fast``),
        with ``run``'s rules: one transaction when ``atomic``, a read that meets a dropped
        connection tried once more, shielded from cancellation, errors as lbpy's errors."""
        for attempt in (1, 2):
            try:
                with anyio.CancelScope(shield=True):
                    if not self._dialect_ready or self._engine_loop is not _running_loop():
                        await self._engine_for_now()
                        await self._learn_dialect()
                    direct = self.direct
                    assert direct is not None  # asked for only where the driver's own pool is used
                    try:
                        return await direct.run(work, args, atomic)
                    except Exception as exc:
                        converted = direct.error(exc)
                        if converted is exc:
                            raise
                        raise converted from exc
            except Exception as exc:
                if attempt == 1 and not write and is_disconnect(exc):
                    continue
                translated = translate(exc, self.datasource_name, self.config.shown())
                if translated is exc:
                    raise
                raise translated from exc
        raise AssertionError("unreachable")

    async def run(
        self,
        fn: Callable[..., Any],
        *args: Any,
        write: bool = False,
        atomic: bool | None = None,
        quick: bool | str = False,
    ) -> Any:
        """Run ``fn(connection, *args)``. A write of several statements runs in one transaction
        (``atomic``, the default for writes); a write of one statement needs none, the database
        applies it whole (and saves two round trips). A read that meets a dropped connection is
        tried once more on a fresh one.

        ``quick`` marks work that touches one row by its primary key. On SQLite that runs at once
        on the calling thread (a few microseconds of C, less than a hop to a worker thread costs),
        unless another writer holds the database: then it waits its turn in a worker thread.
        ``quick="bounded"`` marks a read of unknown cost: it starts on the calling thread too, and
        moves to a worker thread if SQLite has not finished within a small budget of steps."""
        atomic = write if atomic is None else atomic
        if quick and self._inline_engine is not None:
            done, result = self._run_inline(fn, args, atomic, bounded=quick == "bounded")
            if done:
                return result
        for attempt in (1, 2):
            try:
                with anyio.CancelScope(shield=True):
                    return await self._execute(fn, args, atomic)
            except Exception as exc:
                if attempt == 1 and not write and is_disconnect(exc):
                    continue
                translated = translate(exc, self.datasource_name, self.config.shown())
                if translated is exc:
                    raise
                raise translated from exc
        raise AssertionError("unreachable")

    async def _execute(self, fn: Callable[..., Any], args: tuple[Any, ...], atomic: bool) -> Any:
        engine = await self._engine_for_now()
        if self.config.is_async:
            async with engine.connect() as conn:
                if atomic:
                    return await conn.run_sync(_in_transaction, self._begin_sql, fn, args)
                return await conn.run_sync(fn, *args)
        return await anyio.to_thread.run_sync(self._execute_sync, engine, fn, args, atomic)

    def _run_inline(
        self, fn: Callable[..., Any], args: tuple[Any, ...], atomic: bool, bounded: bool = False
    ) -> tuple[bool, Any]:
        """(True, result), or (False, None) when the database is busy (or, ``bounded``, the
        read is long) and the caller must hand it to a worker thread."""
        thread = threading.get_ident()
        conn = self._inline.get(thread)
        raw = None
        try:
            if conn is None or conn.closed or conn.invalidated:
                conn = self._inline[thread] = self._inline_engine.connect()
            if atomic:
                return True, _in_sqlite_transaction(conn, fn, args)
            if bounded:
                raw = conn.connection.driver_connection
                raw.set_progress_handler(_StepBudget(INLINE_STEPS), 1000)
            return True, fn(conn, *args)
        except Exception as exc:
            if _busy(exc):
                return False, None
            translated = translate(exc, self.datasource_name, self.config.shown())
            if translated is exc:
                raise
            raise translated from exc
        finally:
            if raw is not None:
                raw.set_progress_handler(None, 0)

    def _close_inline(self) -> None:
        connections, self._inline = self._inline, {}
        for conn in connections.values():
            try:
                conn.close()
            except Exception:  # a connection that is already broken has nothing to close
                pass
        if self._inline_engine is not None:
            self._inline_engine.dispose()
            self._inline_engine = None

    @property
    def _begin_sql(self) -> str:
        return "BEGIN IMMEDIATE" if self.backend == "sqlite" else "BEGIN"

    def _execute_sync(self, engine: sa.Engine, fn: Callable[..., Any], args: tuple[Any, ...], atomic: bool) -> Any:
        with engine.connect() as conn:
            if atomic:
                return _in_transaction(conn, self._begin_sql, fn, args)
            return fn(conn, *args)


def _in_transaction(conn: sa.Connection, begin: str, fn: Callable[..., Any], args: tuple[Any, ...]) -> Any:
    conn.exec_driver_sql(begin)  # when this fails, nothing began and nothing needs undoing
    try:
        result = fn(conn, *args)
    except BaseException:
        try:
            conn.exec_driver_sql("ROLLBACK")
        except Exception:
            conn.invalidate()
        raise
    conn.exec_driver_sql("COMMIT")
    return result


def _in_sqlite_transaction(conn: sa.Connection, fn: Callable[..., Any], args: tuple[Any, ...]) -> Any:
    """``_in_transaction`` for SQLite's own connection: BEGIN and COMMIT go straight to sqlite3
    (they are a third of a one-row write's time through SQLAlchemy)."""
    raw = conn.connection.driver_connection
    assert raw is not None  # an open connection has its driver's
    _sqlite(raw, "BEGIN IMMEDIATE")
    try:
        result = fn(conn, *args)
    except BaseException:
        if raw.in_transaction:
            _sqlite(raw, "ROLLBACK")
        raise
    _sqlite(raw, "COMMIT")
    return result


def _sqlite(raw: sqlite3.Connection, sql: str) -> None:
    try:
        raw.execute(sql)
    except sqlite3.Error as exc:
        raise DBAPIError.instance(sql, (), exc, sqlite3.Error) from exc


def _busy(exc: BaseException) -> bool:
    """SQLite's "another connection holds the lock" (nothing was done; the work can wait and retry)."""
    if not isinstance(exc, sa_exc.OperationalError):
        return False
    text = str(exc.orig).lower()
    return "database is locked" in text or "database table is locked" in text or "busy" in text or text == "interrupted"


#: SQLite virtual machine steps (in thousands) a read may take on the calling thread
INLINE_STEPS = 50


class _StepBudget:
    """SQLite's progress handler: stop the statement once it has used its budget."""

    __slots__ = ("left",)

    def __init__(self, thousands: int) -> None:
        self.left = thousands

    def __call__(self) -> int:
        self.left -= 1
        return self.left < 0


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


@lru_cache(maxsize=256)
def _regexp_search(source: str) -> Callable[[str], bool]:
    return regexp_search(re.compile(source))


def _regexp(pattern: str | None, value: Any) -> bool | None:
    """SQLite's REGEXP, under the same time budget as everywhere else (``regexp_search``)."""
    if pattern is None or value is None:
        return None
    return _regexp_search(pattern)(value if isinstance(value, str) else str(value))


@lru_cache(maxsize=256)
def _like_search(pattern: str) -> Callable[[str], bool]:
    return like_search(pattern, insensitive=True)


def _ilike(pattern: str | None, value: Any) -> bool | None:
    """``ilike`` for SQLite, whose LIKE folds only ASCII letters: every letter folded, in linear
    time (see ``lbpy._filter.like_search``)."""
    if pattern is None or value is None:
        return None
    return _like_search(pattern)(value if isinstance(value, str) else str(value))


def _sqlite_on_connect(memory: bool) -> Callable[..., Any]:
    def on_connect(dbapi_connection: sqlite3.Connection, connection_record: object) -> None:
        dbapi_connection.create_function("regexp", 2, _regexp, deterministic=True)
        dbapi_connection.create_function("lbpy_ilike", 2, _ilike, deterministic=True)
        cursor = dbapi_connection.cursor()
        try:
            if not memory:
                cursor.execute("PRAGMA journal_mode=WAL")  # readers never wait for a writer
                cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
        finally:
            cursor.close()

    return on_connect

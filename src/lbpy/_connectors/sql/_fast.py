"""The hot path on the driver itself: asyncpg and asyncmy pools running prepared statements.

On PostgreSQL (asyncpg) and MySQL/MariaDB (asyncmy) the connector's reads and writes run here: a
statement compiled once by SQLAlchemy (``_statements.Prepared``) goes straight to the driver's own
pool, asyncpg's server-side prepared statements included, and its rows to lbpy's one row decoder.
SQLAlchemy keeps the rest (DDL, reflection, migration, discovery, and each dialect's SQL).
Measured on PostgreSQL with 32 concurrent tasks, a record by id took about 200 us through
SQLAlchemy's async engine (checkout, execution, result adaptation) and 75-125 us on asyncpg's
pool; bench/bench_sql_peers.py measures the whole request against LoopBack 3 and a bare app.

The pool keeps ``min`` connections and grows to ``max`` under load; a connection idle above ``min``
for ``idleTimeout`` seconds is closed, so a warm server opens no connection per request. Driver
errors become SQLAlchemy's DBAPIError classes, so ``_errors.translate`` answers them as it answers
SQLAlchemy's own (503 when the server is away, 409 for a constraint, ...), and each statement is
reported to the engine's ``before_cursor_execute`` listeners, as SQLAlchemy reports its own.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from ..._json_values import loads_stored
from ._config import SqlSettings, connect_args
from ._statements import Prepared, Readers, records

if TYPE_CHECKING:
    import asyncpg

_log = logging.getLogger("sqlalchemy.engine.Engine")

#: the async drivers that have a direct path: (backend, driver)
DIRECT_DRIVERS = {("postgresql", "asyncpg"), ("mysql", "asyncmy")}


def direct_pool(config: SqlSettings, dialect: sa.engine.Dialect, events: Any) -> DirectPool | None:
    """The driver's pool for ``config``, or None when its driver has no direct path."""
    key = (config.backend, config.url.get_driver_name())
    if key not in DIRECT_DRIVERS:
        return None
    return (AsyncpgPool if key[0] == "postgresql" else AsyncmyPool)(config, dialect, events)


def busy(config: SqlSettings) -> PoolTimeout:
    """No connection became free in time: SQLAlchemy's pool error, answered as a 503."""
    return PoolTimeout(
        f"no connection of {config.pool_max + config.max_overflow} became free within {config.pool_timeout:g} s"
    )


async def _waiting(acquire: Awaitable[Any], config: SqlSettings, owner: DirectPool | None = None) -> Any:
    """Wait for a connection, at most the pool's ``acquireTimeout``."""
    if owner is not None:
        owner.waits += 1
    try:
        if _timeout is not None:  # Python 3.11: a timer, where wait_for makes a task
            async with _timeout(config.pool_timeout):
                return await acquire
        return await asyncio.wait_for(acquire, config.pool_timeout)
    except asyncio.TimeoutError:
        if owner is not None:
            owner.timeouts += 1
        raise busy(config) from None


_timeout = getattr(asyncio, "timeout", None)


class DirectPool:
    """One datasource's pool of driver connections, made on first use (so an app whose database
    is down still starts, answers 503, and connects once the database is back)."""

    def __init__(self, config: SqlSettings, dialect: sa.engine.Dialect, events: Any) -> None:
        self.config = config
        self.dialect = dialect
        self.events = events  # the SQLAlchemy engine's dispatch: its before_cursor_execute listeners
        self._pool: Any = None
        #: acquires that found no idle connection (one was opened, or the request waited), and
        #: those that gave up after acquireTimeout
        self.waits = 0
        self.timeouts = 0

    def status(self) -> dict[str, int] | None:
        """Connections open, in use and allowed, and the counts above; None before first use."""
        return None

    async def _open(self) -> Any:
        raise NotImplementedError

    async def close(self) -> None:
        raise NotImplementedError

    async def run(self, work: Callable[..., Any], args: tuple[Any, ...], atomic: bool) -> Any:
        """``await work(connection, *args)`` on a connection of the pool, in one transaction
        when ``atomic``; the connection goes back to the pool however it ends."""
        raise NotImplementedError

    def terminate(self) -> None:
        """Forget the pool without waiting (its event loop has gone)."""
        raise NotImplementedError

    def connect_options(self) -> dict[str, Any]:
        """What SQLAlchemy would pass the driver's connect() for this URL, and lbpy's options."""
        _, options = self.dialect.create_connect_args(self.config.url)
        return {**options, **connect_args(self.config)}

    async def pool(self) -> Any:
        if self._pool is None:
            self._pool = await self._open()
        return self._pool

    def error(self, exc: BaseException, sql: str | None = None, args: Any = None) -> BaseException:
        """A driver's error as SQLAlchemy's DBAPIError (connection errors stay as they are)."""
        return exc


class DirectConnection:
    """One connection taken from a ``DirectPool`` for the length of one operation."""

    def __init__(self, owner: DirectPool, raw: Any) -> None:
        self.owner = owner
        self.raw = raw

    def _report(self, sql: str, args: list[Any]) -> None:
        listeners = self.owner.events.before_cursor_execute
        if listeners:
            for listener in listeners:
                listener(None, None, sql, args, None, False)
        if self.owner.config.echo:  # the datasource's "debug": the statements, as SQLAlchemy logs its own
            _log.info("%s %r", sql, tuple(args))

    async def fetch(
        self,
        prepared: Prepared,
        values: dict[str, Any] | None = None,
        where_binds: list[Any] | None = None,
        readers: Readers | None = None,
    ) -> list[dict[str, Any]]:
        sql, args = prepared.arguments(values, where_binds)
        rows = await self._rows(sql, args)
        return records(rows, prepared.readers if readers is None else readers)

    async def scalar(
        self, prepared: Prepared, values: dict[str, Any] | None = None, where_binds: list[Any] | None = None
    ) -> Any:
        sql, args = prepared.arguments(values, where_binds)
        rows = await self._rows(sql, args)
        return rows[0][0] if rows else None

    async def execute(
        self, prepared: Prepared, values: dict[str, Any] | None = None, where_binds: list[Any] | None = None
    ) -> tuple[int, Any]:
        """(rows affected, the new row's id where the database numbers rows itself)"""
        sql, args = prepared.arguments(values, where_binds)
        return await self._execute(sql, args)

    async def _rows(self, sql: str, args: list[Any]) -> list[Any]:
        raise NotImplementedError

    async def _execute(self, sql: str, args: list[Any]) -> tuple[int, Any]:
        raise NotImplementedError


# -- PostgreSQL: asyncpg -----------------------------------------------------------------------


class AsyncpgPool(DirectPool):
    async def _open(self) -> Any:
        import asyncpg

        options = self.connect_options()
        options.pop("prepared_statement_cache_size", None)  # SQLAlchemy's adapter's own options
        options.pop("prepared_statement_name_func", None)
        return await asyncpg.create_pool(
            **options,
            min_size=self.config.pool_min,
            max_size=self.config.pool_max + self.config.max_overflow,
            max_inactive_connection_lifetime=self.config.idle_timeout,
            init=self._setup,
            reset=_no_reset,
        )

    def status(self) -> dict[str, int] | None:
        pool = self._pool
        if pool is None:
            return None
        size = pool.get_size()
        return {
            "size": size,
            "in_use": size - pool.get_idle_size(),
            "max": pool.get_max_size(),
            "waits": self.waits,
            "timeouts": self.timeouts,
        }

    async def _setup(self, conn: asyncpg.Connection) -> None:
        """The codecs SQLAlchemy's asyncpg dialect sets up: JSON as text both ways (SQLAlchemy's
        bind processing has encoded it already)."""
        await conn.set_type_codec(
            "json", encoder=str.encode, decoder=loads_stored, schema="pg_catalog", format="binary"
        )
        await conn.set_type_codec(
            "jsonb",
            encoder=lambda s: b"\x01" + s.encode(),
            decoder=lambda b: loads_stored(b[1:]),
            schema="pg_catalog",
            format="binary",
        )

    async def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            try:
                await pool.close()
            except Exception:  # a broken connection has nothing left to close
                pool.terminate()

    def terminate(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.terminate()

    async def run(self, work: Callable[..., Any], args: tuple[Any, ...], atomic: bool) -> Any:
        pool = self._pool or await self.pool()
        if pool.get_idle_size():  # a connection is free: nothing waits, so no timer
            raw = await pool.acquire()
        else:
            raw = await _waiting(pool.acquire(), self.config, self)
        try:
            if atomic:
                async with raw.transaction():
                    return await work(AsyncpgConnection(self, raw), *args)
            return await work(AsyncpgConnection(self, raw), *args)
        finally:
            await pool.release(raw)

    def error(self, exc: BaseException, sql: str | None = None, args: Any = None) -> BaseException:
        import asyncpg

        dbapi: Any = self.dialect.dbapi  # SQLAlchemy's adapter of the driver, with its error table
        if isinstance(exc, (asyncpg.PostgresError, asyncpg.InterfaceError)):
            for kind in type(exc).__mro__:
                adapted = dbapi._asyncpg_error_translate.get(kind)
                if adapted is not None:
                    translated = adapted(exc.args[0] if exc.args else str(exc), exc)
                    closed = isinstance(exc, asyncpg.InterfaceError) and "closed" in str(exc)
                    result: BaseException = DBAPIError.instance(
                        sql, args, translated, dbapi.Error, connection_invalidated=closed
                    )
                    return result
        return exc


async def _no_reset(conn: asyncpg.Connection) -> None:
    """lbpy leaves no session state behind (no SET, LISTEN or advisory lock; asyncpg itself rolls
    back an unfinished transaction), so a released connection skips asyncpg's RESET ALL round trip."""


class AsyncpgConnection(DirectConnection):
    async def _rows(self, sql: str, args: list[Any]) -> list[Any]:
        self._report(sql, args)
        result: list[Any] = await self.raw.fetch(sql, *args)
        return result

    async def _execute(self, sql: str, args: list[Any]) -> tuple[int, Any]:
        self._report(sql, args)
        if " RETURNING " in sql:
            rows = await self.raw.fetch(sql, *args)
            return len(rows), rows[0][0] if rows else None
        status = await self.raw.execute(sql, *args)
        count = status.rsplit(" ", 1)[-1]
        return int(count) if count.isdigit() else 0, None


# -- MySQL and MariaDB: asyncmy ----------------------------------------------------------------


class AsyncmyPool(DirectPool):
    async def _open(self) -> Any:
        import asyncmy

        # SQLAlchemy's own connect arguments include FOUND_ROWS: an UPDATE counts the rows it
        # matched, not only those it changed
        return await asyncmy.create_pool(
            **self.connect_options(),
            autocommit=True,
            minsize=self.config.pool_min,
            maxsize=self.config.pool_max + self.config.max_overflow,
            pool_recycle=int(self.config.idle_timeout),
        )

    def status(self) -> dict[str, int] | None:
        pool = self._pool
        if pool is None:
            return None
        return {
            "size": pool.size,
            "in_use": pool.size - pool.freesize,
            "max": pool.maxsize,
            "waits": self.waits,
            "timeouts": self.timeouts,
        }

    async def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.close()
            try:
                await pool.wait_closed()
            except asyncio.CancelledError:
                # the app's stop ran out of time waiting for connections still in use: drop them
                pool.terminate()
                raise
            except Exception:  # connections that broke meanwhile have nothing left to close
                pass

    def terminate(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.terminate()

    async def run(self, work: Callable[..., Any], args: tuple[Any, ...], atomic: bool) -> Any:
        pool = self._pool or await self.pool()
        raw = await (pool.acquire() if pool.freesize else _waiting(pool.acquire(), self.config, self))
        try:
            if not atomic:
                return await work(AsyncmyConnection(self, raw), *args)
            await raw.begin()
            try:
                result = await work(AsyncmyConnection(self, raw), *args)
            except BaseException:
                await raw.rollback()
                raise
            await raw.commit()
            return result
        finally:
            pool.release(raw)  # a connection that broke, or is left in a transaction, is closed

    def error(self, exc: BaseException, sql: str | None = None, args: Any = None) -> BaseException:
        from asyncmy import errors

        if isinstance(exc, errors.Error):
            closed = isinstance(exc, errors.OperationalError) and exc.args and exc.args[0] in (2006, 2013, 2055)
            return DBAPIError.instance(sql, args, exc, errors.Error, connection_invalidated=bool(closed))
        return exc


class AsyncmyConnection(DirectConnection):
    async def _rows(self, sql: str, args: list[Any]) -> list[Any]:
        self._report(sql, args)
        async with self.raw.cursor() as cursor:
            await cursor.execute(sql, args)
            result: list[Any] = await cursor.fetchall()
            return result

    async def _execute(self, sql: str, args: list[Any]) -> tuple[int, Any]:
        self._report(sql, args)
        async with self.raw.cursor() as cursor:
            count = await cursor.execute(sql, args)
            return (
                cursor.rowcount if cursor.rowcount is not None and cursor.rowcount >= 0 else count or 0,
                cursor.lastrowid or None,
            )

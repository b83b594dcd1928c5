"""The SQL connector: SQLite, PostgreSQL and MySQL/MariaDB on SQLAlchemy Core.

Every operation is one plain function of a SQLAlchemy ``Connection``, run where it is cheapest:

* PostgreSQL and MySQL/MariaDB: on an asynchronous engine (asyncpg, asyncmy) through
  ``AsyncConnection.run_sync``; a URL that names a synchronous driver runs it in worker threads.
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
import json
import logging
import re
import threading
import uuid
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

import anyio
import anyio.to_thread

from ..._errors import BootError, ConflictError, NotFoundError
from ..._filter import Filter
from .._base import Connector, Setting
from ._config import SqlSettings, read_settings
from ._errors import is_disconnect, translate

log = logging.getLogger("lbpy")


class SqlConnector(Connector):
    """One connector for ``sqlite``, ``postgresql`` and ``mysql`` datasources."""

    name = "sql"
    blocking = False  # every method is async; blocking drivers run in worker threads
    default_id_type = "number"
    settings_schema = (
        Setting("url", description="an SQLAlchemy URL, e.g. postgresql://user@host/db (or use the parts below)"),
        Setting("urlEnv", description="the environment variable that holds the URL"),
        Setting("file", description="SQLite: the database file (default data/<datasource>.sqlite3)"),
        Setting("host", description="the database server's host name", default="localhost"),
        Setting("port", type="number", description="the database server's port"),
        Setting("database", description="the database name"),
        Setting("user", description="the user to connect as"),
        Setting("password", secret=True, description="the user's password (prefer passwordEnv)"),
        Setting("passwordEnv", description="the environment variable that holds the password"),
        Setting("schema", description="PostgreSQL: the schema of the tables (default: public)"),
        Setting("poolSize", type="number", default=10, description="connections kept open per process"),
    )

    def __init__(self, settings: dict | None = None, datasource=None) -> None:
        super().__init__(settings, datasource)
        ds_name = str(self.settings.get("name") or getattr(datasource, "name", None) or "db")
        connector = getattr(datasource, "connector_name", None) or str(self.settings.get("connector") or "sqlite")
        self.datasource_name = ds_name
        self.config: SqlSettings = read_settings(
            ds_name, connector, self.settings, getattr(datasource, "app_dir", None)
        )
        self.backend = self.config.backend
        self.name = self.backend  # type: ignore[misc]
        self._engine: Any = None
        self._engine_loop: Any = None
        self._inline_engine: Any = None  # SQLite: connections used on the calling thread
        self._inline: dict[int, Any] = {}
        self._maps: dict[str, Any] = {}
        self._metadata: Any = None
        self._compilers: dict[str, Any] = {}
        self._statements: dict[tuple, Any] = {}
        self._ready = not self.config.autoupdate
        self._ready_lock: anyio.Lock | None = None

    def __repr__(self) -> str:
        return f"<SqlConnector {self.datasource_name} {self.config.shown()}>"

    # -- lifecycle ------------------------------------------------------------------------

    async def connect(self) -> None:
        """Build the tables' map and the engine; no connection is opened until a request needs one."""
        if self._engine is not None and not self._engine_is_stale():
            return
        self._build_maps()
        self._engine = self._create_engine()
        self._engine_loop = _running_loop() if self.config.is_async else None
        self._inline_engine = self._create_inline_engine()

    async def disconnect(self) -> None:
        engine, self._engine = self._engine, None
        self._ready = not self.config.autoupdate  # the next connection checks the tables again
        self._close_inline()
        if engine is None:
            return
        if self.config.is_async:
            if self._engine_loop is _running_loop():
                await engine.dispose()
            else:
                engine.sync_engine.dispose(close=False)
        else:
            await anyio.to_thread.run_sync(engine.dispose)

    async def ping(self) -> None:
        import sqlalchemy as sa

        await self._run(lambda conn: conn.execute(sa.select(1)).scalar())

    # -- the engine -------------------------------------------------------------------------

    @property
    def dialect(self):
        if self._engine is None:
            return self.config.url.get_dialect()()
        return self._engine.dialect

    def _create_engine(self):
        import sqlalchemy as sa

        from ._schema import json_dumps

        config = self.config
        options: dict[str, Any] = dict(
            isolation_level="AUTOCOMMIT",
            skip_autocommit_rollback=True,
            json_serializer=json_dumps,
            json_deserializer=json.loads,
            pool_recycle=3600,
            echo=config.echo,
        )
        if config.backend == "sqlite":
            from sqlalchemy.pool import QueuePool

            memory = config.url.database in (None, "", ":memory:")
            if not memory:
                Path(config.url.database).parent.mkdir(parents=True, exist_ok=True)
            options.update(
                poolclass=QueuePool,
                pool_size=1 if memory else config.pool_size,
                max_overflow=0 if memory else config.max_overflow,
                pool_timeout=config.pool_timeout,
                connect_args={"timeout": 30, "check_same_thread": False},
            )
            engine = sa.create_engine(config.url, **options)
            sa.event.listen(engine, "connect", _sqlite_on_connect(memory))
            return engine
        options.update(pool_size=config.pool_size, max_overflow=config.max_overflow,
                       pool_timeout=config.pool_timeout)
        if config.backend == "postgresql" and config.url.get_driver_name() == "asyncpg":
            options["connect_args"] = {"timeout": 10, "server_settings": {"application_name": "lbpy"}}
        elif config.backend == "mysql" and config.url.get_driver_name() in ("asyncmy", "aiomysql", "pymysql"):
            options["connect_args"] = {"connect_timeout": 10}
        if config.is_async:
            from sqlalchemy.ext.asyncio import create_async_engine

            return create_async_engine(config.url, **options)
        return sa.create_engine(config.url, **options)

    def _create_inline_engine(self):
        """SQLite files only: connections that never wait for a lock (a busy database sends the
        work to a worker thread instead of stalling the event loop)."""
        import sqlalchemy as sa
        from sqlalchemy.pool import NullPool

        from ._schema import json_dumps

        config = self.config
        if config.backend != "sqlite" or config.is_async or config.url.database in (None, "", ":memory:"):
            return None
        engine = sa.create_engine(
            config.url, poolclass=NullPool, isolation_level="AUTOCOMMIT", skip_autocommit_rollback=True,
            json_serializer=json_dumps, json_deserializer=json.loads, echo=config.echo,
            connect_args={"timeout": 0, "check_same_thread": False},
        )
        sa.event.listen(engine, "connect", _sqlite_on_connect(False))
        return engine

    def _engine_is_stale(self) -> bool:
        """An async engine's connections belong to the event loop that opened them."""
        return self.config.is_async and self._engine_loop is not None and self._engine_loop is not _running_loop()

    async def _engine_for_now(self):
        if self._engine is None or self._engine_is_stale():
            if self._engine is not None:
                self._engine.sync_engine.dispose(close=False)
                self._engine = None
            await self.connect()
        return self._engine

    async def _run(self, fn: Callable, *args: Any, write: bool = False, atomic: bool | None = None,
                   quick: bool = False, schema_checked: bool = False) -> Any:
        """Run ``fn(connection, *args)``. A write of several statements runs in one transaction
        (``atomic``, the default for writes); a write of one statement needs none, the database
        applies it whole (and saves two round trips). A read that meets a dropped connection is
        tried once more on a fresh one.

        ``quick`` marks work that touches one row by its primary key. On SQLite that runs at once
        on the calling thread (a few microseconds of C, less than a hop to a worker thread costs),
        unless another writer holds the database: then it waits its turn in a worker thread.
        ``quick="bounded"`` marks a read of unknown cost: it starts on the calling thread too, and
        moves to a worker thread if SQLite has not finished within a small budget of steps."""
        if not self._ready and not schema_checked:
            await self._prepare_schema()
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

    async def _execute(self, fn: Callable, args: tuple, atomic: bool) -> Any:
        engine = await self._engine_for_now()
        if self.config.is_async:
            async with engine.connect() as conn:
                if atomic:
                    return await conn.run_sync(_in_transaction, self._begin_sql, fn, args)
                return await conn.run_sync(fn, *args)
        return await anyio.to_thread.run_sync(self._execute_sync, engine, fn, args, atomic)

    def _run_inline(self, fn: Callable, args: tuple, atomic: bool, bounded: bool = False) -> tuple[bool, Any]:
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

    def _execute_sync(self, engine, fn: Callable, args: tuple, atomic: bool) -> Any:
        with engine.connect() as conn:
            if atomic:
                return _in_transaction(conn, self._begin_sql, fn, args)
            return fn(conn, *args)

    async def _prepare_schema(self) -> None:
        """The ``autoupdate`` setting: create what is missing before the first request."""
        if self._ready_lock is None:
            self._ready_lock = anyio.Lock()
        async with self._ready_lock:
            if self._ready:
                return
            from ._migrate import apply_plan, plan_autoupdate

            def update(conn) -> None:
                apply_plan(conn, plan_autoupdate(conn, self.tables(None)))

            try:
                await self._run(update, write=True, schema_checked=True)
            except Exception:
                # another process (a second worker) may have created the same table meanwhile:
                # look again and add only what is still missing
                await self._run(update, write=True, schema_checked=True)
            self._ready = True  # only now: requests that came meanwhile waited on the lock

    # -- tables -----------------------------------------------------------------------------

    def _build_maps(self) -> None:
        import sqlalchemy as sa

        from ._schema import add_foreign_keys, build_table

        metadata = sa.MetaData()
        maps = {}
        dialect = self.dialect
        for name, spec in self.models.items():
            maps[name] = build_table(spec, self.backend, metadata, self.config.schema, dialect)
        add_foreign_keys(maps)
        self._metadata = metadata
        self._maps = maps
        self._compilers.clear()
        self._statements.clear()

    def table_map(self, model: str):
        found = self._maps.get(model)
        if found is None:
            if model not in self.models:
                raise LookupError(f'model "{model}" is not attached to datasource "{self.datasource_name}"')
            self._build_maps()
            found = self._maps[model]
        return found

    def tables(self, models: list[str] | None) -> list:
        """The table maps of ``models`` (every attached model when None)."""
        if not self._maps or any(m not in self._maps for m in self.models):
            self._build_maps()
        names = list(self.models) if models is None else models
        unknown = [m for m in names if m not in self._maps]
        if unknown:
            raise BootError(
                f'datasource "{self.datasource_name}" has no model "{unknown[0]}" '
                f'(models: {", ".join(self._maps) or "none"})'
            )
        return [self._maps[m] for m in names]

    def _compiler(self, model: str):
        compiler = self._compilers.get(model)
        if compiler is None:
            from ._where import WhereCompiler, dialect_ops

            compiler = self._compilers[model] = WhereCompiler(self.table_map(model), dialect_ops(self.dialect))
        return compiler

    # -- the required core ----------------------------------------------------------------

    async def all(self, model: str, filter: Filter, options: dict) -> list[dict]:
        table_map = self.table_map(model)
        by_id = self._id_lookup(table_map, filter)
        if by_id is not None:
            statement, value = by_id
            if statement is None:
                return []
            if self.backend == "sqlite":
                return await self._run(self._fetch_sqlite, statement, value, filter.fields, table_map,
                                       quick=True)
            return await self._run(_fetch, statement, {"id": value}, self._readers(table_map, filter.fields),
                                   quick=True)
        return await self._run(self._select_rows, model, filter, quick="bounded")

    def _fetch_sqlite(self, conn, statement, value: Any, fields, table_map) -> list[dict]:
        """The record with id ``value``, asked of sqlite3 directly (see ``_Prepared``)."""
        key = ("sqlite select", table_map.model, fields)
        prepared = self._statements.get(key)
        if prepared is None:
            prepared = self._statements[key] = _Prepared(
                statement, conn.dialect, self._readers(table_map, fields))
        return prepared.fetch(conn, {"id": value})

    def _select_rows(self, conn, model: str, filter: Filter) -> list[dict]:
        import sqlalchemy as sa

        table_map = self.table_map(model)
        compiler = self._compiler(model)
        columns = self._chosen(table_map, filter.fields)
        # fields that name nothing the table has: one empty record per match, as LoopBack answers
        statement = sa.select(*[c.column for c in columns]) if columns else sa.select(
            sa.literal(1).label("found")).select_from(table_map.table)
        condition = compiler.where(filter.where)
        if condition is not None:
            statement = statement.where(condition)
        statement = statement.order_by(*compiler.order_by(filter.order))
        if filter.limit is not None:
            statement = statement.limit(filter.limit)
        if filter.skip:
            statement = statement.offset(filter.skip)
        return _fetch(conn, statement, None, self._readers(table_map, filter.fields))

    def _chosen(self, table_map, fields):
        if fields is None:
            return list(table_map.columns.values())
        return [table_map.columns[f] for f in fields if f in table_map.columns]

    def _readers(self, table_map, fields) -> list[tuple[str, Callable | None]]:
        key = ("readers", table_map.model, fields)
        found = self._statements.get(key)
        if found is None:
            found = self._statements[key] = [(c.prop, c.read) for c in self._chosen(table_map, fields)]
        return found

    def _id_lookup(self, table_map, filter: Filter):
        """A cached statement for the commonest query, a record by its id."""
        where = filter.where
        if (where is None or len(table_map.id_names) != 1 or filter.order or filter.skip
                or (filter.limit is not None and filter.limit < 1)):
            return None
        id_name = table_map.id_names[0]
        condition = where.get(id_name) if len(where) == 1 else None
        if not isinstance(condition, dict) or list(condition) != ["eq"] or condition["eq"] is None:
            return None
        value = condition["eq"]
        column = table_map.columns[id_name]
        if column.kind == "integer":
            if isinstance(value, float):
                if not value.is_integer():
                    return None, None
                value = int(value)
            if not isinstance(value, int) or isinstance(value, bool) or abs(value) >= 2**63:
                return None, None
        elif column.kind == "string" and not isinstance(value, str):
            return None, None
        key = ("by_id", table_map.model, filter.fields)
        statement = self._statements.get(key)
        if statement is None:
            import sqlalchemy as sa

            columns = self._chosen(table_map, filter.fields) or [column]
            statement = sa.select(*[c.column for c in columns]).where(
                column.column == sa.bindparam("id", type_=column.column.type)
            )
            self._statements[key] = statement
        return statement, value

    async def create(self, model: str, data: dict, options: dict) -> Any:
        table_map = self.table_map(model)
        values = self._values(table_map, data)
        id_name = table_map.id_names[0] if table_map.id_names else None
        if id_name and values.get(id_name) is None:
            values.pop(id_name, None)
            if table_map.uuid_id:
                values[id_name] = str(uuid.uuid4())
        explicit_id = id_name is not None and id_name in values and table_map.db_generated_id
        try:
            atomic = explicit_id and self.backend == "postgresql"  # the insert, then the identity
            return await self._run(self._insert, model, values, explicit_id, write=True, atomic=atomic,
                                   quick=True)
        except Exception as exc:
            if _is_integrity(exc) and id_name and values.get(id_name) is not None:
                if await self._exists(model, values[id_name]):
                    raise ConflictError(f"Duplicate entry for {model}.{id_name}", code="DUPLICATE_ID") from None
            raise

    def _insert(self, conn, model: str, values: dict, explicit_id: bool) -> Any:
        table_map = self.table_map(model)
        id_name = table_map.id_names[0] if table_map.id_names else None
        if self.backend == "sqlite":
            key = ("sqlite insert", model, tuple(values))
            prepared = self._statements.get(key)
            if prepared is None:
                import sqlalchemy as sa

                statement = table_map.table.insert().values({k: sa.bindparam(k) for k in values})
                prepared = self._statements[key] = _Prepared(statement, conn.dialect)
            row_id = prepared.execute(conn, values).lastrowid
            if id_name is None:
                return None
            return _read_id(table_map, values[id_name] if id_name in values else row_id)
        result = conn.execute(table_map.table.insert(), values)
        if id_name is None:
            return None
        if id_name in values:
            new_id = values[id_name]
        else:
            new_id = result.inserted_primary_key[0] if result.inserted_primary_key else None
        if explicit_id and self.backend == "postgresql":
            self._advance_identity(conn, table_map)
        return _read_id(table_map, new_id)

    def _advance_identity(self, conn, table_map) -> None:
        """An explicit id on PostgreSQL: move the identity past it, so new ids never collide."""
        import sqlalchemy as sa

        column = table_map.columns[table_map.id_names[0]].column
        table = table_map.table
        preparer = conn.dialect.identifier_preparer
        qualified = preparer.format_table(table)
        conn.execute(
            sa.select(sa.func.setval(
                sa.func.pg_get_serial_sequence(sa.literal(qualified), sa.literal(column.name)),
                sa.func.greatest(sa.select(sa.func.max(column)).scalar_subquery(), 1),
            ))
        )

    async def _exists(self, model: str, id: Any) -> bool:
        return await self.count(model, self.id_where(model, id), {}) > 0

    async def update_attributes(self, model: str, id: Any, data: dict, options: dict) -> dict:
        table_map = self.table_map(model)
        values = self._values(table_map, data, without_ids=True)
        record = await self._run(self._patch, model, id, values, write=True, atomic=not self._returning,
                                 quick=True)
        if record is None:
            raise NotFoundError(f'Unknown "{model}" id "{id}".', code="MODEL_NOT_FOUND")
        return record

    @property
    def _returning(self) -> bool:
        """UPDATE ... RETURNING: a patch and its answer in one statement (not on MySQL/MariaDB)."""
        return bool(getattr(self.dialect, "update_returning", False))

    def _patch(self, conn, model: str, id: Any, values: dict) -> dict | None:
        table_map = self.table_map(model)
        condition = self._id_condition(table_map, id)
        if condition is None:
            return None
        if values and conn.dialect.update_returning:
            columns = list(table_map.columns.values())
            statement = table_map.table.update().where(condition).values(values).returning(
                *[c.column for c in columns])
            rows = _fetch(conn, statement, None, self._readers(table_map, None))
            return rows[0] if rows else None
        if values:
            count = conn.execute(table_map.table.update().where(condition).values(values)).rowcount
            if count == 0:
                return None
        return self._read_one(conn, table_map, condition)

    def _read_one(self, conn, table_map, condition) -> dict | None:
        import sqlalchemy as sa

        statement = sa.select(*[c.column for c in table_map.columns.values()]).where(condition)
        rows = _fetch(conn, statement, None, self._readers(table_map, None))
        return rows[0] if rows else None

    def _is_id_lookup(self, model: str, where: dict | None) -> bool:
        """A where that names one row by its primary key (``{"id": {"eq": 1}}``)."""
        if not where or len(where) != 1:
            return False
        table_map = self.table_map(model)
        if len(table_map.id_names) != 1:
            return False
        condition = where.get(table_map.id_names[0])
        return isinstance(condition, dict) and list(condition) == ["eq"]

    def _id_condition(self, table_map, id: Any):
        where = {table_map.id_names[0]: {"eq": id}} if table_map.id_names else None
        if where is None:
            return None
        return self._compiler(table_map.model).where(where)

    async def destroy_all(self, model: str, where: dict | None, options: dict) -> dict:
        quick = self._is_id_lookup(model, where)
        return {"count": await self._run(self._delete, model, where, write=True, atomic=False, quick=quick)}

    def _delete(self, conn, model: str, where: dict | None) -> int:
        table_map = self.table_map(model)
        statement = table_map.table.delete()
        condition = self._compiler(model).where(where)
        if condition is not None:
            statement = statement.where(condition)
        return conn.execute(statement).rowcount

    # -- what SQL does in one statement -------------------------------------------------------

    async def count(self, model: str, where: dict | None, options: dict) -> int:
        return await self._run(self._count, model, where, quick=True if self._is_id_lookup(model, where) else "bounded")

    def _count(self, conn, model: str, where: dict | None) -> int:
        import sqlalchemy as sa

        table_map = self.table_map(model)
        statement = sa.select(sa.func.count()).select_from(table_map.table)
        condition = self._compiler(model).where(where)
        if condition is not None:
            statement = statement.where(condition)
        return int(conn.execute(statement).scalar() or 0)

    async def update(self, model: str, where: dict | None, data: dict, options: dict) -> dict:
        table_map = self.table_map(model)
        values = self._values(table_map, data, without_ids=True)
        if not values:
            return {"count": await self.count(model, where, options)}
        return {"count": await self._run(self._update, model, where, values, write=True, atomic=False)}

    def _update(self, conn, model: str, where: dict | None, values: dict) -> int:
        table_map = self.table_map(model)
        statement = table_map.table.update().values(values)
        condition = self._compiler(model).where(where)
        if condition is not None:
            statement = statement.where(condition)
        return conn.execute(statement).rowcount

    async def replace_by_id(self, model: str, id: Any, data: dict, options: dict) -> dict:
        table_map = self.table_map(model)
        values = self._replacement(table_map, data)
        record = await self._run(self._replace, model, id, values, write=True, atomic=not self._returning,
                                 quick=True)
        if record is None:
            raise NotFoundError(f'Unknown "{model}" id "{id}".', code="MODEL_NOT_FOUND")
        return record

    def _replacement(self, table_map, data: dict) -> dict:
        """A replace clears what the new data does not name."""
        given = self._values(table_map, data, without_ids=True)
        return {name: given.get(name) for name in table_map.columns if name not in table_map.id_names}

    def _replace(self, conn, model: str, id: Any, values: dict) -> dict | None:
        return self._patch(conn, model, id, values) if values else self._patch(conn, model, id, {})

    async def update_or_create(self, model: str, data: dict, options: dict) -> dict:
        return await self._write_or_create(model, data, replace=False)

    async def replace_or_create(self, model: str, data: dict, options: dict) -> dict:
        return await self._write_or_create(model, data, replace=True)

    async def _write_or_create(self, model: str, data: dict, replace: bool) -> dict:
        table_map = self.table_map(model)
        id_name = table_map.id_names[0] if table_map.id_names else None
        id = data.get(id_name) if id_name else None
        if id is not None:
            values = self._replacement(table_map, data) if replace else self._values(
                table_map, data, without_ids=True
            )
            record = await self._run(self._patch, model, id, values, write=True, atomic=not self._returning)
            if record is not None:
                return record
        new_id = await self.create(model, data, {})
        record = await self._run(lambda conn: self._read_one(conn, table_map, self._id_condition(table_map, new_id)))
        return record if record is not None else {**data, id_name: new_id}

    def _values(self, table_map, data: dict, without_ids: bool = False) -> dict:
        """The data this table stores: properties the model declares (LoopBack's SQL connectors
        drop the rest too)."""
        columns = table_map.columns
        ids = table_map.id_names if without_ids else ()
        return {k: v for k, v in data.items() if k in columns and k not in ids}

    # -- migration and discovery -----------------------------------------------------------

    async def automigrate(self, models: list[str] | None = None) -> None:
        await self.migrate(models, drop=True)

    async def autoupdate(self, models: list[str] | None = None) -> None:
        await self.migrate(models, drop=False)

    async def migrate(self, models: list[str] | None = None, *, drop: bool = False,
                      dry_run: bool = False) -> "MigrationPlan":
        """Bring the tables of ``models`` up to date; returns the plan with its SQL.

        ``drop`` drops and re-creates each table (LoopBack's automigrate: the data is lost);
        without it, missing tables, columns and indexes are added and nothing is dropped."""
        from ._migrate import apply_plan, plan_automigrate, plan_autoupdate

        await self.connect()
        tables = self.tables(models)

        def work(conn):
            plan = plan_automigrate(conn, tables) if drop else plan_autoupdate(conn, tables)
            if not dry_run:
                apply_plan(conn, plan)
            return plan

        plan = await self._run(work, write=not dry_run)
        self._statements.clear()
        return plan

    async def discover_model_definitions(self, options: dict | None = None) -> list[dict]:
        from ._discover import model_definitions

        return await self._run(model_definitions, self._owner(options), options or {})

    async def discover_model_properties(self, name: str, options: dict | None = None) -> list[dict]:
        from ._discover import model_properties

        return await self._run(model_properties, name, self._owner(options), self._model_table(name))

    async def discover_primary_keys(self, name: str, options: dict | None = None) -> list[dict]:
        from ._discover import primary_keys

        return await self._run(primary_keys, name, self._owner(options), self._model_table(name))

    async def discover_foreign_keys(self, name: str, options: dict | None = None) -> list[dict]:
        from ._discover import foreign_keys

        return await self._run(foreign_keys, name, self._owner(options), self._model_table(name))

    async def discover_exported_foreign_keys(self, name: str, options: dict | None = None) -> list[dict]:
        from ._discover import exported_foreign_keys

        return await self._run(exported_foreign_keys, name, self._owner(options), self._model_table(name))

    def _model_table(self, name: str) -> tuple[str, ...]:
        """The table of the model called ``name``, for discovery by model name."""
        if name not in self.models:
            return ()
        from ._schema import table_name

        return (table_name(self.models[name], self.backend)[0],)

    def _owner(self, options: dict | None) -> str | None:
        options = options or {}
        owner = options.get("owner") or options.get("schema")
        return str(owner) if owner else self.config.schema


MigrationPlan = Any


def _in_transaction(conn, begin: str, fn: Callable, args: tuple) -> Any:
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


class _Prepared:
    """A statement compiled once and run on SQLite's own connection, with the same bind and
    result processing SQLAlchemy would apply. The hottest statements (a record by id, a new
    record) spend more time in SQLAlchemy's execution machinery than in SQLite; this skips it."""

    def __init__(self, statement, dialect, readers: list[tuple[str, Callable | None]] | None = None) -> None:
        compiled = statement.compile(dialect=dialect)
        self.sql = compiled.string
        self.names = list(compiled.positiontup or [])
        self.binds = [compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)
                      for name in self.names]
        self.readers: list[tuple[str, Callable | None]] = []
        if readers is not None:
            columns = list(statement.selected_columns)
            for (name, read), column in zip(readers, columns):
                process = column.type.dialect_impl(dialect).result_processor(dialect, None)
                self.readers.append((name, _compose(process, read)))

    def execute(self, conn, values: dict):
        import sqlite3

        args = [values[name] if bind is None else bind(values[name]) for name, bind in zip(self.names, self.binds)]
        try:
            return conn.connection.driver_connection.execute(self.sql, args)
        except sqlite3.Error as exc:  # the same exception SQLAlchemy would have raised
            from sqlalchemy.exc import DBAPIError

            raise DBAPIError.instance(self.sql, args, exc, sqlite3.Error) from exc

    def fetch(self, conn, values: dict) -> list[dict]:
        out = []
        readers = self.readers
        for row in self.execute(conn, values).fetchall():
            record = {}
            for (name, read), value in zip(readers, row):
                if value is not None:
                    record[name] = read(value) if read is not None else value
            out.append(record)
        return out


def _compose(first: Callable | None, then: Callable | None) -> Callable | None:
    if first is None:
        return then
    if then is None:
        return first

    def both(value: Any) -> Any:
        value = first(value)
        return then(value) if value is not None else None

    return both


def _in_sqlite_transaction(conn, fn: Callable, args: tuple) -> Any:
    """``_in_transaction`` for SQLite's own connection: BEGIN and COMMIT go straight to sqlite3
    (they are a third of a one-row write's time through SQLAlchemy)."""
    raw = conn.connection.driver_connection
    _sqlite(raw, "BEGIN IMMEDIATE")
    try:
        result = fn(conn, *args)
    except BaseException:
        if raw.in_transaction:
            _sqlite(raw, "ROLLBACK")
        raise
    _sqlite(raw, "COMMIT")
    return result


def _sqlite(raw, sql: str) -> None:
    import sqlite3

    try:
        raw.execute(sql)
    except sqlite3.Error as exc:
        from sqlalchemy.exc import DBAPIError

        raise DBAPIError.instance(sql, (), exc, sqlite3.Error) from exc


def _fetch(conn, statement, parameters: dict | None, readers: list[tuple[str, Callable | None]]) -> list[dict]:
    """Rows as records. SQL cannot tell a property set to null from one never set; a record
    leaves both out, as the memory connector leaves out what was never set."""
    rows = conn.execute(statement, parameters).all() if parameters else conn.execute(statement).all()
    out = []
    for row in rows:
        record = {}
        for (name, read), value in zip(readers, row):
            if value is not None:
                record[name] = read(value) if read is not None else value
        out.append(record)
    return out


def _busy(exc: BaseException) -> bool:
    """SQLite's "another connection holds the lock" (nothing was done; the work can wait and retry)."""
    from sqlalchemy import exc as sa_exc

    if not isinstance(exc, sa_exc.OperationalError):
        return False
    text = str(exc.orig).lower()
    return ("database is locked" in text or "database table is locked" in text or "busy" in text
            or text == "interrupted")


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


def _read_id(table_map, value: Any) -> Any:
    column = table_map.columns[table_map.id_names[0]]
    return column.read(value) if column.read is not None and value is not None else value


def _is_integrity(exc: BaseException) -> bool:
    from sqlalchemy import exc as sa_exc

    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, sa_exc.IntegrityError):
            return True
        seen.add(id(exc))
        exc = exc.__cause__  # type: ignore[assignment]
    return False


def _running_loop():
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


@lru_cache(maxsize=256)
def _compiled(source: str) -> re.Pattern:
    return re.compile(source)


def _regexp(pattern: str | None, value: Any) -> bool | None:
    if pattern is None or value is None:
        return None
    return _compiled(pattern).search(value if isinstance(value, str) else str(value)) is not None


def _sqlite_on_connect(memory: bool) -> Callable:
    def on_connect(dbapi_connection, connection_record) -> None:
        dbapi_connection.create_function("regexp", 2, _regexp, deterministic=True)
        cursor = dbapi_connection.cursor()
        try:
            if not memory:
                cursor.execute("PRAGMA journal_mode=WAL")  # readers never wait for a writer
                cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
        finally:
            cursor.close()

    return on_connect

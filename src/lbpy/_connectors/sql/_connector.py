"""The SQL connector: SQLite, PostgreSQL and MySQL/MariaDB on SQLAlchemy Core.

The connector contract's methods, each one or a few statements built from the models' table maps
(``_schema``) and compiled filters (``_where``), compiled once per shape (``_statements``) and run
by the datasource's ``SqlEngine``, which decides where each runs (``_engine``). Each operation is
written once, as a coroutine function of a connection that runs prepared statements, whatever the
database and driver (``_fast``). Migration (``_migrate``) and discovery (``_catalog``) are the same
statements' other users.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import anyio
import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from ..._errors import BootError, ConflictError, NotFoundError, ValidationError
from ..._filter import Filter
from ..._model._definition import ModelSpec
from .._base import Connector, Setting
from ._catalog import (
    exported_foreign_keys,
    foreign_keys,
    model_definitions,
    model_properties,
    primary_keys,
)
from ._config import SqlSettings, read_settings
from ._engine import SqlEngine
from ._migrate import MigrationPlan, apply_plan, plan_automigrate, plan_autoupdate
from ._migration_lock import release, sqlite_file_lock, take_in_transaction
from ._notify import PostgresChangeBus
from ._schema import add_foreign_keys, build_table, table_name
from ._statements import Prepared, Shapes
from ._where import INT64_MAX, INT64_MIN, WhereCompiler, dialect_ops


class SqlConnector(Connector):
    """One connector for ``sqlite``, ``postgresql`` and ``mysql`` datasources."""

    name = "sql"
    blocking = False  # every method is async; blocking drivers run in worker threads
    default_id_type = "number"
    stores_undeclared = False  # a row has the model's columns only, as in LoopBack's SQL connectors
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
        Setting(
            "poolSize",
            type="number",
            default=10,
            description="connections per process at most (LoopBack's max / connectionLimit)",
        ),
    )

    def __init__(
        self,
        settings: Mapping[str, Any] | None = None,
        models: Mapping[str, ModelSpec] | None = None,
        *,
        app_dir: Path | None = None,
        datasource_name: str | None = None,
        backend: str | None = None,
    ) -> None:
        if models is not None and not isinstance(models, Mapping):  # a datasource, as lbpy 0.1 passed
            datasource_name = datasource_name or getattr(models, "name", None)
            backend = backend or getattr(models, "connector_name", None)
        super().__init__(settings, models, app_dir=app_dir)
        self.datasource_name = str(datasource_name or self.settings.get("name") or "db")
        backend = backend or str(self.settings.get("connector") or "sqlite")
        self.config: SqlSettings = read_settings(self.datasource_name, backend, self.settings, self.app_dir)
        self.backend = self.config.backend
        self.name = self.backend
        #: the engines and the rules for running work on them
        self.engine = SqlEngine(self.config, self.datasource_name)
        self._maps: dict[str, Any] = {}
        self._metadata: Any = None
        self._compilers: dict[str, Any] = {}
        self._statements: dict[tuple, Any] = {}
        #: statements compiled once per shape for the driver's own connection (SQLite, asyncpg, asyncmy)
        self._shapes = Shapes()
        self._ready = not self.config.autoupdate
        self._ready_lock: anyio.Lock | None = None

    def __repr__(self) -> str:
        return f"<SqlConnector {self.datasource_name} {self.config.shown()}>"

    # -- lifecycle ------------------------------------------------------------------------

    async def connect(self) -> None:
        """Build the tables' map and the engine; no connection is opened until a request needs one."""
        if self.engine.is_open:
            return
        self._build_maps()
        self.engine.open()

    async def disconnect(self) -> None:
        self._ready = not self.config.autoupdate  # the next connection checks the tables again
        await self.engine.close()

    async def ping(self) -> None:
        await self._work(self._ping)

    async def _ping(self, conn) -> None:
        await conn.scalar(self._shapes.get("ping", lambda: Prepared(sa.select(1), self.dialect)))

    # -- change streams across processes ----------------------------------------------------

    def change_bus(self, channel: str | None = None) -> PostgresChangeBus | None:
        """PostgreSQL: LISTEN/NOTIFY on the datasource's database (``_notify``)."""
        if self.backend != "postgresql":
            return None
        return PostgresChangeBus(self.config, channel)

    def store_identity(self) -> str:
        """The backend, database and schema (SQLite: the file); not the host, which machines may
        spell differently, nor a user or password."""
        url = self.config.url
        if self.backend == "sqlite":
            return f"sqlite:{url.database or ':memory:'}"
        return f"{self.backend}:{url.database or ''}:{self.config.schema or ''}"

    def pool_status(self) -> dict[str, int] | None:
        """The connection pool's figures, for metrics (see ``SqlEngine.pool_status``)."""
        return self.engine.pool_status()

    # -- the engine -------------------------------------------------------------------------

    @property
    def dialect(self):
        return self.engine.dialect

    async def _run(
        self,
        fn: Callable,
        *args: Any,
        write: bool = False,
        atomic: bool | None = None,
        quick: bool | str = False,
        schema_checked: bool = False,
    ) -> Any:
        """``fn(connection, *args)`` on the engine (see ``SqlEngine.run``), once the tables the
        ``autoupdate`` setting asks for exist."""
        if not self._ready and not schema_checked:
            await self._prepare_schema()
        return await self.engine.run(fn, *args, write=write, atomic=atomic, quick=quick)

    async def _work(
        self, work: Callable, *args: Any, write: bool = False, atomic: bool = False, quick: bool | str = False
    ) -> Any:
        """``await work(connection, *args)`` (see ``SqlEngine.run_prepared``), once the tables the
        ``autoupdate`` setting asks for exist."""
        if not self._ready:
            await self._prepare_schema()
        return await self.engine.run_prepared(work, *args, write=write, atomic=atomic, quick=quick)

    async def _prepare_schema(self) -> None:
        """The ``autoupdate`` setting: create what is missing before the first request."""
        if self._ready_lock is None:
            self._ready_lock = anyio.Lock()
        async with self._ready_lock:
            if self._ready:
                return

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
        self._shapes.clear()

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
                f"(models: {', '.join(self._maps) or 'none'})"
            )
        return [self._maps[m] for m in names]

    def _compiler(self, model: str):
        compiler = self._compilers.get(model)
        if compiler is None:
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
            return await self._work(self._fetch_by_id, statement, value, filter.fields, table_map, quick=True)
        return await self._work(self._select, model, filter, quick=self._quick_read(filter.where))

    async def _fetch_by_id(self, conn, statement, value: Any, fields, table_map) -> list[dict]:
        prepared = self._shapes.get(
            ("by id", table_map.model, fields),
            lambda: Prepared(statement, self.dialect, self._readers(table_map, fields)),
        )
        return await conn.fetch(prepared, {"id": value})

    async def _select(self, conn, model: str, filter: Filter) -> list[dict]:
        table_map = self.table_map(model)
        key = ("select", model, filter.fields, filter.order, filter.limit is not None, bool(filter.skip))
        prepared, binds = self._shapes.around(
            key,
            self._compiler(model).where(filter.where),
            lambda condition: self._select_statement(table_map, filter, condition),
            self.dialect,
            self._readers(table_map, filter.fields),
        )
        return await conn.fetch(prepared, {"lbpy_limit": filter.limit, "lbpy_skip": filter.skip or 0}, binds)

    def _select_statement(self, table_map, filter: Filter, condition):
        """SELECT for a filter; limit and skip are left to the binds ``lbpy_limit`` and
        ``lbpy_skip``, so one compilation serves every page."""
        compiler = self._compiler(table_map.model)
        columns = self._chosen(table_map, filter.fields)
        # fields that name nothing the table has: one empty record per match, as LoopBack answers
        statement = (
            sa.select(*[c.column for c in columns])
            if columns
            else sa.select(sa.literal(1).label("found")).select_from(table_map.table)
        )
        if condition is not None:
            statement = statement.where(condition)
        statement = statement.order_by(*compiler.order_by(filter.order))
        if filter.limit is not None:
            statement = statement.limit(sa.bindparam("lbpy_limit", type_=sa.BigInteger))
        if filter.skip:
            statement = statement.offset(sa.bindparam("lbpy_skip", type_=sa.BigInteger))
        return statement

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
        if (
            where is None
            or len(table_map.id_names) != 1
            or filter.order
            or filter.skip
            or (filter.limit is not None and filter.limit < 1)
        ):
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
            return await self._work(self._insert, model, values, explicit_id, write=True, atomic=atomic, quick=True)
        except Exception as exc:
            if (
                _is_integrity(exc)
                and id_name
                and values.get(id_name) is not None
                and await self._exists(model, values[id_name])
            ):
                raise ConflictError(f"Duplicate entry for {model}.{id_name}", code="DUPLICATE_ID") from None
            raise

    async def _insert(self, conn, model: str, values: dict, explicit_id: bool) -> Any:
        table_map = self.table_map(model)
        id_name = table_map.id_names[0] if table_map.id_names else None
        returning = id_name is not None and id_name not in values and self.backend == "postgresql"

        def insert() -> Prepared:
            statement = table_map.table.insert().values({k: sa.bindparam(k) for k in values})
            if returning:
                statement = statement.returning(table_map.columns[id_name].column)
            return Prepared(statement, self.dialect)

        _, new_id = await conn.execute(self._shapes.get(("insert", model, tuple(values)), insert), values)
        if id_name is None:
            return None
        if id_name in values:
            new_id = values[id_name]
        if explicit_id and self.backend == "postgresql":
            await conn.execute(
                self._shapes.get(
                    ("identity", model), lambda: Prepared(self._identity_statement(table_map), self.dialect)
                )
            )
        return _read_id(table_map, new_id)

    def _identity_statement(self, table_map):
        """An explicit id on PostgreSQL: move the identity past it, so new ids never collide."""
        column = table_map.columns[table_map.id_names[0]].column
        qualified = self.dialect.identifier_preparer.format_table(table_map.table)
        return sa.select(
            sa.func.setval(
                sa.func.pg_get_serial_sequence(sa.literal(qualified), sa.literal(column.name)),
                sa.func.greatest(sa.select(sa.func.max(column)).scalar_subquery(), 1),
            )
        )

    async def _exists(self, model: str, id: Any) -> bool:
        return await self.count(model, self.id_where(model, id), {}) > 0

    async def update_attributes(self, model: str, id: Any, data: dict, options: dict) -> dict:
        table_map = self.table_map(model)
        values = self._values(table_map, data, without_ids=True)
        record = await self._patch_record(model, id, values, quick=True)
        if record is None:
            raise NotFoundError(f'Unknown "{model}" id "{id}".', code="MODEL_NOT_FOUND")
        return record

    async def _patch_record(self, model: str, id: Any, values: dict, quick: bool = False) -> dict | None:
        """Set ``values`` on the record ``id`` and read it back (None when there is no such record)."""
        return await self._work(self._patch, model, id, values, write=True, atomic=not self._returning, quick=quick)

    @property
    def _returning(self) -> bool:
        """UPDATE ... RETURNING: a patch and its answer in one statement (not on MySQL/MariaDB)."""
        return bool(getattr(self.dialect, "update_returning", False))

    async def _patch(self, conn, model: str, id: Any, values: dict) -> dict | None:
        table_map = self.table_map(model)
        condition = self._id_condition(table_map, id)
        if condition is None:
            return None
        if values:
            returning = self._returning
            prepared, binds = self._shapes.around(
                ("patch", model, tuple(values), returning),
                condition,
                lambda c: self._update_statement(table_map, c, values, returning=returning),
                self.dialect,
                self._readers(table_map, None) if returning else None,
            )
            given = {f"lbpy_set_{k}": v for k, v in values.items()}
            if returning:
                rows = await conn.fetch(prepared, given, binds)
                return rows[0] if rows else None
            count, _ = await conn.execute(prepared, given, binds)
            if count == 0:
                return None
        return await self._read_one(conn, table_map, condition)

    def _update_statement(self, table_map, condition, names, returning: bool = False):
        """UPDATE of the properties ``names`` where ``condition``; their values are left to binds
        named ``lbpy_set_<property>``, so one compilation serves every value."""
        values = {k: sa.bindparam(f"lbpy_set_{k}", type_=table_map.columns[k].column.type) for k in names}
        statement = table_map.table.update().values(values)
        if condition is not None:
            statement = statement.where(condition)
        if returning:
            statement = statement.returning(*[c.column for c in table_map.columns.values()])
        return statement

    async def _read_one(self, conn, table_map, condition) -> dict | None:
        prepared, binds = self._shapes.around(
            ("read one", table_map.model),
            condition,
            lambda c: sa.select(*[col.column for col in table_map.columns.values()]).where(c),
            self.dialect,
            self._readers(table_map, None),
        )
        rows = await conn.fetch(prepared, None, binds)
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
        return {"count": await self._work(self._delete, model, where, write=True, quick=quick)}

    def _delete_statement(self, model: str, condition):
        statement = self.table_map(model).table.delete()
        return statement.where(condition) if condition is not None else statement

    async def _delete(self, conn, model: str, where: dict | None) -> int:
        prepared, binds = self._shapes.around(
            ("delete", model),
            self._compiler(model).where(where),
            lambda c: self._delete_statement(model, c),
            self.dialect,
        )
        count, _ = await conn.execute(prepared, None, binds)
        return count

    # -- what SQL does in one statement -------------------------------------------------------

    async def count(self, model: str, where: dict | None, options: dict) -> int:
        quick = True if self._is_id_lookup(model, where) else self._quick_read(where)
        return await self._work(self._count, model, where, quick=quick)

    async def _count(self, conn, model: str, where: dict | None) -> int:
        prepared, binds = self._shapes.around(
            ("count", model),
            self._compiler(model).where(where),
            lambda c: self._count_statement(model, c),
            self.dialect,
        )
        return int(await conn.scalar(prepared, None, binds) or 0)

    def _count_statement(self, model: str, condition):
        statement = sa.select(sa.func.count()).select_from(self.table_map(model).table)
        return statement.where(condition) if condition is not None else statement

    def _quick_read(self, where: dict | None) -> str | bool:
        """A read of unknown cost starts on the calling thread (``"bounded"``), unless it calls
        lbpy's Python functions (regexp, ilike on SQLite): SQLite's step budget cannot interrupt
        a function, so those reads run in a worker thread from the start."""
        return False if self.backend == "sqlite" and _calls_python(where) else "bounded"

    async def update(self, model: str, where: dict | None, data: dict, options: dict) -> dict:
        table_map = self.table_map(model)
        values = self._values(table_map, data, without_ids=True)
        if not values:
            return {"count": await self.count(model, where, options)}
        return {"count": await self._work(self._update, model, where, values, write=True)}

    async def _update(self, conn, model: str, where: dict | None, values: dict) -> int:
        table_map = self.table_map(model)
        prepared, binds = self._shapes.around(
            ("update", model, tuple(values)),
            self._compiler(model).where(where),
            lambda c: self._update_statement(table_map, c, values),
            self.dialect,
        )
        count, _ = await conn.execute(prepared, {f"lbpy_set_{k}": v for k, v in values.items()}, binds)
        return count

    async def replace_by_id(self, model: str, id: Any, data: dict, options: dict) -> dict:
        table_map = self.table_map(model)
        values = self._replacement(table_map, data)
        record = await self._patch_record(model, id, values, quick=True)
        if record is None:
            raise NotFoundError(f'Unknown "{model}" id "{id}".', code="MODEL_NOT_FOUND")
        return record

    def _replacement(self, table_map, data: dict) -> dict:
        """A replace clears what the new data does not name."""
        given = self._values(table_map, data, without_ids=True)
        return {name: given.get(name) for name in table_map.columns if name not in table_map.id_names}

    async def update_or_create(self, model: str, data: dict, options: dict) -> dict:
        return await self._write_or_create(model, data, replace=False)

    async def replace_or_create(self, model: str, data: dict, options: dict) -> dict:
        return await self._write_or_create(model, data, replace=True)

    async def _write_or_create(self, model: str, data: dict, replace: bool) -> dict:
        table_map = self.table_map(model)
        id_name = table_map.id_names[0] if table_map.id_names else None
        id = data.get(id_name) if id_name else None
        if id is not None:
            values = self._replacement(table_map, data) if replace else self._values(table_map, data, without_ids=True)
            record = await self._patch_record(model, id, values)
            if record is not None:
                return record
        new_id = await self.create(model, data, {})
        record = await self._work(self._read_one, table_map, self._id_condition(table_map, new_id), quick=True)
        return record if record is not None else {**data, id_name: new_id}

    def _values(self, table_map, data: dict, without_ids: bool = False) -> dict:
        """The data this table stores: properties the model declares (LoopBack's SQL connectors
        drop the rest too). A value the database would refuse is a 422 naming the property."""
        columns = table_map.columns
        ids = table_map.id_names if without_ids else ()
        values = {k: v for k, v in data.items() if k in columns and k not in ids}
        errors: dict[str, list[tuple[str, str]]] = {}
        for name, value in values.items():
            if (
                columns[name].kind == "integer"
                and isinstance(value, (int, float))
                and not isinstance(value, bool)
                and not INT64_MIN <= value <= INT64_MAX
            ):
                errors[name] = [("number", f"is beyond what the database stores ({INT64_MIN} to {INT64_MAX})")]
            elif self.backend == "postgresql" and _holds_nul(value):
                errors[name] = [("format", "holds the NUL character (\\u0000), which PostgreSQL cannot store")]
        if errors:
            raise ValidationError(table_map.model, errors, values=data)
        return values

    # -- migration and discovery -----------------------------------------------------------

    async def automigrate(self, models: list[str] | None = None) -> None:
        await self.migrate(models, drop=True)

    async def autoupdate(self, models: list[str] | None = None) -> None:
        await self.migrate(models, drop=False)

    async def migrate(
        self,
        models: list[str] | None = None,
        *,
        drop: bool = False,
        dry_run: bool = False,
        lock_timeout: float = 60,
        on_wait: Callable[[], None] | None = None,
    ) -> MigrationPlan:
        """Bring the tables of ``models`` up to date; returns the plan with its SQL.

        ``drop`` drops and re-creates each table (LoopBack's automigrate: the data is lost);
        without it, missing tables, columns and indexes are added and nothing is dropped. A
        migration that runs holds the database's migration lock (``_migration_lock``): another
        one, from any process or machine, waits for it up to ``lock_timeout`` seconds, calling
        ``on_wait()`` once when it starts waiting."""
        await self.connect()
        tables = self.tables(models)
        waiting = on_wait or (lambda: None)

        def work(conn):
            if not dry_run:
                take_in_transaction(conn, self.datasource_name, lock_timeout, waiting)
            try:
                plan = plan_automigrate(conn, tables) if drop else plan_autoupdate(conn, tables)
                if not dry_run:
                    apply_plan(conn, plan)
            finally:
                if not dry_run:
                    release(conn)
            return plan

        file_lock = sqlite_file_lock(
            self.config.url.database if self.backend == "sqlite" and not dry_run else None,
            self.datasource_name,
            lock_timeout,
            waiting,
        )
        await anyio.to_thread.run_sync(file_lock.__enter__)
        try:
            plan = await self._run(work, write=not dry_run)
        finally:
            await anyio.to_thread.run_sync(file_lock.__exit__, None, None, None)
        self._statements.clear()
        self._shapes.clear()
        return plan

    async def discover_model_definitions(self, options: dict | None = None) -> list[dict]:
        return await self._run(model_definitions, self._owner(options), options or {})

    async def discover_model_properties(self, name: str, options: dict | None = None) -> list[dict]:
        return await self._run(model_properties, name, self._owner(options), self._model_table(name))

    async def discover_primary_keys(self, name: str, options: dict | None = None) -> list[dict]:
        return await self._run(primary_keys, name, self._owner(options), self._model_table(name))

    async def discover_foreign_keys(self, name: str, options: dict | None = None) -> list[dict]:
        return await self._run(foreign_keys, name, self._owner(options), self._model_table(name))

    async def discover_exported_foreign_keys(self, name: str, options: dict | None = None) -> list[dict]:
        return await self._run(exported_foreign_keys, name, self._owner(options), self._model_table(name))

    def _model_table(self, name: str) -> tuple[str, ...]:
        """The table of the model called ``name``, for discovery by model name."""
        if name not in self.models:
            return ()
        return (table_name(self.models[name], self.backend)[0],)

    def _owner(self, options: dict | None) -> str | None:
        options = options or {}
        owner = options.get("owner") or options.get("schema")
        return str(owner) if owner else self.config.schema


def _read_id(table_map, value: Any) -> Any:
    column = table_map.columns[table_map.id_names[0]]
    return column.read(value) if column.read is not None and value is not None else value


def _is_integrity(exc: BaseException) -> bool:
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, sa_exc.IntegrityError):
            return True
        seen.add(id(exc))
        exc = exc.__cause__
    return False


def _calls_python(where: Any) -> bool:
    """Whether a canonical where uses an operator SQLite evaluates with a Python function."""
    if isinstance(where, dict):
        return any(key in ("regexp", "ilike", "nilike") or _calls_python(value) for key, value in where.items())
    if isinstance(where, list):
        return any(_calls_python(item) for item in where)
    return False


def _holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_nul(v) for v in value)
    return False

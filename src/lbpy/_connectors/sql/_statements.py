"""Statements run and their rows read as records, and statements compiled once per shape.

A row becomes a record through each column's reader (dates, buffers, JSON and booleans read back
as lbpy's values). SQL cannot tell a property set to null from one never set; a record has both as
null, as LoopBack 3's SQL connectors answered every declared property of a row.

``Prepared`` is a statement compiled once by SQLAlchemy for one database, with the bind and result
processing SQLAlchemy would apply, so that it can run straight on the driver (sqlite3, asyncpg,
asyncmy) with new values. ``Shapes`` keeps them in a bounded cache: a statement built around a
where (``_where``) is compiled once per shape of that where, which SQLAlchemy's own cache key
names, and every later request of that shape only supplies its values.
"""

from __future__ import annotations

import sqlite3
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import SQLAlchemyError as SAError
from sqlalchemy.sql.expression import ReturnsRows

#: (property name, reader or None) for each selected column, in order
Readers = list[tuple[str, "Callable[..., Any] | None"]]


def records(rows: Iterable[Any], readers: Readers) -> list[dict[str, Any]]:
    """Rows as records: each non-null value read by its column's reader, a null one as None."""
    out = []
    for row in rows:
        record = {}
        for (name, read), value in zip(readers, row, strict=False):
            record[name] = read(value) if read is not None and value is not None else value
        out.append(record)
    return out


def fetch(
    conn: sa.Connection, statement: sa.Executable, parameters: dict[str, Any] | None, readers: Readers
) -> list[dict[str, Any]]:
    """Run ``statement`` on ``conn`` and read its rows as records."""
    rows = conn.execute(statement, parameters).all() if parameters else conn.execute(statement).all()
    return records(rows, readers)


class Prepared:
    """A statement compiled once, run on the driver's own connection with the same bind and
    result processing SQLAlchemy would apply. The hot statements (a record by id, a find, a
    count, a new record) spend more time in SQLAlchemy's execution machinery than in the
    database; this skips it.

    Values come by bind name (``arguments({"id": 3})``), or, for a statement built around a
    where, from that where's bound parameters in SQLAlchemy's cache-key order (``where_binds``)."""

    def __init__(
        self,
        statement: ReturnsRows,
        dialect: sa.engine.Dialect,
        readers: Readers | None = None,
        where_binds: list[Any] | None = None,
    ) -> None:
        # a SELECT, INSERT, UPDATE or DELETE compiles to a SQLCompiler, whose binds this reads
        compiled = statement.compile(dialect=dialect)
        self.compiled = compiled
        self.sql = compiled.string
        self.expanding = "__[POSTCOMPILE_" in self.sql  # IN lists: the SQL depends on their length
        self.names = list(compiled.positiontup or [])
        self.binds = [compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect) for name in self.names]
        #: binds that take the where's values: (bind name, index among the where's parameters)
        self.from_where: list[tuple[str, int]] = []
        #: the other binds' own values: constants of the shape, or None for a value given by name
        self.fixed: dict[str, Any] = {}
        positions = {id(bind): i for i, bind in enumerate(where_binds or ())}
        for name, bind in compiled.binds.items():
            index = positions.get(id(bind))
            if index is not None:
                self.from_where.append((name, index))
            else:
                self.fixed[name] = bind.effective_value
        #: every value of the where reaches the statement through a bind of its own: another
        #: where of the same shape may reuse this compilation
        self.reusable = len({index for _, index in self.from_where}) == len(positions)
        self.readers: Readers = []
        if readers is not None:
            columns = list(statement.exported_columns)
            for (name, read), column in zip(readers, columns, strict=False):
                self.readers.append((name, _compose(_result_processor(column.type, dialect), read)))

    def arguments(
        self, values: dict[str, Any] | None = None, where_binds: list[Any] | None = None
    ) -> tuple[str, list[Any]]:
        """The SQL text and its positional arguments for ``values`` (by bind name) and the
        bound parameters of a where of this statement's shape."""
        values = {**self.fixed, **values} if values else dict(self.fixed)
        if where_binds is not None:
            for name, index in self.from_where:
                values[name] = where_binds[index].effective_value
        if self.expanding:
            state = self.compiled.construct_expanded_state(values, escape_names=False)
            processors = state.processors
            args = []
            for name in state.positiontup or ():
                value = state.parameters[name]
                process = processors.get(name)
                args.append(value if process is None or value is None else process(value))
            return state.statement, args
        return self.sql, [
            values[name] if bind is None else bind(values[name])
            for name, bind in zip(self.names, self.binds, strict=True)
        ]

    def execute(self, conn: sa.Connection, values: dict[str, Any]) -> sqlite3.Cursor:
        """Run on SQLite's own connection (``conn`` is SQLAlchemy's)."""
        sql, args = self.arguments(values)
        driver = conn.connection.driver_connection
        assert driver is not None  # an open connection has its driver's
        try:
            cursor: sqlite3.Cursor = driver.execute(sql, args)
            return cursor
        except sqlite3.Error as exc:  # the same exception SQLAlchemy would have raised
            raise DBAPIError.instance(sql, args, exc, sqlite3.Error) from exc

    def fetch(self, conn: sa.Connection, values: dict[str, Any]) -> list[dict[str, Any]]:
        return records(self.execute(conn, values).fetchall(), self.readers)


class Shapes:
    """Prepared statements by shape, at most ``size`` of them (the least recently used go first:
    a client that sends ever new shapes costs compilations, never memory)."""

    def __init__(self, size: int = 512) -> None:
        self.size = size
        self._entries: OrderedDict[str, Any] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        self._entries.clear()

    def get(self, key: Any, make: Callable[[], Prepared]) -> Prepared:
        entries = self._entries
        found = entries.get(key)
        if found is None:
            found = make()
            entries[key] = found
            if len(entries) > self.size:
                entries.popitem(last=False)
        else:
            entries.move_to_end(key)
        return found

    def around(
        self,
        key: Any,
        where: sa.ColumnElement[bool] | None,
        build: Callable[[Any], Any],
        dialect: sa.engine.Dialect,
        readers: Readers | None = None,
    ) -> tuple[Prepared, list[Any] | None]:
        """The statement ``build(where)`` for this where's shape, and the where's bound parameters.

        ``key`` names what else shapes the statement (model, fields, order, ...); the where's own
        shape is SQLAlchemy's cache key of it. A where SQLAlchemy cannot key is compiled anew."""
        if where is None:
            return self.get(key, lambda: Prepared(build(None), dialect, readers)), None
        cache_key = where._generate_cache_key()
        if cache_key is None:
            return Prepared(build(where), dialect, readers, []), None
        binds = list(cache_key.bindparams)
        prepared = self.get((key, cache_key.key), lambda: Prepared(build(where), dialect, readers, binds))
        if not prepared.reusable:
            return Prepared(build(where), dialect, readers, binds), binds
        return prepared, binds


def _result_processor(kind: sa.types.TypeEngine[Any], dialect: sa.engine.Dialect) -> Callable[..., Any] | None:
    """SQLAlchemy's processing of a column's values. A number's depends on the type code the
    driver reports (asyncpg); the driver's own number is then kept, and lbpy's reader reads it."""
    try:
        return kind.dialect_impl(dialect).result_processor(dialect, None)
    except (TypeError, SAError):
        return None


def _compose(first: Callable[..., Any] | None, then: Callable[..., Any] | None) -> Callable[..., Any] | None:
    if first is None:
        return then
    if then is None:
        return first

    def both(value: Any) -> Any:
        value = first(value)
        return then(value) if value is not None else None

    return both

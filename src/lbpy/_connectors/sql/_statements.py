"""Statements run and their rows read as records.

A row becomes a record through each column's reader (dates, buffers, JSON and booleans read back
as lbpy's values). SQL cannot tell a property set to null from one never set; a record has both as
null, as LoopBack 3's SQL connectors answered every declared property of a row.
"""

from __future__ import annotations

import sqlite3
from typing import Any, Callable, Iterable

from sqlalchemy.exc import DBAPIError

#: (property name, reader or None) for each selected column, in order
Readers = list[tuple[str, "Callable | None"]]


def records(rows: Iterable[Any], readers: Readers) -> list[dict]:
    """Rows as records: each non-null value read by its column's reader, a null one as None."""
    out = []
    for row in rows:
        record = {}
        for (name, read), value in zip(readers, row):
            record[name] = read(value) if read is not None and value is not None else value
        out.append(record)
    return out


def fetch(conn, statement, parameters: dict | None, readers: Readers) -> list[dict]:
    """Run ``statement`` on ``conn`` and read its rows as records."""
    rows = conn.execute(statement, parameters).all() if parameters else conn.execute(statement).all()
    return records(rows, readers)


class Prepared:
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
        args = [values[name] if bind is None else bind(values[name]) for name, bind in zip(self.names, self.binds)]
        try:
            return conn.connection.driver_connection.execute(self.sql, args)
        except sqlite3.Error as exc:  # the same exception SQLAlchemy would have raised
            raise DBAPIError.instance(self.sql, args, exc, sqlite3.Error) from exc

    def fetch(self, conn, values: dict) -> list[dict]:
        return records(self.execute(conn, values).fetchall(), self.readers)


def _compose(first: Callable | None, then: Callable | None) -> Callable | None:
    if first is None:
        return then
    if then is None:
        return first

    def both(value: Any) -> Any:
        value = first(value)
        return then(value) if value is not None else None

    return both

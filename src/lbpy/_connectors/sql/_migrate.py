"""Migration: LoopBack's automigrate (drop and re-create) and autoupdate (add what is missing).

A plan is computed first, from the models and what the database already has, as SQL statements
compiled for that database; applying the plan runs them in order. ``lbpy migrate --dry-run``
prints a plan without applying it. Autoupdate never drops anything: a column the model no longer
declares is reported, and stays.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.schema import CreateIndex, CreateTable


@dataclass
class MigrationPlan:
    """What a migration runs (``statements``, SQL text) and what it leaves alone (``notes``)."""

    elements: list[Any] = field(default_factory=list)
    statements: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, element: Any, dialect: sa.engine.Dialect) -> None:
        self.elements.append(element)
        text = element.text if isinstance(element, sa.TextClause) else str(element.compile(dialect=dialect))
        self.statements.append(text.strip())


def _ordered(tables: list[Any]) -> list[Any]:
    """Tables in an order where a table comes after the tables its foreign keys point to."""
    by_table = {tm.table: tm for tm in tables}
    order = sa.sql.util.sort_tables(list(by_table))
    return [by_table[t] for t in order]


def plan_automigrate(conn: sa.Connection, tables: list[Any]) -> MigrationPlan:
    dialect = conn.dialect
    plan = MigrationPlan()
    preparer = dialect.identifier_preparer
    inspector = sa.inspect(conn)
    for table_map in reversed(_ordered(tables)):
        table = table_map.table
        if inspector.has_table(table.name, schema=table.schema):
            cascade = " CASCADE" if dialect.name == "postgresql" else ""
            plan.add(sa.text(f"DROP TABLE {preparer.format_table(table)}{cascade}"), dialect)
    for table_map in _ordered(tables):
        _create(plan, table_map.table, dialect)
    return plan


def plan_autoupdate(conn: sa.Connection, tables: list[Any]) -> MigrationPlan:
    dialect = conn.dialect
    plan = MigrationPlan()
    preparer = dialect.identifier_preparer
    inspector = sa.inspect(conn)
    for table_map in _ordered(tables):
        table = table_map.table
        if not inspector.has_table(table.name, schema=table.schema):
            _create(plan, table, dialect)
            continue
        existing = {c["name"]: c for c in inspector.get_columns(table.name, schema=table.schema)}
        lowered = {name.lower(): name for name in existing}
        # a compiler for no statement: only its column specifications are used
        ddl = dialect.ddl_compiler(dialect, None)  # type: ignore[arg-type]
        for column in table.columns:
            if column.name in existing or column.name.lower() in lowered:
                continue
            spec = ddl.get_column_specification(column)
            plan.add(sa.text(f"ALTER TABLE {preparer.format_table(table)} ADD COLUMN {spec}"), dialect)
        declared = {c.name.lower() for c in table.columns}
        for name in existing:
            if name.lower() not in declared:
                plan.notes.append(
                    f"{table_map.model}: column {table.name}.{name} is not a property of the model; it "
                    "stays (lbpy migrate --drop re-creates the table, and its data is lost)"
                )
        index_names = {ix["name"] for ix in inspector.get_indexes(table.name, schema=table.schema)}
        try:
            index_names |= {u["name"] for u in inspector.get_unique_constraints(table.name, schema=table.schema)}
        except NotImplementedError:
            pass
        for index in sorted(table.indexes, key=lambda ix: ix.name or ""):
            if index.name not in index_names:
                plan.add(CreateIndex(index), dialect)
    return plan


def _create(plan: MigrationPlan, table: sa.Table, dialect: sa.engine.Dialect) -> None:
    plan.add(CreateTable(table), dialect)
    for index in sorted(table.indexes, key=lambda ix: ix.name or ""):
        plan.add(CreateIndex(index), dialect)


def apply_plan(conn: sa.Connection, plan: MigrationPlan) -> None:
    for element in plan.elements:
        conn.execute(element)

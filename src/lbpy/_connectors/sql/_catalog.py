"""The database catalogue: the tables, columns and keys a database holds, in the shapes
LoopBack's discovery methods returned (``lbpy._connectors._discovery`` turns them into models)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

_SYSTEM_SCHEMAS = {"information_schema", "pg_catalog", "pg_toast", "mysql", "performance_schema", "sys"}


def _owner(inspector: sa.Inspector, owner: str | None) -> str | None:
    return owner or inspector.default_schema_name


def model_definitions(conn: sa.Connection, owner: str | None, options: dict[str, Any]) -> list[dict[str, Any]]:
    """Tables and views: ``[{"type": "table" | "view", "name", "owner"}]``."""
    inspector = sa.inspect(conn)
    schemas: list[str | None]
    if options.get("all"):
        schemas = [s for s in inspector.get_schema_names() if s not in _SYSTEM_SCHEMAS and not s.startswith("pg_")]
    else:
        schemas = [owner]  # None: the connection's default schema
    found = []
    for schema in schemas:
        shown = _owner(inspector, schema)
        for name in inspector.get_table_names(schema=schema):
            if not name.startswith("sqlite_"):
                found.append({"type": "table", "name": name, "owner": shown})
        if options.get("views", True):
            for name in inspector.get_view_names(schema=schema):
                found.append({"type": "view", "name": name, "owner": shown})
    limit = options.get("limit")
    if isinstance(limit, int) and limit > 0:
        found = found[:limit]
    return found


def resolve_table(inspector: sa.Inspector, name: str, owner: str | None, alternatives: tuple[str, ...] = ()) -> str:
    """The table ``name`` means: itself, the table of the model so named, or the one table whose
    name differs only in case (PostgreSQL folds unquoted names to lower case)."""
    try:
        names = list(inspector.get_table_names(schema=owner)) + list(inspector.get_view_names(schema=owner))
    except Exception:
        return name
    if name in names:
        return name
    for alternative in alternatives:
        if alternative in names:
            return alternative
    folded = [n for n in names if n.lower() == name.lower()]
    return folded[0] if len(folded) == 1 else name


def lb_type(column_type: Any) -> str:
    """The LoopBack type for a database column type."""
    from sqlalchemy.dialects import mysql

    if isinstance(column_type, mysql.TINYINT) and getattr(column_type, "display_width", None) == 1:
        return "Boolean"
    if isinstance(column_type, sa.Boolean):
        return "Boolean"
    if isinstance(column_type, (sa.Integer, sa.Numeric, sa.Float)):
        return "Number"
    if isinstance(column_type, (sa.DateTime, sa.Date)):
        return "Date"
    if isinstance(column_type, sa.JSON):
        return "Object"
    if isinstance(column_type, sa.ARRAY):
        return "Array"
    if isinstance(column_type, sa.LargeBinary):
        return "Buffer"
    name = type(column_type).__name__.upper()
    if name in ("JSONB", "JSON"):
        return "Object"
    if name in ("BYTEA", "BLOB", "LONGBLOB", "MEDIUMBLOB", "TINYBLOB", "VARBINARY", "BINARY"):
        return "Buffer"
    return "String"


def _data_type(column_type: Any, dialect: sa.engine.Dialect) -> str:
    try:
        text: str = column_type.compile(dialect=dialect)
    except Exception:
        text = type(column_type).__name__
    return text.split("(")[0].split(" COLLATE")[0].strip().lower()


def model_properties(
    conn: sa.Connection, table: str, owner: str | None, alternatives: tuple[str, ...] = ()
) -> list[dict[str, Any]]:
    inspector = sa.inspect(conn)
    shown = _owner(inspector, owner)
    table = resolve_table(inspector, table, owner, alternatives)
    try:
        columns = inspector.get_columns(table, schema=owner)
    except sa.exc.NoSuchTableError:
        return []
    pk = set(inspector.get_pk_constraint(table, schema=owner).get("constrained_columns") or [])
    found = []
    for column in columns:
        kind = column["type"]
        entry = {
            "owner": shown,
            "tableName": table,
            "columnName": column["name"],
            "dataType": _data_type(kind, conn.dialect),
            "dataLength": getattr(kind, "length", None),
            "dataPrecision": getattr(kind, "precision", None) if isinstance(kind, sa.Numeric) else None,
            "dataScale": getattr(kind, "scale", None) if isinstance(kind, sa.Numeric) else None,
            "nullable": "Y" if column.get("nullable", True) else "N",
            "type": lb_type(kind),
        }
        if column["name"] in pk and (column.get("autoincrement") is True or column.get("identity")):
            entry["generated"] = True
        found.append(entry)
    return found


def primary_keys(
    conn: sa.Connection, table: str, owner: str | None, alternatives: tuple[str, ...] = ()
) -> list[dict[str, Any]]:
    inspector = sa.inspect(conn)
    shown = _owner(inspector, owner)
    table = resolve_table(inspector, table, owner, alternatives)
    try:
        constraint = inspector.get_pk_constraint(table, schema=owner)
    except sa.exc.NoSuchTableError:
        return []
    name = constraint.get("name") or f"{table}_pkey"
    return [
        {"owner": shown, "tableName": table, "columnName": column, "keySeq": i + 1, "pkName": name}
        for i, column in enumerate(constraint.get("constrained_columns") or [])
    ]


def foreign_keys(
    conn: sa.Connection, table: str, owner: str | None, alternatives: tuple[str, ...] = ()
) -> list[dict[str, Any]]:
    """The foreign keys of ``table``: the tables it points to."""
    inspector = sa.inspect(conn)
    shown = _owner(inspector, owner)
    table = resolve_table(inspector, table, owner, alternatives)
    try:
        keys = inspector.get_foreign_keys(table, schema=owner)
    except sa.exc.NoSuchTableError:
        return []
    found = []
    for fk in keys:
        target_schema = fk.get("referred_schema") or shown
        for i, (column, target) in enumerate(zip(fk["constrained_columns"], fk["referred_columns"], strict=True)):
            found.append(
                {
                    "fkOwner": shown,
                    "fkName": fk.get("name") or f"{table}_{column}_fkey",
                    "fkTableName": table,
                    "fkColumnName": column,
                    "keySeq": i + 1,
                    "pkOwner": target_schema,
                    "pkName": None,
                    "pkTableName": fk["referred_table"],
                    "pkColumnName": target,
                }
            )
    return found


def exported_foreign_keys(
    conn: sa.Connection, table: str, owner: str | None, alternatives: tuple[str, ...] = ()
) -> list[dict[str, Any]]:
    """The foreign keys of other tables that point to ``table``."""
    inspector = sa.inspect(conn)
    shown = _owner(inspector, owner)
    table = resolve_table(inspector, table, owner, alternatives)
    found = []
    for other in inspector.get_table_names(schema=owner):
        if other.startswith("sqlite_"):
            continue
        for fk in foreign_keys(conn, other, owner):
            if fk["pkTableName"] == table and (fk["pkOwner"] or shown) == shown:
                found.append(fk)
    return found

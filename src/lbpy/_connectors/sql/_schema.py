"""Models as tables: names, column types and indexes from LoopBack model settings.

LoopBack's settings are honoured: ``options.<db>.table``/``schema`` (or the same object at the top
of the model JSON), and on a property ``<db>.columnName``/``dataType``/``dataLength``/
``dataPrecision``/``dataScale``/``nullable``, ``length``, ``precision``, ``scale``, ``id``,
``generated`` and ``index``. ``<db>`` is the connector's name (``postgresql``, ``mysql``,
``sqlite3``; their aliases too). As LoopBack's PostgreSQL connector did, PostgreSQL names are
lower-cased unless a name is given.

Types: a generated number id is an integer identity, a string id a ``varchar(255)`` (lbpy fills in a
UUID when a create names no id), numbers are double precision, booleans boolean, dates UTC
timestamps, objects/arrays/geopoints/embedded models JSON (JSONB on PostgreSQL), buffers binary.
Text compares and sorts by code point on every database (``COLLATE "C"`` on PostgreSQL, a binary
no-pad collation on MySQL/MariaDB, SQLite's own), as lbpy's memory connector compares strings.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator, UserDefinedType

from ..._errors import BootError
from ..._json_values import json_default, loads_stored
from ..._model._definition import ModelSpec, PropertySpec
from ..._model._types import (
    ArrayType,
    BooleanType,
    BufferType,
    DateType,
    ModelType,
    NumberType,
    StringType,
    normalise_number,
    parse_date,
)

#: the keys a model or property uses for settings of each database
SETTING_KEYS = {
    "sqlite": ("sqlite3", "sqlite"),
    "postgresql": ("postgresql", "postgres"),
    "mysql": ("mysql", "mariadb"),
}

UTC = timezone.utc


# ---------------------------------------------------------------------------------------------
# Column types: one per kind of LoopBack property, concrete per database


class _SqliteNumber(UserDefinedType[Any]):
    """SQLite's NUMERIC affinity keeps 30 an integer and 30.5 a real, as lbpy's numbers are."""

    cache_ok = True

    def get_col_spec(self, **kw: Any) -> str:
        return "NUMERIC"


class _Kind(TypeDecorator[Any]):
    """A column type chosen per database, or the ``dataType`` a property declares."""

    impl: sa.types.TypeEngine[Any] | type[sa.types.TypeEngine[Any]] = sa.types.NullType
    cache_ok = True

    def __init__(self, declared: sa.types.TypeEngine[Any] | None = None, length: int | None = None) -> None:
        super().__init__()
        self.declared = declared
        self.length = length
        if declared is not None:
            self.impl = declared  # what SQLAlchemy checks, e.g. that an autoincrement id is an integer

    def load_dialect_impl(self, dialect: sa.engine.Dialect) -> sa.types.TypeEngine[Any]:
        if self.declared is not None:
            return dialect.type_descriptor(self.declared)
        return dialect.type_descriptor(self.default_type(dialect))

    def default_type(self, dialect: sa.engine.Dialect) -> sa.types.TypeEngine[Any]:
        raise NotImplementedError

    def coerce_compared_value(self, op: Any, value: Any) -> Any:
        return self


def text_collation(dialect: sa.engine.Dialect) -> str | None:
    """The collation that compares text by code point, with no trailing-space padding."""
    if dialect.name == "postgresql":
        return "C"
    if dialect.name == "mysql":
        if getattr(dialect, "is_mariadb", False):
            return "utf8mb4_nopad_bin"
        version = getattr(dialect, "server_version_info", None) or (0,)
        return "utf8mb4_0900_bin" if version >= (8, 0, 17) else "utf8mb4_bin"
    return None


class _PostgresText(UserDefinedType[str]):
    """Text compared by code point. The collation is part of the column, not of the values
    bound against it, so statements carry no COLLATE of their own and indexes apply."""

    cache_ok = True

    def __init__(self, length: int | None = None) -> None:
        self.length = length

    def get_col_spec(self, **kw: Any) -> str:
        return (f"VARCHAR({self.length})" if self.length else "TEXT") + ' COLLATE "C"'

    class comparator_factory(sa.types.String.Comparator[str]):
        pass


class StringColumn(_Kind):
    cache_ok = True
    impl = sa.String

    def default_type(self, dialect: sa.engine.Dialect) -> sa.types.TypeEngine[Any]:
        collation = text_collation(dialect)
        if dialect.name == "postgresql":
            return _PostgresText(self.length)
        if dialect.name == "mysql":
            from sqlalchemy.dialects import mysql

            if self.length:
                return mysql.VARCHAR(self.length, charset="utf8mb4", collation=collation)
            return mysql.MEDIUMTEXT(charset="utf8mb4", collation=collation)
        if self.length:
            return sa.String(self.length, collation=collation)
        return sa.Text(collation=collation)


class NumberColumn(_Kind):
    cache_ok = True
    impl = sa.Float

    def default_type(self, dialect: sa.engine.Dialect) -> sa.types.TypeEngine[Any]:
        if dialect.name == "sqlite":
            return _SqliteNumber()
        if dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import DOUBLE_PRECISION

            return DOUBLE_PRECISION()
        from sqlalchemy.dialects.mysql import DOUBLE

        return DOUBLE()


class BooleanColumn(_Kind):
    cache_ok = True
    impl = sa.Boolean

    def default_type(self, dialect: sa.engine.Dialect) -> sa.types.TypeEngine[Any]:
        return sa.Boolean(create_constraint=False)


class DateColumn(_Kind):
    """Aware UTC datetimes in; timestamptz on PostgreSQL, UTC without a zone elsewhere."""

    cache_ok = True
    impl = sa.DateTime

    def default_type(self, dialect: sa.engine.Dialect) -> sa.types.TypeEngine[Any]:
        if dialect.name == "postgresql":
            return sa.DateTime(timezone=True)
        if dialect.name == "mysql":
            from sqlalchemy.dialects.mysql import DATETIME

            return DATETIME(fsp=6)
        return sa.DateTime()

    def result_processor(self, dialect: sa.engine.Dialect, coltype: Any) -> Any:
        process = super().result_processor(dialect, coltype)
        if process is None:
            return None

        def tolerant(value: Any) -> Any:
            # text or a number another program wrote in a date column (SQLite keeps any value):
            # the value itself, never a failed read
            try:
                return process(value)
            except (ValueError, TypeError, OverflowError):
                return value

        return tolerant

    def process_bind_param(self, value: Any, dialect: sa.engine.Dialect) -> Any:
        if not isinstance(value, datetime):
            return value
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        impl = self.declared if self.declared is not None else self.default_type(dialect)
        if isinstance(impl, sa.DateTime) or not isinstance(impl, sa.Date):
            if getattr(impl, "timezone", False) and dialect.name == "postgresql":
                return value
            return value.astimezone(UTC).replace(tzinfo=None)
        return value.astimezone(UTC).date()


class JsonColumn(_Kind):
    """Objects, arrays, geopoints, embedded models and ``any``: JSON, JSONB on PostgreSQL."""

    cache_ok = True
    impl = sa.JSON

    def default_type(self, dialect: sa.engine.Dialect) -> sa.types.TypeEngine[Any]:
        if dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import JSONB

            return JSONB(none_as_null=True)
        return sa.JSON(none_as_null=True)

    def process_bind_param(self, value: Any, dialect: sa.engine.Dialect) -> Any:
        if self.declared is not None and not isinstance(self.declared, sa.JSON) and value is not None:
            return json_dumps(value)  # JSON kept in a text column
        return value


class BufferColumn(_Kind):
    cache_ok = True
    impl = sa.LargeBinary

    def default_type(self, dialect: sa.engine.Dialect) -> sa.types.TypeEngine[Any]:
        if dialect.name == "mysql":
            from sqlalchemy.dialects.mysql import LONGBLOB

            return LONGBLOB()
        return sa.LargeBinary()


def json_dumps(value: Any) -> str:
    return json.dumps(value, default=json_default, ensure_ascii=False, separators=(",", ":"))


# ---------------------------------------------------------------------------------------------
# Values read back: plain Python values of lbpy's types


def _read_number(value: Any) -> Any:
    kind = type(value)
    if kind is int or value is None:
        return value
    if kind is float:
        return normalise_number(value)
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() and abs(value) < 2**53 else float(value)
    if kind is bool:
        return int(value)
    return value


def _read_boolean(value: Any) -> Any:
    return value if value is None or type(value) is bool else bool(value)


def _read_date(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, str):
        return parse_date(value.replace(" ", "T", 1)) or value
    return value


def _read_string(value: Any) -> Any:
    return value if value is None or type(value) is str else str(value)


def _read_json(value: Any) -> Any:
    return loads_stored(value) if isinstance(value, (str, bytes)) else value


def _read_buffer(value: Any) -> Any:
    return value if value is None or type(value) is bytes else bytes(value)


# ---------------------------------------------------------------------------------------------
# The map of one model


@dataclass(eq=False)
class ColumnMap:
    """One property as a column: ``kind`` says how a filter compares it."""

    prop: str
    column: sa.Column[Any]
    kind: str  # string | number | integer | boolean | date | buffer | json
    read: Callable[[Any], Any] | None
    nullable: bool = True


@dataclass(eq=False)
class TableMap:
    model: str
    table: sa.Table
    columns: dict[str, ColumnMap]
    id_names: list[str]
    #: the database numbers new records (an integer identity)
    db_generated_id: bool = False
    #: lbpy gives a new record a UUID when it names no id
    uuid_id: bool = False
    foreign_keys: list[dict[str, Any]] = field(default_factory=list)

    @property
    def id_columns(self) -> list[ColumnMap]:
        return [self.columns[name] for name in self.id_names]


def db_settings(settings: dict[str, Any] | None, backend: str) -> dict[str, Any]:
    """The ``<db>`` object of a model's or property's settings."""
    if not isinstance(settings, dict):
        return {}
    found: dict[str, Any] = {}
    for key in SETTING_KEYS[backend]:
        value = settings.get(key)
        if isinstance(value, dict):
            found = {**value, **found}
    return found


def table_name(spec: ModelSpec, backend: str) -> tuple[str, str | None]:
    own = {**db_settings(spec.options, backend), **db_settings(spec.settings, backend)}
    name = own.get("table") or own.get("tableName")
    if not name:
        name = spec.name.lower() if backend == "postgresql" else spec.name
    schema = own.get("schema") if backend == "postgresql" else None
    if backend == "mysql" and own.get("schema"):
        schema = own["schema"]  # a MySQL "schema" is another database on the same server
    return str(name), schema


def build_table(
    spec: ModelSpec, backend: str, metadata: sa.MetaData, default_schema: str | None, dialect: sa.engine.Dialect
) -> TableMap:
    """The table of one model; a setting that cannot be used is a BootError naming it."""
    name, schema = table_name(spec, backend)
    schema = schema or default_schema
    where = f'model "{spec.name}" ({spec.source})'
    indexed = _indexed_properties(spec)
    columns: dict[str, ColumnMap] = {}
    sa_columns: list[sa.Column[Any]] = []
    id_names = list(spec.id_names)
    single_id = len(id_names) == 1
    db_generated = False
    uuid_id = False
    for prop in spec.properties.values():
        own = db_settings(prop.settings, backend)
        column_name = (
            own.get("columnName") or own.get("column") or (prop.name.lower() if backend == "postgresql" else prop.name)
        )
        kind, declared = _column_kind(prop, own, backend, dialect, where)
        is_id = prop.is_id
        length = _int_setting(prop.settings.get("length") or own.get("dataLength"), where, prop.name, "length")
        if kind == "string" and length is None and backend == "mysql" and (is_id or prop.name in indexed):
            length = 255  # MySQL indexes need a bounded length
        if kind == "string" and is_id and length is None:
            length = 255
        args: list[Any] = []
        kwargs: dict[str, Any] = {"key": prop.name, "primary_key": is_id}
        if is_id and single_id and kind in ("number", "integer") and declared is None:
            kind = "integer"
            sa_type: sa.types.TypeEngine[Any] = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
            kwargs["autoincrement"] = True
            if backend == "postgresql":
                args.append(sa.Identity())
            db_generated = True
        else:
            sa_type = _TYPES[kind](declared, length)
            if is_id:
                kwargs["autoincrement"] = False
                if kind == "integer" and single_id and declared is not None:
                    kwargs["autoincrement"] = True
                    db_generated = True
        if is_id and kind == "string" and single_id:
            uuid_id = True
        nullable = _nullable(own.get("nullable"), not is_id)
        kwargs["nullable"] = nullable
        column = sa.Column(str(column_name), sa_type, *args, **kwargs)
        sa_columns.append(column)
        text_json = kind == "json" and declared is not None and not _is_json_type(declared)
        columns[prop.name] = ColumnMap(prop.name, column, kind, _reader(kind, prop, text_json), nullable)
    table_kwargs: dict[str, Any] = {}
    if backend == "sqlite" and db_generated:
        table_kwargs["sqlite_autoincrement"] = True  # ids are never reused, as the memory connector
    if backend == "mysql":
        table_kwargs.update(mysql_engine="InnoDB", mysql_charset="utf8mb4")
    table = sa.Table(name, metadata, *sa_columns, schema=schema, **table_kwargs)
    _add_indexes(spec, table, columns, where)
    foreign_keys = spec.settings.get("foreignKeys") or spec.options.get("foreignKeys") or {}
    if not isinstance(foreign_keys, dict):
        raise BootError(f'{where}: "foreignKeys" must be an object of foreign key definitions')
    return TableMap(
        model=spec.name,
        table=table,
        columns=columns,
        id_names=id_names,
        db_generated_id=db_generated,
        uuid_id=uuid_id,
        foreign_keys=[{"name": k, **v} for k, v in foreign_keys.items() if isinstance(v, dict)],
    )


def add_foreign_keys(maps: dict[str, TableMap]) -> None:
    """LoopBack's ``foreignKeys`` model setting as constraints (created by automigrate)."""
    for table_map in maps.values():
        for fk in table_map.foreign_keys:
            where = f'model "{table_map.model}": foreign key "{fk["name"]}"'
            target = maps.get(str(fk.get("entity")))
            local = table_map.columns.get(str(fk.get("foreignKey")))
            if target is None:
                raise BootError(f'{where} points to "{fk.get("entity")}", which is not a model of this datasource')
            if local is None:
                raise BootError(f'{where}: "foreignKey" must name a property of {table_map.model}')
            remote = target.columns.get(str(fk.get("entityKey") or (target.id_names or ["id"])[0]))
            if remote is None:
                raise BootError(f'{where}: "entityKey" must name a property of {target.model}')
            table_map.table.append_constraint(
                sa.ForeignKeyConstraint([local.column], [remote.column], name=str(fk.get("name") or fk["name"]))
            )


_TYPES: dict[str, type[_Kind]] = {
    "string": StringColumn,
    "number": NumberColumn,
    "integer": NumberColumn,
    "boolean": BooleanColumn,
    "date": DateColumn,
    "json": JsonColumn,
    "buffer": BufferColumn,
}
_READERS: dict[str, Callable[..., Any] | None] = {
    "string": _read_string,
    "number": _read_number,
    "integer": _read_number,
    "boolean": _read_boolean,
    "date": _read_date,
    "json": _read_json,
    "buffer": _read_buffer,
}


def _is_json_type(kind: Any) -> bool:
    return isinstance(kind, sa.JSON) or type(kind).__name__.upper() in ("JSON", "JSONB")


def _reader(kind: str, prop: PropertySpec, text_json: bool = False) -> Callable[[Any], Any] | None:
    """How a stored value comes back; JSON holding dates or embedded models is coerced again,
    so a record reads back with the same Python values it was written with."""
    if kind == "json":
        read = _read_json if text_json else None
    else:
        read = _READERS[kind]
    if kind != "json" or not _holds_typed_values(prop.type):
        return read
    coerce = prop.type.coerce

    def read_typed(value: Any) -> Any:
        value = _read_json(value) if text_json else value
        try:
            return coerce(value)
        except ValueError:
            return value

    return read_typed


def _holds_typed_values(kind: Any) -> bool:

    if isinstance(kind, ArrayType):
        return _holds_typed_values(kind.item)
    return isinstance(kind, (DateType, BufferType, ModelType))


_DATA_TYPE = re.compile(r"^\s*([A-Za-z][A-Za-z0-9_ ]*?)\s*(?:\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\))?\s*$")
_INTEGER_TYPES = ("int", "integer", "bigint", "smallint", "tinyint", "mediumint", "serial", "bigserial")


def _column_kind(
    prop: PropertySpec, own: dict[str, Any], backend: str, dialect: sa.engine.Dialect, where: str
) -> tuple[str, sa.types.TypeEngine[Any] | None]:
    kind_type = prop.type
    if isinstance(kind_type, StringType):
        kind = "string"
    elif isinstance(kind_type, NumberType):
        kind = "number"
    elif isinstance(kind_type, BooleanType):
        kind = "boolean"
    elif isinstance(kind_type, DateType):
        kind = "date"
    elif isinstance(kind_type, BufferType):
        kind = "buffer"
    else:  # object, array, any, geopoint, embedded models
        kind = "json"
    data_type = own.get("dataType") or prop.settings.get("dataType")
    if not data_type:
        return kind, None
    if not isinstance(data_type, str):
        raise BootError(f'{where}: property "{prop.name}": dataType must be a type name such as "varchar"')
    match = _DATA_TYPE.match(data_type)
    if not match:
        raise BootError(f'{where}: property "{prop.name}": dataType "{data_type}" is not a type name')
    base = match.group(1).lower()
    numbers = [int(n) for n in match.group(2, 3) if n is not None]
    length = _int_setting(own.get("dataLength") or prop.settings.get("length"), where, prop.name, "dataLength")
    precision = _int_setting(
        own.get("dataPrecision") or prop.settings.get("precision"), where, prop.name, "dataPrecision"
    )
    scale = _int_setting(own.get("dataScale") or prop.settings.get("scale"), where, prop.name, "dataScale")
    declared = _declared_type(dialect, base, numbers, length, precision, scale)
    if declared is None:
        raise BootError(f'{where}: property "{prop.name}": dataType "{data_type}" is not a {backend} type lbpy knows')
    if kind == "number" and base in _INTEGER_TYPES:
        kind = "integer"
    if kind == "string" and hasattr(declared, "as_uuid"):
        declared.as_uuid = False
    return kind, declared


def _declared_type(
    dialect: sa.engine.Dialect,
    base: str,
    numbers: list[int],
    length: int | None,
    precision: int | None,
    scale: int | None,
) -> sa.types.TypeEngine[Any] | None:
    names = getattr(dialect, "ischema_names", {}) or {}
    aliases = {
        "datetime": "timestamp",
        "bool": "boolean",
        "int": "integer",
        "double": "double precision",
        "jsonb": "jsonb",
        "text": "text",
        "string": "varchar",
    }
    cls: type[sa.types.TypeEngine[Any]] | None = None
    for candidate in (
        base,
        base.upper(),
        aliases.get(base),
        (aliases.get(base) or "").upper(),
        base.replace(" ", "_").upper(),
    ):
        if candidate and candidate in names:
            cls = names[candidate]
            break
    if cls is None:
        generic = {
            "varchar": sa.String,
            "string": sa.String,
            "text": sa.Text,
            "integer": sa.Integer,
            "int": sa.Integer,
            "bigint": sa.BigInteger,
            "smallint": sa.SmallInteger,
            "boolean": sa.Boolean,
            "bool": sa.Boolean,
            "float": sa.Float,
            "real": sa.Float,
            "double": sa.Float,
            "decimal": sa.Numeric,
            "numeric": sa.Numeric,
            "date": sa.Date,
            "datetime": sa.DateTime,
            "timestamp": sa.DateTime,
            "json": sa.JSON,
            "blob": sa.LargeBinary,
        }
        cls = generic.get(base)
    if cls is None:
        return None
    try:
        if issubclass(cls, sa.String):
            size = numbers[0] if numbers else length
            return cls(size) if size else cls()
        if issubclass(cls, sa.Numeric) and not issubclass(cls, sa.Float):
            p = numbers[0] if numbers else precision
            s = numbers[1] if len(numbers) > 1 else scale
            return cls(p, s) if p is not None else cls()
        if issubclass(cls, sa.DateTime) and base in ("timestamptz", "timestamp with time zone"):
            return cls(timezone=True)
        return cls(*numbers) if numbers else cls()
    except TypeError:
        return cls()


def _int_setting(value: Any, where: str, prop: str, name: str) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).isdigit():
        raise BootError(f'{where}: property "{prop}": {name} must be a positive whole number, not {value!r}')
    return int(value)


def _nullable(value: Any, default: bool) -> bool:
    if value is None:
        return default
    if isinstance(value, str):
        return value.strip().upper() not in ("N", "NO", "FALSE", "0")
    return bool(value)


def _indexed_properties(spec: ModelSpec) -> set[str]:
    found = {name for name, prop in spec.properties.items() if prop.settings.get("index")}
    for definition in (_model_indexes(spec) or {}).values():
        found.update(_index_keys(definition))
    return found


def _model_indexes(spec: ModelSpec) -> dict[str, Any]:
    indexes = spec.settings.get("indexes") or spec.options.get("indexes") or {}
    return indexes if isinstance(indexes, dict) else {}


def _index_keys(definition: Any) -> list[str]:
    if isinstance(definition, dict):
        if isinstance(definition.get("keys"), dict):
            return list(definition["keys"])
        if isinstance(definition.get("columns"), str):
            return [part.strip() for part in definition["columns"].split(",") if part.strip()]
        return [k for k, v in definition.items() if v in (1, -1, "1", "-1")]
    if isinstance(definition, str):
        return [part.strip() for part in definition.split(",") if part.strip()]
    return []


def _add_indexes(spec: ModelSpec, table: sa.Table, columns: dict[str, ColumnMap], where: str) -> None:
    for name, prop in spec.properties.items():
        setting = prop.settings.get("index")
        if not setting or (prop.is_id and len(spec.id_names) == 1):
            continue
        unique = isinstance(setting, dict) and bool(setting.get("unique"))
        sa.Index(f"{table.name}_{columns[name].column.name}_idx", columns[name].column, unique=unique)
    for index_name, definition in _model_indexes(spec).items():
        keys = _index_keys(definition)
        if not keys:
            raise BootError(f'{where}: index "{index_name}" names no properties; use {{"keys": {{"name": 1}}}}')
        missing = [k for k in keys if k not in columns and not any(c.column.name == k for c in columns.values())]
        if missing:
            raise BootError(f'{where}: index "{index_name}" names "{missing[0]}", which is not a property')
        cols = [
            columns[k].column if k in columns else next(c.column for c in columns.values() if c.column.name == k)
            for k in keys
        ]
        options = definition.get("options", {}) if isinstance(definition, dict) else {}
        unique = bool(options.get("unique")) or (isinstance(definition, dict) and definition.get("kind") == "unique")
        sa.Index(str(index_name), *cols, unique=unique)

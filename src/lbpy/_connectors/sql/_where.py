"""Filters as SQL: a canonical where, an order and a field list become SQLAlchemy expressions.

Every value is a bound parameter and every name a column of the model's table, so nothing a
request sends can change a statement's shape beyond the conditions it is allowed to ask for.

The semantics are those of lbpy's memory connector (``lbpy._filter.compile_where``):

* ``eq null`` matches null and missing values; ``neq``, ``nin`` and ``nlike`` match them too;
  ``gt``/``lt``/``between``/``like``/``regexp`` never do.
* ``like`` is LoopBack's: ``%`` and ``_`` are wildcards, ``\\`` escapes, the match is a case-sensitive
  search anywhere in the text (no anchoring); ``ilike`` ignores case; ``regexp`` is a search.
* Text compares by code point. Nulls sort first ascending, last descending; ties keep id order.
* On JSON values (objects, arrays, ``any``, nested paths such as ``address.city``) comparisons are
  type-strict (the number 1 is not the text "1"), and an array matches when any item does; for
  ``neq``, ``nin`` and ``nlike`` too (``["x", "y"]`` is ``neq "x"``), and ``[]`` is ``neq`` anything.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from ..._filter import _MISSING, _TESTS, FilterError
from ..._json_values import format_date
from ._schema import ColumnMap, TableMap, json_dumps, text_collation

Expr = Any


class WhereCompiler:
    """Where, order and fields of one table, for one database."""

    def __init__(self, table_map: TableMap, ops: DialectOps) -> None:
        self.map = table_map
        self.ops = ops

    # -- where ------------------------------------------------------------------------------

    def where(self, where: dict[str, Any] | None) -> Expr | None:
        if where is None:
            return None
        return self._where(where)

    def _where(self, where: dict[str, Any]) -> Expr:
        ((key, value),) = where.items()
        if key in ("and", "or") and not value:
            return sa.true() if key == "and" else sa.false()  # an empty or matches nothing
        if key == "and":
            return sa.and_(*[self._where(w) for w in value])
        if key == "or":
            return sa.or_(*[self._where(w) for w in value])
        ((op, operand),) = value.items()
        head, _, rest = key.partition(".")
        column = self.map.columns.get(head)
        if column is None or (rest and column.kind != "json"):
            # a property this table does not store, or a path into a plain value: the value is
            # missing for every row, so the answer is the same for every row
            return sa.true() if _TESTS[op](operand)(_MISSING) else sa.false()
        if column.kind == "json":
            node = self.ops.json_node(column, rest.split(".") if rest else [])
            return _JsonConditions(self.ops).condition(node, op, operand)
        return self._column_condition(column, op, operand)

    def _column_condition(self, column: ColumnMap, op: str, operand: Any) -> Expr:
        col = column.column
        if column.kind == "integer":
            integer_op, operand = _integer_operand(op, operand)
            if integer_op is None:
                return sa.true() if operand else sa.false()
            op = integer_op
        if op == "eq":
            return col.is_(None) if operand is None else col == operand
        if op == "neq":
            if operand is None:
                return col.is_not(None)
            return sa.or_(col.is_(None), col != operand) if column.nullable else col != operand
        if op == "gt":
            return col > operand
        if op == "gte":
            return col >= operand
        if op == "lt":
            return col < operand
        if op == "lte":
            return col <= operand
        if op == "between":
            return col.between(operand[0], operand[1])
        if op in ("inq", "nin"):
            values = [v for v in operand if v is not None]
            with_null = len(values) != len(operand)
            if op == "inq":
                found = col.in_(values) if values else sa.false()
                return sa.or_(found, col.is_(None)) if with_null else found
            if with_null:
                return sa.and_(col.is_not(None), col.not_in(values)) if values else col.is_not(None)
            if not values:
                return sa.true()
            return sa.or_(col.is_(None), col.not_in(values)) if column.nullable else col.not_in(values)
        text = self.ops.as_text(column)
        if op in ("like", "ilike"):
            return self.ops.like(text, operand, op == "ilike")
        if op in ("nlike", "nilike"):
            found = self.ops.like(text, operand, op == "nilike")
            return sa.or_(col.is_(None), sa.not_(found)) if column.nullable else sa.not_(found)
        if op == "regexp":
            return self.ops.regexp(text, operand)
        raise FilterError(f'unknown operator "{op}"')

    # -- order ------------------------------------------------------------------------------

    def order_by(self, order: tuple[tuple[str, str], ...] | None) -> list[Expr]:
        clauses: list[Expr] = []
        for path, direction in order or ():
            descending = direction == "DESC"
            head, _, rest = path.partition(".")
            column = self.map.columns.get(head)
            if column is None or (rest and column.kind != "json"):
                continue  # missing everywhere: every row ties
            if column.kind == "json":
                node = self.ops.json_node(column, rest.split(".") if rest else [])
                for key in _JsonConditions(self.ops).sort_keys(node):
                    clauses.append(key.desc() if descending else key.asc())
                continue
            clauses.append(self.ops.ordered(column.column, descending, column.nullable))
        for column in self.map.id_columns:
            clauses.append(column.column.asc())  # ties keep id order, in both directions
        return clauses


def _integer_operand(op: str, operand: Any) -> tuple[str | None, Any]:
    """Compare an integer column with a fraction the way a number compares: 1.5 is no integer id."""

    def fraction(v: Any) -> bool:
        return isinstance(v, float) and not v.is_integer()

    if op in ("eq", "neq") and fraction(operand):
        return None, op == "neq"
    if op in ("inq", "nin"):
        return _within_64_bits(op, [int(v) if isinstance(v, float) else v for v in operand if not fraction(v)])
    if op in ("gt", "lte") and fraction(operand):
        return op, int(operand // 1)
    if op in ("gte", "lt") and fraction(operand):
        return op, int(operand // 1) + 1
    if op == "between":
        low, high = operand
        low = int(-(-low // 1)) if isinstance(low, float) else low
        high = int(high // 1) if isinstance(high, float) else high
        return _within_64_bits(op, [low, high])
    if isinstance(operand, float) and operand.is_integer():
        operand = int(operand)
    return _within_64_bits(op, operand)


#: what an integer column holds (BIGINT)
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def _within_64_bits(op: str, operand: Any) -> tuple[str | None, Any]:
    """A number beyond what the column can hold is compared as a number: no stored value equals
    it, and every one is below (or above) it. It never reaches the database, which would refuse it."""

    def outside(v: Any) -> bool:
        return isinstance(v, (int, float)) and not isinstance(v, bool) and not INT64_MIN <= v <= INT64_MAX

    if op in ("eq", "neq") and outside(operand):
        return None, op == "neq"
    if op in ("inq", "nin"):
        return op, [v for v in operand if not outside(v)]
    if op in ("gt", "gte", "lt", "lte") and outside(operand):
        above = operand > INT64_MAX
        if op in ("gt", "gte"):
            return ("gt", INT64_MAX) if above else ("gte", INT64_MIN)
        return ("lte", INT64_MAX) if above else ("lt", INT64_MIN)
    if op == "between":
        low, high = max(operand[0], INT64_MIN), min(operand[1], INT64_MAX)
        return (op, [low, high]) if low <= high else (None, False)
    return op, operand


# ---------------------------------------------------------------------------------------------
# JSON values: the same rules, spelled with each database's JSON functions


class _JsonConditions:
    def __init__(self, ops: DialectOps) -> None:
        self.ops = ops

    def condition(self, node: JsonNode, op: str, operand: Any) -> Expr:
        operand = _json_operand(operand)
        if op == "eq":
            return self.equal(node, operand)
        if op == "neq":
            if isinstance(operand, list):
                return _never_null_not(self.equal(node, operand))
            item = (
                (lambda n: _never_null_not(n.is_null()))
                if operand is None
                else (lambda n: _never_null_not(self.scalar_equal(n, operand)))
            )
            return self.negated(node, self.equal(node, operand), item, empty=True)
        if op in ("gt", "gte", "lt", "lte"):
            return self.any_item(node, lambda n: self.compare(n, op, operand))
        if op == "between":
            low, high = operand
            return self.any_item(node, lambda n: sa.and_(self.compare(n, "gte", low), self.compare(n, "lte", high)))
        if op == "inq":
            return self.member(node, operand)
        if op == "nin":
            return self.negated(
                node, self.member(node, operand), lambda n: _never_null_not(self.member_item(n, operand))
            )
        if op in ("like", "ilike", "regexp"):
            return self.pattern(node, op, operand)
        if op in ("nlike", "nilike"):
            positive = "like" if op == "nlike" else "ilike"
            return self.negated(
                node,
                self.pattern(node, positive, operand),
                lambda n: _never_null_not(sa.and_(n.is_string(), self.matches(n.text(), positive, operand))),
            )
        raise FilterError(f'unknown operator "{op}"')

    def negated(
        self, node: JsonNode, positive: Expr, item_test: Callable[[JsonNode], Expr], *, empty: bool = False
    ) -> Expr:
        """A negated operator: an array matches when one of its items passes ``item_test`` (and,
        for ``neq``, when it is empty), as in lbpy's memory connector; any other value when it
        fails the positive condition."""
        on_items = node.any_element(item_test)
        if empty:
            on_items = sa.or_(on_items, sa.not_(node.any_element(lambda n: sa.true())))
        return sa.case((sa.func.coalesce(node.is_array(), sa.false()), on_items), else_=_never_null_not(positive))

    def any_item(self, node: JsonNode, test: Callable[[JsonNode], Expr]) -> Expr:
        """The value passes, or it is an array and one of its items passes."""
        return sa.or_(test(node), node.any_element(test))

    def scalar_equal(self, node: JsonNode, operand: Any) -> Expr:
        if operand is None:
            return node.is_null()
        if isinstance(operand, bool):
            return sa.and_(node.is_boolean(), node.boolean() == operand)
        if isinstance(operand, (int, float)):
            return sa.and_(node.is_number(), node.number() == operand)
        if isinstance(operand, str):
            return sa.and_(node.is_string(), self.ops.collated(node.text()) == operand)
        return sa.and_(node.is_container(), node.json_equal(operand))

    def equal(self, node: JsonNode, operand: Any) -> Expr:
        if operand is None:
            return sa.or_(node.is_missing(), node.is_null(), node.any_element(lambda n: n.is_null()))
        if isinstance(operand, list):
            return self.scalar_equal(node, operand)
        return self.any_item(node, lambda n: self.scalar_equal(n, operand))

    def compare(self, node: JsonNode, op: str, operand: Any) -> Expr:
        compare = {"gt": "__gt__", "gte": "__ge__", "lt": "__lt__", "lte": "__le__"}[op]
        if isinstance(operand, bool):
            return sa.and_(node.is_boolean(), getattr(node.boolean_number(), compare)(int(operand)))
        if isinstance(operand, (int, float)):
            return sa.and_(node.is_number(), getattr(node.number(), compare)(operand))
        if isinstance(operand, str):
            return sa.and_(node.is_string(), getattr(self.ops.collated(node.text()), compare)(operand))
        return sa.false()

    def member(self, node: JsonNode, operand: list[Any]) -> Expr:
        simple = all(isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in operand)
        if not simple:
            return sa.or_(*[self.equal(node, item) for item in operand]) if operand else sa.false()
        return self.any_item(node, lambda n: self.member_item(n, operand))

    def member_item(self, n: JsonNode, operand: list[Any]) -> Expr:
        """One value (not an array's items) is one of ``operand``'s."""
        texts = [v for v in operand if isinstance(v, str)]
        numbers = [v for v in operand if isinstance(v, (int, float)) and not isinstance(v, bool)]
        others = [v for v in operand if not isinstance(v, (str, int, float)) or isinstance(v, bool)]
        parts = [n.is_null() if v is None else self.scalar_equal(n, v) for v in others]
        if texts:
            parts.append(sa.and_(n.is_string(), self.ops.collated(n.text()).in_(texts)))
        if numbers:
            parts.append(sa.and_(n.is_number(), n.number().in_(numbers)))
        return sa.or_(*parts) if parts else sa.false()

    def matches(self, text: Expr, op: str, operand: Any) -> Expr:
        if op == "regexp":
            return self.ops.regexp(text, operand)
        return self.ops.like(text, operand, op == "ilike")

    def pattern(self, node: JsonNode, op: str, operand: Any) -> Expr:
        def match(text: Expr) -> Expr:
            return self.matches(text, op, operand)

        scalar = sa.or_(
            sa.and_(node.is_string(), match(node.text())),
            sa.and_(node.is_number(), match(node.number_text())),
            sa.and_(node.is_boolean(), match(node.boolean_text())),
        )
        items = node.any_element(lambda n: sa.and_(n.is_string(), match(n.text())))
        return sa.or_(scalar, items)

    def sort_keys(self, node: JsonNode) -> list[Expr]:
        """Missing and null first, then booleans, numbers, text, and objects/arrays by their JSON."""
        rank = sa.case(
            (node.is_boolean(), 1),
            (node.is_number(), 2),
            (node.is_string(), 3),
            (node.is_container(), 4),
            else_=0,
        )
        number = sa.case((node.is_boolean(), node.boolean_number()), (node.is_number(), node.number()))
        text = sa.case(
            (node.is_string(), self.ops.collated(node.text())),
            (node.is_container(), self.ops.collated(node.json_text())),
        )
        return [rank, number, text]


def _json_operand(operand: Any) -> Any:
    """Filter values as they are kept inside JSON: dates as LoopBack's ISO text."""
    if isinstance(operand, datetime):
        return format_date(operand)
    if isinstance(operand, list):
        return [_json_operand(v) for v in operand]
    return operand


def _never_null_not(condition: Expr) -> Expr:
    """NOT that treats an unknown (missing) answer as false first, as a negation must."""
    return sa.not_(sa.func.coalesce(condition, sa.false()))


# ---------------------------------------------------------------------------------------------
# What differs between databases


class JsonNode:
    """A JSON value inside a row (a column, a path into it, or an array item)."""

    def is_missing(self) -> Expr: ...
    def is_null(self) -> Expr: ...
    def is_boolean(self) -> Expr: ...
    def is_number(self) -> Expr: ...
    def is_string(self) -> Expr: ...
    def is_container(self) -> Expr: ...
    def is_array(self) -> Expr: ...
    def text(self) -> Expr: ...
    def number(self) -> Expr: ...
    def boolean(self) -> Expr: ...
    def boolean_number(self) -> Expr: ...
    def number_text(self) -> Expr: ...
    def boolean_text(self) -> Expr:
        return sa.case((self.boolean_number() == 1, "true"), else_="false")

    def json_text(self) -> Expr: ...

    def json_equal(self, value: Any) -> Expr:
        return self.json_text() == sa.literal(json_dumps(value), sa.Text)

    def any_element(self, test: Callable[[JsonNode], Expr]) -> Expr: ...


class DialectOps:
    name = ""

    def __init__(self, dialect: sa.engine.Dialect) -> None:
        self.dialect = dialect

    def collated(self, text: Expr) -> Expr:
        return text

    def as_text(self, column: ColumnMap) -> Expr:
        col = column.column
        if column.kind == "boolean":
            return sa.case((col == sa.true(), "true"), (col == sa.false(), "false"))
        if column.kind == "string" and isinstance(_impl(col, self.dialect), sa.String):
            return col
        return sa.cast(col, sa.Text)

    def like(self, text: Expr, pattern: str, insensitive: bool) -> Expr:
        sql = like_pattern(pattern)
        if insensitive:
            return sa.func.lower(text).like(sa.func.lower(sql), escape="!")
        return text.like(sql, escape="!")

    def regexp(self, text: Expr, pattern: re.Pattern[str]) -> Expr:
        raise NotImplementedError

    def ordered(self, col: Expr, descending: bool, nullable: bool) -> Expr:
        return col.desc() if descending else col.asc()

    def json_node(self, column: ColumnMap, path: list[str]) -> JsonNode:
        raise NotImplementedError


def _impl(col: Expr, dialect: sa.engine.Dialect) -> Any:
    """The concrete type of a column on this database."""
    kind = col.type
    if isinstance(kind, sa.types.TypeDecorator):
        return kind.load_dialect_impl(dialect)
    return kind


def like_pattern(pattern: str) -> str:
    """A LoopBack like pattern as SQL LIKE with ``!`` as the escape, searching anywhere."""
    out = ["%"]
    escaped = False
    for char in pattern:
        if escaped:
            out.append("!" + char if char in "%_!" else char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "!":
            out.append("!!")
        else:
            out.append(char)
    out.append("%")
    return "".join(out)


def glob_pattern(pattern: str) -> str:
    """A LoopBack like pattern as SQLite GLOB, which is case-sensitive where LIKE is not."""
    out = ["*"]
    escaped = False
    for char in pattern:
        if escaped:
            out.append(f"[{char}]" if char in "*?[" else char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "%":
            out.append("*")
        elif char == "_":
            out.append("?")
        elif char in "*?[":
            out.append(f"[{char}]")
        else:
            out.append(char)
    out.append("*")
    return "".join(out)


_GLOBAL_FLAGS = re.compile(r"^\(\?[aiLmsux]+\)")


def inline_flags(pattern: re.Pattern[str], letters: dict[int, str]) -> str:
    """The pattern's flags as an inline prefix, e.g. ``(?i)``."""
    return "".join(letter for flag, letter in letters.items() if pattern.flags & flag)


def regexp_source(pattern: re.Pattern[str]) -> str:
    return _GLOBAL_FLAGS.sub("", pattern.pattern)


# -- SQLite -----------------------------------------------------------------------------------


class SqliteOps(DialectOps):
    name = "sqlite"

    def like(self, text: Expr, pattern: str, insensitive: bool) -> Expr:
        if insensitive:
            # SQLite folds only ASCII case; lbpy's function folds every letter, in linear time
            return sa.func.lbpy_ilike(sa.literal(pattern, sa.Text), text, type_=sa.Boolean)
        return text.op("GLOB", is_comparison=True)(sa.literal(glob_pattern(pattern), sa.Text))

    def regexp(self, text: Expr, pattern: re.Pattern[str]) -> Expr:
        flags = inline_flags(pattern, {re.I: "i", re.M: "m", re.S: "s"})
        source = (f"(?{flags})" if flags else "") + regexp_source(pattern)
        return text.op("REGEXP", is_comparison=True)(sa.literal(source, sa.Text))

    def json_node(self, column: ColumnMap, path: list[str]) -> JsonNode:
        return _SqlitePath(column.column, json_path(path))


def json_path(path: list[str]) -> str:
    """A JSON path for SQLite and MySQL: ``$."address"."city"``, with ``[n]`` for array items."""
    out = ["$"]
    for part in path:
        if part.isdigit():
            out.append(f"[{int(part)}]")
        else:
            out.append('."' + part.replace("\\", "\\\\").replace('"', '\\"') + '"')
    return "".join(out)


class _SqliteValue(JsonNode):
    """SQLite names JSON types 'null', 'true', 'false', 'integer', 'real', 'text', 'array', 'object'."""

    def type_name(self) -> Expr: ...
    def value(self) -> Expr: ...

    def is_missing(self) -> Expr:
        return self.type_name().is_(None)

    def is_null(self) -> Expr:
        return self.type_name() == "null"

    def is_boolean(self) -> Expr:
        return self.type_name().in_(["true", "false"])

    def is_number(self) -> Expr:
        return self.type_name().in_(["integer", "real"])

    def is_string(self) -> Expr:
        return self.type_name() == "text"

    def is_container(self) -> Expr:
        return self.type_name().in_(["array", "object"])

    def is_array(self) -> Expr:
        return self.type_name() == "array"

    def text(self) -> Expr:
        return self.value()

    def number(self) -> Expr:
        return self.value()

    def boolean(self) -> Expr:
        return self.type_name() == "true"

    def boolean_number(self) -> Expr:
        return sa.case((self.type_name() == "true", 1), (self.type_name() == "false", 0))

    def number_text(self) -> Expr:
        return sa.cast(self.value(), sa.Text)

    def json_text(self) -> Expr:
        return self.value()


class _SqlitePath(_SqliteValue):
    def __init__(self, column: Expr, path: str) -> None:
        self.column = column
        self.path = sa.literal(path, sa.Text)

    def type_name(self) -> Expr:
        return sa.func.json_type(self.column, self.path)

    def value(self) -> Expr:
        return sa.func.json_extract(self.column, self.path)

    def any_element(self, test: Callable[[JsonNode], Expr]) -> Expr:
        items = sa.func.json_each(self.column, self.path).table_valued("value", "type").alias()
        return sa.and_(
            self.type_name() == "array",
            sa.exists(sa.select(1).select_from(items).where(test(_SqliteItem(items)))),
        )


class _SqliteItem(_SqliteValue):
    def __init__(self, items: Expr) -> None:
        self.items = items

    def type_name(self) -> Expr:
        return self.items.c.type

    def value(self) -> Expr:
        return self.items.c.value

    def any_element(self, test: Callable[[JsonNode], Expr]) -> Expr:
        return sa.false()  # arrays inside arrays: only one level is searched


# -- PostgreSQL -------------------------------------------------------------------------------


class PostgresOps(DialectOps):
    name = "postgresql"

    def collated(self, text: Expr) -> Expr:
        return text.collate("C")

    def like(self, text: Expr, pattern: str, insensitive: bool) -> Expr:
        sql = like_pattern(pattern)
        if insensitive:
            # the "C" collation folds ASCII only; the database's own folds every letter
            return text.collate("default").ilike(sql, escape="!")
        return text.like(sql, escape="!")

    def regexp(self, text: Expr, pattern: re.Pattern[str]) -> Expr:
        dotall, multiline = bool(pattern.flags & re.S), bool(pattern.flags & re.M)
        options = {(False, False): "p", (True, False): "s", (False, True): "n", (True, True): "w"}[(dotall, multiline)]
        if pattern.flags & re.I:
            options += "i"
        source = f"(?{options})" + postgres_regexp(regexp_source(pattern))
        if pattern.flags & re.I:
            text = text.collate("default")
        return text.op("~", is_comparison=True)(sa.literal(source, sa.Text))

    def ordered(self, col: Expr, descending: bool, nullable: bool) -> Expr:
        if not nullable:
            return col.desc() if descending else col.asc()
        # PostgreSQL sorts nulls last by default; lbpy (and the other databases) put them lowest
        return col.desc().nulls_last() if descending else col.asc().nulls_first()

    def json_node(self, column: ColumnMap, path: list[str]) -> JsonNode:
        from sqlalchemy.dialects.postgresql import ARRAY, JSONB

        col = column.column
        value: Expr = col if isinstance(_impl(col, self.dialect), JSONB) else sa.cast(col, JSONB)
        if path:
            value = value.op("#>", return_type=JSONB)(sa.literal(list(path), ARRAY(sa.Text)))
        return _PostgresValue(value)


def postgres_regexp(source: str) -> str:
    """Python's regular expression escapes that PostgreSQL spells differently."""
    out = []
    i = 0
    in_class = False
    while i < len(source):
        char = source[i]
        if char == "\\" and i + 1 < len(source):
            nxt = source[i + 1]
            if not in_class and nxt == "b":
                out.append("\\y")
            elif not in_class and nxt == "B":
                out.append("\\Y")
            else:
                out.append(char + nxt)
            i += 2
            continue
        if char == "[" and not in_class:
            in_class = True
        elif char == "]" and in_class:
            in_class = False
        elif not in_class and source.startswith("(?P<", i):
            out.append("(")
            i = source.index(">", i) + 1 if ">" in source[i:] else i + 4
            continue
        out.append(char)
        i += 1
    return "".join(out)


class _PostgresValue(JsonNode):
    def __init__(self, value: Expr) -> None:
        self.value = value

    def type_name(self) -> Expr:
        return sa.func.jsonb_typeof(self.value)

    def is_missing(self) -> Expr:
        return self.value.is_(None)

    def is_null(self) -> Expr:
        return self.type_name() == "null"

    def is_boolean(self) -> Expr:
        return self.type_name() == "boolean"

    def is_number(self) -> Expr:
        return self.type_name() == "number"

    def is_string(self) -> Expr:
        return self.type_name() == "string"

    def is_container(self) -> Expr:
        return self.type_name().in_(["array", "object"])

    def is_array(self) -> Expr:
        return self.type_name() == "array"

    def text(self) -> Expr:
        return self.value.op("#>>", return_type=sa.Text)(sa.literal_column("'{}'"))

    def number(self) -> Expr:
        from sqlalchemy.dialects.postgresql import DOUBLE_PRECISION

        return sa.case((self.is_number(), sa.cast(self.value, DOUBLE_PRECISION)))

    def boolean(self) -> Expr:
        return sa.case((self.is_boolean(), sa.cast(self.value, sa.Boolean)))

    def boolean_number(self) -> Expr:
        return sa.case((self.is_boolean(), sa.cast(sa.cast(self.value, sa.Boolean), sa.Integer)))

    def number_text(self) -> Expr:
        return self.text()

    def json_text(self) -> Expr:
        return sa.cast(self.value, sa.Text)

    def json_equal(self, value: Any) -> Expr:
        from sqlalchemy.dialects.postgresql import JSONB

        return self.value == sa.cast(sa.literal(json_dumps(value), sa.Text), JSONB)

    def any_element(self, test: Callable[[JsonNode], Expr]) -> Expr:
        from sqlalchemy.dialects.postgresql import JSONB

        array = sa.case((self.type_name() == "array", self.value), else_=sa.cast(sa.literal("[]"), JSONB))
        items = sa.func.jsonb_array_elements(array).table_valued(sa.column("value", JSONB)).alias()
        return sa.exists(sa.select(1).select_from(items).where(test(_PostgresItem(items.c.value))))


class _PostgresItem(_PostgresValue):
    def any_element(self, test: Callable[[JsonNode], Expr]) -> Expr:
        return sa.false()  # arrays inside arrays: only one level is searched


# -- MySQL and MariaDB ------------------------------------------------------------------------


class MysqlOps(DialectOps):
    name = "mysql"

    @property
    def binary(self) -> str:
        return text_collation(self.dialect) or "utf8mb4_bin"

    def collated(self, text: Expr) -> Expr:
        return text.collate(self.binary)

    def regexp(self, text: Expr, pattern: re.Pattern[str]) -> Expr:
        flags = inline_flags(pattern, {re.M: "m", re.S: "s"})
        case = "(?i)" if pattern.flags & re.I else "(?-i)"
        source = case + (f"(?{flags})" if flags else "") + regexp_source(pattern)
        return text.op("REGEXP", is_comparison=True)(sa.literal(source, sa.Text))

    def json_node(self, column: ColumnMap, path: list[str]) -> JsonNode:
        value: Expr = column.column
        if path:
            value = sa.func.json_extract(value, sa.literal(json_path(path), sa.Text))
        return _MysqlValue(value, self)


class _MysqlValue(JsonNode):
    def __init__(self, value: Expr, ops: MysqlOps) -> None:
        self.value = value
        self.ops = ops

    def type_name(self) -> Expr:
        return sa.func.json_type(self.value)

    def is_missing(self) -> Expr:
        return self.value.is_(None)

    def is_null(self) -> Expr:
        return self.type_name() == "NULL"

    def is_boolean(self) -> Expr:
        return self.type_name() == "BOOLEAN"

    def is_number(self) -> Expr:
        return self.type_name().in_(["INTEGER", "DOUBLE", "DECIMAL", "UNSIGNED INTEGER"])

    def is_string(self) -> Expr:
        return self.type_name() == "STRING"

    def is_container(self) -> Expr:
        return self.type_name().in_(["ARRAY", "OBJECT"])

    def is_array(self) -> Expr:
        return self.type_name() == "ARRAY"

    def text(self) -> Expr:
        return sa.func.json_unquote(self.value)

    def number(self) -> Expr:
        from sqlalchemy.dialects.mysql import DOUBLE

        return sa.case((self.is_number(), sa.cast(sa.func.json_unquote(self.value), DOUBLE)))

    def boolean(self) -> Expr:
        return sa.case((self.is_boolean(), sa.func.json_unquote(self.value) == "true"))

    def boolean_number(self) -> Expr:
        return sa.case((self.is_boolean(), sa.case((sa.func.json_unquote(self.value) == "true", 1), else_=0)))

    def number_text(self) -> Expr:
        return sa.func.json_unquote(self.value)

    def json_text(self) -> Expr:
        if getattr(self.ops.dialect, "is_mariadb", False):
            return sa.func.json_compact(self.value)
        return sa.cast(self.value, sa.Text)

    def any_element(self, test: Callable[[JsonNode], Expr]) -> Expr:
        items = (
            sa.func.json_table(self.value, sa.literal_column("'$[*]' COLUMNS (n FOR ORDINALITY)"))
            .table_valued("n")
            .alias()
        )
        item = sa.func.json_extract(self.value, sa.func.concat("$[", items.c.n - 1, "]"))
        return sa.and_(
            self.type_name() == "ARRAY",
            sa.exists(sa.select(1).select_from(items).where(test(_MysqlItem(item, self.ops)))),
        )


class _MysqlItem(_MysqlValue):
    def any_element(self, test: Callable[[JsonNode], Expr]) -> Expr:
        return sa.false()


def dialect_ops(dialect: sa.engine.Dialect) -> DialectOps:
    return {"sqlite": SqliteOps, "postgresql": PostgresOps, "mysql": MysqlOps}[dialect.name](dialect)

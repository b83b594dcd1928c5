"""Evaluating a filter in Python, with the semantics of LoopBack's memory connector: the memory
connector uses it, and so does every connector for the part of a filter it cannot evaluate
natively. ``compile_where`` turns a canonical where into a predicate (``get_path`` reads a
property path, ``_TESTS`` holds the test for each operator, ``like_to_regex`` reads a LIKE
pattern), ``sort_key`` and ``sort_records`` give LoopBack's order, ``project`` keeps the chosen
fields and ``apply_filter`` runs a whole filter over records.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any, Callable, Iterable, Mapping

from ._types import Filter

Predicate = Callable[[Mapping[str, Any]], bool]
_MISSING = object()


def get_path(record: Mapping[str, Any], path: str) -> Any:
    if "." not in path:
        if type(record) is dict:  # the common case, without the slow ABC check
            return record.get(path, _MISSING)
        return record.get(path, _MISSING) if isinstance(record, Mapping) else _MISSING
    value: Any = record
    for part in path.split("."):
        if isinstance(value, Mapping):
            value = value.get(part, _MISSING)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return _MISSING
        if value is _MISSING:
            return _MISSING
    return value


def compile_where(where: dict | None) -> Predicate:
    """A predicate for a canonical where, with the memory connector's semantics."""
    if where is None:
        return lambda record: True
    (key, value), = where.items()
    if key == "and":
        tests = [compile_where(w) for w in value]
        return lambda record: all(test(record) for test in tests)
    if key == "or":
        tests = [compile_where(w) for w in value]
        return lambda record: any(test(record) for test in tests)
    (op, operand), = value.items()
    test = _TESTS[op](operand)
    path = key
    if "." in path:
        return lambda record: test(get_path(record, path))
    return lambda record: test(record.get(path, _MISSING))


def _sortable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.timestamp()
    return value


def _equal(a: Any, b: Any) -> bool:
    if a is _MISSING:
        a = None
    if isinstance(a, list) and not isinstance(b, list):
        return any(_equal(item, b) for item in a)
    if isinstance(a, bool) != isinstance(b, bool):
        return False
    if isinstance(a, datetime) and isinstance(b, datetime):
        return a == b
    return a == b


def _compare(op: str) -> Callable[[Any], Predicate]:
    def build(operand: Any) -> Callable[[Any], bool]:
        bound = _sortable(operand)

        def test(value: Any) -> bool:
            if value is _MISSING or value is None:
                return False
            if isinstance(value, list):
                return any(test(item) for item in value)
            value = _sortable(value)
            if isinstance(value, bool) != isinstance(bound, bool):
                return False
            try:
                if op == "gt":
                    return value > bound
                if op == "gte":
                    return value >= bound
                if op == "lt":
                    return value < bound
                return value <= bound
            except TypeError:
                return False

        return test

    return build


def _between(operand: list) -> Callable[[Any], bool]:
    low, high = _compare("gte")(operand[0]), _compare("lte")(operand[1])
    return lambda value: (
        any(low(v) and high(v) for v in value) if isinstance(value, list) else low(value) and high(value)
    )


def _inq(operand: list) -> Callable[[Any], bool]:
    hashable = all(isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in operand)
    if hashable:
        members = set(operand)

        def test(value: Any) -> bool:
            if isinstance(value, list):
                return any(test(v) for v in value)
            if isinstance(value, bool) or not isinstance(value, (str, int, float)):
                return False
            return value in members

        return test
    return lambda value: any(_equal(value, item) for item in operand)


def like_to_regex(pattern: str, insensitive: bool = False) -> re.Pattern:
    """SQL LIKE as a regular expression: ``%`` any run, ``_`` one character, the rest literal,
    unanchored as LoopBack's memory connector matches it."""
    out = []
    escaped = False
    for char in pattern:
        if escaped:
            out.append(re.escape(char))
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "%":
            out.append(".*")
        elif char == "_":
            out.append(".")
        else:
            out.append(re.escape(char))
    return re.compile("".join(out), re.S | (re.I if insensitive else 0))


def _pattern_test(regex: re.Pattern, negate: bool) -> Callable[[Any], bool]:
    search = regex.search

    def test(value: Any) -> bool:
        if value.__class__ is str:
            found = search(value) is not None
        elif value is _MISSING or value is None:
            return negate
        elif isinstance(value, list):
            found = any(isinstance(v, str) and search(v) for v in value)
        else:
            found = search(_text(value)) is not None
        return not found if negate else found

    return test


def _like_test(pattern: str, negate: bool, insensitive: bool) -> Callable[[Any], bool]:
    if insensitive or any(c in pattern for c in "%_\\"):
        return _pattern_test(like_to_regex(pattern, insensitive), negate)

    # no wildcard: a substring test, much cheaper than a regular expression
    def test(value: Any) -> bool:
        if value.__class__ is str:
            found = pattern in value
        elif value is _MISSING or value is None:
            return negate
        elif isinstance(value, list):
            found = any(isinstance(v, str) and pattern in v for v in value)
        else:
            found = pattern in _text(value)
        return not found if negate else found

    return test


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


_TESTS: dict[str, Callable[[Any], Callable[[Any], bool]]] = {
    "eq": lambda operand: lambda value: _equal(value, operand),
    "neq": lambda operand: lambda value: not _equal(value, operand),
    "gt": _compare("gt"),
    "gte": _compare("gte"),
    "lt": _compare("lt"),
    "lte": _compare("lte"),
    "between": _between,
    "inq": _inq,
    "nin": lambda operand: (lambda inq: lambda value: not inq(value))(_inq(operand)),
    "like": lambda operand: _like_test(operand, False, False),
    "nlike": lambda operand: _like_test(operand, True, False),
    "ilike": lambda operand: _like_test(operand, False, True),
    "nilike": lambda operand: _like_test(operand, True, True),
    "regexp": lambda operand: _pattern_test(operand, False),
}


def sort_key(path: str) -> Callable[[Mapping[str, Any]], tuple]:
    """LoopBack's order: missing values lowest, then null, then booleans, numbers and dates,
    then text (by code point; JavaScript's UTF-16 order differs only beyond the BMP)."""

    def key(record: Mapping[str, Any]) -> tuple:
        value = get_path(record, path)
        if value is _MISSING:
            return (0, 0)
        if value is None:
            return (1, 0)
        if isinstance(value, bool):
            return (2, int(value))
        if isinstance(value, (int, float)):
            return (3, value)
        if isinstance(value, datetime):
            return (3, value.timestamp())
        if isinstance(value, str):
            return (4, value)
        return (5, json.dumps(value, sort_keys=True, default=str))

    return key


def sort_records(records: list, order: Iterable[tuple[str, str]]) -> list:
    for path, direction in reversed(list(order)):
        records.sort(key=sort_key(path), reverse=direction == "DESC")
    return records


def project(record: dict, fields: Iterable[str]) -> dict:
    return {name: record[name] for name in fields if name in record}


def apply_filter(records: Iterable[dict], flt: Filter, *, where: bool = True) -> list[dict]:
    """Where, order, skip, limit and fields over records, all in Python."""
    if where and flt.where is not None:
        test = compile_where(flt.where)
        rows = [r for r in records if test(r)]
    else:
        rows = list(records)
    if flt.order:
        sort_records(rows, flt.order)
    if flt.skip or flt.limit is not None:
        end = None if flt.limit is None else flt.skip + flt.limit
        rows = rows[flt.skip:end]
    if flt.fields is not None:
        rows = [project(r, flt.fields) for r in rows]
    return rows


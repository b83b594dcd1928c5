"""Evaluating a filter in Python, with the semantics of LoopBack's memory connector: the memory
connector uses it, and so does every connector for the part of a filter it cannot evaluate
natively. ``compile_where`` turns a canonical where into a predicate (``get_path`` reads a
property path, ``_TESTS`` holds the test for each operator, ``like_search`` reads a LIKE
pattern), ``sort_key`` and ``sort_records`` give LoopBack's order, ``project`` keeps the chosen
fields and ``apply_filter`` runs a whole filter over records.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

import regex

from ._types import Filter, FilterError

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


def compile_where(where: dict[str, Any] | None) -> Predicate:
    """A predicate for a canonical where, with the memory connector's semantics."""
    if where is None:
        return lambda record: True
    ((key, value),) = where.items()
    if key == "and":
        tests = [compile_where(w) for w in value]
        return lambda record: all(test(record) for test in tests)
    if key == "or":
        tests = [compile_where(w) for w in value]
        return lambda record: any(test(record) for test in tests)
    ((op, operand),) = value.items()
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
    return bool(a == b)


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
                    return bool(value > bound)
                if op == "gte":
                    return bool(value >= bound)
                if op == "lt":
                    return bool(value < bound)
                return bool(value <= bound)
            except TypeError:
                return False

        return test

    return build


def _between(operand: list[Any]) -> Callable[[Any], bool]:
    low, high = _compare("gte")(operand[0]), _compare("lte")(operand[1])
    return lambda value: (
        any(low(v) and high(v) for v in value) if isinstance(value, list) else low(value) and high(value)
    )


def _inq(operand: list[Any]) -> Callable[[Any], bool]:
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


def _pattern_test(matches: Callable[[str], bool], negate: bool) -> Callable[[Any], bool]:
    def test(value: Any) -> bool:
        if value.__class__ is str:
            found = matches(value)
        elif value is _MISSING or value is None:
            return negate
        elif isinstance(value, list):
            if negate:  # one item that does not match is enough (see _on_items)
                return any(not (isinstance(v, str) and matches(v)) for v in value)
            found = any(isinstance(v, str) and matches(v) for v in value)
        else:
            found = matches(_text(value))
        return not found if negate else found

    return test


#: how long one ``regexp`` may run against one value before the request is refused (a 400)
REGEXP_BUDGET = 0.05

_REGEX_FLAGS = {re.IGNORECASE: regex.IGNORECASE, re.MULTILINE: regex.MULTILINE, re.DOTALL: regex.DOTALL}


def regexp_search(pattern: re.Pattern[str]) -> Callable[[str], bool]:
    """``pattern``'s search, refused with a 400 when one value takes it over ``REGEXP_BUDGET``:
    a backtracking pattern such as ``^(a+)+$`` doubles its time with each character, and one
    request must not hold the server."""
    flags = 0
    for flag, same in _REGEX_FLAGS.items():
        if pattern.flags & flag:
            flags |= same
    try:
        search = regex.compile(pattern.pattern, flags | regex.VERSION0).search
    except regex.error as exc:
        raise FilterError(f"the regexp /{pattern.pattern}/ cannot be used: {exc}") from None

    def matches(value: str) -> bool:
        try:
            return search(value, timeout=REGEXP_BUDGET) is not None
        except TimeoutError:
            raise FilterError(
                f"the regexp /{pattern.pattern}/ takes too long to match; write it so that it cannot "
                "backtrack (for example a+ rather than (a+)+)"
            ) from None

    return matches


def like_search(pattern: str, insensitive: bool = False) -> Callable[[str], bool]:
    """SQL LIKE, unanchored as LoopBack's memory connector matched it, in time linear in the
    pattern times the value, whatever the pattern: ``%`` splits it into pieces of fixed length
    (``_`` one character, the rest literal), found left to right, each after the last. The first
    place a piece fits is always as good as a later one, so nothing is ever tried twice; a
    regular expression with ``.*`` would backtrack, and one request could hold the server."""
    pieces: list[list[str]] = [[]]
    escaped = False
    for char in pattern:
        if escaped:
            pieces[-1].append(re.escape(char))
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "%":
            pieces.append([])
        elif char == "_":
            pieces[-1].append(".")
        else:
            pieces[-1].append(re.escape(char))
    flags = re.S | (re.I if insensitive else 0)
    searches = [re.compile("".join(piece), flags).search for piece in pieces if piece]

    def matches(value: str) -> bool:
        at = 0
        for search in searches:
            found = search(value, at)
            if found is None:
                return False
            at = found.end()
        return True

    return matches


def _like_test(pattern: str, negate: bool, insensitive: bool) -> Callable[[Any], bool]:
    if insensitive or any(c in pattern for c in "%_\\"):
        return _pattern_test(like_search(pattern, insensitive), negate)
    # no wildcard: a substring test, much cheaper than any matcher
    return _pattern_test(lambda value: pattern in value, negate)


def _on_items(test: Callable[[Any], bool], operand: Any, *, empty: bool = False) -> Callable[[Any], bool]:
    """A negated operator on an array, as LoopBack's memory connector decides it: the array matches
    when one of its items passes the test (``{"tags": {"neq": "x"}}`` matches ``["x", "y"]``), and
    an empty array matches ``neq`` only (``empty``). An array operand compares whole arrays."""
    if isinstance(operand, list) and empty:
        return test

    def on_items(value: Any) -> bool:
        if isinstance(value, list):
            return any(test(item) for item in value) if value else empty
        return test(value)

    return on_items


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


_TESTS: dict[str, Callable[[Any], Callable[[Any], bool]]] = {
    "eq": lambda operand: lambda value: _equal(value, operand),
    "neq": lambda operand: _on_items(lambda value: not _equal(value, operand), operand, empty=True),
    "gt": _compare("gt"),
    "gte": _compare("gte"),
    "lt": _compare("lt"),
    "lte": _compare("lte"),
    "between": _between,
    "inq": _inq,
    "nin": lambda operand: (lambda inq: _on_items(lambda value: not inq(value), operand))(_inq(operand)),
    "like": lambda operand: _like_test(operand, False, False),
    "nlike": lambda operand: _like_test(operand, True, False),
    "ilike": lambda operand: _like_test(operand, False, True),
    "nilike": lambda operand: _like_test(operand, True, True),
    "regexp": lambda operand: _pattern_test(regexp_search(operand), False),
}


def sort_key(path: str) -> Callable[[Mapping[str, Any]], tuple[Any, ...]]:
    """LoopBack's order: missing values lowest, then null, then booleans, numbers and dates,
    then text (by code point; JavaScript's UTF-16 order differs only beyond the BMP)."""

    def key(record: Mapping[str, Any]) -> tuple[Any, ...]:
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


def sort_records(records: list[Any], order: Iterable[tuple[str, str]]) -> list[Any]:
    for path, direction in reversed(list(order)):
        records.sort(key=sort_key(path), reverse=direction == "DESC")
    return records


def project(record: dict[str, Any], fields: Iterable[str]) -> dict[str, Any]:
    return {name: record[name] for name in fields if name in record}


def apply_filter(records: Iterable[dict[str, Any]], flt: Filter, *, where: bool = True) -> list[dict[str, Any]]:
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
        rows = rows[flt.skip : end]
    if flt.fields is not None:
        rows = [project(r, flt.fields) for r in rows]
    return rows

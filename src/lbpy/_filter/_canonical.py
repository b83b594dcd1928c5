"""The canonical form of a where, the one every parsed filter holds so that a connector never
re-parses anything: either ``{"and": [w, ...]}`` or ``{"or": [w, ...]}`` with at least one item,
or ``{"<property path>": {"<operator>": value}}`` with exactly one path and one operator. The
operators are eq, neq, gt, gte, lt, lte, between (a two-item list), inq, nin (lists), like, nlike,
ilike, nilike (a pattern string; ``%`` and ``_`` are wildcards) and regexp (a compiled
``re.Pattern``); ``None`` values only appear with eq and neq. ``conjunction`` combines wheres and
``where_to_json`` writes one in LoopBack's JSON shape; ``ParsedWhere`` marks one the model layer
takes as it is.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, overload


def where_to_json(
    where: dict[str, Any], *, shorthand: bool = False, convert: Callable[[Any], Any] | None = None
) -> Any:
    """A canonical where in LoopBack's JSON shape, a regular expression as ``"/source/flags"``.

    By default every condition keeps its operator (``{"id": {"eq": 3}}``), as in a filter's
    ``where``. With ``shorthand``, an eq condition is written LoopBack's short way
    (``{"id": 3}``), as operation hooks and change streams show it, and a value that is not a
    canonical where is passed through as it is. ``convert``, when given, is applied to every
    operand (after a regular expression became text), e.g. to write dates as JSON text."""
    if shorthand:
        return _shorthand_json(where, convert)
    ((key, value),) = where.items()
    if key in ("and", "or"):
        return {key: [where_to_json(w, convert=convert) for w in value]}
    ((op, operand),) = value.items()
    return {key: {op: _operand_json(operand, convert)}}


def _shorthand_json(where: Any, convert: Callable[[Any], Any] | None) -> Any:
    if not isinstance(where, dict) or len(where) != 1:
        return where
    ((key, value),) = where.items()
    if key in ("and", "or") and isinstance(value, list):
        return {key: [_shorthand_json(w, convert) for w in value]}
    if isinstance(value, dict) and len(value) == 1:
        ((op, operand),) = value.items()
        operand = _operand_json(operand, convert)
        return {key: operand} if op == "eq" else {key: {op: operand}}
    return {key: value if convert is None else convert(value)}


def _operand_json(operand: Any, convert: Callable[[Any], Any] | None) -> Any:
    if isinstance(operand, re.Pattern):
        flags = "i" if operand.flags & re.IGNORECASE else ""
        operand = f"/{operand.pattern}/{flags}"
    return operand if convert is None else convert(operand)


@overload
def conjunction(first: dict[str, Any], /, *wheres: dict[str, Any] | None) -> dict[str, Any]: ...


@overload
def conjunction(*wheres: dict[str, Any] | None) -> dict[str, Any] | None: ...


def conjunction(*wheres: dict[str, Any] | None) -> dict[str, Any] | None:
    """The and of the wheres that are not None (None when all are)."""
    parts = [w for w in wheres if w is not None]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else {"and": parts}


class ParsedWhere(dict[str, Any]):
    """A canonical where lbpy built from parsed parts (a relation's owner condition and a
    caller's where, say): the model layer takes it as it is rather than parsing it again."""

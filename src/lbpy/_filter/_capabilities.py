"""Connectors that evaluate only part of a filter: ``Capabilities`` says what a connector does
natively (``ALL_CAPABILITIES`` is everything), ``where_supported`` whether it can evaluate a
canonical where, and ``split_filter`` divides a filter into the part sent to the connector and a
Python step that finishes it with ``apply_filter``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from ._evaluate import apply_filter
from ._types import EMPTY, OPERATORS, Filter


@dataclass(frozen=True)
class Capabilities:
    """What a connector evaluates natively; lbpy does the rest in Python.

    ``operators`` is the set of where operators it understands (``and``/``or`` included when
    it can combine them); ``nested_paths`` whether ``a.b`` paths work."""

    operators: frozenset[str] = field(default_factory=lambda: OPERATORS | {"and", "or"})
    fields: bool = True
    order: bool = True
    limit: bool = True
    nested_paths: bool = True

    @classmethod
    def none(cls) -> Capabilities:
        """A connector that evaluates no part of a filter: lbpy does all of it in Python."""
        return cls(operators=frozenset(), fields=False, order=False, limit=False, nested_paths=False)


ALL_CAPABILITIES = Capabilities()


def where_supported(where: dict[str, Any] | None, caps: Capabilities) -> bool:
    if where is None:
        return True
    ((key, value),) = where.items()
    if key in ("and", "or"):
        return key in caps.operators and all(where_supported(w, caps) for w in value)
    ((op, _),) = value.items()
    return op in caps.operators and (caps.nested_paths or "." not in key)


def split_filter(flt: Filter, caps: Capabilities) -> tuple[Filter, Callable[[list[Any]], list[Any]] | None]:
    """The part of ``flt`` to send to a connector with ``caps``, and the Python step that finishes it."""
    if caps == ALL_CAPABILITIES:
        return flt, None
    where_ok = where_supported(flt.where, caps)
    pushed_where = flt.where
    if not where_ok and flt.where is not None:
        pushed_where = _supported_conjuncts(flt.where, caps)
    order_ok = caps.order or not flt.order
    page_ok = where_ok and order_ok and caps.limit
    fields_ok = caps.fields and where_ok and order_ok
    pushed = replace(
        flt,
        where=pushed_where,
        order=flt.order if caps.order else None,
        limit=flt.limit if page_ok else None,
        skip=flt.skip if page_ok else 0,
        fields=flt.fields if fields_ok else None,
        include=(),
    )
    rest = Filter(
        where=None if where_ok else flt.where,
        order=None if caps.order and where_ok else flt.order,
        limit=None if page_ok else flt.limit,
        skip=0 if page_ok else flt.skip,
        fields=None if fields_ok else flt.fields,
    )
    if rest == EMPTY:
        return pushed, None
    return pushed, lambda rows: apply_filter(rows, rest)


def _supported_conjuncts(where: dict[str, Any], caps: Capabilities) -> dict[str, Any] | None:
    """The conditions of a top-level and that the connector can evaluate; they narrow the fetch."""
    ((key, value),) = where.items()
    if key != "and" or "and" not in caps.operators:
        return None
    kept = [w for w in value if where_supported(w, caps)]
    if not kept:
        return None
    return kept[0] if len(kept) == 1 else {"and": kept}

"""The values of LoopBack's filter language: a parsed ``Filter`` and its ``Include`` items, the
``EMPTY`` filter, ``FilterError`` (the 400 for a filter that cannot be used), the where operators
and the limits that keep a hostile filter from costing more than a bad request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .._errors import BadRequestError
from ._canonical import where_to_json

OPERATORS = frozenset(
    ["eq", "neq", "gt", "gte", "lt", "lte", "between", "inq", "nin", "like", "nlike", "ilike", "nilike", "regexp"]
)
_ORDERED = frozenset(["gt", "gte", "lt", "lte", "between"])
_LIST_OPERATORS = frozenset(["inq", "nin", "between"])
_PATTERN_OPERATORS = frozenset(["like", "nlike", "ilike", "nilike"])
_OPERATOR_OPTIONS = frozenset(["options"])

#: and/or nesting deeper than this is refused (a 400, not a stack overflow)
MAX_DEPTH = 32
#: the most items a query-string list may have (bracket syntax)
MAX_LIST_ITEMS = 10_000


@dataclass(frozen=True, slots=True)
class Include:
    """One relation to include, with the filter (scope) applied to the related records.

    ``raw_scope`` keeps the scope as given when the target model is only known per record
    (a polymorphic belongsTo): it is parsed against each target when the records are loaded."""

    relation: str
    scope: Filter | None = None
    raw_scope: Any = None


@dataclass(frozen=True, slots=True)
class Filter:
    """A parsed, validated filter. ``order`` holds ``(path, "ASC" | "DESC")`` pairs."""

    where: dict[str, Any] | None = None
    fields: tuple[str, ...] | None = None
    order: tuple[tuple[str, str], ...] | None = None
    limit: int | None = None
    skip: int = 0
    include: tuple[Include, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The filter in LoopBack's JSON shape (regular expressions as ``/source/flags``)."""
        out: dict[str, Any] = {}
        if self.where is not None:
            out["where"] = where_to_json(self.where)
        if self.fields is not None:
            out["fields"] = list(self.fields)
        if self.order:
            out["order"] = [f"{path} {direction}" for path, direction in self.order]
        if self.limit is not None:
            out["limit"] = self.limit
        if self.skip:
            out["skip"] = self.skip
        if self.include:
            out["include"] = [
                {"relation": inc.relation, "scope": inc.scope.to_dict()}
                if inc.scope
                else {"relation": inc.relation, "scope": inc.raw_scope}
                if inc.raw_scope
                else inc.relation
                for inc in self.include
            ]
        return out


EMPTY = Filter()


class FilterError(BadRequestError):
    """A filter that cannot be used: 400 with a message that names the problem."""

    def __init__(self, message: str, code: str = "INVALID_FILTER") -> None:
        super().__init__(message, code=code)

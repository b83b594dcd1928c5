"""The filter language of one model as OpenAPI 3.0 schemas: what ``lbpy._filter`` accepts for it.

``lbpy.Filter.<Model>`` names the model's relations in ``include`` and its properties in
``order`` and ``fields``; ``lbpy.Where.<Model>`` gives each property the values and operators its
type takes (``gt`` only where values are ordered, ``between`` two values that are not null, a
``regexp`` a plain pattern). Neither refers to itself: ``and``/``or`` hold ``lbpy.WhereClause``,
whose ``and``/``or`` hold ``lbpy.WhereTerm`` (conditions only), and an include's scope is
``lbpy.Scope`` (a filter without a further include), so that generators and validators walk them
without recursion. What is left out (``and``/``or`` nested three deep, a nested include, a
``regexp`` with flags) is still accepted by the server; the schemas describe a part of the
language that is always accepted.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from .._model._definition import ModelSpec
from .._model._types import ArrayType, Type

#: no ``maximum``: 2**63 - 1 is not a JavaScript number, and Swagger UI's example of it is refused
COUNT = {"type": "integer", "minimum": 0}
#: a ``regexp`` the server always compiles: letters, digits and spaces
_PLAIN_PATTERN = {"type": "string", "pattern": "^[A-Za-z0-9 ]*$"}
#: a value compared as it is: a scalar or null. Not ``{"not": {"type": "object"}}``: generating
#: any JSON value and filtering out objects nests without bound, and a generator deep in such a
#: value overflows Python's stack (schemathesis then failed with "AST constructor recursion depth
#: mismatch" on the operations whose where is required)
SCALAR = {"anyOf": [{"type": "string"}, {"type": "number"}, {"type": "boolean"}], "nullable": True}
_ORDERED_VALUES = {
    "number": {"type": "number"},
    "string": {"type": "string"},
    "boolean": {"type": "boolean"},
    "date": {"type": "string", "format": "date-time"},
}
_IDENTIFIER = "[A-Za-z_$][A-Za-z0-9_$]*"
_DIRECTION = "( +([Aa][Ss][Cc]|[Dd][Ee][Ss][Cc]))?"


def component_names(model: str) -> tuple[str, str, str, str, str]:
    """The filter, where, where-clause, scope and where-term components of ``model``."""
    return (
        f"lbpy.Filter.{model}",
        f"lbpy.Where.{model}",
        f"lbpy.WhereClause.{model}",
        f"lbpy.Scope.{model}",
        f"lbpy.WhereTerm.{model}",
    )


def filter_schema(
    spec: ModelSpec, models: dict[str, ModelSpec], ref: Callable[[str], dict[str, Any]]
) -> dict[str, Any]:
    """``lbpy.Filter.<Model>``: ``ref(name)`` refers to another component."""
    schema = scope_schema(spec, ref)
    schema["description"] = "LoopBack's filter: where, fields, order, limit, skip (or offset) and include"
    schema["properties"]["include"] = _include(spec, models, ref)
    return schema


def scope_schema(spec: ModelSpec, ref: Callable[[str], dict[str, Any]]) -> dict[str, Any]:
    """``lbpy.Scope.<Model>``: a filter without an include (an included relation's scope)."""
    names = [name for name in spec.properties if name not in spec.hidden]
    field_flags: dict[str, Any] = {"type": "object", "properties": {name: {"type": "boolean"} for name in names}}
    field_flags["additionalProperties"] = False
    order = _order_pattern(names if spec.strict else None)
    return {
        "type": "object",
        "description": "LoopBack's filter: where, fields, order, limit, skip (or offset)",
        "example": {},  # what the explorer's "Try it out" starts from: every record
        "properties": {
            "where": ref(component_names(spec.name)[1]),
            "fields": {"oneOf": [field_flags, {"type": "array", "items": {"type": "string"}}]},
            "order": {
                "oneOf": [
                    {"type": "string", "pattern": f"^({order})?(,({order})?)*$"},
                    {"type": "array", "items": {"type": "string", "pattern": f"^{order}$"}},
                ]
            },
            "limit": COUNT,
            "skip": COUNT,
            "offset": COUNT,
        },
    }


def where_schema(spec: ModelSpec, ref: Callable[[str], dict[str, Any]], *, level: int = 0) -> dict[str, Any]:
    """``lbpy.Where.<Model>`` (level 0), one item of its ``and``/``or`` (``lbpy.WhereClause``,
    level 1), or one item of theirs (``lbpy.WhereTerm``, level 2, conditions only)."""
    properties: dict[str, dict[str, Any]] = {}
    if level < 2:
        items = {"type": "array", "items": ref(component_names(spec.name)[2 if level == 0 else 4])}
        properties = {"and": items, "or": items}
    for name, prop in spec.properties.items():
        if name not in spec.hidden and name not in ("and", "or"):
            properties[name] = _condition(prop.type)
    return {
        "type": "object",
        "description": "Conditions by property: a value, or an object of operators",
        "example": {},
        "properties": properties,
        # a property the model does not declare is compared as it is
        "additionalProperties": _condition(None),
    }


def _condition(kind: Type | None) -> dict[str, Any]:
    """A property's condition: a value, or an object of one or more operators."""
    item = kind.item if isinstance(kind, ArrayType) else kind
    ordered = _ORDERED_VALUES.get(item.name) if item is not None else None
    value: dict[str, Any]
    operand: dict[str, Any] | None
    if item is None or item.name == "any":
        value, operand = SCALAR, None  # an object would be read as operators
    elif ordered is None:
        # an object, a geopoint, a buffer or an embedded model is compared by its own paths
        # ("address.city"); the whole property only with null
        value, operand = {"nullable": True, "enum": [None]}, None
    else:
        value, operand = {**ordered, "nullable": True}, ordered
    operators: dict[str, dict[str, Any]] = {
        "eq": value,
        "neq": value,
        # no maxItems (the server's bound is lbpy._filter's MAX_LIST_ITEMS): a generator tries a
        # schema's bounds, and 10,000 values make a URL no server reads
        "inq": {"type": "array", "items": value},
        "nin": {"type": "array", "items": value},
        **{key: {"type": "string"} for key in ("like", "nlike", "ilike", "nilike")},
        "regexp": _PLAIN_PATTERN,
    }
    if operand is not None:
        operators.update(dict.fromkeys(("gt", "gte", "lt", "lte"), operand))
        operators["between"] = {"type": "array", "minItems": 2, "maxItems": 2, "items": operand}
    return {
        "anyOf": [
            value,
            {"type": "object", "minProperties": 1, "additionalProperties": False, "properties": operators},
        ]
    }


def _order_pattern(names: list[str] | None) -> str:
    head = "(" + "|".join(re.escape(name) for name in names) + ")" if names is not None else _IDENTIFIER
    if names == []:
        head = "(?!)"  # a strict model without properties orders by nothing
    return f" *{head}(\\.[A-Za-z0-9_$]+)*{_DIRECTION} *"


def _include(spec: ModelSpec, models: dict[str, ModelSpec], ref: Callable[[str], dict[str, Any]]) -> dict[str, Any]:
    if not spec.relations:
        return {"type": "array", "maxItems": 0, "description": f"{spec.name} has no relations"}
    name = {"type": "string", "enum": list(spec.relations)}
    scoped = []
    for relation_name, relation in spec.relations.items():
        target = models.get(relation.model) if relation.model else None
        scope = ref(component_names(target.name)[3]) if target is not None else {"type": "object", "maxProperties": 0}
        scoped.append(
            {
                "type": "object",
                "required": ["relation"],
                "properties": {"relation": {"type": "string", "enum": [relation_name]}, "scope": scope},
                "additionalProperties": False,
            }
        )
    by_name = {
        "type": "object",
        "minProperties": 1,
        "additionalProperties": False,
        "properties": {relation: {"type": "boolean"} for relation in spec.relations if relation != "relation"},
    }
    one = {"anyOf": [name, *scoped, by_name]}
    return {
        "description": "relation names, {relation, scope} objects, or an array of them",
        "anyOf": [name, *scoped, by_name, {"type": "array", "items": one}],
    }

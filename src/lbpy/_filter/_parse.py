"""Checking a filter or a where against a model and coercing every value to its property's type:
``parse_filter`` reads a filter given as JSON text, as bracket-syntax values or from Python code
(where, fields, order, limit/skip and include, with the included relations' scopes) and
``parse_where`` a where alone; both refuse what cannot be used with a ``FilterError`` and give the
where in canonical form (see ``lbpy._filter._canonical``). ``compile_regexp`` reads a
JavaScript-style regular expression.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from .._json_values import JsonTooDeepError, UnusableJsonError, loads
from .._model._definition import ModelSpec, RelationSpec
from .._model._types import ArrayType, CoercionError, Type
from ._types import (
    _LIST_OPERATORS,
    _OPERATOR_OPTIONS,
    _ORDERED,
    _PATTERN_OPERATORS,
    EMPTY,
    MAX_DEPTH,
    MAX_LIST_ITEMS,
    OPERATORS,
    Filter,
    FilterError,
    Include,
)


def load_json_param(name: str, raw: Any) -> Any:
    """A ``filter`` or ``where`` parameter: JSON text, or already structured (bracket syntax)."""
    if isinstance(raw, (bytes, bytearray)):
        raw = raw.decode("utf-8", "replace")
    if isinstance(raw, str):
        text = raw.strip()
        if not text:
            return None
        try:
            return loads(text)
        except JsonTooDeepError as exc:
            raise FilterError(f"`{name}` cannot be used: {exc}", code="QUERY_OBJECT_TOO_DEEP") from None
        except UnusableJsonError as exc:
            raise FilterError(f"`{name}` cannot be used: {exc}") from None
        except json.JSONDecodeError as exc:
            raise FilterError(f"`{name}` is not valid JSON: {exc.msg} at column {exc.colno}") from None
        except ValueError as exc:  # an integer too long for int() (Python's digit limit)
            raise FilterError(f"`{name}` is not valid JSON: {exc}") from None
    return raw


def parse_filter(
    spec: ModelSpec,
    raw: Any,
    models: Mapping[str, ModelSpec] | None = None,
    *,
    name: str = "filter",
    nested: bool = False,
) -> Filter:
    """Check and coerce a filter for ``spec``; raises ``FilterError`` (400) when it cannot be used.

    ``nested`` is for the scope of an included relation: as in LoopBack, conditions on the
    target's protected properties are ignored there as well as those on hidden ones."""
    raw = load_json_param(name, raw)
    if raw is None:
        return EMPTY
    if isinstance(raw, Filter):
        return raw
    if not isinstance(raw, dict):
        raise FilterError(f"`{name}` must be an object, not {_kind(raw)}")
    where = raw.get("where")
    if where is not None and not isinstance(where, dict):
        raise FilterError(f"`{name}.where` must be an object, not {_kind(where)}")
    where = _where(spec, where, f"{name}.where", 0, nested) if where else None
    fields = _parse_fields(spec, raw["fields"], name) if raw.get("fields") is not None else None
    order = _parse_order(spec, raw["order"], name) if raw.get("order") not in (None, "", []) else None
    limit = _parse_count(raw.get("limit"), f"{name}.limit") or None  # LoopBack: 0 is no limit
    skip = raw.get("skip", raw.get("offset"))
    skip = _parse_count(skip, f"{name}.skip") or 0
    include = _parse_include(spec, raw["include"], models, name) if raw.get("include") else ()
    return Filter(where=where, fields=fields, order=order, limit=limit, skip=skip, include=include)


def parse_where(spec: ModelSpec, raw: Any, *, name: str = "where", for_write: bool = False) -> dict[str, Any] | None:
    """A canonical where for ``spec`` (see ``lbpy._filter._canonical``), or None when it matches
    everything. A read ignores conditions on hidden properties, as LoopBack did, so that their
    values cannot be probed; a write (``for_write``) refuses them, because ignoring one would widen
    the write to records the caller never named."""
    raw = load_json_param(name, raw)
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise FilterError(f"`{name}` must be an object, not {_kind(raw)}")
    return _where(spec, raw, name, 0, for_write=for_write)


def _where(
    spec: ModelSpec, raw: dict[str, Any], name: str, depth: int, nested: bool = False, for_write: bool = False
) -> dict[str, Any] | None:
    if depth > MAX_DEPTH:
        raise FilterError(f"`{name}` nests and/or deeper than {MAX_DEPTH} levels", "QUERY_OBJECT_TOO_DEEP")
    parts: list[dict[str, Any]] = []
    for key, value in raw.items():
        if key in ("and", "or"):
            items = _as_list(value)
            if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
                raise FilterError(f"`{name}.{key}` must be an array of objects")
            children = [
                child
                for i, item in enumerate(items)
                if (child := _where(spec, item, f"{name}.{key}[{i}]", depth + 1, nested, for_write)) is not None
            ]
            if key == "and":
                parts.extend(children)
            elif len(children) < len(items):
                # a branch that matches everything (e.g. only a hidden property) makes the or true
                continue
            else:
                # as in LoopBack, an empty or matches nothing
                parts.append(children[0] if len(children) == 1 else {"or": children})
        else:
            parts.extend(_conditions(spec, key, value, f"{name}.{key}", nested, for_write))
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else {"and": parts}


def _conditions(
    spec: ModelSpec, path: str, value: Any, name: str, nested: bool = False, for_write: bool = False
) -> list[dict[str, Any]]:
    head = path.split(".", 1)[0]
    if for_write and head in spec.hidden:
        raise FilterError(
            f'`{name}` names the hidden property "{head}": a write cannot be limited by a '
            "property clients cannot see; leave it out of the where",
            code="HIDDEN_PROPERTY",
        )
    if head in spec.hidden or (head in spec.protected and (nested or head != path)):
        # LoopBack ignores conditions on hidden properties, so their values cannot be probed
        return []
    kind = _type_at(spec, path)
    if isinstance(value, dict) and value and not _is_plain_value(kind, value):
        operators = {k: v for k, v in value.items() if k not in _OPERATOR_OPTIONS}
        options = value.get("options")
        unknown = [k for k in operators if k not in OPERATORS]
        if unknown:
            raise FilterError(
                f'`{name}` has an unknown operator "{unknown[0]}"; use one of ' + ", ".join(sorted(OPERATORS))
            )
        if not operators:
            raise FilterError(f"`{name}` has options but no operator")
        return [_condition(kind, path, op, v, options, f"{name}.{op}") for op, v in operators.items()]
    return [{path: {"eq": _coerce(kind, value, name)}}]


def _is_plain_value(kind: Type | None, value: dict[str, Any]) -> bool:
    """An object compared whole: a geopoint or an embedded model, not an operator object."""
    return kind is not None and kind.name == "geopoint" and set(value) <= {"lat", "lng"}


def _condition(kind: Type | None, path: str, op: str, value: Any, options: Any, name: str) -> dict[str, Any]:
    insensitive = isinstance(options, str) and "i" in options
    if op in _LIST_OPERATORS:
        items = _as_list(value)
        if not isinstance(items, list):  # LoopBack refuses a lone value too ({"inq": "a"})
            raise FilterError(f"`{name}` must be an array, not {_kind(items)}")
        if len(items) > MAX_LIST_ITEMS:
            raise FilterError(f"`{name}` has more than {MAX_LIST_ITEMS} items")
        if op == "between" and len(items) != 2:
            raise FilterError(f"`{name}` must be an array of two values, [from, to]")
        coerced = [_coerce(kind, item, name) for item in items]
        if op == "between" and None in coerced:
            raise FilterError(f"`{name}` needs two values that are not null")
        return {path: {op: coerced}}
    if op in _PATTERN_OPERATORS:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            raise FilterError(f"`{name}` must be a pattern string")
        if insensitive and op in ("like", "nlike"):
            op = "ilike" if op == "like" else "nilike"
        return {path: {op: value}}
    if op == "regexp":
        return {path: {"regexp": compile_regexp(value, name, insensitive)}}
    coerced = _coerce(kind, value, name)
    if coerced is None and op in _ORDERED:
        raise FilterError(f"`{name}` needs a value, not null")
    if op in _ORDERED and kind is not None and not kind.ordered and not isinstance(kind, ArrayType):
        raise FilterError(f"`{name}` cannot compare a {kind.describe()} property")
    return {path: {op: coerced}}


def _coerce(kind: Type | None, value: Any, name: str) -> Any:
    if value is None or kind is None:
        return value
    try:
        return kind.coerce_query(value)
    except CoercionError as exc:
        raise FilterError(f"`{name}` {exc}: {_show(value)}") from None


def _type_at(spec: ModelSpec, path: str) -> Type | None:
    """The declared type at a property path, or None where lbpy cannot know it."""
    head, _, rest = path.partition(".")
    prop = spec.properties.get(head)
    if prop is None:
        return None
    kind = prop.type
    if rest:
        # a nested path into an object, an embedded model or an array of them: not typed here
        return None
    return kind


_REGEXP_LITERAL = re.compile(r"^/(.*)/([a-z]*)$", re.S)
_FLAGS = {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL, "g": 0, "u": 0, "y": 0}


def compile_regexp(value: Any, name: str = "regexp", insensitive: bool = False) -> re.Pattern[str]:
    """A JavaScript-style regexp (``"^a"`` or ``"/^a/i"``) as a compiled Python pattern."""
    if isinstance(value, re.Pattern):
        return value
    if not isinstance(value, str):
        raise FilterError(f"`{name}` must be a regular expression string")
    flags = re.IGNORECASE if insensitive else 0
    source = value
    literal = _REGEXP_LITERAL.match(value)
    if literal:
        source = literal.group(1)
        for letter in literal.group(2):
            if letter not in _FLAGS:
                raise FilterError(f'`{name}` has an unknown regular expression flag "{letter}"')
            flags |= _FLAGS[letter]
    try:
        return re.compile(source, flags)
    except re.error as exc:
        raise FilterError(f"`{name}` is not a valid regular expression: {exc}") from None


def _parse_fields(spec: ModelSpec, raw: Any, name: str) -> tuple[str, ...] | None:
    names = list(spec.properties)
    raw = _as_list(raw)
    if isinstance(raw, str):
        raw = [part.strip() for part in raw.split(",") if part.strip()]
    if isinstance(raw, list):
        if not all(isinstance(item, str) for item in raw):
            raise FilterError(f"`{name}.fields` must list property names")
        if not raw:
            return None
        wanted = set(raw)
        chosen = [n for n in names if n in wanted]
    elif isinstance(raw, dict):
        flags = {key: _truthy(value, f"{name}.fields.{key}") for key, value in raw.items()}
        included = {key for key, on in flags.items() if on}
        excluded = {key for key, on in flags.items() if not on}
        chosen = [n for n in names if n in included] if included else [n for n in names if n not in excluded]
    else:
        raise FilterError(f"`{name}.fields` must be an object or an array, not {_kind(raw)}")
    return tuple(chosen)


def _truthy(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    if value in (1, "1", "true"):
        return True
    if value in (0, "0", "false"):
        return False
    raise FilterError(f"`{name}` must be true or false")


_ORDER_ITEM = re.compile(r"^\s*([A-Za-z_$][\w$]*(?:\.[\w$]+)*)(?:\s+(ASC|DESC))?\s*$", re.I)


def _parse_order(spec: ModelSpec, raw: Any, name: str) -> tuple[tuple[str, str], ...]:
    items = _as_list(raw)
    if isinstance(items, str):
        items = [part for part in items.split(",") if part.strip()]
    if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
        raise FilterError(f'`{name}.order` must be a string like "name ASC" or an array of them')
    result = []
    for item in items:
        match = _ORDER_ITEM.match(item)
        if not match:
            raise FilterError(f'`{name}.order` has "{item}"; write a property name and ASC or DESC')
        path, direction = match.group(1), (match.group(2) or "ASC").upper()
        head = path.split(".", 1)[0]
        if head not in spec.properties and spec.strict:
            raise FilterError(f'`{name}.order` names an unknown property "{path}"')
        if head in spec.hidden:
            continue
        result.append((path, direction))
    return tuple(result)


def _parse_count(raw: Any, name: str) -> int | None:
    if raw is None or raw == "":
        return None
    if isinstance(raw, bool):
        raise FilterError(f"`{name}` must be a non-negative integer")
    if isinstance(raw, str):
        if not raw.strip().isdigit():
            raise FilterError(f'`{name}` must be a non-negative integer, not "{raw}"')
        raw = int(raw)
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    if not isinstance(raw, int) or raw < 0:
        raise FilterError(f"`{name}` must be a non-negative integer, not {_show(raw)}")
    if raw > _MAX_COUNT:
        raise FilterError(f"`{name}` must be at most {_MAX_COUNT}, not {raw}")
    return raw


#: the largest limit or skip a database takes (a signed 64-bit integer)
_MAX_COUNT = 2**63 - 1


def _parse_include(
    spec: ModelSpec, raw: Any, models: Mapping[str, ModelSpec] | None, name: str, depth: int = 0
) -> tuple[Include, ...]:
    if depth > MAX_DEPTH:
        raise FilterError(f"`{name}.include` nests deeper than {MAX_DEPTH} levels")
    raw = _as_list(raw)
    found: list[Include] = []

    def add(relation: Any, scope: Any = None, nested: Any = None) -> None:
        if not isinstance(relation, str):
            raise FilterError(f"`{name}.include` must name relations")
        rel = spec.relations.get(relation)
        if rel is None:
            raise FilterError(
                f'`{name}.include` names "{relation}", which is not a relation of {spec.name}'
                + (f" (relations: {', '.join(spec.relations)})" if spec.relations else "")
            )
        target = _relation_target(spec, rel, models)
        scope_filter = None
        raw_scope = None
        if nested is True or nested == {}:
            nested = None  # {"orders": true}: the relation alone
        if scope is not None or nested is not None:
            scope = load_json_param(f"{name}.include.scope", scope)
            if scope is not None and not isinstance(scope, dict):
                raise FilterError(f"`{name}.include.{relation}.scope` must be an object")
            scope = dict(scope or {})
            if nested is not None:
                scope["include"] = nested
            if target is None:
                raw_scope = scope
            else:
                scope_filter = parse_filter(target, scope, models, name=f"{name}.include.{relation}", nested=True)
        found.append(Include(relation, scope_filter, raw_scope))

    items = raw if isinstance(raw, list) else [raw]
    for item in items:
        if isinstance(item, str):
            add(item)
        elif isinstance(item, dict):
            if "relation" in item:
                add(item["relation"], item.get("scope"))
            else:
                for relation, nested in item.items():
                    add(relation, None, nested)
        else:
            raise FilterError(f"`{name}.include` must be a relation name, an array or an object")
    return tuple(found)


def _relation_target(spec: ModelSpec, rel: RelationSpec, models: Mapping[str, ModelSpec] | None) -> ModelSpec | None:
    if models is None or rel.model is None:
        return None
    return models.get(rel.model)


def _as_list(value: Any) -> Any:
    """Bracket syntax sends arrays as objects with index keys; read them as arrays."""
    if isinstance(value, dict) and value and all(isinstance(k, str) and k.isdigit() for k in value):
        return [value[k] for k in sorted(value, key=int)]
    return value


def _kind(value: Any) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number" if isinstance(value, (int, float)) else type(value).__name__
    )


def _show(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 60 else text[:57] + "..."

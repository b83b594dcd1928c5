"""LoopBack's filter language, in one place.

A filter arrives as JSON (``?filter={"where": ...}``), as bracket syntax
(``?filter[where][age][gt]=30``) or from Python code. ``parse_filter`` checks it against the
model, coerces every value to its property's type and returns a ``Filter`` whose ``where`` is in
canonical form, so that a connector never re-parses anything:

* ``{"and": [w, ...]}`` or ``{"or": [w, ...]}`` with at least one item, or
* ``{"<property path>": {"<operator>": value}}``: exactly one path and one operator.

Operators: eq, neq, gt, gte, lt, lte, between (a two-item list), inq, nin (lists), like, nlike,
ilike, nilike (a pattern string; ``%`` and ``_`` are wildcards), regexp (a compiled ``re.Pattern``).
``None`` values only appear with eq and neq.

``compile_where`` turns a canonical where into a predicate with the semantics of LoopBack's
memory connector; ``apply_filter`` runs a whole filter over records in Python. Connectors that
evaluate only part of a filter natively get the rest done here (``split_filter``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Callable, Iterable, Mapping

from .._errors import BadRequestError
from .._model._definition import ModelSpec
from .._model._types import ArrayType, CoercionError, ModelType, Type

OPERATORS = frozenset(
    ["eq", "neq", "gt", "gte", "lt", "lte", "between", "inq", "nin",
     "like", "nlike", "ilike", "nilike", "regexp"]
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
    scope: "Filter | None" = None
    raw_scope: Any = None


@dataclass(frozen=True, slots=True)
class Filter:
    """A parsed, validated filter. ``order`` holds ``(path, "ASC" | "DESC")`` pairs."""

    where: dict | None = None
    fields: tuple[str, ...] | None = None
    order: tuple[tuple[str, str], ...] | None = None
    limit: int | None = None
    skip: int = 0
    include: tuple[Include, ...] = ()

    def to_dict(self) -> dict:
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
                {"relation": inc.relation, "scope": inc.scope.to_dict()} if inc.scope
                else {"relation": inc.relation, "scope": inc.raw_scope} if inc.raw_scope
                else inc.relation
                for inc in self.include
            ]
        return out


EMPTY = Filter()


# ---------------------------------------------------------------------------------------------
# Parsing


class FilterError(BadRequestError):
    """A filter that cannot be used: 400 with a message that names the problem."""

    def __init__(self, message: str, code: str = "INVALID_FILTER") -> None:
        super().__init__(message, code=code)


def load_json_param(name: str, raw: Any) -> Any:
    """A ``filter`` or ``where`` parameter: JSON text, or already structured (bracket syntax)."""
    if isinstance(raw, (bytes, bytearray)):
        raw = raw.decode("utf-8", "replace")
    if isinstance(raw, str):
        text = raw.strip()
        if not text:
            return None
        try:
            return json.loads(text)
        except ValueError as exc:
            raise FilterError(f"`{name}` is not valid JSON: {exc.msg} at column {exc.colno}") from None
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


def parse_where(spec: ModelSpec, raw: Any, *, name: str = "where") -> dict | None:
    """A canonical where for ``spec`` (see the module docs), or None when it matches everything."""
    raw = load_json_param(name, raw)
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise FilterError(f"`{name}` must be an object, not {_kind(raw)}")
    return _where(spec, raw, name, 0)


def _where(spec: ModelSpec, raw: dict, name: str, depth: int, nested: bool = False) -> dict | None:
    if depth > MAX_DEPTH:
        raise FilterError(f"`{name}` nests and/or deeper than {MAX_DEPTH} levels",
                          "QUERY_OBJECT_TOO_DEEP")
    parts: list[dict] = []
    for key, value in raw.items():
        if key in ("and", "or"):
            items = _as_list(value)
            if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
                raise FilterError(f"`{name}.{key}` must be an array of objects")
            children = [
                child for i, item in enumerate(items)
                if (child := _where(spec, item, f"{name}.{key}[{i}]", depth + 1, nested)) is not None
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
            parts.extend(_conditions(spec, key, value, f"{name}.{key}", nested))
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else {"and": parts}


def _conditions(spec: ModelSpec, path: str, value: Any, name: str, nested: bool = False) -> list[dict]:
    head = path.split(".", 1)[0]
    if head in spec.hidden or head in spec.protected and (nested or head != path):
        # LoopBack ignores conditions on hidden properties, so their values cannot be probed
        return []
    kind = _type_at(spec, path)
    if isinstance(value, dict) and value and not _is_plain_value(kind, value):
        operators = {k: v for k, v in value.items() if k not in _OPERATOR_OPTIONS}
        options = value.get("options")
        unknown = [k for k in operators if k not in OPERATORS]
        if unknown:
            raise FilterError(
                f"`{name}` has an unknown operator \"{unknown[0]}\"; use one of "
                + ", ".join(sorted(OPERATORS))
            )
        if not operators:
            raise FilterError(f"`{name}` has options but no operator")
        return [_condition(kind, path, op, v, options, f"{name}.{op}") for op, v in operators.items()]
    return [{path: {"eq": _coerce(kind, value, name)}}]


def _is_plain_value(kind: Type | None, value: dict) -> bool:
    """An object compared whole: a geopoint or an embedded model, not an operator object."""
    return kind is not None and kind.name == "geopoint" and set(value) <= {"lat", "lng"}


def _condition(kind: Type | None, path: str, op: str, value: Any, options: Any, name: str) -> dict:
    insensitive = isinstance(options, str) and "i" in options
    if op in _LIST_OPERATORS:
        items = _as_list(value)
        if isinstance(items, str) and op != "between":
            items = [items]
        if not isinstance(items, list):
            raise FilterError(f"`{name}` must be an array")
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
        return None if not isinstance(kind, ModelType) else None
    return kind


_REGEXP_LITERAL = re.compile(r"^/(.*)/([a-z]*)$", re.S)
_FLAGS = {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL, "g": 0, "u": 0, "y": 0}


def compile_regexp(value: Any, name: str = "regexp", insensitive: bool = False) -> re.Pattern:
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
                raise FilterError(f"`{name}` has an unknown regular expression flag \"{letter}\"")
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
        chosen = [n for n in names if n in included] if included else [
            n for n in names if n not in excluded
        ]
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
        raise FilterError(f"`{name}.order` must be a string like \"name ASC\" or an array of them")
    result = []
    for item in items:
        match = _ORDER_ITEM.match(item)
        if not match:
            raise FilterError(
                f"`{name}.order` has \"{item}\"; write a property name and ASC or DESC"
            )
        path, direction = match.group(1), (match.group(2) or "ASC").upper()
        head = path.split(".", 1)[0]
        if head not in spec.properties and spec.strict:
            raise FilterError(f"`{name}.order` names an unknown property \"{path}\"")
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
            raise FilterError(f"`{name}` must be a non-negative integer, not \"{raw}\"")
        raw = int(raw)
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    if not isinstance(raw, int) or raw < 0:
        raise FilterError(f"`{name}` must be a non-negative integer, not {_show(raw)}")
    return raw


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
                f"`{name}.include` names \"{relation}\", which is not a relation of {spec.name}"
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
                scope_filter = parse_filter(target, scope, models, name=f"{name}.include.{relation}",
                                            nested=True)
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


def _relation_target(spec, rel, models):
    if models is None or rel.model is None:
        return None
    return models.get(rel.model)


def _as_list(value: Any) -> Any:
    """Bracket syntax sends arrays as objects with index keys; read them as arrays."""
    if isinstance(value, dict) and value and all(isinstance(k, str) and k.isdigit() for k in value):
        return [value[k] for k in sorted(value, key=int)]
    return value


def _kind(value: Any) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}.get(
        type(value), "a number" if isinstance(value, (int, float)) else type(value).__name__
    )


def _show(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


# ---------------------------------------------------------------------------------------------
# Query strings: bracket syntax


def parse_query(items: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Query parameters as nested values: ``filter[where][age][gt]=30``, ``a[]=1&a[]=2``,
    ``a[0]=1&a[1]=2`` and repeated keys, as LoopBack's query parser reads them."""
    result: dict[str, Any] = {}
    for key, value in items:
        path = _split_key(key)
        if path is None:
            _put(result, [key], value)
        else:
            _put(result, path, value)
    return result


_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])+)$")
_PART = re.compile(r"\[([^\[\]]*)\]")


def _split_key(key: str) -> list[str] | None:
    match = _KEY.match(key)
    if not match:
        return None
    parts = [match.group(1)] + _PART.findall(match.group(2))
    if len(parts) > MAX_DEPTH * 3:
        raise FilterError(f"query parameter `{key[:40]}...` nests too deeply", "QUERY_OBJECT_TOO_DEEP")
    return parts


def _put(target: dict, path: list[str], value: str) -> None:
    node: Any = target
    for i, part in enumerate(path):
        last = i == len(path) - 1
        if isinstance(node, list):
            # `a[]` followed by more brackets: a new object per item is rarely meant; keep simple
            node.append({} if not last else value)
            node = node[-1]
            continue
        if part == "":
            part = str(sum(1 for k in node if k.isdigit()))
        if last:
            if part in node:
                existing = node[part]
                if isinstance(existing, list):
                    existing.append(value)
                else:
                    node[part] = [existing, value]
            else:
                node[part] = value
        else:
            child = node.get(part)
            if not isinstance(child, (dict, list)):
                child = {} if child is None else child
                if not isinstance(child, (dict, list)):
                    raise FilterError(
                        f"query parameter `{path[0]}` gives `{part}` both a value and members"
                    )
                node[part] = child
            node = child


# ---------------------------------------------------------------------------------------------
# Evaluation in Python (the memory connector, and whatever a connector cannot do natively)

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


# ---------------------------------------------------------------------------------------------
# Connectors that evaluate part of a filter


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
    def none(cls) -> "Capabilities":
        """A connector that evaluates no part of a filter: lbpy does all of it in Python."""
        return cls(operators=frozenset(), fields=False, order=False, limit=False, nested_paths=False)


ALL_CAPABILITIES = Capabilities()


def where_supported(where: dict | None, caps: Capabilities) -> bool:
    if where is None:
        return True
    (key, value), = where.items()
    if key in ("and", "or"):
        return key in caps.operators and all(where_supported(w, caps) for w in value)
    (op, _), = value.items()
    return op in caps.operators and (caps.nested_paths or "." not in key)


def split_filter(flt: Filter, caps: Capabilities) -> tuple[Filter, Callable[[list], list] | None]:
    """The part of ``flt`` to send to a connector with ``caps``, and the Python step that finishes it."""
    if caps == ALL_CAPABILITIES:
        return flt, None
    where_ok = where_supported(flt.where, caps)
    pushed_where = flt.where
    if not where_ok:
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


def _supported_conjuncts(where: dict, caps: Capabilities) -> dict | None:
    """The conditions of a top-level and that the connector can evaluate; they narrow the fetch."""
    (key, value), = where.items()
    if key != "and" or "and" not in caps.operators:
        return None
    kept = [w for w in value if where_supported(w, caps)]
    if not kept:
        return None
    return kept[0] if len(kept) == 1 else {"and": kept}


def where_to_json(where: dict) -> dict:
    (key, value), = where.items()
    if key in ("and", "or"):
        return {key: [where_to_json(w) for w in value]}
    (op, operand), = value.items()
    if isinstance(operand, re.Pattern):
        flags = "i" if operand.flags & re.IGNORECASE else ""
        operand = f"/{operand.pattern}/{flags}"
    return {key: {op: operand}}


def conjunction(*wheres: dict | None) -> dict | None:
    parts = [w for w in wheres if w is not None]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else {"and": parts}

"""LoopBack's validations: presence, absence, length, format, inclusion, exclusion, numericality
and uniqueness, with LoopBack's error codes and messages (a 422 ``ValidationError``).

They are declared from Python (``Model.validates_length_of("title", min=3)``) or in the model
JSON's ``validations`` array, one object per rule::

    "validations": [
      {"type": "presence", "property": "title"},
      {"type": "length", "property": "title", "min": 3, "max": 100},
      {"type": "format", "property": "code", "with": "^[A-Z]{3}$", "message": "must be 3 capitals"},
      {"type": "inclusion", "property": "size", "in": ["S", "M", "L"]},
      {"type": "exclusion", "property": ["name", "nick"], "in": ["admin"]},
      {"type": "numericality", "property": "age", "int": true},
      {"type": "absence", "property": "password", "unless": "invited"},
      {"type": "uniqueness", "property": "email", "scopedTo": ["tenant"]}
    ]

``type`` is the rule's name as LoopBack's error codes spell it, or LoopBack's method name
(``"validatesLengthOf"``); the other keys are the method's options (``message``, ``allowNull``,
``allowBlank``, ``if``, ``unless``, and the rule's own: ``min``/``max``/``is``, ``with``, ``in``,
``int``, ``scopedTo``/``ignoreCase``). This is the shape loopback-workspace stored validations in
(its PropertyValidation: ``type``, ``min``, ``max``, ``with``, ...), with the property named.

As in LoopBack, a rule other than presence/absence on a missing value fails with
``<rule>.blank`` ("is blank"), or on null with ``<rule>.null`` ("is null"), unless
``allowBlank``/``allowNull`` says otherwise, and errors are listed property by property (required
properties first). ``if``/``unless`` name a property: the rule applies only when it is (is not)
set. A partial update (PATCH) checks the properties it changes. Uniqueness queries the datasource,
after the "before save" hooks.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .._errors import BootError
from .._filter import Filter

if TYPE_CHECKING:
    from ._persisted import Model

#: LoopBack's default messages
MESSAGES: dict[str, Any] = {
    "presence": "can't be blank",
    "absence": "can't be set",
    "length": {"min": "too short", "max": "too long", "is": "length is wrong"},
    "numericality": {"int": "is not an integer", "number": "is not a number"},
    "inclusion": "is not included in the list",
    "exclusion": "is reserved",
    "format": "is invalid",
    "uniqueness": "is not unique",
}
COMMON = {"blank": "is blank", "null": "is null"}

KINDS = ("presence", "absence", "length", "format", "inclusion", "exclusion", "numericality", "uniqueness")
METHOD_NAMES = {f"validates{kind.capitalize()}Of": kind for kind in KINDS}

#: the options each rule takes, in the model JSON's spelling
_COMMON_OPTIONS = {"message", "allowNull", "allowBlank", "if", "unless"}
_RULE_OPTIONS = {
    "presence": set(),
    "absence": set(),
    "length": {"min", "max", "is"},
    "format": {"with"},
    "inclusion": {"in"},
    "exclusion": {"in"},
    "numericality": {"int"},
    "uniqueness": {"scopedTo", "ignoreCase"},
}
_MISSING = object()


@dataclass
class Rule:
    """One validation of one property."""

    kind: str
    property: str
    options: dict[str, Any] = field(default_factory=dict)
    check: Callable[[Any, Rule], str | None] | None = None  # returns the failed kind, "" for plain

    def message(self, sub: str) -> str:
        custom = self.options.get("message")
        if isinstance(custom, str) and custom:
            # LoopBack's own message for a missing or null value wins over the rule's one message
            return COMMON.get(sub, custom)
        if isinstance(custom, dict) and sub and custom.get(sub):
            return str(custom[sub])
        default = MESSAGES.get(self.kind, "is invalid")
        if sub:
            if isinstance(default, dict) and sub in default:
                result: str = default[sub]
                return result
            return COMMON.get(sub, "is invalid")
        return default if isinstance(default, str) else "is invalid"

    def code(self, sub: str) -> str:
        base = self.options.get("code") or self.kind
        return f"{base}.{sub}" if sub else base

    def applies(self, record: dict[str, Any]) -> bool:
        condition = self.options.get("if")
        if condition is not None and not _condition(condition, record):
            return False
        condition = self.options.get("unless")
        return not (condition is not None and _condition(condition, record))


def _condition(condition: Any, record: dict[str, Any]) -> bool:
    if callable(condition):
        return bool(condition(record))
    return bool(record.get(condition))


def blank(value: Any) -> bool:
    """LoopBack's blank: missing, None, "", [] or NaN."""
    if value is _MISSING or value is None or value == "" or (isinstance(value, list) and not value):
        return True
    return isinstance(value, float) and math.isnan(value)


def _null_check(value: Any, rule: Rule) -> str | None:
    """``blank``/``null`` when the value is missing, unless allowed; "skip" when allowed."""
    if value is _MISSING or value == "":
        return "skip" if rule.options.get("allowBlank") else "blank"
    if value is None:
        return "skip" if rule.options.get("allowNull") else "null"
    return None


def _presence(value: Any, rule: Rule) -> str | None:
    return "" if blank(value) else None


def _absence(value: Any, rule: Rule) -> str | None:
    return None if blank(value) else ""


def _length(value: Any, rule: Rule) -> str | None:
    missing = _null_check(value, rule)
    if missing:
        return None if missing == "skip" else missing
    try:
        size = len(value)
    except TypeError:
        return ""
    options = rule.options
    if options.get("min") and size < options["min"]:
        return "min"
    if options.get("max") and size > options["max"]:
        return "max"
    if options.get("is") and size != options["is"]:
        return "is"
    return None


def _numericality(value: Any, rule: Rule) -> str | None:
    missing = _null_check(value, rule)
    if missing:
        return None if missing == "skip" else missing
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
        return "number"
    if rule.options.get("int") and value != round(value):
        return "int"
    return None


def _inclusion(value: Any, rule: Rule) -> str | None:
    missing = _null_check(value, rule)
    if missing:
        return None if missing == "skip" else missing
    return None if value in rule.options["in"] else ""


def _exclusion(value: Any, rule: Rule) -> str | None:
    missing = _null_check(value, rule)
    if missing:
        return None if missing == "skip" else missing
    return "" if value in rule.options["in"] else None


def _format(value: Any, rule: Rule) -> str | None:
    missing = _null_check(value, rule)
    if missing:
        return None if missing == "skip" else missing
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return ""
    text = value if isinstance(value, str) else repr(value)
    return None if rule.options["_regex"].search(text) else ""


CHECKS: dict[str, Callable[[Any, Rule], str | None]] = {
    "presence": _presence,
    "absence": _absence,
    "length": _length,
    "format": _format,
    "inclusion": _inclusion,
    "exclusion": _exclusion,
    "numericality": _numericality,
}


# -- declaring ---------------------------------------------------------------------------------


def make_rule(kind: str, prop: str, options: dict[str, Any]) -> Rule:
    """A rule from LoopBack's options (JSON spelling); raises ValueError naming what is wrong."""
    kind = METHOD_NAMES.get(kind, kind)
    if kind not in KINDS:
        raise ValueError(f'unknown validation "{kind}"; use one of: {", ".join(KINDS)}')
    allowed = _COMMON_OPTIONS | _RULE_OPTIONS[kind] | {"code"}
    unknown = [key for key in options if key not in allowed]
    if unknown:
        raise ValueError(
            f'{kind} validation of "{prop}" has an unknown option "{unknown[0]}"; it takes: '
            + ", ".join(sorted(allowed - {"code"}))
        )
    options = dict(options)
    if kind == "length":
        if not any(options.get(key) is not None for key in ("min", "max", "is")):
            raise ValueError(f'length validation of "{prop}" needs "min", "max" or "is"')
        for key in ("min", "max", "is"):
            if options.get(key) is not None and (
                not isinstance(options[key], int) or isinstance(options[key], bool) or options[key] < 0
            ):
                raise ValueError(f'length validation of "{prop}": "{key}" must be a whole number')
    elif kind == "format":
        pattern = options.get("with")
        if isinstance(pattern, re.Pattern):
            options["_regex"] = pattern
        elif isinstance(pattern, str) and pattern:
            try:
                options["_regex"] = re.compile(_js_regex(pattern))
            except re.error as exc:
                raise ValueError(
                    f'format validation of "{prop}": "with" is not a valid regular expression: {exc}'
                ) from None
        else:
            raise ValueError(f'format validation of "{prop}" needs "with": a regular expression')
    elif kind in ("inclusion", "exclusion"):
        values = options.get("in")
        if not isinstance(values, (list, tuple, set, frozenset)):
            raise ValueError(f'{kind} validation of "{prop}" needs "in": a list of values')
        options["in"] = list(values)
    elif kind == "uniqueness":
        scoped = options.get("scopedTo") or []
        if isinstance(scoped, str):
            scoped = [scoped]
        if not isinstance(scoped, list) or not all(isinstance(s, str) for s in scoped):
            raise ValueError(f'uniqueness validation of "{prop}": "scopedTo" must be a list of property names')
        options["scopedTo"] = scoped
    message = options.get("message")
    if message is not None and not isinstance(message, (str, dict)):
        raise ValueError(f'{kind} validation of "{prop}": "message" must be text or an object of texts')
    return Rule(kind, prop, options, CHECKS.get(kind))


def _js_regex(pattern: str) -> str:
    """``/^a+$/i`` (a JavaScript literal, as LoopBack apps write it) or a bare pattern."""
    match = re.fullmatch(r"/(.*)/([gimsuy]*)", pattern, re.S)
    if not match:
        return pattern
    flags = "".join(f for f in match.group(2) if f in "ims")
    return f"(?{flags}){match.group(1)}" if flags else match.group(1)


def python_options(options: dict[str, Any]) -> dict[str, Any]:
    """Keyword arguments of the Python API in LoopBack's JSON spelling (``min``, ``is_`` ->
    ``is``, ``with_`` -> ``with``, ``in_`` -> ``in``, ``allow_null``, ``scoped_to``, ``if_``)."""
    spelled = {
        "is_": "is",
        "with_": "with",
        "in_": "in",
        "if_": "if",
        "allow_null": "allowNull",
        "allow_blank": "allowBlank",
        "scoped_to": "scopedTo",
        "ignore_case": "ignoreCase",
    }
    return {spelled.get(key, key): value for key, value in options.items() if value is not None}


def add(model: type[Model], kind: str, properties: tuple[str, ...], options: dict[str, Any]) -> list[Rule]:
    """Add a rule for each of ``properties`` to ``model`` (the Python API)."""
    if not properties:
        raise ValueError(f"validates_{kind}_of needs at least one property name")
    rules = []
    for prop in properties:
        if not isinstance(prop, str):
            raise TypeError(f"property names must be strings, not {type(prop).__name__}")
        if prop not in model.spec.properties and model.spec.strict:
            known = ", ".join(model.spec.properties) or "none"
            raise ValueError(f'{model.spec.name} has no property "{prop}" to validate (properties: {known})')
        rules.append(make_rule(kind, prop, options))
    install(model, rules)
    return rules


def from_json(model: type[Model], items: list[Any], source: str) -> None:
    """The model JSON's ``validations`` array."""
    rules = []
    for index, given in enumerate(items):
        where = f"{source}: validations[{index}]"
        if not isinstance(given, dict):
            raise BootError(f'{where} must be an object such as {{"type": "presence", "property": "title"}}')
        item = dict(given)
        kind = item.pop("type", None) or item.pop("validation", None)
        props = item.pop("property", None)
        if props is None:
            props = item.pop("properties", None)
        if not isinstance(kind, str):
            raise BootError(f'{where} needs a "type": one of {", ".join(KINDS)}')
        if isinstance(props, str):
            props = [props]
        if not props or not isinstance(props, list) or not all(isinstance(p, str) for p in props):
            raise BootError(f'{where} needs a "property": the name of the property to validate')
        for prop in props:
            if prop not in model.spec.properties:
                known = ", ".join(model.spec.properties) or "none"
                raise BootError(f'{where}: "{prop}" is not a property of {model.spec.name} (properties: {known})')
            try:
                rules.append(make_rule(kind, prop, item))
            except ValueError as exc:
                raise BootError(f"{where}: {exc}") from None
    install(model, rules)


def install(model: type[Model], rules: list[Rule]) -> None:
    sync = [r for r in rules if r.kind != "uniqueness"]
    unique = [r for r in rules if r.kind == "uniqueness"]
    if sync:
        # LoopBack kept rules per property (required ones first) and reported errors in that order
        runtime = model._runtime
        by_property = runtime.rules_by_property or {
            name: [] for name, prop in model.spec.properties.items() if prop.required
        }
        for rule in sync:
            by_property.setdefault(rule.property, []).append(_validator(rule))
        runtime.rules_by_property = by_property
        runtime.validators = [validate for validators in by_property.values() for validate in validators]
    if unique:
        model._runtime.unique_rules = model._runtime.unique_rules + unique


def _validator(rule: Rule) -> Callable[[dict[str, Any], dict[str, Any], str], None]:
    check = rule.check
    assert check is not None  # every rule but uniqueness (checked against the store) has one
    prop = rule.property

    def validate(values: dict[str, Any], errors: dict[str, Any], mode: str) -> None:
        # a partial update checks what it changes, as the rest of the record is already stored
        if mode == "patch" and prop not in values:
            return
        if not rule.applies(values):
            return
        failed = check(values.get(prop, _MISSING), rule)
        if failed is not None:
            errors.setdefault(prop, []).append((rule.code(failed), rule.message(failed)))

    validate.rule = rule  # type: ignore[attr-defined]  # the rule travels with its validator function
    return validate


# -- uniqueness: asks the datasource ----------------------------------------------------------


async def unique_errors(
    model: type[Model],
    values: dict[str, Any],
    mode: str,
    current_id: Any,
    options: dict[str, Any],
    record: dict[str, Any] | None = None,
) -> dict[str, list[tuple[str, str]]]:
    """Uniqueness failures of ``values`` against the stored records (``current_id`` is the record
    being updated, which does not count against itself; ``record`` is the whole record a partial
    update will leave)."""
    errors: dict[str, list[tuple[str, str]]] = {}
    ds = model._require_datasource()
    id_name = model.spec.id_name
    record = values if record is None else record
    for rule in model._runtime.unique_rules:
        prop = rule.property
        scoped = rule.options.get("scopedTo") or ()
        if mode == "patch" and prop not in values and not any(s in values for s in scoped):
            continue
        value = record.get(prop)
        if blank(value) or not rule.applies(record):
            continue
        where = _unique_where(rule, prop, value, record)
        rows = await ds.all(model.spec.name, _filter(where, 2), options)
        clash = len(rows) > 1 or (
            len(rows) == 1 and (current_id is None or id_name is None or rows[0].get(id_name) != current_id)
        )
        if clash:
            errors.setdefault(prop, []).append((rule.code(""), rule.message("")))
    return errors


def _unique_where(rule: Rule, prop: str, value: Any, values: dict[str, Any]) -> dict[str, Any]:
    if rule.options.get("ignoreCase") and isinstance(value, str):
        condition = {prop: {"regexp": re.compile("^" + re.escape(value) + "$", re.IGNORECASE)}}
    else:
        condition = {prop: {"eq": value}}
    parts = [condition]
    for other in rule.options.get("scopedTo") or ():
        if other in values:
            parts.append({other: {"eq": values[other]}})
    return parts[0] if len(parts) == 1 else {"and": parts}


def _filter(where: dict[str, Any], limit: int) -> Filter:
    return Filter(where=where, limit=limit)


def batch_duplicates(model: type[Model], items: list[dict[str, Any]]) -> list[dict[str, list[tuple[str, str]]]]:
    """Uniqueness failures among the items of one batch create (the later of two equal items)."""
    failures: list[dict[str, list[tuple[str, str]]]] = [{} for _ in items]
    for rule in model._runtime.unique_rules:
        seen: set[Any] = set()
        for index, values in enumerate(items):
            value = values.get(rule.property)
            if blank(value) or not rule.applies(values):
                continue
            key_value = value.lower() if rule.options.get("ignoreCase") and isinstance(value, str) else value
            key = (key_value, *(_hashable(values.get(o)) for o in rule.options.get("scopedTo") or ()))
            key = tuple(_hashable(k) for k in key)
            if key in seen:
                failures[index].setdefault(rule.property, []).append((rule.code(""), rule.message("")))
            seen.add(key)
    return failures


def _hashable(value: Any) -> Any:
    try:
        hash(value)
        return value
    except TypeError:
        return repr(value)

"""A record as LoopBack answers it: JSON values, LoopBack's property order, hidden properties out."""

from __future__ import annotations

from typing import Any

from .._json_values import json_value
from ._definition import ModelSpec


def is_record(value: Any) -> bool:
    """Whether ``value`` is a model instance (one record), without importing the model class."""
    return isinstance(getattr(value, "__data__", None), dict) and hasattr(type(value), "spec")


def to_json(spec: ModelSpec, data: dict[str, Any], *, nested: bool = False) -> dict[str, Any]:
    """A record as JSON values, in LoopBack's order (declared properties as the definition lists
    them, then undeclared ones); hidden properties removed, and protected ones when nested."""
    hidden = spec.hidden | spec.protected if nested else spec.hidden
    embedded = spec.embedded
    out = {}
    seen = 0
    for key in spec.properties:
        if key in data:
            seen += 1
            if key not in hidden:
                value = data[key]
                if value.__class__ in _JSON_SCALARS:
                    out[key] = value
                elif embedded and key in embedded:
                    out[key] = _embedded_json(embedded[key], value, nested)
                else:
                    out[key] = json_value(value)
    if seen < len(data):
        properties = spec.properties
        relations = spec.relations
        for key, value in data.items():
            if key not in properties and key not in hidden:
                out[key] = _related_json(value) if key in relations else json_value(value)
    return out


def _embedded_json(spec: ModelSpec, value: Any, nested: bool) -> Any:
    """An embedded record (or a list of them) as JSON, without its own model's hidden properties
    (and protected ones, where its owner is nested)."""
    if isinstance(value, dict):
        return to_json(spec, value, nested=nested)
    if is_record(value):
        return to_json(type(value).spec, value.__data__, nested=nested)
    if isinstance(value, (list, tuple)):
        return [_embedded_json(spec, item, nested) for item in value]
    return json_value(value)


def _related_json(value: Any) -> Any:
    """Included records: their own model's hidden and protected properties are left out."""
    if is_record(value):
        return to_json(type(value).spec, value.__data__, nested=True)
    if isinstance(value, (list, tuple)):
        return [_related_json(item) for item in value]
    return json_value(value)


_JSON_SCALARS = frozenset([str, int, float, bool, type(None)])

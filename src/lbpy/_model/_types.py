"""Property types: LoopBack's type names, how input values are coerced, how values leave as JSON.

Every type is one small object built once at boot. ``coerce`` turns an input value (from a JSON
body, a query string or Python code) into lbpy's internal value, or raises ``CoercionError``.
Internal values are plain Python: str, int/float, bool, datetime (aware, UTC), dict, list,
bytes, and ``{"lat", "lng"}`` dicts for geopoints.
"""

from __future__ import annotations

import base64
import math
import re
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from .._json_values import format_date


class CoercionError(ValueError):
    """A value cannot be read as its property's type; ``code`` is LoopBack's validation code."""

    def __init__(self, message: str, code: str = "invalid") -> None:
        super().__init__(message)
        self.code = code


class Type:
    name = "any"
    #: values of this type compare as numbers/dates in filters (gt, between, order)
    ordered = False

    def coerce(self, value: Any) -> Any:
        return value

    def coerce_query(self, value: Any) -> Any:
        """Coerce a value that arrived in a filter; query strings carry text only."""
        return self.coerce(value)

    def describe(self) -> str:
        return self.name


class AnyType(Type):
    name = "any"


class StringType(Type):
    name = "string"
    ordered = True

    def coerce(self, value: Any) -> Any:
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (int, float)):
            return format_number(value)
        if isinstance(value, datetime):
            return format_date(value)
        raise CoercionError("is not a string", "string")


class NumberType(Type):
    name = "number"
    ordered = True

    def coerce(self, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, bool):
            raise CoercionError("is not a number", "number")
        if isinstance(value, int):
            return value
        if isinstance(value, float):
            if math.isnan(value) or math.isinf(value):
                raise CoercionError("is not a number", "number")
            return normalise_number(value)
        if isinstance(value, str):
            text = value.strip()
            if not text:
                return None  # an empty form field is no value, not zero
            if _NUMBER.fullmatch(text):
                return normalise_number(float(text)) if _FLOATY.search(text) else int(text)
        raise CoercionError("is not a number", "number")

    def coerce_query(self, value: Any) -> Any:
        return None if value == "null" else self.coerce(value)


_NUMBER = re.compile(r"[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?")
_FLOATY = re.compile(r"[.eE]")


def normalise_number(value: float) -> int | float:
    """JSON numbers have no int/float split: 12.0 is 12, as LoopBack answers it."""
    if value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def format_number(value: int | float) -> str:
    return str(normalise_number(value)) if isinstance(value, float) else str(value)


class BooleanType(Type):
    name = "boolean"
    ordered = True
    _TRUE = frozenset({"true", "1", "yes", "on"})
    _FALSE = frozenset({"false", "0", "no", "off"})

    def coerce(self, value: Any) -> Any:
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, (int, float)) and value in (0, 1):
            return bool(value)
        if isinstance(value, str):
            text = value.strip().lower()
            if text in self._TRUE:
                return True
            if text in self._FALSE:
                return False
            if not text:
                return None
        raise CoercionError("is not a boolean", "boolean")

    def coerce_query(self, value: Any) -> Any:
        return None if value == "null" else self.coerce(value)


class DateType(Type):
    name = "date"
    ordered = True

    def coerce(self, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, datetime):
            return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        if isinstance(value, bool):
            raise CoercionError("is not a valid date", "date")
        if isinstance(value, (int, float)):
            try:
                return datetime.fromtimestamp(value / 1000, tz=timezone.utc)
            except (OverflowError, OSError, ValueError):
                raise CoercionError("is not a valid date", "date") from None
        if isinstance(value, str):
            # "" too: LoopBack 3 answers 422 "is not a valid date" (new Date("") is Invalid Date)
            parsed = parse_date(value)
            if parsed is None:
                raise CoercionError("is not a valid date", "date")
            return parsed
        raise CoercionError("is not a valid date", "date")

    def coerce_query(self, value: Any) -> Any:
        if value == "null" or (isinstance(value, str) and not value.strip()):
            return None  # an empty query field is no value
        if isinstance(value, str) and _INTEGER.fullmatch(value.strip()):
            return self.coerce(int(value))
        return self.coerce(value)


_INTEGER = re.compile(r"-?\d{1,15}")
_YEAR_MONTH = re.compile(r"\d{4}(-\d{2})?")


def parse_date(text: str) -> datetime | None:
    """ISO 8601 dates and date-times; a date-time without an offset is UTC, as in JavaScript."""
    text = text.strip()
    if not text:
        return None
    if _YEAR_MONTH.fullmatch(text):
        text += "-01" if len(text) == 7 else "-01-01"
    candidate = text[:-1] + "+00:00" if text[-1:] in "zZ" else text
    try:
        parsed = datetime.fromisoformat(candidate)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    try:
        return parsed.astimezone(timezone.utc)
    except OverflowError:  # 0001-01-01T00:05+10:06 is before year 1 in UTC
        return None


class ObjectType(Type):
    name = "object"

    def coerce(self, value: Any) -> Any:
        if value is None or isinstance(value, dict):
            return value
        raise CoercionError("is not an object", "object")


class ArrayType(Type):
    name = "array"

    def __init__(self, item: Type | None = None) -> None:
        self.item = item or AnyType()

    def describe(self) -> str:
        return f"[{self.item.describe()}]"

    def coerce(self, value: Any) -> Any:
        if value is None:
            return None
        if not isinstance(value, list):
            raise CoercionError("is not an array", "array")
        if isinstance(self.item, AnyType):
            return list(value)
        coerce_item = self.item.coerce
        try:
            return [coerce_item(item) for item in value]
        except CoercionError as exc:
            raise CoercionError(f"has an item that {exc}", exc.code) from None

    def coerce_query(self, value: Any) -> Any:
        # a filter on an array property names one item ({"tags": "a"}) or a list of them
        if isinstance(value, list):
            return [self.item.coerce_query(item) for item in value]
        return self.item.coerce_query(value)


class BufferType(Type):
    name = "buffer"

    def coerce(self, value: Any) -> Any:
        if value is None or isinstance(value, bytes):
            return value
        if isinstance(value, str):
            try:
                return base64.b64decode(value, validate=True)
            except ValueError:
                raise CoercionError("is not a base64 string", "buffer") from None
        if isinstance(value, dict) and value.get("type") == "Buffer":
            try:
                return bytes(value.get("data") or [])
            except (TypeError, ValueError):
                raise CoercionError("is not a buffer", "buffer") from None
        if isinstance(value, list):
            try:
                return bytes(value)
            except (TypeError, ValueError):
                raise CoercionError("is not a buffer", "buffer") from None
        raise CoercionError("is not a buffer", "buffer")


class GeoPointType(Type):
    name = "geopoint"

    def coerce(self, value: Any) -> Any:
        if value is None:
            return None
        lat = lng = None
        if isinstance(value, dict):
            lat, lng = value.get("lat"), value.get("lng")
        elif isinstance(value, str) and value.count(",") == 1:
            lat, lng = value.split(",")
        elif isinstance(value, list) and len(value) == 2:
            lat, lng = value
        try:
            lat, lng = _to_float(lat), _to_float(lng)
        except (TypeError, ValueError):
            raise CoercionError("is not a valid geopoint", "geopoint") from None
        if not (-90 <= lat <= 90 and -180 <= lng <= 180):
            raise CoercionError("is not a valid geopoint", "geopoint")
        return {"lat": normalise_number(lat), "lng": normalise_number(lng)}


def _to_float(value: Any) -> float:
    if isinstance(value, bool) or value is None:
        raise TypeError
    result = float(value)
    if math.isnan(result) or math.isinf(result):
        raise ValueError
    return result


class ModelType(Type):
    """A property whose type is another model: an embedded object coerced by that model."""

    ordered = False

    def __init__(self, model_name: str) -> None:
        self.name = model_name
        self.coerce_record: Callable[[dict[str, Any]], dict[str, Any]] | None = None  # bound at boot

    def coerce(self, value: Any) -> Any:
        if value is None:
            return None
        if not isinstance(value, dict):
            raise CoercionError(f"is not a {self.name} object", "object")
        return self.coerce_record(value) if self.coerce_record else value


BUILTIN_TYPES: dict[str, Callable[[], Type]] = {
    "string": StringType,
    "number": NumberType,
    "boolean": BooleanType,
    "date": DateType,
    "object": ObjectType,
    "array": ArrayType,
    "any": AnyType,
    "buffer": BufferType,
    "geopoint": GeoPointType,
}

#: JSON-schema-ish names LoopBack also accepted
_ALIASES = {
    "integer": "number",
    "float": "number",
    "double": "number",
    "text": "string",
    "json": "object",
    "bool": "boolean",
    "datetime": "date",
    "*": "any",
}


def resolve_type(spec: Any, model_names: set[str] | dict[str, Any]) -> Type:
    """A Type for a LoopBack type declaration: "string", ["string"], {"type": ...}, "Address"."""
    if isinstance(spec, list):
        if len(spec) > 1:
            raise ValueError(f"an array type lists one item type, not {len(spec)}")
        return ArrayType(resolve_type(spec[0], model_names) if spec else None)
    if isinstance(spec, dict):
        if "type" not in spec:
            raise ValueError('an inline object type needs a "type"')
        return resolve_type(spec["type"], model_names)
    if not isinstance(spec, str) or not spec:
        raise ValueError(f"unknown type {spec!r}")
    lowered = spec.lower()
    lowered = _ALIASES.get(lowered, lowered)
    if lowered in BUILTIN_TYPES:
        return BUILTIN_TYPES[lowered]()
    if spec in model_names:
        return ModelType(spec)
    raise ValueError(f'unknown type "{spec}"')

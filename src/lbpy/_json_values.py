"""Python values as LoopBack's JSON values: the one encoder for storage, answers and events.

A date is written as JavaScript's ``Date.prototype.toJSON`` wrote it (UTC, milliseconds, a
trailing ``Z``) and a buffer as Node's ``Buffer.toJSON`` (``{"type": "Buffer", "data": [...]}``),
so that the memory connector's file, JSON columns in SQL, REST answers and change-stream events
all hold the same text LoopBack wrote. ``loads`` reads a client's JSON the way JavaScript's
``JSON.parse`` did for LoopBack, refusing what could not be stored and answered again.
"""

from __future__ import annotations

import json
import math
import re
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any


def format_date(value: datetime) -> str:
    """JavaScript's Date.prototype.toJSON: UTC, milliseconds, a trailing Z."""
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc)
    # four-digit years always (strftime writes year 299 as "299", which is not RFC 3339)
    return (
        f"{value.year:04d}-{value.month:02d}-{value.day:02d}T{value.hour:02d}:{value.minute:02d}:"
        f"{value.second:02d}.{value.microsecond // 1000:03d}Z"
    )


def buffer_json(value: bytes | bytearray) -> dict[str, Any]:
    """Node's ``Buffer.toJSON``."""
    return {"type": "Buffer", "data": list(value)}


def json_default(value: Any) -> Any:
    """For ``json.dumps(..., default=json_default)`` when storing: dates and buffers; any other
    value that is not JSON is a TypeError (it must never be stored half-written)."""
    if isinstance(value, datetime):
        return format_date(value)
    if isinstance(value, (bytes, bytearray)):
        return buffer_json(value)
    raise TypeError(f"{type(value).__name__} cannot be stored as JSON")


def json_value(value: Any) -> Any:
    """``value`` with every date, buffer and record (anything with ``to_json()``) inside it
    written as JSON values; other values are left as they are."""
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, datetime):
        return format_date(value)
    if isinstance(value, dict):
        return {k: json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_value(v) for v in value]
    if isinstance(value, (bytes, bytearray)):
        return buffer_json(value)
    to_json = getattr(value, "to_json", None)
    return to_json() if callable(to_json) else value


#: how deeply a client's JSON may nest (orjson, which writes every answer, stops at 255)
MAX_JSON_DEPTH = 100

_LONG_INTEGER = re.compile(r"\d{19}")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


class UnusableJsonError(ValueError):
    """JSON that parses, but that no store could keep and no answer could hold."""


class JsonTooDeepError(UnusableJsonError):
    """JSON nested deeper than ``MAX_JSON_DEPTH``."""


def loads(text: str | bytes) -> Any:
    """A client's JSON text as Python values. An integer beyond 64 bits is read as a double, as
    ``JSON.parse`` reads every number; nesting deeper than ``MAX_JSON_DEPTH`` and a lone UTF-16
    surrogate escape (``"\\ud800"``, which is no text) are an ``UnusableJsonError``; text that is
    not JSON is the ``ValueError`` ``json.loads`` raises."""
    if isinstance(text, (bytes, bytearray)):
        text = text.decode("utf-8")
    try:
        value = json.loads(text, parse_int=_javascript_integer if _LONG_INTEGER.search(text) else None)
    except RecursionError:
        raise JsonTooDeepError(f"it is nested more than {MAX_JSON_DEPTH} levels deep") from None
    if (text.count("[") + text.count("{") > MAX_JSON_DEPTH) and _depth(value) > MAX_JSON_DEPTH:
        raise JsonTooDeepError(f"it is nested more than {MAX_JSON_DEPTH} levels deep")
    if _SURROGATE_ESCAPE.search(text) and _holds_lone_surrogate(value):
        raise UnusableJsonError("it holds a lone UTF-16 surrogate (\\ud800-\\udfff), which is no text")
    return value


def loads_stored(text: str | bytes) -> Any:
    """JSON a store holds (a JSON column, whoever wrote it) as Python values, its numbers read as
    ``loads`` reads a client's: an integer beyond 64 bits is the double JavaScript reads (so
    PostgreSQL's ``1000000000000000000000000000000`` for a stored ``1e30`` reads back as 1e30).
    Text that is not JSON comes back as the text itself: a stored value never makes a read fail."""
    if isinstance(text, (bytes, bytearray, memoryview)):
        text = bytes(text).decode("utf-8", "replace")
    try:
        return json.loads(text, parse_int=_javascript_integer if _LONG_INTEGER.search(text) else None)
    except (ValueError, RecursionError):
        return text


def javascript_number(value: int | float | Decimal) -> int | float:
    """A number as JavaScript holds it (a double), kept an exact ``int`` within 64 bits as ``loads``
    keeps a client's integers."""
    if isinstance(value, Decimal):
        if value.is_finite() and value == value.to_integral_value() and abs(value) < 2**63:
            return int(value)
        return float(value)
    if isinstance(value, int) and not -(2**63) <= value < 2**63:
        try:
            return float(value)
        except OverflowError:
            return math.inf if value > 0 else -math.inf
    return value


def _javascript_integer(digits: str) -> int | float:
    # float() of the text, not of int(text): Python refuses int() of 4,300 digits and more, and
    # float() of an int beyond a double's range, where JavaScript reads Infinity
    if len(digits) > 20:
        return float(digits)
    number = int(digits)
    return number if -(2**63) <= number < 2**63 else float(digits)


def encodable(value: Any, depth: int = 0) -> Any:
    """The nearest JSON value to ``value``, for an answer that could not be written as it is (a
    connector's integer beyond 64 bits, a ``Decimal``, a lone surrogate, nesting deeper than any
    client may send, an object of no JSON type): numbers as JavaScript holds them, dates and
    buffers as ``json_value`` writes them, anything else as its text."""
    if value is None or isinstance(value, (bool, float)):
        return value
    if isinstance(value, (int, Decimal)):
        return javascript_number(value)
    if isinstance(value, str):
        return _valid_text(value)
    if depth > MAX_JSON_DEPTH:
        return None
    if isinstance(value, dict):
        return {_valid_text(str(k)): encodable(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [encodable(v, depth + 1) for v in value]
    if isinstance(value, datetime):
        return format_date(value)
    if isinstance(value, date):
        return format_date(datetime(value.year, value.month, value.day, tzinfo=timezone.utc))
    if isinstance(value, (bytes, bytearray, memoryview)):
        return buffer_json(bytes(value))
    to_json = getattr(value, "to_json", None)
    if callable(to_json):
        return encodable(to_json(), depth + 1)
    return _valid_text(str(value))


def _valid_text(text: str) -> str:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: U+FFFD, as a UTF-8 decoder reads it
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text


def _depth(value: Any) -> int:
    deepest, pending = 0, [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, depth)
            if depth > MAX_JSON_DEPTH:
                return depth
            children = item.values() if isinstance(item, dict) else item
            pending.extend((child, depth + 1) for child in children)
    return deepest


def _holds_lone_surrogate(value: Any) -> bool:
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False

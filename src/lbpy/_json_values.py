"""Python values as LoopBack's JSON values: the one encoder for storage, answers and events.

A date is written as JavaScript's ``Date.prototype.toJSON`` wrote it (UTC, milliseconds, a
trailing ``Z``) and a buffer as Node's ``Buffer.toJSON`` (``{"type": "Buffer", "data": [...]}``),
so that the memory connector's file, JSON columns in SQL, REST answers and change-stream events
all hold the same text LoopBack wrote. ``loads`` reads a client's JSON the way JavaScript's
``JSON.parse`` did for LoopBack, refusing what could not be stored and answered again.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
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


def _javascript_integer(digits: str) -> int | float:
    number = int(digits)
    return number if -(2**63) <= number < 2**63 else float(number)


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

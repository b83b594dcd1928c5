"""Python values as LoopBack's JSON values: the one encoder for storage, answers and events.

A date is written as JavaScript's ``Date.prototype.toJSON`` wrote it (UTC, milliseconds, a
trailing ``Z``) and a buffer as Node's ``Buffer.toJSON`` (``{"type": "Buffer", "data": [...]}``),
so that the memory connector's file, JSON columns in SQL, REST answers and change-stream events
all hold the same text LoopBack wrote.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any


def format_date(value: datetime) -> str:
    """JavaScript's Date.prototype.toJSON: UTC, milliseconds, a trailing Z."""
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc)
    # four-digit years always (strftime writes year 299 as "299", which is not RFC 3339)
    return (f"{value.year:04d}-{value.month:02d}-{value.day:02d}T{value.hour:02d}:{value.minute:02d}:"
            f"{value.second:02d}.{value.microsecond // 1000:03d}Z")


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

"""JavaScript's rules where Python's differ, for code ported from LoopBack 3 by ``lbpy import-lb3``.

``'a' + 1``, ``==``, the truthiness of ``[]`` and ``{}``, ``String(x)`` and ``JSON.stringify`` do not
mean in JavaScript what their look-alikes mean in Python. Where the translator cannot tell the types
of the values, it writes a call to one of these functions, so that the Python does what the
JavaScript did; where it can tell, it writes plain Python instead. ``None`` stands for both ``null``
and ``undefined``, as in lbpy's records.

    add(1, "2") == "12"       to_string(3.0) == "3"        truthy([]) is True
    loose_equals("1", 1)      strict_equals(True, 1) is False
"""

from __future__ import annotations

import json
import logging
import math
from datetime import datetime, timezone
from http import HTTPStatus
from typing import Any, TypeGuard

from ._errors import HttpError

__all__ = [
    "add",
    "compare",
    "console",
    "divide",
    "error",
    "includes",
    "index_of",
    "iso_string",
    "item",
    "join",
    "json_stringify",
    "loose_equals",
    "number",
    "remainder",
    "round_half_up",
    "strict_equals",
    "to_string",
    "truthy",
    "type_of",
]


def _is_number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _plain(value: Any) -> Any:
    """A record as its data (a LoopBack instance behaves as its properties in these operations)."""
    to_dict = getattr(value, "to_dict", None)
    return to_dict() if callable(to_dict) and not isinstance(value, dict) else value


def truthy(value: Any) -> bool:
    """JavaScript's truthiness: ``[]`` and ``{}`` are true, ``NaN`` is false."""
    if value is None or value is False:
        return False
    if isinstance(value, str):
        return value != ""
    if _is_number(value):
        return value != 0 and not (isinstance(value, float) and math.isnan(value))
    return True


def number(value: Any) -> float | int:
    """``Number(value)``: JavaScript's conversion to a number (``NaN`` where it has none)."""
    if value is None:
        return math.nan  # undefined's (lbpy's None stands for both; null would be 0)
    if isinstance(value, bool):
        return int(value)
    if _is_number(value):
        return value
    if isinstance(value, str):
        text = value.strip()
        if text == "":
            return 0
        try:
            return int(text, 0) if text.lower().startswith(("0x", "0o", "0b")) else _integral(float(text))
        except ValueError:
            return math.nan
    if isinstance(value, list):
        return number(to_string(value))
    return math.nan


def _integral(value: float) -> float | int:
    return int(value) if value.is_integer() and abs(value) < 2**53 else value


def _number_text(value: float | int) -> str:
    if isinstance(value, int):
        return str(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    text = repr(value)
    if "e" in text:
        mantissa, exponent = text.split("e")
        sign = "-" if exponent.startswith("-") else "+"
        return f"{mantissa}e{sign}{exponent.lstrip('+-').lstrip('0') or '0'}"
    return text


def to_string(value: Any) -> str:
    """``String(value)``: ``3.0`` is ``"3"``, ``True`` is ``"true"``, ``None`` is ``"undefined"``,
    a list is its items joined with commas, an object is ``"[object Object]"``."""
    if value is None:
        return "undefined"
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if _is_number(value):
        return _number_text(value)
    if isinstance(value, list):
        return join(value, ",")
    if isinstance(value, datetime):
        local = value.astimezone()
        offset = local.strftime("%z")
        return local.strftime("%a %b %d %Y %H:%M:%S GMT") + offset + f" ({local.tzname()})"
    return "[object Object]"


def join(items: list[Any], separator: str = ",") -> str:
    """``items.join(separator)``: null and undefined items are empty strings."""
    return separator.join("" if item is None else to_string(item) for item in items)


def add(left: Any, right: Any) -> Any:
    """JavaScript's ``+``: strings when either side is one (or an object), numbers otherwise."""
    if _is_number(left) and _is_number(right):
        return left + right
    if isinstance(left, str) and isinstance(right, str):
        return left + right
    if isinstance(left, (str, list, dict, datetime)) or isinstance(right, (str, list, dict, datetime)):
        return to_string(left) + to_string(right)
    if hasattr(left, "to_dict") or hasattr(right, "to_dict"):
        return to_string(left) + to_string(right)
    return number(left) + number(right)


def remainder(left: Any, right: Any) -> float | int:
    """JavaScript's ``%``: the sign of the dividend, ``NaN`` for a zero divisor."""
    left, right = number(left), number(right)
    if right == 0 or math.isnan(left) or math.isnan(right) or math.isinf(left):
        return math.nan
    result = math.fmod(left, right)
    return int(result) if isinstance(left, int) and isinstance(right, int) else result


def round_half_up(value: Any) -> float | int:
    """``Math.round``: halves go up (``-2.5`` is ``-2``), unlike Python's ``round``."""
    result = number(value)
    if math.isnan(result) or math.isinf(result):
        return result
    return math.floor(result + 0.5)


def divide(left: Any, right: Any) -> float | int:
    """JavaScript's ``/``: a zero divisor gives ``Infinity``, ``-Infinity`` or ``NaN``, not an error."""
    left, right = number(left), number(right)
    if right == 0:
        if left == 0 or math.isnan(left):
            return math.nan
        return math.copysign(math.inf, left) * math.copysign(1, right)
    return _integral(left / right)


class _ServerError(HttpError):
    """A 5xx answered as LoopBack 3's error handler answered it: the status's standard phrase alone;
    the message stays the exception's text (``str(error)``, what ``err.message`` read)."""

    def __init__(self, message: str, status_code: int) -> None:
        super().__init__(HTTPStatus(status_code).phrase, status_code=status_code)
        self.detail = message

    def __str__(self) -> str:
        return self.detail


def error(message: str, *, status_code: Any = None, code: Any = None, name: Any = None) -> Exception:
    """``new Error(message)`` with ``statusCode`` (or ``status``), ``code`` and ``name`` set, to raise: a 4xx
    keeps its message and code; a 5xx answers its standard phrase; no status (or one under 400) is a 500."""
    status = number(status_code) if status_code is not None else None
    if status is None or math.isnan(status) or not float(status).is_integer() or not 400 <= status < 600:
        return RuntimeError(message)
    status = int(status)
    if status >= 500:
        try:
            return _ServerError(message, status) if status != 500 else RuntimeError(message)
        except ValueError:  # a status HTTP has no phrase for
            return RuntimeError(message)
    return HttpError(
        message,
        status_code=status,
        code=None if code is None else to_string(code),
        name=None if name is None else to_string(name),
    )


def item(container: Any, key: Any) -> Any:
    """``container[key]``: ``undefined`` (None) where JavaScript finds nothing, never an error."""
    if isinstance(container, (list, str)):
        if _is_number(key) and float(key).is_integer() and 0 <= key < len(container):
            return container[int(key)]
        if isinstance(key, str) and key.isdigit() and int(key) < len(container):
            return container[int(key)]
        return None
    if isinstance(container, dict):
        return container.get(key if isinstance(key, str) else to_string(key))
    getter = getattr(container, "get", None)
    if callable(getter) and isinstance(key, str):
        return getter(key)
    return None


def includes(container: Any, value: Any) -> bool:
    """``container.includes(value)`` for a string or an array."""
    if isinstance(container, str):
        return to_string(value) in container
    return any(strict_equals(candidate, value) or _both_nan(candidate, value) for candidate in container)


def _both_nan(left: Any, right: Any) -> bool:
    return isinstance(left, float) and isinstance(right, float) and math.isnan(left) and math.isnan(right)


def strict_equals(left: Any, right: Any) -> bool:
    """``===``: no conversion; ``True`` is not ``1``; objects and lists are equal only to themselves."""
    if _is_number(left) and _is_number(right):
        return left == right
    if isinstance(left, bool) or isinstance(right, bool):
        return left is right
    if isinstance(left, str) and isinstance(right, str):
        return left == right
    if left is None or right is None:
        return left is right
    if isinstance(left, (str, int, float)) or isinstance(right, (str, int, float)):
        return False
    if isinstance(left, datetime) or isinstance(right, datetime):
        return left is right
    return left is right


def loose_equals(left: Any, right: Any) -> bool:
    """``==``: null equals only null; numbers, strings and booleans compare as numbers."""
    if left is None or right is None:
        return left is None and right is None
    if type(left) is type(right) or (_is_number(left) and _is_number(right)):
        return strict_equals(left, right)
    scalar = (str, int, float, bool)
    if isinstance(left, scalar) and isinstance(right, scalar):
        return number(left) == number(right)
    if isinstance(left, scalar):
        return loose_equals(left, to_string(right))
    if isinstance(right, scalar):
        return loose_equals(to_string(left), right)
    return left is right


def compare(left: Any, operator: str, right: Any) -> bool:
    """``<``, ``<=``, ``>``, ``>=``: strings by code unit when both are strings, else as numbers
    (a comparison with ``undefined`` or ``NaN`` is false)."""
    if not (isinstance(left, str) and isinstance(right, str)):
        if isinstance(left, datetime) and isinstance(right, datetime):
            pass
        else:
            left = number(to_string(left)) if isinstance(left, list) else number(left)
            right = number(to_string(right)) if isinstance(right, list) else number(right)
            if math.isnan(left) or math.isnan(right):
                return False
    if operator == "<":
        return bool(left < right)
    if operator == "<=":
        return bool(left <= right)
    if operator == ">":
        return bool(left > right)
    if operator == ">=":
        return bool(left >= right)
    raise ValueError(f"not a comparison operator: {operator!r}")


def type_of(value: Any) -> str:
    """``typeof value``."""
    if value is None:
        return "undefined"
    if isinstance(value, bool):
        return "boolean"
    if _is_number(value):
        return "number"
    if isinstance(value, str):
        return "string"
    if callable(value):
        return "function"
    return "object"


def index_of(container: Any, item: Any) -> int:
    """``container.indexOf(item)`` for a string or a list: -1 when absent."""
    if isinstance(container, str):
        return container.find(item) if isinstance(item, str) else container.find(to_string(item))
    for index, candidate in enumerate(container):
        if strict_equals(candidate, item):
            return index
    return -1


def iso_string(value: datetime) -> str:
    """``date.toISOString()``: UTC with milliseconds and a ``Z``."""
    utc = value.astimezone(timezone.utc)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def _json_ready(value: Any) -> Any:
    value = _plain(value)
    if isinstance(value, dict):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_ready(v) for v in value]
    if isinstance(value, datetime):
        return iso_string(value)
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return None
        return _integral(value)
    return value


def json_stringify(value: Any, indent: int | None = None) -> str:
    """``JSON.stringify(value[, null, indent])``: compact, dates as ISO strings, ``3.0`` as ``3``."""
    separators = (",", ":") if not indent else (",", ": ")
    return json.dumps(_json_ready(value), ensure_ascii=False, separators=separators, indent=indent or None)


def _shown(value: Any) -> str:
    if _is_number(value) or isinstance(value, bool) or value is None:
        return to_string(value)
    return json_stringify(value)


class _Console:
    """``console.log`` and its siblings, written to the ``lbpy.app`` logger."""

    def __init__(self) -> None:
        self._log = logging.getLogger("lbpy.app")

    def _text(self, values: tuple[Any, ...]) -> str:
        """As node's ``util.format``: ``%s``, ``%d``, ``%i``, ``%f``, ``%j``, ``%o`` in a first string
        take the next values; the rest follow, separated by spaces."""
        rest = list(values)
        parts: list[str] = []
        if rest and isinstance(rest[0], str) and "%" in rest[0]:
            template = rest.pop(0)
            out = []
            index = 0
            while index < len(template):
                char = template[index]
                code = template[index + 1] if index + 1 < len(template) else ""
                if char == "%" and code == "%":
                    out.append("%")
                    index += 2
                    continue
                if char == "%" and code in "sdifjoO" and code and rest:
                    out.append(self._formatted(code, rest.pop(0)))
                    index += 2
                    continue
                out.append(char)
                index += 1
            parts.append("".join(out))
        parts.extend(v if isinstance(v, str) else _shown(v) for v in rest)
        return " ".join(parts)

    @staticmethod
    def _formatted(code: str, value: Any) -> str:
        if code == "s":
            return value if isinstance(value, str) else _shown(value)
        if code in "di":
            number_value = number(value)
            if isinstance(number_value, float) and (math.isnan(number_value) or math.isinf(number_value)):
                return _number_text(number_value)
            return str(math.trunc(number_value)) if code == "i" else _number_text(number_value)
        if code == "f":
            return _number_text(float(number(value)))
        return json_stringify(value)

    def log(self, *values: Any) -> None:
        self._log.info("%s", self._text(values))

    info = log

    def warn(self, *values: Any) -> None:
        self._log.warning("%s", self._text(values))

    def error(self, *values: Any) -> None:
        self._log.error("%s", self._text(values))


console = _Console()

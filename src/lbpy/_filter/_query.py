"""Query strings in bracket syntax: ``parse_query`` turns parameters such as
``filter[where][age][gt]=30``, ``a[]=1&a[]=2``, ``a[0]=1&a[1]=2`` and repeated keys into nested
values, as LoopBack's query parser reads them, ready for ``parse_filter``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from ._types import MAX_DEPTH, FilterError


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


def _put(target: dict[str, Any], path: list[str], value: str) -> None:
    node: Any = target
    for i, given_part in enumerate(path):
        part = given_part
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
                    raise FilterError(f"query parameter `{path[0]}` gives `{part}` both a value and members")
                node[part] = child
            node = child

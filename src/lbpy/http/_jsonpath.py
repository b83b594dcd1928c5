"""JSONPath, the subset response paths use: ``$``, ``.name`` and ``['name']``, ``[0]`` and
``[-1]``, ``[0:2]``, ``[0,2]``, ``*`` and ``[*]``, and ``..name`` (any depth).

Compiled once (at boot, so a bad path is a boot error naming it); evaluated per response.
Filter expressions (``[?(...)]``) and script expressions are not supported: they would execute
text from a settings file. ``find`` returns every match, as LoopBack's ``jsonpath-plus`` with
``wrap: true`` did; ``first`` the first match or None.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

_NAME = re.compile(r"[A-Za-z_$@][\w$@-]*")


class JsonPathError(ValueError):
    """A path outside the supported subset, or malformed."""


@dataclass(frozen=True)
class _Step:
    kind: str  # "key", "index", "slice", "wild", "union", "descend"
    value: Any = None


class JsonPath:
    def __init__(self, text: str) -> None:
        if not isinstance(text, str) or not text.strip():
            raise JsonPathError("a JSONPath must be a non-empty string such as $.items[*]")
        self.text = text.strip()
        self.steps = _parse(self.text)

    def __repr__(self) -> str:
        return f"JsonPath({self.text!r})"

    def find(self, data: Any) -> list[Any]:
        nodes = [data]
        for step in self.steps:
            nodes = [found for node in nodes for found in _apply(step, node)]
        return nodes

    def first(self, data: Any, default: Any = None) -> Any:
        found = self.find(data)
        return found[0] if found else default


def compile_path(text: str) -> JsonPath:
    return JsonPath(text)


def _parse(text: str) -> list[_Step]:
    i = 0
    steps: list[_Step] = []
    if text.startswith("$"):
        i = 1
    n = len(text)
    while i < n:
        char = text[i]
        if text.startswith("..", i):
            i += 2
            if i < n and text[i] == "*":
                steps += [_Step("descend", None), _Step("wild")]
                i += 1
                continue
            match = _NAME.match(text, i)
            if match is None:
                if i < n and text[i] == "[":
                    steps.append(_Step("descend", None))
                    continue
                raise JsonPathError(f'JSONPath "{text}": a name must follow ".." at {i}')
            steps.append(_Step("descend", match.group(0)))
            i = match.end()
        elif char == ".":
            i += 1
            if i < n and text[i] == "*":
                steps.append(_Step("wild"))
                i += 1
                continue
            match = _NAME.match(text, i)
            if match is None:
                raise JsonPathError(f'JSONPath "{text}": a name must follow "." at {i}')
            steps.append(_Step("key", match.group(0)))
            i = match.end()
        elif char == "[":
            end = _closing(text, i)
            steps.append(_bracket(text, text[i + 1 : end].strip()))
            i = end + 1
        elif i == 0:
            # a bare first name, as in "items[0]"
            match = _NAME.match(text, i)
            if match is None:
                raise JsonPathError(f'JSONPath "{text}" must start with $')
            steps.append(_Step("key", match.group(0)))
            i = match.end()
        else:
            raise JsonPathError(f'JSONPath "{text}": unexpected "{char}" at {i}')
    return steps


def _closing(text: str, start: int) -> int:
    quote = None
    for j in range(start + 1, len(text)):
        c = text[j]
        if quote:
            if c == quote:
                quote = None
        elif c in "'\"":
            quote = c
        elif c == "]":
            return j
    raise JsonPathError(f'JSONPath "{text}": "[" at {start} is not closed')


def _bracket(text: str, inner: str) -> _Step:
    if inner.startswith(("?", "(")):
        raise JsonPathError(
            f'JSONPath "{text}": filter and script expressions ([?(...)], [(...)]) are not '
            "supported; select with names, indexes, slices and * only"
        )
    if inner == "*":
        return _Step("wild")
    parts = [p.strip() for p in _split_union(inner)]
    values = [_bracket_value(text, p) for p in parts]
    if len(values) == 1:
        value = values[0]
        if isinstance(value, slice):
            return _Step("slice", value)
        return _Step("index" if isinstance(value, int) else "key", value)
    return _Step("union", tuple(values))


def _split_union(inner: str) -> list[str]:
    parts, current, quote = [], "", None
    for c in inner:
        if quote:
            current += c
            if c == quote:
                quote = None
        elif c in "'\"":
            quote = c
            current += c
        elif c == ",":
            parts.append(current)
            current = ""
        else:
            current += c
    parts.append(current)
    return parts


def _bracket_value(text: str, part: str) -> Any:
    if len(part) >= 2 and part[0] == part[-1] and part[0] in "'\"":
        return part[1:-1]
    if ":" in part:
        bounds = part.split(":")
        if len(bounds) > 3:
            raise JsonPathError(f'JSONPath "{text}": bad slice [{part}]')
        try:
            numbers = [int(b) if b.strip() else None for b in bounds]
        except ValueError:
            raise JsonPathError(f'JSONPath "{text}": bad slice [{part}]') from None
        return slice(*numbers)
    try:
        return int(part)
    except ValueError:
        if _NAME.fullmatch(part):
            return part
        raise JsonPathError(f'JSONPath "{text}": cannot read [{part}]') from None


def _children(node: Any) -> list[Any]:
    if isinstance(node, dict):
        return list(node.values())
    if isinstance(node, list):
        return list(node)
    return []


def _select(node: Any, value: Any) -> Iterator[Any]:
    if isinstance(value, slice):
        if isinstance(node, list):
            yield from node[value]
    elif isinstance(value, int):
        if isinstance(node, list) and -len(node) <= value < len(node):
            yield node[value]
    elif isinstance(node, dict) and value in node:
        yield node[value]


def _apply(step: _Step, node: Any) -> Iterator[Any]:
    kind = step.kind
    if kind in ("key", "index", "slice"):
        yield from _select(node, step.value)
    elif kind == "wild":
        yield from _children(node)
    elif kind == "union":
        for value in step.value:
            yield from _select(node, value)
    elif kind == "descend":
        for each in _walk(node):
            if step.value is None:
                yield each
            else:
                yield from _select(each, step.value)


def _walk(node: Any) -> Iterator[Any]:
    """``node`` and everything below it, depth first."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(_children(current)))

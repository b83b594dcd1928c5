"""JavaScript source read with tree-sitter, and the values a declaration can hold as Python values.

tree-sitter is an optional dependency (``pip install 'lbpy[lb3]'``); without it, ``parse`` raises a
``UsageError`` saying so. ``constant`` evaluates what LoopBack declarations are written with (object and
array literals, strings, numbers, template strings without substitutions, regular expressions, and
names bound once in the file to such values); anything else is a ``NotConstant`` naming the line.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .._errors import UsageError

try:
    import tree_sitter
    import tree_sitter_javascript
except ImportError:  # the lb3 extra is not installed
    tree_sitter = None  # type: ignore[assignment]
    tree_sitter_javascript = None  # type: ignore[assignment]

INSTALL_HINT = "lbpy import-lb3 needs a JavaScript parser: pip install 'lbpy[lb3]'"

_parsers: list[Any] = []  # made once, on first use


def available() -> bool:
    return tree_sitter is not None and tree_sitter_javascript is not None


def parser() -> Any:
    if not available():
        raise UsageError(INSTALL_HINT)
    if not _parsers:
        _parsers.append(tree_sitter.Parser(tree_sitter.Language(tree_sitter_javascript.language())))
    return _parsers[0]


class JavaScriptSyntaxError(ValueError):
    """A file that is not JavaScript tree-sitter can read; ``line`` and ``column`` count from 1."""

    def __init__(self, file: str, line: int, column: int, what: str) -> None:
        super().__init__(f"{file}:{line}:{column}: JavaScript syntax error ({what}); the file was not ported")
        self.file, self.line, self.column = file, line, column


def parse(source: bytes, file: str) -> Any:
    """The tree of ``source``, or a ``JavaScriptSyntaxError`` at its first error."""
    tree = parser().parse(source)
    if tree.root_node.has_error:
        bad = _first_error(tree.root_node)
        if bad is not None:
            what = f'missing "{bad.type}"' if bad.is_missing else f"unexpected {_snippet(bad, source)}"
            raise JavaScriptSyntaxError(file, bad.start_point[0] + 1, bad.start_point[1] + 1, what)
    return tree


def _first_error(node: Any) -> Any:
    if node.is_missing or node.type == "ERROR":
        return node
    for child in node.children:
        if child.has_error or child.is_missing:
            found = _first_error(child)
            if found is not None:
                return found
    return None


def _snippet(node: Any, source: bytes) -> str:
    text = source[node.start_byte : node.end_byte].decode("utf-8", "replace").strip().splitlines()
    first = text[0][:20] if text else ""
    return json.dumps(first) if first else "end of input"


def text(node: Any, source: bytes) -> str:
    return source[node.start_byte : node.end_byte].decode("utf-8", "replace")


def line(node: Any) -> int:
    return int(node.start_point[0]) + 1


# -- constant values ---------------------------------------------------------------------------


class NotConstant(ValueError):
    """A declaration argument whose value is not known before the code runs."""

    def __init__(self, node: Any, source: bytes, why: str = "not a constant") -> None:
        snippet = " ".join(text(node, source).split())
        if len(snippet) > 60:
            snippet = snippet[:57] + "..."
        super().__init__(f"line {line(node)}: `{snippet}` is {why}")
        self.line = line(node)


@dataclass(frozen=True)
class Regex:
    """A JavaScript regular expression literal; lbpy's validations take it as ``/pattern/flags``."""

    literal: str


UNDEFINED = object()


def constant(node: Any, source: bytes, bindings: Mapping[str, Any]) -> Any:
    """The Python value of ``node``; names are looked up in ``bindings`` (name -> value node or value)."""
    kind = node.type
    if kind == "parenthesized_expression":
        return constant(node.named_children[0], source, bindings)
    if kind == "string":
        return _string(node, source)
    if kind == "template_string":
        if any(c.type == "template_substitution" for c in node.named_children):
            raise NotConstant(node, source, "a template string with substitutions")
        return _string(node, source)
    if kind == "number":
        return _number(text(node, source), node, source)
    if kind in ("true", "false"):
        return kind == "true"
    if kind == "null":
        return None
    if kind == "undefined":
        return UNDEFINED
    if kind == "regex":
        return Regex(text(node, source))
    if kind == "unary_expression":
        operator = node.child_by_field_name("operator")
        value = constant(node.child_by_field_name("argument"), source, bindings)
        op = text(operator, source) if operator is not None else ""
        if op == "-" and isinstance(value, (int, float)) and not isinstance(value, bool):
            return -value
        if op == "+" and isinstance(value, (int, float)) and not isinstance(value, bool):
            return value
        if op == "!" and isinstance(value, bool):
            return not value
        raise NotConstant(node, source, "an expression lbpy does not evaluate")
    if kind == "binary_expression":
        op = text(node.child_by_field_name("operator"), source)
        left = constant(node.child_by_field_name("left"), source, bindings)
        right = constant(node.child_by_field_name("right"), source, bindings)
        if op == "+" and isinstance(left, str) and isinstance(right, str):
            return left + right
        if op in "+-*" and all(isinstance(v, int) and not isinstance(v, bool) for v in (left, right)):
            return {"+": left + right, "-": left - right, "*": left * right}[op]
        raise NotConstant(node, source, "an expression lbpy does not evaluate")
    if kind == "array":
        items: list[Any] = []
        for child in node.named_children:
            if child.type == "spread_element":
                spread = constant(child.named_children[0], source, bindings)
                if not isinstance(spread, list):
                    raise NotConstant(child, source, "a spread of something other than an array")
                items.extend(spread)
            elif child.type != "comment":
                items.append(_defined(constant(child, source, bindings)))
        return items
    if kind == "object":
        return _object(node, source, bindings)
    if kind == "identifier":
        name = text(node, source)
        if name == "undefined":
            return UNDEFINED
        if name in bindings:
            bound = bindings[name]
            if hasattr(bound, "start_byte"):
                return constant(bound, source, bindings)
            return bound
        raise NotConstant(node, source, "a name not bound to a constant in this file")
    if kind == "member_expression":
        target = constant(node.child_by_field_name("object"), source, bindings)
        prop = text(node.child_by_field_name("property"), source)
        if isinstance(target, dict) and prop in target:
            return target[prop]
        if isinstance(target, list) and prop == "length":
            return len(target)
        raise NotConstant(node, source)
    if kind == "subscript_expression":
        target = constant(node.child_by_field_name("object"), source, bindings)
        index = constant(node.child_by_field_name("index"), source, bindings)
        try:
            return target[index]
        except (KeyError, IndexError, TypeError):
            raise NotConstant(node, source) from None
    raise NotConstant(node, source)


def _defined(value: Any) -> Any:
    return None if value is UNDEFINED else value


def _object(node: Any, source: bytes, bindings: Mapping[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for child in node.named_children:
        if child.type == "comment":
            continue
        if child.type == "pair":
            key_node = child.child_by_field_name("key")
            if key_node.type in ("property_identifier", "identifier"):
                key = text(key_node, source)
            elif key_node.type == "string":
                key = _string(key_node, source)
            elif key_node.type == "number":
                key = text(key_node, source)
            else:
                raise NotConstant(key_node, source, "a computed key")
            value = constant(child.child_by_field_name("value"), source, bindings)
            if value is not UNDEFINED:  # JSON leaves undefined out, as LoopBack's metadata did
                result[key] = value
            else:
                result.pop(key, None)
        elif child.type == "shorthand_property_identifier":
            key = text(child, source)
            value = _name(child, source, bindings)
            if value is not UNDEFINED:
                result[key] = value
        elif child.type == "spread_element":
            spread = constant(child.named_children[0], source, bindings)
            if not isinstance(spread, dict):
                raise NotConstant(child, source, "a spread of something other than an object")
            result.update(spread)
        else:
            raise NotConstant(child, source, "a method or computed property")
    return result


def _name(node: Any, source: bytes, bindings: Mapping[str, Any]) -> Any:
    name = text(node, source)
    if name not in bindings:
        raise NotConstant(node, source, "a name not bound to a constant in this file")
    bound = bindings[name]
    return constant(bound, source, bindings) if hasattr(bound, "start_byte") else bound


def _string(node: Any, source: bytes) -> str:
    raw = text(node, source)
    body = raw[1:-1]
    out: list[str] = []
    i = 0
    while i < len(body):
        ch = body[i]
        if ch != "\\":
            out.append(ch)
            i += 1
            continue
        nxt = body[i + 1] if i + 1 < len(body) else ""
        simple = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}
        if nxt in simple and not (nxt == "0" and body[i + 2 : i + 3].isdigit()):
            out.append(simple[nxt])
            i += 2
        elif nxt == "x":
            out.append(chr(int(body[i + 2 : i + 4], 16)))
            i += 4
        elif nxt == "u" and body[i + 2 : i + 3] == "{":
            end = body.index("}", i)
            out.append(chr(int(body[i + 3 : end], 16)))
            i = end + 1
        elif nxt == "u":
            out.append(chr(int(body[i + 2 : i + 6], 16)))
            i += 6
        elif nxt == "\n":
            i += 2
        else:
            out.append(nxt)
            i += 2
    value = "".join(out)
    # a surrogate pair written as two \u escapes is one character
    return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def _number(raw: str, node: Any, source: bytes) -> int | float:
    cleaned = raw.replace("_", "")
    try:
        if cleaned[:2].lower() in ("0x", "0o", "0b"):
            return int(cleaned, 0)
        if cleaned.endswith("n"):
            return int(cleaned[:-1])
        value = float(cleaned)
    except ValueError:
        raise NotConstant(node, source, "a number lbpy does not read") from None
    return int(value) if value.is_integer() and abs(value) < 2**53 and "." not in cleaned else value


def python(value: Any, indent: int = 0) -> str:
    """``value`` as a Python literal; short values on one line, longer ones over several."""
    flat = _flat(value)
    if len(flat) + indent <= 100 or not isinstance(value, (dict, list)) or not value:
        return flat
    pad = " " * (indent + 4)
    if isinstance(value, dict):
        inner = ",\n".join(
            f"{pad}{json.dumps(k, ensure_ascii=False)}: {python(v, indent + 4)}" for k, v in value.items()
        )
        return "{\n" + inner + ",\n" + " " * indent + "}"
    inner = ",\n".join(f"{pad}{python(v, indent + 4)}" for v in value)
    return "[\n" + inner + ",\n" + " " * indent + "]"


def _flat(value: Any) -> str:
    if value is None or value is UNDEFINED:
        return "None"
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, Regex):
        return json.dumps(value.literal, ensure_ascii=False)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k, ensure_ascii=False)}: {_flat(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_flat(v) for v in value) + "]"
    raise TypeError(f"no Python literal for {type(value).__name__}")

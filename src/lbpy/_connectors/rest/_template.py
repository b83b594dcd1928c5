"""loopback-connector-rest's request templates: a JSON object (method, url, headers, query,
body, form, responsePath, fullResponse) whose strings hold placeholders::

    {name}            the argument ``name`` (absent: left out of query and headers, null elsewhere)
    {name=default}    with a default
    {!name} {^name}   required: a call without it is a 400 naming it
    {name:number}     typed: number, boolean, string (the default), object/json, array, date

A string that is a single placeholder takes the argument's value as it is (a number stays a
number, an object an object); a placeholder inside a longer string is written into it as text.
In the url a placeholder's value is percent-encoded, so an argument cannot reach another path or
add query parameters; placeholders are refused in the url's scheme and host (a caller must not
choose the server). The template is compiled once, at boot.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

from ..._errors import BadRequestError, BootError
from ...http import JsonPath, JsonPathError

_PLACEHOLDER = re.compile(r"\{(([!^]?)([A-Za-z$_][\w$]*)\s*(?:=([^:{}]+))?(?::(\w+))?)\}")
_TYPES = {
    "string": "string",
    "number": "number",
    "boolean": "boolean",
    "object": "object",
    "json": "object",
    "array": "array",
    "date": "date",
    "any": "any",
}
TEMPLATE_KEYS = frozenset(
    ["method", "url", "headers", "query", "body", "form", "responsePath", "fullResponse", "variables", "options"]
)
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")


@dataclass
class Variable:
    name: str
    type: str = "string"
    required: bool = False
    default: Any = None
    #: the template part it first appears in: url, headers, query, body, form
    root: str = "url"
    #: the whole body or query is this one placeholder
    whole: bool = False


@dataclass
class Template:
    method: str
    url: str
    headers: dict[str, Any] = field(default_factory=dict)
    query: Any = None
    body: Any = None
    form: Any = None
    response_path: JsonPath | None = None
    full_response: bool = False
    variables: dict[str, Variable] = field(default_factory=dict)
    #: seconds: the ``timeout`` of the template's options, replacing the datasource's
    timeout: float | None = None
    #: the template's options lbpy does not honour: (name, why, or None)
    ignored_options: list[tuple[str, str | None]] = field(default_factory=list)

    @classmethod
    def compile(cls, raw: Any, *, where: str) -> Template:
        if not isinstance(raw, Mapping):
            raise BootError(f"{where}: the operation's template must be an object with method and url")
        unknown = sorted(set(raw) - TEMPLATE_KEYS)
        if unknown:
            raise BootError(
                f"{where}: the template has unknown keys {', '.join(unknown)}; it takes "
                f"{', '.join(sorted(TEMPLATE_KEYS))}"
            )
        method = str(raw.get("method") or "GET").upper()
        if method not in METHODS:
            raise BootError(f'{where}: template.method "{raw.get("method")}" is not an HTTP method')
        url = raw.get("url")
        if not isinstance(url, str) or not url:
            raise BootError(f"{where}: the template needs a url")
        _check_url(url, where)
        path = None
        if raw.get("responsePath") is not None:
            try:
                path = JsonPath(raw["responsePath"])
            except JsonPathError as exc:
                raise BootError(f"{where}: responsePath: {exc}") from None
        headers = raw.get("headers") or {}
        if not isinstance(headers, Mapping):
            raise BootError(f"{where}: template.headers must be an object")
        options_headers, timeout, ignored = _options(raw.get("options"), has_headers=bool(headers), where=where)
        headers = headers or options_headers
        template = cls(
            method=method,
            url=url,
            headers=dict(headers),
            query=raw.get("query"),
            body=raw.get("body"),
            form=raw.get("form"),
            response_path=path,
            full_response=bool(raw.get("fullResponse")),
            timeout=timeout,
            ignored_options=ignored,
        )
        for root in ("url", "headers", "query", "body", "form"):
            _collect(headers if root == "headers" else raw.get(root), root, template.variables, where)
        for key in ("query", "body"):
            value = raw.get(key)
            if isinstance(value, str):
                whole = _PLACEHOLDER.fullmatch(value.strip())
                if whole:
                    template.variables[whole.group(3)].whole = True
        overrides = raw.get("variables") or {}
        if not isinstance(overrides, Mapping):
            raise BootError(f"{where}: template.variables must be an object: name -> {{type, required, default}}")
        for name, extra in overrides.items():
            variable = template.variables.get(name)
            if variable is None or not isinstance(extra, Mapping):
                continue
            if "type" in extra:
                variable.type = _type(extra["type"], name, where)
            if "required" in extra:
                variable.required = bool(extra["required"])
            if "default" in extra:
                variable.default = extra["default"]
        return template

    # -- building a request ----------------------------------------------------------------

    def build(self, args: Mapping[str, Any]) -> dict[str, Any]:
        """The request for ``args``: method, url, headers, params, and json or data."""
        values = {name: self._value(variable, args.get(name)) for name, variable in self.variables.items()}
        url = _render(self.url, values, encode=True)
        headers = {str(_render(k, values)): _text(_render(v, values)) for k, v in self.headers.items()}
        headers = {k: v for k, v in headers.items() if v is not None}
        query = _render(self.query, values) if self.query is not None else None
        if query is not None and not isinstance(query, Mapping):
            raise BadRequestError("the query of this operation must be an object", code="INVALID_PARAMETER")
        request: dict[str, Any] = {
            "method": self.method,
            "url": url,
            "headers": headers,
            "params": {k: v for k, v in (query or {}).items() if v is not None},
        }
        if self.form is not None:
            form = _render(self.form, values)
            request["data"] = {k: _text(v) for k, v in (form or {}).items() if v is not None}
        elif self.body is not None:
            body = _render(self.body, values)
            if isinstance(body, dict):
                body = {k: v for k, v in body.items() if v is not None}
            if body is not None:
                request["json"] = body
        return request

    def _value(self, variable: Variable, given: Any) -> Any:
        value = given
        if value is None or (value == "" and variable.type != "string"):
            value = variable.default
        if value is None:
            if variable.required:
                raise BadRequestError(f"{variable.name} is a required argument", code="INVALID_PARAMETER")
            return None
        return _convert(variable, value)

    def literal_secrets(self) -> list[str]:
        """Values the template itself holds (no placeholder) under a header or query name that
        says credential: they are masked in logs and errors like the datasource's own."""
        found = []
        for part in (self.headers, self.query if isinstance(self.query, Mapping) else {}):
            for key, value in part.items():
                if (
                    isinstance(value, str)
                    and not _PLACEHOLDER.search(value)
                    and any(w in str(key).lower() for w in ("auth", "key", "token", "secret", "password"))
                ):
                    found.append(value)
        query = urlsplit(self.url).query
        for pair in query.split("&") if query else ():
            key, _, value = pair.partition("=")
            if value and not _PLACEHOLDER.search(value) and any(w in key.lower() for w in ("key", "token", "secret")):
                found.append(value)
        return found

    @property
    def shown(self) -> str:
        """The request as the explorer may show it: method and path, never the query string."""
        return f"{self.method} {urlsplit(self.url).path or '/'}"

    def result(self, status: int, headers: Mapping[str, str], body: Any) -> Any:
        """What the function returns: the body, the matches of responsePath (a list, as
        LoopBack's jsonpath gave), or the whole response with fullResponse."""
        if self.full_response:
            return {"statusCode": status, "headers": dict(headers), "body": body}
        if self.response_path is not None:
            return self.response_path.find(body)
        return body


#: request-library options that, set to true, ask for what lbpy does anyway (JSON, gzip accepted)
_OPTIONS_AS_LBPY_DOES = frozenset({"json", "gzip"})


def _options(
    raw: Any, *, has_headers: bool, where: str
) -> tuple[dict[str, Any], float | None, list[tuple[str, str | None]]]:
    """A template's ``options`` (loopback-connector-rest passed them to the request library
    where the template did not say otherwise): the headers and the timeout (seconds) lbpy
    honours, and the options it ignores, with why when that is not plain."""
    if raw is None:
        return {}, None, []
    if not isinstance(raw, Mapping):
        raise BootError(f"{where}: template.options must be an object")
    headers: dict[str, Any] = {}
    timeout = None
    ignored: list[tuple[str, str | None]] = []
    for key, value in raw.items():
        if key == "headers" and isinstance(value, Mapping):
            if has_headers:
                ignored.append((key, "the template has headers of its own, which LoopBack sent instead"))
            else:
                headers = dict(value)
        elif key == "timeout" and isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
            timeout = value / 1000
        elif not (key in _OPTIONS_AS_LBPY_DOES and value is True):
            ignored.append((str(key), None))
    return headers, timeout, ignored


def _type(value: Any, name: str, where: str) -> str:
    kind = _TYPES.get(str(value).lower())
    if kind is None:
        raise BootError(
            f'{where}: placeholder "{name}" has an unknown type "{value}"; use one of '
            "string, number, boolean, object, array, date"
        )
    return kind


def _collect(node: Any, root: str, found: dict[str, Variable], where: str) -> None:
    if isinstance(node, str):
        for match in _PLACEHOLDER.finditer(node):
            _, bang, name, default, kind = match.groups()
            variable = found.get(name)
            if variable is None:
                variable = found[name] = Variable(name=name, root=root)
            if bang:
                variable.required = True
            if default is not None:
                variable.default = default
            if kind is not None:
                variable.type = _type(kind, name, where)
    elif isinstance(node, Mapping):
        for key, value in node.items():
            _collect(key, root, found, where)
            _collect(value, root, found, where)
    elif isinstance(node, list):
        for value in node:
            _collect(value, root, found, where)


def _check_url(url: str, where: str) -> None:
    first = _PLACEHOLDER.search(url)
    if first is None:
        return
    if url.startswith(("http://", "https://")):
        authority_end = url.find("/", url.index("//") + 2)
        if authority_end == -1 or first.start() < authority_end:
            raise BootError(
                f'{where}: the url "{url}" has a placeholder in its scheme or host; a '
                "caller must not choose the server: write the host out, or set baseURL"
            )
    elif first.start() == 0:
        raise BootError(
            f'{where}: the url "{url}" starts with a placeholder; write its host out '
            "(or a path under baseURL, starting with /)"
        )


def _convert(variable: Variable, value: Any) -> Any:
    kind = variable.type
    if kind == "number":
        if isinstance(value, bool):
            raise BadRequestError(f"{variable.name} must be a number", code="INVALID_PARAMETER")
        number = value if isinstance(value, (int, float)) else _number(str(value).strip())
        if number is None or (isinstance(number, float) and not math.isfinite(number)):
            raise BadRequestError(f"{variable.name} must be a number, not {value!r}", code="INVALID_PARAMETER")
        return number
    if kind == "boolean":
        if isinstance(value, str):
            return value.lower() not in ("false", "0", "")
        return bool(value)
    if kind == "string" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return value


def _number(text: str) -> int | float | None:
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _render(node: Any, values: Mapping[str, Any], *, encode: bool = False) -> Any:
    if isinstance(node, str):
        whole = _PLACEHOLDER.fullmatch(node)
        if whole and not encode:
            return values.get(whole.group(3))

        def put(match: re.Match[str]) -> str:
            value = values.get(match.group(3))
            if value is None:
                return ""
            text = (_text(value) or "") if not isinstance(value, (dict, list)) else _json_text(value)
            return quote(text, safe="") if encode else text

        return _PLACEHOLDER.sub(put, node)
    if isinstance(node, Mapping):
        return {_render(k, values): _render(v, values) for k, v in node.items()}
    if isinstance(node, list):
        return [_render(v, values) for v in node]
    return node


def _json_text(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))

"""Calling one operation: its arguments checked against the document's own schemas before any
request leaves, then written into the path, the query, headers and the body."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from ..._errors import BadRequestError
from ..._json_values import json_value
from ._spec import Operation, Param, Spec, path_value

_SPEC_URI = "urn:lbpy:openapi-spec"
_WIRE = ("path", "query", "header", "cookie", "formData")


class Validators:
    """One schema validator per schema pointer, over the whole document (so that ``$ref``s
    inside a schema resolve), with OpenAPI's ``nullable`` and formats understood."""

    def __init__(self, spec: Spec) -> None:
        from openapi_schema_validator import (
            OAS30Validator,
            OAS31Validator,
            oas30_format_checker,
            oas31_format_checker,
        )
        from referencing import Registry
        from referencing.jsonschema import DRAFT4, DRAFT202012

        draft = DRAFT202012 if spec.version == 31 else DRAFT4
        self._registry = Registry().with_resource(_SPEC_URI, draft.create_resource(spec.document))
        self._class = OAS31Validator if spec.version == 31 else OAS30Validator
        self._formats = oas31_format_checker if spec.version == 31 else oas30_format_checker
        self._cache: dict[str, Any] = {}

    def errors(self, pointer: str, value: Any, *, partial: bool = False) -> list[str]:
        validator = self._cache.get(pointer)
        if validator is None:
            validator = self._cache[pointer] = self._class(
                {"$ref": f"{_SPEC_URI}#{pointer}"}, registry=self._registry, format_checker=self._formats
            )
        found = []
        for error in validator.iter_errors(value):
            if partial and error.validator == "required" and not error.absolute_path:
                continue  # a patch names only what changes
            where = "".join(f"[{p!r}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
            found.append(f"{where.lstrip('.')}: {error.message}" if where else error.message)
        return found


def wire_value(param: Param, value: Any) -> Any:
    """A value as the wire carries it for a path, query or header parameter: JSON text for a
    ``json`` parameter or an object where text is expected, text where the schema says string,
    a number or a boolean read from text where it says so."""
    kind = (param.schema or {}).get("type")
    if param.json or (
        isinstance(value, (dict, list)) and (kind == "string" or (kind is None and param.location != "query"))
    ):
        return value if isinstance(value, str) else orjson.dumps(json_value(value)).decode()
    if kind == "string" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    if kind in ("integer", "number") and isinstance(value, str):
        for read in (int, float):
            try:
                return read(value)
            except ValueError:
                pass
        return value
    if kind == "boolean" and isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return json_value(value)


def prepare(
    operation: Operation, args: Mapping[str, Any], validators: Validators | None, *, partial: bool = False
) -> dict[str, Any]:
    """The request for ``operation`` with ``args`` (name -> value; None is "not given"):
    method, url, params, headers, and json or data. A 400 names every argument that does not
    match its schema, and nothing is sent."""
    problems: list[str] = []
    path = operation.path
    params: dict[str, Any] = {}
    headers: dict[str, str] = {}
    cookies: list[str] = []
    form: dict[str, Any] = {}
    for param in operation.params:
        value = args.get(param.name)
        if value is None:
            if param.required:
                problems.append(f"`{param.name}` is required ({param.location})")
            continue
        value = wire_value(param, value)
        if validators is not None and param.schema_pointer is not None and not param.json:
            problems += [f"`{param.name}` {e}" for e in validators.errors(param.schema_pointer, value)]
        elif validators is not None and param.json and param.schema_pointer is not None:
            decoded = orjson.loads(value) if isinstance(value, str) else value
            problems += [f"`{param.name}` {e}" for e in validators.errors(param.schema_pointer, decoded)]
        if param.location == "path":
            path = path.replace("{" + param.name + "}", path_value(_text(value)))
        elif param.location == "query":
            params[param.name] = value
        elif param.location == "header":
            headers[param.name] = _text(value)
        elif param.location == "cookie":
            cookies.append(f"{param.name}={_text(value)}")
        elif param.location == "formData":
            form[param.name] = _text(value)
    request: dict[str, Any] = {"method": operation.method, "params": params, "headers": headers}
    body_param = operation.body
    if body_param is not None:
        body = args.get(body_param.name)
        if body is None:
            if body_param.required:
                problems.append(f"`{body_param.name}` is required (the request body)")
        else:
            body = json_value(body)
            if validators is not None and body_param.schema_pointer is not None:
                problems += [
                    f"`{body_param.name}` {e}"
                    for e in validators.errors(body_param.schema_pointer, _without_nulls(body), partial=partial)
                ]
            if "json" in operation.body_type:
                request["json"] = body
            elif isinstance(body, Mapping):
                request["data"] = {k: _text(v) for k, v in body.items() if v is not None}
            else:
                request["content"] = _text(body)
                headers["Content-Type"] = operation.body_type
    if form:
        request["data"] = form
    if cookies:
        headers["Cookie"] = "; ".join(cookies)
    if problems:
        raise BadRequestError(
            f"{operation.name}: "
            + "; ".join(problems[:5])
            + (f"; and {len(problems) - 5} more" if len(problems) > 5 else ""),
            code="INVALID_PARAMETER",
        )
    request["url"] = path
    return request


def _without_nulls(value: Any) -> Any:
    """A body as validated: a property set to null is left for the remote to judge (LoopBack's
    and lbpy's own documents describe optional properties without ``nullable``)."""
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return orjson.dumps(json_value(value)).decode()
    return str(value)


def remote_type(schema: Mapping[str, Any] | None) -> Any:
    """An argument's LoopBack type from its schema."""
    kind: Any = (schema or {}).get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    return {
        "integer": "number",
        "number": "number",
        "boolean": "boolean",
        "string": "string",
        "array": "array",
        "object": "object",
    }.get(kind, "any")

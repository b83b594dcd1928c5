"""An OpenAPI document (Swagger 2.0, OpenAPI 3.0 or 3.1), read once into plain operations.

``load_spec`` reads a file (JSON or YAML, relative to the app), an http(s) URL or a dict;
``Spec.operations`` lists every operation with its parameters (path-level ones merged in, local
``$ref``s followed), its request body and its security requirements, each schema kept with its
JSON pointer so that arguments are validated against the document itself. References to other
documents are refused: lbpy reads one document and fetches nothing it did not name.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urljoin

import httpx

from ..._errors import BootError
from ...http import ssl_context

METHODS = ("get", "put", "post", "delete", "options", "head", "patch")
_MAX_SPEC_BYTES = 20 * 1024 * 1024


@dataclass
class Param:
    name: str
    location: str  # path, query, header, cookie, body, formData
    required: bool
    #: JSON pointer of the schema inside the document (None: anything goes)
    schema_pointer: str | None
    schema: dict[str, Any] | None
    #: a parameter written as JSON (OpenAPI 3's ``content``, or Swagger's format JSON)
    json: bool = False
    description: str = ""


@dataclass
class Operation:
    method: str
    path: str
    operation_id: str | None
    name: str
    params: list[Param] = field(default_factory=list)
    #: the body's schema pointer and content type (OpenAPI 3's requestBody, Swagger's in: body)
    body: Param | None = None
    body_type: str = "application/json"
    security: list[dict[str, list[Any]]] | None = None
    summary: str = ""
    tags: list[str] = field(default_factory=list)
    #: the 2xx answer's schema (for the explorer), resolved one level
    returns: dict[str, Any] | None = None


class Spec:
    def __init__(self, document: dict[str, Any], *, source: str, url: str | None = None) -> None:
        self.document = document
        self.source = source
        self.url = url
        if isinstance(document.get("openapi"), str):
            version = document["openapi"]
            self.version = 31 if version.startswith("3.1") else 30
        elif str(document.get("swagger")) == "2.0":
            self.version = 2
        else:
            raise BootError(
                f'{source} is not an OpenAPI document: it has neither "openapi": "3.x" nor "swagger": "2.0"'
            )
        try:
            self.operations: list[Operation] = self._read_operations()
        except (AttributeError, TypeError, ValueError) as exc:
            raise BootError(
                f'{source}: the document is malformed ({type(exc).__name__}: {exc}); check it with "validate": true'
            ) from None

    # -- references -----------------------------------------------------------------------

    def resolve(self, node: Any, pointer: str, depth: int = 0) -> tuple[Any, str]:
        """``node`` with a ``$ref`` followed (to the end of a chain), and its pointer."""
        while isinstance(node, Mapping) and isinstance(node.get("$ref"), str):
            ref = node["$ref"]
            if not ref.startswith("#"):
                raise BootError(
                    f'{self.source}: the reference "{ref}" points to another document; '
                    "lbpy reads one document (bundle it first)"
                )
            pointer = ref[1:]
            node = self.at(pointer)
            depth += 1
            if depth > 50:
                raise BootError(f'{self.source}: the reference "{ref}" loops')
        return node, pointer

    def at(self, pointer: str) -> Any:
        node: Any = self.document
        for part in pointer.lstrip("/").split("/") if pointer.strip("/") else []:
            key = part.replace("~1", "/").replace("~0", "~")
            if isinstance(node, list):
                try:
                    node = node[int(key)]
                except (ValueError, IndexError):
                    raise BootError(f'{self.source}: nothing at "#{pointer}"') from None
            elif isinstance(node, Mapping) and key in node:
                node = node[key]
            else:
                raise BootError(f'{self.source}: nothing at "#{pointer}"')
        return node

    # -- the document's parts -------------------------------------------------------------

    def base_url(self) -> str | None:
        """The API's root: servers[0] (OpenAPI 3) or scheme, host and basePath (Swagger), read
        against the URL the document came from when relative."""
        doc = self.document
        if self.version == 2:
            base_path = str(doc.get("basePath") or "")
            host = doc.get("host")
            if host:
                schemes = doc.get("schemes") or ["https"]
                return f"{schemes[0]}://{host}{base_path}".rstrip("/")
            return urljoin(self.url, base_path or "/").rstrip("/") if self.url else None
        servers = doc.get("servers") or []
        if not servers or not isinstance(servers[0], Mapping):
            return urljoin(self.url, "/").rstrip("/") if self.url else None
        server = servers[0]
        text = str(server.get("url") or "/")
        for name, variable in (server.get("variables") or {}).items():
            if isinstance(variable, Mapping) and "default" in variable:
                text = text.replace("{" + name + "}", str(variable["default"]))
        if text.startswith(("http://", "https://")):
            return text.rstrip("/")
        return urljoin(self.url, text).rstrip("/") if self.url else None

    def declared_server(self) -> str:
        """The server URL as the document writes it (servers[0].url, or Swagger's basePath): ""
        when it names none."""
        doc = self.document
        if self.version == 2:
            return str(doc.get("basePath") or "")
        servers = doc.get("servers") or []
        return str(servers[0].get("url") or "") if servers and isinstance(servers[0], Mapping) else ""

    def unresolved_base(self) -> str | None:
        """Why ``base_url()`` is None, in words a message can end with; None when it is not."""
        if self.base_url() is not None:
            return None
        relative = self.declared_server()
        if relative:
            return (
                f'the spec\'s servers URL "{relative}" is relative and the spec was not read from a URL: set its '
                f'baseURL in server/datasources.json, e.g. "https://api.example.com{relative.rstrip("/")}"'
            )
        return (
            'the spec names no server URL: set its baseURL in server/datasources.json, e.g. "https://api.example.com"'
        )

    def security_schemes(self) -> dict[str, dict[str, Any]]:
        doc = self.document
        raw = (
            (doc.get("components") or {}).get("securitySchemes")
            if self.version != 2
            else doc.get("securityDefinitions")
        )
        schemes = {}
        for name, scheme in (raw or {}).items():
            resolved, _ = self.resolve(scheme, "")
            if isinstance(resolved, Mapping):
                schemes[name] = dict(resolved)
        return schemes

    def schemas(self) -> dict[str, tuple[dict[str, Any], str]]:
        """The named schemas (components.schemas, or definitions) with their pointers."""
        if self.version == 2:
            raw, base = self.document.get("definitions") or {}, "/definitions/"
        else:
            raw, base = (self.document.get("components") or {}).get("schemas") or {}, "/components/schemas/"
        return {
            name: (schema, base + name.replace("~", "~0").replace("/", "~1"))
            for name, schema in raw.items()
            if isinstance(schema, dict)
        }

    def _read_operations(self) -> list[Operation]:
        operations: list[Operation] = []
        used: set[str] = set()
        root_security = self.document.get("security")
        for path, given_item in (self.document.get("paths") or {}).items():
            item_pointer = "/paths/" + path.replace("~", "~0").replace("/", "~1")
            item, item_pointer = self.resolve(given_item, item_pointer)
            if not isinstance(item, Mapping):
                continue
            shared = item.get("parameters") or []
            for method in METHODS:
                op = item.get(method)
                if not isinstance(op, Mapping):
                    continue
                pointer = f"{item_pointer}/{method}"
                operation = Operation(
                    method=method.upper(),
                    path=str(path),
                    operation_id=op.get("operationId"),
                    name=unique_name(op, method, str(path), used),
                    security=op.get("security", root_security),
                    summary=str(op.get("summary") or ""),
                    tags=[str(t) for t in op.get("tags") or []],
                )
                params: dict[tuple[str, str], Param] = {}
                for base, raw_list in (
                    (f"{item_pointer}/parameters", shared),
                    (f"{pointer}/parameters", op.get("parameters") or []),
                ):
                    for index, raw in enumerate(raw_list):
                        param = self._param(raw, f"{base}/{index}")
                        if param is not None:
                            params[(param.location, param.name)] = param
                for param in params.values():
                    if param.location in ("body",):
                        operation.body = param
                    else:
                        operation.params.append(param)
                if self.version == 2 and any(p.location == "formData" for p in operation.params):
                    operation.body_type = "application/x-www-form-urlencoded"
                if self.version != 2 and op.get("requestBody") is not None:
                    operation.body, operation.body_type = self._request_body(
                        op["requestBody"], f"{pointer}/requestBody"
                    )
                operation.returns = self._returns(op, pointer)
                operations.append(operation)
        return operations

    def _param(self, raw: Any, pointer: str) -> Param | None:
        param, pointer = self.resolve(raw, pointer)
        if not isinstance(param, Mapping) or not isinstance(param.get("name"), str):
            return None
        location = str(param.get("in") or "query")
        schema_pointer, schema, is_json = None, None, False
        if "schema" in param:
            schema_pointer = f"{pointer}/schema"
            schema, schema_pointer = self.resolve(param["schema"], schema_pointer)
        elif isinstance(param.get("content"), Mapping) and param["content"]:
            media, content = next(iter(param["content"].items()))
            is_json = "json" in media
            if isinstance(content, Mapping) and "schema" in content:
                key = media.replace("~", "~0").replace("/", "~1")
                schema, schema_pointer = self.resolve(content["schema"], f"{pointer}/content/{key}/schema")
        elif self.version == 2 and location != "body":
            # Swagger 2 puts the schema keywords on the parameter itself
            schema = {
                k: v
                for k, v in param.items()
                if k
                in (
                    "type",
                    "format",
                    "items",
                    "enum",
                    "minimum",
                    "maximum",
                    "pattern",
                    "minLength",
                    "maxLength",
                    "default",
                    "exclusiveMinimum",
                    "exclusiveMaximum",
                    "minItems",
                    "maxItems",
                )
            }
            schema_pointer = pointer if schema else None
            is_json = str(param.get("format") or "").upper() == "JSON"
            if is_json:
                schema, schema_pointer = None, None  # a JSON text of any shape
        return Param(
            name=param["name"],
            location=location,
            required=bool(param.get("required")),
            schema_pointer=schema_pointer,
            schema=schema if isinstance(schema, dict) else None,
            json=is_json,
            description=str(param.get("description") or ""),
        )

    def _request_body(self, raw: Any, pointer: str) -> tuple[Param | None, str]:
        body, pointer = self.resolve(raw, pointer)
        if not isinstance(body, Mapping):
            return None, "application/json"
        content = body.get("content") or {}
        media = next((m for m in content if "json" in m), None) or next(iter(content), "application/json")
        media_object = content.get(media) if isinstance(content, Mapping) else None
        schema, schema_pointer = None, None
        if isinstance(media_object, Mapping) and "schema" in media_object:
            key = media.replace("~", "~0").replace("/", "~1")
            schema, schema_pointer = self.resolve(media_object["schema"], f"{pointer}/content/{key}/schema")
        name = str(body.get("x-name") or "body")
        return Param(
            name=name,
            location="body",
            required=bool(body.get("required")),
            schema_pointer=schema_pointer,
            schema=schema if isinstance(schema, dict) else None,
            description=str(body.get("description") or ""),
        ), media

    def _returns(self, op: Mapping[str, Any], pointer: str) -> dict[str, Any] | None:
        responses = op.get("responses")
        for status, given_response in responses.items() if isinstance(responses, Mapping) else ():
            if not str(status).startswith("2"):
                continue
            response, _ = self.resolve(given_response, pointer)
            if not isinstance(response, Mapping):
                return None
            schema = (
                response.get("schema")
                if self.version == 2
                else next(
                    (
                        c.get("schema")
                        for m, c in (response.get("content") or {}).items()
                        if "json" in m and isinstance(c, Mapping)
                    ),
                    None,
                )
            )
            return schema if isinstance(schema, dict) else None
        return None


def camel_case(text: str) -> str:
    """lodash's camelCase, which LoopBack's OpenAPI connector used for names that are not
    identifiers: ``KitItem.find`` -> ``kitItemFind``, ``get_books`` -> ``getBooks``."""
    words = re.findall(r"[A-Z]{2,}(?=[A-Z][a-z]+|\b|[^A-Za-z])|[A-Z]?[a-z]+|[A-Z]+|\d+", text)
    if not words:
        return ""
    result: str = words[0].lower() + "".join(w[:1].upper() + w[1:].lower() for w in words[1:])
    return result


def unique_name(op: Mapping[str, Any], method: str, path: str, used: set[str]) -> str:
    """The method name of an operation: ``x-operation-name`` or its operationId when that is a
    Python identifier, else their camelCase; without either, the method and path
    (``getPetsPetId``); a number is added when two operations would share a name."""
    candidates = [op.get("x-operation-name"), op.get("operationId")]
    name = ""
    for candidate in candidates:
        if isinstance(candidate, str) and candidate:
            name = candidate if candidate.isidentifier() else camel_case(candidate)
            if name:
                break
    if not name:
        name = camel_case(f"{method} {path}")
    if not name or not name.isidentifier():
        name = f"op_{name}" if name else "operation"
    base, number = name, 2
    while name in used:
        name = f"{base}{number}"
        number += 1
    used.add(name)
    return name


def load_spec(
    spec: Any,
    *,
    app_dir: Path | None,
    where: str,
    settings: Mapping[str, Any],
    validate: Callable[[dict[str, Any], str], None] | None = None,
) -> Spec:
    """The document a datasource's ``spec`` setting names: a dict, a file, or an http(s) URL;
    ``validate(document, source)``, when given, checks it before it is read."""
    document, source, url = _document(spec, app_dir=app_dir, where=where, settings=settings)
    if validate is not None:
        validate(document, source)
    return Spec(document, source=source, url=url)


def _document(
    spec: Any, *, app_dir: Path | None, where: str, settings: Mapping[str, Any]
) -> tuple[dict[str, Any], str, str | None]:
    if isinstance(spec, Mapping):
        return dict(spec), f"{where}: spec", None
    if not isinstance(spec, str) or not spec.strip():
        raise BootError(
            f'{where}: "spec" must name an OpenAPI document: a file such as '
            '"petstore.json" or a URL such as "https://api.example.com/openapi.json"'
        )
    if spec.startswith(("http://", "https://")):
        return _fetch(spec, where, settings), f"{where}: spec {_shown(spec)}", spec
    path = Path(spec)
    if not path.is_absolute() and app_dir is not None:
        path = app_dir / path
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise BootError(f'{where}: cannot read the spec "{spec}" ({exc.strerror or exc})') from None
    return _parse(text, f"{where}: spec {spec}", path.suffix), f"{where}: spec {spec}", None


def _fetch(url: str, where: str, settings: Mapping[str, Any]) -> dict[str, Any]:
    options = given_options if isinstance(given_options := settings.get("options"), Mapping) else {}
    verify = settings.get("strictSSL", options.get("strictSSL", True)) is not False
    timeout = settings.get("timeout", 30000)
    seconds = timeout / 1000 if isinstance(timeout, (int, float)) and not isinstance(timeout, bool) else 30
    try:
        with httpx.Client(timeout=seconds, verify=ssl_context(verify), follow_redirects=True) as client:
            response = client.get(url, headers={"Accept": "application/json, application/yaml"})
    except httpx.HTTPError as exc:
        raise BootError(f"{where}: cannot fetch the spec from {_shown(url)} ({type(exc).__name__})") from None
    if response.status_code != 200:
        raise BootError(f"{where}: fetching the spec from {_shown(url)} answered {response.status_code}")
    if len(response.content) > _MAX_SPEC_BYTES:
        raise BootError(f"{where}: the spec at {_shown(url)} is larger than 20 MB")
    return _parse(response.text, f"{where}: spec {_shown(url)}", Path(httpx.URL(url).path).suffix)


def _shown(url: str) -> str:
    """A URL without its query string, which may hold a key."""
    return str(httpx.URL(url).copy_with(query=None))


def _parse(text: str, where: str, suffix: str) -> dict[str, Any]:
    try:
        if suffix in (".yaml", ".yml") or not text.lstrip().startswith(("{", "[")):
            import yaml

            document = yaml.safe_load(text)
        else:
            document = json.loads(text)
    except Exception as exc:
        raise BootError(f"{where} is not valid JSON or YAML ({str(exc).splitlines()[0]})") from None
    if not isinstance(document, dict):
        raise BootError(f"{where} must hold an object")
    return document


def path_value(value: Any) -> str:
    return quote(str(value), safe="")

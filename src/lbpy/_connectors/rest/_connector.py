"""The ``rest`` connector: loopback-connector-rest's settings and semantics.

CRUD mode (``"crud": true``, or no ``operations``): each attached model is the remote resource
``baseURL`` + ``/`` + its ``resourceName`` setting or plural; find, findById, create, update and
delete are GET, GET /{id}, POST, PATCH or PUT /{id} and DELETE /{id} (``HttpCrudConnector``).

Template operations (``operations``): each ``{"template": {...}, "functions": {"name": [params]}}``
gives every model of the datasource the method ``name`` (positional arguments in the order of
``params``; a param may be ``"name=default"`` or ``{"name": ..., "source": "header"}``), served
as a remote method ``/{name}`` (path params appended as ``/:param``, as LoopBack did).
"""

from __future__ import annotations

import builtins
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from ..._errors import BootError
from ..._model._definition import ModelSpec
from ...http import HttpClient, http_settings
from .._base import Setting
from .._http_crud import HTTP_SETTINGS, HttpCrudConnector, Resource, raise_malformed, read_capped, where_json
from ._template import Template

log = logging.getLogger("lbpy")

#: where a template's placeholder is read from when served over REST (LoopBack's mapping)
_SOURCES = {"url": "path", "headers": "header", "query": "query", "body": "form", "form": "form"}
_SOURCE_NAMES = ("path", "query", "header", "body", "form")


@dataclass
class Function:
    name: str
    template: Template
    params: list[str]
    sources: dict[str, str]
    defaults: dict[str, Any] = field(default_factory=dict)

    def remoting(self) -> dict[str, Any]:
        """The remote method LoopBack declared for a template function."""
        path = "/" + self.name
        accepts = []
        for param in self.params:
            variable = self.template.variables.get(param)
            source = self.sources.get(param)
            if source is None:
                if variable is None:
                    source = "query"
                elif variable.whole:
                    source = "body" if variable.root == "body" else "query"
                else:
                    source = _SOURCES.get(variable.root, "query")
            if source == "path":
                path += f"/:{param}"
            kind = variable.type if variable is not None else "any"
            accepts.append(
                {
                    "arg": param,
                    "type": "object" if source == "body" and kind == "string" else kind,
                    "required": bool(variable and variable.required and param not in self.defaults),
                    "http": {"source": source},
                }
            )
        verb = self.template.method.lower()
        return {
            "accepts": accepts,
            "returns": {"arg": "data", "type": "any", "root": True},
            "http": {
                "verb": verb if verb in ("get", "post", "put", "patch", "delete", "head") else "post",
                "path": path,
            },
            "description": f"Calls the remote API: {self.template.shown}",
        }


class RestConnector(HttpCrudConnector):
    name = "rest"
    settings_schema = (
        Setting("baseURL", required=True, description="the API's base URL, e.g. https://api.example.com/v1"),
        Setting(
            "crud",
            type="boolean",
            default=True,
            description="map find, create, update and delete to the resource's REST routes",
        ),
        Setting(
            "filters",
            default="loopback",
            choices=("loopback", "none"),
            description="loopback: the API takes LoopBack's ?filter=; none: lbpy filters what it lists",
            when={"crud": (True,)},
        ),
        *HTTP_SETTINGS,
    )

    def __init__(
        self,
        settings: Mapping[str, Any] | None = None,
        models: Mapping[str, ModelSpec] | None = None,
        *,
        app_dir: Path | None = None,
    ) -> None:
        super().__init__(settings, models, app_dir=app_dir)
        name = str(self.settings.get("name") or "rest")
        where = f'datasource "{name}"'
        operations = self.settings.get("operations")
        if operations is not None and not isinstance(operations, list):
            raise BootError(f'{where}: "operations" must be a list of {{"template": ..., "functions": ...}}')
        self.crud = bool(self.settings.get("crud")) or not operations
        self.http = HttpClient(http_settings(self.settings, name=name, where=where, require_base_url=self.crud))
        self.functions: dict[str, Function] = {}
        #: template options lbpy ignores: name -> where (and why)
        ignored: dict[str, list[str]] = {}
        for index, operation in enumerate(operations or []):
            template = self._add_operation(operation, f"{where}: operations[{index}]")
            for option, why in template.ignored_options:
                ignored.setdefault(option, []).append(f"operations[{index}]" + (f": {why}" if why else ""))
        if ignored:
            log.warning(
                "%s: lbpy ignores these template options, which loopback-connector-rest passed to the request "
                "library: %s",
                where,
                ", ".join(f"{option} ({', '.join(places)})" for option, places in ignored.items()),
            )

    def _add_operation(self, operation: Any, where: str) -> Template:
        if not isinstance(operation, Mapping) or "template" not in operation:
            raise BootError(f"{where}: the operation template is missing")
        template = Template.compile(operation["template"], where=where)
        for secret in template.literal_secrets():
            self.http.secrets.add(secret)
        functions = operation.get("functions") or {}
        if not isinstance(functions, Mapping):
            raise BootError(f'{where}: "functions" must be an object: function name -> [parameter names]')
        for fn_name, raw_params in functions.items():
            if fn_name in self.functions:
                raise BootError(f'{where}: two operations define the function "{fn_name}"')
            if not isinstance(raw_params, list):
                raise BootError(f"{where}: functions.{fn_name} must be a list of parameter names")
            params, sources, defaults = [], {}, {}
            for raw in raw_params:
                if isinstance(raw, Mapping) and isinstance(raw.get("name"), str):
                    param, source = raw["name"], raw.get("source")
                    if source is not None and source not in _SOURCE_NAMES:
                        raise BootError(
                            f'{where}: functions.{fn_name}: source "{source}" is not one of {", ".join(_SOURCE_NAMES)}'
                        )
                elif isinstance(raw, str):
                    param, source = raw, None
                else:
                    raise BootError(
                        f'{where}: functions.{fn_name}: a parameter is a name or {{"name": ..., "source": ...}}'
                    )
                param, eq, default = param.partition("=")
                param = param.strip()
                if eq:
                    defaults[param] = default
                if source:
                    sources[param] = source
                params.append(param)
            self.functions[fn_name] = Function(fn_name, template, params, sources, defaults)
        return template

    # -- CRUD mode ------------------------------------------------------------------------

    def resource(self, model: str) -> Resource:
        if not self.crud:
            raise BootError(
                f'datasource "{self.http.name}" has no CRUD mode: set "crud": true and '
                f'"baseURL" to serve {model} from the remote resource'
            )
        spec = self.models.get(model)
        settings = spec.settings if spec is not None else {}
        name = (
            settings.get("resourceName")
            or (spec.options.get("resourceName") if spec else None)
            or (spec.plural if spec is not None else model)
        )
        return RestResource(self.http, "/" + str(name).strip("/"), model)

    # -- template functions -------------------------------------------------------------------

    def model_functions(self, model: str) -> dict[str, dict[str, Any]]:
        return {name: fn.remoting() for name, fn in self.functions.items()}

    async def call_function(self, model: str, name: str, args: dict[str, Any], options: dict[str, Any]) -> Any:
        fn = self.functions[name]
        values = dict(fn.defaults)
        values.update({k: v for k, v in args.items() if v is not None})
        request = fn.template.build(values)
        response = await self.http.request(
            request["method"],
            request["url"],
            params=request["params"],
            headers=request["headers"],
            time_limit=fn.template.timeout,
            **({"json": request["json"]} if "json" in request else {}),
            **({"data": request["data"]} if "data" in request else {}),
        )
        return fn.template.result(response.status_code, response.headers, _body_of(self.http, response))


def _body_of(http: HttpClient, response: httpx.Response) -> Any:
    kind = response.headers.get("content-type", "")
    if "json" in kind or not kind:
        return http.decode(response)
    return response.text


class RestResource(Resource):
    """A LoopBack-style REST resource: /{plural} and /{plural}/{id}."""

    def __init__(self, http: HttpClient, path: str, model: str) -> None:
        self.http = http
        self.path = path
        self.model = model

    def _item(self, id: Any) -> str:
        if type(id) is int:
            return f"{self.path}/{id}"
        return f"{self.path}/{quote(str(id), safe='')}"

    async def list(self, query: dict[str, Any]) -> list[dict[str, Any]]:
        if not self.http.settings.paging.enabled:
            return await read_capped(self._page, dict(query.get("filter") or {}))
        rows: list[dict[str, Any]] = []
        async for page in self.http.pages(self.path, params=query, model=self.model):
            rows.extend(self._records(page))
        return rows

    async def _page(self, flt: dict[str, Any]) -> tuple[builtins.list[dict[str, Any]], bool]:
        response = await self.http.request("GET", self.path, params={"filter": flt} if flt else None, model=self.model)
        return self._records(self.http.decode(response)), "x-max-limit" in response.headers

    def _records(self, page: Any) -> builtins.list[dict[str, Any]]:
        if not isinstance(page, list):
            raise_malformed(self.http.name, f"a {self.model} list that is not an array")
        result: builtins.list[dict[str, Any]] = page
        return result

    async def get(self, id: Any) -> dict[str, Any] | None:
        response = await self.http.request("GET", self._item(id), allow=(404,), model=self.model)
        return None if response.status_code == 404 else self.http.decode(response)

    async def create(self, data: dict[str, Any]) -> tuple[Any, Any]:
        response = await self.http.request("POST", self.path, json=data, model=self.model)
        location = response.headers.get("location")
        located = location.rstrip("/").rsplit("/", 1)[-1] if location else None
        return self.http.decode(response), located

    async def _write(self, method: str, id: Any, data: dict[str, Any]) -> dict[str, Any] | None:
        response = await self.http.request(method, self._item(id), json=data, allow=(404,), model=self.model)
        if response.status_code == 404:
            return None
        body = self.http.decode(response)
        return body if body is not None else {}

    async def patch(self, id: Any, data: dict[str, Any]) -> dict[str, Any] | None:
        return await self._write("PATCH", id, data)

    async def replace(self, id: Any, data: dict[str, Any]) -> dict[str, Any] | None:
        return await self._write("PUT", id, data)

    async def delete(self, id: Any) -> int:
        response = await self.http.request("DELETE", self._item(id), allow=(404,), model=self.model)
        if response.status_code == 404:
            return 0
        body = self.http.decode(response)
        if isinstance(body, dict) and isinstance(body.get("count"), int):
            result: int = body["count"]
            return result
        return 1

    async def count(self, where: dict[str, Any] | None) -> int | None:
        params = {"where": where_json(where)} if where is not None else None
        body = await self.http.json("GET", f"{self.path}/count", params=params, model=self.model)
        if isinstance(body, dict) and isinstance(body.get("count"), int):
            result: int | None = body["count"]
            return result
        raise_malformed(self.http.name, f"a {self.model} count without a number")

    async def update_all(self, where: dict[str, Any] | None, data: dict[str, Any]) -> int | None:
        params = {"where": where_json(where)}
        body = await self.http.json("POST", f"{self.path}/update", params=params, json=data, model=self.model)
        if isinstance(body, dict) and isinstance(body.get("count"), int):
            result: int | None = body["count"]
            return result
        raise_malformed(self.http.name, f"a {self.model} update without a count")

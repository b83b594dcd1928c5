"""The ``openapi`` connector (LoopBack's loopback-connector-openapi and -swagger): every
operation of an OpenAPI 2 or 3 document is a method of the datasource's models, named by its
operationId, with its arguments validated against the document's schemas before any request
leaves; and a model whose resource the document describes (``/{plural}`` and
``/{plural}/{id}``, as LoopBack and lbpy publish them) gets its CRUD through those operations.

Settings: ``spec`` (a file, relative to the app, or an http(s) URL; or a dict), ``validate``
(check the document itself at boot; needs ``pip install 'lbpy[openapi]'``), ``authorizations``
(credentials by security scheme name), ``baseURL`` (instead of the document's servers),
``remoteMethods`` (false: the operations are model methods only, not served over REST), and
lbpy.http's settings (timeout, retries, auth, ...).
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx

from ..._errors import BootError
from ..._model._definition import ModelSpec
from ...http import ApiKeyAuth, BearerAuth, HttpClient, MultiAuth, OAuth2ClientCredentials, http_settings
from .._base import Setting
from .._http_crud import HTTP_SETTINGS, HttpCrudConnector, Resource, raise_malformed, read_capped, where_json
from ._operation import Validators, prepare, remote_type
from ._spec import Operation, Spec, load_spec

#: lbpy's CRUD calls and the routes LoopBack publishes for them, under the model's resource
CRUD_ROUTES = {
    "find": ("GET", ""),
    "create": ("POST", ""),
    "findById": ("GET", "/{id}"),
    "patch": ("PATCH", "/{id}"),
    "replace": ("PUT", "/{id}"),
    "deleteById": ("DELETE", "/{id}"),
    "count": ("GET", "/count"),
    "updateAll": ("POST", "/update"),
}


class OpenApiConnector(HttpCrudConnector):
    name = "openapi"
    settings_schema = (
        Setting("spec", required=True, description="the OpenAPI document: a file or a URL"),
        Setting("validate", type="boolean", default=False, description="check the document at boot"),
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
        self._name = str(self.settings.get("name") or "openapi")
        self._where = f'datasource "{self._name}"'
        self._filters_given = "filters" in self.settings
        if self.settings.get("spec") is None and self.settings.get("url") is None:
            raise BootError(f'{self._where}: "spec" is required: an OpenAPI document\'s file or URL')
        auths = self.settings.get("authorizations")
        if auths is not None and not isinstance(auths, Mapping):
            raise BootError(f'{self._where}: "authorizations" must be an object: security scheme name -> credentials')
        self._spec: Spec | None = None
        self._http: HttpClient | None = None
        self._validators: Validators | None = None
        self._auths: dict[str, httpx.Auth] = {}
        self.remote = self.settings.get("remoteMethods", True) is not False

    # -- the document, read on first need (at boot, when the models ask for their methods) --

    @property
    def spec(self) -> Spec:
        if self._spec is None:
            spec = load_spec(
                self.settings.get("spec") or self.settings.get("url"),
                app_dir=self.app_dir,
                where=self._where,
                settings=self.settings,
                validate=_validate_document if self.settings.get("validate") else None,
            )
            if not self.settings.get("baseURL"):
                # stop the boot here, rather than answer every operation with a 500 later
                unresolved = spec.unresolved_base()
                if unresolved is not None:
                    raise BootError(f"{self._where}: {unresolved}")
            self._spec = spec
            self._by_name = {op.name: op for op in spec.operations}
            for op in spec.operations:
                if op.operation_id:
                    self._by_name.setdefault(op.operation_id, op)
            self._configure_filters()
        return self._spec

    # the base's plain attribute, made here on first use from the spec's servers
    @property
    def http(self) -> HttpClient:  # type: ignore[override]
        if self._http is None:
            settings = dict(self.settings)
            if not settings.get("baseURL"):
                base = self.spec.base_url()
                if base is None:
                    raise BootError(f"{self._where}: {self.spec.unresolved_base()}")
                settings["baseURL"] = base
            self._http = HttpClient(http_settings(settings, name=self._name, where=self._where))
            self._auths = self._scheme_auths()
        return self._http

    @property
    def validators(self) -> Validators:
        if self._validators is None:
            self._validators = Validators(self.spec)
        return self._validators

    def _configure_filters(self) -> None:
        """Unless ``filters`` says, the remote takes LoopBack's filter when its find operations
        declare a ``filter`` parameter (a LoopBack or lbpy API), and lbpy filters otherwise."""
        if self._filters_given:
            return
        finds = [op for op in (self._crud_operation(model, "find") for model in self.models) if op is not None]
        loopback = bool(finds) and all(any(p.name == "filter" for p in op.params) for op in finds)
        if not loopback:
            self.set_filter_mode("none")

    # -- authorizations ---------------------------------------------------------------------

    def _scheme_auths(self) -> dict[str, httpx.Auth]:
        given = self.settings.get("authorizations") or {}
        schemes = self.spec.security_schemes()
        auths: dict[str, httpx.Auth] = {}
        secrets = self._http.secrets if self._http is not None else None
        for name, credentials in given.items():
            scheme = schemes.get(name)
            if scheme is None:
                raise BootError(
                    f"{self._where}: authorizations.{name}: the spec has no security scheme "
                    f'"{name}" (it has: {", ".join(schemes) or "none"})'
                )
            auths[name] = _scheme_auth(scheme, credentials, secrets, f"{self._where}: authorizations.{name}")
        return auths

    def auth_for(self, operation: Operation) -> Any:
        requirements = operation.security
        if not requirements or not self._auths:
            return None
        for requirement in requirements:
            names = list(requirement or {})
            if names and all(n in self._auths for n in names):
                parts = [self._auths[n] for n in names]
                return parts[0] if len(parts) == 1 else MultiAuth(parts)
        return None

    # -- operations as methods ---------------------------------------------------------------

    def model_functions(self, model: str) -> dict[str, dict[str, Any]]:
        functions = {}
        for op in self.spec.operations:
            meta = self._remoting(op)
            if not self.remote:
                meta["shared"] = False
            functions[op.name] = meta
        return functions

    def _remoting(self, op: Operation) -> dict[str, Any]:
        accepts = []
        for param in op.params:
            source = {"path": "path", "query": "query", "header": "header", "formData": "form"}.get(param.location)
            if source is None:
                continue
            accepts.append(
                {
                    "arg": param.name,
                    "type": "object" if param.json else remote_type(param.schema),
                    "required": param.required,
                    "description": param.description,
                    "http": {"source": source},
                }
            )
        if op.body is not None:
            accepts.append(
                {
                    "arg": op.body.name,
                    "type": remote_type(op.body.schema) if op.body.schema and op.body.schema.get("type") else "object",
                    "required": op.body.required,
                    "description": op.body.description,
                    "http": {"source": "body"},
                }
            )
        path = op.path
        for param in op.params:
            if param.location == "path":
                path = path.replace("{" + param.name + "}", f":{param.name}")
        kind = remote_type(op.returns)
        return {
            "accepts": accepts,
            "returns": {"arg": "data", "type": kind, "root": True},
            "http": {"verb": op.method.lower() if op.method != "OPTIONS" else "post", "path": path},
            "description": op.summary or f"{op.method} {op.path}",
        }

    async def call_function(self, model: str, name: str, args: dict[str, Any], options: dict[str, Any]) -> Any:
        self.spec  # noqa: B018  (reads the document if nothing has yet)
        _, body = await self.invoke(self._by_name[name], args)
        return body

    async def invoke(
        self,
        operation: Operation,
        args: Mapping[str, Any],
        *,
        partial: bool = False,
        allow: tuple[int, ...] = (),
        model: str | None = None,
    ) -> tuple[int, Any]:
        """Validate, send, and answer (status, decoded body)."""
        status, body, _ = await self.exchange(operation, args, partial=partial, allow=allow, model=model)
        return status, body

    async def exchange(
        self,
        operation: Operation,
        args: Mapping[str, Any],
        *,
        partial: bool = False,
        allow: tuple[int, ...] = (),
        model: str | None = None,
    ) -> tuple[int, Any, httpx.Headers]:
        """Validate, send, and answer (status, decoded body, headers)."""
        http = self.http
        request = prepare(operation, args, self.validators, partial=partial)
        kwargs: dict[str, Any] = {
            "params": request["params"],
            "headers": request["headers"],
            "allow": allow,
            "model": model,
        }
        for key in ("json", "data", "content"):
            if key in request:
                kwargs[key] = request[key]
        auth = self.auth_for(operation)
        if auth is not None:
            kwargs["auth"] = auth
        response = await http.request(operation.method, request["url"], **kwargs)
        kind = response.headers.get("content-type", "")
        body = http.decode(response) if ("json" in kind or not kind) else response.text
        return response.status_code, body, response.headers

    # -- CRUD through the document's operations -------------------------------------------

    def _crud_operation(self, model: str, call: str) -> Operation | None:
        spec = self.models.get(model)
        if spec is None:
            return None
        chosen = (self.model_settings(model).get("operations") or {}).get(call)
        if chosen is not None:
            self.spec  # noqa: B018
            found = self._by_name.get(chosen)
            if found is None:
                raise BootError(
                    f'{spec.source}: openapi.operations.{call} names "{chosen}", which the spec does not have'
                )
            return found
        resource = spec.settings.get("resourceName") or spec.options.get("resourceName") or spec.plural
        method, suffix = CRUD_ROUTES[call]
        wanted = f"/{str(resource).strip('/')}{suffix}".lower()
        for op in self.spec.operations:
            if op.method != method:
                continue
            shape = op.path.lower()
            if suffix == "/{id}":
                head, _, last = shape.rpartition("/")
                if last.startswith("{") and last.endswith("}") and head == wanted[: -len("/{id}")]:
                    return op
            elif shape == wanted:
                return op
        return None

    def resource(self, model: str) -> Resource:
        found = {call: self._crud_operation(model, call) for call in CRUD_ROUTES}
        missing = [c for c in ("find", "create") if found[c] is None]
        if missing:
            raise BootError(
                f"{self._where}: the spec has no {' and '.join(missing)} operation for "
                f"{model} (looked for /{self.models[model].plural}); name them in the model's "
                '"openapi": {"operations": {"find": "<operationId>", ...}}'
            )
        return OpenApiResource(self, model, found)

    async def disconnect(self) -> None:
        if self._http is not None:
            await self._http.aclose()


def _scheme_auth(scheme: Mapping[str, Any], credentials: Any, secrets: Any, where: str) -> httpx.Auth:
    kind = str(scheme.get("type") or "")

    def value(*keys: str) -> str:
        if isinstance(credentials, str):
            return credentials
        if isinstance(credentials, Mapping):
            for key in keys:
                if isinstance(credentials.get(key), str) and credentials[key]:
                    result: str = credentials[key]
                    return result
        raise BootError(f"{where} needs {keys[0]}")

    def secret(text: str) -> str:
        if secrets is not None:
            secrets.add(text)
        return text

    if kind == "apiKey":
        return ApiKeyAuth(
            str(scheme.get("name") or "api_key"),
            secret(value("value", "key", "apiKey")),
            str(scheme.get("in") or "header"),
        )
    if kind == "basic" or (kind == "http" and str(scheme.get("scheme", "")).lower() == "basic"):
        if not isinstance(credentials, Mapping):
            raise BootError(f"{where} needs username and password")
        return httpx.BasicAuth(value("username", "user"), secret(value("password", "pass")))
    if kind == "http" and str(scheme.get("scheme", "")).lower() == "bearer":
        return BearerAuth(secret(value("token", "accessToken")))
    if kind == "oauth2":
        if isinstance(credentials, Mapping) and isinstance(credentials.get("token"), Mapping):
            return BearerAuth(secret(str(credentials["token"].get("access_token"))))
        if isinstance(credentials, Mapping) and ("clientId" in credentials or "client_id" in credentials):
            flows = scheme.get("flows") or {}
            token_url = (
                credentials.get("tokenUrl")
                or (flows.get("clientCredentials") or {}).get("tokenUrl")
                or scheme.get("tokenUrl")
            )
            if not token_url:
                raise BootError(f"{where}: the scheme has no client-credentials tokenUrl; give tokenUrl")
            return OAuth2ClientCredentials(
                str(token_url),
                value("clientId", "client_id"),
                secret(value("clientSecret", "client_secret")),
                scope=" ".join(credentials.get("scopes") or []) or credentials.get("scope"),
                secrets=secrets,
            )
        return BearerAuth(secret(value("accessToken", "token")))
    raise BootError(f'{where}: security scheme type "{kind}" is not supported')


def _validate_document(document: dict[str, Any], source: str) -> None:
    try:
        from openapi_spec_validator import validate
    except ImportError:
        raise BootError(f"{source}: validate needs openapi-spec-validator: pip install 'lbpy[openapi]'") from None
    try:
        validate(document)
    except Exception as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise BootError(f"{source} is not a valid OpenAPI document: {first}") from None


class OpenApiResource(Resource):
    def __init__(self, connector: OpenApiConnector, model: str, operations: dict[str, Operation | None]) -> None:
        self.connector = connector
        self.model = model
        self.ops = operations

    def _id_args(self, op: Operation, id: Any) -> dict[str, Any]:
        name = next((p.name for p in op.params if p.location == "path"), "id")
        return {name: id}

    def _body_args(self, op: Operation, data: dict[str, Any]) -> dict[str, Any]:
        return {op.body.name if op.body is not None else "body": data}

    async def list(self, query: dict[str, Any]) -> list[dict[str, Any]]:
        op = self.ops["find"]
        assert op is not None  # a model is a resource only when its API has a find operation
        takes_filter = any(p.name == "filter" for p in op.params)
        http = self.connector.http
        if http.settings.paging.enabled:
            rows: list[dict[str, Any]] = []
            request = prepare(
                op, {"filter": query["filter"]} if takes_filter and "filter" in query else {}, self.connector.validators
            )
            async for page in http.pages(
                request["url"], params=request["params"], model=self.model, auth=self.connector.auth_for(op)
            ):
                rows.extend(page)
            return rows
        if not takes_filter:
            _, body = await self.connector.invoke(op, {}, model=self.model)
            return self._records(body)

        async def read_page(flt: dict[str, Any]) -> tuple[builtins.list[dict[str, Any]], bool]:
            _, body, headers = await self.connector.exchange(op, {"filter": flt} if flt else {}, model=self.model)
            return self._records(body), "x-max-limit" in headers

        return await read_capped(read_page, dict(query.get("filter") or {}))

    def _records(self, body: Any) -> builtins.list[dict[str, Any]]:
        if not isinstance(body, list):
            raise_malformed(self.connector.http.name, f"a {self.model} list that is not an array")
        result: builtins.list[dict[str, Any]] = body
        return result

    async def get(self, id: Any) -> dict[str, Any] | None:
        op = self.ops["findById"]
        if op is None:
            rows = await self.list({"filter": {"where": {self.connector.id_name(self.model): id}}})
            return next((r for r in rows if r.get(self.connector.id_name(self.model)) == id), None)
        status, body = await self.connector.invoke(op, self._id_args(op, id), allow=(404,), model=self.model)
        return None if status == 404 else body

    async def create(self, data: dict[str, Any]) -> tuple[Any, Any]:
        op = self.ops["create"]
        assert op is not None  # create is asked for only when the API has it
        _, body = await self.connector.invoke(op, self._body_args(op, data), model=self.model)
        return body, None

    async def _write(self, call: str, id: Any, data: dict[str, Any], partial: bool) -> dict[str, Any] | None:
        op = self.ops[call]
        if op is None:
            raise BootError(f"{self.connector._where}: the spec has no {call} operation for {self.model}")
        status, body = await self.connector.invoke(
            op, {**self._id_args(op, id), **self._body_args(op, data)}, partial=partial, allow=(404,), model=self.model
        )
        if status == 404:
            return None
        return body if body is not None else {}

    async def patch(self, id: Any, data: dict[str, Any]) -> dict[str, Any] | None:
        if self.ops["patch"] is None and self.ops["replace"] is not None:
            current = await self.get(id)
            return None if current is None else await self._write("replace", id, {**current, **data}, False)
        return await self._write("patch", id, data, True)

    async def replace(self, id: Any, data: dict[str, Any]) -> dict[str, Any] | None:
        return await self._write("replace", id, data, False)

    async def delete(self, id: Any) -> int:
        op = self.ops["deleteById"]
        if op is None:
            raise BootError(f"{self.connector._where}: the spec has no delete operation for {self.model}")
        status, body = await self.connector.invoke(op, self._id_args(op, id), allow=(404,), model=self.model)
        if status == 404:
            return 0
        if isinstance(body, dict) and isinstance(body.get("count"), int):
            result: int = body["count"]
            return result
        return 1

    async def count(self, where: dict[str, Any] | None) -> int | None:
        op = self.ops["count"]
        if op is None:
            return None
        args = {"where": where_json(where)} if where is not None and any(p.name == "where" for p in op.params) else {}
        _, body = await self.connector.invoke(op, args, model=self.model)
        if isinstance(body, dict) and isinstance(body.get("count"), (int, float)):
            return int(body["count"])
        return None

    async def update_all(self, where: dict[str, Any] | None, data: dict[str, Any]) -> int | None:
        op = self.ops["updateAll"]
        if op is None:
            return None
        args = {**self._body_args(op, data), "where": where_json(where)}
        _, body = await self.connector.invoke(op, args, partial=True, model=self.model)
        if isinstance(body, dict) and isinstance(body.get("count"), (int, float)):
            return int(body["count"])
        return None


__all__ = ["OpenApiConnector", "OpenApiResource"]

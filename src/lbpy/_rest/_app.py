"""The ASGI app: LoopBack 3's REST route table for every public model, CORS, errors, explorer.

The REST path is plain ASGI (no per-request framework objects) because it is the hot path; the
explorer and the documents are ordinary Starlette routes.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Callable
from urllib.parse import parse_qsl

import orjson

from .._errors import BadRequestError, HttpError, NotFoundError, RequestTooLargeError
from .._filter import parse_query
from .._model._persisted import Model, json_value
from .._model._remote import hooks_for
from .._remoting import Accept, RemoteMethod, coerce_arg, default_source
from ._errors import error_body

if TYPE_CHECKING:
    from .._app import Application

log = logging.getLogger("lbpy")

_JSON_HEADERS = [(b"content-type", b"application/json; charset=utf-8")]
_ALLOWED_METHODS = b"GET,HEAD,PUT,PATCH,POST,DELETE"
_CORS_ALWAYS = [(b"vary", b"Origin"), (b"access-control-allow-credentials", b"true")]


def dumps(body: Any) -> bytes:
    """Compact UTF-8 JSON, as LoopBack answers; orjson because encoding dominates a find's cost."""
    return orjson.dumps(body, default=_default, option=orjson.OPT_NON_STR_KEYS)


def _default(value: Any) -> Any:
    if isinstance(value, Model):
        return value.to_json()
    return json_value(value) if not isinstance(value, (dict, list)) else value


def parse_size(value: Any, default: int = 100 * 1024) -> int:
    """LoopBack's body limits: ``"100kb"``, ``"1mb"`` or a number of bytes."""
    if isinstance(value, int):
        return value
    if not isinstance(value, str) or not value.strip():
        return default
    text = value.strip().lower()
    units = {"gb": 1 << 30, "mb": 1 << 20, "kb": 1 << 10, "b": 1}
    for unit, factor in units.items():
        if text.endswith(unit):
            try:
                return int(float(text[: -len(unit)]) * factor)
            except ValueError:
                return default
    try:
        return int(text)
    except ValueError:
        return default


class Route:
    __slots__ = ("verb", "segments", "params", "method", "model", "args", "static_count", "path")

    def __init__(self, model: type[Model], method: RemoteMethod, verb: str, path: str) -> None:
        self.verb = verb
        self.model = model
        self.method = method
        self.path = path
        parts = [p for p in path.strip("/").split("/") if p]
        self.segments = tuple(None if p.startswith(":") or p.startswith("{") else p.lower() for p in parts)
        self.params = tuple(
            p.strip(":{}") if p.startswith((":", "{")) else None for p in parts
        )
        self.static_count = sum(1 for s in self.segments if s is not None)
        from .._remoting import Endpoint

        endpoint = Endpoint(verb, path)
        self.args = [(a, default_source(a, endpoint)) for a in method.accepts]

    def match(self, parts: list[str]) -> dict[str, str] | None:
        if len(parts) != len(self.segments):
            return None
        params: dict[str, str] = {}
        for part, segment, name in zip(parts, self.segments, self.params):
            if segment is None:
                params[name] = part
            elif segment != part.lower():
                return None
        return params


class ModelRoutes:
    def __init__(self, model: type[Model], methods: list[RemoteMethod]) -> None:
        self.model = model
        self.methods = methods
        self.by_verb: dict[str, list[Route]] = {}
        for method in methods:
            for endpoint in method.http:
                self.by_verb.setdefault(endpoint.verb, []).append(
                    Route(model, method, endpoint.verb, endpoint.path)
                )
        # static paths win over parameters (/findOne before /:id): a static path is one dict
        # look-up, however many a model has (scopes, remote methods), before the few with parameters
        self.static: dict[tuple[str, tuple], Route] = {}
        self.dynamic: dict[tuple[str, int], list[Route]] = {}
        for verb, routes in self.by_verb.items():
            routes.sort(key=lambda r: (len(r.segments), -r.static_count))
            for route in routes:
                if route.static_count == len(route.segments):
                    self.static.setdefault((verb, route.segments), route)
                else:
                    self.dynamic.setdefault((verb, len(route.segments)), []).append(route)

    def find(self, verb: str, parts: list[str]) -> tuple[Route, dict[str, str]] | None:
        route = self.static.get((verb, tuple([part.lower() for part in parts])))
        if route is not None:
            return route, {}
        for route in self.dynamic.get((verb, len(parts)), ()):
            params = route.match(parts)
            if params is not None:
                return route, params
        return None


def model_methods(model: type[Model]) -> list[RemoteMethod]:
    """Every remote method ``model`` exposes, in LoopBack's order: its relation routes, its named
    scopes and the built-ins (when persisted), then its own."""
    from .._model._relation_methods import relation_methods
    from .._model._remote import is_disabled
    from .._model._scopes import scope_methods
    from .._remoting import builtin_methods

    methods: list[RemoteMethod] = []
    if model.spec.persisted and model.spec.id_name:
        methods.extend(relation_methods(model))
        methods.extend(scope_methods(model))
        methods.extend(builtin_methods(model.spec.name))
    methods.extend(model.remote_methods())
    allowed = _shared_methods(model)
    return [m for m in methods if not is_disabled(model, m) and _allowed(m, allowed)]


def _shared_methods(model: type[Model]) -> dict[str, bool] | None:
    remoting = model.spec.options.get("remoting") or {}
    shared = remoting.get("sharedMethods") if isinstance(remoting, dict) else None
    return shared if isinstance(shared, dict) else None


def _allowed(method: RemoteMethod, shared: dict[str, bool] | None) -> bool:
    if shared is None:
        return True
    from .._model._remote import method_names

    for name in method_names(method):
        if name in shared:
            return bool(shared[name])
    return bool(shared.get("*", True))


class Call:
    """One request to a REST route: its parsed parts, read when a handler asks for them."""

    __slots__ = ("scope", "receive", "params", "_query", "_body", "_body_read", "_raw", "limit", "options")

    def __init__(self, scope, receive, params: dict[str, str], limit: int) -> None:
        self.scope = scope
        self.receive = receive
        self.params = params
        self.limit = limit
        self._query: dict | None = None
        self._body: Any = None
        self._body_read = False
        self._raw = b""
        self.options: dict = {}

    def query(self) -> dict:
        if self._query is None:
            raw = self.scope.get("query_string", b"")
            self._query = parse_query(parse_qsl(raw.decode("latin-1"), keep_blank_values=True)) if raw else {}
        return self._query

    def header(self, name: str) -> str | None:
        key = name.lower().encode("latin-1")
        for k, v in self.scope.get("headers", ()):
            if k == key:
                return v.decode("latin-1")
        return None

    async def replay(self) -> dict:
        """An ASGI receive for code that reads the request itself (a ``req`` argument, a remote
        hook's ``ctx.req``): the body lbpy already read is given again rather than waited for."""
        if self._body_read:
            return {"type": "http.request", "body": self._raw, "more_body": False}
        return await self.receive()

    async def body(self) -> Any:
        if self._body_read:
            return self._body
        self._body_read = True
        chunks = []
        size = 0
        while True:
            message = await self.receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                raise RequestTooLargeError(
                    f"request entity too large: the body is over {self.limit} bytes; raise "
                    "remoting.json.limit in server/config.json to accept more",
                    code="entity.too.large",
                )
            chunks.append(chunk)
            if not message.get("more_body"):
                break
        raw = self._raw = b"".join(chunks)
        content_type = (self.header("content-type") or "").split(";")[0].strip().lower()
        if not raw.strip():
            self._body = None
        elif content_type == "application/x-www-form-urlencoded":
            self._body = parse_query(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
        elif content_type in ("", "application/json", "text/json") or content_type.endswith("+json"):
            try:
                self._body = json.loads(raw)
            except ValueError as exc:
                raise BadRequestError(
                    f"Malformed JSON in the request body: {getattr(exc, 'msg', exc)} at position "
                    f"{getattr(exc, 'pos', 0)}; send a JSON object", code="entity.parse.failed",
                    name="SyntaxError",
                ) from None
        else:
            self._body = None
        return self._body


class RestApp:
    """Dispatches ``restApiRoot`` requests to model routes."""

    def __init__(self, app: "Application") -> None:
        self.app = app
        self.debug = app.debug
        json_limit = (app.config.remoting.json_ or {}).get("limit")
        self.limit = parse_size(json_limit)
        self.by_path: dict[str, ModelRoutes] = {}
        self.cors = _cors_enabled(app)

    def build_routes(self) -> None:
        """Routes are built once the app has started, so that methods a boot script adds are served."""
        by_path = {}
        for model in self.app.exposed_models():
            by_path[model.spec.plural.strip("/").lower()] = ModelRoutes(model, model_methods(model))
        self.by_path = by_path

    async def handle(self, scope, receive, send, parts: list[str], origin: bytes | None) -> None:
        verb = scope["method"]
        head = verb == "HEAD"
        try:
            routes = self.by_path.get(parts[0].lower()) if parts else None
            if routes is None:
                raise NotFoundError(f"There is no method to handle {verb} /{'/'.join(parts[:1])}")
            rest = parts[1:]
            found = routes.find(verb, rest)
            if found is None and head:
                found = routes.find("GET", rest)
            if found is None:
                raise NotFoundError(
                    f'Shared class "{routes.model.spec.name}" has no method handling {verb} /{"/".join(rest)}'
                )
            route, params = found
            call = Call(scope, receive, params, self.limit)
            if route.method.streams:
                await self.stream(route, call, send, origin)
                return
            status, body = await self.invoke(route, call)
        except Exception as exc:  # every failure becomes LoopBack's error body
            status, payload = error_body(exc, debug=self.debug)
            body = dumps(payload)
        await _send(send, status, None if head else body, origin, self.cors, length=len(body or b""))

    async def invoke(self, route: Route, call: Call) -> tuple[int, bytes | None]:
        method = route.method
        model = route.model
        args: dict[str, Any] = {}
        missing = None
        for accept, source in route.args:
            value = args[accept.arg] = await _read_arg(accept, source, call, method.builtin)
            if accept.required and (value is None or value == "") and missing is None:
                missing = accept.arg
        instance = None
        if not method.is_static:
            instance_id = call.params.get("id")
            instance = await model.find_by_id(instance_id, None, call.options)
            if instance is None:
                raise NotFoundError(f"could not find a model with id {instance_id}", code="MODEL_NOT_FOUND")
            args.pop("id", None)
        hooks = hooks_for(model, method) if "_remote_hook_index" in model.__dict__ else None
        if hooks is None:
            if missing is not None:
                raise BadRequestError(f"{missing} is a required argument")
            result = await method.fn(model if instance is None else instance, **args)
        else:
            result = await _invoke_with_hooks(route, call, args, instance, hooks)
        if method.name == "exists" and route.verb == "HEAD" and not result:
            raise NotFoundError(f'Unknown "{model.spec.name}" id "{call.params.get("id")}".',
                                code="MODEL_NOT_FOUND")
        body = serialize(method, result)
        return (204 if body is None and method.status == 200 else method.status), body

    async def stream(self, route: Route, call: Call, send, origin: bytes | None) -> None:
        """A change stream: server-sent events until the client goes away (or the server stops)."""
        args = {accept.arg: await _read_arg(accept, source, call, route.method.builtin)
                for accept, source in route.args}
        changes = await route.method.fn(route.model, **args)
        headers = [(b"content-type", b"text/event-stream"), (b"cache-control", b"no-cache, no-transform")]
        if self.cors:
            if origin is not None:
                headers.append((b"access-control-allow-origin", origin))
            headers += _CORS_ALWAYS
        try:
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": b":ok\n\n", "more_body": True})
            await _pump(changes, call.receive, send)
        finally:
            changes.close()


def _check_required(route: Route, args: dict) -> None:
    for accept, _source in route.args:
        if accept.required:
            value = args.get(accept.arg)
            if value is None or value == "":
                raise BadRequestError(f"{accept.arg} is a required argument")


async def _invoke_with_hooks(route: Route, call: Call, args: dict, instance: Model | None,
                             hooks: tuple[list, list, list]) -> Any:
    """LoopBack's order: before hooks, the required-argument check, the method, after hooks;
    after-error hooks see any failure of those."""
    from .._model._remote import RemoteContext, run_hook as call_hook

    before, after, on_error = hooks
    method = route.method
    ctx = RemoteContext(route.model, method, args, scope=call.scope, receive=call.replay,
                        instance=instance, options=call.options)
    try:
        for fn in before:
            await call_hook(fn, ctx)
        _check_required(route, ctx.args)
        ctx.result = await method.fn(route.model if instance is None else instance, **ctx.args)
        for fn in after:
            await call_hook(fn, ctx)
    except Exception as exc:
        if not on_error:
            raise
        ctx.error = exc
        for fn in on_error:
            try:
                await call_hook(fn, ctx)
            except Exception as replaced:
                ctx.error = replaced
        raise ctx.error from None
    return ctx.result


async def _read_arg(accept: Accept, source: str, call: Call, builtin: bool) -> Any:
    if source == "path":
        value = call.params.get(accept.arg)
    elif source == "query":
        value = call.query().get(accept.arg)
    elif source == "body":
        value = await call.body()
    elif source == "form":
        body = await call.body()
        value = body.get(accept.arg) if isinstance(body, dict) else None
        if value is None:
            value = call.query().get(accept.arg)
    elif source == "header":
        value = call.header(accept.arg)
    elif source == "options":
        return call.options
    elif source in ("req", "context"):
        from starlette.requests import Request

        return Request(call.scope, call.replay)
    else:
        value = None
    if value is None and accept.default is not None:
        value = accept.default
    if builtin:
        return value
    return coerce_arg(accept, value, source)


async def _pump(changes, receive, send) -> None:
    """Send each change as an event; stop when the client disconnects or the stream closes."""
    import anyio

    async with anyio.create_task_group() as tasks:
        async def watch_disconnect() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass
            tasks.cancel_scope.cancel()

        tasks.start_soon(watch_disconnect)
        try:
            async for change in changes:
                await send({"type": "http.response.body", "more_body": True,
                            "body": b"event: data\ndata: " + dumps(change) + b"\n\n"})
        except OSError:
            pass  # the connection went away while sending
        await send({"type": "http.response.body", "body": b"", "more_body": False})
        tasks.cancel_scope.cancel()


def serialize(method: RemoteMethod, result: Any) -> bytes | None:
    returns = method.returns
    if not returns:
        return None  # answered 204 No Content
    if len(returns) == 1 and returns[0].root:
        if isinstance(result, Model):
            return dumps(result.to_json())
        if isinstance(result, list):
            return dumps([r.to_json() if isinstance(r, Model) else json_value(r) for r in result])
        return dumps(json_value(result))
    if len(returns) == 1:
        return dumps({returns[0].arg: json_value(result)})
    if isinstance(result, dict):
        return dumps({r.arg: json_value(result.get(r.arg)) for r in returns})
    values = result if isinstance(result, (list, tuple)) else [result]
    return dumps({r.arg: json_value(v) for r, v in zip(returns, values)})


def _cors_enabled(app: "Application") -> bool:
    remoting_cors = getattr(app.config.remoting, "cors", None)
    return app.config.model_extra.get("cors", True) is not False if remoting_cors is None else True


async def _send(send, status: int, body: bytes | None, origin: bytes | None, cors: bool,
                *, length: int | None = None, content_type=_JSON_HEADERS) -> None:
    headers = list(content_type) if body is not None or length else []
    size = len(body) if body is not None else (length or 0)
    headers.append((b"content-length", str(size).encode()))
    if cors:
        # LoopBack's cors({origin: true, credentials: true}) answers like this on every response
        if origin is not None:
            headers.append((b"access-control-allow-origin", origin))
        headers += _CORS_ALWAYS
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body or b""})


def build_asgi(app: "Application") -> Callable:
    """The whole ASGI app: lifespan, CORS, REST routes, documents and the explorer."""
    from starlette.routing import Router

    from ._docs import doc_routes

    rest = RestApp(app)
    root = app.rest_api_root
    root_len = len(root)
    async def not_found(scope, receive, send) -> None:
        error = NotFoundError(f"Cannot {scope.get('method', 'GET')} {scope.get('path', '/')}")
        status, payload = error_body(error, debug=app.debug)
        await _send(send, status, dumps(payload), _origin(scope), rest.cors)

    others = Router(routes=doc_routes(app, rest), default=not_found)
    routes_built: list[bool] = []
    started_at = datetime.now(timezone.utc)
    start_clock = time.monotonic()

    async def asgi(scope, receive, send) -> None:
        kind = scope["type"]
        if kind == "lifespan":
            await _lifespan(app, receive, send)
            return
        if kind != "http":
            await others(scope, receive, send)
            return
        if not app._started or not routes_built:
            try:
                await app.start()
                if not routes_built:
                    rest.build_routes()
                    routes_built.append(True)
            except Exception as exc:
                status, payload = error_body(
                    exc if isinstance(exc, HttpError) else _unavailable(exc), debug=app.debug
                )
                await _send(send, status, dumps(payload), None, False)
                return
        origin = _origin(scope)
        path: str = scope["path"]
        if scope["method"] == "OPTIONS" and rest.cors:
            await _preflight(scope, send, origin)
            return
        if path.startswith(root) and (len(path) == root_len or path[root_len] == "/"):
            parts = [p for p in path[root_len:].split("/") if p]
            await rest.handle(scope, receive, send, parts, origin)
            return
        if path == "/" and scope["method"] in ("GET", "HEAD"):
            body = dumps({"started": started_at, "uptime": round(time.monotonic() - start_clock, 3)})
            await _send(send, 200, body, origin, rest.cors)
            return
        await others(scope, receive, send)

    return asgi


def _origin(scope) -> bytes | None:
    for key, value in scope["headers"]:
        if key == b"origin":
            return value
    return None


def _unavailable(exc: Exception) -> HttpError:
    log.error("the app could not start: %s", exc)
    return HttpError(f"The app could not start: {exc}", status_code=503, code="APP_NOT_STARTED")


async def _preflight(scope, send, origin: bytes | None) -> None:
    requested = b""
    for key, value in scope["headers"]:
        if key == b"access-control-request-headers":
            requested = value
    headers = [(b"access-control-allow-origin", origin)] if origin is not None else []
    headers += [
        (b"access-control-allow-credentials", b"true"),
        (b"access-control-allow-methods", _ALLOWED_METHODS),
        (b"access-control-max-age", b"86400"),
        (b"vary", b"Origin, Access-Control-Request-Headers"),
        (b"content-length", b"0"),
    ]
    if requested:
        headers.append((b"access-control-allow-headers", requested))
    await send({"type": "http.response.start", "status": 204, "headers": headers})
    await send({"type": "http.response.body", "body": b""})


async def _lifespan(app: "Application", receive, send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            try:
                await app.start()
            except Exception as exc:
                log.error("the app could not start: %s", exc)
                await send({"type": "lifespan.startup.failed", "message": str(exc)})
                raise  # servers stop quietly after startup.failed; test clients re-raise it
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            try:
                await app.stop()
            finally:
                await send({"type": "lifespan.shutdown.complete"})
            return

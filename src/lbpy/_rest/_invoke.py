"""Calling a remote method for a request: arguments read and checked, remote hooks run in
LoopBack's order, the result answered (or streamed, for a change stream)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any

import anyio
from starlette.types import Receive, Scope, Send

from .._errors import BadRequestError, HttpError, MethodNotAllowedError, NotFoundError
from .._filter import load_json_param
from .._model._remote_methods import RemoteContext, hooks_for, run_hook
from ._errors import error_body
from ._request import Call, parse_size, read_arg
from ._response import CORS_ALWAYS, dumps, send_response, serialize
from ._routing import ModelRoutes, Route, route_table

if TYPE_CHECKING:
    from .._auth._service import CallAccess
    from .._model._persisted import Model
    from ._served import ServedApp


class RestApp:
    """Dispatches ``restApiRoot`` requests to model routes."""

    def __init__(self, app: ServedApp) -> None:
        self.app = app
        self.debug = app.debug
        json_limit = (app.config.remoting.json_ or {}).get("limit")
        self.limit = parse_size(json_limit)
        request_timeout = app.config.http.request_timeout
        self.body_timeout = request_timeout / 1000 if request_timeout else None
        heartbeat = app.config.http.stream_heartbeat
        self.heartbeat = heartbeat / 1000 if heartbeat else None
        self.by_path: dict[str, ModelRoutes] = {}
        self.cors = cors_enabled(app)
        self.max_limit = app.config.remoting.rest.max_limit
        #: the app's access control when it is enforced; None serves every route to everyone
        self.auth = app.auth if app.auth is not None and app.auth.enforced else None

    def build_routes(self) -> None:
        """Routes are built once the app has started, so that methods a boot script adds are served."""
        self.by_path = route_table(self.app.exposed_models())
        # a boot script may have called app.enable_auth()
        self.auth = self.app.auth if self.app.auth is not None and self.app.auth.enforced else None

    async def handle(self, scope: Scope, receive: Receive, send: Send, parts: list[str], origin: bytes | None) -> None:
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
                message = f'Shared class "{routes.model.spec.name}" has no method handling {verb} /{"/".join(rest)}'
                allowed = [v for v in routes.by_verb if routes.find(v, rest) is not None]
                if not allowed:
                    raise NotFoundError(message)
                # the path is served with other verbs: HTTP's 405 (LoopBack answered 404)
                raise MethodNotAllowedError(message, allowed=allowed)
            route, params = found
            scope["lbpy.route"] = route  # for the metrics and the access log around this layer
            call = Call(scope, receive, params, self.limit, self.body_timeout)
            access = None
            if self.auth is not None:
                access = await self.auth.call_access(scope)
                call.options["accessToken"] = access.token
                call.options["_auth"] = access
                await self.auth.authorize(route.model, route.method, access, await _model_id(route, call))
            if route.method.streams:
                await self.stream(route, call, send, origin, access)
                return
            status, body, extra = await self.invoke(route, call)
            if access is not None and (access.status or access.response_headers):
                status = access.status or status  # a redirect (confirm's), a cookie (login's)
                extra = (*extra, *access.response_headers)
        except Exception as exc:  # every failure becomes LoopBack's error body
            status, payload = error_body(exc, debug=self.debug)
            body, extra = dumps(payload), error_headers(exc)  # a 405's Allow, a 429's or 503's Retry-After
        redirect = status == 302
        await send_response(
            send,
            status,
            None if head or redirect else body,
            origin,
            self.cors,
            length=0 if redirect else len(body or b""),
            extra=extra,
        )

    async def invoke(self, route: Route, call: Call) -> tuple[int, bytes | None, tuple[Any, ...]]:
        method = route.method
        model = route.model
        args: dict[str, Any] = {}
        for accept, source in route.args:
            args[accept.arg] = await read_arg(accept, source, call, method.builtin)
        capped = False
        if route.pages and self.max_limit is not None:
            args["filter"], capped = cap_limit(args.get("filter"), self.max_limit)
        instance = None
        if not method.is_static:
            instance_id = call.params.get("id")
            instance = await model.find_by_id(instance_id, None, call.options)
            if instance is None:
                raise NotFoundError(f"could not find a model with id {instance_id}", code="MODEL_NOT_FOUND")
            args.pop("id", None)
        hooks = hooks_for(model, method)
        if hooks is None:
            _check_required(route, args)
            result = await method.fn(model if instance is None else instance, **args)
        else:
            result = await _invoke_with_hooks(route, call, args, instance, hooks)
        if method.name == "exists" and route.verb == "HEAD" and not result:
            raise NotFoundError(f'Unknown "{model.spec.name}" id "{call.params.get("id")}".', code="MODEL_NOT_FOUND")
        body = serialize(method, result)
        extra: tuple[Any, ...] = ()
        if capped and self.max_limit is not None and isinstance(result, list) and len(result) >= self.max_limit:
            # the answer may have been cut: say so, with the bound a client pages by
            extra = ((b"x-max-limit", str(self.max_limit).encode()),)
            if self.cors:
                extra += ((b"access-control-expose-headers", b"X-Max-Limit"),)
        return (204 if body is None and method.status == 200 else method.status), body, extra

    async def stream(
        self, route: Route, call: Call, send: Send, origin: bytes | None, access: CallAccess | None = None
    ) -> None:
        """A change stream: server-sent events until the client goes away, the server stops, or
        the caller may no longer read the model (a logout, an expired token, a role taken away:
        each event is checked as a request would be, from the same caches).

        Proxies are told not to buffer the events (``X-Accel-Buffering: no``, which nginx reads),
        and a comment line goes out every ``http.streamHeartbeat`` so that an idle stream is not
        taken for a dead connection."""
        args = {accept.arg: await read_arg(accept, source, call, route.method.builtin) for accept, source in route.args}
        changes = await route.method.fn(route.model, **args)
        headers = [
            (b"content-type", b"text/event-stream"),
            (b"cache-control", b"no-cache, no-transform"),
            (b"x-accel-buffering", b"no"),
        ]
        if self.cors:
            if origin is not None:
                headers.append((b"access-control-allow-origin", origin))
            headers += CORS_ALWAYS
        try:
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": b":ok\n\n", "more_body": True})
            allowed: Callable[[], Awaitable[bool]] | None = None
            if access is not None:

                async def allowed() -> bool:
                    return await access.still_allowed(route.model, route.method)

            await _pump(changes, call.receive, send, allowed, self.heartbeat)
        finally:
            changes.close()


#: the built-in methods whose body's ``id`` names the record they write
_BODY_ID_METHODS = frozenset({"patchOrCreate", "replaceOrCreate"})


async def _model_id(route: Route, call: Call) -> Any:
    """The record a call acts on, whose stored data decides ``$owner``: the path's id; for
    ``PATCH /X`` and ``replaceOrCreate`` the body's ``id`` (the record they write); for an app's
    remote method its own ``id`` argument. LoopBack 3 also took a body's or the query's ``id`` for
    any method, so ``GET /X?id=<a record of mine>`` passed ``$owner`` and listed every record."""
    found = call.params.get("id")
    if found is not None:
        return found
    method = route.method
    if method.builtin:
        if method.name in _BODY_ID_METHODS:
            body = await call.body()
            return body.get("id") if isinstance(body, dict) else None
        return None
    for accept, source in route.args:
        if accept.arg == "id" and source in ("query", "body", "form"):
            try:
                return await read_arg(accept, source, call, False)
            except HttpError:
                return None  # the method's own check answers a malformed id
    return None


def cap_limit(flt: Any, max_limit: int) -> tuple[Any, bool]:
    """``flt`` with its ``limit`` at most ``max_limit`` (and set, when it had none), and whether
    that lowered it. A filter that is not an object, or a limit that is not a number, is left for
    the filter's parser to refuse."""
    flt = load_json_param("filter", flt)
    if flt is None:
        return {"limit": max_limit}, True
    if not isinstance(flt, dict):
        return flt, False
    limit = flt.get("limit")
    if limit is None:
        return {**flt, "limit": max_limit}, True
    try:
        asked = float(limit) if isinstance(limit, str) else limit
    except ValueError:
        return flt, False
    if isinstance(asked, (int, float)) and not isinstance(asked, bool) and asked > max_limit:
        return {**flt, "limit": max_limit}, True
    return flt, False


def error_headers(exc: BaseException) -> tuple[Any, ...]:
    """The headers an error answer carries (a 503's ``Retry-After``)."""
    headers = exc.headers if isinstance(exc, HttpError) else None
    return tuple((k.lower().encode("latin-1"), str(v).encode("latin-1")) for k, v in (headers or {}).items())


def _check_required(route: Route, args: dict[str, Any]) -> None:
    for accept, _source in route.args:
        if accept.required:
            value = args.get(accept.arg)
            if value is None or value == "":
                raise BadRequestError(f"{accept.arg} is a required argument")


async def _invoke_with_hooks(
    route: Route,
    call: Call,
    args: dict[str, Any],
    instance: Model | None,
    hooks: tuple[list[Any], list[Any], list[Any]],
) -> Any:
    """LoopBack's order: before hooks, the required-argument check, the method, after hooks;
    after-error hooks see any failure of those."""
    before, after, on_error = hooks
    method = route.method
    ctx = RemoteContext(
        route.model, method, args, scope=call.scope, receive=call.replay, instance=instance, options=call.options
    )
    try:
        for fn in before:
            await run_hook(fn, ctx)
        _check_required(route, ctx.args)
        ctx.result = await method.fn(route.model if instance is None else instance, **ctx.args)
        for fn in after:
            await run_hook(fn, ctx)
    except Exception as exc:
        if not on_error:
            raise
        ctx.error = exc
        for fn in on_error:
            try:
                await run_hook(fn, ctx)
            except Exception as replaced:
                ctx.error = replaced
        raise ctx.error from None
    return ctx.result


async def _pump(
    changes: AsyncIterator[Any],
    receive: Receive,
    send: Send,
    allowed: Callable[[], Awaitable[bool]] | None = None,
    heartbeat: float | None = None,
) -> None:
    """Send each change as an event, and a comment line every ``heartbeat`` seconds; stop when
    the client disconnects, the stream closes, or ``allowed()`` says the caller may no longer
    have it."""
    writing = anyio.Lock()  # an event and a heartbeat never go out interleaved

    async def write(body: bytes) -> None:
        async with writing:
            await send({"type": "http.response.body", "more_body": True, "body": body})

    async with anyio.create_task_group() as tasks:

        async def watch_disconnect() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass
            tasks.cancel_scope.cancel()

        async def beat(seconds: float) -> None:
            try:
                while True:
                    await anyio.sleep(seconds)
                    await write(_HEARTBEAT)
            except OSError:
                tasks.cancel_scope.cancel()  # the connection went away

        tasks.start_soon(watch_disconnect)
        if heartbeat:
            tasks.start_soon(beat, heartbeat)
        try:
            async for change in changes:
                if allowed is not None and not await allowed():
                    break
                await write(b"event: data\ndata: " + dumps(change) + b"\n\n")
        except OSError:
            pass  # the connection went away while sending
        async with writing:
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        tasks.cancel_scope.cancel()


#: a comment line: clients ignore it, proxies see traffic
_HEARTBEAT = b":\n\n"


def cors_enabled(app: ServedApp) -> bool:
    if app.files.middleware is not None:
        return False  # server/middleware.json's cors entry decides, as it did in LoopBack 3
    remoting_cors = getattr(app.config.remoting, "cors", None)
    return (app.config.model_extra or {}).get("cors", True) is not False if remoting_cors is None else True

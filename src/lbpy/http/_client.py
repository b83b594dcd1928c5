"""The HTTP client every HTTP-backed connector uses: one pooled httpx ``AsyncClient`` per
datasource, with its timeouts, authentication, retries, bounds and error mapping.

    client = HttpClient(http_settings(datasource_settings))
    body = await client.json("GET", "/items", params={"q": "x"})      # parsed JSON
    response = await client.request("POST", "/items", json={"a": 1})  # an httpx.Response
    async for records in client.pages("/items"):                     # the paging setting
        ...
    await client.aclose()

A request is retried (at most ``retries`` times, with doubling backoff and jitter) when the
connection fails before anything was sent, when an idempotent request's connection drops, and on
429 and 503, waiting for the remote's ``Retry-After`` when it gives one (up to ``maxRetryWait``).
An answer of 400 and above becomes lbpy's error (``lbpy.http._remote_errors``); a timeout is a 504;
a body that is not JSON where JSON was expected is a 502, and so is one larger than
``maxResponseBytes`` (read no further than that: ``lbpy.http._body``). Log lines and messages carry the method
and path, never the query string, a header or a credential.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import random
import ssl
import time
from collections.abc import AsyncIterator, Container, Mapping
from typing import Any

import anyio
import anyio.lowlevel
import certifi
import httpx
import orjson

from .._json_values import json_default
from .._json_values import loads as lbpy_loads
from ._body import ResponseTooLarge, read_bounded, read_raw
from ._bounds import RequestBounds, SharedRate
from ._paging import Paging
from ._redact import install_log_filter
from ._remote_errors import error_for, malformed, timed_out, too_large, unreachable
from ._settings import HttpSettings, http_settings
from ._transport import Http11Transport
from ._wire import Plain, Wire

log = logging.getLogger("lbpy.http")
install_log_filter()

#: methods safe to send again when a connection dropped after the request went out
IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
_UNSET: Any = object()


class HttpClient:
    """A datasource's connection to its remote API."""

    def __init__(self, settings: HttpSettings | Mapping[str, Any]) -> None:
        if not isinstance(settings, HttpSettings):
            settings = http_settings(settings)
        self.settings = settings
        self.name = settings.name
        self.secrets = settings.secrets
        self.bounds = self._bounds()
        #: where requests go: lbpy's HTTP/1.1 pool on asyncio (``Http11Transport``), else httpx's
        #: own transports; made for the event loop that sends the first request
        self._transport: httpx.AsyncBaseTransport | None = None
        self._wire: Wire | None = None
        self._timeouts = {
            "connect": settings.timeout,
            "read": settings.timeout,
            "write": settings.timeout,
            "pool": settings.timeout,
        }
        self._builder: httpx.AsyncClient | None = None
        self._loop: object = None
        #: requests sent, retries included (for tests and metrics)
        self.sent = 0

    # -- the pooled connections ---------------------------------------------------------------

    def _bounds(self) -> RequestBounds:
        s = self.settings
        shared = None
        if s.rate and s.rate_storage:
            burst = max(1, int(s.burst if s.burst is not None else s.rate))
            shared = SharedRate(s.rate_storage, s.name, s.base_url, s.rate, burst)
        return RequestBounds(s.max_concurrency or 100, s.rate, s.burst, shared)

    def _sender(self) -> httpx.AsyncBaseTransport:
        try:
            loop: object = asyncio.get_running_loop()
        except RuntimeError:  # not asyncio (trio, through anyio)
            loop = anyio.lowlevel.current_token()
        if self._loop is not loop or self._transport is None:
            # connections belong to the event loop that opened them: a script or a test that
            # runs a second loop gets connections of its own
            self._loop = loop
            s = self.settings
            self.bounds = self._bounds()
            self._wire = None
            if s.transport is not None:
                self._transport = s.transport
            elif isinstance(loop, asyncio.AbstractEventLoop):
                self._transport = Http11Transport(
                    ssl_context=ssl_context(s.verify), max_idle=s.max_concurrency or 100, max_body=s.max_response_bytes
                )
                # requests to the base URL go out as bytes written here, not built by httpx
                self._wire = Wire.for_client(s.base_url, self.client.headers, s.auth)
            else:
                self._transport = _Lanes(s.verify, s.max_response_bytes)
        return self._transport

    @property
    def client(self) -> httpx.AsyncClient:
        """An httpx client configured as the datasource says (base URL, headers, auth, timeout);
        lbpy builds requests with it and sends them on its own connections."""
        if self._builder is None:
            s = self.settings
            self._builder = httpx.AsyncClient(
                base_url=s.base_url or "",
                headers=s.headers,
                auth=s.auth,
                timeout=httpx.Timeout(s.timeout),
                follow_redirects=False,
                transport=_NOWHERE,
            )
        return self._builder

    async def aclose(self) -> None:
        transport, self._transport = self._transport, None
        self.bounds.reset()
        if transport is not None and transport is not self.settings.transport:
            await transport.aclose()

    async def _deliver(
        self, lane: Any, request: httpx.Request | Plain, auth: Any, timeouts: dict[str, float]
    ) -> httpx.Response:
        """One request on one connection, through the auth flow (which may send a token request
        first, or the request again with a renewed token). No cookie jar: one app user's remote
        session must never reach another's request."""
        if isinstance(request, Plain):  # its headers already carry a static auth's credentials
            assert self._wire is not None  # a Plain request is one self._wire built
            status, reason, headers, body = await lane.exchange(
                self._wire.origin, request.method.encode("ascii"), request.head, request.body, timeouts
            )
            return Wire.response(request, status, reason, headers, body, self.settings.max_response_bytes)
        auth = self.settings.auth if auth is _UNSET else auth
        limit = self.settings.max_response_bytes
        if auth is None:
            return await _once(lane, request, limit)
        flow = auth.async_auth_flow(request)
        outgoing = await flow.__anext__()
        while True:
            response = await _once(lane, outgoing, limit)
            try:
                outgoing = await flow.asend(response)
            except StopAsyncIteration:
                return response

    async def __aenter__(self) -> HttpClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # -- requests ---------------------------------------------------------------------------

    async def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = _UNSET,
        data: Any = None,
        content: bytes | str | None = None,
        headers: Mapping[str, str] | None = None,
        auth: Any = _UNSET,
        allow: Container[int] = (),
        model: str | None = None,
        time_limit: float | None = None,
    ) -> httpx.Response:
        """Send one request (retrying as the settings say); an answer of 400 and above raises
        lbpy's error unless its status is in ``allow``. ``time_limit`` (seconds) replaces the
        settings' ``timeout`` for this request."""
        method = method.upper()
        send_headers = dict(headers or {})
        if json is not _UNSET:
            content = orjson.dumps(json, default=json_default, option=orjson.OPT_NON_STR_KEYS)
            send_headers.setdefault("Content-Type", "application/json")
        send_headers.setdefault("Accept", "application/json")
        self._sender()
        request: httpx.Request | Plain | None = None
        if self._wire is not None and data is None and auth is _UNSET:
            if isinstance(content, str):
                content = content.encode()
            request = self._wire.build(method, url, _query(params), content, send_headers)
        if request is None:
            request = self.client.build_request(
                method,
                url,
                params=_query(params),
                content=content,
                data=data,
                headers=send_headers,
                timeout=httpx.USE_CLIENT_DEFAULT if time_limit is None else httpx.Timeout(time_limit),
            )
        response = await self._send(request, auth, time_limit)
        if response.status_code >= 400 and response.status_code not in allow:
            raise error_for(response, name=self.name, secrets=self.secrets, model=model)
        if 300 <= response.status_code < 400:
            raise malformed(
                self.name,
                f"a redirect ({response.status_code}) for {method} "
                f"{_path(request)}; set its baseURL to the final address",
            )
        return response

    async def json(self, method: str, url: str, **kwargs: Any) -> Any:
        """``request`` and the answer's JSON body (None for an empty body)."""
        return self.decode(await self.request(method, url, **kwargs))

    def decode(self, response: httpx.Response) -> Any:
        """A response's JSON body; a 502 when it is not JSON."""
        content = response.content
        if not content.strip():
            return None
        try:
            return orjson.loads(content)
        except orjson.JSONDecodeError:
            pass
        try:
            return lbpy_loads(content)  # integers beyond 64 bits, which orjson refuses
        except (ValueError, UnicodeDecodeError):
            kind = response.headers.get("content-type", "no content type").split(";")[0]
            raise malformed(
                self.name, f"a body that is not JSON ({kind}) for {response.request.method} {response.request.url.path}"
            ) from None

    async def pages(
        self,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        paging: Paging | None = None,
        model: str | None = None,
        auth: Any = _UNSET,
    ) -> AsyncIterator[list[Any]]:
        """The records of a collection, page by page, as ``paging`` (default: the settings')
        declares it; without paging, one request."""
        paging = paging or self.settings.paging
        base = dict(params or {})
        if not paging.enabled:
            yield paging.records(await self.json("GET", url, params=base, model=model, auth=auth))
            return
        query = {**base, **paging.first_params()}
        next_url: str = url
        for _ in range(paging.max_pages):
            response = await self.request("GET", next_url, params=query, model=model, auth=auth)
            body = self.decode(response)
            records = paging.records(body)
            yield records
            if paging.type in ("offset", "page"):
                if len(records) < paging.page_size:
                    return
                if paging.type == "offset":
                    query[paging.offset_param] = int(query[paging.offset_param]) + len(records)
                else:
                    query[paging.page_param] = int(query[paging.page_param]) + 1
            elif paging.type == "cursor":
                cursor = paging.next_cursor.first(body) if paging.next_cursor else None
                if cursor in (None, "") or not records:
                    return
                query[paging.cursor_param] = cursor
            else:  # link
                link = response.links.get("next", {}).get("url")
                if not link:
                    return
                target = response.request.url.join(link)
                if (target.scheme, target.host, target.port) != (
                    response.request.url.scheme,
                    response.request.url.host,
                    response.request.url.port,
                ):
                    raise malformed(
                        self.name,
                        "a next-page Link to another host, which lbpy does "
                        "not follow (it would carry the credentials there)",
                    )
                next_url, query = str(target), {}
        log.warning(
            'datasource "%s": GET %s stopped after %d pages (paging.maxPages)',
            self.name,
            httpx.URL(url).path,
            paging.max_pages,
        )

    # -- sending, with retries ----------------------------------------------------------------

    async def _send(self, request: httpx.Request | Plain, auth: Any, time_limit: float | None = None) -> httpx.Response:
        settings = self.settings
        timeouts = self._timeouts if time_limit is None else dict.fromkeys(self._timeouts, time_limit)
        seconds = settings.timeout if time_limit is None else time_limit
        attempt = 0
        path = _path(request)
        while True:
            try:
                async with self.bounds:
                    self.sent += 1
                    started = time.perf_counter()
                    response = await self._deliver(self._sender(), request, auth, timeouts)
                    if log.isEnabledFor(logging.DEBUG):
                        log.debug(
                            'datasource "%s": %s %s -> %d (%.1f ms)',
                            self.name,
                            request.method,
                            path,
                            response.status_code,
                            (time.perf_counter() - started) * 1000,
                        )
            except ResponseTooLarge:
                raise too_large(self.name, settings.max_response_bytes, f"{request.method} {path}") from None
            except httpx.TimeoutException as exc:
                if isinstance(exc, httpx.ConnectTimeout) and attempt < settings.retries:
                    attempt = await self._pause(attempt, request, "the connection timed out")
                    continue
                raise timed_out(self.name, seconds) from None
            except httpx.ConnectError:
                if attempt < settings.retries:
                    attempt = await self._pause(attempt, request, "the connection failed")
                    continue
                raise unreachable(self.name, f"the connection failed ({request.method} {path})") from None
            except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError):
                if request.method in IDEMPOTENT and attempt < settings.retries:
                    attempt = await self._pause(attempt, request, "the connection dropped")
                    continue
                raise unreachable(
                    self.name, f"the connection dropped before an answer came ({request.method} {path})"
                ) from None
            except httpx.TransportError as exc:
                raise unreachable(self.name, type(exc).__name__) from None
            if response.status_code in (429, 503) and attempt < settings.retries:
                wait = retry_after(response)
                if wait is None or wait <= settings.max_retry_wait:
                    attempt = await self._pause(attempt, request, f"it answered {response.status_code}", wait)
                    continue
            return response

    async def _pause(self, attempt: int, request: httpx.Request | Plain, why: str, wait: float | None = None) -> int:
        if wait is None:
            ceiling = self.settings.backoff * (2**attempt)
            wait = ceiling / 2 + random.uniform(0, ceiling / 2)
        log.warning(
            'datasource "%s": %s %s: %s; retry %d of %d in %.2f s',
            self.name,
            request.method,
            _path(request),
            why,
            attempt + 1,
            self.settings.retries,
            wait,
        )
        await anyio.sleep(wait)
        return attempt + 1


def _path(request: httpx.Request | Plain) -> str:
    return request.path if isinstance(request, Plain) else request.url.path


async def _once(lane: httpx.AsyncBaseTransport, request: httpx.Request, limit: int) -> httpx.Response:
    response = await lane.handle_async_request(request)
    response.request = request
    return await read_bounded(response, limit)  # reads the body and gives the connection back


class _Lanes(httpx.AsyncBaseTransport):
    """httpx's own transport, one per connection, reused most recently used first (httpcore's
    pool walks every connection for every request): where lbpy's transport does not run."""

    def __init__(self, verify: bool, limit: int) -> None:
        self.verify = verify
        self.limit = limit
        self._lanes: list[httpx.AsyncHTTPTransport] = []
        self._free: list[httpx.AsyncHTTPTransport] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self._free:
            lane = self._free.pop()
        else:
            lane = httpx.AsyncHTTPTransport(
                verify=ssl_context(self.verify), limits=httpx.Limits(max_connections=1, max_keepalive_connections=1)
            )
            self._lanes.append(lane)
        try:
            response = await lane.handle_async_request(request)
            # the whole body (within the bound), which gives the connection back; decoded by the caller
            raw = await read_raw(response, self.limit)
            return httpx.Response(
                response.status_code,
                headers=response.headers,
                stream=httpx.ByteStream(raw),
                extensions=response.extensions,
            )
        finally:
            self._free.append(lane)

    async def aclose(self) -> None:
        lanes, self._lanes, self._free = self._lanes, [], []
        for lane in lanes:
            await lane.aclose()


class _Nowhere(httpx.AsyncBaseTransport):
    """The builder client's transport: requests are built with it, never sent through it."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        raise RuntimeError("lbpy.http sends requests on its own connections")


_NOWHERE = _Nowhere()
_SSL_CONTEXTS: dict[bool, ssl.SSLContext] = {}


def ssl_context(verify: bool = True) -> ssl.SSLContext:
    """One TLS context per process (loading the CA bundle costs ~80 ms, and a datasource makes
    a client at every connect); ``verify=False`` accepts any certificate (``strictSSL: false``)."""
    context = _SSL_CONTEXTS.get(verify)
    if context is None:
        context = ssl.create_default_context(cafile=certifi.where())
        if not verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        _SSL_CONTEXTS[verify] = context
    return context


def retry_after(response: httpx.Response) -> float | None:
    """The seconds a ``Retry-After`` header asks for (a number or an HTTP date), or None."""
    value = response.headers.get("retry-after")
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _query(params: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """Query parameters as text: None left out, booleans as true/false, objects as JSON."""
    if not params:
        return None
    out: dict[str, Any] = {}
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, bool):
            out[key] = "true" if value else "false"
        elif isinstance(value, (dict,)):
            out[key] = orjson.dumps(value, default=json_default).decode()
        elif isinstance(value, (list, tuple)):
            out[key] = [_scalar(v) for v in value]
        else:
            out[key] = _scalar(value)
    return out


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return orjson.dumps(value, default=json_default).decode()
    if isinstance(value, (int, float, str)):
        return str(value)
    converted = json_default(value) if not isinstance(value, str) else value
    return converted if isinstance(converted, str) else orjson.dumps(converted).decode()

"""Authentication for requests to a remote API, as httpx ``Auth`` flows.

``auth`` in a datasource's settings says which; every secret may be ``"${VAR}"`` in
datasources.json (read from the environment at boot), and each is registered with the
datasource's ``Secrets`` so that no log line or error message shows it::

    {"type": "basic", "username": "ann", "password": "${API_PASSWORD}"}
    {"type": "bearer", "token": "${API_TOKEN}"}
    {"type": "apiKey", "in": "header", "name": "X-API-Key", "value": "${API_KEY}"}
    {"type": "apiKey", "in": "query", "name": "api_key", "value": "${API_KEY}"}
    {"type": "oauth2", "tokenUrl": "https://id.example.com/token", "clientId": "app",
     "clientSecret": "${CLIENT_SECRET}", "scope": "read write"}

LoopBack's connector-rest took the ``request`` module's forms, which are read too:
``{"user": ..., "pass": ...}`` (basic) and ``{"bearer": ...}``.
"""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator, Generator, Mapping
from typing import Any

import anyio
import httpx

from .._errors import BootError
from ._redact import Secrets
from ._remote_errors import token_error

AUTH_TYPES = ("none", "basic", "bearer", "apiKey", "oauth2")
_KINDS = {
    "none": "none",
    "basic": "basic",
    "bearer": "bearer",
    "apikey": "apiKey",
    "api_key": "apiKey",
    "oauth2": "oauth2",
    "oauth": "oauth2",
}


class BearerAuth(httpx.Auth):
    def __init__(self, token: str) -> None:
        self._header = f"Bearer {token}"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self._header
        yield request


class ApiKeyAuth(httpx.Auth):
    """An API key in a header or in the query string."""

    def __init__(self, name: str, value: str, where: str = "header") -> None:
        self.name, self.value, self.where = name, value, where

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if self.where == "query":
            request.url = request.url.copy_merge_params({self.name: self.value})
        elif self.where == "cookie":
            request.headers["Cookie"] = f"{self.name}={self.value}"
        else:
            request.headers[self.name] = self.value
        yield request


class OAuth2ClientCredentials(httpx.Auth):
    """OAuth 2.0's client-credentials grant: a token fetched from ``token_url``, kept until
    shortly before it expires, fetched again then, or when the API answers 401 once."""

    #: seconds before the announced expiry at which a token is renewed
    EARLY = 30

    def __init__(
        self,
        token_url: str,
        client_id: str,
        client_secret: str,
        *,
        scope: str | None = None,
        audience: str | None = None,
        client_auth: str = "basic",
        secrets: Secrets | None = None,
    ) -> None:
        self.token_url = token_url
        self.client_id = client_id
        self.client_secret = client_secret
        self.scope = scope
        self.audience = audience
        self.client_auth = client_auth
        self.secrets = secrets
        self._token: str | None = None
        self._expires_at = 0.0
        self._lock: anyio.Lock | None = None
        #: how many tokens were fetched (read by tests and metrics)
        self.fetched = 0

    def _token_request(self) -> httpx.Request:
        form = {"grant_type": "client_credentials"}
        if self.scope:
            form["scope"] = self.scope
        if self.audience:
            form["audience"] = self.audience
        headers = {"Accept": "application/json"}
        if self.client_auth == "body":
            form.update(client_id=self.client_id, client_secret=self.client_secret)
            request = httpx.Request("POST", self.token_url, data=form, headers=headers)
        else:
            request = httpx.Request("POST", self.token_url, data=form, headers=headers)
            request.headers["Authorization"] = httpx.BasicAuth(self.client_id, self.client_secret)._auth_header
        return request

    def _valid(self) -> bool:
        return self._token is not None and time.monotonic() < self._expires_at

    def _accept(self, response: httpx.Response) -> None:
        if response.status_code != 200:
            raise token_error(response, self.secrets)
        try:
            body = response.json()
            token = body["access_token"]
        except (ValueError, KeyError, TypeError):
            raise token_error(response, self.secrets, malformed=True) from None
        if not isinstance(token, str) or not token:
            raise token_error(response, self.secrets, malformed=True)
        lifetime = body.get("expires_in")
        try:
            seconds = float(lifetime) if lifetime is not None else 3600.0
        except (TypeError, ValueError):
            seconds = 3600.0
        self._token = token
        self._expires_at = time.monotonic() + max(0.0, seconds - self.EARLY)
        self.fetched += 1
        if self.secrets is not None:
            self.secrets.add(token)

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        if self._lock is None:
            self._lock = anyio.Lock()
        async with self._lock:  # concurrent requests share one token fetch
            if not self._valid():
                token_response = yield self._token_request()
                await token_response.aread()
                self._accept(token_response)
            token = self._token
        request.headers["Authorization"] = f"Bearer {token}"
        response = yield request
        if response.status_code == 401:
            async with self._lock:
                if self._token == token:  # nobody renewed it meanwhile
                    token_response = yield self._token_request()
                    await token_response.aread()
                    self._accept(token_response)
                token = self._token
            request.headers["Authorization"] = f"Bearer {token}"
            yield request

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if not self._valid():
            token_response = yield self._token_request()
            token_response.read()
            self._accept(token_response)
        request.headers["Authorization"] = f"Bearer {self._token}"
        yield request


class MultiAuth(httpx.Auth):
    """Several credentials on one request (an OpenAPI operation may require an API key and a
    token together): the plain ones are applied, then at most one that fetches tokens."""

    def __init__(self, parts: list[httpx.Auth]) -> None:
        self.plain = [p for p in parts if not isinstance(p, OAuth2ClientCredentials)]
        self.token = next((p for p in parts if isinstance(p, OAuth2ClientCredentials)), None)

    def _apply_plain(self, request: httpx.Request) -> httpx.Request:
        for part in self.plain:
            request = next(part.sync_auth_flow(request))
        return request

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request = self._apply_plain(request)
        if self.token is None:
            yield request
            return
        yield from self.token.sync_auth_flow(request)

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        request = self._apply_plain(request)
        if self.token is None:
            yield request
            return
        flow = self.token.async_auth_flow(request)
        outgoing = await flow.__anext__()
        while True:
            response = yield outgoing
            try:
                outgoing = await flow.asend(response)
            except StopAsyncIteration:
                return


def auth_from_settings(raw: Any, secrets: Secrets, *, where: str) -> httpx.Auth | None:
    """The httpx auth for an ``auth`` setting (see the module's docstring); None for none."""
    if raw in (None, "", False) or raw == {}:
        return None
    if not isinstance(raw, Mapping):
        raise BootError(f'{where}: "auth" must be an object such as {{"type": "bearer", "token": "${{API_TOKEN}}"}}')
    kind = raw.get("type")
    if kind is None:
        if "user" in raw or "username" in raw:
            kind = "basic"
        elif "bearer" in raw or "token" in raw:
            kind = "bearer"
        else:
            raise BootError(f'{where}: "auth" needs a "type": one of {", ".join(AUTH_TYPES)}')
    kind = _KINDS.get(str(kind).lower(), kind)

    def need(*names: str) -> str:
        for name in names:
            value = raw.get(name)
            if value not in (None, ""):
                if not isinstance(value, str):
                    raise BootError(f"{where}: auth.{name} must be text")
                return value
        raise BootError(f'{where}: auth of type "{kind}" needs "{names[0]}"')

    if kind == "none":
        return None
    if kind == "basic":
        user, password = need("username", "user"), need("password", "pass")
        secrets.add(password)
        return httpx.BasicAuth(user, password)
    if kind == "bearer":
        token = need("token", "bearer")
        secrets.add(token)
        return BearerAuth(token)
    if kind == "apiKey":
        value = need("value", "key")
        secrets.add(value)
        placement = str(raw.get("in") or "header")
        if placement not in ("header", "query", "cookie"):
            raise BootError(f'{where}: auth.in must be "header", "query" or "cookie", not "{placement}"')
        name = str(raw.get("name") or ("X-API-Key" if placement == "header" else "api_key"))
        return ApiKeyAuth(name, value, placement)
    if kind == "oauth2":
        secret = need("clientSecret", "client_secret")
        secrets.add(secret)
        client_auth = str(raw.get("clientAuthentication") or raw.get("clientAuth") or "basic")
        if client_auth not in ("basic", "body"):
            raise BootError(f'{where}: auth.clientAuthentication must be "basic" or "body"')
        token_url = need("tokenUrl", "token_url", "tokenURL")
        if not token_url.startswith(("http://", "https://")):
            raise BootError(f"{where}: auth.tokenUrl must be an http(s) URL")
        return OAuth2ClientCredentials(
            token_url,
            need("clientId", "client_id"),
            secret,
            scope=_scope(raw.get("scope") or raw.get("scopes")),
            audience=raw.get("audience"),
            client_auth=client_auth,
            secrets=secrets,
        )
    raise BootError(f'{where}: auth type "{kind}" is not one of {", ".join(AUTH_TYPES)}')


def _scope(value: Any) -> str | None:
    if isinstance(value, (list, tuple)):
        return " ".join(str(v) for v in value)
    return str(value) if value else None

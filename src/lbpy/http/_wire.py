"""Requests written straight to bytes for lbpy's HTTP/1.1 transport, the same bytes httpx would
write, without building an ``httpx.Request`` (which parses and merges URLs and headers anew for
every request: more work than the whole exchange on the socket).

    wire = Wire.for_client(client, auth)          # None when httpx must build the requests
    plain = wire.build("GET", "/items/3", {"filter": "{}"}, None, {"Accept": "application/json"})
    status, reason, headers, body = await transport.exchange(wire.origin, ...)
    response = wire.response(plain, status, reason, headers, body)   # an httpx.Response

``build`` answers None for anything it does not write as httpx does (an absolute URL, a query
or fragment in the URL, a path with characters httpx would escape or dot segments it would
remove, header values that are not ASCII or hold a line break); the caller then lets httpx build
the request, so every request still goes out as httpx would send it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

import httpx

from ._auth import ApiKeyAuth, BearerAuth
from ._body import DEFAULT_MAX_RESPONSE_BYTES, decoded

_DEFAULT_PORTS = {"http": 80, "https": 443}
#: a path httpx sends as it is: unreserved and sub-delimiter characters, ':', '@', '/', escapes
_AS_IS = re.compile(r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-Fa-f]{2})*")


class Plain:
    """A request in bytes, and what error messages and a lazily built ``httpx.Request`` need."""

    __slots__ = ("body", "head", "headers", "method", "path", "url")

    def __init__(
        self, method: str, path: str, url: str, head: bytes, body: bytes, headers: list[tuple[str, str]]
    ) -> None:
        self.method, self.path, self.url, self.head, self.body, self.headers = method, path, url, head, body, headers


class Answer(httpx.Response):
    """An httpx response to a ``Plain`` request; its ``request`` is built when first asked for."""

    _plain: Plain | None = None

    @property
    def request(self) -> httpx.Request:
        if self._request is None and self._plain is not None:
            plain = self._plain
            self._request = httpx.Request(plain.method, plain.url, headers=plain.headers, content=plain.body)
        return super().request

    @request.setter
    def request(self, value: httpx.Request) -> None:
        self._request = value


class Wire:
    """One base URL's requests as bytes: its origin, path prefix and default headers."""

    def __init__(
        self, base_url: str, defaults: list[tuple[str, str]], credentials: Sequence[tuple[str, str]] = ()
    ) -> None:
        url = httpx.URL(base_url)
        self.base_url = base_url
        self.origin = (url.scheme, url.host, url.port or _DEFAULT_PORTS[url.scheme])
        self.base_path = url.raw_path.decode("ascii").rstrip("/")
        host = httpx.Request("GET", base_url).headers["Host"]
        self._host_line = f"Host: {host}\r\n"
        #: (lower-case name, "Name: value\r\n") in httpx's order; a request's own header replaces one
        self._defaults = [(name.lower(), f"{name}: {value}\r\n") for name, value in defaults]
        self._default_names = frozenset(name for name, _ in self._defaults)
        self._default_pairs = defaults
        #: a static auth's headers: set last, as httpx's auth flow sets them on a built request
        self._credentials = [(name.lower(), f"{name}: {value}\r\n") for name, value in credentials]
        self._credential_names = frozenset(name for name, _ in self._credentials)
        self._credential_pairs = list(credentials)

    @classmethod
    def for_client(cls, base_url: str | None, headers: httpx.Headers, auth: Any) -> Wire | None:
        """A Wire for requests to ``base_url`` with the client's default ``headers`` and ``auth``,
        or None when a request needs httpx (an auth flow, a key in the query, no base URL)."""
        if not base_url:
            return None
        url = httpx.URL(base_url)
        if url.scheme not in _DEFAULT_PORTS or url.query or url.fragment or url.userinfo:
            return None
        pairs = [(name.decode("ascii"), value.decode("ascii")) for name, value in headers.raw]
        extra = _static_auth_headers(auth)
        if extra is None:
            return None
        if any(not _plain_header(n, v) for n, v in pairs + extra):
            return None
        return cls(base_url, pairs, extra)

    def build(
        self, method: str, url: str, params: Mapping[str, Any] | None, content: bytes | None, headers: Mapping[str, str]
    ) -> Plain | None:
        if not url.startswith("/") or "/." in url or not _AS_IS.fullmatch(url):
            return None
        target = self.base_path + url
        if params:
            query = urlencode(list(params.items()), doseq=True)
            if query:
                target += "?" + query
        lines = [method, " ", target, " HTTP/1.1\r\n", self._host_line]
        own = {name.lower() for name in headers} if headers else frozenset()
        if not own.isdisjoint(self._credential_names):
            return None  # the request's own Authorization (or key) header: httpx's auth decides
        if not own.isdisjoint(self._default_names):
            lines += [line for name, line in self._defaults if name not in own]
        else:
            lines += [line for _, line in self._defaults]
        for name, value in headers.items():
            if not _plain_header(name, value):
                return None
            lines += (name, ": ", value, "\r\n")
        if content is not None:
            lines.append(f"Content-Length: {len(content)}\r\n")
        lines += [line for _, line in self._credentials]
        lines.append("\r\n")
        head = "".join(lines).encode("ascii")
        return Plain(
            method,
            self.base_path + url,
            self.base_url.rstrip("/") + target[len(self.base_path) :],
            head,
            content or b"",
            [*self._default_pairs, *headers.items(), *self._credential_pairs],
        )

    @staticmethod
    def response(
        plain: Plain,
        status: int,
        reason: bytes,
        headers: list[tuple[bytes, bytes]],
        body: bytes,
        max_body: int = DEFAULT_MAX_RESPONSE_BYTES,
    ) -> Answer:
        """The answer, its Content-Encoding undone as httpx does (ResponseTooLarge beyond ``max_body``)."""
        extensions = {"http_version": b"HTTP/1.1", "reason_phrase": reason}
        answer: Answer = decoded(status, headers, body, max_body, extensions, into=Answer)
        answer._plain = plain
        return answer


def _plain_header(name: str, value: str) -> bool:
    return name.isascii() and value.isascii() and not any(c in name or c in value for c in "\r\n\0")


def _static_auth_headers(auth: Any) -> list[tuple[str, str]] | None:
    """The headers an auth that never changes adds to every request ([] without auth), or None
    when the auth needs its flow (OAuth2, a key in the query)."""
    if auth is None:
        return []
    if isinstance(auth, BearerAuth | httpx.BasicAuth) or (isinstance(auth, ApiKeyAuth) and auth.where != "query"):
        probe = httpx.Request("GET", "http://lbpy.invalid/")
        before = set(probe.headers.raw)
        flow = auth.sync_auth_flow(probe)
        sent = next(flow)
        return [(n.decode("ascii"), v.decode("ascii")) for n, v in sent.headers.raw if (n, v) not in before]
    return None

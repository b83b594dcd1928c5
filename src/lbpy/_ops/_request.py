"""What the operations layer knows of one request: its id, its client's address, and its path as
logs may show it.

A request id comes from the client's ``X-Request-Id`` when that is 1-128 safe characters
(letters, digits, ``-_.:``), else lbpy makes one (a uuid4 in hex); it is answered in the response's
``X-Request-Id`` and set on every log record made while the request is served (``request_id``).
"""

from __future__ import annotations

import contextvars
import ipaddress
import logging
import re
from collections.abc import Iterable
from random import getrandbits
from urllib.parse import quote, unquote_plus

from starlette.types import Scope

from ._settings import TrustProxy

REQUEST_ID_HEADER = b"x-request-id"
_SAFE_ID = re.compile(rb"[A-Za-z0-9._:\-]{1,128}")

#: the id of the request being served in this task, or None
current_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("lbpy_request_id", default=None)


def request_id(headers: Iterable[tuple[bytes, bytes]]) -> str:
    for key, value in headers:
        if key == REQUEST_ID_HEADER:
            if _SAFE_ID.fullmatch(value):
                return value.decode("ascii")
            break
    return new_request_id()


def new_request_id() -> str:
    """A random (version 4) UUID in hex, from ``random``: an id need not be unguessable, and
    this costs a tenth of ``uuid.uuid4()``'s system call (``random`` reseeds in forked workers)."""
    bits = (getrandbits(128) & _UUID4_CLEAR) | _UUID4_SET
    return f"{bits:032x}"


# version 4 in bits 76-79, variant 10 in bits 62-63
_UUID4_CLEAR = ~((0xF << 76) | (0x3 << 62)) & ((1 << 128) - 1)
_UUID4_SET = (0x4 << 76) | (0x2 << 62)


class RequestIdFilter(logging.Filter):
    """Puts ``request_id`` on every record; an error's text names it too, so that a plain log
    line leads to its request's access-log line."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            rid = current_request_id.get()
            record.request_id = rid
            if rid is not None and record.levelno >= logging.ERROR and isinstance(record.msg, str):
                # the id is safe characters only: no % to confuse the record's formatting
                record.msg = f"{record.msg} (request {rid})"
        return True


def install_request_id_filter(logger: logging.Logger) -> None:
    if not any(isinstance(f, RequestIdFilter) for f in logger.filters):
        logger.addFilter(RequestIdFilter())


def client_address(scope: Scope, trust: TrustProxy) -> str | None:
    """The client's address: the peer's, or, behind proxies ``trust proxy`` believes, the
    address they forwarded (Express's rule: the nearest address in ``X-Forwarded-For`` that is
    not a trusted proxy).

    Only IP addresses count: a hop that is not one (``unknown``, ``1.2.3.4:80``, any text a client
    wrote) ends the chain, and the address that forwarded it is the client's. Express's proxy-addr
    answers the malformed text itself, which lets anyone pick a fresh rate-limit key per request.
    """
    client = scope.get("client")
    peer: str | None = client[0] if client else None
    if peer is None or not trust.enabled:
        return peer
    forwarded = [value.decode("latin-1") for key, value in scope["headers"] if key == b"x-forwarded-for"]
    if not forwarded:
        return peer
    hops = [part.strip() for part in ",".join(forwarded).split(",") if part.strip()]
    address = peer
    for index, hop in enumerate(reversed(hops)):
        if not trust.trusts(address, index) or not _is_ip(hop):
            return address
        address = hop
    return address


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def forwarded_scheme(scope: Scope, trust: TrustProxy) -> str | None:
    """``http`` or ``https`` as the nearest proxy forwarded it in ``X-Forwarded-Proto``, when
    ``trust proxy`` believes that proxy (Express's ``req.protocol``); None to keep the connection's."""
    client = scope.get("client")
    if client is None or not trust.trusts(client[0], 0):
        return None
    for key, value in scope["headers"]:
        if key == b"x-forwarded-proto":
            nearest = value.decode("latin-1").rpartition(",")[2].strip().lower()
            return nearest if nearest in ("http", "https") else None
    return None


#: query parameters whose values are never written to a log
_SECRET_PARAMS = re.compile(r"(?i)token|password|secret|^(api_?)?key$|^sig(nature)?$|^code$")


def logged_path(scope: Scope) -> str:
    """The request's path and query as logs show them: values of ``access_token`` (and other
    parameters named like secrets) replaced by ``[redacted]``."""
    raw = scope.get("raw_path")
    path = raw.decode("latin-1").partition("?")[0] if raw else quote(scope.get("path", "/"))
    query = scope.get("query_string") or b""
    if not query:
        return path
    parts = []
    for pair in query.decode("latin-1").split("&"):
        name, eq, _ = pair.partition("=")
        parts.append(f"{name}=[redacted]" if eq and _SECRET_PARAMS.search(unquote_plus(name)) else pair)
    return f"{path}?{'&'.join(parts)}"

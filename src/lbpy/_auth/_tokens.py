"""Access token ids: made, read from a request where LoopBack read them, and signed in cookies.

A request carries its token as LoopBack 3 accepted it: the ``access_token`` query parameter,
the ``X-Access-Token`` header, the ``Authorization`` header (the bare token, LoopBack's form;
``Bearer <token>``, the standard one; ``Basic`` with the token as user or password), or, when the
app has a cookie secret, a signed ``access_token`` cookie (signed as Express's cookie-parser
signed it, so a LoopBack app's cookies keep working).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from urllib.parse import parse_qsl, unquote

from starlette.types import Scope

TOKEN_BYTES = 48  # 384 bits: 64 characters


def new_token_id() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_candidates(scope: Scope, cookie_secret: str | None = None) -> list[str]:
    """The token ids a request may carry, in LoopBack's order of precedence, first found first
    (a ``Bearer`` value is also to be tried base64-decoded, with ``decoded``, as LoopBack 3
    decoded it)."""
    query = scope.get("query_string") or b""
    if b"access_token" in query:
        for key, value in parse_qsl(query.decode("latin-1"), keep_blank_values=False):
            if key == "access_token" and value:
                return [value]
    authorization = x_token = cookie = None
    for key, value in scope.get("headers", ()):
        if key == b"x-access-token":
            x_token = value
        elif key == b"authorization":
            authorization = value
        elif key == b"cookie":
            cookie = value
    if x_token:
        return [x_token.decode("latin-1")]
    if authorization:
        return _from_authorization(authorization.decode("latin-1").strip())
    if cookie and cookie_secret:
        found = _signed_cookie(cookie.decode("latin-1"), cookie_secret)
        if found:
            return [found]
    return []


def _from_authorization(value: str) -> list[str]:
    if not value:
        return []
    scheme, _, rest = value.partition(" ")
    if scheme.lower() == "bearer" and rest.strip():
        return [rest.strip()]
    if scheme.lower() == "basic" and rest.strip():
        decoded = _b64(rest.strip())
        if decoded is None:
            return []
        user, colon, password = decoded.partition(":")
        if colon:
            return [password if len(password) > len(user) else user]
        return [decoded]
    return [value]


def decoded(candidate: str) -> str | None:
    """A Bearer token as LoopBack 3's clients sent it, base64-encoded, decoded; None if it is not."""
    found = _b64(candidate)
    return found if found and found != candidate and found.isprintable() else None


def _b64(text: str) -> str | None:
    try:
        raw = base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
        return raw.decode("utf-8")
    except (binascii.Error, ValueError):
        return None


def sign_cookie(value: str, secret: str) -> str:
    """``s:<value>.<signature>``, cookie-parser's signed-cookie form."""
    mac = hmac.new(secret.encode("utf-8"), value.encode("utf-8"), hashlib.sha256).digest()
    return "s:" + value + "." + base64.b64encode(mac).decode("ascii").rstrip("=")


def _signed_cookie(header: str, secret: str) -> str | None:
    for part in header.split(";"):
        name, _, raw = part.strip().partition("=")
        if name not in ("access_token", "authorization"):
            continue
        value = unquote(raw.strip().strip('"'))
        if not value.startswith("s:") or "." not in value:
            continue
        token = value[2:].rpartition(".")[0]
        if hmac.compare_digest(sign_cookie(token, secret), value):
            return token
    return None

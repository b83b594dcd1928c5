"""lbpy's HTTP layer, for connectors that call a remote API (``rest``, ``openapi``, and the
packages ``lbpy connector NAME --template http`` writes).

One ``HttpClient`` per datasource: pooled connections (httpx), timeouts, authentication (basic,
bearer, API key in a header or the query, OAuth2 client credentials with token renewal),
bounded retries with backoff, ``Retry-After`` on 429 and 503, a bound on concurrency and rate,
paging (offset, page, cursor, ``Link``), and the remote's errors as lbpy's (404 NotFoundError,
409 ConflictError, 422 ValidationError, 5xx a 502 with the remote status in the details). No
credential appears in a log line or an error message.

This is public API: what ``__all__`` lists is pinned by lbpy's tests.
"""

from ._auth import (
    ApiKeyAuth,
    BearerAuth,
    MultiAuth,
    OAuth2ClientCredentials,
    auth_from_settings,
)
from ._client import IDEMPOTENT, HttpClient, retry_after, ssl_context
from ._jsonpath import JsonPath, JsonPathError
from ._paging import Paging
from ._redact import Secrets
from ._remote_errors import error_for
from ._settings import HttpSettings, http_settings

__all__ = [
    "IDEMPOTENT",
    "ApiKeyAuth",
    "BearerAuth",
    "HttpClient",
    "HttpSettings",
    "JsonPath",
    "JsonPathError",
    "MultiAuth",
    "OAuth2ClientCredentials",
    "Paging",
    "Secrets",
    "auth_from_settings",
    "error_for",
    "http_settings",
    "retry_after",
    "ssl_context",
]

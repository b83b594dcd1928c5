"""A remote API's error answers as lbpy's errors, in one place.

    400 -> BadRequestError      the remote's message (the caller's arguments were refused)
    404 -> NotFoundError        409 -> ConflictError        422 -> ValidationError
    401, 403 -> BadGatewayError (the datasource's credentials were refused: not the caller's)
    429 -> ServiceUnavailableError, with the remote's Retry-After (once retries are used up)
    5xx and any other status -> BadGatewayError (502), ``details.remoteStatus`` the remote's status

Messages name the datasource and the remote status, never a URL's query string, a header or a
credential; the remote's own message is passed on for 4xx answers (it describes the caller's
data), shortened, with any registered secret masked.
"""

from __future__ import annotations

from typing import Any

import httpx

from .._errors import (
    BadGatewayError,
    BadRequestError,
    ConflictError,
    GatewayTimeoutError,
    HttpError,
    NotFoundError,
    ServiceUnavailableError,
    ValidationError,
)
from ._redact import Secrets

_MAX_MESSAGE = 500


class RemoteRateLimitedError(ServiceUnavailableError):
    """The remote API limits the app's rate for longer than lbpy waits: 503, with the remote's
    Retry-After passed on and its status in the details."""

    public_details = True


def remote_message(response: httpx.Response) -> tuple[str | None, str | None, Any]:
    """The message, code and details an error body carries (LoopBack's ``{"error": {...}}``,
    RFC 7807's ``title``/``detail``, or a plain ``message``)."""
    try:
        body = response.json()
    except ValueError:
        text = response.text.strip() if response.content else ""
        if text and len(text) < 200 and "<" not in text:
            return text, None, None
        return None, None, None
    if isinstance(body, dict):
        inner = body.get("error")
        if isinstance(inner, dict):
            return _text(inner.get("message")), _text(inner.get("code")), inner.get("details")
        if isinstance(inner, str):
            return _text(body.get("message") or body.get("error_description") or inner), None, None
        return _text(body.get("message") or body.get("detail") or body.get("title")), _text(body.get("code")), None
    return None, None, None


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    text = str(value)
    return text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 3] + "..."


def error_for(
    response: httpx.Response, *, name: str, secrets: Secrets | None = None, model: str | None = None
) -> HttpError:
    """The lbpy error for an error answer of the datasource ``name``."""
    status = response.status_code
    message, code, details = remote_message(response)
    clean = secrets.redact if secrets is not None else (lambda text: text)
    shown = clean(message) if message else None
    if status == 400:
        return BadRequestError(
            shown or f'the remote API of datasource "{name}" refused the request (400)',
            code=code or "REMOTE_BAD_REQUEST",
        )
    if status == 404:
        return NotFoundError(
            shown or f'the remote API of datasource "{name}" found nothing there (404)', code=code or "REMOTE_NOT_FOUND"
        )
    if status == 409:
        return ConflictError(
            shown or f'the remote API of datasource "{name}" reported a conflict (409)', code=code or "REMOTE_CONFLICT"
        )
    if status == 422:
        context = details.get("context") if isinstance(details, dict) else None
        return ValidationError(
            context if isinstance(context, str) else (model or name),
            _validation_errors(details),
            message=shown or f'the remote API of datasource "{name}" refused the data (422)',
        )
    if status == 429:
        retry_after = response.headers.get("retry-after")
        return RemoteRateLimitedError(
            f'the remote API of datasource "{name}" is limiting its rate (429); try again later',
            code="REMOTE_RATE_LIMITED",
            details={"remoteStatus": 429},
            headers={"Retry-After": retry_after} if retry_after and _plain(retry_after) else None,
        )
    if status in (401, 403):
        return BadGatewayError(
            f'the remote API of datasource "{name}" refused the datasource\'s credentials ({status}); '
            "check its auth settings",
            code="REMOTE_AUTH_FAILED",
            details={"remoteStatus": status},
        )
    reason = response.reason_phrase or ""
    return BadGatewayError(
        f'the remote API of datasource "{name}" failed: {status} {reason}'.rstrip(),
        code="REMOTE_ERROR",
        details={"remoteStatus": status},
    )


def _plain(value: str) -> bool:
    return len(value) < 64 and all(c.isalnum() or c in " ,:-" for c in value)


def _validation_errors(details: Any) -> dict[str, list[tuple[str, str]]]:
    """LoopBack's ``details.codes`` / ``details.messages`` as lbpy's ValidationError errors."""
    if not isinstance(details, dict):
        return {}
    codes = given_codes if isinstance(given_codes := details.get("codes"), dict) else {}
    messages = given_messages if isinstance(given_messages := details.get("messages"), dict) else {}
    errors: dict[str, list[tuple[str, str]]] = {}
    for prop in {**codes, **messages}:
        prop_codes = codes.get(prop) or []
        prop_messages = messages.get(prop) or []
        if not isinstance(prop_codes, list) or not isinstance(prop_messages, list):
            continue
        count = max(len(prop_codes), len(prop_messages))
        errors[str(prop)] = [
            (
                str(prop_codes[i]) if i < len(prop_codes) else "invalid",
                str(prop_messages[i]) if i < len(prop_messages) else "is invalid",
            )
            for i in range(count)
        ]
    return errors


def unreachable(name: str, what: str) -> BadGatewayError:
    return BadGatewayError(
        f'the remote API of datasource "{name}" could not be reached: {what}',
        code="REMOTE_UNREACHABLE",
        details={"remoteStatus": None},
    )


def timed_out(name: str, seconds: float) -> GatewayTimeoutError:
    return GatewayTimeoutError(
        f'the remote API of datasource "{name}" did not answer within {seconds:g} s',
        code="REMOTE_TIMEOUT",
        details={"timeout": seconds},
    )


def malformed(name: str, what: str) -> BadGatewayError:
    return BadGatewayError(f'the remote API of datasource "{name}" answered {what}', code="REMOTE_MALFORMED_RESPONSE")


def too_large(name: str, limit: int, what: str) -> BadGatewayError:
    return BadGatewayError(
        f'the remote API of datasource "{name}" answered more than {limit} bytes for {what}; '
        "if such answers are expected, raise the datasource's maxResponseBytes",
        code="REMOTE_RESPONSE_TOO_LARGE",
    )


def token_error(response: httpx.Response, secrets: Secrets | None, *, malformed: bool = False) -> BadGatewayError:
    """The OAuth2 token endpoint refused the client credentials, or answered no token."""
    if malformed:
        return BadGatewayError("the OAuth2 token endpoint answered without an access_token", code="REMOTE_AUTH_FAILED")
    return BadGatewayError(
        f"the OAuth2 token endpoint refused the client credentials ({response.status_code}); "
        "check auth.clientId and auth.clientSecret",
        code="REMOTE_AUTH_FAILED",
        details={"remoteStatus": response.status_code},
    )

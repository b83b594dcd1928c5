"""lbpy's exception tree.

    LbpyError
      UsageError(ValueError)            bad CLI input                   -> exit code 2
      BootError                         an app's files cannot be booted -> exit code 1
        ConnectorNotFoundError(LookupError)
      HttpError                         an error with an HTTP status and LoopBack's error body
        BadRequestError(ValueError)     400
        UnauthorizedError               401
        ForbiddenError                  403
        NotFoundError(LookupError)      404
        MethodNotAllowedError           405
        ConflictError                   409
        RequestTimeoutError             408  the body did not arrive in time
        RequestTooLargeError            413
        ValidationError(ValueError)     422
        TooManyRequestsError            429 (with Retry-After)
        ServiceUnavailableError         503
        BadGatewayError                 502  a remote API failed (its status in the details)
        GatewayTimeoutError             504  a remote API did not answer in time

Connectors and model code raise these; the REST layer turns them into responses
(``lbpy._rest._errors``) and the CLI into exit codes (``lbpy._cli._errors``).
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any


class LbpyError(Exception):
    """The root of every error lbpy raises on purpose."""


class UsageError(LbpyError, ValueError):
    """A command was given an argument or answer it cannot use."""


class BootError(LbpyError):
    """An application's declarative files cannot be booted."""


class ConnectorNotFoundError(BootError, LookupError):
    """No connector with the requested name could be found."""


class HttpError(LbpyError):
    """An error that the REST layer answers with its status and LoopBack's error body."""

    status_code = 500
    error_name = "Error"
    #: whether a 5xx answer keeps ``details`` outside debug mode (only for details lbpy wrote)
    public_details = False

    def __init__(
        self,
        message: str | int,
        detail: str | None = None,
        *,
        code: str | None = None,
        details: Any = None,
        status_code: int | None = None,
        name: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        if isinstance(message, int) and not isinstance(message, bool):
            # HttpError(501, "not ported"): the status first, as Starlette's HTTPException takes it
            status_code = message if status_code is None else status_code
            message = detail if detail is not None else _reason(message)
        elif detail is not None:
            raise TypeError("HttpError(message) takes one message; pass the status as HttpError(status, message)")
        super().__init__(message)
        self.message = message
        self.code = code
        self.details = details
        #: response headers the answer carries (``Retry-After`` of a 503)
        self.headers = dict(headers) if headers else {}
        if status_code is not None:
            self.status_code = status_code
        if name is not None:
            self.error_name = name


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


class BadRequestError(HttpError, ValueError):
    status_code = 400


class UnauthorizedError(HttpError):
    status_code = 401


class ForbiddenError(HttpError):
    status_code = 403


class NotFoundError(HttpError, LookupError):
    status_code = 404


class MethodNotAllowedError(HttpError):
    """A path that is served, asked for with a verb it is not served with; ``allowed`` are
    the verbs it is (sent in the Allow header)."""

    status_code = 405

    def __init__(self, message: str, *, allowed: list[str]) -> None:
        super().__init__(message, code="METHOD_NOT_ALLOWED", headers={"Allow": ", ".join(allowed)})
        self.allowed = allowed


class ConflictError(HttpError):
    """A write that collides with an existing record, e.g. a duplicate id."""

    status_code = 409


class RequestTimeoutError(HttpError):
    """The client did not send the request's body in time; the connection is closed after the
    answer, since the rest of the body may still come."""

    status_code = 408

    def __init__(self, message: str, *, code: str | None = "REQUEST_TIMEOUT") -> None:
        super().__init__(message, code=code, headers={"Connection": "close"})


class RequestTooLargeError(HttpError):
    status_code = 413
    error_name = "PayloadTooLargeError"


class TooManyRequestsError(HttpError):
    """Too many attempts: try again after ``retry_after`` seconds (the Retry-After header)."""

    status_code = 429

    def __init__(self, message: str, *, retry_after: int, code: str | None = None) -> None:
        super().__init__(message, code=code, headers={"Retry-After": str(retry_after)})
        self.retry_after = retry_after


class ServiceUnavailableError(HttpError):
    status_code = 503


class BadGatewayError(HttpError):
    """A remote API the app depends on failed or answered what lbpy cannot use. ``details``
    (the remote status) are lbpy's own words, so they are answered even outside debug mode."""

    status_code = 502
    error_name = "BadGatewayError"
    public_details = True


class GatewayTimeoutError(HttpError):
    """A remote API did not answer within the datasource's timeout."""

    status_code = 504
    error_name = "GatewayTimeoutError"
    public_details = True


class ValidationError(HttpError, ValueError):
    """A record failed validation: LoopBack's 422 with ``details.codes`` and ``details.messages``."""

    status_code = 422
    error_name = "ValidationError"

    def __init__(
        self,
        model: str,
        errors: dict[str, list[tuple[str, str]]] | None = None,
        *,
        values: dict[str, Any] | None = None,
        message: str | None = None,
    ) -> None:
        errors = errors or {}
        codes = {prop: [code for code, _ in items] for prop, items in errors.items()}
        messages = {prop: [msg for _, msg in items] for prop, items in errors.items()}
        if message is None:
            values = values or {}
            parts = []
            for prop, items in errors.items():
                value = values.get(prop, _MISSING)
                shown = "undefined" if value is _MISSING else _js_repr(value)
                for code, msg in items:
                    # LoopBack's instance never holds a property its model does not define
                    parts.append(f"`{prop}` {msg} (value: {'undefined' if code == 'unknown-property' else shown})")
            message = f"The `{model}` instance is not valid. Details: {'; '.join(parts)}."
        super().__init__(message, details={"context": model, "codes": codes, "messages": messages})
        self.model = model
        self.errors = errors


_MISSING = object()


def _js_repr(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, (int, float)):
        return repr(value)
    return type(value).__name__

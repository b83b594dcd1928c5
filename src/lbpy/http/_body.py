"""A remote's answer read within a bound (the datasource's ``maxResponseBytes``).

The bound holds twice: for the bytes as they come off the connection (a ``Content-Length``
beyond it is refused before a byte of the body is read, a body that goes on past it is cut off
and its connection closed), and for the body once its ``Content-Encoding`` is undone, decoded a
piece at a time, so that a small compressed body cannot inflate to gigabytes in memory.

    response = await read_bounded(response, limit)       # an httpx.Response, its body read
    response = decoded(status, headers, raw, limit, extensions)
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx

#: the default bound: 10 MiB
DEFAULT_MAX_RESPONSE_BYTES = 10 * 1024 * 1024
#: compressed bytes decoded at a time (deflate inflates at most ~1000 times)
_PIECE = 16 * 1024


class ResponseTooLarge(httpx.TransportError):
    """The remote's answer holds more than the bound allows."""


def declared_too_large(headers: Any, limit: int) -> bool:
    """Whether a ``Content-Length`` among ``headers`` (httpx's, or raw pairs) exceeds ``limit``."""
    if isinstance(headers, httpx.Headers):
        values = headers.get_list("content-length")
    else:
        values = [value.decode("latin-1") for name, value in headers if name.lower() == b"content-length"]
    return any(value.strip().isdigit() and int(value) > limit for value in values)


async def read_bounded(response: httpx.Response, limit: int) -> httpx.Response:
    """``response`` with its body read and decoded, or ResponseTooLarge once it holds more than
    ``limit`` bytes (its stream is closed then, which closes its connection)."""
    raw = await read_raw(response, limit)
    answer: httpx.Response = decoded(response.status_code, response.headers, raw, limit, response.extensions)
    request = _request_of(response)
    if request is not None:
        answer.request = request
    return answer


async def read_raw(response: httpx.Response, limit: int) -> bytes:
    """The body's bytes as they came (still encoded), at most ``limit`` of them."""
    request = _request_of(response)
    try:
        if declared_too_large(response.headers, limit):
            raise ResponseTooLarge("the answer is too large", request=request)
        parts: list[bytes] = []
        size = 0
        async for chunk in response.aiter_raw():
            size += len(chunk)
            if size > limit:
                raise ResponseTooLarge("the answer is too large", request=request)
            parts.append(chunk)
    finally:
        await response.aclose()
    return b"".join(parts)


def _request_of(response: httpx.Response) -> httpx.Request | None:
    try:
        return response.request
    except RuntimeError:  # a response made without its request
        return None


def decoded(
    status: int, headers: Any, raw: bytes, limit: int, extensions: dict[str, Any], into: type = httpx.Response
) -> Any:
    """A response (of class ``into``) whose body is ``raw`` with its Content-Encoding undone,
    or ResponseTooLarge when that holds more than ``limit`` bytes."""
    response = into(status, headers=headers, stream=_Pieces(raw), extensions=extensions)
    parts: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > limit:
            raise ResponseTooLarge("the answer is too large once decoded")
        parts.append(chunk)
    # what httpx's own read() leaves: the decoded body, the stream consumed
    response._content = b"".join(parts)
    return response


class _Pieces(httpx.SyncByteStream):
    """Bytes already read, handed to the decoder a piece at a time."""

    def __init__(self, raw: bytes) -> None:
        self._raw = raw

    def __iter__(self) -> Iterator[bytes]:
        raw = self._raw
        for start in range(0, len(raw), _PIECE):
            yield raw[start : start + _PIECE]

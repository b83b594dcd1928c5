"""Change streams: the model's create, update and remove events as LoopBack's createChangeStream
gave them, for ``GET/POST /Models/change-stream`` (server-sent events) and for Python code::

    stream = Note.create_change_stream({"where": {"vip": True}})
    async for change in stream:          # {"target": 1, "data": {...}, "type": "create"}
        ...
    stream.close()

With a ``where``, only events whose data matches it are sent (a remove has no data, so none is).
A stream also receives the changes other processes sharing the model's store made, when its
datasource relays them (``_change_relay``).
"""

from __future__ import annotations

import asyncio
import math
from typing import TYPE_CHECKING, Any

import anyio

from .._errors import BadRequestError
from .._filter import compile_where, load_json_param, where_to_json
from .._json_values import json_value
from ._record_json import is_record, to_json

if TYPE_CHECKING:
    from ._persisted import Model


class ChangeStream:
    """An open subscription to a model's changes; iterate it, then ``close()`` it."""

    def __init__(self, model: type[Model], options: Any = None) -> None:
        options = load_json_param("options", options)
        if options is not None and not isinstance(options, dict):
            raise BadRequestError('`options` must be an object such as {"where": {...}}', code="INVALID_PARAMETER")
        where = (options or {}).get("where")
        self.model = model
        self._match = compile_where(model.parse_where(where)) if where else None
        self._send, self._receive = anyio.create_memory_object_stream[dict[str, Any]](math.inf)
        self._loop = _running_loop()
        self._unsubscribe = model.on_change(self._on_change)
        self.closed = False
        model._runtime.change_streams.add(self)

    def _on_change(self, event: dict[str, Any]) -> None:
        data: Any = event.get("data")
        if self._match is not None:
            record = data.__data__ if is_record(data) else data
            if not isinstance(record, dict) or not self._match(record):
                return
        self._push(change_json(self.model, event))

    def deliver(self, change: dict[str, Any], record: dict[str, Any] | None) -> None:
        """A change another process made (``change`` is its JSON, ``record`` the values its
        ``where`` is matched against), sent as this process's own changes are."""
        if self._match is not None and (record is None or not self._match(record)):
            return
        self._push(dict(change))

    def _push(self, change: dict[str, Any]) -> None:
        try:
            self._send.send_nowait(change)
        except Exception:  # closed meanwhile
            pass

    def __aiter__(self) -> ChangeStream:
        return self

    async def __anext__(self) -> dict[str, Any]:
        try:
            result: dict[str, Any] = await self._receive.receive()
            return result
        except (anyio.EndOfStream, anyio.ClosedResourceError):
            raise StopAsyncIteration from None

    def close(self) -> None:
        """Stop listening; a pending iteration ends."""
        if self.closed:
            return
        self.closed = True
        self._unsubscribe()
        self._send.close()
        self.model._runtime.change_streams.discard(self)

    def close_threadsafe(self) -> None:
        """``close()`` from another thread or a signal handler."""
        if self._loop is not None and self._loop.is_running():
            self._loop.call_soon_threadsafe(self.close)
        else:
            self.close()


def change_json(model: type[Model], event: dict[str, Any]) -> dict[str, Any]:
    """An ``on_change`` event as a change stream sends it: ``{"target"?, "where"?, "data"?,
    "type"}`` in JSON values, hidden properties left out."""
    data = event.get("data")
    change: dict[str, Any] = {}
    if event.get("target") is not None:  # a bulk change has none, and LoopBack left it out
        change["target"] = json_value(event["target"])
    if event.get("where") is not None:
        change["where"] = where_to_json(event["where"], shorthand=True, convert=json_value)
    if data is not None:
        change["data"] = data.to_json() if is_record(data) else to_json(model.spec, data)
    change["type"] = event["type"]
    return change


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def close_all(models: Any) -> None:
    """End every open change stream of ``models`` (the server is stopping)."""
    for model in list(models):
        for stream in list(model._runtime.change_streams):
            stream.close_threadsafe()

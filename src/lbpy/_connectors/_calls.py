"""How lbpy calls a connector method: a coroutine is awaited, a blocking plain method runs in a
worker thread, a non-blocking one is called directly."""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any

import anyio.to_thread

if TYPE_CHECKING:
    from ._base import Connector


async def call_connector(connector: Connector, method: str, *args: Any) -> Any:
    """Call a connector method the way the contract says: await coroutines, run blocking
    plain functions in a worker thread, call non-blocking ones directly."""
    fn = getattr(connector, method)
    if inspect.iscoroutinefunction(fn):
        return await fn(*args)
    if connector.blocking:
        result = await anyio.to_thread.run_sync(lambda: fn(*args))
    else:
        result = fn(*args)
    if inspect.isawaitable(result):
        result = await result
    return result

"""Closing within a bound: each part a stopping app waits for (a datasource's connections, a
change relay's listener, a background task) gets a fixed time, then is cancelled and left behind,
and the log names it; a stop never waits forever on one of them.

A cancel is asked again until the task ends, because one can be lost: before Python 3.12,
``asyncio.wait_for`` drops a cancel that arrives as its inner wait completes."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import Any

log = logging.getLogger("lbpy")

#: how long one part of a stopping app may take to close, in seconds
CLOSE_WITHIN = 10.0
#: how long a part that was cancelled gets to end, in seconds, asked again this often
_CANCELLED_WITHIN = 2.0
_ASK_AGAIN = 0.25


async def close_within(close: Awaitable[Any], what: str, seconds: float = CLOSE_WITHIN) -> bool:
    """Await ``close`` for at most ``seconds``; True when it finished. One that fails is logged
    (the other parts still close); one that takes longer is cancelled, logged and left."""
    task = asyncio.ensure_future(close)
    try:
        await asyncio.wait({task}, timeout=seconds)
    except asyncio.CancelledError:
        task.cancel()
        raise
    if not task.done():
        log.warning("%s did not close within %g s; the app stops without waiting for it", what, seconds)
        await cancel_within(task, what, _CANCELLED_WITHIN)
        return False
    if task.cancelled():
        return False
    exc = task.exception()
    if exc is not None:
        log.warning("%s could not close: %s: %s", what, type(exc).__name__, exc)
        return False
    return True


async def cancel_within(task: asyncio.Future[Any], what: str, seconds: float) -> bool:
    """Cancel ``task`` and wait at most ``seconds`` for it to end, cancelling again while it runs;
    True when it ended. One still running is logged and left (the process's exit ends it)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not task.done():
        remaining = deadline - loop.time()
        if remaining <= 0:
            log.warning("%s did not end within %g s of being cancelled; it is left running", what, seconds)
            return False
        task.cancel()
        await asyncio.wait({task}, timeout=min(_ASK_AGAIN, remaining))
    if not task.cancelled():
        task.exception()  # retrieved: a close that failed while cancelled has nothing left to say
    return True

"""An app served by uvicorn in a thread of the test process, for tests that need a real socket
and also the app object itself; stopped as ``lbpy start`` stops (change streams end first)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def serve_in_thread(app: Any, **config: Any) -> Iterator[str]:
    """Serve ``app`` on a free local port until the block ends; yields its base URL."""
    import uvicorn

    # the socket is bound here and handed over, so no other test can take the port meanwhile
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on", **config))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start within 10 s"
            time.sleep(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        close_streams = getattr(app, "close_change_streams", None)
        if close_streams is not None:
            close_streams()  # as lbpy start does when it stops
        server.should_exit = True
        thread.join(15)
        sock.close()
        assert not thread.is_alive(), "uvicorn did not stop within 15 s"

"""A headless Chromium for tests that need a real browser: started with a fresh profile, the
network closed to every host but the local test servers, driven over the DevTools Protocol.
Without /usr/bin/chromium the tests marked ``needs_chromium`` skip and say how to install it."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

CHROMIUM = Path("/usr/bin/chromium")
needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="headless browser test: /usr/bin/chromium is not installed (apt-get install -y chromium)",
)


def chromium_args(user_data_dir: Path) -> list[str]:
    """The command line of a headless Chromium with its own profile in ``user_data_dir``."""
    return [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={user_data_dir}",
        # every host but the test server is unreachable: the page must need no network
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    ]


class DevTools:
    """Just enough of the Chrome DevTools Protocol to drive one page."""

    def __init__(self, connection) -> None:
        self.connection = connection
        self.next_id = 0
        self.requested: list[str] = []

    def call(self, method: str, timeout: float = 30, **params):
        self.next_id += 1
        self.connection.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        deadline = time.monotonic() + timeout
        while True:
            message = json.loads(self.connection.recv(timeout=max(0.1, deadline - time.monotonic())))
            if message.get("method") == "Network.requestWillBeSent":
                self.requested.append(message["params"]["request"]["url"])
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(message["error"])
                return message["result"]

    def evaluate(self, expression: str, timeout: float):
        result = self.call(
            "Runtime.evaluate", timeout=timeout, expression=expression, awaitPromise=True, returnByValue=True
        )
        if "exceptionDetails" in result:
            raise AssertionError(result["exceptionDetails"].get("exception", {}).get("description"))
        return result["result"]["value"]


@contextmanager
def headless_page(profile: Path) -> Iterator[DevTools]:
    """A headless Chromium showing a blank page, driven through the returned DevTools session;
    the browser is stopped afterwards."""
    websockets = pytest.importorskip("websockets.sync.client", reason="needs the websockets package")
    browser = subprocess.Popen(
        chromium_args(profile) + ["--remote-debugging-port=0", "about:blank"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not (port_file.exists() and port_file.read_text().strip()):
            if browser.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"Chromium did not open its DevTools port (exit code {browser.poll()})")
            time.sleep(0.05)
        debug_port = port_file.read_text().split()[0]
        pages = httpx.get(f"http://127.0.0.1:{debug_port}/json/list").json()
        target = next(p for p in pages if p["type"] == "page")
        with websockets.connect(target["webSocketDebuggerUrl"], max_size=None) as connection:
            yield DevTools(connection)
    finally:
        browser.terminate()
        try:
            browser.wait(timeout=10)
        except subprocess.TimeoutExpired:
            browser.kill()
            browser.wait()

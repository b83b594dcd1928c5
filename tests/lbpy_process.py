"""Running ``lbpy`` as a real process in tests: ``lbpy start`` until it listens, then stopped
with SIGINT as a user would."""

from __future__ import annotations

import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

LBPY = [sys.executable, "-m", "lbpy"]
STARTED = "Web server listening at"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PORT", "HOST") and not k.startswith("PYTEST_")}
    return {**env, **extra}


@dataclass
class Server:
    process: subprocess.Popen
    stdout: list[str] = field(default_factory=list)
    stderr: list[str] = field(default_factory=list)
    readers: list[threading.Thread] = field(default_factory=list)
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self, timeout: float = 15) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                pytest.fail("lbpy start did not stop on SIGINT")
        for reader in self.readers:
            reader.join(5)
        return self.process.returncode


def _pump(stream, into: list[str], lines: queue.Queue | None) -> None:
    for line in stream:
        into.append(line)
        if lines is not None:
            lines.put(line)
    if lines is not None:
        lines.put(None)


@contextmanager
def lbpy_start(app: Path, *args: str, env: dict[str, str] | None = None) -> Iterator[Server]:
    process = subprocess.Popen(
        [*LBPY, "start", "--app", str(app), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env or clean_env(),
    )
    server = Server(process)
    lines: queue.Queue = queue.Queue()
    server.readers = [
        threading.Thread(target=_pump, args=(process.stdout, server.stdout, lines), daemon=True),
        threading.Thread(target=_pump, args=(process.stderr, server.stderr, None), daemon=True),
    ]
    for reader in server.readers:
        reader.start()
    try:
        deadline = time.monotonic() + 30
        while True:
            line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            if line is None:
                process.wait(10)
                pytest.fail(f"lbpy start exited ({process.returncode}) before listening: {''.join(server.stderr)}")
            if STARTED in line:
                server.port = int(re.search(r":(\d+)\s*$", line.strip()).group(1))
                break
        yield server
    finally:
        server.stop()


def run_start(app: Path, *args: str) -> subprocess.CompletedProcess:
    """``lbpy start`` that is expected to fail at boot (the timeout catches one that serves)."""
    return subprocess.run(
        [*LBPY, "start", "--app", str(app), "--port", "0", *args],
        capture_output=True,
        text=True,
        env=clean_env(),
        timeout=30,
    )

"""Shared bench helpers: free ports, servers in subprocesses, wrk runs, resident memory."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_http(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                response.read()
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{url} did not answer within {timeout}s")


@contextmanager
def server(
    argv: list[str], url: str, cwd: Path | None = None, env: dict | None = None, stderr=subprocess.PIPE
) -> Iterator[subprocess.Popen]:
    """``argv`` running until the block ends; pass ``stderr`` a file for a server that logs
    every request (a pipe nobody reads would fill and stop it)."""
    process = subprocess.Popen(
        argv, cwd=cwd, env={**os.environ, **(env or {})}, stdout=subprocess.DEVNULL, stderr=stderr
    )
    try:
        wait_http(url)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()


def get_json(url: str):
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())


def rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) / 1024


def require_wrk() -> str:
    wrk = shutil.which("wrk")
    if wrk is None:
        sys.exit("bench needs wrk: apt-get install wrk")
    return wrk


def wrk(url: str, seconds: float, headers: list[str] | None = None, connections: int = 32) -> float:
    """Requests per second wrk measured against ``url`` (one thread: the server gets the other core);
    ``headers`` are wrk's own arguments, e.g. ``["-H", "Accept-Encoding: gzip"]``."""
    out = subprocess.run(
        [require_wrk(), "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency", *(headers or []), url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non_2xx:
        raise RuntimeError(f"{url}: {non_2xx.group(1)} error responses during the run")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def interleaved(runs: dict[str, callable], rounds: int) -> dict[str, float]:
    """Run each measurement ``rounds`` times, alternating, and keep the median of each: the shared
    machine's noise then hits every side alike."""
    samples: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(rounds):
        for name, run in runs.items():
            samples[name].append(run())
    return {name: statistics.median(values) for name, values in samples.items()}


def table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]

    def line(r: list[str]) -> str:
        return "  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True))

    return "\n".join([line(header), line(["-" * w for w in widths])] + [line(r) for r in rows])

"""SIGTERM during a load of creates: ``lbpy start`` stops accepting, lets the requests under way
finish, ends change streams and exits 0. Every create is then either answered 2xx and stored, or
not stored at all (refused before it started, or cut before the app read it) — none is lost
half-way, on SQLite and PostgreSQL, with one process and with two workers."""

from __future__ import annotations

import asyncio
import secrets
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from conftest import write_app
from connectors.sql.sql_support import POSTGRESQL_URL, execute, require
from lbpy_process import LBPY, clean_env, free_port, lbpy_start

if sys.platform == "win32":  # pragma: no cover
    pytest.skip("SIGTERM is POSIX", allow_module_level=True)

CLIENTS = 12
#: creates answered before the signal is sent
BEFORE_SIGNAL = 40
#: each create waits this long in a hook, so that many are under way when the signal comes
HOOK_SECONDS = 0.2
SLOW_HOOK = f"""
import asyncio


def customize(Note):
    @Note.observe("before save")
    async def take_time(ctx):
        await asyncio.sleep({HOOK_SECONDS})
"""


def shop(root: Path, datasource: dict) -> Path:
    app = write_app(
        root,
        {"Note": {"properties": {"title": {"type": "string", "required": True}}}},
        datasources={"db": {"name": "db", **datasource}},
        config={"http": {"shutdownTimeout": 60_000}},
    )
    (app / "common" / "models" / "note.py").write_text(SLOW_HOOK)
    done = subprocess.run(
        [*LBPY, "migrate", "--app", str(app)], capture_output=True, text=True, env=clean_env(), timeout=60
    )
    assert done.returncode == 0, done.stderr
    return app


class Load:
    """Creates from CLIENTS clients, each on a new connection per request, until the server
    refuses them; every outcome kept by title."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.answered: dict[str, tuple[int, dict | None]] = {}
        self.failed: dict[str, str] = {}
        #: titles of the creates sent before the signal and answered after it
        self.finished_after_signal: list[str] = []
        self.signalled_at: float | None = None
        self.enough = threading.Event()

    async def client(self, number: int) -> None:
        limits = httpx.Limits(max_keepalive_connections=0)
        async with httpx.AsyncClient(base_url=self.url, timeout=90, limits=limits) as http:
            for sequence in range(100_000):
                title = f"c{number}-{sequence}"
                sent_at = time.monotonic()
                try:
                    response = await http.post("/api/Notes", json={"title": title})
                except httpx.ConnectError:
                    self.failed[title] = "refused"
                    return
                except httpx.TransportError as exc:  # reset: accepted by the kernel, never read
                    self.failed[title] = type(exc).__name__
                    continue
                body = (
                    response.json() if response.headers.get("content-type", "").startswith("application/json") else None
                )
                self.answered[title] = (response.status_code, body)
                if self.signalled_at is not None and sent_at < self.signalled_at and response.status_code == 200:
                    self.finished_after_signal.append(title)
                if len(self.answered) >= BEFORE_SIGNAL:
                    self.enough.set()

    async def run(self) -> None:
        await asyncio.gather(*(self.client(n) for n in range(CLIENTS)))


def change_stream_reader(url: str, events: list, ended: threading.Event) -> None:
    try:
        with httpx.stream("GET", url + "/api/Notes/change-stream", timeout=90) as response:
            for line in response.iter_lines():
                if line.startswith("data:"):
                    events.append(line)
    except httpx.HTTPError:
        pass
    ended.set()


def stored_titles(app: Path) -> dict[str, int]:
    with lbpy_start(app, "--port", "0") as server:
        rows = httpx.get(server.url + "/api/Notes", timeout=60).json()
    return {row["title"]: row["id"] for row in rows}


def sigterm_under_load(app: Path, workers: int) -> Load:
    port = free_port()
    process = subprocess.Popen(
        [*LBPY, "start", "--app", str(app), "--port", str(port), "--workers", str(workers)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=clean_env(),
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:  # every worker answers (a worker still booting would refuse nothing: the port is shared)
            try:
                if httpx.get(url + "/api/Notes/count", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None and time.monotonic() < deadline, "lbpy start did not start"
            time.sleep(0.1)
        stream_events: list = []
        stream_ended = threading.Event()
        threading.Thread(target=change_stream_reader, args=(url, stream_events, stream_ended), daemon=True).start()
        load = Load(url)
        runner = threading.Thread(target=asyncio.run, args=(load.run(),), daemon=True)
        runner.start()
        assert load.enough.wait(60), "the load never got going"
        load.signalled_at = time.monotonic()
        process.send_signal(signal.SIGTERM)
        # well within shutdownTimeout (60 s): an open change stream does not hold the server up
        process.wait(45)
        runner.join(60)
        assert not runner.is_alive(), "clients were still being served after the server stopped"
        assert stream_ended.wait(10), "the change stream was not ended"
        assert stream_events, "the change stream saw no create"
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    stderr = process.stderr.read()
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr
    return load


def check_nothing_lost(load: Load, stored: dict[str, int]) -> None:
    ok = {title: body for title, (status, body) in load.answered.items() if 200 <= status < 300}
    not_ok = {title for title, (status, _) in load.answered.items() if not 200 <= status < 300} | set(load.failed)
    assert len(ok) >= BEFORE_SIGNAL
    missing = [title for title in ok if title not in stored]
    assert not missing, f"answered 2xx but not stored: {missing[:5]}"
    assert all(stored[title] == body["id"] for title, body in ok.items())
    half_done = sorted(not_ok & stored.keys())
    outcomes = [load.failed.get(t) or load.answered[t] for t in half_done[:5]]
    assert not half_done, f"stored but not answered 2xx: {half_done[:5]} ({outcomes})"
    assert set(stored) <= set(ok)
    assert load.finished_after_signal, "no create under way at the signal was finished"
    assert all(reason == "refused" or reason.endswith("Error") for reason in load.failed.values())
    assert any(reason == "refused" for reason in load.failed.values())


@pytest.mark.parametrize("workers", [1, 2])
def test_sqlite(tmp_path: Path, workers: int):
    app = shop(tmp_path / "app", {"connector": "sqlite", "file": str(tmp_path / "db.sqlite3")})
    load = sigterm_under_load(app, workers)
    check_nothing_lost(load, stored_titles(app))


@pytest.mark.parametrize("workers", [1, 2])
def test_postgresql(tmp_path: Path, workers: int):
    require("postgresql")
    schema = f"lbpy_shutdown_{secrets.token_hex(4)}_{workers}"
    execute(POSTGRESQL_URL, f'CREATE SCHEMA "{schema}"')
    try:
        app = shop(tmp_path / "app", {"connector": "postgresql", "url": POSTGRESQL_URL, "schema": schema})
        load = sigterm_under_load(app, workers)
        check_nothing_lost(load, stored_titles(app))
    finally:
        execute(POSTGRESQL_URL, f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')

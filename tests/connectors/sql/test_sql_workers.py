"""``lbpy start --workers 2`` on one SQL store: concurrent writes from both processes all land.

Two worker processes share the database (a SQLite file, or PostgreSQL/MariaDB); many clients
create, patch and update at once. Every create must get its own id, every change must be kept,
and no request may fail.
"""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from conftest import write_app
from lbpy_process import free_port
from sql_support import BACKENDS, datasource_settings, require, sql_session  # noqa: F401

if sys.platform == "win32":  # pragma: no cover
    pytest.skip("stops the server with SIGINT", allow_module_level=True)


class Served:
    """``lbpy start`` in a subprocess, stopped with SIGINT by its own pid."""

    def __init__(self, app: Path, *args: str) -> None:
        env = {k: v for k, v in os.environ.items() if k not in ("PORT", "HOST", "LBPY_ENV")}
        self.port = free_port()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "lbpy", "start", "--app", str(app), "--port", str(self.port), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        self.output: list[str] = []
        lines: queue.Queue = queue.Queue()

        def pump(stream) -> None:
            for line in stream:
                self.output.append(line)
                lines.put(line)
            lines.put(None)

        for stream in (self.process.stdout, self.process.stderr):
            threading.Thread(target=pump, args=(stream,), daemon=True).start()
        deadline = time.monotonic() + 60
        while True:
            line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            if line is None:
                self.stop()
                pytest.fail("lbpy start stopped before listening: " + "".join(self.output))
            if re.search(r"Web server listening at", line):
                break
        self.url = f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.mark.parametrize("backend_name", BACKENDS)
def test_two_workers_share_one_store(backend_name, tmp_path, sql_session):
    require(backend_name)
    table = f"tally_{tmp_path.name[-8:].lower().replace('-', '_')}"
    models = {
        "Tally": {
            "options": {db: {"table": table} for db in ("postgresql", "mysql", "sqlite3")},
            "properties": {"label": "string", "hits": "number"},
        }
    }
    settings = datasource_settings(backend_name, tmp_path, autoupdate=True)
    root = write_app(tmp_path / "app", models, datasources={"db": settings})
    subprocess.run(
        [sys.executable, "-m", "lbpy", "migrate", "--app", str(root)], check=True, capture_output=True, timeout=60
    )
    server = Served(root, "--workers", "2")
    try:
        with httpx.Client(base_url=server.url, timeout=30) as http:

            def create(i: int) -> httpx.Response:
                return http.post("/api/Tallies", json={"label": f"t{i}", "hits": 0})

            with ThreadPoolExecutor(12) as pool:
                created = list(pool.map(create, range(60)))
            assert [r.status_code for r in created] == [200] * 60, [r.text for r in created if r.status_code != 200]
            ids = [r.json()["id"] for r in created]
            assert len(set(ids)) == 60

            target = ids[0]

            def change(i: int) -> httpx.Response:
                if i % 2:
                    return http.patch(f"/api/Tallies/{ids[i]}", json={"hits": i})
                return http.post("/api/Tallies/update", params={"where": f'{{"id": {ids[i]}}}'}, json={"hits": i})

            with ThreadPoolExecutor(12) as pool:
                changed = list(pool.map(change, range(1, 60)))
            assert all(r.status_code == 200 for r in changed), [r.text for r in changed if r.status_code != 200]
            listed = http.get("/api/Tallies", params={"filter": '{"order": "id"}'}).json()
            assert len(listed) == 60
            assert {row["id"]: row.get("hits") for row in listed} == {id: (i if i else 0) for i, id in enumerate(ids)}
            assert http.get(f"/api/Tallies/{target}").json()["label"] == "t0"
            assert http.get("/api/Tallies/count", params={"where": '{"hits": {"gte": 30}}'}).json() == {"count": 30}
    finally:
        server.stop()
    log = "".join(server.output)
    assert "Traceback" not in log
    assert "error" not in log.lower(), log


@pytest.mark.parametrize("backend_name", BACKENDS)
def test_two_workers_create_missing_tables_together(backend_name, tmp_path, sql_session):
    """With "autoupdate", both workers find the table missing on their first request at once."""
    require(backend_name)
    table = f"fresh_{tmp_path.name[-8:].lower().replace('-', '_')}"
    models = {
        "Fresh": {
            "options": {db: {"table": table} for db in ("postgresql", "mysql", "sqlite3")},
            "properties": {"label": "string"},
        }
    }
    root = write_app(
        tmp_path / "app", models, datasources={"db": datasource_settings(backend_name, tmp_path, autoupdate=True)}
    )
    server = Served(root, "--workers", "2")
    try:
        with httpx.Client(base_url=server.url, timeout=30) as http, ThreadPoolExecutor(8) as pool:
            created = list(pool.map(lambda i: http.post("/api/Freshes", json={"label": f"f{i}"}), range(24)))
            assert [r.status_code for r in created] == [200] * 24, [r.text for r in created if r.status_code != 200]
            assert http.get("/api/Freshes/count").json() == {"count": 24}
    finally:
        server.stop()
    subprocess.run(
        [sys.executable, "-m", "lbpy", "migrate", "--app", str(root), "--drop", "--yes"],
        capture_output=True,
        timeout=60,
    )

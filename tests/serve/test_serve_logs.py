"""``lbpy start --log-format json``: one JSON object per line, for lbpy's loggers, uvicorn's and
the access log, with the fields code put in a record's ``extra`` and never a secret."""

from __future__ import annotations

import json
import logging
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from conftest import write_app
from lbpy_process import LBPY, clean_env, free_port, lbpy_start

from lbpy._serve_logs import JsonFormatter

if sys.platform == "win32":  # pragma: no cover
    pytest.skip("these tests stop the server with SIGINT", allow_module_level=True)


def notes_app(root: Path) -> Path:
    app = write_app(root, {"Note": {"properties": {"title": "string"}}})
    (app / "server" / "boot").mkdir()
    (app / "server" / "boot" / "legacy.js").write_text("module.exports = function () {};\n")
    return app


def json_lines(lines: list[str]) -> list[dict]:
    parsed = []
    for line in lines:
        if line.strip():
            try:
                parsed.append(json.loads(line))
            except ValueError:
                pytest.fail(f"not a JSON line: {line!r}")
    return parsed


def start_json(app: Path, *args: str, env: dict | None = None):
    """``lbpy start --log-format json`` until it says (in JSON) that it listens."""
    port = free_port()
    process = subprocess.Popen(
        [*LBPY, "start", "--app", str(app), "--port", str(port), "--log-format", "json", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env or clean_env(),
    )
    out: list[str] = []
    err: list[str] = []
    lines: queue.Queue = queue.Queue()

    def pump(stream, into, tell):
        for line in stream:
            into.append(line)
            if tell:
                lines.put(line)
        if tell:
            lines.put(None)

    readers = [
        threading.Thread(target=pump, args=(process.stdout, out, False), daemon=True),
        threading.Thread(target=pump, args=(process.stderr, err, True), daemon=True),
    ]
    for reader in readers:
        reader.start()
    deadline = time.monotonic() + 30
    while True:
        line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
        if line is None:
            pytest.fail(f"lbpy start exited before listening: {''.join(err)}")
        if "Web server listening" in line:
            return process, port, out, err, readers


def stop(process, readers) -> None:
    process.send_signal(2)
    process.wait(15)
    for reader in readers:
        reader.join(5)


def test_every_line_is_a_json_object_and_tokens_are_not_logged(tmp_path: Path):
    process, port, out, err, readers = start_json(notes_app(tmp_path / "app"), "--access-log")
    try:
        url = f"http://127.0.0.1:{port}"
        assert httpx.get(url + "/api/Notes?access_token=s3cret-token&x=1", timeout=10).status_code == 200
        assert httpx.post(url + "/api/Notes", json={"title": "t"}, timeout=10).status_code == 200
    finally:
        stop(process, readers)
    logged = json_lines(err) + json_lines(out)
    assert "s3cret-token" not in "".join(err + out)
    assert all({"time", "level", "logger", "message"} <= entry.keys() for entry in logged)
    listening = next(e for e in logged if e["message"].startswith("Web server listening"))
    assert listening["url"] == f"http://localhost:{port}" and listening["api"].endswith("/api")
    warning = next(e for e in logged if "JavaScript" in e["message"])
    assert warning["level"] == "warning" and warning["logger"] == "lbpy"
    access = [e for e in logged if e.get("method") and e.get("path", "").startswith("/api/Notes")]
    assert {(e["method"], e["status_code"]) for e in access} == {("GET", 200), ("POST", 200)}
    assert all(e["logger"] == "lbpy.access" and e["request_id"] and e["duration_ms"] >= 0 for e in access)
    assert next(e for e in access if e["method"] == "GET")["path"].startswith("/api/Notes?access_token=")


def test_text_stays_the_default(tmp_path: Path):
    with lbpy_start(notes_app(tmp_path / "app"), "--port", "0") as server:
        pass
    assert "warning: 1 JavaScript file(s) not ported to Python" in "".join(server.stderr)
    assert not any(line.startswith("{") for line in server.stderr + server.stdout)


def test_fields_in_a_records_extra_are_written_and_secrets_are_not():
    record = logging.makeLogRecord(
        {
            "name": "lbpy.access",
            "levelno": logging.INFO,
            "levelname": "INFO",
            "msg": "%s %s %d",
            "args": ("GET", "/api/Notes?access_token=abc", 200),
            "request_id": "r-1",
            "status": 200,
            "duration_ms": 1.5,
            "path": "/api/Notes?access_token=abc",
            "authorization": "Bearer abc",
            "password": "hunter2",
        }
    )
    entry = json.loads(JsonFormatter().format(record))
    assert entry["logger"] == "lbpy.access" and entry["level"] == "info"
    assert entry["request_id"] == "r-1" and entry["status"] == 200 and entry["duration_ms"] == 1.5
    assert entry["path"] == "/api/Notes?access_token=[redacted]"
    assert entry["message"] == "GET /api/Notes?access_token=[redacted] 200"
    assert entry["authorization"] == "[redacted]" and entry["password"] == "[redacted]"
    assert "abc" not in json.dumps(entry) and "hunter2" not in json.dumps(entry)


def test_an_error_with_a_traceback_stays_one_line():
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        record = logging.makeLogRecord(
            {
                "name": "lbpy",
                "levelno": logging.ERROR,
                "levelname": "ERROR",
                "msg": "failed",
                "exc_info": sys.exc_info(),
            }
        )
    line = JsonFormatter().format(record)
    assert "\n" not in line
    assert "RuntimeError: boom" in json.loads(line)["exception"]


def test_workers_default_to_web_concurrency(tmp_path: Path):
    with lbpy_start(notes_app(tmp_path / "app"), "--port", "0", env=clean_env(WEB_CONCURRENCY="2")) as server:
        assert httpx.get(server.url + "/api/Notes", timeout=10).status_code == 200
    assert "each of the 2 workers keeps its own copy" in "".join(server.stderr)
    done = subprocess.run(
        [*LBPY, "start", "--app", str(tmp_path / "app"), "--port", "0"],
        capture_output=True,
        text=True,
        env=clean_env(WEB_CONCURRENCY="many"),
        timeout=30,
    )
    assert done.returncode == 2
    assert "WEB_CONCURRENCY='many'" in done.stderr and "--workers" in done.stderr

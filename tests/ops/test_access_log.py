"""The access log: one line per request on ``lbpy.access`` with its request id (the client's
X-Request-Id when it is safe, else a new one, answered in the response), tokens never written,
and errors logged with the request id."""

from __future__ import annotations

import logging
import re

import httpx
from conftest import write_app
from lbpy_process import lbpy_start

NOTE = {"Note": {"properties": {"title": "string"}}}
TOKEN = "tok3n-never-logged"


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def _capture(name: str) -> Records:
    handler = Records()
    logger = logging.getLogger(name)
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    return handler


def test_a_request_id_is_taken_when_safe_and_made_otherwise(make_client):
    client = make_client(NOTE)
    assert (
        client.get("/api/Notes", headers={"X-Request-Id": "abc-123.x:y_z"}).headers["x-request-id"] == "abc-123.x:y_z"
    )
    for unsafe in ("x" * 129, "has space", "semi;colon", ""):
        made = client.get("/api/Notes", headers={"X-Request-Id": unsafe}).headers["x-request-id"]
        assert re.fullmatch(r"[0-9a-f]{32}", made)
    first, second = (client.get("/api/Notes").headers["x-request-id"] for _ in range(2))
    assert first != second


def test_each_request_is_one_record_with_structured_fields(make_client):
    handler = _capture("lbpy.access")
    try:
        client = make_client(NOTE, config={"accessLog": True})
        created = client.post("/api/Notes", json={"title": "a"}).json()
        client.get(f"/api/Notes/{created['id']}?access_token={TOKEN}&filter=%7B%7D", headers={"X-Request-Id": "req-1"})
        client.get("/health")
    finally:
        logging.getLogger("lbpy.access").removeHandler(handler)
    assert len(handler.records) == 2  # the health probe is not logged
    record = handler.records[1]
    assert record.request_id == "req-1" and record.status_code == 200 and record.method == "GET"
    assert record.model == "Note" and record.remote_method == "findById"
    assert record.path == f"/api/Notes/{created['id']}?access_token=[redacted]&filter=%7B%7D"
    assert record.client_addr == "testclient" and record.duration_ms >= 0
    line = record.getMessage()
    assert TOKEN not in line and "req-1" in line and '"GET /api/Notes/' in line and " 200 " in line


def test_the_access_log_is_off_by_default(make_client):
    handler = _capture("lbpy.access")
    try:
        make_client(NOTE).get("/api/Notes")
    finally:
        logging.getLogger("lbpy.access").removeHandler(handler)
    assert handler.records == []


def test_an_unexpected_error_is_logged_with_its_request_id(make_client, tmp_path):
    handler = _capture("lbpy")
    try:
        client = make_client(NOTE)
        broken = client.app.model("Note")

        async def boom(cls, **kwargs):
            raise RuntimeError("the disk caught fire")

        broken.find = classmethod(boom)
        answer = client.get("/api/Notes", headers={"X-Request-Id": "fire-1"})
    finally:
        logging.getLogger("lbpy").removeHandler(handler)
    assert answer.status_code == 500 and answer.headers["x-request-id"] == "fire-1"
    errors = [r for r in handler.records if r.levelno >= logging.ERROR]
    assert errors and all(r.request_id == "fire-1" for r in errors)
    assert "(request fire-1)" in errors[0].getMessage()


def test_lbpy_start_access_log_writes_one_line_per_request(tmp_path):
    root = write_app(tmp_path / "app", NOTE)
    with lbpy_start(root, "--port", "0", "--access-log") as server:
        answer = httpx.get(f"{server.url}/api/Notes?access_token={TOKEN}", headers={"X-Request-Id": "one-line"})
        httpx.get(f"{server.url}/ready")
    assert answer.headers["x-request-id"] == "one-line"
    output = "".join(server.stdout + server.stderr)
    lines = [line for line in output.splitlines() if "/api/Notes" in line]
    assert len(lines) == 1, output  # lbpy's line; uvicorn's own access log is off
    assert re.fullmatch(
        r'127\.0\.0\.1 - "GET /api/Notes\?access_token=\[redacted\]" 200 [\d.]+ms one-line', lines[0]
    ), lines
    assert TOKEN not in output

"""The bounds ``lbpy start`` keeps against slow and too many clients (``http`` in config.json),
on a real server: headers that never finish, a body that trickles, more connections than
``maxConnections``, headers larger than ``maxHeaderSize``."""

from __future__ import annotations

import json
import socket
import sys
import time
from pathlib import Path

import httpx
import pytest
from conftest import write_app
from lbpy_process import lbpy_start

if sys.platform == "win32":  # pragma: no cover
    pytest.skip("these tests stop the server with SIGINT", allow_module_level=True)

#: far above every timeout the tests set: a server that keeps its bound answers long before
PATIENCE = 30


def bounded_app(root: Path, **http) -> Path:
    return write_app(root, {"Note": {"properties": {"title": "string"}}}, config={"http": http})


def read_until_closed(sock: socket.socket) -> bytes:
    """What the server sent before it closed the connection (the test fails if it never does)."""
    sock.settimeout(PATIENCE)
    received = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            return received
        except TimeoutError:
            pytest.fail(f"the server kept the connection open for {PATIENCE} s; it sent {received!r}")
        if not chunk:
            return received
        received += chunk


def error_of(response: bytes) -> tuple[int, dict]:
    head, _, body = response.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, json.loads(body)["error"]


def test_connections_that_never_finish_their_headers_are_closed(tmp_path: Path):
    app = bounded_app(tmp_path / "app", headersTimeout=1000)
    with lbpy_start(app, "--port", "0") as server:
        slow = []
        for _ in range(50):
            sock = socket.create_connection(("127.0.0.1", server.port))
            sock.sendall(b"GET /api/Notes HTTP/1.1\r\nHost: x\r\n")  # and never the blank line
            slow.append(sock)
        silent = socket.create_connection(("127.0.0.1", server.port))  # not one byte
        try:
            for sock in slow:
                status, error = error_of(read_until_closed(sock))
                assert status == 408 and error["code"] == "REQUEST_TIMEOUT"
            assert read_until_closed(silent).startswith(b"HTTP/1.1 408")
            # the server serves everyone else meanwhile and afterwards
            assert httpx.get(server.url + "/api/Notes", timeout=10).status_code == 200
        finally:
            for sock in [*slow, silent]:
                sock.close()


def test_a_request_whose_headers_trickle_in_is_cut_off(tmp_path: Path):
    app = bounded_app(tmp_path / "app", headersTimeout=1000)
    with lbpy_start(app, "--port", "0") as server, socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(b"GET /api/Notes HTTP/1.1\r\n")
        sent = 0
        sock.settimeout(0.2)
        deadline = time.monotonic() + PATIENCE
        received = b""
        while time.monotonic() < deadline:  # one header every 200 ms, for as long as allowed
            try:
                sock.sendall(f"X-Slow-{sent}: 1\r\n".encode())
                sent += 1
                received += sock.recv(65536)
                if received:
                    break
            except TimeoutError:
                continue
            except (BrokenPipeError, ConnectionResetError):
                break
        assert received.startswith(b"HTTP/1.1 408"), received


def test_a_kept_alive_connection_gets_the_same_deadline_for_its_next_request(tmp_path: Path):
    app = bounded_app(tmp_path / "app", headersTimeout=1000, keepAliveTimeout=60_000)
    with lbpy_start(app, "--port", "0") as server, socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(b"GET /api/Notes HTTP/1.1\r\nHost: x\r\n\r\n")
        sock.settimeout(10)
        first = b""
        while not first.endswith(b"[]"):
            first += sock.recv(65536) or pytest.fail(f"closed after {first!r}")
        assert first.startswith(b"HTTP/1.1 200") and first.endswith(b"[]")
        sock.sendall(b"GET /api/Notes HTTP/1.1\r\n")  # the next request, never finished
        assert read_until_closed(sock).startswith(b"HTTP/1.1 408")


def test_a_body_that_does_not_arrive_in_time_is_a_408_in_loopbacks_shape(tmp_path: Path):
    app = bounded_app(tmp_path / "app", requestTimeout=1000)
    with lbpy_start(app, "--port", "0") as server:
        with socket.create_connection(("127.0.0.1", server.port)) as sock:
            sock.sendall(
                b"POST /api/Notes HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b'Content-Length: 100\r\n\r\n{"title": '
            )  # 90 bytes short, for ever
            status, error = error_of(read_until_closed(sock))
        assert status == 408
        assert error["statusCode"] == 408 and error["code"] == "REQUEST_TIMEOUT"
        assert "http.requestTimeout" in error["message"]
        # nothing was stored, and a body sent at once is still accepted
        with httpx.Client(base_url=server.url, timeout=10) as http:
            assert http.get("/api/Notes").json() == []
            assert http.post("/api/Notes", json={"title": "at once"}).status_code == 200


def test_beyond_max_connections_requests_are_answered_503(tmp_path: Path):
    app = bounded_app(tmp_path / "app", maxConnections=5)
    with lbpy_start(app, "--port", "0") as server:
        held = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(5)]
        try:
            for sock in held:  # each with a request under way, its headers unfinished
                sock.sendall(b"GET /api/Notes HTTP/1.1\r\n")
            deadline = time.monotonic() + PATIENCE
            while (refused := httpx.get(server.url + "/api/Notes", timeout=10)).status_code != 503:
                assert time.monotonic() < deadline, "a sixth connection was served"
                time.sleep(0.1)  # the server has not accepted all five yet
        finally:
            for sock in held:
                sock.close()
        # LoopBack's error shape, as every other error lbpy answers
        assert refused.headers["content-type"] == "application/json; charset=utf-8"
        assert refused.json() == {
            "error": {
                "statusCode": 503,
                "name": "Error",
                "message": "the server is serving as many connections as it may (http.maxConnections); "
                "try again shortly",
                "code": "TOO_MANY_CONNECTIONS",
            }
        }
        # once they are gone the server serves again
        deadline = time.monotonic() + PATIENCE
        while (answered := httpx.get(server.url + "/api/Notes", timeout=10)).status_code == 503:
            assert time.monotonic() < deadline, "the closed connections were never forgotten"
            time.sleep(0.1)
        assert answered.status_code == 200


def test_headers_larger_than_max_header_size_are_a_431(tmp_path: Path):
    app = bounded_app(tmp_path / "app", maxHeaderSize=4096)
    with lbpy_start(app, "--port", "0") as server:
        with socket.create_connection(("127.0.0.1", server.port)) as sock:
            try:
                sock.sendall(b"GET /api/Notes HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 8192)
            except (BrokenPipeError, ConnectionResetError):
                pass
            status, error = error_of(read_until_closed(sock))
        assert status == 431 and error["code"] == "HEADERS_TOO_LARGE"
        # a large body under a small header block is no offence
        with httpx.Client(base_url=server.url, timeout=10) as http:
            assert http.post("/api/Notes", json={"title": "x" * 20_000}).status_code == 200


def test_a_wrong_bound_stops_the_boot_naming_the_setting(tmp_path: Path):
    from lbpy_process import run_start

    done = run_start(bounded_app(tmp_path / "app", headersTimeout="soon"))
    assert done.returncode == 1
    assert "server/config.json" in done.stderr and "headersTimeout" in done.stderr
    assert "Traceback" not in done.stderr
    done = run_start(bounded_app(tmp_path / "other", keepAlive=5))
    assert done.returncode == 1 and "keepAlive" in done.stderr


@pytest.mark.parametrize(
    "request_line",
    [
        b'GET /api/Notes?filter={"where":{"title":"\x01\x7f"}} HTTP/1.1',  # a control character in the URL
        b"GET /api/Notes?x=\xff\xfe HTTP/1.1",  # bytes that are not a URL's
        b"GET /api/Notes HTTP/9.Z",  # not an HTTP version
    ],
)
def test_a_request_the_parser_refuses_is_loopbacks_json_400(tmp_path: Path, request_line: bytes):
    app = bounded_app(tmp_path / "app")
    with lbpy_start(app, "--port", "0") as server:
        with socket.create_connection(("127.0.0.1", server.port)) as sock:
            sock.sendall(request_line + b"\r\nHost: x\r\n\r\n")
            response = read_until_closed(sock)
        head = response.partition(b"\r\n\r\n")[0].lower()
        assert b"content-type: application/json; charset=utf-8" in head
        status, error = error_of(response)
        assert status == 400 and error["code"] == "INVALID_HTTP_REQUEST"
        # the server goes on serving
        with httpx.Client(base_url=server.url, timeout=10) as http:
            assert http.get("/api/Notes").status_code == 200

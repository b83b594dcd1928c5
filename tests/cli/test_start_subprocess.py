"""``lbpy start`` as a real process: an app made by ``lbpy new-app``, talked to over HTTP."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from lbpy_process import LBPY, STARTED, clean_env, free_port, lbpy_start, run_start

if sys.platform == "win32":  # pragma: no cover
    pytest.skip("these tests stop the server with SIGINT", allow_module_level=True)


@pytest.fixture(scope="module")
def notes_app(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = tmp_path_factory.mktemp("apps")
    done = subprocess.run(
        [*LBPY, "new-app", "demo", "--yes", "--template", "notes", "--datasource", "memory"],
        cwd=where,
        capture_output=True,
        text=True,
        env=clean_env(),
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return where / "demo"


@pytest.fixture
def app_copy(notes_app: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(notes_app, tmp_path / "demo"))


# -- serving ------------------------------------------------------------------------------------


def test_notes_are_created_and_read_over_http(notes_app: Path):
    with lbpy_start(notes_app, "--port", "0") as server, httpx.Client(base_url=server.url, timeout=10) as http:
        created = http.post("/api/Notes", json={"title": "first", "content": "over HTTP"})
        assert created.status_code == 200, created.text
        note = created.json()
        assert note == {"title": "first", "content": "over HTTP", "id": note["id"]}
        assert http.get(f"/api/Notes/{note['id']}").json() == note
        assert http.post("/api/Notes", json={"title": "second"}).status_code == 200
        assert [n["title"] for n in http.get("/api/Notes").json()] == ["first", "second"]
        assert http.get("/api/Notes/count").json() == {"count": 2}
        invalid = http.post("/api/Notes", json={"content": "no title"})
        assert invalid.status_code == 422
        assert invalid.json()["error"]["name"] == "ValidationError"
        assert http.get("/api/Notes/999").status_code == 404


def test_the_api_and_explorer_urls_are_printed(notes_app: Path):
    port = free_port()
    with lbpy_start(notes_app, "--port", str(port)) as server:
        pass
    printed = "".join(server.stdout)
    assert f"http://localhost:{port}/api" in printed
    assert f"http://localhost:{port}/explorer" in printed


def test_the_port_comes_from_PORT_when_no_flag_is_given(notes_app: Path):
    port = free_port()
    with lbpy_start(notes_app, env=clean_env(PORT=str(port))) as server:
        assert server.port == port
        assert httpx.get(f"{server.url}/api/Notes", timeout=10).status_code == 200


def test_the_port_flag_wins_over_PORT(notes_app: Path):
    from_env, from_flag = free_port(), free_port()
    with lbpy_start(notes_app, "--port", str(from_flag), env=clean_env(PORT=str(from_env))) as server:
        assert server.port == from_flag
        assert httpx.get(f"{server.url}/api/Notes", timeout=10).status_code == 200
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"http://127.0.0.1:{from_env}/api/Notes", timeout=5)


def test_the_port_comes_from_config_json_last(app_copy: Path):
    port = free_port()
    config_file = app_copy / "server" / "config.json"
    config = json.loads(config_file.read_text())
    config["port"] = port
    config_file.write_text(json.dumps(config))
    with lbpy_start(app_copy) as server:
        assert server.port == port


def test_sigint_stops_the_server_cleanly(notes_app: Path):
    with lbpy_start(notes_app, "--port", "0") as server:
        assert httpx.get(f"{server.url}/api/Notes", timeout=10).status_code == 200
        assert server.stop() == 0
    output = "".join(server.stdout + server.stderr)
    assert "Traceback" not in output
    assert "error" not in "".join(server.stderr).lower()


def test_access_log_prints_each_request(notes_app: Path):
    with lbpy_start(notes_app, "--port", "0", "--access-log") as server:
        assert httpx.get(f"{server.url}/api/Notes", timeout=10).status_code == 200
    lines = [line for line in server.stdout + server.stderr if '"GET /api/Notes" 200' in line]
    assert len(lines) == 1, server.stdout + server.stderr  # lbpy's line, with its request id, not uvicorn's too


def test_two_workers_serve_and_stop_cleanly(notes_app: Path):
    with lbpy_start(notes_app, "--port", "0", "--workers", "2") as server:
        assert httpx.get(f"{server.url}/api/Notes", timeout=10).status_code == 200
        assert server.stop() == 0
    assert "memory connector" in "".join(server.stderr)  # each worker has its own data
    assert "Traceback" not in "".join(server.stderr)


# -- boot errors --------------------------------------------------------------------------------


def break_json(app: Path) -> str:
    (app / "server" / "datasources.json").write_text('{\n  "db": {\n    "connector": "memory",\n  }\n}\n')
    return "server/datasources.json:4:3"


def unknown_datasource(app: Path) -> str:
    path = app / "server" / "model-config.json"
    path.write_text(path.read_text().replace('"dataSource": "db"', '"dataSource": "archive"'))
    return 'uses datasource "archive"'


def unknown_property_type(app: Path) -> str:
    path = app / "common" / "models" / "note.json"
    definition = json.loads(path.read_text())
    definition["properties"]["content"]["type"] = "txet"
    path.write_text(json.dumps(definition, indent=2))
    return 'common/models/note.json: property "content"'


@pytest.mark.parametrize("breaks", [break_json, unknown_datasource, unknown_property_type])
def test_a_boot_error_is_one_clear_line(app_copy: Path, breaks):
    expected = breaks(app_copy)
    done = run_start(app_copy)
    assert done.returncode == 1
    assert "Traceback" not in done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error: ")
    assert expected in lines[0]
    assert STARTED not in done.stdout


def test_an_unknown_connector_starts_warns_once_and_its_models_answer_503(app_copy: Path):
    path = app_copy / "server" / "datasources.json"
    path.write_text(path.read_text().replace('"memory"', '"mongodb-nope"'))
    with lbpy_start(app_copy, "--port", "0") as server:
        answer = httpx.get(f"{server.url}/api/Notes", timeout=10)
        health = httpx.get(f"{server.url}/health", timeout=10)
    assert answer.status_code == 503
    error = answer.json()["error"]
    assert error["code"] == "CONNECTOR_NOT_INSTALLED" and "mongodb-nope" in error["message"]
    assert health.status_code == 200
    lines = "".join(server.stderr).splitlines()
    warnings = [line for line in lines if line.startswith("warning:") and "mongodb-nope" in line]
    assert len(warnings) == 1, lines  # once at boot; each 503 is logged as an error with its request id
    assert "Traceback" not in "".join(server.stderr)


def test_a_port_in_use_is_one_clear_line(notes_app: Path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [*LBPY, "start", "--app", str(notes_app), "--port", str(port)],
            capture_output=True,
            text=True,
            env=clean_env(),
            timeout=30,
        )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"error: port {port} on 127.0.0.1 is in use; stop what uses it, or pick another with --port or PORT"
    ]


def test_a_datasource_that_cannot_start_is_one_clear_line(app_copy: Path):
    (app_copy / "data.json").write_text("{not json")
    path = app_copy / "server" / "datasources.json"
    settings = json.loads(path.read_text())
    settings["db"]["file"] = str(app_copy / "data.json")
    path.write_text(json.dumps(settings))
    done = run_start(app_copy)
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "data.json" in lines[0] and "not valid JSON" in lines[0]
    assert "Traceback" not in done.stderr


def test_a_bad_PORT_is_a_usage_error(notes_app: Path):
    done = subprocess.run(
        [*LBPY, "start", "--app", str(notes_app)],
        capture_output=True,
        text=True,
        env=clean_env(PORT="http"),
        timeout=30,
    )
    assert done.returncode == 2
    assert "PORT='http' is not a port number" in done.stderr


def test_a_folder_that_is_not_an_app_is_refused(tmp_path: Path):
    done = subprocess.run(
        [*LBPY, "start", "--app", str(tmp_path)], capture_output=True, text=True, env=clean_env(), timeout=30
    )
    assert done.returncode == 1
    assert "has no server/ folder" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


# -- the generated app's own tests --------------------------------------------------------------


@pytest.mark.parametrize("template", ["api-server", "empty-server", "hello-world", "notes"])
def test_the_generated_apps_own_tests_pass(tmp_path: Path, template: str):
    made = subprocess.run(
        [*LBPY, "new-app", "made", "--yes", "--template", template],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=clean_env(),
        timeout=60,
    )
    assert made.returncode == 0, made.stderr
    tests = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=tmp_path / "made",
        capture_output=True,
        text=True,
        env=clean_env(),
        timeout=120,
    )
    assert tests.returncode == 0, tests.stdout + tests.stderr
    expected = {"empty-server": 3, "api-server": 6}.get(template, 5)
    assert f"{expected} passed" in tests.stdout

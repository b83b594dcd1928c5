"""The article's whole flow, with the real CLI in a fresh virtual environment: generate a
connector package, install it, run its own tests, plug it into an app through a datasource,
start the app and use every route over HTTP."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from lbpy_process import free_port

import lbpy

pytestmark = pytest.mark.slow

LBPY_ROOT = Path(lbpy.__file__).resolve().parents[2]


def run(*args, cwd: Path | None = None, timeout: int = 600) -> str:
    done = subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
    )
    assert done.returncode == 0, f"{args} failed:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    return done.stdout


@pytest.fixture(scope="module")
def venv(tmp_path_factory) -> Path:
    if not (LBPY_ROOT / "pyproject.toml").is_file():
        pytest.skip("lbpy is not installed from a source tree")
    folder = tmp_path_factory.mktemp("venv")
    run(sys.executable, "-m", "venv", folder)
    run(folder / "bin" / "python", "-m", "pip", "install", "-q", "-e", LBPY_ROOT)
    return folder


def wait_until_up(base: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"lbpy start exited: {server.stderr.read()}")
        try:
            httpx.get(base + "/", timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise AssertionError("lbpy start did not answer within 60 s")


def test_the_article_s_flow(tmp_path, venv):
    python, lbpy_cli = venv / "bin" / "python", venv / "bin" / "lbpy"
    run(lbpy_cli, "new-app", "myapp", "--yes", cwd=tmp_path)
    app = tmp_path / "myapp"

    # lbpy connector helloworld: the package goes next to the app
    run(lbpy_cli, "connector", "helloworld", "--yes", cwd=app)
    package = tmp_path / "lbpy-connector-helloworld"
    assert (package / "lbpy_connector_helloworld" / "lib" / "helloworld.py").is_file()

    # pip install -e ../lbpy-connector-helloworld, and its own tests pass
    run(python, "-m", "pip", "install", "-q", "-e", f"{package}[test]")
    report = run(python, "-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=package)
    assert " passed" in report and "failed" not in report and "skipped" not in report, report

    # the connectors/ folder path: a second connector, never installed
    run(
        lbpy_cli,
        "connector",
        "greeter",
        "--yes",
        "--async",
        "--directory",
        "connectors/lbpy-connector-greeter",
        cwd=app,
    )

    # lbpy datasource hw --connector helloworld; lbpy model Model1 --datasource hw --property name:string
    run(lbpy_cli, "datasource", "hw", "--connector", "helloworld", "--yes", "--no-install", cwd=app)
    run(lbpy_cli, "datasource", "gr", "--connector", "greeter", "--yes", "--no-install", cwd=app)
    run(lbpy_cli, "model", "Model1", "--datasource", "hw", "--property", "name:string", "--yes", cwd=app)
    run(lbpy_cli, "model", "Model2", "--datasource", "gr", "--property", "name:string", "--yes", cwd=app)
    assert json.loads((app / "server" / "datasources.json").read_text())["hw"]["connector"] == "helloworld"

    port = free_port()
    server = subprocess.Popen(
        [str(lbpy_cli), "start", "--port", str(port)],
        cwd=app,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base, server)
        api = httpx.Client(base_url=base + "/api", timeout=10)
        records = "/Model1s"
        assert api.get(records).json() == [{"id": 1, "name": "hello"}, {"id": 2, "name": "world"}]
        assert api.post(records, json={"name": "lbpy"}).json() == {"id": 3, "name": "lbpy"}
        assert api.get(f"{records}/3").json() == {"id": 3, "name": "lbpy"}
        assert api.put(records, json={"id": 3, "name": "upserted"}).json() == {"id": 3, "name": "upserted"}
        assert api.put(records, json={"name": "new"}).json() == {"id": 4, "name": "new"}
        assert api.patch(f"{records}/3", json={"name": "patched"}).json() == {"id": 3, "name": "patched"}
        updated = api.post(
            f"{records}/update", params={"where": json.dumps({"name": "patched"})}, json={"name": "updated"}
        )
        assert updated.json() == {"count": 1}
        assert api.get(f"{records}/3").json() == {"id": 3, "name": "updated"}
        assert api.get(f"{records}/count").json() == {"count": 4}
        assert api.get(records, params={"filter[where][name][like]": "%orl%"}).json() == [{"id": 2, "name": "world"}]
        assert api.get(records, params={"filter": '{"order": "id DESC", "limit": 2}'}).json() == [
            {"id": 4, "name": "new"},
            {"id": 3, "name": "updated"},
        ]
        assert api.delete(f"{records}/4").json() == {"count": 1}
        missing = api.get(f"{records}/4")
        assert missing.status_code == 404
        assert missing.json()["error"]["message"] == 'Unknown "Model1" id "4".'
        assert api.get(f"{records}/count").json() == {"count": 3}
        assert api.get("/Model2s").json() == [{"id": 1, "name": "hello"}, {"id": 2, "name": "world"}]
        # ... and in the explorer: the page, and LoopBack's document with the connector's routes
        assert httpx.get(base + "/explorer/", timeout=10).status_code == 200
        swagger = httpx.get(base + "/explorer/swagger.json", timeout=10).json()
        assert swagger["paths"]["/Model1s"]["get"]["operationId"] == "Model1.find"
        assert swagger["paths"]["/Model1s/update"]["post"]["operationId"] == "Model1.updateAll"
    finally:
        server.terminate()
        _, stderr = server.communicate(timeout=30)
    assert "error" not in stderr.lower(), stderr

    # delete with where (LoopBack 3 has no REST route for it): through the model, in a script
    script = (
        "import anyio\n"
        "from lbpy import create_app\n"
        "async def main():\n"
        "    app = create_app('.')\n"
        "    Model1 = app.model('Model1')\n"
        "    info = await Model1.destroy_all({'name': {'like': '%orl%'}})\n"
        "    print(info['count'], await Model1.count())\n"
        "    await app.stop()\n"
        "anyio.run(main)\n"
    )
    assert run(python, "-c", script, cwd=app).split() == ["1", "1"]

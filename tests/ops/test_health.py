"""GET /health and GET /ready: outside restApiRoot, out of the API documents and the ACLs,
configurable in server/config.json, and a readiness that names the datasource that failed
without telling its URL."""

from __future__ import annotations

from pathlib import Path

NOTE = {"Note": {"properties": {"title": "string"}}}
#: a model nobody may call: its acls deny everyone everything
LOCKED = {
    "Note": {
        "properties": {"title": "string"},
        "acls": [{"principalType": "ROLE", "principalId": "$everyone", "permission": "DENY"}],
    }
}


def test_health_and_ready_answer_outside_the_api(make_client):
    client = make_client(NOTE)
    assert client.get("/health").json() == {"status": "ok"}
    ready = client.get("/ready")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ok", "datasources": {"db": "ok"}}
    assert ready.headers["cache-control"] == "no-store"
    assert client.head("/health").status_code == 200
    refused = client.post("/health")
    assert refused.status_code == 405 and refused.headers["allow"] == "GET, HEAD"


def test_health_is_not_in_the_documents_and_not_behind_acls(make_client):
    client = make_client(LOCKED)
    assert client.get("/api/Notes").status_code == 401
    assert client.get("/health").status_code == 200
    assert client.get("/ready").status_code == 200
    for document in ("/openapi.json", "/explorer/swagger.json"):
        paths = client.get(document).json()["paths"]
        assert paths and not [p for p in paths if "health" in p or "ready" in p]


def test_paths_are_configurable_and_can_be_turned_off(make_client):
    client = make_client(NOTE, config={"health": {"path": "/livez", "readyPath": "/readyz"}})
    assert client.get("/livez").json() == {"status": "ok"}
    assert client.get("/readyz").status_code == 200
    assert client.get("/health").status_code == 404
    off = make_client(NOTE, config={"health": False})
    assert off.get("/health").status_code == 404 and off.get("/ready").status_code == 404


def test_a_bad_setting_stops_the_boot_naming_it(tmp_path):
    import pytest
    from conftest import write_app

    from lbpy import create_app
    from lbpy._errors import BootError

    for health, word in (
        ({"path": "health"}, "health.path"),
        ({"timeout": -1}, "health.timeout"),
        ({"datasources": {"db": "yes"}}, "health.datasources"),
    ):
        root = write_app(tmp_path / word, NOTE, config={"health": health})
        with pytest.raises(BootError, match=word):
            create_app(root)


def test_ready_names_the_failed_datasource_without_its_url(make_client):
    secret = "s3cr3t-pass"
    datasources = {
        "db": {"name": "db", "connector": "memory"},
        "orders": {"name": "orders", "connector": "postgresql", "url": f"postgresql://shop:{secret}@127.0.0.1:1/shop"},
    }
    client = make_client(NOTE, datasources=datasources)
    ready = client.get("/ready")
    assert ready.status_code == 503
    body = ready.json()
    assert body["status"] == "unavailable"
    assert body["datasources"]["db"] == "ok"
    assert body["datasources"]["orders"].startswith("failed")
    assert secret not in ready.text and "127.0.0.1" not in ready.text and "shop" not in ready.text
    assert client.get("/health").status_code == 200  # the process itself is fine


def test_remote_apis_are_pinged_only_when_named(make_client):
    remote = {"name": "petstore", "connector": "rest", "baseURL": "http://127.0.0.1:1/api", "crud": True}
    datasources = {"db": {"name": "db", "connector": "memory"}, "petstore": remote}
    models = {**NOTE, "Pet": {"properties": {"name": "string"}}}
    model_config = {"Pet": {"dataSource": "petstore", "public": True}}
    client = make_client(models, datasources=datasources, model_config=model_config)
    assert client.get("/ready").json() == {"status": "ok", "datasources": {"db": "ok", "petstore": "skipped"}}
    asked = make_client(
        models,
        datasources=datasources,
        model_config=model_config,
        config={"health": {"datasources": {"petstore": True}}},
    )
    ready = asked.get("/ready")
    assert ready.status_code == 503 and ready.json()["datasources"]["petstore"].startswith("failed")


def _write_slow_connector(root: Path) -> None:
    package = root / "connectors" / "slowping"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(
        "import asyncio\n"
        "from lbpy import Connector\n\n"
        "class Slow(Connector):\n"
        "    async def ping(self):\n"
        "        await asyncio.sleep(30)\n\n"
        "def initialize(datasource):\n"
        "    datasource.connector = Slow(datasource.settings)\n"
    )


def test_a_ping_that_does_not_answer_is_a_timeout(tmp_path):
    from conftest import write_app
    from starlette.testclient import TestClient

    from lbpy import create_app

    root = write_app(
        tmp_path / "app",
        NOTE,
        config={"health": {"timeout": 0.2}},
        datasources={"db": {"name": "db", "connector": "memory"}, "slow": {"name": "slow", "connector": "slowping"}},
    )
    _write_slow_connector(root)
    with TestClient(create_app(root)) as client:
        ready = client.get("/ready")
        assert ready.status_code == 503
        assert ready.json()["datasources"] == {"db": "ok", "slow": "timeout"}
        assert client.get("/ready").json()["datasources"]["slow"] == "timeout"  # the same ping, still waited on


PING_MARKED = """import asyncio
from pathlib import Path

from lbpy import Connector


class Marked(Connector):
    async def ping(self):
        Path(self.settings["marker"]).write_text("pinging")
        await asyncio.sleep(1.5)


def initialize(datasource):
    datasource.connector = Marked(datasource.settings)
"""


def test_ready_turns_503_once_the_process_drains(tmp_path):
    # a load balancer's probe under way when SIGTERM comes must not call the instance ready
    import signal
    import threading
    import time

    import httpx
    from conftest import write_app
    from lbpy_process import lbpy_start

    marker = tmp_path / "pinged"
    root = write_app(
        tmp_path / "app",
        NOTE,
        datasources={
            "db": {"name": "db", "connector": "memory"},
            "slow": {"connector": "marked", "marker": str(marker)},
        },
    )
    package = root / "connectors" / "marked"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(PING_MARKED)
    answers: list[httpx.Response] = []
    with lbpy_start(root, "--port", "0") as server:
        assert httpx.get(f"{server.url}/ready", timeout=10).status_code == 200  # ready while it serves
        marker.unlink()
        probe = threading.Thread(target=lambda: answers.append(httpx.get(f"{server.url}/ready", timeout=20)))
        probe.start()
        deadline = time.monotonic() + 10
        while not marker.exists():  # the probe's ping is under way
            assert time.monotonic() < deadline, "the probe never pinged"
            time.sleep(0.02)
        server.process.send_signal(signal.SIGTERM)
        probe.join(20)
        assert server.process.wait(20) == 0
    (ready,) = answers
    assert ready.status_code == 503
    assert ready.json() == {"status": "unavailable", "reason": "the process is shutting down"}

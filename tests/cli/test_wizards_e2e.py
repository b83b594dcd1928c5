"""End to end: ``lbpy new-app`` and the wizards build an app, ``lbpy start`` serves it, its data
survives a restart, and ``lbpy export-api-def`` writes the documents the server serves."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from lbpy_process import free_port


def lbpy(root: Path, *args: str) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, "-m", "lbpy", *args],
        cwd=root,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
    )
    assert result.returncode == 0, f"lbpy {' '.join(args)}: {result.stderr}"
    return result


class Server:
    """``lbpy start`` in the app folder, on a free port."""

    def __init__(self, root: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "PORT": str(self.port)}
        env.pop("LBPY_DEBUG", None)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "lbpy", "start", "--host", "127.0.0.1"],
            cwd=root,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        deadline = time.monotonic() + 30
        while True:
            if self.process.poll() is not None:
                raise AssertionError(f"lbpy start exited: {self.process.stdout.read()}")
            try:
                httpx.get(self.base + "/api/Customers", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise AssertionError("lbpy start did not answer within 30 s") from None
                time.sleep(0.1)
        self.client = httpx.Client(base_url=self.base, timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    """An app made by the wizards: two models and relations between them on a memory datasource
    kept in a file."""
    lbpy(tmp_path, "new-app", "shop", "--yes")
    root = tmp_path / "shop"
    lbpy(root, "datasource", "store", "--connector", "memory", "--set", "file=data/store.json")
    lbpy(
        root,
        "model",
        "Customer",
        "--datasource",
        "store",
        "--property",
        "name:string:required",
        "--property",
        "vip:boolean=false",
    )
    lbpy(
        root,
        "model",
        "Order",
        "--datasource",
        "store",
        "--plural",
        "Purchases",
        "--property",
        "total:number:required",
        "--property",
        "customerId:number",
        "--property",
        "placed:date=now",
    )
    lbpy(root, "relation", "Customer", "--type", "hasMany", "--model", "Order", "--foreign-key", "customerId")
    lbpy(root, "relation", "Order", "--type", "belongsTo", "--model", "Customer", "--foreign-key", "customerId")
    return root


def test_the_wizards_build_an_app_that_lbpy_start_serves_and_keeps(shop):
    customer = json.loads((shop / "common/models/customer.json").read_text())
    assert customer["relations"] == {"orders": {"type": "hasMany", "model": "Order", "foreignKey": "customerId"}}
    server = Server(shop)
    try:
        ada = server.client.post("/api/Customers", json={"name": "Ada"})
        assert ada.status_code == 200, ada.text
        assert ada.json() == {"name": "Ada", "vip": False, "id": 1}
        bad = server.client.post("/api/Customers", json={"vip": True})
        assert bad.status_code == 422
        assert bad.json()["error"]["details"]["codes"] == {"name": ["presence"]}
        order = server.client.post("/api/Purchases", json={"total": 42, "customerId": 1})
        assert order.status_code == 200, order.text
        assert order.json()["placed"].endswith("Z")
        found = server.client.get("/api/Purchases", params={"filter": json.dumps({"where": {"customerId": 1}})})
        assert [o["total"] for o in found.json()] == [42]
        # the relations the wizard wrote are live: routes both ways, and include
        through = server.client.post("/api/Customers/1/orders", json={"total": 7})
        assert through.status_code == 200, through.text
        assert through.json()["customerId"] == 1
        assert [o["total"] for o in server.client.get("/api/Customers/1/orders").json()] == [42, 7]
        assert server.client.get("/api/Customers/1/orders/count").json() == {"count": 2}
        assert server.client.get("/api/Purchases/1/customer").json()["name"] == "Ada"
    finally:
        server.stop()
    assert (shop / "data/store.json").is_file()

    server = Server(shop)
    try:
        assert server.client.get("/api/Customers").json() == [{"name": "Ada", "vip": False, "id": 1}]
        orders = server.client.get("/api/Purchases").json()
        assert [(o["id"], o["total"], o["customerId"]) for o in orders] == [(1, 42, 1), (2, 7, 1)]
        included = server.client.get("/api/Customers", params={"filter": json.dumps({"include": "orders"})})
        assert [o["total"] for o in included.json()[0]["orders"]] == [42, 7]
        assert server.client.post("/api/Customers", json={"name": "Grace"}).json()["id"] == 2
        openapi = server.client.get("/openapi.json").json()
        swagger = server.client.get("/explorer/swagger.json").json()
    finally:
        server.stop()
    assert "/Purchases" in openapi["paths"] and "/Customers/{id}" in openapi["paths"]
    assert json.loads(lbpy(shop, "export-api-def", "--format", "json").stdout) == openapi
    lbpy(shop, "export-api-def", "--swagger2", "-o", "api/swagger.json")
    assert json.loads((shop / "api/swagger.json").read_text()) == swagger

"""The memory connector's ``file`` setting: LoopBack's format, loading at start, atomic saves."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from conftest import write_app
from starlette.testclient import TestClient

from lbpy import BootError, create_app

MODEL = {"Model1": {"properties": {"name": "string", "born": "date"}}}


def file_app(root: Path, data: Path) -> Path:
    return write_app(root, MODEL, datasources={"db": {"name": "db", "connector": "memory", "file": str(data)}})


def test_the_file_uses_loopbacks_format(tmp_path):
    data = tmp_path / "data.json"
    with TestClient(create_app(file_app(tmp_path / "app", data))) as api:
        assert not data.exists()  # created by the first write
        api.post("/api/Model1s", json={"name": "hello", "born": "2020-01-01"})
        api.post("/api/Model1s", json={"name": "world"})
        api.delete("/api/Model1s/2")
    content = json.loads(data.read_text())
    assert content["ids"] == {"Model1": 3}
    assert content["models"] == {
        "Model1": {
            "1": json.dumps({"name": "hello", "born": "2020-01-01T00:00:00.000Z", "id": 1}, separators=(",", ":"))
            .replace(",", ", ")
            .replace(":", ": ")
        }
    } or json.loads(content["models"]["Model1"]["1"]) == {"name": "hello", "born": "2020-01-01T00:00:00.000Z", "id": 1}
    assert isinstance(content["models"]["Model1"]["1"], str)


def test_the_file_is_loaded_at_start_and_ids_continue(tmp_path):
    data = tmp_path / "data.json"
    data.write_text(
        json.dumps(
            {
                "ids": {"Model1": 4},
                "models": {
                    "Model1": {
                        "1": json.dumps({"name": "hello", "id": 1}),
                        "3": {"name": "plain object", "born": "2020-01-01T00:00:00.000Z", "id": 3},
                    }
                },
            }
        )
    )
    with TestClient(create_app(file_app(tmp_path / "app", data))) as api:
        assert [r["name"] for r in api.get("/api/Model1s").json()] == ["hello", "plain object"]
        assert api.get('/api/Model1s?filter={"where":{"born":{"gt":"2019-01-01"}}}').json()[0]["id"] == 3
        assert api.post("/api/Model1s", json={"name": "next"}).json()["id"] == 4
    # a restart sees everything that was acknowledged
    with TestClient(create_app(file_app(tmp_path / "app2", data))) as api:
        assert api.get("/api/Model1s/count").json() == {"count": 3}


def test_a_malformed_file_stops_the_start_with_a_clear_message(tmp_path):
    data = tmp_path / "data.json"
    data.write_text('{"ids": {bad')
    app = create_app(file_app(tmp_path / "app", data))
    with pytest.raises(BootError, match=r"data\.json: the memory datasource file is not valid JSON"), TestClient(app):
        pass
    assert data.read_text() == '{"ids": {bad'  # nothing overwritten


def test_an_empty_file_is_an_empty_store(tmp_path):
    data = tmp_path / "data.json"
    data.write_text("")
    with TestClient(create_app(file_app(tmp_path / "app", data))) as api:
        assert api.get("/api/Model1s").json() == []


WRITER = textwrap.dedent("""
    import asyncio, sys
    from lbpy import create_app

    async def main():
        app = create_app(sys.argv[1])
        await app.start()
        Model1 = app.models["Model1"]
        n = 0
        while True:
            n += 1
            created = await Model1.create({"name": "x" * 200 + str(n)})
            print(created.id, flush=True)

    asyncio.run(main())
""")


def test_a_process_killed_while_saving_loses_no_acknowledged_record(tmp_path):
    data = tmp_path / "data.json"
    root = file_app(tmp_path / "app", data)
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    rng = random.Random(7)
    acknowledged: set[int] = set()
    for _ in range(6):
        child = subprocess.Popen([sys.executable, str(script), str(root)], stdout=subprocess.PIPE, text=True)
        # kill it at a random moment once it has acknowledged a few records, however slowly a
        # loaded machine boots it
        for _seen in range(3 + rng.randrange(20)):
            line = child.stdout.readline()
            assert line, "the writer stopped before it was killed"
            acknowledged.add(int(line))
        time.sleep(rng.random() * 0.05)
        os.kill(child.pid, signal.SIGKILL)
        output, _ = child.communicate()
        acknowledged.update(int(line) for line in output.split())
        content = json.loads(data.read_text())  # never a broken file
        stored = {int(key) for key in content["models"]["Model1"]}
        assert acknowledged <= stored, f"lost {sorted(acknowledged - stored)[:5]}"
        assert content["ids"]["Model1"] > max(stored)
    assert len(acknowledged) >= 18  # at least three acknowledged records per writer

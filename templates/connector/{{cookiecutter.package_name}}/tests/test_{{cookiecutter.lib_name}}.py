"""The {{ cookiecutter.name }} connector in an lbpy app, the way the hello world article used it."""

import json

import httpx
import pytest

import {{ cookiecutter.module_name }}
from lbpy import DataSource, create_app

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend():
    return "asyncio"


def write_app(root, datasource_settings):
    """An app with one model, Model1 (a name property), on a datasource called hw."""
    (root / "server").mkdir()
    (root / "common" / "models").mkdir(parents=True)
    files = {
        "server/config.json": {"restApiRoot": "/api", "host": "127.0.0.1", "port": 3000},
        "server/datasources.json": {"hw": {"name": "hw", **datasource_settings}},
        "server/model-config.json": {
            "_meta": {"sources": ["../common/models"]},
            "Model1": {"dataSource": "hw", "public": True},
        },
        "common/models/model1.json": {
            "name": "Model1", "base": "PersistedModel", "properties": {"name": {"type": "string"}},
        },
    }
    for path, content in files.items():
        (root / path).write_text(json.dumps(content, indent=2))
    return root


async def serve(root):
    app = create_app(root)
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://app")
    return app, client


@pytest.fixture
async def client(tmp_path):
    app, client = await serve(write_app(tmp_path, {"connector": "{{ cookiecutter.name }}"}))
    async with client:
        yield client
    await app.stop()


def test_the_installed_package_is_found_by_its_name():
    """pip install -e . registers the "{{ cookiecutter.name }}" entry point."""
    datasource = DataSource("hw", {"connector": "{{ cookiecutter.name }}"})
    assert isinstance(datasource.connector, {{ cookiecutter.module_name }}.{{ cookiecutter.class_name }})


async def test_a_new_table_holds_the_article_s_two_records(client):
    response = await client.get("/api/Model1s")
    assert response.status_code == 200
    assert response.json() == [{"id": 1, "name": "hello"}, {"id": 2, "name": "world"}]


async def test_every_route_reaches_the_connector(client):
    created = (await client.post("/api/Model1s", json={"name": "again"})).json()
    assert created == {"id": 3, "name": "again"}
    assert (await client.get("/api/Model1s/3")).json() == created
    found = await client.get("/api/Model1s", params={"filter": '{"where": {"name": "world"}}'})
    assert found.json() == [{"id": 2, "name": "world"}]
    patched = await client.patch("/api/Model1s/3", json={"name": "patched"})
    assert patched.json() == {"id": 3, "name": "patched"}
    assert (await client.put("/api/Model1s", json={"id": 3, "name": "put"})).json() == {"id": 3, "name": "put"}
    updated = await client.post("/api/Model1s/update", params={"where": '{"name": "put"}'}, json={"name": "u"})
    assert updated.json() == {"count": 1}
    assert (await client.get("/api/Model1s/count")).json() == {"count": 3}
    assert (await client.delete("/api/Model1s/3")).json() == {"count": 1}
    assert (await client.get("/api/Model1s/3")).status_code == 404
    assert (await client.get("/api/Model1s/count")).json() == {"count": 2}


async def test_the_seed_setting_turns_the_records_off(tmp_path):
    app, client = await serve(write_app(tmp_path, {"connector": "{{ cookiecutter.name }}", "seed": False}))
    async with client:
        assert (await client.get("/api/Model1s")).json() == []
    await app.stop()


async def test_discovery_describes_the_greeting_table():
    datasource = DataSource("hw", {"connector": {{ cookiecutter.module_name }}})
    tables = await datasource.discover_model_definitions()
    schema = await datasource.discover_schema("Greeting")
    await datasource.disconnect()
    assert {"name": "Greeting", "type": "table", "owner": None} in tables
    assert schema["name"] == "Greeting"
    assert schema["properties"]["id"]["type"] == "number"
    assert schema["properties"]["id"]["id"] == 1
    assert schema["properties"]["name"]["type"] == "string"

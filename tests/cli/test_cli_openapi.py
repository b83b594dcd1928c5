"""lbpy openapi SPEC: models from a document's schemas, a datasource on the openapi connector,
and a façade model whose remote methods are the document's operations; --dry-run writes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
from conftest import write_app
from starlette.testclient import TestClient
from typer.testing import CliRunner

from lbpy import create_app
from lbpy._cli import app as cli

PETS = {
    "openapi": "3.0.3",
    "info": {"title": "Pet Store", "version": "1"},
    "components": {
        "schemas": {
            "Pet": {
                "type": "object",
                "required": ["name"],
                "properties": {
                    "id": {"type": "integer"},
                    "name": {"type": "string", "description": "its name"},
                    "born": {"type": "string", "format": "date-time"},
                    "tags": {"type": "array", "items": {"type": "string"}},
                    "owner": {"$ref": "#/components/schemas/Owner"},
                },
            },
            "Owner": {"type": "object", "properties": {"email": {"type": "string"}}},
        }
    },
    "paths": {"/pets": {"get": {"operationId": "listPets", "responses": {"200": {"description": "ok"}}}}},
}


def run(app_dir: Path, *args: str):
    return CliRunner().invoke(cli, ["openapi", *args, "--app", str(app_dir)])


def files(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): p.read_text() for p in sorted(root.rglob("*")) if p.is_file()}


def test_dry_run_lists_what_would_be_written_and_writes_nothing(tmp_path):
    app = write_app(tmp_path / "app")
    spec = tmp_path / "pets.json"
    spec.write_text(json.dumps(PETS))
    before = files(app)
    result = run(app, str(spec), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "Would write:" in result.output
    for path in (
        "common/models/pet.json",
        "common/models/owner.json",
        "common/models/pet-store.json",
        "server/pet-store-spec.json",
        "server/datasources.json",
        "server/model-config.json",
    ):
        assert path in result.output
    assert "1 operation(s) would become methods of PetStore." in result.output
    assert files(app) == before


def test_the_models_the_datasource_and_the_facade_are_written(tmp_path):
    app = write_app(tmp_path / "app")
    spec = tmp_path / "pets.json"
    spec.write_text(json.dumps(PETS))
    result = run(app, str(spec), "--datasource", "pets", "--model", "Pets", "--base-url", "https://pets.example.com/v1")
    assert result.exit_code == 0, result.output
    pet = json.loads((app / "common/models/pet.json").read_text())
    assert pet == {
        "name": "Pet",
        "base": "Model",
        "properties": {
            "id": {"type": "number"},
            "name": {"type": "string", "description": "its name", "required": True},
            "born": {"type": "date"},
            "tags": {"type": ["string"]},
            "owner": {"type": "Owner"},
        },
    }
    datasources = json.loads((app / "server/datasources.json").read_text())
    assert datasources["pets"] == {
        "name": "pets",
        "connector": "openapi",
        "spec": "server/pets-spec.json",
        "baseURL": "https://pets.example.com/v1",  # the document names no server
    }
    assert json.loads((app / "server/pets-spec.json").read_text()) == PETS  # copied: the app boots anywhere
    config = json.loads((app / "server/model-config.json").read_text())
    assert config["Pets"] == {"dataSource": "pets", "public": True}
    assert config["Pet"] == {"dataSource": None, "public": False}
    again = run(app, str(spec), "--datasource", "pets", "--model", "Pets", "--base-url", "https://pets.example.com/v1")
    assert again.exit_code == 2 and "already exists" in again.output


def test_an_unreadable_document_is_one_line_and_exit_code_2(tmp_path):
    app = write_app(tmp_path / "app")
    (tmp_path / "bad.json").write_text("{not json")
    result = run(app, str(tmp_path / "bad.json"))
    assert result.exit_code == 2
    assert "is not valid JSON or YAML" in result.output
    assert "Traceback" not in result.output


def test_the_facade_serves_an_lbpy_remote_from_its_own_openapi_json(tmp_path, lbpy_remote):
    """lbpy openapi URL, then the app serves the remote's operations: a façade over it."""
    httpx.post(f"{lbpy_remote}/api/KitNotes", json={"code": "facade-1", "title": "through the façade"})
    app = write_app(tmp_path / "app")
    result = run(app, f"{lbpy_remote}/openapi.json", "--datasource", "remote", "--model", "Remote")
    assert result.exit_code == 0, result.output
    assert json.loads((app / "common/models/kit-item.json").read_text())["properties"]["created"] == {"type": "date"}
    with TestClient(create_app(app)) as client:
        found = client.get("/api/Remotes/KitNotes/facade-1")
        assert found.status_code == 200
        assert found.json()["title"] == "through the façade"
        assert client.get("/api/Remotes/KitNotes/nope").status_code == 404
        listed = client.get("/api/Remotes/KitNotes", params={"filter": json.dumps({"where": {"code": "facade-1"}})})
        assert [n["code"] for n in listed.json()] == ["facade-1"]
        assert "/Remotes/KitNotes/{id}" in client.get("/openapi.json").json()["paths"]


def with_servers(url: str) -> dict:
    return {**PETS, "servers": [{"url": url}]}


def test_a_relative_servers_url_without_a_terminal_is_an_error_naming_base_url(tmp_path):
    app = write_app(tmp_path / "app")
    spec = tmp_path / "pets.json"
    spec.write_text(json.dumps(with_servers("/api")))  # as lbpy's own documents say
    before = files(app)
    for extra in ((), ("--yes",)):
        result = run(app, str(spec), *extra)
        assert result.exit_code == 2, result.output
        assert result.output.strip().splitlines()[-1] == (
            'error: the document\'s servers URL "/api" is relative and it was read from a file, so the '
            "API's base URL is unknown: pass --base-url, e.g. --base-url https://api.example.com/api"
        )
        assert files(app) == before  # nothing written


def test_a_bad_base_url_is_refused(tmp_path):
    app = write_app(tmp_path / "app")
    spec = tmp_path / "pets.json"
    spec.write_text(json.dumps(with_servers("/api")))
    result = run(app, str(spec), "--base-url", "api.example.com/api")
    assert result.exit_code == 2
    assert '--base-url: "api.example.com/api" is not an http(s) URL' in result.output


def test_base_url_makes_a_facade_over_lbpys_own_document_read_from_a_file(tmp_path, lbpy_remote):
    httpx.post(f"{lbpy_remote}/api/KitNotes", json={"code": "facade-file", "title": "from a file"})
    document = httpx.get(f"{lbpy_remote}/openapi.json").json()
    assert document["servers"] == [{"url": "/api"}]
    spec = tmp_path / "remote.json"
    spec.write_text(json.dumps(document))
    app = write_app(tmp_path / "app")
    result = run(app, str(spec), "--datasource", "remote", "--model", "Remote", "--base-url", f"{lbpy_remote}/api/")
    assert result.exit_code == 0, result.output
    datasource = json.loads((app / "server/datasources.json").read_text())["remote"]
    assert datasource["baseURL"] == f"{lbpy_remote}/api"
    with TestClient(create_app(app)) as client:
        found = client.get("/api/Remotes/KitNotes/facade-file")
        assert found.status_code == 200 and found.json()["title"] == "from a file"


def test_an_absolute_servers_url_needs_no_base_url(tmp_path):
    app = write_app(tmp_path / "app")
    spec = tmp_path / "pets.json"
    spec.write_text(json.dumps(with_servers("https://pets.example.com/v1")))
    result = run(app, str(spec), "--datasource", "pets")
    assert result.exit_code == 0, result.output
    assert "baseURL" not in json.loads((app / "server/datasources.json").read_text())["pets"]


def test_in_a_terminal_the_base_url_is_asked_for(tmp_path):
    import os
    import sys

    import pytest

    pexpect = pytest.importorskip("pexpect", reason="pexpect drives the pseudo-terminal (pip install pexpect)")
    app = write_app(tmp_path / "app")
    spec = tmp_path / "pets.json"
    spec.write_text(json.dumps(with_servers("/api")))
    env = {**os.environ, "TERM": "xterm", "COLUMNS": "120", "LINES": "40", "PROMPT_TOOLKIT_NO_CPR": "1"}
    child = pexpect.spawn(
        sys.executable,
        ["-m", "lbpy", "openapi", str(spec), "--datasource", "pets", "--app", str(app)],
        env=env,
        encoding="utf-8",
        timeout=20,
        dimensions=(40, 120),
    )
    child.expect("base URL")
    child.sendline("not a url")
    child.expect("is not an http")  # the prompt says why and asks again
    child.send("\x15")  # Ctrl-U
    child.sendline("https://pets.example.com/api")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    datasource = json.loads((app / "server/datasources.json").read_text())["pets"]
    assert datasource["baseURL"] == "https://pets.example.com/api"

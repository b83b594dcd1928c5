"""``lbpy export-api-def``: the documents ``lbpy start`` serves, written without a server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from conftest import write_app
from typer.testing import CliRunner

from lbpy._cli import app as cli

runner = CliRunner()


@pytest.fixture
def root(tmp_path: Path) -> Path:
    root = write_app(tmp_path / "app", {"Note": {"properties": {"title": {"type": "string", "required": True}}}})
    for args in (
        ["model", "Customer", "--property", "name:string:required", "--property", "tags:[string]"],
        ["relation", "Customer", "--type", "hasMany", "--model", "Note"],
    ):
        assert runner.invoke(cli, [*args, "--app", str(root)]).exit_code == 0
    return root


def served(root: Path, path: str) -> dict:
    from starlette.testclient import TestClient

    from lbpy import create_app

    with TestClient(create_app(root)) as client:
        response = client.get(path)
        assert response.status_code == 200
        return response.json()


def export(root: Path, *args: str):
    return runner.invoke(cli, ["export-api-def", *args, "--app", str(root)])


def test_openapi_json_on_stdout_is_the_served_document(root):
    result = export(root, "--format", "json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["openapi"].startswith("3.")
    assert "/Customers" in document["paths"]
    assert document == served(root, "/openapi.json")


def test_yaml_is_loopback_3s_default(root):
    result = export(root)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("openapi: 3.")
    assert yaml.safe_load(result.stdout) == served(root, "/openapi.json")


def test_swagger2_to_a_file_takes_the_format_from_its_name(root, tmp_path):
    target = tmp_path / "out" / "swagger.json"
    result = export(root, "--swagger2", "-o", str(target))
    assert result.exit_code == 0, result.output
    document = json.loads(target.read_text())
    assert document["swagger"] == "2.0"
    assert document == served(root, "/explorer/swagger.json")
    assert f"Wrote the Swagger 2.0 document to {target}" in result.stderr
    yaml_target = tmp_path / "api.yml"
    assert export(root, "-o", str(yaml_target)).exit_code == 0
    assert yaml.safe_load(yaml_target.read_text()) == served(root, "/openapi.json")


@pytest.mark.parametrize(
    "args, says, code",
    [
        (["--format", "xml"], '--format must be "json" or "yaml", not "xml"', 2),
        (["-o", "api.txt"], "cannot tell the format from its name; pass --format json or --format yaml", 2),
    ],
)
def test_export_errors(root, args, says, code):
    result = export(root, *args)
    assert result.exit_code == code
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and says in lines[0]


def test_an_app_that_does_not_boot_is_one_line(root):
    (root / "common/models/customer.json").write_text('{"name": "Customer", "base": ')
    result = export(root)
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: common/models/customer.json:1:")


def test_not_an_app(tmp_path):
    result = export(tmp_path)
    assert result.exit_code == 2 and "is not an lbpy app" in result.stderr

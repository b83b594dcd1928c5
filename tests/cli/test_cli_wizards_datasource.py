"""``lbpy datasource`` with no terminal: the connector's settings schema drives the answers,
secrets may be left to the environment, missing connector packages are pip-installed."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest
from conftest import write_app
from typer.testing import CliRunner

from lbpy._cli import app as cli

runner = CliRunner()

ACME = """
from lbpy import Connector, Setting


class AcmeConnector(Connector):
    name = "acme"
    settings_schema = (
        Setting("host", default="localhost", description="Host name"),
        Setting("port", type="number", default=5432),
        Setting("database", required=True),
        Setting("password", secret=True, required=True),
        Setting("token", secret=True),
        Setting("ssl", type="boolean", default=False),
        Setting("options", type="json", default={"pool": 5}),
    )

    def ping(self):
        if self.settings.get("host") == "down":
            raise ConnectionError("connection refused")
        if self.settings.get("password") not in (None, "s3cret"):
            raise PermissionError("password authentication failed")

    def all(self, model, filter, options):
        return []


def initialize(datasource):
    datasource.connector = AcmeConnector(datasource.settings, datasource)
"""


def run(root: Path, *args: str, env: dict | None = None):
    return runner.invoke(cli, [*args, "--app", str(root)], env=env)


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def datasources(root: Path) -> dict:
    return json.loads((root / "server/datasources.json").read_text())


@pytest.fixture
def root(tmp_path: Path) -> Path:
    root = write_app(tmp_path / "app")
    (root / "connectors").mkdir()
    (root / "connectors" / "acme.py").write_text(ACME)
    return root


def fails(root: Path, *args: str, says: str, code: int = 2, env: dict | None = None) -> None:
    before = snapshot(root)
    result = run(root, *args, env=env)
    assert result.exit_code == code, result.output
    lines = result.stderr.strip().splitlines()
    assert lines and lines[-1].startswith("error: ") and says in lines[-1], result.stderr
    assert snapshot(root) == before


def test_memory_datasource_with_a_file(root):
    result = run(root, "datasource", "store", "--connector", "memory", "--set", "file=data/store.json")
    assert result.exit_code == 0, result.output
    assert datasources(root) == {
        "db": {"name": "db", "connector": "memory"},
        "store": {"name": "store", "connector": "memory", "file": "data/store.json"},
    }
    text = (root / "server/datasources.json").read_text()
    assert text.startswith('{\n  "db": {\n    "name": "db",') and text.endswith("}\n")


def test_yes_takes_the_memory_connector(root):
    assert run(root, "datasource", "cache", "--yes").exit_code == 0
    assert datasources(root)["cache"] == {"name": "cache", "connector": "memory"}


def test_settings_come_from_the_connectors_schema_and_secrets_stay_in_the_environment(root):
    result = run(root, "datasource", "store", "--connector", "acme", "--yes", "--set", "database=shop")
    assert result.exit_code == 0, result.output
    assert datasources(root)["store"] == {
        "name": "store",
        "connector": "acme",
        "host": "localhost",
        "port": 5432,
        "database": "shop",
        "password": "${STORE_PASSWORD}",
        "ssl": False,
        "options": {"pool": 5},
    }


def test_the_app_boots_with_the_secret_from_the_environment(root, monkeypatch):
    from lbpy._app_files import read_app

    assert run(root, "datasource", "store", "--connector", "acme", "--set", "database=shop").exit_code == 0
    monkeypatch.setenv("STORE_PASSWORD", "s3cret")
    settings = read_app(root).datasources["store"]
    assert settings["password"] == "s3cret" and "token" not in settings


def test_set_values_are_read_as_the_schemas_types(root):
    result = run(
        root,
        "datasource",
        "store",
        "--connector",
        "acme",
        "--set",
        "database=shop",
        "--set",
        "port=6000",
        "--set",
        "ssl=true",
        "--set",
        'options={"pool": 9}',
        "--set",
        "password=pw",
        "--set",
        "region=eu",
        "--set",
        "retries=3",
    )
    assert result.exit_code == 0, result.output
    store = datasources(root)["store"]
    assert store["port"] == 6000 and store["ssl"] is True and store["options"] == {"pool": 9}
    assert store["password"] == "pw"
    assert store["region"] == "eu" and store["retries"] == 3
    assert list(store)[-2:] == ["region", "retries"]


def test_config_answers_and_settings(root, tmp_path):
    answers = {
        "name": "store",
        "connector": "acme",
        "database": "shop",
        "port": 7000,
        "settings": {"host": "db.internal"},
    }
    assert run(root, "datasource", "--config", json.dumps(answers)).exit_code == 0
    store = datasources(root)["store"]
    assert (store["host"], store["port"], store["database"]) == ("db.internal", 7000, "shop")


def test_the_connector_list_shows_local_connectors(root):
    from lbpy._cli._datasource import connector_choices

    choices = connector_choices(root)
    assert choices["memory"] == "built-in" and choices["acme"] == "connectors/"


def test_test_pings_the_new_datasource(root):
    result = run(
        root,
        "datasource",
        "store",
        "--connector",
        "acme",
        "--set",
        "database=shop",
        "--set",
        "password=s3cret",
        "--test",
    )
    assert result.exit_code == 0, result.output
    assert "Connected to store (acme)." in result.output
    assert "store" in datasources(root)
    assert run(root, "datasource", "mem", "--yes", "--test").exit_code == 0


def test_a_failed_ping_writes_nothing(root):
    fails(
        root,
        "datasource",
        "store",
        "--connector",
        "acme",
        "--set",
        "database=shop",
        "--set",
        "host=down",
        "--set",
        "password=s3cret",
        "--test",
        code=1,
        says='datasource "store" cannot be reached: connection refused',
    )


def test_test_reads_secrets_from_the_environment(root):
    fails(
        root,
        "datasource",
        "store",
        "--connector",
        "acme",
        "--set",
        "database=shop",
        "--test",
        code=1,
        says="needs the environment variable STORE_PASSWORD",
    )
    result = run(
        root,
        "datasource",
        "store",
        "--connector",
        "acme",
        "--set",
        "database=shop",
        "--test",
        env={"STORE_PASSWORD": "s3cret"},
    )
    assert result.exit_code == 0, result.output
    assert datasources(root)["store"]["password"] == "${STORE_PASSWORD}"


@pytest.mark.parametrize(
    "args, says",
    [
        (["datasource", "my db"], 'NAME: "my db" is not a valid datasource name'),
        (["datasource", "db", "--yes"], 'datasource "db" already exists; pass --force'),
        (["datasource", "store", "--connector", "acme"], "Setting database is required: pass --set database=VALUE"),
        (
            ["datasource", "store", "--connector", "acme", "--set", "database=x", "--set", "port=abc"],
            "--set port=VALUE: port must be a number",
        ),
        (
            ["datasource", "store", "--connector", "acme", "--set", "database=x", "--set", "ssl=maybe"],
            "ssl must be true or false",
        ),
        (
            ["datasource", "store", "--connector", "acme", "--set", "database=x", "--set", "options={"],
            "options must be JSON",
        ),
        (["datasource", "store", "--set", "novalue"], '--set "novalue": write KEY=VALUE'),
        (["datasource"], "pass NAME"),
        (["datasource", "store", "--config", "{"], "--config: invalid JSON"),
    ],
)
def test_datasource_errors(root, args, says):
    fails(root, *args, says=says)


def test_force_replaces_in_place(root):
    assert run(root, "datasource", "store", "--yes").exit_code == 0
    assert run(root, "datasource", "db", "--force", "--set", "file=x.json").exit_code == 0
    assert list(datasources(root)) == ["db", "store"]
    assert datasources(root)["db"] == {"name": "db", "connector": "memory", "file": "x.json"}


def test_an_uninstalled_connector_can_be_left_for_later(root):
    result = run(root, "datasource", "remote", "--connector", "lbpy-connector-nosuch", "--no-install")
    assert result.exit_code == 0, result.output
    assert "pip install lbpy-connector-nosuch" in result.stderr
    assert datasources(root)["remote"] == {"name": "remote", "connector": "nosuch"}


def _pip_env(target: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    target.mkdir(exist_ok=True)
    env.update({"PIP_TARGET": str(target), "PIP_NO_INDEX": "1", "PYTHONPATH": str(target)})
    return env


def test_a_failed_install_is_one_clear_line_and_writes_nothing(root, tmp_path):
    before = snapshot(root)
    missing = tmp_path / "lbpy_connector_gone-0.1.0-py3-none-any.whl"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "lbpy",
            "datasource",
            "gone",
            "--connector",
            str(missing),
            "--install",
            "--app",
            str(root),
        ],
        capture_output=True,
        text=True,
        env=_pip_env(tmp_path / "site"),
        timeout=120,
    )
    assert result.returncode == 1, result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(f"error: pip could not install {missing}: ") and "pip install" in last
    assert "Traceback" not in result.stderr
    assert snapshot(root) == before


def build_connector_wheel(folder: Path) -> Path:
    """A wheel of ``lbpy-connector-tiny``: one module and an ``lbpy.connectors`` entry point."""
    dist = "lbpy_connector_tiny-0.1.0"
    files = {
        "lbpy_connector_tiny/__init__.py": textwrap.dedent("""
            from lbpy import Connector, Setting


            class TinyConnector(Connector):
                name = "tiny"
                settings_schema = (Setting("greeting", required=True),)

                def all(self, model, filter, options):
                    return []


            def initialize(datasource):
                datasource.connector = TinyConnector(datasource.settings, datasource)
        """),
        f"{dist}.dist-info/METADATA": "Metadata-Version: 2.1\nName: lbpy-connector-tiny\nVersion: 0.1.0\n",
        f"{dist}.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        f"{dist}.dist-info/entry_points.txt": "[lbpy.connectors]\ntiny = lbpy_connector_tiny\n",
    }
    record = []
    for name, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
        record.append(f"{name},sha256={digest},{len(text.encode())}")
    record.append(f"{dist}.dist-info/RECORD,,")
    files[f"{dist}.dist-info/RECORD"] = "\n".join(record) + "\n"
    wheel = folder / f"{dist}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return wheel


def test_other_installs_a_connector_package_and_asks_its_settings(root, tmp_path):
    wheel = build_connector_wheel(tmp_path)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "lbpy",
            "datasource",
            "hello",
            "--connector",
            str(wheel),
            "--install",
            "--set",
            "greeting=hi",
            "--app",
            str(root),
        ],
        capture_output=True,
        text=True,
        env=_pip_env(tmp_path / "site"),
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert f"Installed {wheel}" in result.stderr
    assert datasources(root)["hello"] == {"name": "hello", "connector": "tiny", "greeting": "hi"}
    assert (tmp_path / "site" / "lbpy_connector_tiny" / "__init__.py").is_file()


APP_PYPROJECT = """[build-system]
requires = ["hatchling>=1.21"]
build-backend = "hatchling.build"

[project]
name = "shop"
version = "0.1.0"
dependencies = [
  "lbpy>=0.1",
]

[project.optional-dependencies]
test = [
  "pytest>=8",
]
"""


def test_the_connector_package_joins_the_apps_dependencies(root):
    """As LoopBack 3 saved a connector in package.json, lbpy adds it to the app's pyproject.toml."""
    (root / "pyproject.toml").write_text(APP_PYPROJECT)
    result = run(root, "datasource", "remote", "--connector", "lbpy-connector-nosuch", "--no-install")
    assert result.exit_code == 0, result.output
    assert (root / "pyproject.toml").read_text() == APP_PYPROJECT.replace(
        '  "lbpy>=0.1",\n', '  "lbpy>=0.1",\n  "lbpy-connector-nosuch",\n'
    )
    assert "update  pyproject.toml" in result.output
    assert run(root, "datasource", "remote2", "--connector", "lbpy_connector.nosuch", "--no-install").exit_code == 0
    assert (root / "pyproject.toml").read_text().count("nosuch") == 1  # the same distribution, once


def test_a_pyproject_laid_out_by_hand_is_left_alone(root):
    text = '[project]\nname = "shop"\ndependencies = ["lbpy"]\n'
    (root / "pyproject.toml").write_text(text)
    assert run(root, "datasource", "remote", "--connector", "lbpy-connector-nosuch", "--no-install").exit_code == 0
    assert (root / "pyproject.toml").read_text() == text


PICKY = """
from lbpy import BootError, Connector, Setting


class PickyConnector(Connector):
    name = "picky"
    settings_schema = (Setting("url", required=True, description="where the data is"),)

    def __init__(self, settings=None, datasource=None):
        super().__init__(settings, datasource)
        if not self.settings.get("url"):
            raise BootError("picky needs a url")


def initialize(datasource):
    datasource.connector = PickyConnector(datasource.settings, datasource)
"""


def test_a_connector_that_checks_its_settings_still_shows_its_schema(root):
    (root / "connectors" / "picky.py").write_text(PICKY)
    fails(
        root, "datasource", "p", "--connector", "picky", "--yes", says="Setting url is required: pass --set url=VALUE"
    )
    assert run(root, "datasource", "p", "--connector", "picky", "--set", "url=mem://x").exit_code == 0
    assert datasources(root)["p"] == {"name": "p", "connector": "picky", "url": "mem://x"}


# -- HTTP connectors: the base URL or the spec, then the credentials ------------------------------


def test_rest_asks_the_base_url_and_the_auth_of_the_type_chosen(tmp_path):
    root = write_app(tmp_path / "app")
    result = run(
        root,
        "datasource",
        "crm",
        "--connector",
        "rest",
        "--set",
        "baseURL=https://api.example.com/v1",
        "--set",
        "auth.type=bearer",
        "--yes",
    )
    assert result.exit_code == 0, result.output
    entry = json.loads((root / "server" / "datasources.json").read_text())["crm"]
    assert entry == {
        "name": "crm",
        "connector": "rest",
        "baseURL": "https://api.example.com/v1",
        "crud": True,
        "filters": "loopback",
        "auth": {"type": "bearer", "token": "${CRM_AUTH_TOKEN}"},
    }


def test_an_api_key_in_the_query_and_no_auth(tmp_path):
    root = write_app(tmp_path / "app")
    result = run(
        root,
        "datasource",
        "maps",
        "--connector",
        "rest",
        "--set",
        "baseURL=https://maps.example.com",
        "--set",
        "crud=false",
        "--set",
        "auth.type=apiKey",
        "--set",
        "auth.in=query",
        "--set",
        "auth.name=key",
        "--set",
        "auth.value=abc123",
        "--yes",
    )
    assert result.exit_code == 0, result.output
    entry = json.loads((root / "server" / "datasources.json").read_text())["maps"]
    assert entry["auth"] == {"type": "apiKey", "in": "query", "name": "key", "value": "abc123"}
    assert entry["crud"] is False and "filters" not in entry  # filters only matter in CRUD mode
    result = run(root, "datasource", "open", "--connector", "rest", "--set", "baseURL=https://x.example", "--yes")
    assert "auth" not in json.loads((root / "server" / "datasources.json").read_text())["open"]


def test_openapi_asks_the_spec_and_the_auth(tmp_path):
    root = write_app(tmp_path / "app")
    result = run(
        root,
        "datasource",
        "pets",
        "--connector",
        "openapi",
        "--set",
        "spec=https://pets.example/openapi.json",
        "--set",
        "auth.type=oauth2",
        "--set",
        "auth.tokenUrl=https://id.example/token",
        "--set",
        "auth.clientId=app",
        "--yes",
    )
    assert result.exit_code == 0, result.output
    entry = json.loads((root / "server" / "datasources.json").read_text())["pets"]
    assert entry == {
        "name": "pets",
        "connector": "openapi",
        "spec": "https://pets.example/openapi.json",
        "validate": False,
        "auth": {
            "type": "oauth2",
            "tokenUrl": "https://id.example/token",
            "clientId": "app",
            "clientSecret": "${PETS_AUTH_CLIENTSECRET}",
        },
    }


def test_a_choice_outside_the_list_is_refused(tmp_path):
    root = write_app(tmp_path / "app")
    result = run(
        root,
        "datasource",
        "crm",
        "--connector",
        "rest",
        "--set",
        "baseURL=https://x.example",
        "--set",
        "auth.type=kerberos",
        "--yes",
    )
    assert result.exit_code == 2
    assert "--set auth.type=VALUE must be one of: none, basic, bearer, apiKey, oauth2" in result.output

"""Finding connectors by name: built-ins, the app's connectors/ folder, the lbpy.connectors entry
points, then a module named lbpy_connector_<name>; a name found nowhere is a clear error."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest
from conftest import write_app

from lbpy import ConnectorNotFoundError, DataSource
from lbpy._connectors._registry import available_connectors

MODEL1 = {"Model1": {"properties": {"name": {"type": "string"}}}}

CONNECTOR = """
from lbpy import Connector

class Tagged(Connector):
    name = "{name}"
    where_from = "{where_from}"

    def all(self, model, filter, options):
        return [{{"id": 1, "name": self.where_from}}]

def initialize(datasource):
    datasource.connector = Tagged(datasource.settings, datasource)
"""


def source(name: str, where_from: str) -> str:
    return textwrap.dedent(CONNECTOR.format(name=name, where_from=where_from))


@pytest.fixture(autouse=True)
def forget_loaded_connectors():
    before = set(sys.modules)
    yield
    for name in set(sys.modules) - before:
        if name.startswith(("lbpy_connector_", "regtest_")):
            del sys.modules[name]


@pytest.fixture
def site(tmp_path, monkeypatch) -> Path:
    """A folder on sys.path, where installed distributions and modules can be put."""
    folder = tmp_path / "site"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    return folder


def install_entry_point(site: Path, dist: str, name: str, value: str) -> None:
    """What pip install leaves behind for a package with an lbpy.connectors entry point."""
    info = site / f"{dist}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[lbpy.connectors]\n{name} = {value}\n")


def fetch(root: Path) -> list:
    from starlette.testclient import TestClient

    from lbpy import create_app

    with TestClient(create_app(root)) as client:
        return client.get("/api/Model1s").json()


def app_using(tmp_path: Path, connector: str) -> Path:
    return write_app(tmp_path / "app", MODEL1, datasources={"db": {"name": "db", "connector": connector}})


@pytest.mark.parametrize(
    "layout",
    [
        "{name}/__init__.py",
        "lbpy_connector_{name}/__init__.py",
        "lbpy-connector-{name}/lbpy_connector_{name}/__init__.py",
        "{name}.py",
    ],
)
def test_a_package_in_the_app_s_connectors_folder_is_found_without_installing(tmp_path, layout):
    root = app_using(tmp_path, "local")
    path = root / "connectors" / layout.format(name="local")
    path.parent.mkdir(parents=True)
    path.write_text(source("local", "connectors folder"))
    assert fetch(root) == [{"id": 1, "name": "connectors folder"}]


def test_the_generated_package_copied_into_connectors_works(tmp_path):
    """The article's "copy it into node_modules": the whole generated folder in connectors/."""
    from lbpy._connector_project import ConnectorAnswers, render_connector

    root = app_using(tmp_path, "helloworld")
    render_connector(
        ConnectorAnswers(
            name="helloworld",
            package_name="lbpy-connector-helloworld",
            directory=root / "connectors" / "lbpy-connector-helloworld",
            description="Hello",
            author="",
            is_async=False,
        )
    )
    assert fetch(root) == [{"id": 1, "name": "hello"}, {"id": 2, "name": "world"}]


@pytest.mark.parametrize("value", ["regtest_ep_module", "regtest_ep_module:initialize"])
def test_an_installed_entry_point_is_found(tmp_path, site, value):
    (site / "regtest_ep_module.py").write_text(source("viaep", "entry point"))
    install_entry_point(site, "regtest_dist", "viaep", value)
    assert fetch(app_using(tmp_path, "viaep")) == [{"id": 1, "name": "entry point"}]


def test_the_connectors_folder_wins_over_an_entry_point(tmp_path, site):
    (site / "regtest_ep_both.py").write_text(source("both", "entry point"))
    install_entry_point(site, "regtest_both", "both", "regtest_ep_both")
    root = app_using(tmp_path, "both")
    (root / "connectors").mkdir()
    (root / "connectors" / "both.py").write_text(source("both", "connectors folder"))
    assert fetch(root) == [{"id": 1, "name": "connectors folder"}]


def test_an_importable_lbpy_connector_module_is_found_last(tmp_path, site):
    (site / "lbpy_connector_plainmod.py").write_text(source("plainmod", "module"))
    assert fetch(app_using(tmp_path, "plainmod")) == [{"id": 1, "name": "module"}]


def test_loopback_style_names_are_read_as_the_short_name(site):
    (site / "lbpy_connector_shortname.py").write_text(source("shortname", "module"))
    datasource = DataSource("db", {"connector": "lbpy-connector-shortname"})
    assert datasource.connector_name == "shortname"


def test_a_name_found_nowhere_says_where_lbpy_looked_and_how_to_install(tmp_path):
    with pytest.raises(ConnectorNotFoundError) as error:
        DataSource("db", {"connector": "nowhere"}, app_dir=tmp_path)
    message = str(error.value)
    assert 'connector "nowhere" was not found' in message
    assert "built-ins (memory, transient, sqlite, postgresql, mysql, rest, openapi, mail)" in message
    assert f"{tmp_path / 'connectors'}/" in message
    assert '"lbpy.connectors" entry points' in message
    assert "module lbpy_connector_nowhere" in message
    assert "pip install lbpy-connector-nowhere" in message


def test_a_missing_connector_warns_once_and_its_models_answer_503_naming_it(tmp_path, caplog):
    from starlette.testclient import TestClient

    from lbpy import create_app

    root = app_using(tmp_path, "nowhere")
    with caplog.at_level("WARNING", logger="lbpy"), TestClient(create_app(root)) as api:
        answer = api.get("/api/Model1s")
        assert api.get("/").status_code == 200  # the app itself is up
    assert answer.status_code == 503
    error = answer.json()["error"]
    assert error["code"] == "CONNECTOR_NOT_INSTALLED"
    assert 'datasource "db" uses the connector "nowhere", which lbpy does not have' in error["message"]
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING" and "nowhere" in r.getMessage()]
    assert len(warnings) == 1 and "pip install lbpy-connector-nowhere" in warnings[0]


def test_available_connectors_lists_every_source(tmp_path, site):
    (site / "regtest_ep_listed.py").write_text(source("listed", "entry point"))
    install_entry_point(site, "regtest_listed", "listed", "regtest_ep_listed")
    root = app_using(tmp_path, "memory")
    (root / "connectors" / "mine").mkdir(parents=True)
    (root / "connectors" / "mine" / "__init__.py").write_text(source("mine", "x"))
    found = available_connectors(root)
    assert found["memory"] == "built-in"
    assert found["mine"] == "connectors/"
    assert found["listed"] == "installed (regtest_ep_listed)"

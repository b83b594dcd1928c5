"""Fixtures shared by the test modules: apps written to tmp_path and clients that talk to them."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

#: seconds a test may take when it installs packages (pip into a fresh virtual environment, or
#: LoopBack 3 from npm); every other test gets pyproject.toml's timeout
INSTALLING_TIMEOUT = 900


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked slow, and while LoopBack 3 is not installed the tests that need it, get
    ``INSTALLING_TIMEOUT``."""
    from loopback3 import loopback3_installed

    installed = loopback3_installed()
    for item in items:
        needs_install = not installed and "loopback3_remote" in getattr(item, "fixturenames", ())
        if (item.get_closest_marker("slow") or needs_install) and not item.get_closest_marker("timeout"):
            item.add_marker(pytest.mark.timeout(INSTALLING_TIMEOUT))


def write_app(
    root: Path,
    models: dict[str, dict[str, Any]] | None = None,
    *,
    datasources: dict[str, dict] | None = None,
    config: dict | None = None,
    model_config: dict | None = None,
    explorer: bool = True,
) -> Path:
    """Write an app in LoopBack 3's layout. ``models`` maps a model name to its JSON definition
    (``name`` is filled in); each model goes on the ``db`` datasource unless model_config says."""
    (root / "server").mkdir(parents=True, exist_ok=True)
    (root / "common" / "models").mkdir(parents=True, exist_ok=True)
    config = {"restApiRoot": "/api", "host": "127.0.0.1", "port": 3000, **(config or {})}
    datasources = datasources or {"db": {"name": "db", "connector": "memory"}}
    entries: dict[str, Any] = {"_meta": {"sources": ["../common/models"]}}
    for name, given in (models or {}).items():
        definition = {"name": name, "base": "PersistedModel", **given}
        kebab = "".join("-" + c.lower() if c.isupper() and i else c.lower() for i, c in enumerate(name))
        (root / "common" / "models" / f"{kebab}.json").write_text(json.dumps(definition, indent=2))
        entries[name] = {"dataSource": "db", "public": True}
    entries.update(model_config or {})
    (root / "server" / "config.json").write_text(json.dumps(config, indent=2))
    (root / "server" / "datasources.json").write_text(json.dumps(datasources, indent=2))
    (root / "server" / "model-config.json").write_text(json.dumps(entries, indent=2))
    if explorer:
        (root / "server" / "component-config.json").write_text(
            json.dumps({"loopback-component-explorer": {"mountPath": "/explorer"}})
        )
    return root


@pytest.fixture
def make_client(tmp_path: Path) -> Iterator[Callable[..., Any]]:
    """``make_client(models, **write_app_options)`` boots an app and returns a TestClient for it."""
    from starlette.testclient import TestClient

    from lbpy import create_app

    clients = []

    def make(models: dict[str, dict] | None = None, **options: Any):
        root = write_app(tmp_path / f"app{len(clients)}", models, **options)
        client = TestClient(create_app(root), raise_server_exceptions=False)
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture(scope="session")
def lbpy_remote(tmp_path_factory) -> Iterator[str]:
    """An lbpy app served by ``lbpy start`` holding the kit's models; yields its URL."""
    from lbpy_process import lbpy_start
    from remotes import write_remote_app

    root = write_remote_app(tmp_path_factory.mktemp("lbpy-remote"))
    with lbpy_start(root, "--port", "0") as server:
        yield server.url


@pytest.fixture(scope="session")
def loopback3_remote(tmp_path_factory) -> Iterator[str]:
    """A LoopBack 3 app holding the kit's models (skips without node and npm); yields its URL."""
    from loopback3 import loopback3_server
    from remotes import REMOTE_MODELS

    with loopback3_server(tmp_path_factory.mktemp("loopback3-remote"), REMOTE_MODELS) as url:
        yield url

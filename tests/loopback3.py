"""A LoopBack 3 app as a real remote API in tests: ``loopback@3`` and its explorer installed from
the npm registry into a cache folder outside the repository, an app in LoopBack 3's layout
written to a temporary folder, ``node server/server.js`` until it listens. Without node and npm,
or when the packages cannot be installed, the tests that need it skip and say why."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from lbpy_process import free_port

PACKAGES = ["loopback@3", "loopback-boot@3", "loopback-component-explorer@6"]
CACHE = Path(os.environ.get("LBPY_TEST_CACHE", Path.home() / ".cache" / "lbpy-tests")) / "loopback3"

SERVER_JS = """'use strict';
var loopback = require('loopback');
var boot = require('loopback-boot');
var app = module.exports = loopback();
boot(app, __dirname, function(err) {
  if (err) throw err;
  app.use(app.get('restApiRoot'), loopback.rest());
  app.listen(function() { console.log('Web server listening at: %s', app.get('url')); });
});
"""


def loopback3_modules() -> Path:
    """The node_modules folder holding LoopBack 3 (installed once), or a pytest skip."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("LoopBack 3 remote: node and npm are not installed")
    modules = CACHE / "node_modules"
    if _installed(modules):
        return modules
    CACHE.mkdir(parents=True, exist_ok=True)
    # parallel test workers (pytest-xdist) install once: the first holds the lock, the others
    # wait for it and find the packages there
    with (CACHE / ".install-lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not _installed(modules):
            _install()
    return modules


def loopback3_installed() -> bool:
    return _installed(CACHE / "node_modules")


def _installed(modules: Path) -> bool:
    return all((modules / name.split("@")[0] / "package.json").is_file() for name in PACKAGES)


def _install() -> None:
    if not (CACHE / "package.json").is_file():
        (CACHE / "package.json").write_text(json.dumps({"name": "lbpy-tests-loopback3", "private": True}))
    try:
        done = subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--loglevel=error", *PACKAGES],
            cwd=CACHE,
            capture_output=True,
            text=True,
            timeout=600,
        )
    except subprocess.TimeoutExpired:
        pytest.skip("LoopBack 3 remote: npm install took more than 10 minutes")
    if done.returncode != 0:
        pytest.skip(f"LoopBack 3 remote: npm install failed: {(done.stderr or done.stdout).strip()[-300:]}")


def write_loopback3_app(root: Path, models: dict[str, dict], port: int) -> Path:
    """A LoopBack 3 app in ``root`` with ``models`` (name -> model JSON) on a memory datasource."""
    modules = loopback3_modules()
    (root / "server").mkdir(parents=True, exist_ok=True)
    (root / "common" / "models").mkdir(parents=True, exist_ok=True)
    if not (root / "node_modules").exists():
        (root / "node_modules").symlink_to(modules, target_is_directory=True)
    (root / "server" / "server.js").write_text(SERVER_JS)
    (root / "server" / "config.json").write_text(
        json.dumps(
            {
                "restApiRoot": "/api",
                "host": "127.0.0.1",
                "port": port,
                "remoting": {
                    "context": False,
                    "rest": {"normalizeHttpPath": False, "xml": False},
                    "json": {"strict": False, "limit": "10mb"},
                    "urlencoded": {"extended": True, "limit": "100kb"},
                    "cors": False,
                },
            }
        )
    )
    (root / "server" / "datasources.json").write_text(json.dumps({"db": {"name": "db", "connector": "memory"}}))
    config: dict = {"_meta": {"sources": ["loopback/common/models", "loopback/server/models", "../common/models"]}}
    for name, definition in models.items():
        (root / "common" / "models" / f"{name}.json").write_text(json.dumps({"name": name, **definition}))
        config[name] = {"dataSource": "db", "public": True}
    (root / "server" / "model-config.json").write_text(json.dumps(config))
    (root / "server" / "component-config.json").write_text(
        json.dumps({"loopback-component-explorer": {"mountPath": "/explorer"}})
    )
    return root


@contextmanager
def loopback3_server(root: Path, models: dict[str, dict]) -> Iterator[str]:
    """Start a LoopBack 3 app with ``models``; yields its URL (``http://127.0.0.1:PORT``)."""
    port = free_port()
    write_loopback3_app(root, models, port)
    log = (root / "server.log").open("w")
    process = subprocess.Popen(["node", "server/server.js"], cwd=root, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while "listening at" not in (root / "server.log").read_text():
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the LoopBack 3 app did not start: {(root / 'server.log').read_text()[-2000:]}")
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()

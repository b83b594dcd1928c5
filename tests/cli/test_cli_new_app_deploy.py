"""What ``lbpy new-app`` writes for deploying: a Dockerfile, .dockerignore, a compose file with
PostgreSQL, Redis and a one-shot migration, and the production settings they use."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import httpx
import pytest
import yaml
from connectors.sql.sql_support import POSTGRESQL_URL, execute, require
from lbpy_process import LBPY, clean_env, lbpy_start


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = tmp_path_factory.mktemp("apps")
    done = subprocess.run(
        [*LBPY, "new-app", "shop", "--yes", "--template", "notes"],
        cwd=where,
        capture_output=True,
        text=True,
        env=clean_env(),
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return where / "shop"


def dockerfile_instructions(app: Path) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    text = (app / "Dockerfile").read_text().replace("\\\n", " ")
    for line in text.splitlines():
        if line.strip() and not line.startswith("#"):
            keyword, _, rest = line.strip().partition(" ")
            found.setdefault(keyword.upper(), []).append(rest.strip())
    return found


def test_the_dockerfile_serves_as_a_user_with_json_logs_and_a_health_check(app: Path):
    steps = dockerfile_instructions(app)
    assert steps["FROM"][0].startswith("python:") and steps["FROM"][0].endswith("-slim")
    assert any("pip install" in run and "lbpy[postgresql,redis]" in run for run in steps["RUN"])
    assert steps["USER"] == ["app"]  # not root
    assert json.loads(steps["CMD"][-1]) == ["lbpy", "start", "--host", "0.0.0.0", "--log-format", "json"]
    assert "/health" in steps["HEALTHCHECK"][0]
    assert "LBPY_ENV=production" in " ".join(steps["ENV"])
    ignored = (app / ".dockerignore").read_text().splitlines()
    assert {".venv/", ".git/", "data/", ".env"} <= set(ignored)


def test_compose_runs_the_migration_once_before_the_app(app: Path):
    compose = yaml.safe_load((app / "compose.yaml").read_text())
    services = compose["services"]
    assert set(services) == {"db", "redis", "migrate", "app"}
    assert services["db"]["image"].startswith("postgres:") and services["redis"]["image"].startswith("redis:")
    assert services["migrate"]["command"] == ["lbpy", "migrate"]
    assert services["migrate"]["depends_on"] == {"db": {"condition": "service_healthy"}}
    assert services["app"]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
    environment = services["app"]["environment"]
    assert environment["DATABASE_URL"].startswith("postgresql://app:${POSTGRES_PASSWORD:?")  # no password in git
    assert environment["REDIS_URL"] == "redis://redis:6379/0"
    assert services["migrate"]["environment"]["DATABASE_URL"] == environment["DATABASE_URL"]


def test_compose_is_valid_for_docker_compose(app: Path):
    docker = shutil.which("docker")
    if docker is None or subprocess.run([docker, "compose", "version"], capture_output=True).returncode != 0:
        pytest.skip("docker compose is not installed")
    done = subprocess.run(
        [docker, "compose", "config", "--quiet"],
        cwd=app,
        capture_output=True,
        text=True,
        env={**os.environ, "POSTGRES_PASSWORD": "test"},
        timeout=60,
    )
    assert done.returncode == 0, done.stderr


def test_the_production_settings_migrate_and_serve_postgresql_from_the_environment(app: Path, tmp_path: Path):
    require("postgresql")
    database = f"lbpy_deploy_{os.getpid()}_{int(time.time()) % 10**6}"
    execute(POSTGRESQL_URL, f'CREATE DATABASE "{database}"')
    try:
        env = clean_env(LBPY_ENV="production", DATABASE_URL=POSTGRESQL_URL.rsplit("/", 1)[0] + "/" + database)
        copy = Path(shutil.copytree(app, tmp_path / "shop"))
        done = subprocess.run(
            [*LBPY, "migrate", "--app", str(copy)], capture_output=True, text=True, env=env, timeout=60
        )
        assert done.returncode == 0, done.stderr
        with lbpy_start(copy, "--port", "0", env=env) as server:
            assert httpx.post(server.url + "/api/Notes", json={"title": "in PostgreSQL"}, timeout=10).status_code == 200
        rows = execute(env["DATABASE_URL"], 'SELECT title FROM "note"')
        assert [tuple(row) for row in rows[0]] == [("in PostgreSQL",)]
        assert not (copy / "data").exists()  # nothing went to SQLite
        without = subprocess.run(
            [*LBPY, "start", "--app", str(copy), "--port", "0"],
            capture_output=True,
            text=True,
            env=clean_env(LBPY_ENV="production"),
            timeout=30,
        )
        assert without.returncode == 1 and "DATABASE_URL" in without.stderr
    finally:
        execute(POSTGRESQL_URL, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')

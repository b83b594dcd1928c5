"""Datasource settings: URLs or LoopBack's parts, secrets from the environment, clear errors."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from conftest import write_app
from typer.testing import CliRunner

from lbpy import BootError, create_app
from lbpy._cli import app as cli


def _boot(tmp_path: Path, settings: dict):
    root = write_app(
        tmp_path / "app", {"Note": {"properties": {"title": "string"}}}, datasources={"db": {"name": "db", **settings}}
    )
    return create_app(root)


def _url(app) -> str:
    return app.datasources["db"].connector.config.url.render_as_string(hide_password=False)


def test_parts_make_a_url_with_the_default_async_driver(tmp_path):
    app = _boot(
        tmp_path,
        {
            "connector": "postgresql",
            "host": "db.example",
            "port": "6543",
            "database": "shop",
            "user": "app",
            "password": "s3cret",
        },
    )
    assert _url(app) == "postgresql+asyncpg://app:s3cret@db.example:6543/shop"
    app = _boot(tmp_path, {"connector": "mariadb", "database": "shop", "username": "root"})
    assert _url(app) == "mysql+asyncmy://root@localhost:3306/shop?charset=utf8mb4"


def test_urls_in_the_forms_people_paste(tmp_path):
    assert (
        _url(_boot(tmp_path, {"connector": "postgresql", "url": "postgres://u:p@h/d"}))
        == "postgresql+asyncpg://u:p@h/d"
    )
    assert (
        _url(_boot(tmp_path, {"connector": "mysql", "url": "mariadb://u@h:3307/d"}))
        == "mysql+asyncmy://u@h:3307/d?charset=utf8mb4"
    )
    assert (
        _url(_boot(tmp_path, {"connector": "postgresql", "url": "postgresql+asyncpg://u@h/d"}))
        == "postgresql+asyncpg://u@h/d"
    )


def test_the_url_decides_the_database(tmp_path):
    """A datasource written for SQLite can be pointed at PostgreSQL in production by its URL."""
    app = _boot(tmp_path, {"connector": "sqlite", "url": "postgresql://u@h/d"})
    assert app.datasources["db"].connector.backend == "postgresql"


def test_url_and_password_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("SHOP_DATABASE_URL", "postgresql://app@db.internal/shop")
    monkeypatch.setenv("SHOP_DB_PASSWORD", "from-env")
    app = _boot(tmp_path, {"connector": "postgresql", "urlEnv": "SHOP_DATABASE_URL", "passwordEnv": "SHOP_DB_PASSWORD"})
    assert _url(app) == "postgresql+asyncpg://app:from-env@db.internal/shop"
    assert "from-env" not in repr(app.datasources["db"].connector)


def test_a_missing_environment_variable_names_itself(tmp_path, monkeypatch):
    monkeypatch.delenv("NOT_SET_ANYWHERE", raising=False)
    with pytest.raises(BootError, match="NOT_SET_ANYWHERE, which is not set"):
        _boot(tmp_path, {"connector": "postgresql", "urlEnv": "NOT_SET_ANYWHERE"})
    with pytest.raises(BootError, match="password comes from the environment variable NOT_SET_ANYWHERE"):
        _boot(tmp_path, {"connector": "postgresql", "database": "d", "passwordEnv": "NOT_SET_ANYWHERE"})


@pytest.mark.parametrize(
    "settings,fragment",
    [
        ({"connector": "postgresql"}, 'set "database"'),
        ({"connector": "postgresql", "url": "not a url"}, '"url" is not a database URL'),
        ({"connector": "postgresql", "url": "oracle://u@h/d"}, 'names the database "oracle"'),
        ({"connector": "postgresql", "database": "d", "port": "five"}, '"port" must be a number'),
        ({"connector": "postgresql", "database": "d", "poolSize": 0}, '"poolSize" must be 1 or more'),
        ({"connector": "postgresql", "url": "postgresql+nosuchdriver://u@h/d"}, 'no driver "nosuchdriver"'),
        ({"connector": "postgresql", "url": "postgresql+pg8000://u@h/d"}, "install the pg8000 package"),
    ],
)
def test_settings_that_cannot_work_stop_the_boot_with_the_fix(tmp_path, settings, fragment):
    with pytest.raises(BootError) as caught:
        _boot(tmp_path, settings)
    message = str(caught.value)
    assert fragment in message
    assert message.startswith('server/datasources.json: datasource "db"')


@pytest.mark.parametrize(
    "connector,module,extra",
    [
        ("postgresql", "asyncpg", "postgresql"),
        ("mysql", "asyncmy", "mysql"),
    ],
)
def test_a_missing_driver_names_the_extra_to_install(tmp_path, monkeypatch, connector, module, extra):
    monkeypatch.setitem(sys.modules, module, None)  # import fails, as when it is not installed
    with pytest.raises(BootError) as caught:
        _boot(tmp_path, {"connector": connector, "database": "d"})
    assert f"pip install 'lbpy[{extra}]'" in str(caught.value)
    assert f'"{module}"' in str(caught.value)


def test_lbpy_start_with_a_missing_driver_exits_with_the_fix(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "asyncpg", None)
    root = write_app(
        tmp_path / "app",
        {"Note": {"properties": {"title": "string"}}},
        datasources={"db": {"name": "db", "connector": "postgresql", "database": "d"}},
    )
    result = CliRunner().invoke(cli, ["start", "--app", str(root), "--port", "0"])
    assert result.exit_code == 1
    assert "pip install 'lbpy[postgresql]'" in result.output
    assert "Traceback" not in result.output


def test_sqlite_keeps_its_file_under_the_app_folder(tmp_path):
    from starlette.testclient import TestClient

    root = write_app(
        tmp_path / "app",
        {"Note": {"properties": {"title": "string"}}},
        datasources={"db": {"name": "db", "connector": "sqlite", "autoupdate": True}},
    )
    with TestClient(create_app(root)) as client:
        assert client.post("/api/Notes", json={"title": "kept"}).status_code == 200
    assert (root / "data" / "db.sqlite3").is_file()
    relative = write_app(
        tmp_path / "other",
        {"Note": {"properties": {"title": "string"}}},
        datasources={"db": {"name": "db", "connector": "sqlite3", "file": "store/notes.db", "autoupdate": True}},
    )
    with TestClient(create_app(relative)) as client:
        client.post("/api/Notes", json={"title": "x"})
    assert (relative / "store" / "notes.db").is_file()
    with TestClient(create_app(root)) as client:  # the data outlives the process that wrote it
        assert client.get("/api/Notes").json() == [{"title": "kept", "id": 1}]


def test_the_cli_does_not_import_sqlalchemy():
    import subprocess

    code = "import sys, lbpy._cli; assert 'sqlalchemy' not in sys.modules, 'sqlalchemy loaded'"
    subprocess.run([sys.executable, "-c", code], check=True)


def _config(tmp_path: Path, settings: dict):
    return _boot(tmp_path, settings).datasources["db"].connector.config


def test_pool_settings_in_loopbacks_names_and_lbpys_pool_object(tmp_path):
    pg = _config(
        tmp_path, {"connector": "postgresql", "database": "d", "max": 25, "min": 5, "idleTimeoutMillis": 30000}
    )
    assert (pg.pool_max, pg.pool_min, pg.idle_timeout) == (25, 5, 30.0)
    mysql = _config(tmp_path, {"connector": "mysql", "database": "d", "connectionLimit": 7})
    assert mysql.pool_max == 7
    own = _config(
        tmp_path,
        {
            "connector": "postgresql",
            "database": "d",
            "max": 3,
            "pool": {"max": 40, "min": 2, "idleTimeout": 60, "acquireTimeout": 2},
        },
    )
    assert (own.pool_max, own.pool_min, own.idle_timeout, own.pool_timeout) == (40, 2, 60, 2)
    default = _config(tmp_path, {"connector": "postgresql", "database": "d"})
    assert (default.pool_max, default.max_overflow) == (10, 0)  # a fixed pool: nothing opened per request


@pytest.mark.parametrize(
    "settings,fragment",
    [
        ({"pool": {"size": 3}}, '"pool" has no setting "size"'),
        ({"pool": 5}, '"pool" must be an object'),
        ({"max": 2, "min": 3}, "must not be above"),
        ({"idleTimeoutMillis": "soon"}, '"idleTimeoutMillis" must be a number of milliseconds'),
        ({"sslmode": "sometimes"}, '"sslmode" must be one of disable, allow, prefer'),
        ({"ssl": {"ca": "/no/such/ca.pem"}}, '"ssl.ca" must be the path of a PEM file'),
    ],
)
def test_pool_and_tls_mistakes_stop_the_boot(tmp_path, settings, fragment):
    with pytest.raises(BootError, match=fragment.replace("(", r"\(")):
        _boot(tmp_path, {"connector": "postgresql", "database": "d", **settings})


def test_tls_only_when_asked_or_when_postgresql_is_elsewhere(tmp_path):
    def mode(**settings):
        return _config(tmp_path, settings).tls.mode

    assert mode(connector="postgresql", host="localhost", database="d") == "disable"
    assert mode(connector="postgresql", url="postgresql://u@127.0.0.1/d") == "disable"
    assert mode(connector="postgresql", host="db.example", database="d") == "prefer"  # as libpq
    assert mode(connector="mysql", host="db.example", database="d") == "disable"
    assert mode(connector="postgresql", host="db.example", database="d", ssl=True) == "verify-full"
    assert mode(connector="postgresql", host="db.example", database="d", ssl={"rejectUnauthorized": False}) == "require"
    assert mode(connector="postgresql", host="db.example", database="d", ssl=False) == "disable"
    assert mode(connector="mysql", host="db.example", database="d", sslmode="REQUIRED") == "require"
    config = _config(tmp_path, {"connector": "postgresql", "url": "postgresql://u@db.example/d?sslmode=verify-full"})
    assert config.tls.mode == "verify-full" and "sslmode" not in config.url.query

"""A datasource's settings as an SQLAlchemy URL and engine options.

Settings use LoopBack's names: ``url`` (an SQLAlchemy or libpq-style URL), or ``file`` for SQLite
and ``host``, ``port``, ``database``, ``user``, ``password``, ``schema`` for servers. ``urlEnv`` and
``passwordEnv`` name environment variables that hold the URL or the password, so that no secret
sits in git. The URL decides the database; the connector name only fills in what the URL omits.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..._errors import BootError

#: backend -> the driver lbpy installs with its extra, and the extra's name
DEFAULT_DRIVERS = {
    "sqlite": ("pysqlite", None),
    "postgresql": ("asyncpg", "postgresql"),
    "mysql": ("asyncmy", "mysql"),
}
_BACKEND_NAMES = {
    "sqlite": "sqlite", "sqlite3": "sqlite",
    "postgresql": "postgresql", "postgres": "postgresql", "pgsql": "postgresql",
    "mysql": "mysql", "mariadb": "mysql",
}
_DEFAULT_PORTS = {"postgresql": 5432, "mysql": 3306}


@dataclass
class SqlSettings:
    """What the connector needs from a datasource's settings, checked once at boot."""

    url: Any  # sqlalchemy.engine.URL
    backend: str  # sqlite | postgresql | mysql
    schema: str | None = None
    pool_size: int = 10
    max_overflow: int = 10
    pool_timeout: float = 10.0
    autoupdate: bool = False
    echo: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def is_async(self) -> bool:
        return bool(getattr(self.url.get_dialect(), "is_async", False))

    def shown(self) -> str:
        """The URL without its password, for messages."""
        return self.url.render_as_string(hide_password=True)


def read_settings(name: str, connector: str, settings: dict[str, Any], app_dir: Path | None) -> SqlSettings:
    """Check a datasource's settings; a mistake is a BootError that names the setting."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    where = f'datasource "{name}"'
    backend = _BACKEND_NAMES.get(connector, "sqlite")
    raw_url = settings.get("url")
    url_env = settings.get("urlEnv")
    if url_env:
        if not isinstance(url_env, str):
            raise BootError(f'{where}: "urlEnv" must name an environment variable')
        if os.environ.get(url_env):
            raw_url = os.environ[url_env]
        elif not raw_url:
            raise BootError(
                f'{where}: its URL comes from the environment variable {url_env}, which is not set; '
                f"set {url_env} (e.g. {url_env}=postgresql://user@host/db)"
            )
    if raw_url:
        if not isinstance(raw_url, str):
            raise BootError(f'{where}: "url" must be a string such as postgresql://user@host/db')
        text = raw_url.strip()
        if text.startswith("postgres://"):  # the scheme Heroku and libpq tools print
            text = "postgresql://" + text[len("postgres://"):]
        try:
            url = make_url(text)
        except ArgumentError:
            raise BootError(
                f'{where}: "url" is not a database URL; write it as '
                "dialect://user:password@host:port/database (e.g. postgresql://app@localhost/app)"
            ) from None
        backend = _BACKEND_NAMES.get(url.get_backend_name())
        if backend is None:
            raise BootError(
                f'{where}: "url" names the database "{url.get_backend_name()}"; lbpy\'s SQL connector '
                "serves sqlite, postgresql and mysql (MariaDB included)"
            )
        if url.get_backend_name() == "mariadb":
            url = url.set(drivername="mysql" + ("+" + url.get_driver_name() if "+" in url.drivername else ""))
        if "+" not in url.drivername:
            url = url.set(drivername=f"{backend}+{DEFAULT_DRIVERS[backend][0]}")
        if backend == "sqlite" and url.database not in (None, "", ":memory:"):
            url = url.set(database=str(_sqlite_path(url.database, app_dir)))
    else:
        url = _url_from_parts(where, backend, name, settings, app_dir)
    password_env = settings.get("passwordEnv")
    if password_env:
        if not isinstance(password_env, str):
            raise BootError(f'{where}: "passwordEnv" must name an environment variable')
        if password_env not in os.environ:
            raise BootError(
                f"{where}: its password comes from the environment variable {password_env}, "
                f"which is not set; set {password_env}"
            )
        url = url.set(password=os.environ[password_env])
    if backend == "mysql" and "charset" not in url.query:
        url = url.update_query_dict({"charset": "utf8mb4"})
    _check_driver(where, backend, url)
    schema = settings.get("schema")
    if schema is not None and (not isinstance(schema, str) or not schema):
        raise BootError(f'{where}: "schema" must be a schema name')
    return SqlSettings(
        url=url,
        backend=backend,
        schema=schema if backend == "postgresql" else None,
        pool_size=_positive(where, settings, ("poolSize", "connectionLimit", "max"), 10),
        max_overflow=_positive(where, settings, ("maxOverflow",), 10, zero=True),
        pool_timeout=float(_positive(where, settings, ("poolTimeout",), 10)),
        autoupdate=bool(settings.get("autoupdate", False)),
        echo=bool(settings.get("debug", False)),
    )


def _url_from_parts(where: str, backend: str, name: str, settings: dict, app_dir: Path | None):
    from sqlalchemy.engine import URL

    driver = f"{backend}+{DEFAULT_DRIVERS[backend][0]}"
    if backend == "sqlite":
        file = settings.get("file", settings.get("database"))
        if file is None:
            file = f"data/{name}.sqlite3"
        if not isinstance(file, str) or not file:
            raise BootError(f'{where}: "file" must be the path of the SQLite database file')
        if file == ":memory:":
            return URL.create(driver, database=":memory:")
        return URL.create(driver, database=str(_sqlite_path(file, app_dir)))
    port = settings.get("port")
    if port not in (None, ""):
        try:
            port = int(port)
        except (TypeError, ValueError):
            raise BootError(f'{where}: "port" must be a number, not {port!r}') from None
    else:
        port = _DEFAULT_PORTS[backend]
    database = settings.get("database", settings.get("db"))
    if not database:
        raise BootError(
            f'{where}: set "database" (the database name) or "url" for the {backend} connector'
        )
    return URL.create(
        driver,
        username=settings.get("user", settings.get("username")) or None,
        password=settings.get("password") or None,
        host=settings.get("host") or "localhost",
        port=port,
        database=str(database),
    )


def _sqlite_path(file: str, app_dir: Path | None) -> Path:
    path = Path(os.path.expanduser(file))
    if not path.is_absolute() and app_dir is not None:
        path = app_dir / path
    return path


def _positive(where: str, settings: dict, names: tuple[str, ...], default: int, zero: bool = False) -> int:
    for key in names:
        if settings.get(key) is not None:
            value = settings[key]
            if isinstance(value, bool) or not isinstance(value, (int, float, str)):
                raise BootError(f'{where}: "{key}" must be a number')
            try:
                number = int(value)
            except ValueError:
                raise BootError(f'{where}: "{key}" must be a number, not {value!r}') from None
            if number < (0 if zero else 1):
                raise BootError(f'{where}: "{key}" must be {"0 or more" if zero else "1 or more"}')
            return number
    return default


def _check_driver(where: str, backend: str, url) -> None:
    """Load the dialect and its driver now, so a missing driver stops the boot with the fix."""
    from sqlalchemy.exc import NoSuchModuleError

    driver = url.get_driver_name()
    extra = DEFAULT_DRIVERS[backend][1]
    install = f"pip install 'lbpy[{extra}]'" if extra and driver == DEFAULT_DRIVERS[backend][0] \
        else f"install the {driver} package"
    try:
        dialect = url.get_dialect()
    except NoSuchModuleError:
        raise BootError(
            f'{where}: SQLAlchemy has no driver "{driver}" for {backend}; use '
            f"{backend}+{DEFAULT_DRIVERS[backend][0]}:// or a driver SQLAlchemy supports"
        ) from None
    try:
        dialect.import_dbapi()
        if getattr(dialect, "is_async", False):
            import greenlet  # noqa: F401  (SQLAlchemy's asyncio support needs it)
    except ImportError as exc:
        missing = getattr(exc, "name", None) or driver
        raise BootError(
            f"{where}: the {backend} connector needs the Python package \"{missing}\", which is "
            f"not installed; {install}"
        ) from None

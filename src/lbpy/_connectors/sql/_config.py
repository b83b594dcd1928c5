"""A datasource's settings as an SQLAlchemy URL, pool sizes and TLS options.

Settings use LoopBack's names: ``url`` (an SQLAlchemy or libpq-style URL), or ``file`` for SQLite
and ``host``, ``port``, ``database``, ``user``, ``password``, ``schema`` for servers. ``urlEnv`` and
``passwordEnv`` name environment variables that hold the URL or the password, so that no secret
sits in git. The URL decides the database; the connector name only fills in what the URL omits.

The pool: LoopBack's ``max``, ``min``, ``idleTimeoutMillis`` (loopback-connector-postgresql) and
``connectionLimit`` (loopback-connector-mysql), lbpy's ``poolSize``/``maxOverflow``/``poolTimeout``,
or a ``pool`` object (``max``, ``min``, ``idleTimeout``, ``acquireTimeout``, ``maxLifetime``; in
seconds), which wins. TLS: ``ssl`` (true, false, or ``{ca, cert, key, rejectUnauthorized}`` as
node-postgres and mysql took it) and ``sslmode`` (libpq's names; in the URL's query too).
"""

from __future__ import annotations

import os
import ssl as _ssl
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..._errors import BootError

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

#: backend -> the driver lbpy installs with its extra, and the extra's name
DEFAULT_DRIVERS = {
    "sqlite": ("pysqlite", None),
    "postgresql": ("asyncpg", "postgresql"),
    "mysql": ("asyncmy", "mysql"),
}
_BACKEND_NAMES = {
    "sqlite": "sqlite",
    "sqlite3": "sqlite",
    "postgresql": "postgresql",
    "postgres": "postgresql",
    "pgsql": "postgresql",
    "mysql": "mysql",
    "mariadb": "mysql",
}
_DEFAULT_PORTS = {"postgresql": 5432, "mysql": 3306}
#: a server's pool: connections a process keeps open and never opens per request
POOL_MAX = 10
POOL_MIN = 1
IDLE_TIMEOUT = 300.0  # seconds an idle connection above ``min`` stays open
MAX_LIFETIME = 3600.0
POOL_TIMEOUT = 10.0  # seconds a request waits for a free connection before a 503
#: libpq's sslmode names (MySQL's ssl-mode names are read as these)
SSL_MODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
_MYSQL_SSL_MODES = {
    "disabled": "disable",
    "preferred": "prefer",
    "required": "require",
    "verify_ca": "verify-ca",
    "verify_identity": "verify-full",
}
_POOL_KEYS = ("max", "min", "idleTimeout", "acquireTimeout", "maxLifetime")
_LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1", "")


@dataclass(frozen=True)
class TlsSettings:
    """How connections to the server are encrypted: ``mode`` is libpq's sslmode."""

    mode: str = "disable"
    ca: str | None = None
    cert: str | None = None
    key: str | None = None

    def context(self) -> _ssl.SSLContext | None:
        """An SSL context for ``require`` and stricter modes (None for plain and ``prefer``)."""
        if self.mode in ("disable", "allow", "prefer") and not (self.ca or self.cert):
            return None
        context = _ssl.create_default_context(cafile=self.ca)
        if self.cert:
            context.load_cert_chain(self.cert, self.key)
        if self.mode in ("allow", "prefer", "require"):
            context.check_hostname = False
            context.verify_mode = _ssl.CERT_NONE
        elif self.mode == "verify-ca":
            context.check_hostname = False
        return context


@dataclass
class SqlSettings:
    """What the connector needs from a datasource's settings, checked once at boot."""

    url: Any  # sqlalchemy.engine.URL
    backend: str  # sqlite | postgresql | mysql
    schema: str | None = None
    pool_max: int = POOL_MAX
    pool_min: int = POOL_MIN
    max_overflow: int = 0
    pool_timeout: float = POOL_TIMEOUT
    idle_timeout: float = IDLE_TIMEOUT
    max_lifetime: float = MAX_LIFETIME
    tls: TlsSettings = field(default_factory=TlsSettings)
    autoupdate: bool = False
    echo: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.is_async = bool(getattr(self.url.get_dialect(), "is_async", False))

    def shown(self) -> str:
        """The URL without its password, for messages."""
        shown: str = self.url.render_as_string(hide_password=True)
        return shown


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
                f"{where}: its URL comes from the environment variable {url_env}, which is not set; "
                f"set {url_env} (e.g. {url_env}=postgresql://user@host/db)"
            )
    if raw_url:
        if not isinstance(raw_url, str):
            raise BootError(f'{where}: "url" must be a string such as postgresql://user@host/db')
        text = raw_url.strip()
        if text.startswith("postgres://"):  # the scheme Heroku and libpq tools print
            text = "postgresql://" + text[len("postgres://") :]
        try:
            url = make_url(text)
        except ArgumentError:
            raise BootError(
                f'{where}: "url" is not a database URL; write it as '
                "dialect://user:password@host:port/database (e.g. postgresql://app@localhost/app)"
            ) from None
        known = _BACKEND_NAMES.get(url.get_backend_name())
        if known is None:
            raise BootError(
                f'{where}: "url" names the database "{url.get_backend_name()}"; lbpy\'s SQL connector '
                "serves sqlite, postgresql and mysql (MariaDB included)"
            )
        backend = known
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
    tls, url = _tls(where, backend, settings, url)
    return SqlSettings(
        url=url,
        backend=backend,
        schema=schema if backend == "postgresql" else None,
        tls=tls,
        autoupdate=bool(settings.get("autoupdate", False)),
        echo=bool(settings.get("debug", False)),
        **_pool(where, settings),
    )


def connect_args(config: SqlSettings) -> dict[str, Any]:
    """The driver's connect arguments: time limits, TLS, and the name the server shows."""
    driver = config.url.get_driver_name()
    tls = config.tls
    if config.backend == "postgresql":
        if driver == "asyncpg":
            context = tls.context()
            mode = context if context is not None else (False if tls.mode == "disable" else tls.mode)
            return {"timeout": 10, "ssl": mode, "server_settings": {"application_name": "lbpy"}}
        if driver.startswith("psycopg") or driver == "pg8000":
            if driver == "pg8000":
                context = tls.context()
                return {"ssl_context": context} if context is not None else {}
            found: dict[str, Any] = {"sslmode": tls.mode, "connect_timeout": 10, "application_name": "lbpy"}
            for name, value in (("sslrootcert", tls.ca), ("sslcert", tls.cert), ("sslkey", tls.key)):
                if value:
                    found[name] = value
            return found
        return {}
    if config.backend == "mysql":
        found = {"connect_timeout": 10} if driver in ("asyncmy", "aiomysql", "pymysql") else {}
        context = tls.context()
        if context is not None:
            found["ssl"] = context
        return found
    return {}


def _pool(where: str, settings: dict[str, Any]) -> dict[str, Any]:
    """The pool's sizes and times: the ``pool`` object, else LoopBack's names, else lbpy's."""
    pool = settings.get("pool")
    if pool is None:
        pool = {}
    if not isinstance(pool, dict):
        raise BootError(f'{where}: "pool" must be an object such as {{"max": 10, "min": 1}}')
    unknown = [k for k in pool if k not in _POOL_KEYS]
    if unknown:
        raise BootError(f'{where}: "pool" has no setting "{unknown[0]}"; it takes {", ".join(_POOL_KEYS)}')
    scoped = {f"pool.{k}": v for k, v in pool.items()}
    top = {**settings, **scoped}
    pool_max = _positive(where, top, ("pool.max", "max", "connectionLimit", "poolSize"), POOL_MAX)
    pool_min = _positive(where, top, ("pool.min", "min"), min(POOL_MIN, pool_max), zero=True)
    if pool_min > pool_max:
        name = "pool.min" if "min" in pool else "min"
        raise BootError(f'{where}: "{name}" ({pool_min}) must not be above the pool\'s max ({pool_max})')
    idle = _seconds(where, top, (("pool.idleTimeout", 1), ("idleTimeoutMillis", 1000)), IDLE_TIMEOUT)
    wait = _seconds(
        where,
        top,
        (("pool.acquireTimeout", 1), ("poolTimeout", 1), ("acquireTimeout", 1000), ("connectionTimeoutMillis", 1000)),
        POOL_TIMEOUT,
    )
    lifetime = _seconds(where, top, (("pool.maxLifetime", 1), ("maxLifetime", 1)), MAX_LIFETIME)
    return {
        "pool_max": pool_max,
        "pool_min": pool_min,
        "max_overflow": _positive(where, settings, ("maxOverflow",), 0, zero=True),
        "pool_timeout": wait or POOL_TIMEOUT,
        "idle_timeout": idle,
        "max_lifetime": lifetime or MAX_LIFETIME,
    }


def _seconds(where: str, settings: dict[str, Any], names: tuple[tuple[str, int], ...], default: float) -> float:
    """A duration under the first of ``names`` that is set, each with its unit (1 s or 1000 ms)."""
    for key, per_second in names:
        if settings.get(key) is not None:
            value = settings[key]
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise BootError(
                    f'{where}: "{key}" must be a number of {"seconds" if per_second == 1 else "milliseconds"}'
                )
            return value / per_second
    return default


def _tls(where: str, backend: str, settings: dict[str, Any], url: URL) -> tuple[TlsSettings, Any]:
    """TLS from ``sslmode``/``ssl`` (settings, else the URL's query). PostgreSQL on another host
    defaults to ``prefer``, as libpq does; a local server, and MySQL, use no TLS unless asked."""
    if backend == "sqlite":
        return TlsSettings(), url
    query = dict(url.query)
    mode = settings.get("sslmode", query.pop("sslmode", query.pop("ssl-mode", None)))
    given = settings.get("ssl", query.pop("ssl", None))
    url = url.set(query=query)
    options: dict[str, Any] = {}
    if isinstance(given, dict):
        unknown = [k for k in given if k not in ("ca", "cert", "key", "rejectUnauthorized")]
        if unknown:
            raise BootError(f'{where}: "ssl" has no setting "{unknown[0]}"; it takes ca, cert, key, rejectUnauthorized')
        for name in ("ca", "cert", "key"):
            if given.get(name) is not None:
                if not isinstance(given[name], str) or not os.path.isfile(os.path.expanduser(given[name])):
                    raise BootError(f'{where}: "ssl.{name}" must be the path of a PEM file, not {given[name]!r}')
                options[name] = os.path.expanduser(given[name])
        verify = given.get("rejectUnauthorized", True)
        default_mode = "verify-full" if verify else "require"
    elif given in (True, "true", "1"):
        default_mode = "verify-full"  # node-postgres and mysql verified the server when ssl was true
    elif given in (False, "false", "0"):
        default_mode = "disable"
    elif given is None:
        local = (url.host or "") in _LOCAL_HOSTS or (url.host or "").startswith("/")
        default_mode = "disable" if local or backend == "mysql" else "prefer"
    else:
        raise BootError(f'{where}: "ssl" must be true, false or an object such as {{"ca": "server-ca.pem"}}')
    if mode is None:
        mode = default_mode
    if not isinstance(mode, str) or _MYSQL_SSL_MODES.get(mode.lower(), mode.lower()) not in SSL_MODES:
        raise BootError(f'{where}: "sslmode" must be one of {", ".join(SSL_MODES)}, not {mode!r}')
    mode = _MYSQL_SSL_MODES.get(mode.lower(), mode.lower())
    if backend == "mysql" and mode in ("allow", "prefer"):
        raise BootError(f'{where}: "sslmode" {mode} is not offered by the MySQL drivers; use disable or require')
    return TlsSettings(mode=mode, **options), url


def _url_from_parts(where: str, backend: str, name: str, settings: dict[str, Any], app_dir: Path | None) -> URL:
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
        raise BootError(f'{where}: set "database" (the database name) or "url" for the {backend} connector')
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


def _positive(where: str, settings: dict[str, Any], names: tuple[str, ...], default: int, zero: bool = False) -> int:
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


def _check_driver(where: str, backend: str, url: URL) -> None:
    """Load the dialect and its driver now, so a missing driver stops the boot with the fix."""
    from sqlalchemy.exc import NoSuchModuleError

    driver = url.get_driver_name()
    extra = DEFAULT_DRIVERS[backend][1]
    install = (
        f"pip install 'lbpy[{extra}]'"
        if extra and driver == DEFAULT_DRIVERS[backend][0]
        else f"install the {driver} package"
    )
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
            f'{where}: the {backend} connector needs the Python package "{missing}", which is not installed; {install}'
        ) from None

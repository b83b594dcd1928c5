"""lbpy's SQL connector: ``sqlite``, ``postgresql`` and ``mysql`` (MariaDB too) on SQLAlchemy Core.

Datasource settings::

    {"name": "db", "connector": "sqlite", "file": "data/db.sqlite3"}
    {"name": "db", "connector": "postgresql", "host": "localhost", "database": "app",
     "user": "app", "passwordEnv": "DB_PASSWORD"}
    {"name": "db", "connector": "mysql", "urlEnv": "DATABASE_URL"}

Every filter runs inside the database (see ``_where``); ``automigrate``/``autoupdate`` create the
tables (``lbpy migrate``) and the discovery methods read an existing database.
"""

from __future__ import annotations

from .._base import ConnectorHost
from ._connector import SqlConnector


def initialize(datasource: ConnectorHost) -> None:
    datasource.connector = SqlConnector(
        datasource.settings,
        datasource.models,
        app_dir=datasource.app_dir,
        datasource_name=datasource.name,
        backend=datasource.connector_name,
    )


__all__ = ["SqlConnector", "initialize"]

"""lbpy's connector conformance kit passes on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

from sql_support import datasource_settings, drop_session_databases

from lbpy.testing import ConnectorConformance


def teardown_module() -> None:
    drop_session_databases()


class _SqlConformance(ConnectorConformance):
    backend = "sqlite"

    def datasource_settings(self) -> dict:
        settings = datasource_settings(self.backend, self.tmp_path)  # skips when the server is down
        settings.pop("name")
        return settings


class TestSqliteConformance(_SqlConformance):
    backend = "sqlite"


class TestPostgresqlConformance(_SqlConformance):
    backend = "postgresql"


class TestMysqlConformance(_SqlConformance):
    backend = "mysql"


class _OtherDriver(_SqlConformance):
    """A URL may name another SQLAlchemy driver; a synchronous one runs in worker threads."""

    driver = ""
    module = ""

    def datasource_settings(self) -> dict:
        import importlib.util

        import pytest

        if importlib.util.find_spec(self.module) is None:
            pytest.skip(
                f"{self.module} is not installed (pip install {self.module}); lbpy's own driver is tested above"
            )
        settings = super().datasource_settings()
        settings["url"] = self.driver + settings["url"][settings["url"].index("://") :]
        return settings


class TestPostgresqlPsycopgConformance(_OtherDriver):
    backend = "postgresql"
    driver = "postgresql+psycopg"
    module = "psycopg"


class TestMysqlPymysqlConformance(_OtherDriver):
    backend = "mysql"
    driver = "mysql+pymysql"
    module = "pymysql"

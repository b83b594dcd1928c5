"""Hostile requests on the database servers: values PostgreSQL and MariaDB would refuse never
reach them as a 500, and none is stored that breaks a later read."""

from __future__ import annotations

import pytest
from hostile_input import check_hostile_requests
from sql_support import datasource_settings, sql_session  # noqa: F401


@pytest.mark.parametrize("backend_name", ["postgresql", "mysql"])
def test_no_request_earns_a_500_or_poisons_the_database(tmp_path, backend_name, sql_session):  # noqa: F811
    settings = datasource_settings(backend_name, tmp_path)
    check_hostile_requests(tmp_path / "app", settings)

"""Hostile requests on the database servers: values PostgreSQL and MariaDB would refuse never
reach them as a 500, and none is stored that breaks a later read."""

from __future__ import annotations

import json

import pytest
from hostile_input import check_hostile_requests
from sql_support import backend, datasource_settings, sql_session  # noqa: F401


@pytest.mark.parametrize("backend_name", ["postgresql", "mysql"])
def test_no_request_earns_a_500_or_poisons_the_database(tmp_path, backend_name, sql_session):
    settings = datasource_settings(backend_name, tmp_path)
    check_hostile_requests(tmp_path / "app", settings)


@pytest.mark.parametrize("backend_name", ["sqlite", "postgresql", "mysql"])
def test_a_non_strict_models_answers_are_what_was_stored(tmp_path, backend_name, sql_session):
    from conftest import write_app
    from starlette.testclient import TestClient

    from lbpy import create_app

    settings = {**datasource_settings(backend_name, tmp_path), "autoupdate": True}
    root = write_app(
        tmp_path / "app", {"Order": {"properties": {"total": "number"}, "strict": False}}, datasources={"db": settings}
    )
    with TestClient(create_app(root)) as client:
        created = client.post("/api/Orders", json={"total": 1, "extra": "x"}).json()
        assert created == client.get(f"/api/Orders/{created['id']}").json() == {"total": 1, "id": created["id"]}
        patched = client.patch(f"/api/Orders/{created['id']}", json={"total": 2, "extra": "x"}).json()
        assert patched == client.get(f"/api/Orders/{created['id']}").json() == {"total": 2, "id": created["id"]}


def test_pages_beyond_32_bits_answer_empty_not_500(backend, make_client, tmp_path):
    client = make_client(
        {"Note": {"properties": {"title": "string"}}}, datasources={"db": datasource_settings(backend, tmp_path)}
    )
    client.portal.call(client.app.datasources["db"].automigrate)
    client.post("/api/Notes", json={"title": "one"})
    for page in ({"limit": 3_000_000_000}, {"skip": 3_000_000_000}, {"offset": 744479905135, "limit": 1932106071045}):
        response = client.get("/api/Notes", params={"filter": json.dumps(page)})
        assert response.status_code == 200, response.text
        assert response.json() == ([] if set(page) != {"limit"} else [{"title": "one", "id": 1}])

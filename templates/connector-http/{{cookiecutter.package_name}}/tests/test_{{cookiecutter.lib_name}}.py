"""The {{ cookiecutter.name }} connector against the fake API: what the conformance kit does not
look at (paging, credentials, the API's errors), and the package found by its name."""

import httpx
import pytest

import {{ cookiecutter.module_name }}
from fake_api import TOKEN, FakeApi
from lbpy import BootError, DataSource, Filter, HttpError

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend():
    return "asyncio"


def datasource(api, **settings):
    return DataSource("crm", {"connector": {{ cookiecutter.module_name }}, "baseURL": "http://api.test/api",
                              "auth": {"type": "bearer", "token": TOKEN},
                              "transport": httpx.ASGITransport(app=api), **settings})


def test_the_installed_package_is_found_by_its_name():
    """pip install -e . registers the "{{ cookiecutter.name }}" entry point."""
    found = DataSource("crm", {"connector": "{{ cookiecutter.name }}", "baseURL": "http://api.test"})
    assert isinstance(found.connector, {{ cookiecutter.module_name }}.{{ cookiecutter.class_name }})


async def test_a_list_longer_than_a_page_is_read_whole():
    api = FakeApi()
    api.tables["Contacts"] = {str(n): {"id": n, "name": f"c{n}"} for n in range(1, 251)}
    ds = datasource(api)
    rows = await ds.connector.all("Contacts", Filter(), {})
    await ds.disconnect()
    assert [r["id"] for r in rows] == list(range(1, 251))
    assert api.requests == 3  # pages of 100, 100 and 50


async def test_equality_is_sent_to_the_api():
    api = FakeApi()
    api.tables["Contacts"] = {"1": {"id": 1, "name": "ann"}, "2": {"id": 2, "name": "bob"}}
    ds = datasource(api)
    rows = await ds.connector.all("Contacts", Filter(where={"name": {"eq": "bob"}}), {})
    await ds.disconnect()
    assert rows == [{"id": 2, "name": "bob"}]


async def test_refused_credentials_are_a_502_that_does_not_show_them():
    ds = datasource(FakeApi(), auth={"type": "bearer", "token": "wrong-token"})
    with pytest.raises(HttpError) as caught:
        await ds.connector.all("Contacts", Filter(), {})
    await ds.disconnect()
    assert caught.value.status_code == 502
    assert "refused the datasource's credentials (401)" in caught.value.message
    assert "wrong-token" not in caught.value.message


def test_a_missing_base_url_is_a_boot_error():
    with pytest.raises(BootError, match="baseURL is required"):
        DataSource("crm", {"connector": {{ cookiecutter.module_name }}})

import os
from typing import Iterator

import pytest
from starlette.testclient import TestClient

# server/*.test.json apply: the tests get a database of their own, never the app's data
os.environ.setdefault("LBPY_ENV", "test")

from server.app import app  # noqa: E402


@pytest.fixture
def client() -> Iterator[TestClient]:
    """A client that talks to the app in-process, as `lbpy start` would serve it."""
    with TestClient(app) as client:
        yield client

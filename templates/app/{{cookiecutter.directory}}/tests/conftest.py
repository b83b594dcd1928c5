from typing import Iterator

import pytest
from starlette.testclient import TestClient

from server.app import app


@pytest.fixture
def client() -> Iterator[TestClient]:
    """A client that talks to the app in-process, as `lbpy start` would serve it."""
    with TestClient(app) as client:
        yield client

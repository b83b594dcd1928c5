"""The app's stop is bounded: a datasource whose connections never finish closing, or a change
listener that loses its cancel and then closes slowly, is left behind after its time (``http.
shutdownTimeout``) and named in the log; the app still finishes its lifespan shutdown."""

from __future__ import annotations

import logging
import time
from pathlib import Path

from conftest import write_app
from starlette.testclient import TestClient

from lbpy import create_app

STALLING = '''
import asyncio

from lbpy import Connector
from lbpy._connectors._change_bus import ChangeBus


class StalledListener(ChangeBus):
    """A listener whose end loses the first cancel (as asyncio.wait_for could before Python
    3.12) and then takes an hour to close its connection."""

    async def _open(self):
        pass

    async def _check(self):
        pass

    async def _send(self, batch):
        pass

    async def _close(self):
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            pass
        await asyncio.sleep(3600)


class Stalling(Connector):
    """Records nowhere; its pool never finishes closing."""

    name = "stalling"

    def all(self, model, filter, options):
        return []

    async def disconnect(self):
        await asyncio.sleep(3600)

    def change_bus(self, channel=None):
        return StalledListener(channel or "changes", "the stalled listener")


def initialize(datasource):
    datasource.connector = Stalling(datasource.settings)
'''


def stalling_app(root: Path, shutdown_ms: int) -> Path:
    write_app(
        root,
        {"Note": {"properties": {"title": "string"}}},
        datasources={"db": {"name": "db", "connector": "stalling"}},
        config={"http": {"shutdownTimeout": shutdown_ms}},
    )
    (root / "connectors").mkdir()
    (root / "connectors" / "stalling.py").write_text(STALLING)
    return root


def test_a_stalled_pool_and_listener_do_not_hold_the_shutdown(tmp_path: Path, caplog):
    app = create_app(stalling_app(tmp_path / "app", shutdown_ms=500))
    with caplog.at_level(logging.WARNING, logger="lbpy"):
        with TestClient(app) as client:
            assert client.get("/api/Notes").json() == []
            began = time.monotonic()
        took = time.monotonic() - began
    # each of the two parts gets 0.5 s, and 2 s more once cancelled at most
    assert took < 6, took
    said = caplog.text
    assert 'datasource "db" did not close within 0.5 s' in said
    assert 'the change relay of datasource "db" did not close within 0.5 s' in said


def test_a_datasource_that_closes_in_time_says_nothing(make_client, caplog):
    with caplog.at_level(logging.WARNING, logger="lbpy"):
        client = make_client({"Note": {"properties": {"title": "string"}}})
        assert client.post("/api/Notes", json={"title": "a"}).status_code == 200
        began = time.monotonic()
        client.__exit__(None, None, None)
    assert time.monotonic() - began < 2
    assert "did not close" not in caplog.text

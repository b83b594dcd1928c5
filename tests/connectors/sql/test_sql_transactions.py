"""Writes are all or nothing, and SQLite's shortcuts never give a wrong or lost answer.

SQLite runs one-row work and cheap reads on the calling thread; a database locked by another
writer, or a read that turns out long, moves to a worker thread instead. These tests force both
and check that the answers are the ones the slow path gives.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time

import pytest
from sql_support import BACKENDS, boot, datasource_settings, portal, require, sql_session  # noqa: F401

LEDGER = {"properties": {"label": {"type": "string"}, "amount": "number"}}


@pytest.fixture(params=BACKENDS)
def ledger(request, tmp_path, portal, sql_session):
    require(request.param)
    models = {
        "Entry": {
            **LEDGER,
            "options": {
                db: {"table": f"entry_{tmp_path.name[-8:].lower().replace('-', '_')}"}
                for db in ("postgresql", "mysql", "sqlite3")
            },
        }
    }
    app = boot(tmp_path / "app", models, datasource_settings(request.param, tmp_path))
    portal.call(app.start)
    portal.call(app.datasources["db"].automigrate)
    yield request.param, app
    portal.call(lambda: app.datasources["db"].connector.migrate(None, drop=True))
    portal.call(app.stop)


def test_an_operation_of_several_statements_is_all_or_nothing(ledger, portal):
    _, app = ledger
    connector = app.datasources["db"].connector
    table = connector.table_map("Entry").table

    def two_inserts_then_a_failure(conn):
        conn.execute(table.insert(), [{"label": "a", "amount": 1}, {"label": "b", "amount": 2}])
        raise RuntimeError("the second half failed")

    with pytest.raises(RuntimeError, match="second half"):
        portal.call(lambda: connector._run(two_inserts_then_a_failure, write=True))
    assert portal.call(app.models["Entry"].count) == 0

    portal.call(
        lambda: connector._run(lambda conn: conn.execute(table.insert(), [{"label": "c", "amount": 3}]), write=True)
    )
    assert portal.call(app.models["Entry"].count) == 1


def test_sqlite_waits_for_another_writer_instead_of_failing(tmp_path):
    from conftest import write_app
    from starlette.testclient import TestClient

    from lbpy import create_app

    database = tmp_path / "shared.sqlite3"
    root = write_app(
        tmp_path / "app",
        {"Entry": LEDGER},
        datasources={"db": {"name": "db", "connector": "sqlite", "file": str(database), "autoupdate": True}},
    )
    with TestClient(create_app(root)) as client:
        assert client.post("/api/Entries", json={"label": "first", "amount": 1}).status_code == 200
        other = sqlite3.connect(database, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        other.execute("INSERT INTO Entry (label, amount) VALUES ('theirs', 5)")
        answers = {}

        def write() -> None:
            answers["create"] = client.post("/api/Entries", json={"label": "mine", "amount": 2})
            answers["patch"] = client.patch("/api/Entries/1", json={"amount": 10})

        writer = threading.Thread(target=write)
        writer.start()
        time.sleep(0.5)
        assert writer.is_alive(), "the write should wait for the lock"
        # reads are not blocked by a writer (write-ahead log)
        assert client.get("/api/Entries/1").json() == {"label": "first", "amount": 1, "id": 1}
        other.execute("COMMIT")
        other.close()
        writer.join(30)
        assert answers["create"].status_code == 200, answers["create"].text
        assert answers["patch"].json()["amount"] == 10
        labels = sorted(e["label"] for e in client.get("/api/Entries").json())
        assert labels == ["first", "mine", "theirs"]


def test_a_long_sqlite_read_moves_off_the_calling_thread_and_answers_the_same(tmp_path, monkeypatch, portal):
    from lbpy._connectors.sql import _engine

    app = boot(tmp_path / "app", {"Entry": LEDGER}, datasource_settings("sqlite", tmp_path))
    portal.call(app.datasources["db"].automigrate)
    connector = app.datasources["db"].connector
    table = connector.table_map("Entry").table
    portal.call(
        lambda: connector._run(
            lambda conn: conn.execute(table.insert(), [{"label": f"e{i}", "amount": i % 97} for i in range(3000)]),
            write=True,
        )
    )
    flt = {"where": {"label": {"regexp": "7$"}, "amount": {"gt": 40}}, "order": "amount DESC", "limit": 5}
    quick = [e.to_dict() for e in portal.call(app.models["Entry"].find, flt)]
    calls = []
    original = connector.engine._execute

    async def counted(*args):
        calls.append(args)
        return await original(*args)

    monkeypatch.setattr(connector.engine, "_execute", counted)
    monkeypatch.setattr(_engine, "INLINE_STEPS", 0)  # every read is "long"
    slow = [e.to_dict() for e in portal.call(app.models["Entry"].find, flt)]
    assert calls, "the read should have moved to a worker thread"
    assert slow == quick and len(quick) == 5
    assert portal.call(app.models["Entry"].count, {"amount": {"gt": 40}}) == sum(1 for i in range(3000) if i % 97 > 40)
    portal.call(app.stop)


def test_filters_over_http_answer_the_same_inline_and_in_worker_threads(tmp_path, monkeypatch):
    from conftest import write_app
    from starlette.testclient import TestClient

    from lbpy import create_app
    from lbpy._connectors.sql import _engine

    root = write_app(
        tmp_path / "app",
        {"Entry": LEDGER},
        datasources={
            "db": {"name": "db", "connector": "sqlite", "file": str(tmp_path / "db.sqlite3"), "autoupdate": True}
        },
    )
    filters = [{"where": {"amount": {"between": [3, 7]}}, "order": "label DESC"}, {"where": {"label": {"like": "1"}}}]
    with TestClient(create_app(root)) as client:
        for i in range(40):
            client.post("/api/Entries", json={"label": f"n{i}", "amount": i % 10})
        inline = [client.get("/api/Entries", params={"filter": json.dumps(f)}).json() for f in filters]
        monkeypatch.setattr(_engine, "INLINE_STEPS", 0)
        threaded = [client.get("/api/Entries", params={"filter": json.dumps(f)}).json() for f in filters]
    assert inline == threaded and all(inline)

"""Change streams across processes: two real ``lbpy start`` processes serving one store, a
change-stream client on the first, every write made through the second.

On PostgreSQL the events travel by LISTEN/NOTIFY (the default); over Redis pub/sub for a shared
SQLite file and for MariaDB. Every server that cannot be reached skips its tests and says why.
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

import httpx
import pytest
from conftest import write_app
from connectors.sql.sql_support import MYSQL_URL, POSTGRESQL_URL, execute, require
from lbpy_process import lbpy_start
from redis_support import REDIS_URL, require_redis

NOTE = {"properties": {"title": "string", "n": "number", "secret": "string"}, "hidden": ["secret"]}


class Events:
    """A change-stream client in a thread: the events it has read so far."""

    def __init__(self, url: str, options: dict | None = None) -> None:
        self.events: list[dict] = []
        self.opened = threading.Event()
        self.error: BaseException | None = None
        params = {"options": json.dumps(options)} if options else None
        self._client = httpx.Client(timeout=httpx.Timeout(10, read=None))
        self._thread = threading.Thread(target=self._read, args=(url, params), daemon=True)
        self._thread.start()
        assert self.opened.wait(20), f"the change stream at {url} did not open"

    def _read(self, url: str, params) -> None:
        try:
            with self._client.stream("GET", url, params=params) as response:
                for line in response.iter_lines():
                    self.opened.set()
                    if line.startswith("data: "):
                        self.events.append(json.loads(line[len("data: ") :]))
        except BaseException as exc:  # the test closed the client, or the server went away
            self.error = exc
            self.opened.set()

    def wait_for(self, count: int, within: float = 60) -> list[dict]:
        """The first ``count`` events, once that many arrived (or all there are, after ``within``)."""
        deadline = time.monotonic() + within
        while len(self.events) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.events[:count]

    def close(self) -> None:
        self._client.close()


def thirty_writes(api: httpx.Client) -> list[tuple]:
    """10 creates, 10 patches, 10 deletes; returns (type, target) of each, in order."""
    made = []
    ids = []
    for i in range(10):
        answer = api.post("/Notes", json={"title": f"note {i}", "n": i, "secret": "not sent"})
        assert answer.status_code == 200, answer.text
        ids.append(answer.json()["id"])
        made.append(("create", ids[-1]))
    for id in ids:
        assert api.patch(f"/Notes/{id}", json={"n": 100 + id}).status_code == 200
        made.append(("update", id))
    for id in ids:
        assert api.delete(f"/Notes/{id}").status_code == 200
        made.append(("remove", id))
    return made


def check_two_processes(root: Path) -> None:
    """A client on process A sees every change made through process B, in order, as B's own
    clients see it; a filtered client only its matches; a record over 8 KB arrives whole."""
    with lbpy_start(root, "--port", "0") as a, lbpy_start(root, "--port", "0") as b:
        on_a = Events(a.url + "/api/Notes/change-stream")
        on_b = Events(b.url + "/api/Notes/change-stream")
        big_on_a = Events(a.url + "/api/Notes/change-stream", {"where": {"n": {"gte": 1000}}})
        api = httpx.Client(base_url=b.url + "/api", timeout=30)
        made = thirty_writes(api)
        seen = on_a.wait_for(30)
        assert [(e["type"], e["target"]) for e in seen] == made  # 30 of 30, in order
        assert seen == on_b.wait_for(30)  # the same JSON a client of B itself received
        assert all("secret" not in e.get("data", {}) for e in seen)

        title = "é" * 3000 + "x" * 6000  # 15 KB of UTF-8: several NOTIFY payloads
        big = api.post("/Notes", json={"title": title, "n": 1000})
        assert big.status_code == 200
        last = on_a.wait_for(31)[-1]
        assert last == {"target": big.json()["id"], "data": big.json(), "type": "create"}
        assert big_on_a.wait_for(1) == [last]  # the where of A's client filtered B's events
        assert len(on_a.events) == 31 and len(on_b.wait_for(31)) == 31  # B never received its own twice
        for client in (on_a, on_b, big_on_a):
            client.close()


@pytest.fixture
def pg_schema():
    require("postgresql")
    schema = f"lbpy_relay_{os.getpid()}_{int(time.time() * 1000) % 10**7}"
    execute(POSTGRESQL_URL, f'CREATE SCHEMA "{schema}"')
    yield schema
    execute(POSTGRESQL_URL, f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def pg_app(root: Path, schema: str) -> Path:
    return write_app(
        root,
        {"Note": NOTE},
        datasources={
            "db": {"name": "db", "connector": "postgresql", "url": POSTGRESQL_URL, "schema": schema, "autoupdate": True}
        },
    )


def test_two_processes_on_postgresql_see_each_others_changes(tmp_path, pg_schema):
    check_two_processes(pg_app(tmp_path / "app", pg_schema))


def test_each_process_listens_on_one_connection_of_its_own(tmp_path, pg_schema):
    root = pg_app(tmp_path / "app", pg_schema)
    with lbpy_start(root, "--port", "0") as a:
        rows = execute(
            POSTGRESQL_URL,
            f"SELECT query FROM pg_stat_activity WHERE application_name = 'lbpy change stream {a.process.pid}'",
        )[0]
        assert rows == [(f'LISTEN "lbpy_changes.{pg_schema}"',)]


@pytest.mark.parametrize("backend", ["sqlite", "mysql"])
def test_two_processes_over_redis_see_each_others_changes(tmp_path, backend):
    require_redis()
    if backend == "sqlite":
        db = {"connector": "sqlite", "file": str(tmp_path / "shared.sqlite3")}
        check_two_processes(
            write_app(
                tmp_path / "app",
                {"Note": NOTE},
                datasources={"db": {"name": "db", **db, "autoupdate": True, "changeStream": {"redis": REDIS_URL}}},
            )
        )
        return
    require("mysql")
    database = f"lbpy_relay_{os.getpid()}_{int(time.time() * 1000) % 10**7}"
    execute(MYSQL_URL, f"CREATE DATABASE `{database}`")
    try:
        url = MYSQL_URL.rsplit("/", 1)[0] + "/" + database
        # the Redis setting in server/config.json holds for every datasource
        check_two_processes(
            write_app(
                tmp_path / "app",
                {"Note": NOTE},
                config={"changeStream": {"redis": REDIS_URL}},
                datasources={"db": {"name": "db", "connector": "mysql", "url": url, "autoupdate": True}},
            )
        )
    finally:
        execute(MYSQL_URL, f"DROP DATABASE IF EXISTS `{database}`")


def test_the_listener_reconnects_when_its_connection_is_killed(tmp_path, pg_schema):
    root = pg_app(tmp_path / "app", pg_schema)
    with lbpy_start(root, "--port", "0") as a, lbpy_start(root, "--port", "0") as b:
        on_a = Events(a.url + "/api/Notes/change-stream")
        api = httpx.Client(base_url=b.url + "/api", timeout=30)
        assert api.post("/Notes", json={"title": "before"}).status_code == 200
        assert on_a.wait_for(1)[0]["data"]["title"] == "before"
        killed = execute(
            POSTGRESQL_URL,
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            f"WHERE application_name = 'lbpy change stream {a.process.pid}'",
        )[0]
        assert killed == [(True,)]
        # what is written while A reconnects may be lost (at most once): write until A hears again
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not any(
            e["data"]["title"] == "after" for e in on_a.events if "data" in e
        ):
            assert api.post("/Notes", json={"title": "after"}).status_code == 200
            time.sleep(0.2)
        assert any(e.get("data", {}).get("title") == "after" for e in on_a.events)
        count = len(on_a.events)
        for i in range(5):  # and once back, nothing is missed
            api.post("/Notes", json={"title": f"later {i}"})
        assert [e["data"]["title"] for e in on_a.wait_for(count + 5)[count:]] == [f"later {i}" for i in range(5)]
        on_a.close()
    log = "".join(a.stderr)
    assert log.count("lost the connection to PostgreSQL") == 1, log
    assert "connected to PostgreSQL at 127.0.0.1:5432/test again" in log, log


def test_a_change_stream_setting_that_cannot_work_stops_the_boot(tmp_path):
    from lbpy import create_app
    from lbpy._errors import BootError

    cases = [
        ({"connector": "memory", "changeStream": {"redis": REDIS_URL}}, "keeps its records in each process"),
        ({"connector": "sqlite", "changeStream": "database"}, 'say "changeStream": {"redis"'),
        ({"connector": "sqlite", "changeStream": {"redis": "http://x"}}, "must be a Redis URL"),
        ({"connector": "sqlite", "changeStream": {"redis": REDIS_URL, "chanel": "x"}}, 'no setting "chanel"'),
        ({"connector": "sqlite", "changeStream": True}, 'must be "local", "database" or'),
    ]
    for i, (settings, message) in enumerate(cases):
        root = write_app(tmp_path / f"app{i}", {"Note": NOTE}, datasources={"db": {"name": "db", **settings}})
        with pytest.raises(BootError, match=message) as caught:
            create_app(root)
        assert str(caught.value).startswith('server/datasources.json: datasource "db": ')

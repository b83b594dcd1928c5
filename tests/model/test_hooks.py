"""Operation hooks: each REST operation fires LoopBack 3.28's hooks, in its order, with its
context fields (recorded from the real app: a boot script logged every hook's ctx for each call).
"""

from __future__ import annotations

import logging
import textwrap

import pytest
from conftest import write_app
from starlette.testclient import TestClient

from lbpy import Context, Model, create_app

NOTE = {"properties": {"title": {"type": "string", "required": True}, "content": "string"}}
FIELDS = ("instance", "data", "where", "query", "is_new_instance", "current_instance", "info")
HOOKS = ("access", "before save", "after save", "before delete", "after delete", "loaded", "persist")


@pytest.fixture
def recorded(tmp_path):
    """A client for an app whose Note logs (hook, fields set on ctx) for every hook."""
    app = create_app(write_app(tmp_path / "app", {"Note": NOTE}))
    Note = app.model("Note")
    log: list[tuple] = []

    for hook in HOOKS:

        def record(ctx: Context, hook=hook) -> None:
            fields = {name: getattr(ctx, name) for name in FIELDS if getattr(ctx, name) is not None}
            log.append((hook, fields))

        Note.observe(hook, record)

    with TestClient(app) as client:
        client.post("/api/Notes", json={"title": "a", "content": "x"})
        log.clear()
        yield client, log


def shapes(log: list[tuple]) -> list[tuple]:
    """Each hook with the names of the ctx fields it had, and is_new_instance's value."""
    return [(hook, tuple(sorted(fields)), fields.get("is_new_instance")) for hook, fields in log]


# (request, LoopBack 3.28's hooks: name, ctx fields, isNewInstance)
CASES = {
    "create": (
        ("POST", "/api/Notes", {"title": "b"}),
        [
            ("before save", ("instance", "is_new_instance"), True),
            ("persist", ("current_instance", "data", "is_new_instance"), True),
            ("loaded", ("data", "is_new_instance"), True),
            ("after save", ("instance", "is_new_instance"), True),
        ],
    ),
    "find": (
        ("GET", "/api/Notes", None),
        [
            ("access", ("query",), None),
            ("loaded", ("data", "is_new_instance"), False),
        ],
    ),
    "findById": (
        ("GET", "/api/Notes/1", None),
        [
            ("access", ("query",), None),
            ("loaded", ("data", "is_new_instance"), False),
        ],
    ),
    "count": (("GET", "/api/Notes/count", None), [("access", ("query",), None)]),
    "exists": (("GET", "/api/Notes/1/exists", None), [("access", ("query",), None)]),
    "replaceById": (
        ("PUT", "/api/Notes/1", {"title": "b"}),
        [
            ("before save", ("instance", "is_new_instance"), False),
            ("persist", ("current_instance", "data", "is_new_instance", "where"), False),
            ("loaded", ("data", "is_new_instance"), False),
            ("after save", ("instance", "is_new_instance"), False),
        ],
    ),
    "patchAttributes": (
        ("PATCH", "/api/Notes/1", {"content": "y"}),
        [
            ("access", ("query",), None),
            ("loaded", ("data", "is_new_instance"), False),
            ("before save", ("current_instance", "data", "where"), None),
            ("persist", ("current_instance", "data", "is_new_instance", "where"), False),
            ("loaded", ("data", "is_new_instance"), False),
            ("after save", ("instance", "is_new_instance"), False),
        ],
    ),
    "replaceOrCreate existing": (
        ("PUT", "/api/Notes", {"id": 1, "title": "c"}),
        [
            ("before save", ("instance", "is_new_instance"), False),
            ("persist", ("current_instance", "data", "is_new_instance", "where"), False),
            ("loaded", ("data", "is_new_instance"), False),
            ("after save", ("instance", "is_new_instance"), False),
        ],
    ),
    "replaceOrCreate new": (
        ("PUT", "/api/Notes", {"title": "new"}),
        [
            ("before save", ("instance", "is_new_instance"), True),
            ("persist", ("current_instance", "data", "is_new_instance"), True),
            ("loaded", ("data", "is_new_instance"), True),
            ("after save", ("instance", "is_new_instance"), True),
        ],
    ),
    "patchOrCreate existing": (
        ("PATCH", "/api/Notes", {"id": 1, "content": "z"}),
        [
            ("access", ("query",), None),
            ("loaded", ("data", "is_new_instance"), False),
            ("before save", ("current_instance", "data", "where"), None),
            ("persist", ("current_instance", "data", "is_new_instance", "where"), False),
            ("loaded", ("data", "is_new_instance"), False),
            ("after save", ("instance", "is_new_instance"), False),
        ],
    ),
    "patchOrCreate new": (
        ("PATCH", "/api/Notes", {"title": "new"}),
        [
            ("before save", ("instance", "is_new_instance"), True),
            ("persist", ("current_instance", "data", "is_new_instance"), True),
            ("loaded", ("data", "is_new_instance"), True),
            ("after save", ("instance", "is_new_instance"), True),
        ],
    ),
    "upsertWithWhere match": (
        ("POST", '/api/Notes/upsertWithWhere?where={"id":1}', {"title": "u"}),
        [
            ("access", ("query",), None),
            ("before save", ("data", "where"), None),
            ("persist", ("current_instance", "data", "where"), None),
            ("loaded", ("data", "is_new_instance"), False),
            ("after save", ("instance", "is_new_instance"), False),
        ],
    ),
    "upsertWithWhere no match": (
        ("POST", '/api/Notes/upsertWithWhere?where={"title":"zzz"}', {"title": "u"}),
        [
            ("access", ("query",), None),
            ("before save", ("data", "where"), None),
            ("persist", ("current_instance", "data", "where"), None),
            ("loaded", ("data", "is_new_instance"), True),
            ("after save", ("instance", "is_new_instance"), True),
        ],
    ),
    "updateAll": (
        ("POST", '/api/Notes/update?where={"id":1}', {"content": "u"}),
        [
            ("access", ("query",), None),
            ("before save", ("data", "where"), None),
            ("persist", ("data", "where"), None),
            ("after save", ("data", "info", "where"), None),
        ],
    ),
    "deleteById": (
        ("DELETE", "/api/Notes/1", None),
        [
            ("access", ("query",), None),
            ("before delete", ("where",), None),
            ("after delete", ("info", "where"), None),
        ],
    ),
}


@pytest.mark.parametrize("operation", list(CASES))
def test_each_operation_fires_loopbacks_hooks_with_its_context(recorded, operation):
    client, log = recorded
    (verb, url, body), expected = CASES[operation]
    response = client.request(verb, url, json=body)
    assert response.status_code == 200, response.text
    assert shapes(log) == expected


def test_the_context_values_are_loopbacks(recorded):
    client, log = recorded
    client.post('/api/Notes/update?where={"id":1}', json={"content": "u"})
    before = dict(log)["before save"]
    assert before["where"] == {"id": 1}  # as LoopBack wrote it, not lbpy's internal form
    assert before["data"] == {"content": "u"}
    assert dict(log)["after save"]["info"] == {"count": 1}
    log.clear()
    client.patch("/api/Notes/1", json={"content": "y"})
    before = next(fields for hook, fields in log if hook == "before save")
    assert before["where"] == {"id": 1}
    assert before["current_instance"].title == "a"
    log.clear()
    client.get('/api/Notes?filter={"where":{"title":"a"},"limit":3}')
    query = log[0][1]["query"]
    assert query.limit == 3 and query.to_dict()["where"] == {"title": {"eq": "a"}}


def test_one_operation_shares_its_hook_state(tmp_path):
    app = create_app(write_app(tmp_path / "app", {"Note": NOTE}))
    Note = app.model("Note")
    states = []

    @Note.observe("before save")
    def first(ctx):
        ctx.hook_state["seen"] = ctx.hook_state.get("seen", 0) + 1
        states.append(ctx.hook_state)

    @Note.observe("after save")
    def last(ctx):
        states.append(ctx.hook_state)

    with TestClient(app) as client:
        client.post("/api/Notes", json={"title": "a"})
        client.post("/api/Notes", json={"title": "b"})
    assert states[0] is states[1] and states[0] == {"seen": 1}
    assert states[2] is not states[0]  # each operation has its own


# -- what hooks can do -------------------------------------------------------------------------------

CODE = """
from lbpy import ForbiddenError

def customize(Note):
    @Note.observe("access")
    def hide_secrets(ctx):
        query = ctx.query.to_dict()  # LoopBack's JSON shape; lbpy reads back what the hook leaves
        hidden = {"title": {"neq": "secret"}}
        query["where"] = {"and": [query["where"], hidden]} if "where" in query else hidden
        ctx.query = query

    @Note.observe("before save")
    async def shout(ctx):
        record = ctx.instance if ctx.instance is not None else ctx.data
        if record.get("title") == "forbidden":
            raise ForbiddenError("not this title")
        if record.get("title") == "crash":
            raise RuntimeError("hook crashed")
        if record.get("content") == "shout":
            record["content"] = "SHOUT"

    @Note.observe("loaded")
    def decorate(ctx):
        if ctx.data.get("content") == "SHOUT":
            ctx.data = {**ctx.data, "content": "SHOUT!"}

    @Note.observe("before delete")
    def keep(ctx):
        raise ForbiddenError("notes stay")
"""


@pytest.fixture
def hooked(tmp_path):
    root = write_app(tmp_path / "app", {"Note": NOTE})
    (root / "common" / "models" / "note.py").write_text(CODE)
    with TestClient(create_app(root), raise_server_exceptions=False) as client:
        client.post("/api/Notes", json={"title": "first"})
        yield client


def test_a_before_save_hook_changes_what_is_stored(hooked):
    created = hooked.post("/api/Notes", json={"title": "x", "content": "shout"}).json()
    assert created["content"] == "SHOUT!"  # before save upper-cased it, loaded added the "!"
    patched = hooked.patch(f"/api/Notes/{created['id']}", json={"content": "shout"}).json()
    assert patched["content"] == "SHOUT!"


def test_an_access_hook_narrows_every_query(hooked):
    hooked.post("/api/Notes", json={"title": "secret"})
    assert [n["title"] for n in hooked.get("/api/Notes").json()] == ["first"]
    assert hooked.get("/api/Notes/count").json() == {"count": 1}
    assert hooked.get("/api/Notes/2").status_code == 404


def test_an_http_error_in_a_hook_keeps_its_status_and_aborts(hooked):
    answer = hooked.post("/api/Notes", json={"title": "forbidden"})
    assert answer.status_code == 403
    assert answer.json()["error"]["message"] == "not this title"
    assert hooked.get("/api/Notes/count").json() == {"count": 1}  # nothing stored
    refused = hooked.delete("/api/Notes/1")
    assert refused.status_code == 403
    assert hooked.get("/api/Notes/1").status_code == 200


def test_any_other_exception_in_a_hook_is_a_500_with_the_detail_in_the_log(hooked, caplog):
    with caplog.at_level(logging.ERROR, logger="lbpy"):
        answer = hooked.patch("/api/Notes/1", json={"title": "crash"})
    assert answer.status_code == 500
    assert answer.json() == {"error": {"statusCode": 500, "message": "Internal Server Error"}}
    assert "hook crashed" in caplog.text
    assert hooked.get("/api/Notes/1").json()["title"] == "first"


def test_a_hook_that_stores_an_invalid_value_is_refused(tmp_path):
    app = create_app(write_app(tmp_path / "app", {"Note": NOTE}))
    Note = app.model("Note")

    @Note.observe("before save")
    def blank(ctx):
        ctx.instance["title"] = None

    with TestClient(app, raise_server_exceptions=False) as client:
        answer = client.post("/api/Notes", json={"title": "x"})
        assert answer.status_code == 422
        assert answer.json()["error"]["details"]["codes"] == {"title": ["presence"]}


# -- from Python -------------------------------------------------------------------------------------


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.mark.anyio
async def test_instance_destroy_gives_the_hooks_the_instance(tmp_path):
    app = create_app(write_app(tmp_path / "app", {"Note": NOTE}))
    Note = app.model("Note")
    seen = []
    Note.observe("before delete", lambda ctx: seen.append((ctx.where, ctx.instance)))
    note = await Note.create({"title": "a"})
    assert await note.destroy() == {"count": 1}
    assert seen == [({"id": note.id}, note)]


@pytest.mark.anyio
async def test_a_hook_replacing_the_where_of_a_bulk_update(tmp_path):
    app = create_app(write_app(tmp_path / "app", {"Note": NOTE}))
    Note = app.model("Note")
    await Note.create([{"title": "a"}, {"title": "b"}])

    @Note.observe("before save")
    def only_b(ctx):
        if ctx.where is not None and ctx.instance is None:
            ctx.where = {"and": [ctx.where, {"title": "b"}]}

    assert await Note.update_all({}, {"content": "x"}) == {"count": 1}
    assert [n.content for n in await Note.find({"order": "title"})] == [None, "x"]


def test_unknown_hook_names_are_refused():
    class Probe(Model):
        __slots__ = ()

    with pytest.raises(ValueError, match='unknown operation hook "before_save"'):
        Probe.observe("before_save", lambda ctx: None)


def test_hooks_in_a_generated_apps_customisation_run_over_http(tmp_path):
    """The customize() of common/models/<name>.py registers hooks, as LoopBack's model .js did."""
    root = write_app(tmp_path / "app", {"Note": NOTE})
    (root / "common" / "models" / "note.py").write_text(
        textwrap.dedent("""
        from datetime import datetime, timezone

        def customize(Note):
            @Note.observe("before save")
            def stamp(ctx):
                if ctx.instance is not None:
                    ctx.instance["content"] = "stamped"
    """)
    )
    with TestClient(create_app(root)) as client:
        assert client.post("/api/Notes", json={"title": "x"}).json()["content"] == "stamped"

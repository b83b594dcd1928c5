"""``$owner`` is decided from the stored record a call acts on, never from an id a client adds.

LoopBack 3 took the record to check from the path's id, else the body's ``id``, else the query's
``?id=``, for every method: a caller who owned one record could add ``?id=<theirs>`` to a find,
a count or an update and reach every record. lbpy takes the path's id, the body's ``id`` only for
the methods that write the record it names (``PATCH /X``, ``/X/replaceOrCreate``), and a remote
method's own ``id`` argument; ownership is read from the stored record, so a body that names the
caller as owner changes nothing.
"""

from __future__ import annotations

import json

import pytest
from auth_app import login, write_auth_app
from starlette.testclient import TestClient

from lbpy import create_app

WHERE_ANN = json.dumps({"id": 1})


@pytest.fixture
def client(tmp_path):
    with TestClient(create_app(write_auth_app(tmp_path / "app")), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def bob(client):
    """Bob's token, once Bob owns a memo of his own (id 2); Ann owns memo 1."""
    token = login(client, "bob")
    created = client.post("/api/Memos", json={"title": "bob memo", "userId": 2}, headers={"Authorization": token})
    assert created.status_code == 200 and created.json()["id"] == 2
    return {"Authorization": token}


@pytest.mark.parametrize(
    "path",
    [
        "/Memos?id=2",
        "/Memos/count?id=2",
        "/Memos/findOne?id=2&filter=" + json.dumps({"where": {"id": 1}}),
        "/Memos?filter=" + json.dumps({"where": {"id": 2}}) + "&id=2",
    ],
)
def test_an_id_in_the_query_does_not_make_a_reader_the_owner(client, bob, path):
    assert client.get("/api" + path, headers=bob).status_code == 401


def test_an_id_in_the_query_or_body_does_not_make_a_writer_the_owner(client, bob):
    assert client.post(f"/api/Memos/update?id=2&where={WHERE_ANN}", json={"title": "x"}, headers=bob).status_code == 401
    assert (
        client.post(f"/api/Memos/upsertWithWhere?id=2&where={WHERE_ANN}", json={"title": "x"}, headers=bob).status_code
        == 401
    )
    ann = {"Authorization": login(client, "ann")}
    assert client.get("/api/Memos/1", headers=ann).json()["title"] == "ann memo"


def test_ownership_comes_from_the_stored_record(client, bob):
    # naming oneself as the owner in the body does not make a record one's own
    assert client.patch("/api/Memos/1", json={"userId": 2, "title": "x"}, headers=bob).status_code == 401
    assert client.patch("/api/Memos", json={"id": 1, "userId": 2, "title": "x"}, headers=bob).status_code == 401
    assert (
        client.post("/api/Memos/replaceOrCreate", json={"id": 1, "userId": 2, "title": "x"}, headers=bob).status_code
        == 401
    )
    # nor does another id in the body retarget a write on one's own record
    assert client.patch("/api/Memos/2", json={"id": 1, "title": "x"}, headers=bob).status_code == 400
    # the body's id still names the record PATCH /X and replaceOrCreate write, as in LoopBack
    assert client.patch("/api/Memos", json={"id": 2, "title": "mine"}, headers=bob).status_code == 200
    assert (
        client.post(
            "/api/Memos/replaceOrCreate", json={"id": 2, "title": "still mine", "userId": 2}, headers=bob
        ).status_code
        == 200
    )
    ann = {"Authorization": login(client, "ann")}
    assert client.get("/api/Memos/1", headers=ann).json() == {"title": "ann memo", "userId": 1, "id": 1}
    assert client.get("/api/Memos/2", headers=bob).json()["title"] == "still mine"

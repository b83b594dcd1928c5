"""Relation routes and nested routes need the related model's access too.

LoopBack 3 checked only the relation method's name on the parent (``__get__tags`` of Note, a
READ): ``GET /Notes/1/tags`` listed Tags that deny everyone, ``GET /Notes/1/owner`` showed the
owner's account to any reader of the note. lbpy also checks what the route does to the related
model, as if the caller had asked it directly: a list is its ``find`` (or, where that is denied,
each record's ``findById``, so that ``$owner`` of the records decides), a count ``count``, a
create ``create``, one record by id ``findById``, ``patchAttributes`` or ``deleteById`` of that
record; a nested route also checks the middle record's ``findById`` and its own relation method.
"""

from __future__ import annotations

import copy

import pytest
from auth_app import MODELS, login, write_auth_app
from starlette.testclient import TestClient

from lbpy import create_app

OWNER = {"principalType": "ROLE", "principalId": "$owner", "permission": "ALLOW"}


def _models():
    models = copy.deepcopy(MODELS)
    account = models["Account"]
    account["relations"]["notes"]["options"] = {"nestRemoting": True}
    account["relations"]["memos"] = {"type": "hasMany", "model": "Memo", "foreignKey": "userId"}
    account["acls"] += [
        {**OWNER, "property": name}
        for name in (
            "__get__notes__tags",
            "__findById__notes__tags",
            "__get__notes__owner",
            "__get__memos",
            "__count__memos",
            "__findById__memos",
            "__updateById__memos",
            "__create__memos",
        )
    ]
    return models


@pytest.fixture(scope="module")
def served(tmp_path_factory, monkeypatch_module):
    monkeypatch_module.setattr("auth_app.MODELS", _models())
    root = write_auth_app(tmp_path_factory.mktemp("app") / "app")
    with TestClient(create_app(root), raise_server_exceptions=False) as client:
        yield client, {name: {"Authorization": login(client, name)} for name in ("ann", "bob", "cat")}


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


@pytest.mark.parametrize(
    "method,path,body",
    [
        ("GET", "/Notes/1/tags", None),
        ("GET", "/Notes/1/tags/count", None),
        ("GET", "/Notes/1/tags/1", None),
        ("POST", "/Notes/1/tags", {"label": "new"}),
        ("PUT", "/Notes/1/tags/1", {"label": "changed"}),
        ("DELETE", "/Notes/1/tags/1", None),
        ("DELETE", "/Notes/1/tags", None),
        ("GET", "/Accounts/1/notes/1/tags", None),
        ("GET", "/Accounts/1/notes/1/tags/1", None),
    ],
)
def test_a_related_model_that_denies_everyone_stays_closed(served, method, path, body):
    client, tokens = served
    # Ann owns note 1 (and may write it); Cat is an admin of Notes; Tag denies everyone
    for caller in ("ann", "cat"):
        answer = client.request(method, "/api" + path, json=body, headers=tokens[caller])
        assert answer.status_code == 401, (caller, answer.text)
        assert answer.json()["error"]["code"] == "AUTHORIZATION_REQUIRED"


def test_a_belongs_to_route_reads_the_related_record_as_findById_would(served):
    client, tokens = served
    # anyone authenticated reads note 1, but only Ann reads her own account
    assert client.get("/api/Notes/1/owner", headers=tokens["ann"]).json()["email"] == "ann@example.com"
    for caller in ("bob", "cat"):
        assert client.get("/api/Notes/1/owner", headers=tokens[caller]).status_code == 401
        assert client.get('/api/Notes/1?filter={"include": "owner"}', headers=tokens[caller]).status_code == 401
    assert client.get("/api/Accounts/1/notes/1/owner", headers=tokens["ann"]).status_code == 200
    assert client.get("/api/Accounts/1/notes/1/owner", headers=tokens["bob"]).status_code == 401


def test_records_the_caller_owns_are_listed_through_the_owner(served):
    client, tokens = served
    # Memo: only its owner may do anything; a list of Ann's memos is each memo's $owner
    memos = client.get("/api/Accounts/1/memos", headers=tokens["ann"])
    assert memos.status_code == 200 and [m["title"] for m in memos.json()] == ["ann memo"]
    assert client.get("/api/Accounts/1/memos/1", headers=tokens["ann"]).status_code == 200
    assert client.put("/api/Accounts/1/memos/1", json={"title": "renamed"}, headers=tokens["ann"]).status_code == 200
    # a count is Memo's count, which the owner rule does not cover
    assert client.get("/api/Accounts/1/memos/count", headers=tokens["ann"]).status_code == 401
    created = client.post("/api/Accounts/1/memos", json={"title": "second"}, headers=tokens["ann"])
    assert created.status_code == 200 and created.json()["userId"] == 1
    # Bob reads Ann's list route nowhere, and his own list holds only his
    assert client.get("/api/Accounts/1/memos", headers=tokens["bob"]).status_code == 401
    assert client.get("/api/Accounts/2/memos", headers=tokens["bob"]).json() == []


def test_related_models_that_allow_it_answer_as_before(served):
    client, tokens = served
    notes = client.get("/api/Accounts/1/notes", headers=tokens["ann"])
    assert notes.status_code == 200 and {n["title"] for n in notes.json()} >= {"ann note"}
    assert client.get("/api/Accounts/1/notes", headers=tokens["bob"]).status_code == 401

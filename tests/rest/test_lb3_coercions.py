"""Batch creates and the coercions of a create's values, as LoopBack 3.28 answers them.

Each case was sent to a LoopBack 3.28 app (loopback@3, loopback-boot@3, a memory datasource) with
the same model definitions; its status and the values it stored are recorded here. Where
LoopBack answered a batch with one invalid item 500 "Failed with multiple errors", lbpy answers
the 422 of a validation error, and creates nothing.
"""

from __future__ import annotations

import json

import pytest

MODELS = {
    "Customer": {
        "properties": {
            "name": {"type": "string", "required": True},
            "createdAt": "date",
            "born": "date",
            "tags": ["string"],
        }
    },
    "Order": {"properties": {"total": {"type": "number", "required": True}}},
    "Note": {"properties": {"title": {"type": "string", "required": True}, "content": "string"}},
    "Tag": {"properties": {"label": "string"}},
}

#: (path, body, LoopBack 3.28's status, the values it stored (those named) or None)
LOOPBACK3_ANSWERS = [
    # batches: a null item is read as {} (so it fails a required property); other items are a 400
    ("/api/Orders", "[null,null]", 500, None),  # lbpy: 422, the batch's validation error
    ("/api/Orders", '[{"total":1},null]', 500, None),  # lbpy: 422
    ("/api/Orders", "[]", 200, None),
    ("/api/Orders", '[{"total":1},{"total":2}]', 200, None),
    ("/api/Orders", "[1,2]", 400, None),
    ("/api/Orders", '[["a"]]', 400, None),
    ("/api/Tags", "[null,null]", 200, None),  # nothing is required: two empty instances
    # a string property stores the text of a number or a boolean
    ("/api/Notes", '{"title":"0","content":false}', 200, {"title": "0", "content": "false"}),
    ("/api/Notes", '{"title":0,"content":true}', 200, {"title": "0", "content": "true"}),
    ("/api/Notes", '{"title":"t","content":12.5}', 200, {"content": "12.5"}),
    # a date: a number is milliseconds since 1970; an empty or unreadable string is a 422
    ("/api/Customers", '{"name":"p","createdAt":0}', 200, {"createdAt": "1970-01-01T00:00:00.000Z"}),
    ("/api/Customers", '{"name":"p","createdAt":1700000000000}', 200, {"createdAt": "2023-11-14T22:13:20.000Z"}),
    ("/api/Customers", '{"name":"p","createdAt":null}', 200, {"createdAt": None}),
    ("/api/Customers", '{"name":"p","createdAt":""}', 422, None),
    ("/api/Customers", '{"name":"p","born":""}', 422, None),
    ("/api/Customers", '{"name":"p","createdAt":"abc"}', 422, None),
    ("/api/Customers", '{"name":"p","createdAt":{}}', 422, None),
    ("/api/Customers", '{"name":"p","createdAt":[]}', 422, None),
    # an array of strings stores the text of each number or boolean
    ("/api/Customers", '{"name":"p","tags":[false]}', 200, {"tags": ["false"]}),
    ("/api/Customers", '{"name":"p","tags":[1, 2.5]}', 200, {"tags": ["1", "2.5"]}),
]


@pytest.mark.parametrize(("path", "body", "status", "stored"), LOOPBACK3_ANSWERS)
def test_a_create_answers_as_loopback3(make_client, path, body, status, stored):
    client = make_client(MODELS)
    answer = client.post(path, content=body, headers={"content-type": "application/json"})
    expected = 422 if status == 500 else status
    assert answer.status_code == expected, answer.text
    if stored is not None:
        created = answer.json()
        assert {key: created.get(key) for key in stored} == stored
        found = client.get(f"{path}/{created['id']}").json()
        assert {key: found.get(key) for key in stored} == stored
    if status >= 400:
        assert client.get(f"{path}/count").json() == {"count": 0}


def test_a_batch_create_is_documented_as_an_object_or_an_array(make_client):
    client = make_client(MODELS)
    document = client.get("/openapi.json").json()
    body = document["paths"]["/Orders"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body == {
        "oneOf": [
            {"$ref": "#/components/schemas/NewOrder"},
            {"type": "array", "items": {"$ref": "#/components/schemas/NewOrder"}},
        ]
    }
    # a null item is {}, which is an instance where the model requires nothing
    tags = document["paths"]["/Tags"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert tags["oneOf"][1]["items"] == {"allOf": [{"$ref": "#/components/schemas/NewTag"}], "nullable": True}
    answer = document["paths"]["/Orders"]["post"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert answer["oneOf"][1] == {"type": "array", "items": {"$ref": "#/components/schemas/Order"}}
    created = client.post("/api/Tags", content=json.dumps([None, {"label": "a"}])).json()
    assert [tag.get("label") for tag in created] == [None, "a"]

"""Property types, coercion of input values, required, strict, hidden, defaults and validateUpsert."""

from __future__ import annotations

import re

import pytest

CUSTOMER = {
    "strict": True,
    "hidden": ["secret"],
    "properties": {
        "name": {"type": "string", "required": True},
        "age": "number",
        "vip": "boolean",
        "born": "date",
        "tags": ["string"],
        "scores": ["number"],
        "address": "object",
        "secret": "string",
        "location": "geopoint",
        "blob": "buffer",
        "extra": "any",
    },
}


@pytest.fixture
def api(make_client):
    return make_client(
        {
            "Customer": CUSTOMER,
            "Note": {"properties": {"title": {"type": "string", "required": True}}},
            "Item": {
                "options": {"validateUpsert": True},
                "properties": {"name": {"type": "string", "required": True}, "qty": "number"},
            },
            "Thing": {"properties": {"name": {"type": "string", "required": True}, "qty": "number"}},
            "Defaults": {
                "properties": {
                    "label": {"type": "string", "default": "x"},
                    "count": {"type": "number", "default": 7},
                    "created": {"type": "date", "defaultFn": "now"},
                    "g": {"type": "string", "defaultFn": "guid"},
                    "u4": {"type": "string", "defaultFn": "uuidv4"},
                }
            },
        }
    )


def create(api, **data):
    return api.post("/api/Customers", json={"name": "c", **data})


@pytest.mark.parametrize(
    "given,stored",
    [
        ({"age": "12"}, 12),
        ({"age": "12.5"}, 12.5),
        ({"age": 12.0}, 12),
        ({"age": " 12 "}, 12),
        ({"age": "1e3"}, 1000),
        ({"age": ""}, None),
        ({"age": None}, None),
    ],
)
def test_numbers_are_coerced(api, given, stored):
    response = create(api, **given)
    assert response.status_code == 200, response.text
    assert response.json()["age"] == stored


@pytest.mark.parametrize("value", ["abc", "0x10", True, {"a": 1}, [1], "Infinity"])
def test_a_value_that_is_not_a_number_is_422_not_stored(api, value):
    response = create(api, age=value)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["details"]["codes"] == {"age": ["number"]}
    assert error["details"]["messages"] == {"age": ["is not a number"]}
    assert api.get("/api/Customers/count").json() == {"count": 0}


@pytest.mark.parametrize(
    "given,stored",
    [
        ("true", True),
        ("1", True),
        ("yes", True),
        (1, True),
        (True, True),
        ("false", False),
        ("0", False),
        (0, False),
        ("", None),
    ],
)
def test_booleans_are_coerced(api, given, stored):
    assert create(api, vip=given).json()["vip"] is stored


@pytest.mark.parametrize("value", ["maybe", 2, [True], {}])
def test_a_value_that_is_not_a_boolean_is_422(api, value):
    assert create(api, vip=value).json()["error"]["details"]["codes"] == {"vip": ["boolean"]}


@pytest.mark.parametrize(
    "given,stored",
    [
        ("2020-01-01", "2020-01-01T00:00:00.000Z"),
        ("2020-01-01T12:34:56.789+05:30", "2020-01-01T07:04:56.789Z"),
        ("2020-06-15T10:00:00", "2020-06-15T10:00:00.000Z"),
        ("2020-01-01T00:00:00.123456Z", "2020-01-01T00:00:00.123Z"),
        ("2020", "2020-01-01T00:00:00.000Z"),
        (1577836800000, "2020-01-01T00:00:00.000Z"),
        (-1, "1969-12-31T23:59:59.999Z"),
    ],
)
def test_dates_are_read_and_answered_as_loopback_does(api, given, stored):
    response = create(api, born=given)
    assert response.json()["born"] == stored
    assert api.get(f"/api/Customers/{response.json()['id']}").json()["born"] == stored


@pytest.mark.parametrize("value", ["not a date", "2020-13-01", "2020-02-30", "1577836800000", True])
def test_an_invalid_date_is_422_with_code_date(api, value):
    response = create(api, born=value)
    assert response.status_code == 422
    assert response.json()["error"]["details"]["codes"] == {"born": ["date"]}


def test_strings_take_numbers_and_booleans_but_not_objects(api):
    assert create(api, name=5).json()["name"] == "5"
    assert create(api, name=True).json()["name"] == "true"
    assert create(api, name={"a": 1}).json()["error"]["details"]["codes"] == {"name": ["string"]}


def test_arrays_coerce_their_items(api):
    assert create(api, tags=[1, 2]).json()["tags"] == ["1", "2"]
    assert create(api, scores=["1", 2.5]).json()["scores"] == [1, 2.5]
    assert create(api, tags="a").status_code == 422
    assert create(api, scores=["x"]).json()["error"]["details"]["codes"] == {"scores": ["number"]}


def test_objects_any_and_geopoints(api):
    assert create(api, address={"city": "Paris"}).json()["address"] == {"city": "Paris"}
    assert create(api, address="str").status_code == 422
    assert create(api, extra=[1, "a", None]).json()["extra"] == [1, "a", None]
    for point in [{"lat": 1, "lng": 2}, "1,2", [1, 2], {"lat": "1", "lng": "2"}]:
        assert create(api, location=point).json()["location"] == {"lat": 1, "lng": 2}
    for bad in [{"lat": 91, "lng": 0}, {"lat": 0, "lng": 181}, "abc", 5, {"latitude": 1, "longitude": 2}]:
        assert create(api, location=bad).json()["error"]["details"]["codes"] == {"location": ["geopoint"]}


def test_buffers_take_base64_and_answer_as_loopback(api):
    body = create(api, blob="aGk=").json()
    assert body["blob"] == {"type": "Buffer", "data": [104, 105]}
    assert create(api, blob={"type": "Buffer", "data": [1, 2]}).json()["blob"] == {"type": "Buffer", "data": [1, 2]}


@pytest.mark.parametrize("title", [None, "", "__missing__"])
def test_required_properties(api, title):
    body = {} if title == "__missing__" else {"title": title}
    response = api.post("/api/Notes", json=body)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["name"] == "ValidationError"
    assert error["details"] == {
        "context": "Note",
        "codes": {"title": ["presence"]},
        "messages": {"title": ["can't be blank"]},
    }


def test_whitespace_is_not_blank(api):
    assert api.post("/api/Notes", json={"title": "   "}).status_code == 200


def test_strict_refuses_unknown_properties_after_the_other_errors(api):
    response = api.post("/api/Customers", json={"bogus": 1, "age": "x"})
    error = response.json()["error"]
    assert list(error["details"]["codes"]) == ["name", "age", "bogus"]
    assert error["details"]["codes"]["bogus"] == ["unknown-property"]
    assert error["details"]["messages"]["bogus"] == ["is not defined in the model"]
    assert re.match(
        r"The `Customer` instance is not valid\. Details: `name` can't be blank "
        r"\(value: undefined\); `age` is not a number",
        error["message"],
    )


def test_a_non_strict_model_keeps_unknown_properties_after_the_declared_ones(api):
    response = api.post("/api/Notes", json={"extra": 1, "title": "t"})
    assert list(response.json()) == ["title", "id", "extra"]


def test_hidden_properties_are_stored_but_never_answered(api):
    created = create(api, secret="zz").json()
    assert "secret" not in created
    assert "secret" not in api.get(f"/api/Customers/{created['id']}").json()
    assert "secret" not in api.patch(f"/api/Customers/{created['id']}", json={"secret": "new"}).json()
    assert api.get(f'/api/Customers/{created["id"]}?filter={{"fields":{{"secret":true}}}}').json() == {}


def test_defaults_apply_on_create_and_replace_not_patch(api):
    created = api.post("/api/Defaults", json={}).json()
    assert created["label"] == "x" and created["count"] == 7
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", created["created"])
    assert re.fullmatch(r"[0-9a-f-]{36}", created["g"]) and created["g"] != created["u4"]
    explicit_null = api.post("/api/Defaults", json={"label": None}).json()
    assert explicit_null["label"] is None
    patched = api.patch(f"/api/Defaults/{created['id']}", json={"label": "p"}).json()
    assert patched["count"] == 7 and patched["g"] == created["g"]
    replaced = api.put(f"/api/Defaults/{created['id']}", json={"label": "r"}).json()
    assert replaced["count"] == 7 and replaced["g"] != created["g"]


def test_validate_upsert_decides_whether_a_patch_upsert_may_store_invalid_data(api):
    for plural in ("Items", "Things"):
        api.post(f"/api/{plural}", json={"name": "a", "qty": 1})
    assert api.patch("/api/Items", json={"id": 1, "name": ""}).status_code == 422
    assert api.get("/api/Items/1").json()["name"] == "a"
    # LoopBack 3 stores it when validateUpsert is unset (and logs the errors)
    assert api.patch("/api/Things", json={"id": 1, "name": ""}).status_code == 200
    # whatever validateUpsert says, a value of the wrong type is never stored
    assert api.patch("/api/Things", json={"id": 1, "qty": "abc"}).status_code == 422
    for plural in ("Items", "Things"):
        assert api.put(f"/api/{plural}", json={"id": 1, "qty": 2}).status_code == 422
        assert api.patch(f"/api/{plural}/1", json={"name": ""}).status_code == 422
        assert api.put(f"/api/{plural}/1", json={"qty": 3}).status_code == 422


def test_patch_validates_what_it_changes(api):
    created = create(api).json()
    assert api.patch(f"/api/Customers/{created['id']}", json={"name": ""}).status_code == 422
    assert api.patch(f"/api/Customers/{created['id']}", json={"bogus": 1}).status_code == 422
    assert api.patch(f"/api/Customers/{created['id']}", json={"age": "abc"}).status_code == 422
    assert api.get(f"/api/Customers/{created['id']}").json()["name"] == "c"


def test_update_all_coerces_and_refuses_bad_values(api):
    create(api, age=1)
    assert api.post("/api/Customers/update?where={}", json={"age": "26"}).json() == {"count": 1}
    assert api.get("/api/Customers/1").json()["age"] == 26
    assert api.post("/api/Customers/update?where={}", json={"age": "x"}).status_code == 422

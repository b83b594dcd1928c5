"""The filter language over HTTP, on the data set LoopBack 3's own answers were recorded with."""

from __future__ import annotations

import json
from urllib.parse import quote

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
        "address": "object",
        "secret": "string",
        "location": "geopoint",
    },
}

ROWS = [
    {
        "name": "Alice",
        "age": 30,
        "vip": True,
        "born": "1990-05-01",
        "tags": ["a", "b"],
        "address": {"city": "Paris", "zip": "75001"},
        "location": {"lat": 48.85, "lng": 2.35},
        "secret": "s1",
    },
    {
        "name": "bob",
        "age": 25,
        "vip": False,
        "born": "1995-01-15",
        "tags": ["b"],
        "address": {"city": "London"},
        "secret": "s2",
    },
    {"name": "Carol", "age": None, "vip": True, "tags": [], "address": {"city": "paris"}, "secret": "s3"},
    {"name": "dave", "born": "2000-12-31T23:59:59Z", "tags": ["a"], "secret": "s4"},
    {"name": "Eve_1", "age": 40, "vip": False, "tags": ["c", "a"], "address": {"city": "Berlin"}, "secret": "s5"},
    {"name": "a.c%d", "age": 35, "address": {"city": "Paris"}},
    {"name": "Álvaro", "age": 30},
]


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    from conftest import write_app
    from starlette.testclient import TestClient

    from lbpy import create_app

    root = write_app(tmp_path_factory.mktemp("filters"), {"Customer": CUSTOMER})
    with TestClient(create_app(root)) as client:
        for row in ROWS:
            assert client.post("/api/Customers", json=row).status_code == 200
        yield client


def find(api, flt) -> list[int]:
    response = api.get("/api/Customers?filter=" + quote(json.dumps(flt)))
    assert response.status_code == 200, response.text
    return [row["id"] for row in response.json()]


def where(api, clause) -> list[int]:
    return find(api, {"where": clause})


def bracket(api, query: str) -> list[int]:
    response = api.get("/api/Customers?" + query)
    assert response.status_code == 200, response.text
    return [row["id"] for row in response.json()]


@pytest.mark.parametrize(
    "clause,expected",
    [
        ({"age": 30}, [1, 7]),
        ({"age": {"eq": 30}}, [1, 7]),
        ({"age": "30"}, [1, 7]),
        ({"age": "30.0"}, [1, 7]),
        ({"name": "alice"}, []),
        ({"vip": True}, [1, 3]),
        ({"vip": "true"}, [1, 3]),
        ({"born": "1990-05-01"}, [1]),
        ({"age": {"neq": 30}}, [2, 3, 4, 5, 6]),
        ({"age": {"gt": 30}}, [5, 6]),
        ({"age": {"gte": 30}}, [1, 5, 6, 7]),
        ({"age": {"lt": 30}}, [2]),
        ({"age": {"lte": 30}}, [1, 2, 7]),
        ({"age": {"gt": "4"}}, [1, 2, 5, 6, 7]),
        ({"name": {"gt": "a"}}, [2, 4, 6, 7]),
        ({"age": {"between": [26, 35]}}, [1, 6, 7]),
        ({"age": {"between": [35, 26]}}, []),
        ({"born": {"between": ["1990-01-01", "1996-01-01"]}}, [1, 2]),
        ({"born": {"gt": 946684800000}}, [4]),
        ({"age": {"inq": [25, "40"]}}, [2, 5]),
        ({"age": {"inq": []}}, []),
        ({"age": {"nin": [30, 25]}}, [3, 4, 5, 6]),
        ({"age": {"nin": []}}, [1, 2, 3, 4, 5, 6, 7]),
        ({"age": {"inq": [None, 25]}}, [2, 3, 4]),
        ({"age": None}, [3, 4]),
        ({"age": {"eq": None}}, [3, 4]),
        ({"age": {"neq": None}}, [1, 2, 5, 6, 7]),
        ({"name": {"like": "Al"}}, [1]),
        ({"name": {"like": "%e"}}, [1, 4, 5]),
        ({"name": {"like": "A_i"}}, [1]),
        ({"name": {"like": "a.c%"}}, [6]),
        ({"name": {"like": "a%o"}}, [3, 7]),
        ({"name": {"nlike": "a"}}, [1, 2, 5]),
        ({"name": {"ilike": "AL"}}, [1]),
        ({"name": {"nilike": "a"}}, [2, 5]),
        ({"name": {"like": "al", "options": "i"}}, [1]),
        ({"age": {"like": "3"}}, [1, 6, 7]),
        ({"name": {"regexp": "^a"}}, [6]),
        ({"name": {"regexp": "/^a/i"}}, [1, 6]),
        ({"name": {"regexp": "e$"}}, [1, 4]),
        ({"or": [{"age": 25}, {"name": "dave"}]}, [2, 4]),
        ({"and": [{"age": {"gte": 30}}, {"or": [{"vip": True}, {"name": {"like": "%"}}]}]}, [1, 5, 6, 7]),
        ({"age": {"gte": 30}, "vip": False}, [5]),
        ({"or": []}, []),
        ({"and": []}, [1, 2, 3, 4, 5, 6, 7]),
        ({"tags": "a"}, [1, 4, 5]),
        ({"tags": {"inq": ["c"]}}, [5]),
        ({"tags": {"like": "b"}}, [1, 2]),
        # a negated operator on an array, as LoopBack's memory connector: one item that passes is
        # enough, and an empty array is neq anything
        ({"tags": {"neq": "a"}}, [1, 2, 3, 5, 6, 7]),
        ({"tags": {"nin": ["a"]}}, [1, 2, 5, 6, 7]),
        ({"tags": {"nin": ["a", "b"]}}, [5, 6, 7]),
        ({"tags": {"nlike": "a"}}, [1, 2, 5, 6, 7]),
        ({"address.city": "Paris"}, [1, 6]),
        ({"address.city": {"ilike": "paris"}}, [1, 3, 6]),
        ({"address.nope": "x"}, []),
        ({"location.lat": {"gt": 40}}, [1]),
        ({"secret": "s1"}, [1, 2, 3, 4, 5, 6, 7]),
    ],
)
def test_where(api, clause, expected):
    assert where(api, clause) == expected


def test_where_on_a_hidden_property_cannot_probe_its_value(api):
    assert where(api, {"secret": "nomatch"}) == where(api, {"secret": "s1"}) == [1, 2, 3, 4, 5, 6, 7]
    assert api.get('/api/Customers/count?where={"secret":"x"}').json() == {"count": 7}


def test_large_inq_lists_work_in_both_syntaxes(api):
    values = list(range(1000, 1100)) + [30]
    assert where(api, {"age": {"inq": values}}) == [1, 7]
    query = "&".join(f"filter[where][age][inq][{i}]={v}" for i, v in enumerate(values))
    assert bracket(api, query) == [1, 7]
    many_or = [{"name": f"n{i}"} for i in range(60)] + [{"name": "bob"}]
    assert where(api, {"or": many_or}) == [2]


@pytest.mark.parametrize(
    "query,expected",
    [
        ("filter[where][age][gt]=30", [5, 6]),
        ("filter[where][age]=30", [1, 7]),
        ("filter[where][vip]=false", [2, 5]),
        ("filter[where][name][inq][]=bob&filter[where][name][inq][]=dave", [2, 4]),
        ("filter[where][name][inq][0]=bob&filter[where][name][inq][1]=dave", [2, 4]),
        ("filter[where][name][inq]=bob&filter[where][name][inq]=dave", [2, 4]),
        ("filter[where][age][between][0]=26&filter[where][age][between][1]=35", [1, 6, 7]),
        ("filter[where][or][0][age]=25&filter[where][or][1][name]=dave", [2, 4]),
        ("filter[where][address.city]=Paris", [1, 6]),
        ("filter[order]=age%20DESC&filter[limit]=2", [5, 6]),
        ("filter[order][0]=vip%20DESC&filter[order][1]=age%20ASC&filter[limit]=3", [3, 1, 2]),
        ("filter[limit]=2&filter[skip]=1", [2, 3]),
        ("filter[offset]=5", [6, 7]),
    ],
)
def test_bracket_syntax(api, query, expected):
    assert bracket(api, query) == expected


@pytest.mark.parametrize(
    "order,expected",
    [
        ("age DESC", [5, 6, 1, 7, 2, 3, 4]),
        ("age ASC", [4, 3, 2, 1, 7, 6, 5]),
        ("age", [4, 3, 2, 1, 7, 6, 5]),
        (["age ASC", "name DESC"], [4, 3, 2, 7, 1, 6, 5]),
        ("age DESC, name ASC", [5, 6, 1, 7, 2, 3, 4]),
        ("name", [1, 3, 5, 6, 2, 4, 7]),
        ("vip", [4, 6, 7, 2, 5, 1, 3]),
        ("address.city", [4, 7, 5, 2, 1, 6, 3]),
    ],
)
def test_order(api, order, expected):
    assert find(api, {"order": order}) == expected


def test_fields(api):
    rows = api.get('/api/Customers?filter={"fields":{"name":true},"limit":2}').json()
    assert rows == [{"name": "Alice"}, {"name": "bob"}]
    rows = api.get('/api/Customers?filter={"fields":["name","id"],"limit":1}').json()
    assert rows == [{"name": "Alice", "id": 1}]
    rows = api.get(
        '/api/Customers?filter={"fields":{"age":false,"tags":false,"address":false,'
        '"location":false,"born":false,"vip":false},"limit":1}'
    ).json()
    assert rows == [{"name": "Alice", "id": 1}]
    rows = api.get('/api/Customers?filter={"fields":{"name":true,"secret":true},"limit":1}').json()
    assert rows == [{"name": "Alice"}]
    assert api.get("/api/Customers?filter[fields][0]=name&filter[fields][1]=age&filter[limit]=1").json() == [
        {"name": "Alice", "age": 30}
    ]
    # a record without the property leaves it out; null stays null
    rows = api.get('/api/Customers?filter={"fields":["age"],"where":{"id":{"inq":[3,4]}}}').json()
    assert rows == [{"age": None}, {}]


def test_limit_skip_and_offset(api):
    assert find(api, {"limit": 2}) == [1, 2]
    assert find(api, {"limit": 0}) == [1, 2, 3, 4, 5, 6, 7]
    assert find(api, {"limit": "2", "skip": 5}) == [6, 7]
    assert find(api, {"skip": 50}) == []
    assert find(api, {"offset": 6}) == [7]


def test_count_and_update_take_a_where(api):
    assert api.get('/api/Customers/count?where={"age":{"gte":30}}').json() == {"count": 4}
    assert api.get("/api/Customers/count?where[vip]=true").json() == {"count": 2}


@pytest.mark.parametrize(
    "flt,fragment",
    [
        ({"where": {"age": {"foo": 1}}}, 'unknown operator "foo"'),
        ({"where": {"age": {"$gt": 1}}}, 'unknown operator "$gt"'),
        ({"where": {"name": {"regexp": "["}}}, "not a valid regular expression"),
        ({"where": {"name": {"regexp": "/a/z"}}}, 'unknown regular expression flag "z"'),
        ({"where": {"name": {"regexp": 5}}}, "must be a regular expression string"),
        ({"where": {"name": {"like": None}}}, "must be a pattern string"),
        ({"where": {"age": {"gt": "abc"}}}, "is not a number"),
        ({"where": {"age": "abc"}}, "is not a number"),
        ({"where": {"born": "not a date"}}, "is not a valid date"),
        ({"where": {"born": {"gt": "not a date"}}}, "is not a valid date"),
        ({"where": {"vip": "maybe"}}, "is not a boolean"),
        ({"where": "str"}, "must be an object"),
        ({"where": [1]}, "must be an object"),
        ({"where": {"or": {"age": 30}}}, "must be an array of objects"),
        ({"where": {"and": "x"}}, "must be an array of objects"),
        ({"where": {"age": {"between": [1]}}}, "two values"),
        ({"where": {"age": {"inq": {"a": 1}}}}, "must be an array"),
        ({"where": {"name": {"inq": "a"}}}, "`filter.where.name.inq` must be an array, not a string"),
        ({"where": {"name": {"nin": "a,b"}}}, "must be an array, not a string"),
        ({"where": {"age": {"inq": 5}}}, "must be an array, not a number"),
        ({"where": {"age": {"between": 5}}}, "must be an array, not a number"),
        ({"limit": "abc"}, "non-negative integer"),
        ({"limit": -1}, "non-negative integer"),
        ({"limit": 2.7}, "non-negative integer"),
        ({"skip": -1}, "non-negative integer"),
        ({"order": "age UP"}, "ASC or DESC"),
        ({"order": 5}, "must be a string"),
        ({"order": "nope DESC"}, 'unknown property "nope"'),
        ({"fields": 5}, "must be an object or an array"),
        ({"include": "nope"}, 'names "nope", which is not a relation of Customer'),
    ],
)
def test_bad_filters_are_400_with_a_message_naming_the_problem(api, flt, fragment):
    response = api.get("/api/Customers?filter=" + quote(json.dumps(flt)))
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["statusCode"] == 400
    assert fragment in error["message"]


@pytest.mark.parametrize("raw", ["{bad", "[1,2]", '"str"', "5"])
def test_a_filter_that_is_not_an_object_is_400(api, raw):
    response = api.get("/api/Customers?filter=" + quote(raw))
    assert response.status_code == 400


def test_mixing_json_and_bracket_filter_is_400(api):
    response = api.get('/api/Customers?filter={"limit":1}&filter[limit]=1')
    assert response.status_code == 400


def test_empty_and_unknown_filter_keys_are_ignored(api):
    assert bracket(api, "filter=") == [1, 2, 3, 4, 5, 6, 7]
    assert find(api, {"bogus": 1}) == [1, 2, 3, 4, 5, 6, 7]


def test_deep_nesting_is_400_not_a_crash(api):
    clause: dict = {"age": 30}
    for _ in range(200):
        clause = {"and": [clause]}
    response = api.get("/api/Customers?filter=" + quote(json.dumps({"where": clause})))
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "QUERY_OBJECT_TOO_DEEP"
    nested = "filter[where]" + "[and][0]" * 100 + "[age]=30"
    assert api.get("/api/Customers?" + nested).status_code == 400


def test_sane_nesting_works_in_both_syntaxes(api):
    clause: dict = {"age": 30}
    for _ in range(10):
        clause = {"and": [clause]}
    assert where(api, clause) == [1, 7]
    assert bracket(api, "filter[where][and][0][and][0][and][0][age]=30") == [1, 7]

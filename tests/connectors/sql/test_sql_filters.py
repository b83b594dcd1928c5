"""Every filter gives on SQLite, PostgreSQL and MariaDB the answer the memory connector gives.

One data set (LoopBack's filter examples plus awkward values: nulls, missing values, unicode,
wildcard and quote characters, nested objects and arrays) is created through the model layer in a
memory app and in an SQL app; each filter then runs in both and the answers are compared. A
property the memory connector never stored and a null read back from SQL are the same answer
(SQL has no "missing"), so both sides drop null values before comparing.
"""

from __future__ import annotations

import json

import pytest
from sql_support import BACKENDS, boot, datasource_settings, portal, require, sql_session  # noqa: F401

CUSTOMER = {
    "properties": {
        "name": {"type": "string"},
        "age": {"type": "number"},
        "vip": {"type": "boolean"},
        "born": {"type": "date"},
        "tags": ["string"],
        "scores": ["number"],
        "visits": ["date"],
        "address": {"type": "object"},
        "location": {"type": "geopoint"},
        "misc": {"type": "any"},
        "code": {"type": "string", "index": True},
    },
}

RECORDS = [
    {
        "name": "Alice",
        "age": 30,
        "vip": True,
        "born": "1990-05-01",
        "tags": ["a", "b"],
        "scores": [1, 5],
        "address": {"city": "Paris", "zip": "75001", "floor": 3},
        "location": {"lat": 48.85, "lng": 2.35},
        "misc": "x",
        "code": "A1",
        "visits": ["2020-01-01T00:00:00.000Z"],
    },
    {
        "name": "bob",
        "age": 25,
        "vip": False,
        "born": "1995-01-15",
        "tags": ["b"],
        "address": {"city": "London"},
        "misc": 5,
        "code": "b2",
    },
    {"name": "Carol", "age": None, "vip": True, "tags": [], "address": {"city": "paris"}, "misc": True, "scores": []},
    {"name": "dave", "born": "2000-12-31T23:59:59Z", "tags": ["a"], "misc": None, "scores": [7]},
    {
        "name": "Eve_1",
        "age": 40,
        "vip": False,
        "tags": ["c", "a"],
        "address": {"city": "Berlin", "tags": ["x", "y"], "floor": "3"},
        "misc": {"k": 1},
        "code": "E",
    },
    {"name": "a.c%d", "age": 35, "address": {"city": "Paris"}, "misc": [1, 2], "code": "a.c"},
    {"name": "Álvaro", "age": 30, "code": "Á"},
    {
        "name": "  spaced ",
        "age": 25.5,
        "tags": ["a b", "%"],
        "address": {"city": "Paris "},
        "misc": "30",
        "scores": [2.5, 10],
    },
    {
        "name": "O'Brien\"; DROP TABLE x;--",
        "age": -1,
        "tags": ["_"],
        "address": {"city": None, "zip": 75002},
        "born": "1969-12-31T23:59:59.999Z",
        "code": "o",
    },
    {
        "name": "ALICE",
        "age": 0.1,
        "vip": False,
        "address": {"city": "Zürich", "geo": {"lat": 1}},
        "visits": ["2019-06-30T12:00:00.000Z", "2021-01-01T00:00:00.000Z"],
        "code": "A1 ",
    },
    {
        "name": "line1\nline2",
        "age": 1000000,
        "vip": False,
        "tags": ["b", "c"],
        "address": {"city": "Lyon", "floor": 2.5},
        "misc": 30,
    },
    {"name": "日本", "age": 3, "tags": ["日"], "address": {"city": "東京"}, "misc": "日本", "code": "日"},
]

WHERES = [
    # eq, on every kind of property
    {"name": "Alice"},
    {"name": "alice"},
    {"name": {"eq": "ALICE"}},
    {"age": 30},
    {"age": "30"},
    {"age": 25.5},
    {"vip": True},
    {"vip": "false"},
    {"born": "1990-05-01"},
    {"born": 946684799000},
    {"code": "A1"},
    {"code": "A1 "},
    {"name": "日本"},
    {"name": "line1\nline2"},
    # null and missing
    {"age": None},
    {"age": {"eq": None}},
    {"age": {"neq": None}},
    {"vip": None},
    {"address": None},
    {"misc": None},
    {"misc": {"neq": None}},
    {"address.city": None},
    {"address.zip": {"neq": None}},
    {"tags": None},
    {"scores": {"neq": None}},
    # neq keeps null and missing values
    {"age": {"neq": 30}},
    {"name": {"neq": "Alice"}},
    {"vip": {"neq": True}},
    {"born": {"neq": "1990-05-01"}},
    # ordered comparisons
    {"age": {"gt": 30}},
    {"age": {"gte": 30}},
    {"age": {"lt": 30}},
    {"age": {"lte": 30}},
    {"age": {"gt": "4"}},
    {"age": {"lt": 0.5}},
    {"age": {"gt": -1}},
    {"name": {"gt": "a"}},
    {"name": {"lt": "C"}},
    {"name": {"gte": "Álvaro"}},
    {"name": {"gt": "Z"}},
    {"vip": {"gt": False}},
    {"vip": {"lte": False}},
    {"born": {"gt": "1995-01-01"}},
    {"born": {"lt": "1970-01-01"}},
    {"born": {"gte": "2000-12-31T23:59:59Z"}},
    {"code": {"gt": "A1"}},
    # between, inq, nin
    {"age": {"between": [25, 35]}},
    {"age": {"between": ["25", "35"]}},
    {"age": {"between": [35, 25]}},
    {"born": {"between": ["1990-01-01", "1996-01-01"]}},
    {"name": {"between": ["A", "b"]}},
    {"age": {"inq": [25, 40]}},
    {"age": {"inq": ["25", "40"]}},
    {"age": {"inq": []}},
    {"age": {"nin": []}},
    {"age": {"nin": [25, 40]}},
    {"age": {"inq": [None, 25]}},
    {"age": {"nin": [None, 25]}},
    {"name": {"inq": ["Alice", "bob", "nobody"]}},
    {"name": {"nin": ["Alice", "bob"]}},
    {"vip": {"inq": [True]}},
    {"vip": {"nin": [True]}},
    {"born": {"inq": ["1990-05-01", "1995-01-15"]}},
    {"code": {"inq": ["A1", "A1 "]}},
    # like and friends: LoopBack's unanchored, case-sensitive search; % and _ wildcards; \ escapes
    {"name": {"like": "Al"}},
    {"name": {"like": "A%"}},
    {"name": {"like": "%e"}},
    {"name": {"like": "a%"}},
    {"name": {"like": "Ali_e"}},
    {"name": {"like": "a.c"}},
    {"name": {"like": "c%d"}},
    {"name": {"like": "c\\%d"}},
    {"name": {"like": "Eve\\_1"}},
    {"name": {"like": "e_1"}},
    {"name": {"like": "'"}},
    {"name": {"like": '"'}},
    {"name": {"like": "!"}},
    {"name": {"like": "["}},
    {"name": {"like": "*"}},
    {"name": {"like": "?"}},
    {"name": {"like": "  "}},
    {"name": {"like": "line1%line2"}},
    {"name": {"like": "本"}},
    {"name": {"like": "lvaro"}},
    {"name": {"like": "\\"}},
    {"name": {"like": "x\\"}},
    {"name": {"nlike": "a"}},
    {"name": {"ilike": "alice"}},
    {"name": {"ilike": "ÁLVARO"}},
    {"name": {"ilike": "%E_1"}},
    {"name": {"nilike": "alice"}},
    {"name": {"like": "alice", "options": "i"}},
    {"age": {"like": "3"}},
    {"age": {"like": "5"}},
    {"age": {"nlike": "3"}},
    {"vip": {"like": "ru"}},
    {"code": {"like": "1 "}},
    {"age": {"ilike": "1"}},
    # regexp
    {"name": {"regexp": "^a"}},
    {"name": {"regexp": "/^a/i"}},
    {"name": {"regexp": "e$"}},
    {"name": {"regexp": "^[A-C]"}},
    {"name": {"regexp": "\\d"}},
    {"name": {"regexp": "/^line2/m"}},
    {"name": {"regexp": "^line2"}},
    {"name": {"regexp": "/1.line/s"}},
    {"name": {"regexp": "1.line"}},
    {"name": {"regexp": "\\bBrien"}},
    {"name": {"regexp": "(?P<first>A)l"}},
    {"name": {"regexp": "^.{5}$"}},
    {"name": {"regexp": "^a", "options": "i"}},
    {"age": {"regexp": "^3"}},
    {"code": {"regexp": "/á/i"}},
    # arrays: a value matches when any item does
    {"tags": "a"},
    {"tags": "b"},
    {"tags": {"eq": "a b"}},
    {"tags": ["a", "b"]},
    {"tags": {"neq": "a"}},
    {"tags": {"inq": ["c"]}},
    {"tags": {"inq": ["c", "_"]}},
    {"tags": {"nin": ["a"]}},
    {"tags": {"like": "b"}},
    {"tags": {"like": "\\%"}},
    {"tags": {"nlike": "a"}},
    {"tags": {"ilike": "A"}},
    {"tags": {"gt": "b"}},
    {"tags": {"regexp": "^a"}},
    {"scores": 5},
    {"scores": {"gt": 6}},
    {"scores": {"lt": 2}},
    {"scores": {"between": [2, 3]}},
    {"scores": {"inq": [10, 7]}},
    {"scores": {"nin": [1]}},
    {"scores": {"neq": 5}},
    {"tags": {"nin": ["a", "b"]}},
    {"tags": {"nilike": "A"}},
    {"misc": {"neq": 1}},
    {"address.tags": {"neq": "x"}},
    {"address.tags": {"nin": ["x", "y"]}},
    {"tags": {"neq": ["a", "b"]}},
    {"visits": "2020-01-01"},
    {"visits": {"gt": "2020-06-01"}},
    {"visits": {"between": ["2019-01-01", "2019-12-31"]}},
    # nested paths into objects (type-strict: the number 3 is not the text "3")
    {"address.city": "Paris"},
    {"address.city": "paris"},
    {"address.city": {"neq": "Paris"}},
    {"address.city": {"like": "ari"}},
    {"address.city": {"ilike": "PARIS"}},
    {"address.city": {"nlike": "ar"}},
    {"address.city": {"inq": ["Paris", "Berlin"]}},
    {"address.city": {"nin": ["Paris", "Berlin"]}},
    {"address.city": {"gt": "M"}},
    {"address.city": {"regexp": "^[A-Z]"}},
    {"address.nope": "x"},
    {"address.nope": None},
    {"address.floor": 3},
    {"address.floor": "3"},
    {"address.floor": {"gt": 2}},
    {"address.floor": {"gte": 2.5}},
    {"address.floor": {"between": [1, 2.9]}},
    {"address.zip": "75001"},
    {"address.zip": 75002},
    {"address.zip": {"inq": [75002, "75001"]}},
    {"address.zip": {"like": "750"}},
    {"address.tags": "x"},
    {"address.tags": {"neq": "x"}},
    {"address.tags.0": "x"},
    {"address.geo.lat": 1},
    {"address.geo.lat": {"lt": 2}},
    {"location.lat": 48.85},
    {"location.lat": {"gt": 40}},
    {"location.lat": "48.85"},
    {"name.first": None},
    {"name.first": "x"},
    {"age.x": {"neq": 1}},
    # objects and "any" values compared whole
    {"address": {"eq": {"city": "Paris"}}},
    {"location": {"lat": 48.85, "lng": 2.35}},
    {"misc": "x"},
    {"misc": 5},
    {"misc": "5"},
    {"misc": True},
    {"misc": 30},
    {"misc": "30"},
    {"misc": {"inq": [5, "x", 1]}},
    {"misc": {"nin": [5, "x"]}},
    {"misc": {"inq": [None, True]}},
    {"misc": 1},
    {"misc": {"like": "3"}},
    {"misc": {"neq": 5}},
    {"misc": {"regexp": "^[0-9]"}},
    # and/or at any depth; several keys mean and
    {"and": [{"age": {"gt": 20}}, {"vip": False}]},
    {"or": [{"age": 25}, {"name": "dave"}]},
    {"or": [{"and": [{"age": {"gte": 30}}, {"vip": True}]}, {"and": [{"age": {"lt": 1}}, {"tags": {"neq": "x"}}]}]},
    {"and": [{"or": [{"name": {"like": "a"}}, {"name": {"like": "e"}}]}, {"or": [{"age": None}, {"age": {"gt": 30}}]}]},
    {"age": {"gt": 20}, "vip": False, "name": {"nlike": "b"}},
    {"or": [{"or": [{"or": [{"and": [{"and": [{"name": "Alice"}]}]}]}]}, {"address.city": "Lyon"}]},
    {"age": {"gt": 20, "lt": 35}},
    {"and": [{"nosuch": None}, {"age": 30}]},
    {"or": [{"nosuch": 1}, {"age": 3}]},
    {"nosuch": {"neq": 1}},
    {"nosuch": {"like": "x"}},
    {"nosuch": {"nlike": "x"}},
]

ORDERS = [
    "age",
    "age DESC",
    "name",
    "name DESC",
    "vip",
    "vip DESC",
    "born",
    "born DESC",
    "code",
    "code DESC",
    ["age ASC", "name DESC"],
    ["vip DESC", "age ASC"],
    "address.city",
    "address.city DESC",
    "misc",
    "misc DESC",
    "address.floor",
    "nosuch",
    "id DESC",
    "location.lat",
    "name.first",
]

FILTERS = (
    [{"where": w} for w in WHERES]
    + [{"order": o} for o in ORDERS]
    + [
        {"fields": ["name", "age"]},
        {"fields": {"name": True, "age": False}},
        {"fields": {"tags": False}},
        {"fields": ["id"], "where": {"vip": True}},
        {"fields": {"nosuch": True}},
        {"fields": ["nosuch"], "where": {"id": 1}},
        {"fields": {"address": True}, "order": "name"},
        {"limit": 2},
        {"limit": 3, "skip": 2},
        {"skip": 10},
        {"skip": 100},
        {"limit": 0},
        {"offset": 4},
        {"where": {"age": {"gt": 1}}, "order": "age DESC", "limit": 2, "skip": 1},
        {"where": {"vip": False}, "order": ["name DESC"], "limit": 1, "fields": ["name"]},
        {"where": {"tags": "a"}, "order": "born DESC"},
        {"where": {"id": 3}},
        {"where": {"id": {"inq": [1, 3, 99]}}},
        {"where": {"id": {"gt": 10}}},
        {"where": {"id": {"between": [2.5, 5.5]}}},
        {"where": {"id": 2.5}},
        {"where": {"id": {"neq": 2.5}}},
        {"where": {"id": {"lt": 2.5}}},
        {"where": {"id": {"gte": 11.5}}},
    ]
)


def _ids(items) -> list[str]:
    return [json.dumps(item, ensure_ascii=False)[:80] for item in items]


@pytest.fixture(scope="module", params=BACKENDS)
def apps(request, tmp_path_factory, portal, sql_session):
    """A memory app and an SQL app holding the same records, created the same way."""
    require(request.param)
    root = tmp_path_factory.mktemp(f"filters-{request.param}")
    models = {"Customer": CUSTOMER}
    memory = boot(root / "memory", models, {"connector": "memory"})
    sql = boot(root / "sql", models, datasource_settings(request.param, root))
    portal.call(sql.start)
    portal.call(sql.datasources["db"].automigrate)
    for record in RECORDS:
        portal.call(memory.models["Customer"].create, dict(record))
        portal.call(sql.models["Customer"].create, dict(record))
    yield memory, sql
    portal.call(sql.stop)


def _plain(rows) -> list[dict]:
    return [{k: v for k, v in row.to_dict().items() if v is not None} for row in rows]


def _memory_answer(memory, flt: dict, call) -> list[dict]:
    """The memory connector's answer, with null and missing values sorting together: the memory
    connector puts missing before null, SQL cannot tell them apart (the kit allows either)."""
    Customer = memory.models["Customer"]
    if not flt.get("order"):
        return _plain(call(Customer.find, flt))
    from lbpy._filter import sort_key

    parsed = Customer.parse_filter(flt)
    rows = [row.to_dict() for row in call(Customer.find, {"where": flt.get("where")})]
    for path, direction in reversed(parsed.order or ()):
        key = sort_key(path)
        rows.sort(key=lambda r, key=key: (1, 0) if key(r)[0] == 0 else key(r), reverse=direction == "DESC")
    end = None if parsed.limit is None else parsed.skip + parsed.limit
    rows = rows[parsed.skip : end]
    if parsed.fields is not None:
        rows = [{k: r[k] for k in parsed.fields if k in r} for r in rows]
    return [{k: v for k, v in r.items() if v is not None} for r in rows]


@pytest.mark.parametrize("flt", FILTERS, ids=_ids(FILTERS))
def test_find_answers_as_the_memory_connector(apps, portal, flt):
    memory, sql = apps
    expected = _memory_answer(memory, json.loads(json.dumps(flt)), portal.call)
    found = _plain(portal.call(sql.models["Customer"].find, json.loads(json.dumps(flt))))
    assert found == expected


@pytest.mark.parametrize("where", WHERES, ids=_ids(WHERES))
def test_count_answers_as_the_memory_connector(apps, portal, where):
    memory, sql = apps
    expected = portal.call(memory.models["Customer"].count, json.loads(json.dumps(where)))
    assert portal.call(sql.models["Customer"].count, json.loads(json.dumps(where))) == expected


def test_the_data_set_exercises_the_filters(apps, portal):
    """Guard against a comparison that passes because nothing matches anywhere."""
    memory, _ = apps
    sizes = [portal.call(memory.models["Customer"].count, w) for w in WHERES]
    assert sum(1 for n in sizes if 0 < n < len(RECORDS)) > len(WHERES) * 0.6


UPDATES = [
    ({"age": {"gt": 26}}, {"vip": True}),
    ({"tags": "a"}, {"misc": {"set": True}}),
    ({"address.city": {"inq": ["Paris", "Lyon"]}}, {"code": "P"}),
    ({"or": [{"age": None}, {"name": {"like": "%"}}]}, {"age": 99}),
    ({"name": {"regexp": "/^a/i"}}, {"born": "2001-01-01"}),
    (None, {"scores": [0]}),
    ({"nosuch": "x"}, {"age": 1}),
]


@pytest.fixture(params=BACKENDS)
def fresh_apps(request, tmp_path, portal, sql_session):
    require(request.param)
    models = {"Customer": CUSTOMER}
    memory = boot(tmp_path / "memory", models, {"connector": "memory"})
    sql = boot(tmp_path / "sql", models, datasource_settings(request.param, tmp_path))
    portal.call(sql.start)
    portal.call(sql.datasources["db"].automigrate)
    for record in RECORDS:
        portal.call(memory.models["Customer"].create, dict(record))
        portal.call(sql.models["Customer"].create, dict(record))
    yield memory, sql
    portal.call(sql.stop)


@pytest.mark.parametrize("where,data", UPDATES, ids=_ids(UPDATES))
def test_update_all_changes_what_the_memory_connector_changes(fresh_apps, portal, where, data):
    memory, sql = fresh_apps
    expected = portal.call(memory.models["Customer"].update_all, where, dict(data))
    assert portal.call(sql.models["Customer"].update_all, where, dict(data)) == expected
    assert _plain(portal.call(sql.models["Customer"].find)) == _plain(portal.call(memory.models["Customer"].find))


@pytest.mark.parametrize("where", [w for w, _ in UPDATES], ids=_ids([w for w, _ in UPDATES]))
def test_destroy_all_removes_what_the_memory_connector_removes(fresh_apps, portal, where):
    memory, sql = fresh_apps
    expected = portal.call(memory.models["Customer"].destroy_all, where)
    assert portal.call(sql.models["Customer"].destroy_all, where) == expected
    assert _plain(portal.call(sql.models["Customer"].find)) == _plain(portal.call(memory.models["Customer"].find))


def test_a_filter_runs_as_one_select_inside_the_database(apps, portal):
    """No row is filtered in Python: the statement carries the where, order and limit."""
    from sql_support import recorded_statements

    _, sql = apps
    with recorded_statements(sql.datasources["db"].connector) as statements:
        rows = portal.call(
            sql.models["Customer"].find,
            {
                "where": {"or": [{"tags": "a"}, {"address.city": {"like": "ar"}}]},
                "order": "age DESC",
                "limit": 2,
            },
        )
    assert len(rows) == 2
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 1
    assert "ORDER BY" in selects[0] and ("LIMIT" in selects[0] or "FETCH" in selects[0])

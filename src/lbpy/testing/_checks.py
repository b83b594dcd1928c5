"""The conformance checks: each one a behaviour every connector must have.

A check is an ``async def`` taking a ``Kit``. Its name says what it checks; a failure says what
was expected and what came back. ``MODES`` lists how a check reaches the connector: some checks
are about the raw methods' return values and run in ``connector`` mode only.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import anyio

from .._errors import HttpError, NotFoundError
from .._filter import Filter
from .._model._definition import ModelDefinition, build_property
from ._kit import ITEMS, MODES, Kit, day, expect, expect_raises, expect_that, same

CheckFn = Callable[[Kit], Awaitable[None]]


@dataclass(frozen=True)
class Check:
    name: str
    fn: CheckFn
    modes: tuple[str, ...]
    doc: str
    #: runs with the relation models (``RELATION_MODELS``) as well as the kit's own
    relations: bool = False


CHECKS: dict[str, Check] = {}


def check(*, modes: tuple[str, ...] = MODES, relations: bool = False) -> Callable[[CheckFn], CheckFn]:
    def register(fn: CheckFn) -> CheckFn:
        name = fn.__name__
        if name in CHECKS:
            raise ValueError(f"two checks are called {name}")
        CHECKS[name] = Check(name, fn, modes, (fn.__doc__ or name).strip().splitlines()[0], relations)
        return fn

    return register


RAW = ("connector",)
ALL_NAMES = ["apple", "banana", "cherry", "date", "elderberry"]


async def found(kit: Kit, where: dict[str, Any], expected: list[str], what: str) -> None:
    """``where`` finds exactly the KitItem records named ``expected`` (in any order)."""
    await kit.seed()
    names = sorted(await kit.names({"where": where}))
    expect(names, sorted(expected), f"{what}: the names found by where {where!r}")


async def ordered(kit: Kit, filter: dict[str, Any], expected: list[str], what: str) -> None:
    await kit.seed()
    expect(await kit.names(filter), expected, f"{what}: the names found by {filter!r}, in order")


def item(name: str) -> dict[str, Any]:
    return next(i for i in ITEMS if i["name"] == name)


# -- create and ids ------------------------------------------------------------------------


@check()
async def create_returns_generated_id(kit: Kit) -> None:
    """create without an id returns the id the backend generated."""
    id = await kit.create("KitItem", {"name": "apple"})
    expect_that(id is not None, "create() must return the new record's id", id)


@check(modes=RAW)
async def create_returns_the_id_not_the_record(kit: Kit) -> None:
    """the raw create returns the new id (a number or a string), not the record."""
    id = await kit.create("KitItem", {"name": "apple"})
    expect_that(
        isinstance(id, (int, str)) and not isinstance(id, bool), "create() must return the id itself (int or str)", id
    )


@check()
async def create_generates_distinct_ids(kit: Kit) -> None:
    """ids generated for successive creates are all different."""
    ids = [await kit.create("KitItem", {"name": f"n{i}"}) for i in range(5)]
    expect(len(set(ids)), 5, f"the number of distinct ids among {ids!r}")


@check()
async def create_then_find_by_id_returns_the_record(kit: Kit) -> None:
    """a created record is stored: find by its id returns it."""
    id = await kit.create("KitItem", {"name": "apple", "quantity": 3})
    record = await kit.find_by_id("KitItem", id)
    expect_that(record is not None, f"find by id {id!r} after create must find the record", record)
    assert record is not None  # expect_that stopped the check otherwise
    expect(record.get("name"), "apple", "name of the stored record")
    expect(record.get("quantity"), 3, "quantity of the stored record")
    expect(record.get("id"), id, "id of the stored record")


@check()
async def create_keeps_a_given_id(kit: Kit) -> None:
    """a record created with its id keeps that id."""
    id = await kit.create("KitNote", {"code": "a-1", "title": "first"})
    expect(id, "a-1", "the id create returned")
    expect(
        (await kit.find_by_id("KitNote", "a-1") or {}).get("title"),
        "first",
        "title of the record found by its given id",
    )


@check()
async def create_with_a_taken_id_is_a_client_error(kit: Kit) -> None:
    """creating a record with an id that exists raises a 409 (lbpy.ConflictError), or 422, and keeps the first."""
    await kit.create("KitNote", {"code": "dup", "title": "first"})
    error = await expect_raises(
        HttpError, kit.create("KitNote", {"code": "dup", "title": "second"}), "create with an id that exists"
    )
    expect_that(
        error.status_code in (409, 422),
        "a duplicate id must be answered 409 (lbpy.ConflictError) or 422",
        error.status_code,
    )
    expect((await kit.find_by_id("KitNote", "dup") or {}).get("title"), "first", "the record that had the id first")


@check()
async def create_round_trips_every_type(kit: Kit) -> None:
    """string, number, boolean, date, array and object values read back as they were written."""
    data = dict(item("apple"))
    id = await kit.create("KitItem", data)
    record = await kit.find_by_id("KitItem", id) or {}
    for name, value in data.items():
        expect(record.get(name), value, f"property {name} read back")


@check()
async def create_round_trips_a_fractional_number(kit: Kit) -> None:
    """a number with a fraction is not rounded."""
    id = await kit.create("KitItem", {"name": "x", "price": 12.375})
    expect((await kit.find_by_id("KitItem", id) or {}).get("price"), 12.375, "price read back")


@check()
async def create_round_trips_negative_and_large_numbers(kit: Kit) -> None:
    """negative numbers and numbers beyond 32 bits survive."""
    a = await kit.create("KitItem", {"name": "neg", "quantity": -42})
    b = await kit.create("KitItem", {"name": "big", "quantity": 9_007_199_254_740_991})
    expect((await kit.find_by_id("KitItem", a) or {}).get("quantity"), -42, "a negative quantity")
    expect((await kit.find_by_id("KitItem", b) or {}).get("quantity"), 9_007_199_254_740_991, "a quantity of 2**53 - 1")


@check()
async def create_round_trips_falsy_values(kit: Kit) -> None:
    """zero, false and the empty string are values, not nulls."""
    id = await kit.create("KitItem", {"name": "", "quantity": 0, "active": False})
    record = await kit.find_by_id("KitItem", id) or {}
    expect(record.get("name"), "", "an empty name")
    expect(record.get("quantity"), 0, "a zero quantity")
    expect(record.get("active"), False, "a false flag")


@check()
async def create_round_trips_unicode_text(kit: Kit) -> None:
    """text outside ASCII (accents, CJK, emoji, quotes) survives."""
    text = "Grüße, 世界 \U0001f600 'quoted' \"double\" back\\slash"
    id = await kit.create("KitItem", {"name": text})
    expect((await kit.find_by_id("KitItem", id) or {}).get("name"), text, "the name read back")


@check()
async def create_round_trips_a_date_with_milliseconds(kit: Kit) -> None:
    """a date keeps its milliseconds and its instant."""
    from datetime import datetime, timezone

    when = datetime(2024, 5, 17, 13, 45, 30, 123000, tzinfo=timezone.utc)
    id = await kit.create("KitItem", {"name": "x", "created": when})
    expect((await kit.find_by_id("KitItem", id) or {}).get("created"), when, "created read back")


@check()
async def create_round_trips_nested_objects_and_arrays(kit: Kit) -> None:
    """objects nest, arrays keep their order, empty ones stay empty."""
    meta = {"color": "blue", "dims": {"w": 2, "h": [1, 2, 3]}, "empty": {}, "list": []}
    id = await kit.create("KitItem", {"name": "x", "meta": meta, "tags": ["b", "a", "c"]})
    record = await kit.find_by_id("KitItem", id) or {}
    expect(record.get("meta"), meta, "meta read back")
    expect(record.get("tags"), ["b", "a", "c"], "tags read back")


@check()
async def create_round_trips_an_empty_array(kit: Kit) -> None:
    """an empty array reads back as an empty array, not null."""
    id = await kit.create("KitItem", {"name": "x", "tags": []})
    expect((await kit.find_by_id("KitItem", id) or {}).get("tags"), [], "tags read back")


@check()
async def create_with_null_reads_back_null(kit: Kit) -> None:
    """a property created as null reads back as null (or absent)."""
    id = await kit.create("KitItem", {"name": "x", "price": None, "meta": None})
    record = await kit.find_by_id("KitItem", id) or {}
    expect(record.get("price"), None, "price created as null")
    expect(record.get("meta"), None, "meta created as null")


@check()
async def create_without_a_property_reads_back_null(kit: Kit) -> None:
    """a property never given reads back as null (or absent)."""
    id = await kit.create("KitItem", {"name": "x"})
    record = await kit.find_by_id("KitItem", id) or {}
    for name in ("price", "quantity", "active", "created", "tags", "meta"):
        expect(record.get(name), None, f"{name}, never given")


@check(modes=RAW)
async def create_stores_a_copy_of_the_data(kit: Kit) -> None:
    """changing the dict given to create afterwards does not change the stored record."""
    data: dict[str, Any] = {"name": "apple", "tags": ["a"], "meta": {"k": 1}}
    id = await kit.raw("create", "KitItem", data, {})
    data["name"] = "changed"
    data["tags"].append("b")
    data["meta"]["k"] = 2
    record = await kit.find_by_id("KitItem", id) or {}
    expect(record.get("name"), "apple", "the stored name")
    expect(record.get("tags"), ["a"], "the stored tags")
    expect(record.get("meta"), {"k": 1}, "the stored meta")


@check()
async def create_many_then_count(kit: Kit) -> None:
    """count after creating the kit's five records is five."""
    await kit.seed()
    expect(await kit.count("KitItem"), 5, "count of all records")


# -- all: the whole table, copies ---------------------------------------------------------------


@check()
async def all_on_an_empty_table_returns_nothing(kit: Kit) -> None:
    """finding in an empty table returns an empty list."""
    expect(await kit.find("KitItem"), [], "records of an empty table")


@check()
async def all_without_a_filter_returns_every_record(kit: Kit) -> None:
    """no filter finds every record."""
    await kit.seed()
    expect(sorted(await kit.names()), ALL_NAMES, "names of every record")


@check()
async def all_returns_the_id_with_every_record(kit: Kit) -> None:
    """every record found carries its id."""
    ids = await kit.seed()
    rows = await kit.find("KitItem")
    expect(sorted(str(r.get("id")) for r in rows), sorted(str(i) for i in ids.values()), "ids of every record")


@check(modes=RAW)
async def all_returns_a_list_of_dicts(kit: Kit) -> None:
    """the raw all() returns a list of dicts."""
    await kit.seed()

    rows = await kit.raw("all", "KitItem", Filter(), {})
    expect_that(
        isinstance(rows, list) and all(isinstance(r, dict) for r in rows), "all() must return a list of dicts", rows
    )
    expect_that(len(rows) >= 1, "all() with an empty filter must return the records", rows)


@check(modes=RAW)
async def all_returns_copies(kit: Kit) -> None:
    """changing a record all() returned does not change the stored one."""
    ids = await kit.seed()

    for row in await kit.raw("all", "KitItem", Filter(), {}):
        row["name"] = "changed"
        if isinstance(row.get("meta"), dict):
            row["meta"]["color"] = "changed"
    record = await kit.find_by_id("KitItem", ids["apple"]) or {}
    expect(record.get("name"), "apple", "the stored name")
    expect(record.get("meta"), item("apple")["meta"], "the stored meta")


# -- where: every operator ----------------------------------------------------------------------


@check()
async def where_eq_string(kit: Kit) -> None:
    """eq on a string."""
    await found(kit, {"name": {"eq": "cherry"}}, ["cherry"], "eq")


@check()
async def where_shorthand_equality(kit: Kit) -> None:
    """{"name": value} means eq."""
    await found(kit, {"name": "apple"}, ["apple"], "shorthand eq")


@check()
async def where_eq_integer(kit: Kit) -> None:
    """eq on a whole number."""
    await found(kit, {"quantity": 10}, ["apple"], "eq on quantity")


@check()
async def where_eq_zero(kit: Kit) -> None:
    """eq 0 finds zeros, not nulls or falses."""
    await found(kit, {"quantity": 0}, ["banana"], "eq 0")


@check()
async def where_eq_fraction(kit: Kit) -> None:
    """eq on a number with a fraction."""
    await found(kit, {"price": 0.25}, ["banana"], "eq on price")


@check()
async def where_eq_true(kit: Kit) -> None:
    """eq true finds the true flags only."""
    await found(kit, {"active": True}, ["apple", "cherry"], "eq true")


@check()
async def where_eq_false(kit: Kit) -> None:
    """eq false finds the false flags, not the nulls."""
    await found(kit, {"active": False}, ["banana"], "eq false")


@check()
async def where_eq_date(kit: Kit) -> None:
    """eq on a date compares instants."""
    await found(kit, {"created": day(2024, 2, 1)}, ["banana"], "eq on created")


@check()
async def where_eq_null_finds_null_and_missing(kit: Kit) -> None:
    """eq null finds records where the property is null or was never set."""
    await found(kit, {"price": None}, ["date", "elderberry"], "eq null")


@check()
async def where_eq_matching_nothing(kit: Kit) -> None:
    """a where that matches no record finds nothing."""
    await found(kit, {"name": "zucchini"}, [], "eq with no match")


@check()
async def where_neq(kit: Kit) -> None:
    """neq finds every other record."""
    await found(kit, {"name": {"neq": "apple"}}, ["banana", "cherry", "date", "elderberry"], "neq")


@check()
async def where_neq_keeps_nulls(kit: Kit) -> None:
    """neq a value also finds the records where the property is null or missing."""
    await found(kit, {"price": {"neq": 1.5}}, ["banana", "cherry", "date", "elderberry"], "neq")


@check()
async def where_neq_null_finds_values(kit: Kit) -> None:
    """neq null finds the records that have a value."""
    await found(kit, {"price": {"neq": None}}, ["apple", "banana", "cherry"], "neq null")


@check()
async def where_gt(kit: Kit) -> None:
    """gt on numbers."""
    await found(kit, {"quantity": {"gt": 7}}, ["apple", "cherry"], "gt")


@check()
async def where_gte(kit: Kit) -> None:
    """gte includes the bound."""
    await found(kit, {"quantity": {"gte": 7}}, ["apple", "cherry", "elderberry"], "gte")


@check()
async def where_lt(kit: Kit) -> None:
    """lt on numbers."""
    await found(kit, {"quantity": {"lt": 5}}, ["banana"], "lt")


@check()
async def where_lte(kit: Kit) -> None:
    """lte includes the bound."""
    await found(kit, {"quantity": {"lte": 5}}, ["banana", "date"], "lte")


@check()
async def where_gt_skips_nulls(kit: Kit) -> None:
    """gt never matches a null or missing value."""
    await found(kit, {"price": {"gt": 1}}, ["apple", "cherry"], "gt over nulls")


@check()
async def where_lt_skips_nulls(kit: Kit) -> None:
    """lt never matches a null or missing value."""
    await found(kit, {"price": {"lt": 2}}, ["apple", "banana"], "lt over nulls")


@check()
async def where_gt_date(kit: Kit) -> None:
    """gt on dates."""
    await found(kit, {"created": {"gt": day(2024, 2, 1)}}, ["cherry", "date"], "gt on created")


@check()
async def where_lt_date(kit: Kit) -> None:
    """lt on dates, across a year."""
    await found(kit, {"created": {"lt": day(2024, 1, 15)}}, ["apple", "elderberry"], "lt on created")


@check()
async def where_gt_string(kit: Kit) -> None:
    """gt on strings compares text."""
    await found(kit, {"name": {"gt": "c"}}, ["cherry", "date", "elderberry"], "gt on name")


@check()
async def where_between_numbers(kit: Kit) -> None:
    """between includes both bounds."""
    await found(kit, {"quantity": {"between": [5, 10]}}, ["apple", "date", "elderberry"], "between")


@check()
async def where_between_fractions(kit: Kit) -> None:
    """between on numbers with fractions, nulls excluded."""
    await found(kit, {"price": {"between": [0, 2]}}, ["apple", "banana"], "between on price")


@check()
async def where_between_dates(kit: Kit) -> None:
    """between on dates includes both bounds."""
    await found(
        kit,
        {"created": {"between": [day(2024, 1, 1), day(2024, 3, 1)]}},
        ["apple", "banana", "cherry"],
        "between on created",
    )


@check()
async def where_inq(kit: Kit) -> None:
    """inq finds the listed values."""
    await found(kit, {"name": {"inq": ["apple", "cherry", "zucchini"]}}, ["apple", "cherry"], "inq")


@check()
async def where_inq_numbers(kit: Kit) -> None:
    """inq with numbers, zero included."""
    await found(kit, {"quantity": {"inq": [0, 100]}}, ["banana", "cherry"], "inq on quantity")


@check()
async def where_inq_empty_list_finds_nothing(kit: Kit) -> None:
    """inq [] matches no record."""
    await found(kit, {"name": {"inq": []}}, [], "inq []")


@check()
async def where_nin(kit: Kit) -> None:
    """nin finds everything but the listed values."""
    await found(kit, {"name": {"nin": ["apple", "banana"]}}, ["cherry", "date", "elderberry"], "nin")


@check()
async def where_nin_keeps_nulls(kit: Kit) -> None:
    """nin also finds the records where the property is null or missing."""
    await found(kit, {"price": {"nin": [1.5]}}, ["banana", "cherry", "date", "elderberry"], "nin")


@check()
async def where_like_percent(kit: Kit) -> None:
    """like with % matches any run of characters."""
    await found(kit, {"name": {"like": "%an%"}}, ["banana"], "like")


@check()
async def where_like_underscore(kit: Kit) -> None:
    """like with _ matches exactly one character."""
    await found(kit, {"name": {"like": "%ch_rry%"}}, ["cherry"], "like with _")


@check()
async def where_like_is_case_sensitive(kit: Kit) -> None:
    """like does not ignore case (ilike does)."""
    await found(kit, {"name": {"like": "%BAN%"}}, [], "like in capitals")


@check()
async def where_nlike(kit: Kit) -> None:
    """nlike finds what like does not, nulls included."""
    await found(kit, {"name": {"nlike": "%an%"}}, ["apple", "cherry", "date", "elderberry"], "nlike")


@check()
async def where_ilike(kit: Kit) -> None:
    """ilike ignores case."""
    await found(kit, {"name": {"ilike": "%BAN%"}}, ["banana"], "ilike")


@check()
async def where_nilike(kit: Kit) -> None:
    """nilike ignores case and negates."""
    await found(kit, {"name": {"nilike": "%A%"}}, ["cherry", "elderberry"], "nilike")


@check()
async def where_regexp(kit: Kit) -> None:
    """regexp matches a regular expression."""
    await found(kit, {"name": {"regexp": "^ch"}}, ["cherry"], "regexp")


@check()
async def where_regexp_with_the_i_flag(kit: Kit) -> None:
    """regexp /.../i ignores case."""
    await found(kit, {"name": {"regexp": "/^CH/i"}}, ["cherry"], "regexp /^CH/i")


@check()
async def where_regexp_is_case_sensitive(kit: Kit) -> None:
    """regexp without the i flag does not ignore case."""
    await found(kit, {"name": {"regexp": "^CH"}}, [], "regexp ^CH")


@check()
async def where_and(kit: Kit) -> None:
    """and needs every condition."""
    await found(kit, {"and": [{"active": True}, {"quantity": {"gt": 50}}]}, ["cherry"], "and")


@check()
async def where_several_properties_mean_and(kit: Kit) -> None:
    """two properties in one where both apply."""
    await found(kit, {"active": True, "price": {"lt": 2}}, ["apple"], "two properties")


@check()
async def where_or(kit: Kit) -> None:
    """or needs one condition."""
    await found(kit, {"or": [{"name": "apple"}, {"quantity": 0}]}, ["apple", "banana"], "or")


@check()
async def where_and_inside_or(kit: Kit) -> None:
    """and/or nest."""
    where = {"or": [{"and": [{"active": True}, {"price": {"lt": 2}}]}, {"name": "date"}]}
    await found(kit, where, ["apple", "date"], "and inside or")


@check()
async def where_or_inside_and(kit: Kit) -> None:
    """or/and nest the other way round."""
    where = {"and": [{"or": [{"quantity": {"lt": 6}}, {"quantity": {"gt": 50}}]}, {"price": {"neq": None}}]}
    await found(kit, where, ["banana", "cherry"], "or inside and")


@check()
async def where_range_on_one_property(kit: Kit) -> None:
    """two operators on one property both apply."""
    await found(kit, {"quantity": {"gt": 0, "lt": 10}}, ["date", "elderberry"], "gt and lt")


@check()
async def where_nested_property_path(kit: Kit) -> None:
    """a dotted path reaches into an object property."""
    await found(kit, {"meta.color": "red"}, ["apple", "cherry"], "meta.color")


@check()
async def where_nested_property_path_with_an_operator(kit: Kit) -> None:
    """operators work on dotted paths."""
    await found(kit, {"meta.size": {"gte": 2}}, ["apple", "banana"], "meta.size gte 2")


# -- fields ---------------------------------------------------------------------------------


@check()
async def fields_list_returns_only_those_properties(kit: Kit) -> None:
    """fields ["name", "price"] returns records with those two properties only."""
    await kit.seed()
    rows = await kit.find("KitItem", {"fields": ["name", "price"], "where": {"name": "apple"}})
    expect(len(rows), 1, "the number of records found")
    present = sorted(k for k, v in rows[0].items() if v is not None)
    expect(present, ["name", "price"], "the properties returned")
    expect(rows[0].get("price"), 1.5, "the price returned")


@check()
async def fields_object_true_includes(kit: Kit) -> None:
    """fields {"name": true} returns the name only."""
    await kit.seed()
    rows = await kit.find("KitItem", {"fields": {"name": True}})
    expect(sorted(r.get("name") for r in rows), ALL_NAMES, "the names returned")
    expect(sorted({k for r in rows for k, v in r.items() if v is not None}), ["name"], "the properties returned")


@check()
async def fields_object_false_excludes(kit: Kit) -> None:
    """fields {"meta": false, "tags": false} returns everything else."""
    await kit.seed()
    rows = await kit.find("KitItem", {"fields": {"meta": False, "tags": False}, "where": {"name": "apple"}})
    expect(len(rows), 1, "the number of records found")
    expect_that("meta" not in rows[0] and "tags" not in rows[0], "excluded properties must not come back", rows[0])
    expect(rows[0].get("quantity"), 10, "quantity, not excluded")
    expect_that(rows[0].get("id") is not None, "the id, not excluded, must come back", rows[0])


@check()
async def fields_with_where_order_and_limit(kit: Kit) -> None:
    """fields combine with where, order and limit."""
    await kit.seed()
    rows = await kit.find("KitItem", {"fields": ["name"], "where": {"active": True}, "order": "name DESC", "limit": 5})
    expect([r.get("name") for r in rows], ["cherry", "apple"], "names in order")
    expect(sorted({k for r in rows for k in r}), ["name"], "the properties returned")


# -- order ----------------------------------------------------------------------------------


@check()
async def order_number_ascending(kit: Kit) -> None:
    """order "quantity ASC"."""
    await ordered(kit, {"order": "quantity ASC"}, ["banana", "date", "elderberry", "apple", "cherry"], "order ASC")


@check()
async def order_number_descending(kit: Kit) -> None:
    """order "quantity DESC"."""
    await ordered(kit, {"order": "quantity DESC"}, ["cherry", "apple", "elderberry", "date", "banana"], "order DESC")


@check()
async def order_without_a_direction_is_ascending(kit: Kit) -> None:
    """order "quantity" sorts ascending."""
    await ordered(kit, {"order": "quantity"}, ["banana", "date", "elderberry", "apple", "cherry"], "order")


@check()
async def order_string(kit: Kit) -> None:
    """order by a string property."""
    await ordered(kit, {"order": "name DESC"}, ["elderberry", "date", "cherry", "banana", "apple"], "order by name")


@check()
async def order_date(kit: Kit) -> None:
    """order by a date property."""
    await ordered(
        kit, {"order": "created ASC"}, ["elderberry", "apple", "banana", "cherry", "date"], "order by created"
    )


@check()
async def order_nulls_sort_first_ascending(kit: Kit) -> None:
    """null and missing values sort before every value in ascending order."""
    await kit.seed()
    names = await kit.names({"order": "price ASC"})
    expect(sorted(names[:2]), ["date", "elderberry"], "the first two (null prices)")
    expect(names[2:], ["banana", "apple", "cherry"], "the rest, by price")


@check()
async def order_nulls_sort_last_descending(kit: Kit) -> None:
    """null and missing values sort after every value in descending order."""
    await kit.seed()
    names = await kit.names({"order": "price DESC"})
    expect(names[:3], ["cherry", "apple", "banana"], "the first three, by price")
    expect(sorted(names[3:]), ["date", "elderberry"], "the last two (null prices)")


@check()
async def order_by_two_properties(kit: Kit) -> None:
    """ "active DESC, name ASC": the second key breaks ties of the first."""
    await kit.seed()
    names = await kit.names({"order": "active DESC, name ASC"})
    expect(names[:3], ["apple", "cherry", "banana"], "the flagged records, in order")
    expect(sorted(names[3:]), ["date", "elderberry"], "the records without a flag, last")


@check()
async def order_as_a_list(kit: Kit) -> None:
    """order given as a list of "property direction" strings."""
    await kit.seed()
    names = await kit.names({"order": ["active DESC", "name DESC"]})
    expect(names[:3], ["cherry", "apple", "banana"], "the flagged records, in order")
    # null and missing flags come last; whether null sorts above missing is the backend's affair
    expect(sorted(names[3:]), ["date", "elderberry"], "the records without a flag")


# -- limit and skip -------------------------------------------------------------------------


@check()
async def limit(kit: Kit) -> None:
    """limit returns at most that many records."""
    await ordered(kit, {"order": "name", "limit": 2}, ["apple", "banana"], "limit 2")


@check()
async def skip(kit: Kit) -> None:
    """skip leaves out the first records."""
    await ordered(kit, {"order": "name", "skip": 2}, ["cherry", "date", "elderberry"], "skip 2")


@check()
async def offset_is_skip(kit: Kit) -> None:
    """offset is another name for skip."""
    await ordered(kit, {"order": "name", "offset": 3}, ["date", "elderberry"], "offset 3")


@check()
async def limit_and_skip(kit: Kit) -> None:
    """limit and skip together return one page."""
    await ordered(kit, {"order": "name", "limit": 2, "skip": 1}, ["banana", "cherry"], "page")


@check()
async def skip_past_the_end_returns_nothing(kit: Kit) -> None:
    """skip beyond the last record finds nothing."""
    await ordered(kit, {"order": "name", "skip": 10}, [], "skip 10")


@check()
async def limit_larger_than_the_table(kit: Kit) -> None:
    """a limit above the number of records returns them all."""
    await ordered(kit, {"order": "name", "limit": 50}, ALL_NAMES, "limit 50")


@check()
async def limit_with_where(kit: Kit) -> None:
    """limit applies after where."""
    await ordered(kit, {"where": {"active": True}, "order": "name DESC", "limit": 1}, ["cherry"], "where, order, limit")


@check()
async def pages_cover_every_record_once(kit: Kit) -> None:
    """pages of two, in order, cover the table without overlap."""
    await kit.seed()
    seen: list[str] = []
    for page in range(3):
        seen += await kit.names({"order": "quantity", "limit": 2, "skip": page * 2})
    expect(seen, ["banana", "date", "elderberry", "apple", "cherry"], "names over three pages")


# -- find by id and not found ---------------------------------------------------------------


@check()
async def find_by_id_finds_that_record(kit: Kit) -> None:
    """a lookup by id returns that record only."""
    ids = await kit.seed()
    record = await kit.find_by_id("KitItem", ids["cherry"]) or {}
    expect(record.get("name"), "cherry", "name of the record found by id")


@check()
async def find_by_unknown_id_finds_nothing(kit: Kit) -> None:
    """a lookup of an id that does not exist finds nothing."""
    await kit.seed()
    expect(await kit.find_by_id("KitNote", "nope"), None, "the record with an unknown id")


@check()
async def find_by_string_id(kit: Kit) -> None:
    """string ids are looked up exactly."""
    await kit.create("KitNote", {"code": "a", "title": "A"})
    await kit.create("KitNote", {"code": "ab", "title": "AB"})
    expect((await kit.find_by_id("KitNote", "a") or {}).get("title"), "A", "the record with id a")


# -- count ----------------------------------------------------------------------------------


@check()
async def count_of_an_empty_table_is_zero(kit: Kit) -> None:
    """count of an empty table is 0."""
    expect(await kit.count("KitItem"), 0, "count of an empty table")


@check()
async def count_with_where(kit: Kit) -> None:
    """count counts what where matches."""
    await kit.seed()
    expect(await kit.count("KitItem", {"active": True}), 2, "count of active records")


@check()
async def count_with_where_matching_nothing(kit: Kit) -> None:
    """count of no match is 0."""
    await kit.seed()
    expect(await kit.count("KitItem", {"name": "zucchini"}), 0, "count with no match")


@check()
async def count_with_every_kind_of_condition(kit: Kit) -> None:
    """count agrees with find for operators, or, and nested paths."""
    await kit.seed()
    where = {"or": [{"name": {"like": "%rr%"}}, {"meta.color": "yellow"}], "quantity": {"gte": 0}}
    expect(await kit.count("KitItem", where), 3, f"count with where {where!r}")


@check(modes=RAW)
async def count_returns_an_int(kit: Kit) -> None:
    """the raw count() returns an int."""
    await kit.seed()
    value = await kit.raw("count", "KitItem", None, {})
    expect_that(isinstance(value, int) and not isinstance(value, bool), "count() must return an int", value)
    expect(value, 5, "count of all records")


# -- update (with where) -------------------------------------------------------------------


@check()
async def update_returns_the_number_changed(kit: Kit) -> None:
    """update returns {"count": n} with the number of records matched."""
    await kit.seed()
    expect(await kit.update("KitItem", {"active": True}, {"quantity": 1}), {"count": 2}, "the result of update")


@check()
async def update_changes_only_what_where_matches(kit: Kit) -> None:
    """update changes the matched records and leaves the others."""
    await kit.seed()
    await kit.update("KitItem", {"active": True}, {"quantity": 1})
    rows = {r["name"]: r.get("quantity") for r in await kit.find("KitItem")}
    expect(rows, {"apple": 1, "banana": 0, "cherry": 1, "date": 5, "elderberry": 7}, "quantities after the update")


@check()
async def update_keeps_other_properties(kit: Kit) -> None:
    """update changes the given properties only."""
    ids = await kit.seed()
    await kit.update("KitItem", {"name": "apple"}, {"price": 2})
    record = await kit.find_by_id("KitItem", ids["apple"]) or {}
    expected = {**item("apple"), "price": 2, "id": ids["apple"]}
    expect(record, expected, "apple after the update")


@check()
async def update_without_where_changes_every_record(kit: Kit) -> None:
    """update with no where changes every record."""
    await kit.seed()
    expect(await kit.update("KitItem", None, {"active": False}), {"count": 5}, "result of update")
    expect(await kit.count("KitItem", {"active": False}), 5, "records now inactive")


@check()
async def update_matching_nothing_returns_zero(kit: Kit) -> None:
    """update with no match returns {"count": 0} and changes nothing."""
    await kit.seed()
    expect(await kit.update("KitItem", {"name": "zucchini"}, {"quantity": 1}), {"count": 0}, "result of update")
    expect(await kit.count("KitItem", {"quantity": 1}), 0, "records changed")


@check()
async def update_can_set_null(kit: Kit) -> None:
    """update can set a property to null."""
    await kit.seed()
    await kit.update("KitItem", {"name": "apple"}, {"price": None})
    expect(await kit.count("KitItem", {"price": None}), 3, "records with a null price")


@check()
async def update_with_a_where_the_connector_may_not_evaluate(kit: Kit) -> None:
    """update with regexp, or and nested paths changes the right records."""
    await kit.seed()
    where = {"or": [{"name": {"regexp": "^d"}}, {"meta.size": 1}]}
    expect(await kit.update("KitItem", where, {"quantity": 99}), {"count": 2}, "result of update")
    expect(sorted(await kit.names({"where": {"quantity": 99}})), ["cherry", "date"], "changed records")


# -- update_attributes ------------------------------------------------------------------------


@check()
async def update_attributes_returns_the_record(kit: Kit) -> None:
    """update_attributes returns the whole updated record."""
    ids = await kit.seed()
    record = await kit.update_attributes("KitItem", ids["apple"], {"quantity": 11})
    expect(record, {**item("apple"), "quantity": 11, "id": ids["apple"]}, "the record returned")


@check()
async def update_attributes_merges(kit: Kit) -> None:
    """update_attributes keeps the properties it was not given."""
    ids = await kit.seed()
    await kit.update_attributes("KitItem", ids["banana"], {"name": "plantain"})
    record = await kit.find_by_id("KitItem", ids["banana"]) or {}
    expect(record, {**item("banana"), "name": "plantain", "id": ids["banana"]}, "the stored record")


@check()
async def update_attributes_can_set_null(kit: Kit) -> None:
    """update_attributes can set a property to null."""
    ids = await kit.seed()
    await kit.update_attributes("KitItem", ids["apple"], {"meta": None})
    expect((await kit.find_by_id("KitItem", ids["apple"]) or {}).get("meta"), None, "meta")


@check()
async def update_attributes_of_an_unknown_id_is_not_found(kit: Kit) -> None:
    """update_attributes of an id that does not exist raises lbpy.NotFoundError."""
    await kit.create("KitNote", {"code": "here", "title": "x"})
    await expect_raises(
        NotFoundError, kit.update_attributes("KitNote", "gone", {"title": "y"}), "update_attributes of an unknown id"
    )
    expect(await kit.count("KitNote"), 1, "records after the failed update")


@check()
async def update_attributes_changes_one_record_only(kit: Kit) -> None:
    """update_attributes leaves the other records alone."""
    ids = await kit.seed()
    await kit.update_attributes("KitItem", ids["apple"], {"quantity": 1})
    expect(await kit.count("KitItem", {"quantity": 1}), 1, "records with quantity 1")


# -- replace_by_id ----------------------------------------------------------------------------


@check()
async def replace_by_id_replaces_the_whole_record(kit: Kit) -> None:
    """replace_by_id removes the properties the new data leaves out."""
    ids = await kit.seed()
    record = await kit.replace_by_id("KitItem", ids["apple"], {"name": "apricot", "quantity": 2})
    expected = {"id": ids["apple"], "name": "apricot", "quantity": 2}
    expect(record, expected, "the record returned")
    expect(await kit.find_by_id("KitItem", ids["apple"]), expected, "the stored record")


@check()
async def replace_by_id_of_an_unknown_id_is_not_found(kit: Kit) -> None:
    """replace_by_id of an id that does not exist raises lbpy.NotFoundError."""
    await expect_raises(
        NotFoundError, kit.replace_by_id("KitNote", "gone", {"title": "y"}), "replace_by_id of an unknown id"
    )
    expect(await kit.count("KitNote"), 0, "records after the failed replace")


# -- update_or_create and replace_or_create -------------------------------------------------------


@check()
async def update_or_create_creates_without_an_id(kit: Kit) -> None:
    """update_or_create with no id creates a record and returns it with its id."""
    record = await kit.update_or_create("KitItem", {"name": "fig", "quantity": 4})
    expect_that(record.get("id") is not None, "the record returned must carry its new id", record)
    expect(
        await kit.find_by_id("KitItem", record["id"]),
        {"id": record["id"], "name": "fig", "quantity": 4},
        "the stored record",
    )


@check()
async def update_or_create_creates_with_an_unknown_id(kit: Kit) -> None:
    """update_or_create with an id that does not exist creates it."""
    record = await kit.update_or_create("KitNote", {"code": "new", "title": "N"})
    expect(record, {"code": "new", "title": "N"}, "the record returned")
    expect(await kit.count("KitNote"), 1, "records after update_or_create")


@check()
async def update_or_create_patches_an_existing_record(kit: Kit) -> None:
    """update_or_create with an existing id merges into that record."""
    ids = await kit.seed()
    record = await kit.update_or_create("KitItem", {"id": ids["cherry"], "quantity": 1})
    expected = {**item("cherry"), "quantity": 1, "id": ids["cherry"]}
    expect(record, expected, "the record returned")
    expect(await kit.find_by_id("KitItem", ids["cherry"]), expected, "the stored record")
    expect(await kit.count("KitItem"), 5, "records after update_or_create")


@check()
async def replace_or_create_creates(kit: Kit) -> None:
    """replace_or_create with an unknown id creates the record."""
    record = await kit.replace_or_create("KitNote", {"code": "r", "title": "R"})
    expect(record, {"code": "r", "title": "R"}, "the record returned")
    expect(await kit.find_by_id("KitNote", "r"), {"code": "r", "title": "R"}, "the stored record")


@check()
async def replace_or_create_replaces_an_existing_record(kit: Kit) -> None:
    """replace_or_create with an existing id replaces that record whole."""
    ids = await kit.seed()
    record = await kit.replace_or_create("KitItem", {"id": ids["apple"], "name": "apricot"})
    expect(record, {"id": ids["apple"], "name": "apricot"}, "the record returned")
    expect(await kit.find_by_id("KitItem", ids["apple"]), {"id": ids["apple"], "name": "apricot"}, "the stored record")
    expect(await kit.count("KitItem"), 5, "records after replace_or_create")


# -- destroy_all --------------------------------------------------------------------------------


@check()
async def destroy_all_returns_the_number_removed(kit: Kit) -> None:
    """destroy_all returns {"count": n} with the number of records removed."""
    await kit.seed()
    expect(await kit.destroy_all("KitItem", {"active": True}), {"count": 2}, "result of destroy_all")


@check()
async def destroy_all_removes_only_what_where_matches(kit: Kit) -> None:
    """destroy_all removes the matched records and keeps the others."""
    await kit.seed()
    await kit.destroy_all("KitItem", {"quantity": {"lt": 6}})
    expect(sorted(await kit.names()), ["apple", "cherry", "elderberry"], "records left")


@check()
async def destroy_all_without_where_empties_the_table(kit: Kit) -> None:
    """destroy_all with no where removes every record."""
    await kit.seed()
    expect(await kit.destroy_all("KitItem"), {"count": 5}, "result of destroy_all")
    expect(await kit.count("KitItem"), 0, "records left")


@check()
async def destroy_all_matching_nothing_returns_zero(kit: Kit) -> None:
    """destroy_all with no match returns {"count": 0}."""
    await kit.seed()
    expect(await kit.destroy_all("KitItem", {"name": "zucchini"}), {"count": 0}, "result")
    expect(await kit.count("KitItem"), 5, "records left")


@check()
async def destroy_by_id_then_find_finds_nothing(kit: Kit) -> None:
    """a record destroyed by its id is gone."""
    ids = await kit.seed()
    expect(await kit.destroy_all("KitItem", {"id": ids["date"]}), {"count": 1}, "result")
    expect(await kit.find_by_id("KitItem", ids["date"]), None, "the destroyed record")
    expect(await kit.count("KitItem"), 4, "records left")


@check()
async def destroy_an_unknown_id_returns_zero(kit: Kit) -> None:
    """destroying an id that does not exist returns {"count": 0}."""
    await kit.create("KitNote", {"code": "k", "title": "K"})
    expect(await kit.destroy_all("KitNote", {"code": "gone"}), {"count": 0}, "result")


@check()
async def destroy_all_with_a_where_the_connector_may_not_evaluate(kit: Kit) -> None:
    """destroy_all with like, or and nested paths removes the right records."""
    await kit.seed()
    where = {"or": [{"name": {"ilike": "%RR%"}}, {"meta.color": "yellow"}]}
    expect(await kit.destroy_all("KitItem", where), {"count": 3}, "result of destroy_all")
    expect(sorted(await kit.names()), ["apple", "date"], "records left")


@check()
async def ids_are_not_reused_after_a_destroy(kit: Kit) -> None:
    """a record created after a destroy does not take a destroyed record's id."""
    first = await kit.create("KitItem", {"name": "a"})
    second = await kit.create("KitItem", {"name": "b"})
    await kit.destroy_all("KitItem", {"id": second})
    third = await kit.create("KitItem", {"name": "c"})
    expect_that(
        third not in (first, second),
        "a new id must differ from the destroyed one",
        {"first": first, "destroyed": second, "new": third},
    )


# -- raw return values ----------------------------------------------------------------------


@check(modes=RAW)
async def raw_update_returns_a_count_dict(kit: Kit) -> None:
    """the raw update() returns {"count": n}."""
    await kit.seed()
    info = await kit.raw("update", "KitItem", {"quantity": {"eq": 0}}, {"quantity": 3}, {})
    expect(info, {"count": 1}, "update() result")


@check(modes=RAW)
async def raw_destroy_all_returns_a_count_dict(kit: Kit) -> None:
    """the raw destroy_all() returns {"count": n}."""
    await kit.seed()
    info = await kit.raw("destroy_all", "KitItem", None, {})
    expect(info, {"count": 5}, "destroy_all() result")


@check(modes=RAW)
async def raw_update_attributes_returns_the_record_with_its_id(kit: Kit) -> None:
    """the raw update_attributes() returns a dict that carries the id."""
    ids = await kit.seed()
    record = await kit.raw("update_attributes", "KitItem", ids["apple"], {"quantity": 2}, {})
    expect_that(isinstance(record, dict), "update_attributes() must return a dict", record)
    expect(record.get("id"), ids["apple"], "the id in the record returned")
    expect(record.get("quantity"), 2, "the quantity in the record returned")


# -- concurrency ------------------------------------------------------------------------------


@check()
async def concurrent_creates_get_distinct_ids(kit: Kit) -> None:
    """twenty creates at once all succeed with twenty different ids."""
    ids: list[Any] = []

    async def create(n: int) -> None:
        ids.append(await kit.create("KitItem", {"name": f"c{n}", "quantity": n}))

    async with anyio.create_task_group() as group:
        for n in range(20):
            group.start_soon(create, n)
    expect(len(set(ids)), 20, f"distinct ids among {ids!r}")
    expect(await kit.count("KitItem"), 20, "records stored")


@check()
async def concurrent_creates_with_given_ids(kit: Kit) -> None:
    """creates of different given ids at once all succeed."""
    async with anyio.create_task_group() as group:
        for n in range(10):
            group.start_soon(kit.create, "KitNote", {"code": f"k{n}", "title": str(n)})
    expect(await kit.count("KitNote"), 10, "records stored")


@check()
async def concurrent_updates_of_different_records_all_apply(kit: Kit) -> None:
    """update_attributes of ten records at once each change their own record."""
    ids = [await kit.create("KitItem", {"name": f"u{n}", "quantity": 0}) for n in range(10)]
    async with anyio.create_task_group() as group:
        for n, id in enumerate(ids):
            group.start_soon(kit.update_attributes, "KitItem", id, {"quantity": n + 1})
    rows = {r["name"]: r.get("quantity") for r in await kit.find("KitItem")}
    expect(rows, {f"u{n}": n + 1 for n in range(10)}, "quantities after the updates")


@check()
async def concurrent_destroys_of_different_records(kit: Kit) -> None:
    """destroys of ten records at once remove each one once."""
    ids = [await kit.create("KitItem", {"name": f"d{n}"}) for n in range(10)]
    counts: list[int] = []

    async def destroy(id: Any) -> None:
        counts.append((await kit.destroy_all("KitItem", {"id": id}))["count"])

    async with anyio.create_task_group() as group:
        for id in ids:
            group.start_soon(destroy, id)
    expect(sorted(counts), [1] * 10, "the count each destroy returned")
    expect(await kit.count("KitItem"), 0, "records left")


@check()
async def concurrent_reads_and_writes(kit: Kit) -> None:
    """finds running during creates see whole records only."""
    await kit.seed()
    bad: list[Any] = []

    async def read() -> None:
        for row in await kit.find("KitItem"):
            if row.get("name") is None:
                bad.append(row)

    async with anyio.create_task_group() as group:
        for n in range(10):
            group.start_soon(kit.create, "KitItem", {"name": f"w{n}"})
            group.start_soon(read)
    expect(bad, [], "records read without their name")
    expect(await kit.count("KitItem"), 15, "records stored")


# -- lifecycle ----------------------------------------------------------------------------------


@check(modes=RAW)
async def ping_succeeds_when_connected(kit: Kit) -> None:
    """ping() returns without raising on a connected datasource."""
    await kit.datasource.ping()


@check()
async def data_survives_disconnect_and_connect(kit: Kit) -> None:
    """records are still there after the datasource disconnects and connects again."""
    ids = await kit.seed()
    await kit.datasource.disconnect()
    await kit.datasource.connect()
    expect((await kit.find_by_id("KitItem", ids["apple"]) or {}).get("name"), "apple", "apple after reconnecting")


# -- discovery ----------------------------------------------------------------------------------


def _lower(values: Any) -> list[str]:
    return sorted(str(v).lower() for v in values)


@check(modes=RAW)
async def discover_model_definitions_lists_the_tables(kit: Kit) -> None:
    """discover_model_definitions returns [{"name", "type"}, ...] including the kit's tables."""
    found_ = await kit.datasource.discover_model_definitions()
    expect_that(
        isinstance(found_, list)
        and all(
            isinstance(d, dict) and isinstance(d.get("name"), str) and isinstance(d.get("type"), str) for d in found_
        ),
        'discover_model_definitions() must return [{"name": str, "type": str}]',
        found_,
    )
    names = _lower(d["name"] for d in found_)
    expect_that(
        "kititem" in names and "kitnote" in names, "the kit's tables (KitItem, KitNote) must be discovered", names
    )


@check(modes=RAW)
async def discover_model_properties_describes_the_columns(kit: Kit) -> None:
    """discover_model_properties returns one entry per column, with name, type and nullable."""
    columns = await kit.datasource.discover_model_properties("KitItem")
    expect_that(
        isinstance(columns, list) and all(isinstance(c, dict) for c in columns),
        "discover_model_properties() must return a list of dicts",
        columns,
    )
    names = _lower(c.get("columnName") for c in columns)
    for wanted in ("id", "name", "price", "quantity", "active", "created"):
        expect_that(wanted in names, f"a column {wanted} must be discovered", names)
    for column in columns:
        expect_that(
            isinstance(column.get("columnName"), str) and bool(column.get("type") or column.get("dataType")),
            "each column needs a columnName and a type or dataType",
            column,
        )
        expect_that(
            column.get("nullable") in ("Y", "N", "YES", "NO", True, False, 0, 1),
            'each column says whether it is nullable ("Y" or "N")',
            column,
        )


@check(modes=RAW)
async def discover_model_properties_of_an_unknown_table_is_empty(kit: Kit) -> None:
    """discover_model_properties of a table that does not exist returns []."""
    expect(await kit.datasource.discover_model_properties("NoSuchTable"), [], "columns")


@check(modes=RAW)
async def discover_primary_keys_names_the_id(kit: Kit) -> None:
    """discover_primary_keys returns the id column with keySeq 1."""
    keys = await kit.datasource.discover_primary_keys("KitItem")
    expect_that(isinstance(keys, list) and len(keys) == 1, "one primary key column", keys)
    expect(str(keys[0].get("columnName")).lower(), "id", "the primary key column")
    expect(keys[0].get("keySeq"), 1, "its keySeq")


@check(modes=RAW)
async def discover_foreign_keys_returns_a_list(kit: Kit) -> None:
    """discover_foreign_keys returns a list of dicts naming both ends."""
    keys = await kit.datasource.discover_foreign_keys("KitItem")
    expect_that(isinstance(keys, list), "discover_foreign_keys() must return a list", keys)
    for key in keys:
        expect_that(
            all(k in key for k in ("fkColumnName", "pkTableName", "pkColumnName")),
            "a foreign key names fkColumnName, pkTableName and pkColumnName",
            key,
        )


@check(modes=RAW)
async def discover_schemas_builds_a_model_definition(kit: Kit) -> None:
    """discover_schemas returns {name: model JSON} that lbpy can boot, id property included."""
    schemas = await kit.datasource.discover_schemas("KitItem")
    expect_that(
        isinstance(schemas, dict) and len(schemas) >= 1,
        "discover_schemas() must return {model name: definition}",
        schemas,
    )
    name, definition = next(iter(schemas.items()))
    expect(name.lower(), "kititem", "the model name")
    parsed = ModelDefinition.model_validate(definition)
    properties = {key: build_property(key, raw, set()) for key, raw in parsed.properties.items()}
    ids = [key for key, prop in properties.items() if prop.is_id]
    expect(_lower(ids), ["id"], "the id property of the discovered model")
    expect_that(
        "quantity" in _lower(properties) and "name" in _lower(properties),
        "the discovered model must have the table's columns",
        sorted(properties),
    )
    types = {key.lower(): prop.type.name for key, prop in properties.items()}
    expect(types.get("quantity"), "number", "the type of quantity")
    expect(types.get("name"), "string", "the type of name")


@check(modes=RAW)
async def discover_schemas_of_an_unknown_table_is_not_found(kit: Kit) -> None:
    """discover_schemas of a table that does not exist raises lbpy.NotFoundError."""
    await expect_raises(
        NotFoundError, kit.datasource.discover_schemas("NoSuchTable"), "discover_schemas of an unknown table"
    )


__all__ = ["CHECKS", "Check", "check", "same"]

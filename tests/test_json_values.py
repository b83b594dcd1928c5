"""LoopBack's JSON values: one encoder for the memory file, SQL JSON columns, answers and events."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from lbpy._json_values import format_date, json_default, json_value


def test_a_date_is_written_as_javascripts_to_json():
    moment = datetime(2026, 11, 24, 19, 9, 26, 123456, tzinfo=timezone.utc)
    assert format_date(moment) == "2026-11-24T19:09:26.123Z"


def test_a_date_in_another_zone_is_written_in_utc():
    paris = timezone(timedelta(hours=1))
    assert format_date(datetime(2026, 1, 1, 0, 30, tzinfo=paris)) == "2025-12-31T23:30:00.000Z"


def test_a_year_before_1000_has_four_digits_as_javascripts_to_iso_string():
    assert format_date(datetime(299, 8, 28, 7, 14, 14, tzinfo=timezone.utc)) == "0299-08-28T07:14:14.000Z"
    assert format_date(datetime(1, 1, 1, tzinfo=timezone.utc)) == "0001-01-01T00:00:00.000Z"


def test_a_naive_date_is_taken_as_utc():
    assert format_date(datetime(2026, 1, 2, 3, 4, 5)) == "2026-01-02T03:04:05.000Z"


def test_json_value_writes_dates_buffers_and_records_inside_containers():
    class Record:
        def to_json(self):
            return {"id": 1}

    value = {
        "at": [datetime(2026, 1, 1, tzinfo=timezone.utc)],
        "blob": b"\x00\xff",
        "who": Record(),
        "plain": ("a", 1, 2.5, True, None),
    }
    assert json_value(value) == {
        "at": ["2026-01-01T00:00:00.000Z"],
        "blob": {"type": "Buffer", "data": [0, 255]},
        "who": {"id": 1},
        "plain": ["a", 1, 2.5, True, None],
    }


def test_storing_writes_the_same_text_and_refuses_what_is_not_json():
    stored = json.dumps(
        {"at": datetime(2026, 1, 1, tzinfo=timezone.utc), "blob": bytearray(b"hi")}, default=json_default
    )
    assert json.loads(stored) == {"at": "2026-01-01T00:00:00.000Z", "blob": {"type": "Buffer", "data": [104, 105]}}
    with pytest.raises(TypeError, match="set cannot be stored as JSON"):
        json.dumps({"tags": {"a"}}, default=json_default)


@pytest.mark.parametrize("connector", ["memory", "sqlite"])
def test_an_ancient_date_round_trips_over_http(make_client, tmp_path, connector):
    client = make_client(
        {"Event": {"properties": {"at": "date"}}},
        datasources={
            "db": {"name": "db", "connector": connector, "file": str(tmp_path / "db.sqlite3"), "autoupdate": True}
        },
    )
    assert client.post("/api/Events", json={"at": "0299-08-28T07:14:14Z"}).json()["at"] == "0299-08-28T07:14:14.000Z"
    found = client.get("/api/Events", params={"filter": '{"where": {"at": {"lt": "1000-01-01T00:00:00Z"}}}'})
    assert [event["at"] for event in found.json()] == ["0299-08-28T07:14:14.000Z"]


def test_a_client_emoji_written_as_a_surrogate_pair_is_text():
    from lbpy._json_values import loads

    assert loads('{"name": "\\ud83d\\ude00"}') == {"name": "\U0001f600"}


def test_a_lone_surrogate_or_deep_nesting_is_refused():
    from lbpy._json_values import UnusableJsonError, loads

    with pytest.raises(UnusableJsonError, match="lone UTF-16 surrogate"):
        loads('{"name": ["ok", {"k": "a\\udc00"}]}')
    with pytest.raises(UnusableJsonError, match="nested more than 100 levels"):
        loads("[" * 101 + "]" * 101)
    assert loads("[" * 100 + "]" * 100)  # as deep as allowed


def test_integers_beyond_64_bits_are_read_as_javascript_reads_them():
    from lbpy._json_values import loads

    assert loads("[9223372036854775807, -9223372036854775808, 9223372036854775808, 1180591620717411303424]") == [
        9223372036854775807,
        -9223372036854775808,
        9.223372036854776e18,
        1.1805916207174113e21,
    ]


def test_stored_json_reads_numbers_as_javascript_and_never_fails():
    from lbpy._json_values import loads_stored

    # PostgreSQL's JSONB writes a stored 1e30 back as 31 digits
    assert loads_stored('{"x": 1000000000000000000000000000000}') == {"x": 1e30}
    assert loads_stored(b"[9223372036854775807, 1e400]") == [9223372036854775807, float("inf")]
    assert loads_stored("[1" + "0" * 5000 + "]") == [float("inf")]
    assert loads_stored("not json {") == "not json {"


def test_what_cannot_be_answered_as_it_is_is_answered_as_the_nearest_json():
    from decimal import Decimal

    import orjson

    from lbpy._json_values import encodable

    value = {"big": 10**30, "vast": -(10**400), "d": Decimal("2.50"), "n": Decimal("7"), "s": "a\ud800", 1: {3}}
    assert orjson.loads(orjson.dumps(encodable(value))) == {
        "big": 1e30,
        "vast": None,
        "d": 2.5,
        "n": 7,
        "s": "a\ufffd",
        "1": [3],
    }

"""JSONPath, the subset response paths use."""

from __future__ import annotations

import pytest

from lbpy.http import JsonPath, JsonPathError

DATA = {
    "results": [
        {"geometry": {"location": {"lat": 37.5, "lng": -122.3}}, "name": "a"},
        {"geometry": {"location": {"lat": 40.7}}, "name": "b"},
    ],
    "meta": {"next": "c2", "count": 2},
}


@pytest.mark.parametrize(
    "path, expected",
    [
        ("$", [DATA]),
        ("$.meta.next", ["c2"]),
        ("$['meta']['count']", [2]),
        ('$["meta"].count', [2]),
        ("$.results[0].geometry.location", [{"lat": 37.5, "lng": -122.3}]),
        ("$.results[-1].name", ["b"]),
        ("$.results[*].name", ["a", "b"]),
        ("$.results[0:1].name", ["a"]),
        ("$.results[0,1].geometry.location.lat", [37.5, 40.7]),
        ("$..lat", [37.5, 40.7]),
        ("$..location.lng", [-122.3]),
        ("$.meta.*", ["c2", 2]),
        ("$.nothing.here", []),
        ("$.results[5]", []),
        ("results[1].name", ["b"]),
    ],
)
def test_paths_find_every_match(path, expected):
    assert JsonPath(path).find(DATA) == expected


def test_first_is_the_first_match_or_the_default():
    assert JsonPath("$.results[*].name").first(DATA) == "a"
    assert JsonPath("$.none").first(DATA, "x") == "x"


@pytest.mark.parametrize(
    "path, message",
    [
        ("$.results[?(@.name == 'a')]", "filter and script expressions"),
        ("$.results[(@.length-1)]", "filter and script expressions"),
        ("$.results[0", "is not closed"),
        ("$.", 'a name must follow "."'),
        ("", "non-empty string"),
    ],
)
def test_what_the_subset_does_not_read_is_refused_with_a_reason(path, message):
    with pytest.raises(
        JsonPathError, match=message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[").replace("?", r"\?")
    ):
        JsonPath(path)

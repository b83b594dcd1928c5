"""Evaluating filters in Python: LIKE patterns match as SQL LIKE does, in linear time."""

from __future__ import annotations

import random
import re
import subprocess
import sys
import textwrap

import pytest

from lbpy._filter import like_search


def reference(pattern: str, insensitive: bool = False) -> re.Pattern:
    """SQL LIKE as a backtracking regular expression: right answers, unbounded time."""
    out, escaped = [], False
    for char in pattern:
        if escaped:
            out.append(re.escape(char))
            escaped = False
        elif char == "\\":
            escaped = True
        else:
            out.append(".*" if char == "%" else "." if char == "_" else re.escape(char))
    return re.compile("".join(out), re.S | (re.I if insensitive else 0))


@pytest.mark.parametrize("insensitive", [False, True])
def test_like_matches_what_sql_like_matches(insensitive):
    rng = random.Random(9)
    for _ in range(3000):
        pattern = "".join(rng.choice("aAb%_\\") for _ in range(rng.randint(0, 7)))
        value = "".join(rng.choice("aAb_%\\\n") for _ in range(rng.randint(0, 10)))
        expected = reference(pattern, insensitive).search(value) is not None
        assert like_search(pattern, insensitive)(value) is expected, (pattern, value)


def test_escaped_wildcards_are_literal():
    assert like_search(r"100\%")("it is 100% done")
    assert not like_search(r"100\%")("it is 1000 done")
    assert like_search(r"a\_b")("a_b") and not like_search(r"a\_b")("axb")


HOSTILE = textwrap.dedent("""
    import json, sys
    from starlette.testclient import TestClient
    sys.path.insert(0, {tests!r})
    from conftest import write_app
    from lbpy import create_app
    from pathlib import Path
    datasources = {{"db": {{"name": "db", "connector": {connector!r}, "file": {file!r}, "autoupdate": True}}}}
    root = write_app(Path({root!r}), {{"Note": {{"properties": {{"title": "string"}}}}}}, datasources=datasources)
    with TestClient(create_app(root)) as client:
        client.post("/api/Notes", json={{"title": "x" * 20000}})
        pattern = "%x" * 40 + "%y"
        for op in ("like", "ilike", "nlike", "nilike"):
            answer = client.get("/api/Notes/count", params={{"where": json.dumps({{"title": {{op: pattern}}}})}})
            print(op, answer.json()["count"])
        client.post("/api/Notes", json={{"title": "a" * 5000 + "b"}})
        catastrophic = json.dumps({{"where": {{"title": {{"regexp": "^(a+)+$"}}}}}})
        answer = client.get("/api/Notes", params={{"filter": catastrophic}})
        print("regexp", answer.status_code, answer.json()["error"]["code"])
        answer = client.get("/api/Notes/count", params={{"where": json.dumps({{"title": {{"regexp": "/^A+B$/i"}}}})}})
        print("regexp", answer.json()["count"])
""")


@pytest.mark.parametrize("connector", ["memory", "sqlite"])
def test_a_pattern_cannot_hold_the_server(tmp_path, connector):
    """A backtracking matcher takes minutes on these patterns; the guard only ends a hang."""
    from pathlib import Path

    code = HOSTILE.format(
        tests=str(Path(__file__).parents[1]),
        connector=connector,
        file=str(tmp_path / "db.sqlite3"),
        root=str(tmp_path / "app"),
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [
        "like",
        "0",
        "ilike",
        "0",
        "nlike",
        "1",
        "nilike",
        "1",
        "regexp",
        "400",
        "INVALID_FILTER",
        "regexp",
        "1",
    ]

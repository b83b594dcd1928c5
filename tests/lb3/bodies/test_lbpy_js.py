"""lbpy.js applies JavaScript's rules: each helper gives what node gives for the same expression.

The expected values are written here; with node installed, node evaluates the JavaScript beside each
case too, so that the table itself is checked against the real thing."""

from __future__ import annotations

import json
import math
import shutil
import subprocess

import pytest

from lbpy import js

NAN, INF = math.nan, math.inf

#: (the Python call, the JavaScript expression, the value JavaScript gives)
CASES = [
    (lambda: js.add(1, "2"), "1 + '2'", "12"),
    (lambda: js.add("a", None), "'a' + undefined", "aundefined"),
    (lambda: js.add(1, None), "1 + undefined", NAN),
    (lambda: js.add(True, 1), "true + 1", 2),
    (lambda: js.add([1, 2], "x"), "[1, 2] + 'x'", "1,2x"),
    (lambda: js.add({}, "x"), "({}) + 'x'", "[object Object]x"),
    (lambda: js.add(0.1, 0.2), "0.1 + 0.2", 0.30000000000000004),
    (lambda: js.to_string(3.0), "String(3.0)", "3"),
    (lambda: js.to_string(0.1 + 0.2), "String(0.1 + 0.2)", "0.30000000000000004"),
    (lambda: js.to_string(1.5e-7), "String(1.5e-7)", "1.5e-7"),
    (lambda: js.to_string(1e21), "String(1e21)", "1e+21"),
    (lambda: js.to_string(-0.0), "String(-0)", "0"),
    (lambda: js.to_string(True), "String(true)", "true"),
    (lambda: js.to_string([1, [2, 3], None]), "String([1, [2, 3], undefined])", "1,2,3,"),
    (lambda: js.to_string(NAN), "String(NaN)", "NaN"),
    (lambda: js.truthy([]), "!![]", True),
    (lambda: js.truthy({}), "!!{}", True),
    (lambda: js.truthy(""), "!!''", False),
    (lambda: js.truthy(0.0), "!!0.0", False),
    (lambda: js.truthy(NAN), "!!NaN", False),
    (lambda: js.truthy("0"), "!!'0'", True),
    (lambda: js.loose_equals("1", 1), "'1' == 1", True),
    (lambda: js.loose_equals(None, 0), "undefined == 0", False),
    (lambda: js.loose_equals(None, None), "null == undefined", True),
    (lambda: js.loose_equals("", 0), "'' == 0", True),
    (lambda: js.loose_equals(True, "1"), "true == '1'", True),
    (lambda: js.loose_equals([1], 1), "[1] == 1", True),
    (lambda: js.strict_equals(1, 1.0), "1 === 1.0", True),
    (lambda: js.strict_equals(True, 1), "true === 1", False),
    (lambda: js.strict_equals("a", "a"), "'a' === 'a'", True),
    (lambda: js.strict_equals([], []), "[] === []", False),
    (lambda: js.compare("10", "<", "9"), "'10' < '9'", True),
    (lambda: js.compare(10, "<", "9"), "10 < '9'", False),
    (lambda: js.compare(None, "<", 1), "undefined < 1", False),
    (lambda: js.compare("a", "<", 1), "'a' < 1", False),
    (lambda: js.compare(2, ">=", 2.0), "2 >= 2.0", True),
    (lambda: js.remainder(-7, 3), "-7 % 3", -1),
    (lambda: js.remainder(7.5, 2), "7.5 % 2", 1.5),
    (lambda: js.remainder(5, 0), "5 % 0", NAN),
    (lambda: js.divide(1, 0), "1 / 0", INF),
    (lambda: js.divide(-1, 0), "-1 / 0", -INF),
    (lambda: js.divide(0, 0), "0 / 0", NAN),
    (lambda: js.divide(7, 2), "7 / 2", 3.5),
    (lambda: js.divide("9", 3), "'9' / 3", 3),
    (lambda: js.round_half_up(2.5), "Math.round(2.5)", 3),
    (lambda: js.round_half_up(-2.5), "Math.round(-2.5)", -2),
    (lambda: js.round_half_up(2.4), "Math.round(2.4)", 2),
    (
        lambda: js.json_stringify({"a": [1, 2.0, None, "x"], "b": True}),
        "JSON.stringify({a: [1, 2.0, null, 'x'], b: true})",
        '{"a":[1,2,null,"x"],"b":true}',
    ),
    (lambda: js.json_stringify("é\n"), "JSON.stringify('é\\n')", '"é\\n"'),
    (lambda: js.json_stringify({"a": 1}, indent=2), "JSON.stringify({a: 1}, null, 2)", '{\n  "a": 1\n}'),
    (lambda: js.join([1, None, "a"], "-"), "[1, null, 'a'].join('-')", "1--a"),
    (lambda: js.index_of("hello", "l"), "'hello'.indexOf('l')", 2),
    (lambda: js.index_of([1, 2, 3], 2), "[1, 2, 3].indexOf(2)", 1),
    (lambda: js.index_of([1, 2, 3], "2"), "[1, 2, 3].indexOf('2')", -1),
    (lambda: js.includes([1, 2], 2), "[1, 2].includes(2)", True),
    (lambda: js.includes([NAN], NAN), "[NaN].includes(NaN)", True),
    (lambda: js.includes("abc", "bc"), "'abc'.includes('bc')", True),
    (lambda: js.item([1, 2], 5), "[1, 2][5]", None),
    (lambda: js.item([1, 2], -1), "[1, 2][-1]", None),
    (lambda: js.item({"a": 1}, "a"), "({a: 1})['a']", 1),
    (lambda: js.item("abc", 1), "'abc'[1]", "b"),
    (lambda: js.number(" 42 "), "Number(' 42 ')", 42),
    (lambda: js.number("4x"), "Number('4x')", NAN),
    (lambda: js.number(""), "Number('')", 0),
    (lambda: js.number(True), "Number(true)", 1),
    (lambda: js.number("0x10"), "Number('0x10')", 16),
    (lambda: js.number("1e3"), "Number('1e3')", 1000),
    (lambda: js.type_of("x"), "typeof 'x'", "string"),
    (lambda: js.type_of(1.5), "typeof 1.5", "number"),
    (lambda: js.type_of({}), "typeof {}", "object"),
    (lambda: js.type_of(None), "typeof undefined", "undefined"),
    (lambda: js.type_of(False), "typeof false", "boolean"),
]


def encoded(value):
    """A value as JSON can carry it from node: NaN and the infinities as their names."""
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return js.to_string(value)
    return value


@pytest.mark.parametrize(("call", "javascript", "expected"), CASES, ids=[c[1] for c in CASES])
def test_helper_gives_what_javascript_gives(call, javascript, expected):
    assert encoded(call()) == encoded(expected)
    if isinstance(expected, (int, float)) and not isinstance(expected, bool):
        assert not isinstance(call(), bool)


def test_the_table_is_what_node_says():
    if shutil.which("node") is None:
        pytest.skip("node is not installed")
    program = (
        "const values = [" + ", ".join(f"(() => {javascript})()" for _, javascript, _ in CASES) + "];\n"
        "const out = values.map(v =>\n"
        "  (typeof v === 'number' && !isFinite(v)) ? String(v) : (v === undefined ? null : v));\n"
        "process.stdout.write(JSON.stringify(out));"
    )
    done = subprocess.run(["node", "-e", program], capture_output=True, text=True, timeout=60, check=True)
    answers = json.loads(done.stdout)
    for (_, javascript, expected), answer in zip(CASES, answers, strict=True):
        assert encoded(expected) == answer, javascript


def test_console_log_writes_to_the_app_log(caplog):
    with caplog.at_level("INFO", logger="lbpy.app"):
        js.console.log("created", {"id": 1}, 2.0)
        js.console.warn("careful")
        js.console.log("Current hour is %d", 14.0)
        js.console.log("%s has %i items (100%%)", "cart", 3.7, "extra")
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        ("INFO", 'created {"id":1} 2'),
        ("WARNING", "careful"),
        ("INFO", "Current hour is 14"),
        ("INFO", "cart has 3 items (100%) extra"),
    ]


@pytest.mark.parametrize(
    ("status", "kind", "answered"),
    [
        (404, "HttpError", "the message"),
        ("422", "HttpError", "the message"),
        (503, "HttpError", "Service Unavailable"),
        (500, "RuntimeError", None),
        (None, "RuntimeError", None),
        (302, "RuntimeError", None),
        (799, "RuntimeError", None),
    ],
)
def test_error_is_answered_as_loopback3_answered_it(status, kind, answered):
    error = js.error("the message", status_code=status, code="CODE")
    assert type(error).__mro__[1 if kind == "HttpError" and status == 503 else 0].__name__ == kind
    assert str(error) == "the message"  # what err.message read
    if answered is not None:
        assert error.message == answered
        assert error.status_code == int(status)

"""lbpy's public API is exactly what the Python API reference documents, and each name is importable."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import lbpy

PYTHON_API = Path(__file__).resolve().parents[1] / "docs" / "reference" / "python-api.md"


def documented_names() -> list[str]:
    text = PYTHON_API.read_text("utf-8")
    block = re.search(r"<!-- public-api -->(.*?)<!-- /public-api -->", text, re.S)
    assert block, "docs/reference/python-api.md lists the public API between <!-- public-api --> markers"
    return re.findall(r"`([A-Za-z_][A-Za-z0-9_]*)`", block.group(1))


def test_lbpy_exports_exactly_the_documented_names():
    assert sorted(lbpy.__all__) == sorted(documented_names())


@pytest.mark.parametrize("name", sorted(lbpy.__all__))
def test_each_public_name_is_importable(name):
    namespace: dict = {}
    exec(f"from lbpy import {name}", namespace)  # noqa: S102 - the import statement itself is under test
    assert namespace[name] is getattr(lbpy, name)


def test_an_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        lbpy.Nope  # noqa: B018


def test_dir_lists_the_public_names():
    assert dir(lbpy) == sorted(lbpy.__all__)


# -- lbpy.http, the HTTP layer connector packages import ----------------------------------------


def documented_http_names() -> list[str]:
    text = PYTHON_API.read_text("utf-8")
    block = re.search(r"<!-- public-api-http -->(.*?)<!-- /public-api-http -->", text, re.S)
    assert block, "docs/reference/python-api.md lists lbpy.http's API between <!-- public-api-http --> markers"
    return re.findall(r"`([A-Za-z_][A-Za-z0-9_]*)`", block.group(1))


def test_lbpy_http_exports_exactly_the_documented_names():
    import lbpy.http

    assert sorted(lbpy.http.__all__) == sorted(documented_http_names())


def test_each_lbpy_http_name_is_importable():
    import lbpy.http

    for name in lbpy.http.__all__:
        namespace: dict = {}
        exec(f"from lbpy.http import {name}", namespace)  # noqa: S102 - the import statement itself is under test
        assert namespace[name] is getattr(lbpy.http, name)


def test_lbpy_does_not_load_the_http_layer_until_it_is_used():
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", "import lbpy, sys; lbpy.Connector; print('httpx' in sys.modules)"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.stdout.strip() == "False"


# -- lbpy.js, JavaScript's rules for code ported by lbpy import-lb3 ------------------------------------


def test_lbpy_js_exports_exactly_its_public_names():
    import lbpy.js

    defined = {
        name
        for name, value in vars(lbpy.js).items()
        if not name.startswith("_") and getattr(value, "__module__", type(value).__module__) == "lbpy.js"
    }
    assert sorted(lbpy.js.__all__) == sorted(defined)
    for name in lbpy.js.__all__:
        assert __import__("lbpy.js", fromlist=[name]).__dict__[name] is getattr(lbpy.js, name)


def test_ported_code_imports_lbpy_js_as_js():
    # what import-lb3 writes: from lbpy import js
    js = __import__("lbpy", fromlist=["js"]).js
    assert js.add(1, "2") == "12"

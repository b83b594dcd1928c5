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
    exec(f"from lbpy import {name}", namespace)
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
        exec(f"from lbpy.http import {name}", namespace)
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

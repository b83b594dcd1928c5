"""lbpy's public API is exactly what README documents, and each name is importable."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import lbpy

README = Path(__file__).resolve().parents[1] / "README.md"


def documented_names() -> list[str]:
    text = README.read_text("utf-8")
    block = re.search(r"<!-- public-api -->(.*?)<!-- /public-api -->", text, re.S)
    assert block, "README.md lists the public API between <!-- public-api --> markers"
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

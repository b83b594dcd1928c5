"""The public names a connector author uses, and what importing them costs."""

from __future__ import annotations

import subprocess
import sys

import lbpy
import lbpy.testing


def test_the_conformance_kit_is_lbpy_testing():
    assert sorted(lbpy.testing.__all__) == sorted(
        [
            "CHECKS",
            "Check",
            "ConnectorConformance",
            "ITEMS",
            "KIT_MODELS",
            "Kit",
            "RELATION_MODELS",
            "check",
            "expect",
            "expect_raises",
            "expect_that",
            "same",
        ]
    )


def test_importing_lbpy_loads_neither_the_kit_nor_the_template_engine():
    code = (
        "import sys, lbpy, lbpy._cli; "
        "print(sorted(m for m in ('lbpy.testing', 'pytest', 'cookiecutter', 'jinja2', "
        "'lbpy._connectors._discovery') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"

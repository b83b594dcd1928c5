"""Schemathesis on the OpenAPI 3 document of the LoopBack 3 style app on SQLite, PostgreSQL and MariaDB,
bounded: no 5xx, and no answer the document does not describe."""

from __future__ import annotations

import pytest
from openapi_fuzz import fuzz, summary, write_shop
from sql_support import datasource_settings, sql_session  # noqa: F401

pytest.importorskip("schemathesis", reason="the fuzz tests need schemathesis (pip install -e '.[test]')")

#: schemathesis walks every operation of each document: minutes on this 2-core machine, so the hang
#: guard is the one installing tests get (tests/conftest.py), not the suite's 300 s
pytestmark = pytest.mark.timeout(900)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql", "mysql"])
def test_the_shop_answers_only_what_its_document_says(backend, tmp_path, sql_session):
    settings = datasource_settings(backend, tmp_path)
    app = write_shop(tmp_path / "shop", {k: v for k, v in settings.items() if k != "name"})
    code, report = fuzz(app, phases="examples,fuzzing,stateful", max_examples=5)
    assert code == 0, summary(report)

"""Schemathesis on the OpenAPI 3 document, bounded: no 5xx, no answer the document does not
describe (status, content type, headers, schema), for the LoopBack 3 style app on the memory
connector and for the app ``lbpy new-app --template notes`` writes. The SQL datasources are
fuzzed in tests/connectors/sql/test_sql_openapi_fuzz.py; bench/fuzz_openapi.py runs longer."""

from __future__ import annotations

import json

import pytest
from openapi_fuzz import fuzz, summary, write_shop
from typer.testing import CliRunner

from lbpy._cli import app as cli

pytest.importorskip("schemathesis", reason="the fuzz tests need schemathesis (pip install -e '.[test]')")

#: schemathesis walks every operation of each document: minutes on this 2-core machine, so the hang
#: guard is the one installing tests get (tests/conftest.py), not the suite's 300 s
pytestmark = pytest.mark.timeout(900)


def test_the_shop_on_memory_answers_only_what_its_document_says(tmp_path):
    app = write_shop(tmp_path / "shop", {"connector": "memory"})
    # the coverage phase on the per-model filter schemas takes longer than a suite run allows;
    # bench/fuzz_openapi.py runs it, with every check
    code, report = fuzz(app, phases="examples,fuzzing,stateful", max_examples=5)
    assert code == 0, summary(report)


def test_a_new_notes_app_answers_only_what_its_document_says(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["new-app", "notes", "--yes", "--template", "notes"])
    assert result.exit_code == 0, result.output
    # the app limits each client's rate (so its document lists 429), high enough for the fuzzer
    config_file = tmp_path / "notes" / "server" / "config.json"
    config = json.loads(config_file.read_text())
    assert config["rateLimit"]["perAddress"]
    config["rateLimit"]["perAddress"] = "100000/minute"
    config_file.write_text(json.dumps(config))
    code, report = fuzz(tmp_path / "notes", phases="examples,coverage,fuzzing,stateful", max_examples=10)
    assert code == 0, summary(report)

"""Schemathesis against an app's own OpenAPI 3 document, served by a real ``lbpy start``.

The test suite runs it bounded (a fixed seed, a few examples per operation);
``bench/fuzz_openapi.py`` runs it longer, with ``--all-checks`` every check. The suite leaves out
the two that judge how exactly a schema draws the line between what the server accepts and refuses
(``positive_data_acceptance``, ``negative_data_rejection``): the filter schemas describe a part of
the filter language that is always accepted and a request body the values LoopBack 3 coerces, so
their edges remain (a numeric string for a number, ``and`` nested three deep, a model's own
validations); and ``ignored_auth`` (the apps declare no auth).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from conftest import write_app
from lbpy_process import clean_env, lbpy_start

#: a LoopBack 3 style app: Customer hasMany Order and Note; Note hides a property and is strict
SHOP = {
    "Customer": {
        "properties": {
            "name": {"type": "string", "required": True},
            "email": "string",
            "age": "number",
            "vip": "boolean",
            "born": "date",
            "tags": ["string"],
            "address": "object",
        },
        "relations": {"orders": {"type": "hasMany", "model": "Order"}, "notes": {"type": "hasMany", "model": "Note"}},
    },
    "Order": {
        "properties": {"total": {"type": "number", "required": True}, "placed": "date"},
        "relations": {"customer": {"type": "belongsTo", "model": "Customer"}},
    },
    "Note": {
        "properties": {"title": {"type": "string", "required": True}, "secret": "string"},
        "hidden": ["secret"],
        "strict": True,
        "relations": {"customer": {"type": "belongsTo", "model": "Customer"}},
    },
}

#: use_after_free: LoopBack's GET /<Model>/{id}/exists answers 200 {"exists": false} for a deleted id
EXCLUDED_CHECKS = "positive_data_acceptance,negative_data_rejection,ignored_auth,use_after_free"
_SCHEMATHESIS = "import sys; from schemathesis.cli import schemathesis; sys.exit(schemathesis())"


def write_shop(root: Path, datasource: dict) -> Path:
    return write_app(
        root,
        SHOP,
        datasources={"db": {"name": "db", **datasource, "autoupdate": True}},
        config={"remoting": {"rest": {"maxLimit": 50}}},
    )


def fuzz(
    app: Path,
    *,
    phases: str,
    max_examples: int,
    seed: int = 1,
    timeout: float = 900,
    excluded_checks: str = EXCLUDED_CHECKS,
    extra: tuple[str, ...] = (),
) -> tuple[int, str]:
    """Serve ``app`` with ``lbpy start`` and run schemathesis on its /openapi.json; returns the
    exit code and the report. One worker, so that a seed gives the same run every time.
    (schemathesis adds up repeated ``--exclude-checks``: ``excluded_checks`` is the one list.)"""
    with lbpy_start(app, "--port", "0") as server:
        run = subprocess.run(
            [
                sys.executable,
                "-c",
                _SCHEMATHESIS,
                "run",
                f"{server.url}/openapi.json",
                "--checks",
                "all",
                "--exclude-checks",
                excluded_checks,
                "--phases",
                phases,
                "--max-examples",
                str(max_examples),
                "--seed",
                str(seed),
                "--workers",
                "1",
                "--exclude-path-regex",
                "change-stream",
                "--continue-on-failure",
                "--suppress-health-check",
                "all",
                *extra,
            ],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=clean_env(NO_COLOR="1"),
            cwd=app,  # schemathesis keeps a .schemathesis/ cache in its working folder
        )
    return run.returncode, run.stdout + run.stderr


def summary(report: str) -> str:
    """The report's failures, short enough for an assertion message."""
    match = re.search(r"^Failures:.*?(?=^\S|\Z)", report, re.M | re.S)
    failures = match.group(0) if match else ""
    return failures + "\n" + report[-3000:]

"""Schemathesis against lbpy's own OpenAPI 3 document, longer than the test suite's bounded run.

    python bench/fuzz_openapi.py                      # every phase, 50 examples, memory + sqlite + postgresql + mysql
    python bench/fuzz_openapi.py --examples 200 --datasource postgresql --seed 7
    python bench/fuzz_openapi.py --all-checks         # also positive/negative data acceptance

Each run serves the LoopBack 3 style app (Customer hasMany Order and Note) with ``lbpy start``,
on its own datasource, plus the app ``lbpy new-app --template notes`` writes, and prints one line
per run and schemathesis' failures. Exits non-zero when any run fails.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "connectors" / "sql")]

from openapi_fuzz import EXCLUDED_CHECKS, fuzz, summary, write_shop  # noqa: E402
from sql_support import datasource_settings, drop_session_databases, unreachable_reason  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

from lbpy._cli import app as cli  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=50, help="examples per operation")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--phases", default="examples,coverage,fuzzing,stateful")
    parser.add_argument(
        "--datasource",
        action="append",
        choices=["memory", "sqlite", "postgresql", "mysql"],
        help="repeat for several (default: memory, sqlite, postgresql, mysql)",
    )
    parser.add_argument(
        "--all-checks", action="store_true", help="also positive_data_acceptance and negative_data_rejection"
    )
    args = parser.parse_args()
    excluded = "ignored_auth" if args.all_checks else EXCLUDED_CHECKS
    failed = 0
    try:
        with tempfile.TemporaryDirectory(prefix="lbpy-fuzz-") as scratch:
            work = Path(scratch)
            runs = [(name, None) for name in (args.datasource or ["memory", "sqlite", "postgresql", "mysql"])]
            runs.append(("notes template", "notes"))
            for name, template in runs:
                if template:
                    result = CliRunner().invoke(
                        cli, ["new-app", "notes", "--yes", "--template", "notes", "--dir", str(work / "notes")]
                    )
                    if result.exit_code:
                        print(f"{name}: lbpy new-app failed: {result.output}")
                        failed += 1
                        continue
                    app = work / "notes"
                else:
                    if name != "memory" and (reason := unreachable_reason(name)):
                        print(f"{name}: skipped ({reason})")
                        continue
                    settings = (
                        {"connector": "memory"}
                        if name == "memory"
                        else {k: v for k, v in datasource_settings(name, work).items() if k != "name"}
                    )
                    app = write_shop(work / f"shop-{name.replace(' ', '-')}", settings)
                code, report = fuzz(
                    app,
                    phases=args.phases,
                    max_examples=args.examples,
                    seed=args.seed,
                    timeout=3600,
                    excluded_checks=excluded,
                )
                generated = [line.strip() for line in report.splitlines() if " generated" in line]
                print(f"{name}: {'passed' if code == 0 else 'FAILED'} ({generated[-1] if generated else 'no cases'})")
                if code:
                    failed += 1
                    print(summary(report))
    finally:
        drop_session_databases()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

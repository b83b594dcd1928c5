"""Wall time of each non-interactive wizard command, run as a user runs it (a new process each
time), against ``lbpy --version`` and a bare interpreter in the same run.

    python bench/bench_cli.py [--runs N]

Prints the median of N runs for each command, and its ratio to ``lbpy --version`` (the cost of
starting lbpy's CLI at all). Each run gets names of its own, so every run does the full work.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def make_app(root: Path) -> Path:
    (root / "server").mkdir(parents=True)
    (root / "common" / "models").mkdir(parents=True)
    (root / "server" / "config.json").write_text(json.dumps({"restApiRoot": "/api", "port": 3000}, indent=2))
    (root / "server" / "datasources.json").write_text(
        json.dumps({"db": {"name": "db", "connector": "memory"}}, indent=2)
    )
    (root / "server" / "model-config.json").write_text(
        json.dumps({"_meta": {"sources": ["../common/models", "./models"]}}, indent=2)
    )
    return root


def timed(args: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    result = subprocess.run(args, cwd=cwd, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed: {result.stderr.strip()}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    runs = parser.parse_args().runs
    lbpy = [sys.executable, "-m", "lbpy"]
    with tempfile.TemporaryDirectory() as folder:
        root = make_app(Path(folder) / "app")
        subprocess.run([*lbpy, "model", "Customer", "--yes"], cwd=root, check=True, capture_output=True)
        subprocess.run([*lbpy, "model", "Order", "--yes"], cwd=root, check=True, capture_output=True)
        commands = {
            "python -c pass (interpreter)": lambda i: [sys.executable, "-c", "pass"],
            "lbpy --version (reference)": lambda i: [*lbpy, "--version"],
            "lbpy datasource": lambda i: [
                *lbpy,
                "datasource",
                f"ds{i}",
                "--connector",
                "memory",
                "--set",
                f"file=data/ds{i}.json",
            ],
            "lbpy model": lambda i: [
                *lbpy,
                "model",
                f"Bench{i}",
                "--datasource",
                "db",
                "--property",
                "name:string:required",
                "--property",
                "tags:[string]",
                "--property",
                "age:number=18",
            ],
            "lbpy model --config": lambda i: [
                *lbpy,
                "model",
                "--config",
                json.dumps({"name": f"Conf{i}", "properties": ["a:string", "b:date=now"]}),
            ],
            "lbpy property": lambda i: [*lbpy, "property", "Customer", f"p{i}", "--type", "number", "--default", "1"],
            "lbpy relation": lambda i: [
                *lbpy,
                "relation",
                "Customer",
                "--type",
                "hasMany",
                "--model",
                "Order",
                "--name",
                f"orders{i}",
            ],
            "lbpy acl": lambda i: [
                *lbpy,
                "acl",
                "--model",
                "Customer",
                "--method",
                "find",
                "--role",
                f"role{i}",
                "--permission",
                "DENY",
            ],
            "lbpy acl --all-models": lambda i: [
                *lbpy,
                "acl",
                "--all-models",
                "--access-type",
                "WRITE",
                "--role",
                f"all{i}",
                "--permission",
                "DENY",
            ],
            "lbpy info": lambda i: [*lbpy, "info"],
            "lbpy export-api-def": lambda i: [*lbpy, "export-api-def", "-o", f"api/openapi{i}.json"],
            "lbpy export-api-def --swagger2": lambda i: [*lbpy, "export-api-def", "--swagger2", "--format", "json"],
        }
        reference = None
        print(f"{'command':<34} {'median':>9} {'min':>9} {'max':>9} {'vs --version':>13}")
        for label, build in commands.items():
            times = [timed(build(i), root) for i in range(runs)]
            median = statistics.median(times)
            if "reference" in label:
                reference = median
            ratio = f"{median / reference:.2f}x" if reference else "-"
            print(
                f"{label:<34} {median * 1000:>7.0f}ms {min(times) * 1000:>7.0f}ms {max(times) * 1000:>7.0f}ms "
                f"{ratio:>13}"
            )
        print(f"\n{runs} runs each, new process per run; median wall time.")


if __name__ == "__main__":
    main()

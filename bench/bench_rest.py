"""lbpy's REST runtime against a bare Starlette app serving the same JSON, measured in one run.

    python bench/bench_rest.py [--seconds 5] [--rounds 3]

Both servers run under uvicorn (one process each, uvloop + httptools, no access log) on this
machine, and wrk (one thread, 32 connections) drives them in turn, round after round; the
figures are medians. Targets: get by id at least 0.4 of the bare Starlette figure, and an idle
lbpy app under 60 MB resident.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from _harness import free_port, get_json, interleaved, rss_mb, server, table, wrk

HERE = Path(__file__).resolve().parent
SCENARIOS = {
    "get by id": "/api/Model1s/3",
    "filtered find": '/api/Model1s?filter={"where":{"name":{"like":"row1"}}}',
    "limit find": '/api/Model1s?filter={"limit":10}',
    "find 100 rows": "/api/Model1s",
}


def write_app(root: Path, rows: int) -> None:
    (root / "server").mkdir(parents=True)
    (root / "common" / "models").mkdir(parents=True)
    data = {"ids": {"Model1": rows + 1}, "models": {"Model1": {
        str(i): json.dumps({"name": f"row{i}", "content": "hello world " * 3, "n": i * 1.5, "id": i})
        for i in range(1, rows + 1)}}}
    (root / "data.json").write_text(json.dumps(data))
    files = {
        "server/config.json": {"restApiRoot": "/api", "host": "127.0.0.1", "port": 3000},
        "server/datasources.json": {"db": {"name": "db", "connector": "memory", "file": str(root / "data.json")}},
        "server/model-config.json": {"_meta": {"sources": ["../common/models"]}, "Model1": {"dataSource": "db"}},
        "common/models/model1.json": {"name": "Model1", "base": "PersistedModel", "properties": {
            "name": {"type": "string", "required": True}, "content": "string", "n": "number"}},
    }
    for name, content in files.items():
        (root / name).write_text(json.dumps(content, indent=2))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "app"
        write_app(root, 100)
        lbpy_port, ref_port = free_port(), free_port()
        lbpy_url, ref_url = f"http://127.0.0.1:{lbpy_port}", f"http://127.0.0.1:{ref_port}"
        lbpy_cmd = [sys.executable, "-m", "lbpy", "start", "--app", str(root), "--port", str(lbpy_port)]
        with server(lbpy_cmd, lbpy_url + "/api/Model1s/1") as lbpy_proc:
            time.sleep(1.0)
            idle_rss = rss_mb(lbpy_proc.pid)
            rows_file = Path(tmp) / "rows.json"
            rows_file.write_text(json.dumps(get_json(lbpy_url + "/api/Model1s")))
            ref_cmd = [sys.executable, "-m", "uvicorn", "reference_app:app", "--port", str(ref_port),
                       "--no-access-log", "--log-level", "warning"]
            with server(ref_cmd, ref_url + "/api/Model1s/1", cwd=HERE, env={"BENCH_ROWS": str(rows_file)}):
                for name, path in SCENARIOS.items():
                    mine, theirs = get_json(lbpy_url + path), get_json(ref_url + path)
                    if mine != theirs:
                        sys.exit(f"{name}: the two servers answer different JSON; the comparison would be unfair")
                for path in SCENARIOS.values():  # warm up both
                    wrk(lbpy_url + path, 1)
                    wrk(ref_url + path, 1)
                results = {}
                for name, path in SCENARIOS.items():
                    results[name] = interleaved({
                        "lbpy": lambda p=path: wrk(lbpy_url + p, args.seconds),
                        "starlette": lambda p=path: wrk(ref_url + p, args.seconds),
                    }, args.rounds)
                loaded_rss = rss_mb(lbpy_proc.pid)
    rows = []
    for name, figures in results.items():
        ratio = figures["lbpy"] / figures["starlette"]
        target = "≥ 0.40" if name == "get by id" else ""
        verdict = ("ok" if ratio >= 0.4 else "MISSED") if target else ""
        rows.append([name, f"{figures['lbpy']:,.0f}", f"{figures['starlette']:,.0f}", f"{ratio:.2f}", target, verdict])
    print(table(rows, ["scenario", "lbpy req/s", "bare Starlette req/s", "ratio", "target", ""]))
    print()
    print(f"lbpy resident memory: idle {idle_rss:.1f} MB (target < 60 MB: "
          f"{'ok' if idle_rss < 60 else 'MISSED'}), after the runs {loaded_rss:.1f} MB")
    print(f"({args.rounds} rounds of {args.seconds:g} s per server and scenario, medians; wrk -t1 -c32)")


if __name__ == "__main__":
    main()

"""``lbpy start --workers N`` on PostgreSQL: get by id and create with 1, 2 and 4 workers, the
same app and rows, wrk at 32 connections in interleaved rounds; req/s and the ratio over one
worker. On this machine class (2 cores shared by wrk, PostgreSQL and the workers) the curve
flattens early; on more cores it keeps climbing while the database keeps up.

    python bench/bench_workers.py                    # 1, 2, 4 workers; 3 rounds of 3 s
    python bench/bench_workers.py --workers 1,2,4,8 --seconds 5
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import free_port, interleaved, server, table  # noqa: E402
from bench_sql_peers import ROUTES, Databases, lbpy_app, run_wrk, seed, wrk_script  # noqa: E402

MEASURED = ("get by id", "create")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--seconds", type=float, default=3)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    counts = [int(n) for n in args.workers.split(",")]
    databases = Databases("postgresql")
    with tempfile.TemporaryDirectory() as folder:
        try:
            url = databases.create("w")
            root = Path(folder) / "app"
            argv, env = lbpy_app(root, "postgresql", url)
            # seven processes up at once: a pool of 8 each stays well under max_connections
            settings_file = root / "server" / "datasources.json"
            settings = json.loads(settings_file.read_text())
            settings["db"]["max"] = 8
            settings_file.write_text(json.dumps(settings))
            scripts = {}
            for route in MEASURED:
                method, path, body, _ = ROUTES[route]
                scripts[route] = Path(folder) / f"{route.replace(' ', '_')}.lua"
                scripts[route].write_text(wrk_script(method, path, body))
            figures: dict[tuple[str, int], float] = {}
            for route in MEASURED:
                runs = {}
                for n in counts:
                    port = free_port()
                    runs[n] = (port, [*argv, "--port", str(port), "--workers", str(n)])
                # one server per worker count, all up at once, measured in turn
                with ExitStack() as stack:
                    for n, (port, command) in runs.items():
                        stack.enter_context(server(command, f"http://127.0.0.1:{port}/api/Model1s/count", env=env))
                    first_port = runs[counts[0]][0]
                    if route == MEASURED[0]:
                        seed("lbpy", f"http://127.0.0.1:{first_port}")
                    samples = interleaved({
                        n: (lambda p=port: run_wrk(f"http://127.0.0.1:{p}", scripts[route], args.seconds,
                                                   args.connections))
                        for n, (port, _) in runs.items()
                    }, args.rounds)
                for n, value in samples.items():
                    figures[route, n] = value
                print(f"  {route} done", flush=True)
        finally:
            databases.drop_all()
    rows = []
    for route in MEASURED:
        one = figures[route, counts[0]]
        for n in counts:
            rows.append([route, str(n), f"{figures[route, n]:,.0f}", f"{figures[route, n] / one:.2f}"])
    print(f"\nPostgreSQL, {args.connections} connections, medians of {args.rounds} rounds of {args.seconds:g} s")
    print(table(rows, ["route", "workers", "req/s", f"over {counts[0]} worker"]))


if __name__ == "__main__":
    main()

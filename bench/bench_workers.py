"""lbpy's throughput with 1, 2 and 4 workers on PostgreSQL: get by id and create.

    python bench/bench_workers.py [--workers 1,2,4] [--seconds 3] [--rounds 3] [--connections 64]

One ``lbpy start --workers N`` at a time serves LoopBack's reference Model1 (100 rows) from a
database the bench creates and drops; wrk (one thread) drives each route in turn, round after
round, and the figures are medians, with each figure's ratio to one worker. On a machine with C
cores the curve should climb until N reaches C (each process keeps one core busy parsing,
checking and serialising) and flatten beyond, where wrk, PostgreSQL and the workers share cores.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from _harness import free_port, server, table
from bench_sql_peers import ROUTES, Databases, lbpy_app, run_wrk, seed, wrk_script

MEASURED = ("get by id", "create")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--seconds", type=float, default=3)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=64)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("bench_workers.py needs wrk: apt-get install wrk")
    levels = [int(n) for n in args.workers.split(",")]
    databases = Databases("postgresql")
    figures: dict[str, dict[int, list[float]]] = {route: {n: [] for n in levels} for route in MEASURED}
    try:
        url = databases.create("workers")
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            scripts = {}
            for route in MEASURED:
                method, path, body, _ = ROUTES[route]
                scripts[route] = folder / f"{route.replace(' ', '_')}.lua"
                scripts[route].write_text(wrk_script(method, path, body))
            argv, env = lbpy_app(folder / "app", "postgresql", url)
            seeded = False
            for _ in range(args.rounds):
                for workers in levels:
                    port = free_port()
                    base = f"http://127.0.0.1:{port}"
                    command = [*argv, "--port", str(port), "--workers", str(workers)]
                    with server(command, base + "/api/Model1s/count", env=env):
                        if not seeded:
                            seed("lbpy", base)
                            seeded = True
                        for route in MEASURED:
                            run_wrk(base, scripts[route], 1, args.connections)  # warm every worker
                            figures[route][workers].append(
                                run_wrk(base, scripts[route], args.seconds, args.connections)
                            )
                            if route == "create":
                                databases.trim(url, "model1")
    finally:
        databases.drop_all()
    rows = []
    for route in MEASURED:
        one = statistics.median(figures[route][levels[0]])
        for workers in levels:
            value = statistics.median(figures[route][workers])
            rows.append([route, str(workers), f"{value:,.0f}", f"{value / one:.2f}"])
    print(table(rows, ["route", "workers", "req/s", f"ratio to {levels[0]}"]))
    print(
        f"({args.rounds} rounds of {args.seconds:g} s, medians; wrk -t1 -c{args.connections}; "
        f"PostgreSQL on the same machine)"
    )


if __name__ == "__main__":
    main()

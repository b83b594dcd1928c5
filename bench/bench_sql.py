"""SQL connector benchmarks; every figure is a ratio against a reference measured in the same run.

1. scale: get by id and two filtered finds through lbpy's model layer on a 1,000-row and a
   1,000,000-row table (SQLite, PostgreSQL, MariaDB): big/small should stay under 2x (indexes).
   The big table is loaded in bulk (executemany; COPY on PostgreSQL).
2. rest: the REST API on SQLite against the same app on the memory connector, each served by
   `lbpy start` (one worker) and loaded by wrk (Debian's `wrk`; falls back to an httpx client).
3. drivers: the REST API on PostgreSQL and MariaDB with lbpy's asynchronous drivers (asyncpg,
   asyncmy) against synchronous ones run in worker threads (psycopg, PyMySQL), when installed.

    python bench/bench_sql.py                       # everything, on the servers that answer
    python bench/bench_sql.py --only scale --rows 200000 --backends sqlite
    python bench/bench_sql.py --only rest,drivers --seconds 5

Results are printed and written to bench/results/bench_sql.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
POSTGRESQL_URL = os.environ.get("LBPY_BENCH_POSTGRESQL_URL", "postgresql://postgres@127.0.0.1:5432/test")
MYSQL_URL = os.environ.get("LBPY_BENCH_MYSQL_URL", "mysql://root@127.0.0.1:3306/test")

ITEM = {
    "name": "BenchItem",
    "base": "PersistedModel",
    "properties": {
        "name": {"type": "string"},
        "code": {"type": "string", "index": {"unique": True}},
        "category": {"type": "number"},
        "price": {"type": "number"},
    },
    "indexes": {"benchitem_category_id": {"keys": {"category": 1, "id": 1}}},
}


def row(i: int) -> dict:
    return {"id": i, "name": f"item {i}", "code": f"c{i:07d}", "category": i % 1000, "price": (i * 37 % 10000) / 100}


def write_app(root: Path, datasource: dict, table: str) -> Path:
    (root / "server").mkdir(parents=True, exist_ok=True)
    (root / "common" / "models").mkdir(parents=True, exist_ok=True)
    model = json.loads(json.dumps(ITEM))
    model["options"] = {db: {"table": table} for db in ("postgresql", "mysql", "sqlite3")}
    model["indexes"] = {f"{table}_category_id": model["indexes"]["benchitem_category_id"]}
    (root / "common" / "models" / "bench-item.json").write_text(json.dumps(model))
    (root / "server" / "config.json").write_text(json.dumps({"restApiRoot": "/api", "host": "127.0.0.1", "port": 0}))
    (root / "server" / "datasources.json").write_text(json.dumps({"db": {"name": "db", **datasource}}))
    (root / "server" / "model-config.json").write_text(
        json.dumps({"_meta": {"sources": ["../common/models"]}, "BenchItem": {"dataSource": "db", "public": True}})
    )
    return root


def reachable(url: str) -> bool:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    try:
        socket.create_connection((parts.hostname, parts.port), timeout=2).close()
        return True
    except OSError:
        return False


def backend_settings(backend: str, folder: Path) -> dict | None:
    if backend == "sqlite":
        return {"connector": "sqlite", "file": str(folder / "bench.sqlite3")}
    url = POSTGRESQL_URL if backend == "postgresql" else MYSQL_URL
    if not reachable(url):
        print(f"  {backend}: not reachable at {url}; skipped")
        return None
    return {"connector": backend, "url": url}


# -- 1. scale -----------------------------------------------------------------------------------


async def bulk_load(connector, model: str, count: int) -> float:
    """``count`` rows as fast as each database takes them; returns the seconds it took."""
    started = time.perf_counter()
    table_map = connector.table_map(model)
    table = table_map.table
    chunk = 50_000 if connector.backend == "sqlite" else 20_000
    if count == 0:
        pass
    elif connector.backend == "postgresql" and connector.config.url.get_driver_name() == "asyncpg":
        engine = await connector.engine._engine_for_now()
        async with engine.connect() as conn:
            raw = await conn.get_raw_connection()
            columns = [c.name for c in table.columns]
            keys = [table_map.columns[p].prop for p in table_map.columns]
            for start in range(1, count + 1, 200_000):
                records = [tuple(row(i)[k] for k in keys) for i in range(start, min(count, start + 199_999) + 1)]
                await raw.driver_connection.copy_records_to_table(
                    table.name, records=records, columns=columns, schema_name=table.schema
                )
    else:
        for start in range(1, count + 1, chunk):
            rows = [row(i) for i in range(start, min(count, start + chunk - 1) + 1)]
            await connector._run(lambda conn, rows=rows: conn.execute(table.insert(), rows), write=True)
    if count and connector.backend == "postgresql":  # rows came with their ids: move the identity on
        sql = f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), {count})"
        await connector._run(lambda conn: conn.exec_driver_sql(sql))
    analyze = {"postgresql": f"ANALYZE {table.name}", "mysql": f"ANALYZE TABLE {table.name}", "sqlite": "ANALYZE"}[
        connector.backend
    ]
    await connector._run(lambda conn: conn.exec_driver_sql(analyze))
    return time.perf_counter() - started


async def drop_table(connector) -> None:
    """Leave nothing behind in the database."""
    table = connector.table_map("BenchItem").table
    await connector._run(lambda conn: table.drop(conn, checkfirst=True), write=True)


async def timed(label: str, fn, count: int) -> dict:
    for _ in range(min(200, count)):
        await fn()
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        await fn()
        samples.append(time.perf_counter() - started)
    return {"op": label, "mean_us": statistics.fmean(samples) * 1e6, "p50_us": statistics.median(samples) * 1e6}


async def measure(app, size: int, count: int) -> list[dict]:
    Item = app.models["BenchItem"]
    rnd = random.Random(7)

    async def by_id():
        found = await Item.find_by_id(rnd.randint(1, size))
        assert found is not None

    async def by_code():
        found = await Item.find({"where": {"code": f"c{rnd.randint(1, size):07d}"}})
        assert len(found) == 1

    async def by_category():
        found = await Item.find({"where": {"category": rnd.randint(0, 999), "price": {"gte": 0}}, "limit": 20})
        assert found

    return [
        await timed("get by id", by_id, count),
        await timed("find where code = (unique index)", by_code, count),
        await timed("find where category = .. limit 20 (index)", by_category, count),
    ]


async def explain(connector, table: str) -> str:
    sql = {
        "sqlite": f"EXPLAIN QUERY PLAN SELECT * FROM {table} WHERE category = 7 ORDER BY id LIMIT 20",
        "postgresql": f"EXPLAIN SELECT * FROM {table} WHERE category = 7 ORDER BY id LIMIT 20",
        "mysql": f"EXPLAIN SELECT * FROM {table} WHERE category = 7 ORDER BY id LIMIT 20",
    }[connector.backend]
    rows = await connector._run(lambda conn: conn.exec_driver_sql(sql).all())
    return " | ".join(" ".join(str(v) for v in r if v is not None) for r in rows)[:200]


def bench_scale(backends: list[str], big: int, count: int, folder: Path) -> list[dict]:
    from lbpy import create_app

    results = []
    for backend in backends:
        settings = backend_settings(backend, folder)
        if settings is None:
            continue
        print(f"\n[scale] {backend}: 1,000 rows against {big:,} rows, {count} operations each")

        async def run(backend: str = backend, settings: dict = settings) -> dict:
            figures = {}
            for size, table in ((1000, "bench_small"), (big, "bench_big")):
                app = create_app(write_app(folder / f"{backend}-{size}", settings, table))
                datasource = app.datasources["db"]
                await datasource.connect()
                connector = datasource.connector
                try:
                    await connector.migrate(["BenchItem"], drop=True)
                    seconds = await bulk_load(connector, "BenchItem", size)
                    print(f"  loaded {size:>9,} rows in {seconds:6.1f} s ({size / seconds:,.0f} rows/s)")
                    figures[size] = await measure(app, size, count)
                    if size == big:
                        print(f"  plan: {await explain(connector, table)}")
                    await drop_table(connector)
                finally:
                    await datasource.disconnect()
            return figures

        figures = asyncio.run(run())
        for small, large in zip(figures[1000], figures[big], strict=True):
            ratio = large["mean_us"] / small["mean_us"]
            results.append(
                {
                    "backend": backend,
                    "op": small["op"],
                    "small_us": round(small["mean_us"], 1),
                    "big_us": round(large["mean_us"], 1),
                    "ratio": round(ratio, 2),
                }
            )
            flag = "ok" if ratio <= 2 else "OVER 2x"
            print(f"  {small['op']:<42} {small['mean_us']:8.0f} us  {large['mean_us']:8.0f} us  x{ratio:4.2f}  {flag}")
    return results


# -- 2 and 3. REST under load ---------------------------------------------------------------------


class Server:
    def __init__(self, app: Path) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        env = {k: v for k, v in os.environ.items() if k not in ("PORT", "HOST", "LBPY_ENV")}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "lbpy", "start", "--app", str(app), "--port", str(self.port)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
        )
        deadline = time.monotonic() + 60
        for line in self.process.stdout:
            if "Web server listening" in line:
                break
            if time.monotonic() > deadline:
                break
        self.url = f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class Endpoint:
    """One REST request with varying values: as wrk Lua expressions, and for the httpx fallback."""

    def __init__(self, method: str, lua_path: str, lua_body: str | None, make) -> None:
        self.method, self.lua_path, self.lua_body, self.make = method, lua_path, lua_body, make


_FILTER = "%7B%22where%22%3A%7B%22category%22%3A{}%7D%2C%22limit%22%3A10%7D"  # {"where":{"category":n},"limit":10}
ENDPOINTS = {
    "GET /api/BenchItems/{id}": Endpoint(
        "GET",
        '"/api/BenchItems/" .. math.random(1, ROWS)',
        None,
        lambda rnd, rows: (f"/api/BenchItems/{rnd.randint(1, rows)}", None),
    ),
    "GET /api/BenchItems?filter={category, limit 10}": Endpoint(
        "GET",
        '"/api/BenchItems?filter=' + _FILTER.replace("{}", '" .. math.random(0, 999) .. "') + '"',
        None,
        lambda rnd, rows: ("/api/BenchItems?filter=" + _FILTER.replace("{}", str(rnd.randint(0, 999))), None),
    ),
    "POST /api/BenchItems": Endpoint(
        "POST",
        '"/api/BenchItems"',
        """'{"name":"n","code":"x' .. counter .. '-' .. math.random(1, 1000000000) .. '","category":1,"price":2}'""",
        lambda rnd, rows: (
            "/api/BenchItems",
            json.dumps({"name": "n", "code": f"x{rnd.random()}", "category": 1, "price": 2}),
        ),
    ),
}


def wrk_script(endpoint: Endpoint, rows: int) -> str:
    lines = [
        f"math.randomseed({random.randrange(1, 2**31)})",
        "counter = 0",
        'wrk.headers["Content-Type"] = "application/json"',
        "request = function()",
        "  counter = counter + 1",
    ]
    path = endpoint.lua_path.replace("ROWS", str(rows))
    body = endpoint.lua_body or "nil"
    lines.append(f'  return wrk.format("{endpoint.method}", {path}, nil, {body})')
    lines.append("end")
    return "\n".join(lines) + "\n"


def load(url: str, endpoint: str, rows: int, seconds: float, connections: int, folder: Path) -> float:
    """Requests per second with ``connections`` concurrent clients."""
    if shutil.which("wrk"):
        script = folder / "wrk.lua"
        script.write_text(wrk_script(ENDPOINTS[endpoint], rows))
        duration = f"-d{max(1, round(seconds))}s"  # wrk takes whole seconds
        done = subprocess.run(
            ["wrk", "-t1", f"-c{connections}", duration, "-s", str(script), url],
            capture_output=True,
            text=True,
            timeout=seconds + 60,
        )
        match = re.search(r"Requests/sec:\s+([\d.]+)", done.stdout)
        if not match:
            raise RuntimeError(f"wrk gave no figure: {done.stdout}{done.stderr}")
        errors = re.search(r"Non-2xx or 3xx responses: (\d+)", done.stdout)
        if errors:
            raise RuntimeError(f"{endpoint}: {errors.group(1)} failed requests\n{done.stdout}")
        return float(match.group(1)) if match else 0.0
    return asyncio.run(_httpx_load(url, ENDPOINTS[endpoint], rows, seconds, connections))


async def _httpx_load(url, endpoint: Endpoint, rows, seconds, connections) -> float:
    import httpx

    done = 0
    stop = time.perf_counter() + seconds
    rnd = random.Random(3)
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:

        async def worker():
            nonlocal done
            while time.perf_counter() < stop:
                target, content = endpoint.make(rnd, rows)
                response = await client.request(
                    endpoint.method, target, content=content, headers={"content-type": "application/json"}
                )
                response.raise_for_status()
                done += 1

        started = time.perf_counter()
        await asyncio.gather(*[worker() for _ in range(connections)])
        return done / (time.perf_counter() - started)


def seed(app_dir: Path, rows: int | None) -> None:
    """``rows`` rows in a new table; None drops the table."""
    from lbpy import create_app

    async def run():
        app = create_app(app_dir)
        datasource = app.datasources["db"]
        await datasource.connect()
        connector = datasource.connector
        if rows is None:
            await drop_table(connector)
        elif hasattr(connector, "migrate"):
            await connector.migrate(["BenchItem"], drop=True)
            await bulk_load(connector, "BenchItem", rows)
        await datasource.disconnect()

    asyncio.run(run())


def rest_figures(
    app_dir: Path, rows: int, seconds: float, connections: int, folder: Path, memory: bool = False
) -> dict[str, float]:
    if not memory:
        seed(app_dir, rows)
    server = Server(app_dir)
    try:
        if memory:  # the memory connector starts empty in its own process: fill it over HTTP
            import httpx

            with httpx.Client(base_url=server.url, timeout=30) as http:
                for i in range(1, rows + 1):
                    data = row(i)
                    data.pop("id")
                    http.post("/api/BenchItems", json=data).raise_for_status()
        figures = {}
        for endpoint in ENDPOINTS:
            load(server.url, endpoint, rows, 1, connections, folder)  # warm up
            figures[endpoint] = load(server.url, endpoint, rows, seconds, connections, folder)
        return figures
    finally:
        server.stop()


def _median_figures(runs: list[dict[str, float]]) -> dict[str, float]:
    return {endpoint: statistics.median(run[endpoint] for run in runs) for endpoint in runs[0]}


def bench_rest(rows: int, seconds: float, connections: int, rounds: int, folder: Path) -> list[dict]:
    tool = "wrk" if shutil.which("wrk") else "an httpx client"
    print(
        f"\n[rest] SQLite against memory: lbpy start (1 worker), {tool}, {connections} connections, "
        f"{seconds:g} s per endpoint, {rows:,} rows, median of {rounds} alternating rounds"
    )
    memory_app = write_app(folder / "rest-memory", {"connector": "memory"}, "bench_rest")
    sqlite_app = write_app(folder / "rest-sqlite", backend_settings("sqlite", folder / "rest-sqlite"), "bench_rest")
    memory_runs, sqlite_runs = [], []
    for _ in range(rounds):
        memory_runs.append(rest_figures(memory_app, rows, seconds, connections, folder, memory=True))
        sqlite_runs.append(rest_figures(sqlite_app, rows, seconds, connections, folder))
    memory, sqlite = _median_figures(memory_runs), _median_figures(sqlite_runs)
    seed(sqlite_app, None)
    results = []
    for endpoint in ENDPOINTS:
        ratio = memory[endpoint] / sqlite[endpoint] if sqlite[endpoint] else float("inf")
        results.append(
            {
                "endpoint": endpoint,
                "memory_rps": round(memory[endpoint]),
                "sqlite_rps": round(sqlite[endpoint]),
                "memory_over_sqlite": round(ratio, 2),
            }
        )
        flag = "ok" if ratio <= 2 else "OVER 2x"
        print(
            f"  {endpoint:<50} memory {memory[endpoint]:7.0f}/s  sqlite {sqlite[endpoint]:7.0f}/s  "
            f"x{ratio:4.2f}  {flag}"
        )
    return results


DRIVERS = {
    "postgresql": [
        ("psycopg 3 (sync, worker thread)", "postgresql+psycopg", "psycopg"),
        ("psycopg 3 (async)", "postgresql+psycopg_async", "psycopg"),
        ("asyncpg (async)", "postgresql+asyncpg", "asyncpg"),
    ],
    "mysql": [
        ("asyncmy (async)", "mysql+asyncmy", "asyncmy"),
        ("PyMySQL (sync, worker thread)", "mysql+pymysql", "pymysql"),
    ],
}


def bench_drivers(rows: int, seconds: float, connections: int, rounds: int, folder: Path) -> list[dict]:
    import importlib.util

    results = []
    for backend, drivers in DRIVERS.items():
        url = POSTGRESQL_URL if backend == "postgresql" else MYSQL_URL
        if not reachable(url):
            print(f"\n[drivers] {backend}: not reachable; skipped")
            continue
        print(
            f"\n[drivers] {backend}: the same REST app on each driver, {connections} connections, "
            f"median of {rounds} alternating rounds"
        )
        apps = {}
        for label, scheme, module in drivers:
            if importlib.util.find_spec(module) is None:
                print(f"  {label}: not installed; skipped")
                continue
            driver_url = scheme + url[url.index("://") :]
            apps[label] = write_app(
                folder / f"drivers-{module}", {"connector": backend, "url": driver_url}, "bench_rest"
            )
        runs: dict[str, list] = {label: [] for label in apps}
        for _ in range(rounds):
            for label, app_dir in apps.items():
                runs[label].append(rest_figures(app_dir, rows, seconds, connections, folder))
        for app_dir in apps.values():
            seed(app_dir, None)
        figures = {label: _median_figures(found) for label, found in runs.items() if found}
        labels = list(figures)
        for endpoint in ENDPOINTS:
            line = "  ".join(
                f"{label.split(' (')[0]}{' async' if 'async)' in label else ''} {figures[label][endpoint]:6.0f}/s"
                for label in labels
            )
            print(f"  {endpoint:<48} {line}")
            results.append(
                {
                    "backend": backend,
                    "endpoint": endpoint,
                    **{label: round(figures[label][endpoint]) for label in labels},
                }
            )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="scale,rest,drivers", help="scale, rest, drivers (comma-separated)")
    parser.add_argument("--backends", default="sqlite,postgresql,mysql")
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows in the big table")
    parser.add_argument("--ops", type=int, default=2000, help="operations per figure (scale)")
    parser.add_argument("--rest-rows", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=5, help="seconds per REST endpoint")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds per REST figure (median)")
    args = parser.parse_args()
    parts = {p.strip() for p in args.only.split(",")}
    folder = Path(tempfile.mkdtemp(prefix="lbpy-bench-sql-"))
    report: dict[str, Any] = {"python": sys.version.split()[0], "cpus": os.cpu_count()}
    try:
        if "scale" in parts:
            report["scale"] = bench_scale([b.strip() for b in args.backends.split(",")], args.rows, args.ops, folder)
        if "rest" in parts:
            report["rest"] = bench_rest(args.rest_rows, args.seconds, args.connections, args.rounds, folder)
        if "drivers" in parts:
            report["drivers"] = bench_drivers(args.rest_rows, args.seconds, args.connections, args.rounds, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / "bench_sql.json").write_text(json.dumps(report, indent=2))
    print(f"\nwritten to {out / 'bench_sql.json'}")


if __name__ == "__main__":
    main()

"""lbpy on PostgreSQL and MariaDB/MySQL against LoopBack 3 and a hand-written floor, in one run.

    python bench/bench_sql_peers.py [--backends postgresql,mysql] [--seconds 3] [--rounds 3]
                                    [--connections 4,32,128]

Three servers answer the same routes of LoopBack's reference Model1 (name, content, n; 100 rows),
each on a database of its own that the bench creates and drops:

* lbpy: ``lbpy start`` (one process, uvicorn with uvloop and httptools);
* LoopBack 3.28 with its official connector (loopback-connector-postgresql or -mysql, default
  settings), installed from npm into ~/.cache/lbpy-bench/loopback3 when node and npm are there
  (the column is left out when they are not);
* the floor: bare Starlette on the same async driver as lbpy (asyncpg, asyncmy), hand-written SQL
  (bench/floor_sql_app.py), one uvicorn process.

wrk (one thread) drives each route at each concurrency against each server in turn, round after
round, and the figures are medians; ratios come from the same run. Before measuring, the bench
checks that the three servers answer the same JSON. Goals: lbpy at least 2x LoopBack 3 and 0.6x
the floor at 32 and 128 connections, and no fall from 4 to 128 connections.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import quote, urlsplit

from _harness import free_port, get_json, server, table

HERE = Path(__file__).resolve().parent
POSTGRESQL_URL = os.environ.get("LBPY_BENCH_POSTGRESQL_URL", "postgresql://postgres@127.0.0.1:5432/test")
MYSQL_URL = os.environ.get("LBPY_BENCH_MYSQL_URL", "mysql://root@127.0.0.1:3306/test")
LOOPBACK_DIR = Path(os.environ.get("LBPY_BENCH_CACHE", Path.home() / ".cache" / "lbpy-bench")) / "loopback3"
LOOPBACK_PACKAGES = ["loopback@3", "loopback-boot@3", "loopback-connector-postgresql", "loopback-connector-mysql"]
ROWS = 100
CONTENT = "hello world " * 3
MODEL1 = {
    "name": "Model1",
    "base": "PersistedModel",
    "properties": {"name": {"type": "string", "required": True}, "content": "string", "n": "number"},
}


def _q(text: str) -> str:
    return quote(text, safe="")


def _lua(*parts: str) -> str:
    """A Lua string expression: literal text (URL-encoded) and Lua expressions, alternating."""
    return " .. ".join(f'"{part}"' if i % 2 == 0 else f"({part})" for i, part in enumerate(parts))


#: route -> (method, Lua path expression, Lua body expression or None, a sample path for the check);
#: each request draws ``x`` from 0..270 (``n`` runs 3, 6, .., 300: LoopBack's SQL connectors store a
#: number as an integer), so a statement's shape repeats with new values
ROUTES = {
    "get by id": ("GET", _lua("/api/Model1s/", "math.random(1, 100)"), None, "/api/Model1s/42"),
    "filtered find": (
        "GET",
        _lua("/api/Model1s?filter=" + _q('{"where":{"n":{"between":['), "x", _q(","), "x + 30", _q("]}}}")),
        None,
        "/api/Model1s?filter=" + _q('{"where":{"n":{"between":[30,60]}}}'),
    ),
    "limit-20 find": (
        "GET",
        _lua("/api/Model1s?filter=" + _q('{"limit":20}')),
        None,
        "/api/Model1s?filter=" + _q('{"limit":20}'),
    ),
    "count": (
        "GET",
        _lua("/api/Model1s/count?where=" + _q('{"n":{"gt":'), "x", _q("}}")),
        None,
        "/api/Model1s/count?where=" + _q('{"n":{"gt":150}}'),
    ),
    "create": (
        "POST",
        _lua("/api/Model1s"),
        _lua('{\\"name\\":\\"new', "counter", '\\",\\"content\\":\\"' + CONTENT + '\\",\\"n\\":', "x", "}"),
        None,
    ),
}


def wrk_script(method: str, path: str, body: str | None) -> str:
    return (
        "\n".join(
            [
                f"math.randomseed({secrets.randbelow(2**31 - 1) + 1})",
                "counter = 0",
                'wrk.headers["Content-Type"] = "application/json"',
                "request = function()",
                "  counter = counter + 1",
                "  local x = math.random(0, 270)",
                f'  return wrk.format("{method}", {path}, nil, {body or "nil"})',
                "end",
            ]
        )
        + "\n"
    )


def run_wrk(url: str, script: Path, seconds: float, connections: int) -> float:
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "10s", "-s", str(script), url],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
    ).stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    if errors or socket_errors:
        raise RuntimeError(f"{url}: failed requests during the run\n{out}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


# -- databases ------------------------------------------------------------------------------------


class Databases:
    """The bench's own databases on one server, dropped when the bench ends."""

    def __init__(self, backend: str) -> None:
        self.backend = backend
        self.admin = POSTGRESQL_URL if backend == "postgresql" else MYSQL_URL
        self.prefix = f"lbpy_bench_{secrets.token_hex(3)}"
        self.names: list[str] = []

    def url(self, name: str) -> str:
        return self.admin.rsplit("/", 1)[0] + "/" + name

    async def _execute(self, url: str, *statements: str) -> None:
        parts = urlsplit(url)
        if self.backend == "postgresql":
            import asyncpg

            conn = await asyncpg.connect(url, ssl=False)
            try:
                for statement in statements:
                    await conn.execute(statement)
            finally:
                await conn.close()
        else:
            import asyncmy

            conn = await asyncmy.connect(
                host=parts.hostname,
                port=parts.port or 3306,
                user=parts.username or "root",
                password=parts.password or "",
                db=parts.path.lstrip("/"),
                autocommit=True,
            )
            try:
                async with conn.cursor() as cursor:
                    for statement in statements:
                        await cursor.execute(statement)
            finally:
                conn.close()

    def execute(self, url: str, *statements: str) -> None:
        asyncio.run(self._execute(url, *statements))

    def create(self, side: str) -> str:
        name = f"{self.prefix}_{side}"
        suffix = "" if self.backend == "postgresql" else " CHARACTER SET utf8mb4"
        self.execute(self.admin, f"CREATE DATABASE {name}{suffix}")
        self.names.append(name)
        return self.url(name)

    def trim(self, url: str, table: str) -> None:
        """Back to the seeded rows after a create run, so later runs read the same table."""
        statements = [f"DELETE FROM {table} WHERE id > {ROWS}"]
        if self.backend == "postgresql":
            statements.append(f"VACUUM ANALYZE {table}")
        self.execute(url, *statements)

    def drop_all(self) -> None:
        for name in self.names:
            try:
                if self.backend == "postgresql":
                    self.execute(self.admin, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
                else:
                    self.execute(self.admin, f"DROP DATABASE IF EXISTS {name}")
            except Exception as exc:  # report, and go on dropping the others
                print(f"  could not drop {name}: {exc}")
        self.names.clear()


# -- the three servers ------------------------------------------------------------------------------


def lbpy_app(root: Path, backend: str, url: str) -> tuple[list[str], dict]:
    (root / "server").mkdir(parents=True)
    (root / "common" / "models").mkdir(parents=True)
    files = {
        "server/config.json": {"restApiRoot": "/api", "host": "127.0.0.1", "port": 3000},
        "server/datasources.json": {"db": {"name": "db", "connector": backend, "url": url, "autoupdate": True}},
        "server/model-config.json": {
            "_meta": {"sources": ["../common/models"]},
            "Model1": {"dataSource": "db", "public": True},
        },
        "common/models/model1.json": MODEL1,
    }
    for name, content in files.items():
        (root / name).write_text(json.dumps(content, indent=2))
    env = {k: v for k, v in os.environ.items() if k not in ("PORT", "HOST", "LBPY_ENV")}
    return [sys.executable, "-m", "lbpy", "start", "--app", str(root)], env


LOOPBACK_SERVER = """
var loopback = require('loopback');
var boot = require('loopback-boot');
var app = loopback();
boot(app, __dirname, function (err) {
  if (err) throw err;
  app.use('/api', loopback.rest());
  app.dataSources.db.automigrate('Model1', function (err) {
    if (err) throw err;
    app.listen(Number(process.env.PORT), '127.0.0.1', function () { console.log('listening'); });
  });
});
"""


def loopback_available() -> str | None:
    """Why the LoopBack 3 column is left out, or None when it can run (installing it first)."""
    if not shutil.which("node") or not shutil.which("npm"):
        return "node and npm are not installed"
    if not (LOOPBACK_DIR / "node_modules" / "loopback-connector-mysql").is_dir():
        LOOPBACK_DIR.mkdir(parents=True, exist_ok=True)
        (LOOPBACK_DIR / "package.json").write_text('{"name": "lbpy-bench-loopback3", "private": true}\n')
        print(f"installing {', '.join(LOOPBACK_PACKAGES)} into {LOOPBACK_DIR}")
        done = subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--loglevel=error", *LOOPBACK_PACKAGES],
            cwd=LOOPBACK_DIR,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            return f"npm install failed: {done.stderr.strip().splitlines()[-1:]}"
    return None


def loopback_app(root: Path, backend: str, url: str) -> tuple[list[str], dict]:
    parts = urlsplit(url)
    settings = {
        "name": "db",
        "connector": backend,
        "host": parts.hostname,
        "port": parts.port,
        "user": parts.username,
        "password": parts.password or "",
        "database": parts.path.lstrip("/"),
    }
    (root / "server").mkdir(parents=True)
    (root / "common" / "models").mkdir(parents=True)
    files = {
        "server/config.json": {"restApiRoot": "/api", "host": "127.0.0.1", "port": 3000},
        "server/datasources.json": {"db": settings},
        "server/model-config.json": {
            "_meta": {"sources": ["loopback/common/models", "../common/models"]},
            "Model1": {"dataSource": "db", "public": True},
        },
        "common/models/model1.json": MODEL1,
    }
    for name, content in files.items():
        (root / name).write_text(json.dumps(content, indent=2))
    (root / "server" / "server.js").write_text(LOOPBACK_SERVER)
    return ["node", str(root / "server" / "server.js")], {"NODE_ENV": "production"}


def floor_app(url: str) -> tuple[list[str], dict]:
    return (
        [
            sys.executable,
            "-m",
            "uvicorn",
            "floor_sql_app:app",
            "--no-access-log",
            "--log-level",
            "warning",
            "--loop",
            "uvloop",
            "--http",
            "httptools",
        ],
        {"FLOOR_URL": url},
    )


def seed(side: str, base: str) -> None:
    """The same 100 rows, written through each server's own create route."""
    import urllib.error
    import urllib.request

    for i in range(1, ROWS + 1):
        body = json.dumps({"name": f"row{i}", "content": CONTENT, "n": i * 3}).encode()
        request = urllib.request.Request(
            base + "/api/Model1s", data=body, method="POST", headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                response.read()
        except urllib.error.HTTPError as exc:
            sys.exit(f"{side} could not store a row: {exc.code} {exc.read()[:500]!r}")


def same_answers(urls: dict[str, str]) -> None:
    """Every server answers every read route with the same JSON, or the comparison is unfair."""
    for route, (_, _, _, sample) in ROUTES.items():
        if sample is None:
            continue
        answers = {side: get_json(url + sample) for side, url in urls.items()}
        first = next(iter(answers.values()))
        for side, answer in answers.items():
            if answer != first:
                sys.exit(
                    f"{route}: {side} answers differently from the others; the comparison would be unfair\n"
                    f"{json.dumps(answers)[:2000]}"
                )


# -- one backend ------------------------------------------------------------------------------------


def bench_backend(backend: str, args, folder: Path) -> dict | None:
    import socket

    parts = urlsplit(POSTGRESQL_URL if backend == "postgresql" else MYSQL_URL)
    try:
        socket.create_connection((parts.hostname, parts.port), timeout=2).close()
    except OSError:
        print(f"{backend}: not reachable at {parts.hostname}:{parts.port}; skipped")
        return None
    databases = Databases(backend)
    sides = [s for s in ["lbpy", "LoopBack 3", "floor"] if s in args.sides]
    missing = loopback_available() if "LoopBack 3" in sides else None
    if missing:
        print(f"LoopBack 3: {missing}; its column is left out")
        sides.remove("LoopBack 3")
    scripts = {}
    for route, (method, path, body, _) in ROUTES.items():
        scripts[route] = folder / f"{route.replace(' ', '-')}.lua"
        scripts[route].write_text(wrk_script(method, path, body))
    levels = [int(c) for c in args.connections.split(",")]
    samples: dict[tuple, list[float]] = {}
    try:
        commands = {}
        for side in sides:
            url = databases.create({"lbpy": "lbpy", "LoopBack 3": "lb3", "floor": "floor"}[side])
            if side == "lbpy":
                commands[side] = (*lbpy_app(folder / f"{backend}-lbpy", backend, url), None, url)
            elif side == "LoopBack 3":
                app_dir = LOOPBACK_DIR / "apps" / f"{databases.prefix}-{backend}"
                commands[side] = (*loopback_app(app_dir, backend, url), app_dir, url)
            else:
                commands[side] = (*floor_app(url), None, url)
        with _servers(commands) as urls:
            for side, base in urls.items():
                seed(side, base)
            same_answers(urls)
            for route in ROUTES:  # warm up every server on every route
                for base in urls.values():
                    run_wrk(base, scripts[route], 1, 32)
                    if route == "create":
                        _trim(databases, commands)
            print(f"\n{backend}: {', '.join(sides)}; {args.rounds} rounds of {args.seconds:g} s per figure")
            for round_number in range(args.rounds):
                for route in ROUTES:
                    for connections in levels:
                        for side, base in urls.items():
                            figure = run_wrk(base, scripts[route], args.seconds, connections)
                            samples.setdefault((route, connections, side), []).append(figure)
                        if route == "create":
                            _trim(databases, commands)
                print(f"  round {round_number + 1} of {args.rounds} done")
    finally:
        for _, _, app_dir, _ in commands.values() if "commands" in locals() else ():
            if app_dir is not None:
                shutil.rmtree(app_dir, ignore_errors=True)
        databases.drop_all()
    figures = {key: statistics.median(values) for key, values in samples.items()}
    print_table(backend, sides, levels, figures)
    return {f"{route}|{c}|{side}": round(v) for (route, c, side), v in figures.items()}


def _trim(databases: Databases, commands: dict) -> None:
    for side, (_, _, _, url) in commands.items():
        # PostgreSQL folds names to lower case; on MySQL lbpy and LoopBack name the table as the model
        mixed = databases.backend == "mysql" and side != "floor"
        databases.trim(url, "Model1" if mixed else "model1")


class _servers:
    """Start every side's server on a free port; stop them all on the way out."""

    def __init__(self, commands: dict) -> None:
        self.commands = commands
        self.stack: list = []

    def __enter__(self) -> dict[str, str]:
        urls = {}
        try:
            for side, (argv, env, _, _) in self.commands.items():
                port = free_port()
                context = server(
                    [*argv, "--port", str(port)] if side != "LoopBack 3" else argv,
                    f"http://127.0.0.1:{port}/api/Model1s/count",
                    cwd=HERE,
                    env={**env, "PORT": str(port)} if side == "LoopBack 3" else env,
                )
                context.__enter__()
                self.stack.append(context)
                urls[side] = f"http://127.0.0.1:{port}"
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return urls

    def __exit__(self, *exc) -> None:
        while self.stack:
            self.stack.pop().__exit__(None, None, None)


def print_table(backend: str, sides: list[str], levels: list[int], figures: dict) -> None:
    header = ["route", "conns", *[f"{s} req/s" for s in sides]]
    if "LoopBack 3" in sides:
        header.append("lbpy/LB3")
    if "floor" in sides:
        header.append("lbpy/floor")
    rows = []
    for route in ROUTES:
        for connections in levels:
            row = [route, str(connections)] + [f"{figures[(route, connections, s)]:,.0f}" for s in sides]
            mine = figures[(route, connections, "lbpy")]
            if "LoopBack 3" in sides:
                row.append(f"{mine / figures[(route, connections, 'LoopBack 3')]:.2f}")
            if "floor" in sides:
                row.append(f"{mine / figures[(route, connections, 'floor')]:.2f}")
            rows.append(row)
    print(f"\n{backend}")
    print(table(rows, header))
    plateau = [
        f"{route} {figures[(route, levels[-1], 'lbpy')] / figures[(route, levels[0], 'lbpy')]:.2f}" for route in ROUTES
    ]
    print(f"lbpy at {levels[-1]} connections over {levels[0]}: " + ", ".join(plateau))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="postgresql,mysql")
    parser.add_argument("--seconds", type=float, default=3)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", default="4,32,128")
    parser.add_argument("--routes", default=",".join(ROUTES), help="which routes (comma-separated)")
    parser.add_argument("--sides", default="lbpy,LoopBack 3,floor", help="which servers (comma-separated)")
    args = parser.parse_args()
    args.sides = [s.strip() for s in args.sides.split(",")]
    for route in list(ROUTES):
        if route not in [r.strip() for r in args.routes.split(",")]:
            del ROUTES[route]
    if not shutil.which("wrk"):
        sys.exit("bench_sql_peers.py needs wrk: apt-get install wrk")
    report = {}
    with tempfile.TemporaryDirectory(prefix="lbpy-bench-peers-") as tmp:
        for backend in [b.strip() for b in args.backends.split(",") if b.strip()]:
            found = bench_backend(backend, args, Path(tmp))
            if found is not None:
                report[backend] = found
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / "bench_sql_peers.json").write_text(json.dumps(report, indent=2))
    print(f"\nwritten to {out / 'bench_sql_peers.json'}")


if __name__ == "__main__":
    main()

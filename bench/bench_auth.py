"""The cost of access control: an authenticated get by id with an ACL check, against the same
route with access control off, on memory and on PostgreSQL, measured in one run.

    python bench/bench_auth.py [--seconds 5] [--rounds 3] [--no-postgresql]

Two ``lbpy start`` processes serve the same app (a Note model whose acls deny everyone, allow an
``admin`` role everything and ``$authenticated`` callers READ, so a call looks up the token, the
caller's static roles and the rules), one with ``"auth": {"enabled": false}``; wrk (one thread, 32
connections) sends the same request with the same token to each, round after round, medians.
Target: the check costs at most 15% of throughput (ratio ≥ 0.85).
"""

from __future__ import annotations

import argparse
import json
import re
import secrets
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx
from _harness import free_port, interleaved, require_wrk, server, table

NOTE = {
    "name": "Note",
    "base": "PersistedModel",
    "properties": {"title": "string", "content": "string"},
    "acls": [
        {"principalType": "ROLE", "principalId": "$everyone", "permission": "DENY"},
        {"principalType": "ROLE", "principalId": "admin", "permission": "ALLOW"},
        {"principalType": "ROLE", "principalId": "$authenticated", "permission": "ALLOW", "accessType": "READ"},
    ],
}
SEED = """
async def boot(app):
    Account, Note = app.models["Account"], app.models["Note"]
    if not await Account.count():
        await Account.create({"email": "bench@example.com", "password": "bench-secret"})
        for i in range(1, 101):
            await Note.create({"title": f"note {i}", "content": "hello world " * 3})
"""


def write_app(root: Path, datasource: dict, enabled: bool) -> None:
    for folder in ("server/boot", "common/models"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    files = {
        "server/config.json": {"restApiRoot": "/api", "host": "127.0.0.1", "port": 3000, "auth": {"enabled": enabled}},
        "server/datasources.json": {"db": {"name": "db", **datasource}},
        "server/model-config.json": {
            "_meta": {"sources": ["../common/models"]},
            "Note": {"dataSource": "db"},
            "Account": {"dataSource": "db"},
        },
        "common/models/note.json": NOTE,
        "common/models/account.json": {"name": "Account", "base": "User"},
    }
    for name, content in files.items():
        (root / name).write_text(json.dumps(content, indent=2))
    (root / "server" / "boot" / "seed.py").write_text(SEED)


def wrk(url: str, token: str, seconds: float) -> float:
    out = subprocess.run(
        [require_wrk(), "-t1", "-c32", f"-d{max(1, round(seconds))}s", "-H", f"Authorization: Bearer {token}", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise RuntimeError(f"{url}: {errors.group(1)} error responses during the run")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def measure(name: str, datasource: dict, tmp: Path, args) -> list[str]:
    ports = {"on": free_port(), "off": free_port()}
    urls = {key: f"http://127.0.0.1:{port}" for key, port in ports.items()}
    roots = {}
    for key in ports:
        roots[key] = tmp / f"{name}-{key}"
        write_app(
            roots[key],
            datasource
            if datasource["connector"] != "memory"
            else {"connector": "memory", "file": str(tmp / f"{name}-{key}.json")},
            key == "on",
        )

    def cmd(key: str) -> list[str]:
        return [sys.executable, "-m", "lbpy", "start", "--app", str(roots[key]), "--port", str(ports[key])]

    with server(cmd("on"), urls["on"] + "/"), server(cmd("off"), urls["off"] + "/"):
        token = httpx.post(
            urls["on"] + "/api/Accounts/login", json={"email": "bench@example.com", "password": "bench-secret"}
        ).json()["id"]
        path = "/api/Notes/3"
        assert httpx.get(urls["on"] + path).status_code == 401, "the check is not on"
        on = httpx.get(urls["on"] + path, headers={"Authorization": f"Bearer {token}"}).json()
        off = httpx.get(urls["off"] + path).json()
        if on != off:
            sys.exit(f"{name}: the two servers answer different JSON; the comparison would be unfair")
        for key in urls:
            wrk(urls[key] + path, token, 1)
        figures = interleaved(
            {key: (lambda k=key: wrk(urls[k] + path, token, args.seconds)) for key in urls}, args.rounds
        )
    ratio = figures["on"] / figures["off"]
    return [
        name,
        f"{figures['on']:,.0f}",
        f"{figures['off']:,.0f}",
        f"{ratio:.2f}",
        "≥ 0.85",
        "ok" if ratio >= 0.85 else "MISSED",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-postgresql", action="store_true")
    parser.add_argument("--postgresql-url", default="postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        rows.append(measure("memory", {"connector": "memory"}, Path(tmp), args))
        if not args.no_postgresql:
            schema = f"lbpy_bench_auth_{secrets.token_hex(3)}"
            sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
            from connectors.sql.sql_support import execute

            execute(args.postgresql_url, f'CREATE SCHEMA "{schema}"')
            try:
                rows.append(
                    measure(
                        "postgresql",
                        {"connector": "postgresql", "url": args.postgresql_url, "schema": schema, "autoupdate": True},
                        Path(tmp),
                        args,
                    )
                )
            finally:
                execute(args.postgresql_url, f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    print(table(rows, ["datasource", "auth on req/s", "auth off req/s", "ratio", "target", ""]))
    print(
        f"(GET /api/Notes/3 with a Bearer token; {args.rounds} rounds of {args.seconds:g} s per server, "
        "medians; wrk -t1 -c32)"
    )


if __name__ == "__main__":
    main()

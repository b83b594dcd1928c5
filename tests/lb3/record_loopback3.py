"""Record what LoopBack 3 serves for an app of ``tests/lb3/apps``: its routes (from the explorer's
swagger.json) and its answers to a few requests, into ``tests/lb3/recorded/<app>.json``.

Run by hand when an app changes (node and npm needed; LoopBack 3 is installed from npm into a cache
outside the repository):  python tests/lb3/record_loopback3.py notes
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from lbpy_process import free_port  # noqa: E402
from loopback3 import SERVER_JS, loopback3_modules  # noqa: E402

#: requests whose answers are recorded: (method, path, JSON body or None)
REQUESTS: dict[str, list[tuple[str, str, object]]] = {
    "notes": [
        ("POST", "/api/Notes", {"title": "ab"}),
        ("POST", "/api/Notes", {"title": "admin"}),
        ("POST", "/api/Notes", {"title": "plain"}),
        ("POST", "/api/Notes", {"title": "first", "vip": True}),
        ("GET", "/api/Notes/vips", None),
        ("GET", "/api/Notes/vips/count", None),
        ("DELETE", "/api/Notes/1", None),
        ("PUT", "/api/Notes/1", {"title": "again"}),
        ("POST", "/api/Tags", {"label": "red"}),
        ("POST", "/api/Tags", {"label": "red"}),
        ("POST", "/api/Logs", {"line": "x"}),
    ],
    "items": [
        ("POST", "/api/Items", {}),
        ("POST", "/api/Items", {"name": "a", "code": "abc", "qty": 1.5, "size": "XL"}),
        ("POST", "/api/Items", {"name": "a", "code": "ABC", "qty": 2, "size": "M", "color": "red"}),
        ("POST", "/api/Items", {"name": "a", "code": "ABC", "qty": 2, "size": "M"}),
        ("POST", "/api/Items", {"name": "b", "code": "XY", "qty": 3}),
        ("GET", "/api/Items/findOne", None),
        ("PATCH", "/api/Items/1", {"qty": 4}),
        ("GET", "/api/Items/count", None),
        ("POST", "/api/Boxes/replaceOrCreate", {"label": "x"}),
    ],
}


def record(name: str) -> dict:
    modules = loopback3_modules()
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch) / name
        shutil.copytree(HERE / "apps" / name, root)
        (root / "node_modules").symlink_to(modules, target_is_directory=True)
        (root / "server" / "server.js").write_text(SERVER_JS)
        port = free_port()
        config = json.loads((root / "server" / "config.json").read_text())
        (root / "server" / "config.json").write_text(json.dumps({**config, "port": port}))
        log = (root / "server.log").open("w")
        process = subprocess.Popen(["node", "server/server.js"], cwd=root, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 60
            while "listening at" not in (root / "server.log").read_text():
                if process.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit((root / "server.log").read_text()[-2000:])
                time.sleep(0.1)
            base = f"http://127.0.0.1:{port}"
            swagger = json.loads(urllib.request.urlopen(f"{base}/explorer/swagger.json").read())
            routes = sorted(
                [verb.upper(), path]
                for path, operations in swagger["paths"].items()
                for verb in operations
                if verb in ("get", "post", "put", "patch", "delete", "head")
            )
            answers = []
            for method, path, body in REQUESTS.get(name, []):
                data = json.dumps(body).encode() if body is not None else None
                request = urllib.request.Request(
                    base + path, data=data, method=method, headers={"Content-Type": "application/json"}
                )
                try:
                    with urllib.request.urlopen(request) as response:
                        status, payload = response.status, response.read()
                except urllib.error.HTTPError as error:
                    status, payload = error.code, error.read()
                answers.append(
                    {"method": method, "path": path, "body": body, "status": status, "answer": json.loads(payload)}
                )
        finally:
            process.terminate()
            process.wait(10)
            log.close()
    return {"loopback": "3.28", "routes": routes, "answers": answers}


if __name__ == "__main__":
    for app in sys.argv[1:] or sorted(p.name for p in (HERE / "apps").iterdir()):
        out = HERE / "recorded" / f"{app}.json"
        out.write_text(json.dumps(record(app), indent=1) + "\n")
        print(f"wrote {out.relative_to(HERE.parent.parent)}")

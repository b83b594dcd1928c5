"""Record LoopBack 3's answers to the body translator's test cases: ``python tests/lb3/bodies/record.py``.

Each case's JavaScript runs in a real LoopBack 3 app (``loopback@3`` from npm, see ``tests/loopback3.py``),
receives the case's requests in order, and its answers go to ``recorded/<case>.json``, which
``test_lb3_bodies.py`` holds lbpy's translation to. Needs node and npm; says so and stops without them."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parents[1])]

import httpx  # noqa: E402
from bodies_harness import CASES, RECORDED, comparable, write_loopback3_files  # noqa: E402


def record(name: str) -> list[dict]:
    from lbpy_process import free_port
    from loopback3 import write_loopback3_app

    case = CASES[name]
    models = {model: definition for model, (_, definition) in case.models.items()}
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        port = free_port()
        write_loopback3_app(root, models, port)
        write_loopback3_files(root, case)
        answers = []
        with running(root) as url, httpx.Client(base_url=f"{url}", timeout=30) as client:
            for request in case.requests:
                verb, path, body, *headers = request
                response = client.request(verb, path, json=body, headers=headers[0] if headers else None)
                parsed = response.json() if response.content else None
                answers.append({"request": request, **comparable(response.status_code, parsed)})
    return answers


@contextmanager
def running(root: Path) -> Iterator[str]:
    """``node server/server.js`` in ``root`` until it listens; yields its URL."""
    log_path = root / "server.log"
    port = json.loads((root / "server" / "config.json").read_text())["port"]
    with log_path.open("w") as log:
        process = subprocess.Popen(["node", "server/server.js"], cwd=root, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 60
            while "listening at" not in log_path.read_text():
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"LoopBack 3 did not start: {log_path.read_text()[-2000:]}")
                time.sleep(0.1)
            yield f"http://127.0.0.1:{port}"
        finally:
            process.terminate()
            process.wait(10)


def main() -> int:
    if shutil.which("node") is None:
        print("record.py: node is not installed; the recorded answers were left as they are")
        return 0
    RECORDED.mkdir(exist_ok=True)
    for name in sys.argv[1:] or list(CASES):
        answers = record(name)
        (RECORDED / f"{name}.json").write_text(json.dumps(answers, indent=2) + "\n")
        print(f"recorded {len(answers)} answers of LoopBack 3 to {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""``helmet`` and each ``helmet#<name>`` write the headers helmet 3.23 wrote for the same options
(recorded/helmet3.json), and take X-Powered-By away where helmet did."""

from __future__ import annotations

import json
from pathlib import Path

import anyio
import pytest
from asgi_calls import call

from lbpy._errors import BootError
from lbpy._pipeline._build import Pipeline
from lbpy._pipeline._config import Entry

CASES = json.loads((Path(__file__).parent / "recorded" / "helmet3.json").read_text())["cases"]


async def powered(scope, receive, send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": [(b"x-powered-by", b"Express")]})
    await send({"type": "http.response.body", "body": b"ok"})


def helmet_app(name: str, params: dict) -> object:
    pipeline = Pipeline(root=Path("."), debug=False, entries=[Entry("initial", name, params)])
    return pipeline.build(lambda next_app: powered, None)


@pytest.mark.parametrize("case", sorted(CASES))
def test_writes_what_helmet_3_wrote(case: str) -> None:
    recorded = CASES[case]
    part = case.split("_")[0]
    name = "helmet" if part == "helmet" else f"helmet#{part}"
    answer = anyio.run(call, helmet_app(name, recorded["params"]), "GET", "/")
    expected = sorted(tuple(h) for h in recorded["headers"])
    assert sorted(h for h in answer.headers if h[0] != "content-length") == expected


def test_a_bad_option_stops_the_boot_naming_the_entry() -> None:
    with pytest.raises(BootError, match=r"helmet#hsts.*maxAge must be a number"):
        Pipeline(
            root=Path("."),
            debug=False,
            entries=[Entry("initial", "helmet#hsts", {"maxAge": "soon"}, where='"initial"."helmet#hsts"')],
        )

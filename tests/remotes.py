"""Real remote APIs shared by the HTTP connector tests: an lbpy app served by ``lbpy start`` in
a subprocess, and a LoopBack 3 app (see ``loopback3``), each holding the conformance kit's
models on a memory datasource. One of each per test session: every kit check empties the
tables it uses before it starts."""

from __future__ import annotations

from pathlib import Path

from conftest import write_app

from lbpy.testing import KIT_MODELS, RELATION_MODELS

#: the kit's models and the relation checks' models, as model JSON (relations included, so
#: that the remote declares their foreign keys; relations themselves are the client app's work)
REMOTE_MODELS = {
    name: {k: v for k, v in definition.items() if k != "name"}
    for name, definition in {**KIT_MODELS, **RELATION_MODELS}.items()
}


def write_remote_app(root: Path) -> Path:
    # the remote caps its answers at 4 records (remoting.rest.maxLimit, X-Max-Limit): the
    # client app must ask for the rest, or the kit's checks would see records go missing
    return write_app(root, REMOTE_MODELS, config={"remoting": {"rest": {"maxLimit": 4}}})

"""lbpy's connector conformance kit: the behaviours every connector must have, as pytest tests.

In a connector's test suite::

    from lbpy.testing import ConnectorConformance

    class TestMyConnector(ConnectorConformance):
        settings = {"connector": "my-connector", "url": "..."}   # a datasource's settings

``settings["connector"]`` is a connector name (found as an app would find it) or the connector's
module itself. Each check runs twice: against the connector's own methods (``connector`` mode;
what the connector does not evaluate natively, per its ``capabilities``, lbpy completes as it
does in an app) and through lbpy's model layer (``model`` mode), as REST requests do.

Every check starts from empty tables: the kit calls ``automigrate`` for its models
(``KIT_MODELS``), then ``destroy_all`` on each. Override ``datasource_settings()`` to compute
settings (or to ``pytest.skip`` when a server is down), ``skip_checks`` to leave out checks
that cannot apply, with the reason, and ``modes`` to run one mode only.

The relation checks (``relation_*``, model mode) also store the models of ``RELATION_MODELS``
(owners, pets, licenses, tags and a link model), related as LoopBack model JSON relates them;
they check relation methods and ``include`` end to end, including that an include costs one
query per level. A connector that cannot store those models sets ``relation_checks = False``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

import pytest

from . import _relation_checks  # noqa: F401  (registers the relation checks in CHECKS)
from ._checks import CHECKS, Check, check
from ._kit import (
    ITEMS,
    KIT_MODELS,
    MODES,
    RELATION_MODELS,
    Kit,
    expect,
    expect_raises,
    expect_that,
    run_in_kit,
    same,
)


class ConnectorConformance:
    """Subclass in a test module, set ``settings``; pytest runs every check in ``CHECKS``."""

    #: the datasource settings the kit uses; "connector" names the connector or is its module
    settings: ClassVar[dict[str, Any]] = {"connector": "memory"}
    #: an app folder whose connectors/ folder should be searched for the connector
    app_dir: ClassVar[str | Path | None] = None
    #: "connector" (the connector's own methods) and/or "model" (through lbpy's model layer)
    modes: ClassVar[tuple[str, ...]] = MODES
    #: check name -> the reason it does not apply to this connector
    skip_checks: ClassVar[dict[str, str]] = {}
    #: False for a connector that cannot store the relation checks' models (``RELATION_MODELS``)
    relation_checks: ClassVar[bool] = True

    #: a fresh, empty folder for each check (pytest's ``tmp_path``), for settings that name files:
    #: ``{"connector": "memory", "file": str(self.tmp_path / "db.json")}``; pytest removes it
    tmp_path: Path

    def datasource_settings(self) -> dict[str, Any]:
        return dict(self.settings)

    def run_check(self, name: str, mode: str = "connector") -> None:
        """Run one check (``CHECKS[name]``) in ``mode``; raises AssertionError when it fails."""
        import anyio

        __tracebackhide__ = True
        found = CHECKS.get(name)
        if found is None:
            raise KeyError(f'no conformance check called "{name}"')
        settings = self.datasource_settings()
        app_dir = Path(self.app_dir) if self.app_dir is not None else None
        anyio.run(partial(run_in_kit, relations=found.relations), settings, mode, found.fn, app_dir)


def _test_for(found: Check) -> Callable[..., None]:
    @pytest.mark.parametrize("mode", found.modes)
    def test(self: ConnectorConformance, mode: str, tmp_path: Path) -> None:
        __tracebackhide__ = True
        self.tmp_path = tmp_path
        if mode not in self.modes:
            pytest.skip(f"{type(self).__name__} runs the kit in {', '.join(self.modes)} mode only")
        reason = self.skip_checks.get(found.name)
        if reason:
            pytest.skip(reason)
        if found.relations and not self.relation_checks:
            pytest.skip(f"{type(self).__name__} leaves out the relation checks (relation_checks = False)")
        self.run_check(found.name, mode)

    test.__name__ = test.__qualname__ = f"test_{found.name}"
    test.__doc__ = found.doc
    return test


for _check in CHECKS.values():
    setattr(ConnectorConformance, f"test_{_check.name}", _test_for(_check))
del _check

__all__ = [
    "CHECKS",
    "ITEMS",
    "KIT_MODELS",
    "RELATION_MODELS",
    "Check",
    "ConnectorConformance",
    "Kit",
    "check",
    "expect",
    "expect_raises",
    "expect_that",
    "same",
]

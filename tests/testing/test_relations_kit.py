"""The conformance kit's relation checks: they catch a connector whose ``inq`` is wrong, and a
connector that can store only the kit's own tables leaves them out."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest
from test_conformance_kit import MinimalConnector, connector_module

from lbpy import Capabilities
from lbpy.testing import CHECKS, KIT_MODELS, RELATION_MODELS, ConnectorConformance

RELATION_CHECKS = [name for name, found in CHECKS.items() if found.relations]


def test_the_relation_checks_run_through_the_model_layer():
    assert len(RELATION_CHECKS) >= 12
    assert all(CHECKS[name].modes == ("model",) for name in RELATION_CHECKS)
    assert not set(RELATION_MODELS) & set(KIT_MODELS)


class InqIgnoringConnector(MinimalConnector):
    """Declares that it evaluates every operator, and answers nothing for ``inq``."""

    capabilities = Capabilities()

    def all(self, model, filter, options):
        from lbpy._filter import apply_filter

        if filter.where is not None and "inq" in str(filter.where):
            return []
        rows = [dict(r) for r in self.tables.setdefault(model, {}).values()]
        return apply_filter(rows, filter)


def test_a_connector_whose_inq_finds_nothing_fails_the_include_checks():
    class Kit(ConnectorConformance):
        settings: ClassVar[dict[str, Any]] = {"connector": connector_module("kit_inq_ignoring", InqIgnoringConnector)}

    with pytest.raises(AssertionError) as failure:
        Kit().run_check("relation_include_has_many_groups_by_parent", "model")
    assert "pets included per owner: expected {'ann': ['fido', 'rex']" in str(failure.value)


class KitTablesOnlyConnector(MinimalConnector):
    """A backend with a fixed set of tables: the kit's own."""

    def automigrate(self, models=None):
        unknown = [name for name in models or () if name not in KIT_MODELS]
        if unknown:
            raise RuntimeError(f"no table for {unknown}")


class TestAConnectorWithTheKitTablesOnly(ConnectorConformance):
    settings: ClassVar[dict[str, Any]] = {"connector": connector_module("kit_tables_only", KitTablesOnlyConnector)}
    relation_checks = False


def test_relation_checks_need_their_tables():
    with pytest.raises(RuntimeError, match="no table for"):
        TestAConnectorWithTheKitTablesOnly().run_check("relation_belongs_to_get", "model")


def test_relation_checks_are_skipped_when_turned_off(tmp_path):
    test = TestAConnectorWithTheKitTablesOnly.test_relation_belongs_to_get
    with pytest.raises(pytest.skip.Exception, match="relation_checks = False"):
        test(TestAConnectorWithTheKitTablesOnly(), "model", tmp_path)

"""The conformance kit itself: it passes a minimal connector built on the required core alone,
and fails broken connectors with a message that says what was expected and what came back."""

from __future__ import annotations

import copy
import sys
import types
from typing import Any, ClassVar

import pytest

from lbpy import Capabilities, Connector, NotFoundError, ValidationError
from lbpy.testing import CHECKS, ConnectorConformance


def connector_module(name: str, cls: type) -> types.ModuleType:
    """A connector package made on the fly: a module whose initialize() sets the connector."""
    module = types.ModuleType(name)

    def initialize(datasource):
        datasource.connector = cls(datasource.settings, datasource)

    module.initialize = initialize
    sys.modules[name] = module
    return module


class MinimalConnector(Connector):
    """The required core only (all, create, update_attributes, destroy_all), evaluating
    nothing of a filter itself: lbpy's defaults and filter evaluation do the rest."""

    name = "minimal"
    blocking = False
    capabilities = Capabilities.none()

    def __init__(self, settings=None, datasource=None):
        super().__init__(settings, datasource)
        self.tables: dict[str, dict] = {}
        self.next_id = 0

    def all(self, model, filter, options):
        assert filter.where is None and filter.order is None and filter.limit is None
        return [copy.deepcopy(row) for row in self.tables.setdefault(model, {}).values()]

    def create(self, model, data, options):
        table = self.tables.setdefault(model, {})
        id_name = self.id_name(model)
        id = data.get(id_name)
        if id is None:
            self.next_id += 1
            id = self.next_id
        elif id in table:
            raise ValidationError(model, {id_name: [("uniqueness", "is not unique")]})
        table[id] = {**copy.deepcopy(data), id_name: id}
        return id

    def update_attributes(self, model, id, data, options):
        row = self.tables.setdefault(model, {}).get(id)
        if row is None:
            raise NotFoundError(f'Unknown "{model}" id "{id}".')
        row.update(copy.deepcopy({k: v for k, v in data.items() if k != self.id_name(model)}))
        return copy.deepcopy(row)

    def destroy_all(self, model, where, options):
        # Capabilities.none(): lbpy sends no where (delete all) or one id at a time
        table = self.tables.setdefault(model, {})
        if where is None:
            count = len(table)
            table.clear()
            return {"count": count}
        ((_, condition),) = where.items()
        return {"count": 1 if table.pop(condition["eq"], None) is not None else 0}


class EqOnlyMinimalConnector(MinimalConnector):
    """Evaluates equality on plain properties; lbpy does every other part of a filter."""

    name = "minimal-eq"
    capabilities = Capabilities(operators=frozenset({"eq"}), fields=False, order=False, limit=False, nested_paths=False)

    @staticmethod
    def matches(row, where):
        if where is None:
            return True
        ((path, condition),) = where.items()
        value, wanted = row.get(path), condition["eq"]
        if value is None or wanted is None:
            return value is None and wanted is None
        return value == wanted and isinstance(value, bool) == isinstance(wanted, bool)

    def all(self, model, filter, options):
        rows = self.tables.setdefault(model, {}).values()
        return [copy.deepcopy(r) for r in rows if self.matches(r, filter.where)]

    def destroy_all(self, model, where, options):
        table = self.tables.setdefault(model, {})
        doomed = [id for id, row in table.items() if self.matches(row, where)]
        for id in doomed:
            del table[id]
        return {"count": len(doomed)}


class TestAMinimalConnectorPassesTheWholeKit(ConnectorConformance):
    settings: ClassVar[dict[str, Any]] = {"connector": connector_module("kit_minimal_connector", MinimalConnector)}


class TestAnEqualityOnlyConnectorPassesTheWholeKit(ConnectorConformance):
    settings: ClassVar[dict[str, Any]] = {"connector": connector_module("kit_eq_connector", EqOnlyMinimalConnector)}


def test_the_kit_has_at_least_80_checks():
    assert len(CHECKS) >= 80
    both = [c for c in CHECKS.values() if c.modes == ("connector", "model")]
    assert len(both) >= 80


# -- broken connectors fail, and say why ---------------------------------------------------------


class ForgetfulConnector(MinimalConnector):
    """The article's create: answers an id but never stores the record."""

    def create(self, model, data, options):
        self.next_id += 1
        return self.next_id


class OrderIgnoringConnector(MinimalConnector):
    """Declares that it sorts, and does not."""

    capabilities = Capabilities()

    def all(self, model, filter, options):
        from dataclasses import replace

        from lbpy._filter import apply_filter

        rows = [dict(r) for r in self.tables.setdefault(model, {}).values()]
        return apply_filter(rows, replace(filter, order=None))


class NotFoundIgnoringConnector(MinimalConnector):
    def update_attributes(self, model, id, data, options):
        return {self.id_name(model): id, **data}


def kit_for(cls: type) -> ConnectorConformance:
    class Kit(ConnectorConformance):
        settings: ClassVar[dict[str, Any]] = {"connector": connector_module(f"kit_{cls.__name__.lower()}", cls)}

    return Kit()


def test_a_connector_that_never_stores_fails_with_what_came_back():
    kit = kit_for(ForgetfulConnector)
    with pytest.raises(AssertionError) as failure:
        kit.run_check("create_then_find_by_id_returns_the_record", "connector")
    assert "find by id 1 after create must find the record; got None" in str(failure.value)


def test_a_connector_that_claims_to_sort_and_does_not_fails():
    kit = kit_for(OrderIgnoringConnector)
    with pytest.raises(AssertionError) as failure:
        kit.run_check("order_number_descending", "model")
    message = str(failure.value)
    assert "expected ['cherry', 'apple', 'elderberry', 'date', 'banana']" in message
    assert "got ['apple', 'banana', 'cherry', 'date', 'elderberry']" in message


def test_a_connector_that_updates_unknown_ids_fails():
    kit = kit_for(NotFoundIgnoringConnector)
    with pytest.raises(AssertionError) as failure:
        kit.run_check("update_attributes_of_an_unknown_id_is_not_found", "connector")
    assert "expected NotFoundError to be raised, got the result" in str(failure.value)


def test_an_unknown_check_name_is_refused():
    with pytest.raises(KeyError, match="no conformance check"):
        ConnectorConformance().run_check("no_such_check")

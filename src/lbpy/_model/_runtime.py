"""What lbpy builds for one model class beyond its definition, kept in one record.

Each model class owns a ``ModelRuntime`` (``Model._runtime``), made when the class is made.
The feature modules (validations, scopes, remote methods, relations, change streams) fill in
their part of it; nothing else is stored on the class, so what a model has is visible in one place.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._registry import ModelRegistry


@dataclass(eq=False)
class ModelRuntime:
    #: the models of the app this model belongs to (None for a model built alone)
    registry: ModelRegistry | None = None
    #: operation hooks by operation ("before save", ...), inherited from the base model
    observers: dict[str, list[Callable[..., Any]]] = field(default_factory=dict)
    #: change listeners (``Model.on_change``)
    listeners: list[Callable[..., Any]] = field(default_factory=list)
    #: open change streams, ended when the server stops
    change_streams: set[Any] = field(default_factory=set)
    #: carries this model's changes to and from other processes (``_change_relay``), or None
    change_relay: Any = None
    #: the resolved relations by name (``Relation`` objects)
    relations: dict[str, Any] = field(default_factory=dict)
    #: relations whose target's relation routes are nested under this model's (nestRemoting)
    nested_relations: list[str] = field(default_factory=list)
    #: properties read back from storage as Python values (dates, buffers): (name, coerce)
    load_converters: list[tuple[str, Callable[..., Any]]] = field(default_factory=list)
    #: synchronous validations per property, in LoopBack's order, and all of them flattened
    rules_by_property: dict[str, list[Callable[..., Any]]] = field(default_factory=dict)
    validators: list[Callable[..., Any]] = field(default_factory=list)
    #: uniqueness rules (they query the datasource)
    unique_rules: list[Any] = field(default_factory=list)
    #: the default scope, merged into every query, and the values it writes into every record
    default_scope: Callable[..., Any] | None = None
    scope_values: dict[str, Any] | None = None
    #: named scopes this model defines (its bases' are found through the class hierarchy)
    named_scopes: dict[str, Any] = field(default_factory=dict)
    #: remote methods this model defines, and the method names it no longer serves
    remote_methods: dict[str, Any] = field(default_factory=dict)
    disabled_methods: set[str] = field(default_factory=set)
    #: remote hooks as (phase, compiled pattern, function), and their look-up by method name
    remote_hooks: list[tuple[str, Any, Callable[..., Any]]] = field(default_factory=list)
    remote_hook_index: dict[str, Any] = field(default_factory=dict)
    #: the app's access control (``lbpy._auth``), and a User model's event listeners
    auth: Any = None
    auth_events: dict[str, list[Callable[..., Any]]] = field(default_factory=dict)

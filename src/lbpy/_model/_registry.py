"""The models of one app, by name: all that model code knows of the app it belongs to.

A model reaches another model (a relation's target, an included model, a through model) through
its registry, never through the application object, so the model layer stays below the app.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

from ._definition import ModelSpec

if TYPE_CHECKING:
    from ._persisted import Model


def _camelize(name: str) -> str:
    """``my-thing`` → ``myThing``, as LoopBack 3 also registered a model (underscore.string's camelize)."""
    return re.sub(r"[-_\s]+(.)?", lambda m: (m.group(1) or "").upper(), name.strip())


def _classify(name: str) -> str:
    """``my-thing`` → ``MyThing``, as LoopBack 3 also registered a model (underscore.string's classify)."""
    spelled = re.sub(r"\s", "", _camelize(re.sub(r"[\W_]", " ", name)))
    return spelled[:1].upper() + spelled[1:]


class ModelRegistry(Mapping[str, "type[Model]"]):
    """Model classes by name, in the order they were added; a read-only mapping to its users."""

    def __init__(self) -> None:
        self._models: dict[str, type[Model]] = {}
        self._specs: dict[str, ModelSpec] = {}
        self._aliases: dict[str, type[Model]] = {}

    def add(self, model: type[Model]) -> None:
        self._models[model.spec.name] = model
        self._specs[model.spec.name] = model.spec
        for alias in (_classify(model.spec.name), _camelize(model.spec.name)):
            self._aliases.setdefault(alias, model)

    def _lookup(self, name: str) -> type[Model] | None:
        """The model named ``name``, else the one LoopBack 3 also registered as ``name`` (``app.models.Team`` for
        a model named ``team``, ``app.models.myThing`` for ``my-thing``)."""
        found = self._models.get(name)
        return found if found is not None else self._aliases.get(name)

    def get_model(self, name: str) -> type[Model]:
        """The model ``name``; a LookupError that lists the known models when there is none."""
        found = self._lookup(name)
        if found is None:
            raise LookupError(f'no model named "{name}" (models: {", ".join(self._models)})')
        return found

    def find(self, name: str | None) -> type[Model] | None:
        """A model by name, then by name in any case, as LoopBack looked models up."""
        if not name:
            return None
        found = self._models.get(name)
        if found is not None:
            return found
        lower = name.lower()
        return next((model for key, model in self._models.items() if key.lower() == lower), None)

    @property
    def specs(self) -> Mapping[str, ModelSpec]:
        """Every model's definition by name (what the filter parser needs for ``include``)."""
        return self._specs

    def __getitem__(self, name: str) -> type[Model]:
        found = self._lookup(name)
        if found is None:
            raise KeyError(name)
        return found

    def __getattr__(self, name: str) -> type[Model]:
        """``app.models.Note``, as LoopBack apps write it."""
        found = None if name.startswith("_") or "_models" not in self.__dict__ else self._lookup(name)
        if found is None:
            models: dict[str, type[Model]] = self.__dict__.get("_models", {})
            raise AttributeError(f'no model named "{name}" (models: {", ".join(models)})')
        return found

    def __iter__(self) -> Iterator[str]:
        return iter(self._models)

    def __len__(self) -> int:
        return len(self._models)

    def __repr__(self) -> str:
        return f"<ModelRegistry {', '.join(self._models)}>"

"""The models of one app, by name: all that model code knows of the app it belongs to.

A model reaches another model (a relation's target, an included model, a through model) through
its registry, never through the application object, so the model layer stays below the app.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

from ._definition import ModelSpec

if TYPE_CHECKING:
    from ._persisted import Model


class ModelRegistry(Mapping[str, "type[Model]"]):
    """Model classes by name, in the order they were added; a read-only mapping to its users."""

    def __init__(self) -> None:
        self._models: dict[str, type[Model]] = {}
        self._specs: dict[str, ModelSpec] = {}

    def add(self, model: type[Model]) -> None:
        self._models[model.spec.name] = model
        self._specs[model.spec.name] = model.spec

    def get_model(self, name: str) -> type[Model]:
        """The model ``name``; a LookupError that lists the known models when there is none."""
        try:
            return self._models[name]
        except KeyError:
            raise LookupError(f'no model named "{name}" (models: {", ".join(self._models)})') from None

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
        return self._models[name]

    def __getattr__(self, name: str) -> type[Model]:
        """``app.models.Note``, as LoopBack apps write it."""
        models: dict[str, type[Model]] = self.__dict__.get("_models", {})
        if name.startswith("_") or name not in models:
            raise AttributeError(f'no model named "{name}" (models: {", ".join(models)})')
        return models[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._models)

    def __len__(self) -> int:
        return len(self._models)

    def __repr__(self) -> str:
        return f"<ModelRegistry {', '.join(self._models)}>"

"""Model features declared in JSON beyond properties: validations, mixins, scopes, methods."""

from __future__ import annotations


def apply_model_features(app) -> None:
    """Build what each model's JSON declares beyond its properties (filled in by later features)."""

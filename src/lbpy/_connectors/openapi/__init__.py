"""The ``openapi`` connector: every operation of an OpenAPI 2 or 3 document as a model method,
and CRUD over the resources it describes. See ``_connector``."""

from .._base import ConnectorHost
from ._connector import OpenApiConnector
from ._spec import Spec, load_spec

__all__ = ["OpenApiConnector", "Spec", "initialize", "load_spec"]


def initialize(datasource: ConnectorHost) -> None:
    datasource.connector = OpenApiConnector(datasource.settings, datasource.models, app_dir=datasource.app_dir)

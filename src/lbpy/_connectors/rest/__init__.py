"""The ``rest`` connector (loopback-connector-rest): CRUD over a remote REST resource, and
template operations as model methods. See ``_connector``."""

from .._base import ConnectorHost
from ._connector import RestConnector, RestResource
from ._template import Template

__all__ = ["RestConnector", "RestResource", "Template", "initialize"]


def initialize(datasource: ConnectorHost) -> None:
    datasource.connector = RestConnector(datasource.settings, datasource.models, app_dir=datasource.app_dir)

"""{{ cookiecutter.description }}.

The index of the package: lbpy imports it, by the name "{{ cookiecutter.name }}", and calls
``initialize(datasource)`` for every datasource whose ``connector`` is "{{ cookiecutter.name }}".
The implementation is in ``lib/{{ cookiecutter.lib_name }}.py``.
"""

from .lib.{{ cookiecutter.lib_name }} import {{ cookiecutter.class_name }}, {{ cookiecutter.client_class }}

__all__ = ["{{ cookiecutter.class_name }}", "{{ cookiecutter.client_class }}", "initialize"]


def initialize(datasource) -> None:
    """Give ``datasource`` its connector. No I/O here: the first request connects, and
    ``disconnect()`` closes the connections when the app stops."""
    datasource.connector = {{ cookiecutter.class_name }}(
        datasource.settings, datasource.models, app_dir=datasource.app_dir
    )

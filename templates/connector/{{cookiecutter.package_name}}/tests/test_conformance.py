"""lbpy's conformance kit: every behaviour a connector must have, run against this one.

Each check runs against the connector's own methods and through lbpy's model layer; a failure
says what was expected and what came back. See ``lbpy.testing`` for the options.
"""

import {{ cookiecutter.module_name }}
from lbpy.testing import ConnectorConformance


class Test{{ cookiecutter.class_name }}Conformance(ConnectorConformance):
    # the settings of a datasource using this connector; the module itself stands for its name,
    # so the tests run on this folder's code whether or not the package is installed
    settings = {"connector": {{ cookiecutter.module_name }}}

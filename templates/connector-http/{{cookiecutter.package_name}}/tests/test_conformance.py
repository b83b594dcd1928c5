"""lbpy's conformance kit: every behaviour a connector must have, run against this one, whose
requests reach the fake API in-process (tests/fake_api.py).

Each check runs against the connector's own methods and through lbpy's model layer; a failure
says what was expected and what came back. See ``lbpy.testing`` for the options.
"""

import httpx

import {{ cookiecutter.module_name }}
from fake_api import TOKEN, FakeApi
from lbpy.testing import ConnectorConformance

API = FakeApi()


class Test{{ cookiecutter.class_name }}Conformance(ConnectorConformance):
    def datasource_settings(self):
        # the module itself stands for the connector's name, so the tests run on this folder's
        # code whether or not the package is installed
        return {
            "connector": {{ cookiecutter.module_name }},
            "baseURL": "http://api.test/api",
            "auth": {"type": "bearer", "token": TOKEN},
            "transport": httpx.ASGITransport(app=API),
        }

"""Methods a model gets from its datasource's connector (Connector.model_functions): a model
method taking positional or named arguments, and a remote method served and documented unless
the connector says ``"shared": false`` or the model JSON's ``methods`` declares the name."""

from __future__ import annotations

import importlib.machinery
import sys
import types
from typing import Any

import anyio
import pytest
from conftest import write_app
from starlette.testclient import TestClient

from lbpy import BootError, Connector, create_app

GREETER_FUNCTIONS: dict[str, dict[str, Any]] = {
    "greet": {
        "accepts": [{"arg": "who", "type": "string", "required": True}, {"arg": "times", "type": "number"}],
        "returns": {"arg": "greeting", "type": "string"},
        "http": {"verb": "get", "path": "/greet"},
    },
    "secret": {"accepts": [], "returns": {"arg": "data", "type": "any", "root": True}, "shared": False},
}


class Greeter(Connector):
    name = "greeter"
    blocking = False
    #: the functions it adds to its models (initialize sets them)
    functions: dict[str, dict[str, Any]]

    def model_functions(self, model):
        return self.functions

    async def call_function(self, model, name, args, options):
        if name == "secret":
            return {"model": model}
        return " ".join([f"hello {args['who']}"] * int(args.get("times") or 1))


def module(functions=None) -> types.ModuleType:
    mod = types.ModuleType("lbpy_connector_greeter")

    def initialize(datasource):
        datasource.connector = Greeter(datasource.settings, datasource.models)
        datasource.connector.functions = GREETER_FUNCTIONS if functions is None else functions

    mod.initialize = initialize
    mod.__spec__ = importlib.machinery.ModuleSpec(mod.__name__, None)  # found by name, as if installed
    sys.modules[mod.__name__] = mod
    return mod


def app_with(tmp_path, model=None, functions=None):
    module(functions)
    root = write_app(
        tmp_path,
        {"Hello": model or {"base": "Model"}},
        datasources={"g": {"name": "g", "connector": "greeter"}},
        model_config={"Hello": {"dataSource": "g", "public": True}},
    )
    return create_app(root)


def test_a_function_is_a_model_method_with_positional_or_named_arguments(tmp_path):
    Hello = app_with(tmp_path).models["Hello"]

    async def go():
        return await Hello.greet("ann", 2), await Hello.greet(who="bob"), await Hello.secret()

    assert anyio.run(go) == ("hello ann hello ann", "hello bob", {"model": "Hello"})
    with pytest.raises(TypeError, match=r"takes 2 argument\(s\) \(who, times\), 3 given"):
        anyio.run(lambda: Hello.greet("a", 1, 2))


def test_a_shared_function_is_a_remote_method_and_documented(tmp_path):
    with TestClient(create_app(app_with(tmp_path).root)) as client:
        assert client.get("/api/Hellos/greet", params={"who": "ann", "times": "3"}).json() == {
            "greeting": "hello ann hello ann hello ann"
        }
        assert client.get("/api/Hellos/greet").status_code == 400  # who is required
        assert client.post("/api/Hellos/secret").status_code == 404  # "shared": false
        assert "/Hellos/greet" in client.get("/openapi.json").json()["paths"]


def test_the_model_json_methods_entry_wins(tmp_path):
    model = {
        "base": "Model",
        "methods": {
            "greet": {
                "accepts": [{"arg": "who", "type": "string"}],
                "returns": {"arg": "text", "type": "string", "root": True},
                "http": {"verb": "post", "path": "/say"},
            }
        },
    }
    with TestClient(create_app(app_with(tmp_path, model).root)) as client:
        assert client.post("/api/Hellos/say", json={"who": "cy"}).json() == "hello cy"
        assert client.get("/api/Hellos/greet", params={"who": "x"}).status_code == 404


@pytest.mark.parametrize(
    "functions, message",
    [
        ({"find": {}}, "would replace Hello.find"),
        ({"not-a-name": {}}, "is not a valid method name"),
        ({"ok": {"accepts": [{"type": "string"}]}}, 'each "accepts" item needs an "arg" name'),
    ],
)
def test_unusable_functions_are_boot_errors_naming_the_model_file(tmp_path, functions, message):
    with pytest.raises(BootError, match=message) as caught:
        app_with(tmp_path, {"base": "PersistedModel"}, functions)
    assert "common/models/hello.json" in str(caught.value)

"""The wizards in a real pseudo-terminal: questionary prompts driven with arrow keys and typing,
as a person at a terminal drives them."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from conftest import write_app

pexpect = pytest.importorskip("pexpect", reason="the terminal tests need pexpect (pip install -e '.[test]')")

DOWN, UP, ENTER = "\x1b[B", "\x1b[A", "\r"

ACME = """
from lbpy import Connector, Setting


class AcmeConnector(Connector):
    name = "acme"
    settings_schema = (
        Setting("host", default="localhost"),
        Setting("port", type="number", default=5432),
        Setting("database", required=True, description="database name"),
        Setting("password", secret=True, required=True),
        Setting("token", secret=True),
        Setting("ssl", type="boolean", default=False),
    )

    def all(self, model, filter, options):
        return []


def initialize(datasource):
    datasource.connector = AcmeConnector(datasource.settings, datasource)
"""


class Terminal:
    """``lbpy`` in a pseudo-terminal; ``answer`` waits for a prompt, then presses keys."""

    def __init__(self, root: Path, *args: str) -> None:
        env = {
            **os.environ,
            "TERM": "xterm-256color",
            "PROMPT_TOOLKIT_NO_CPR": "1",
            "COLUMNS": "120",
            "LINES": "50",
            "NO_COLOR": "1",
        }
        self.child = pexpect.spawn(
            sys.executable,
            ["-m", "lbpy", *args, "--app", str(root)],
            env=env,
            dimensions=(50, 120),
            encoding="utf-8",
            timeout=20,
        )
        self.transcript: list[str] = []

    def answer(self, prompt: str, *keys: str) -> None:
        self.child.expect_exact(prompt)
        self.transcript.append(self.child.before + prompt)
        for key in keys:
            self.child.send(key)

    def finish(self) -> tuple[int, str]:
        self.child.expect(pexpect.EOF)
        self.transcript.append(self.child.before)
        self.child.close()
        return self.child.exitstatus, "".join(self.transcript)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    root = write_app(tmp_path / "app")
    (root / "connectors").mkdir()
    (root / "connectors" / "acme.py").write_text(ACME)
    return root


def read(root: Path, relative: str) -> dict:
    return json.loads((root / relative).read_text())


def test_datasource_wizard(root):
    from lbpy._cli._datasource import connector_choices

    steps_to_acme = list(connector_choices(root)).index("acme") - list(connector_choices(root)).index("memory")
    term = Terminal(root, "datasource")
    term.answer("Enter the datasource name:", "store", ENTER)
    term.answer("Select the connector for store:", *[DOWN] * steps_to_acme, ENTER)
    term.answer("host:", ENTER)  # the default
    term.answer("port:", "\b" * 4, "6000", ENTER)
    term.answer("database: database name:", "shop", ENTER)
    term.answer("password:", "s3cret", ENTER)  # masked
    term.answer("token:", ENTER)  # blank: left to the environment
    term.answer("ssl?", "y")
    code, screen = term.finish()
    assert code == 0, screen
    assert "s3cret" not in screen
    assert read(root, "server/datasources.json")["store"] == {
        "name": "store",
        "connector": "acme",
        "host": "localhost",
        "port": 6000,
        "database": "shop",
        "password": "s3cret",
        "token": "${STORE_TOKEN:-}",
        "ssl": True,
    }


def test_model_wizard_with_its_property_loop(root):
    write_app(root, {"Animal": {}})
    term = Terminal(root, "model")
    term.answer("Enter the model name:", "Customer", ENTER)
    term.answer("Select the datasource to attach Customer to:", ENTER)  # db
    # LoopBack's list: Model, PersistedModel, then the built-ins and the app's models by name
    term.answer("Select model's base class:", DOWN, DOWN, DOWN, ENTER)  # PersistedModel, ACL, AccessToken, Animal
    term.answer("Expose Customer via the REST API?", "y")
    term.answer("Custom plural form (used to build REST URL):", "Clients", ENTER)
    term.answer("Common model or server only:", DOWN, ENTER)  # server
    term.answer("Enter an empty property name when done.")

    term.answer("Enter the property name (empty when done):", "name", ENTER)
    term.answer("Property type:", ENTER)  # string
    term.answer("Required?", "y")
    term.answer("Default value [leave blank for none]:", "anonymous", ENTER)

    term.answer("Enter the property name (empty when done):", "tags", ENTER)
    term.answer("Property type:", DOWN, DOWN, DOWN, DOWN, ENTER)  # array
    term.answer("The type of array items:", ENTER)  # string
    term.answer("Required?", "n")
    term.answer("Default value [leave blank for none]:", ENTER)

    term.answer("Enter the property name (empty when done):", "age", ENTER)
    term.answer("Property type:", DOWN, ENTER)  # number
    term.answer("Required?", "n")
    term.answer("Default value [leave blank for none]:", "old", ENTER)
    term.answer("is not a number", "\b" * 3, "18", ENTER)  # the prompt refuses, the user fixes it

    term.answer("Enter the property name (empty when done):", "name", ENTER)
    term.answer('already has a property "name"', "\b" * 4, ENTER)  # a name twice is refused; empty ends

    code, screen = term.finish()
    assert code == 0, screen
    assert "Let's add another Customer property." in screen
    listed = screen[screen.index("Select model's base class:") : screen.index("Expose Customer")]
    assert all(
        base in listed
        for base in ("Model", "PersistedModel", "ACL", "AccessToken", "Role", "RoleMapping", "User", "Animal")
    )
    definition = read(root, "server/models/customer.json")
    assert definition["plural"] == "Clients" and definition["base"] == "Animal"
    assert definition["properties"] == {
        "name": {"type": "string", "required": True, "default": "anonymous"},
        "tags": {"type": ["string"]},
        "age": {"type": "number", "default": 18},
    }
    assert read(root, "server/model-config.json")["Customer"] == {"dataSource": "db", "public": True}
    assert (root / "server/models/customer.py").is_file()


def test_property_wizard(root):
    write_app(root, {"Customer": {"properties": {"name": "string"}}, "Order": {}})
    term = Terminal(root, "property")
    term.answer("Select the model:", DOWN, ENTER)  # Order
    term.answer("Enter the property name:", "placed", ENTER)
    term.answer("Property type:", *[DOWN] * 5, ENTER)  # date
    term.answer("Required?", "y")
    term.answer("Default value [leave blank for none]:", "now", ENTER)
    code, screen = term.finish()
    assert code == 0, screen
    assert read(root, "common/models/order.json")["properties"] == {
        "placed": {"type": "date", "required": True, "defaultFn": "now"}
    }


def test_property_wizard_other_type(root):
    write_app(root, {"Customer": {}, "Address": {"base": "Model"}})
    term = Terminal(root, "property", "Customer")
    term.answer("Enter the property name:", "home", ENTER)
    term.answer("Property type:", UP, ENTER)  # (other), the last item
    term.answer("Enter the type:", "Address", ENTER)
    term.answer("Required?", ENTER)  # default: no
    code, screen = term.finish()
    assert code == 0, screen
    assert read(root, "common/models/customer.json")["properties"] == {"home": {"type": "Address"}}


def test_relation_wizard(root):
    write_app(root, {"Customer": {}, "Order": {}, "Item": {}})
    term = Terminal(root, "relation")
    # the models are listed by name: Customer, Item, Order
    term.answer("Select the model to create the relationship from:", DOWN, DOWN, ENTER)  # Order
    term.answer("Relation type:", DOWN, ENTER)  # belongs to
    term.answer("Choose a model to create a relationship with:", ENTER)  # Customer
    term.answer("Enter the property name for the relation:", ENTER)  # customer
    term.answer("Optionally enter a custom foreign key:", "buyerId", ENTER)
    term.answer("Allow the relation to be nested in REST APIs?", "y")
    term.answer("Disable the relation from being included?", ENTER)
    code, screen = term.finish()
    assert code == 0, screen
    assert read(root, "common/models/order.json")["relations"] == {
        "customer": {
            "type": "belongsTo",
            "model": "Customer",
            "foreignKey": "buyerId",
            "options": {"nestRemoting": True},
        }
    }


def test_relation_wizard_has_many_through(root):
    write_app(root, {"Customer": {}, "Order": {}, "Item": {}})
    term = Terminal(root, "relation", "Customer")
    term.answer("Relation type:", ENTER)  # has many
    term.answer("Choose a model to create a relationship with:", DOWN, ENTER)  # Item
    term.answer("Enter the property name for the relation:", ENTER)  # items
    term.answer("Optionally enter a custom foreign key:", ENTER)
    term.answer("Require a through model?", "y")
    term.answer("Choose a through model:", DOWN, DOWN, ENTER)  # Order
    term.answer("Allow the relation to be nested in REST APIs?", ENTER)
    term.answer("Disable the relation from being included?", ENTER)
    code, screen = term.finish()
    assert code == 0, screen
    assert read(root, "common/models/customer.json")["relations"] == {
        "items": {"type": "hasMany", "model": "Item", "foreignKey": "", "through": "Order"}
    }


def test_acl_wizard_for_a_single_method_and_a_role_of_the_app(root):
    write_app(root, {"Customer": {}, "Order": {}})
    term = Terminal(root, "acl")
    term.answer("Select the model to apply the ACL entry to:", DOWN, DOWN, ENTER)  # (all), Customer, Order
    term.answer("Select the ACL scope:", DOWN, ENTER)  # a single method
    term.answer("Enter the method name:", "prototype.patchAttributes", ENTER)
    term.answer('without "prototype."', "\b" * len("prototype.patchAttributes"), "deleteById", ENTER)
    term.answer("Select the role:", *[DOWN] * 4, ENTER)  # other
    term.answer("Enter the role name:", "admin", ENTER)
    term.answer("Select the permission to apply:", DOWN, ENTER)  # DENY
    code, screen = term.finish()
    assert code == 0, screen
    assert "Select the access type" not in screen  # a method's entry is EXECUTE, as LoopBack's generator wrote it
    assert read(root, "common/models/order.json")["acls"] == [
        {
            "accessType": "EXECUTE",
            "principalType": "ROLE",
            "principalId": "admin",
            "permission": "DENY",
            "property": "deleteById",
        }
    ]
    assert "acls" not in read(root, "common/models/customer.json")


def test_acl_wizard_for_every_model_takes_loopbacks_defaults(root):
    write_app(root, {"Customer": {}, "Order": {}})
    term = Terminal(root, "acl")
    term.answer("Select the model to apply the ACL entry to:", ENTER)  # (all existing models)
    term.answer("Select the ACL scope:", ENTER)  # all methods and properties
    term.answer("Select the access type:", DOWN, DOWN, ENTER)  # All (match all types), Read, Write
    term.answer("Select the role:", DOWN, DOWN, ENTER)  # $everyone, $unauthenticated, $authenticated
    term.answer("Select the permission to apply:", ENTER)  # ALLOW
    code, screen = term.finish()
    assert code == 0, screen
    for relative in ("common/models/customer.json", "common/models/order.json"):
        assert read(root, relative)["acls"] == [
            {"accessType": "WRITE", "principalType": "ROLE", "principalId": "$authenticated", "permission": "ALLOW"}
        ]


def test_ctrl_c_stops_the_wizard_and_writes_nothing(root):
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    term = Terminal(root, "model")
    term.answer("Enter the model name:", "Customer", ENTER)
    term.answer("Select the datasource to attach Customer to:", "\x03")
    code, _ = term.finish()
    assert code == 130
    assert {p: p.read_bytes() for p in root.rglob("*") if p.is_file()} == before

"""``lbpy acl`` driven through the CLI with no terminal: flags, ``--yes`` and ``--config`` answer
LoopBack 3's ``loopback:acl`` questions, and the entry lands in the model JSON in LoopBack's format."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import write_app
from starlette.testclient import TestClient
from typer.testing import CliRunner

import lbpy._project as project_module
from lbpy import create_app
from lbpy._cli import app as cli

runner = CliRunner()


def run(root: Path, *args: str):
    return runner.invoke(cli, [*args, "--app", str(root)])


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def acls(root: Path, relative: str) -> list:
    return json.loads((root / relative).read_text())["acls"]


def fails(root: Path, *args: str, says: str, code: int = 2) -> str:
    """The command exits non-zero with one line naming the problem, and leaves every file as it was."""
    before = snapshot(root)
    result = run(root, *args)
    assert result.exit_code == code, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert says in lines[0], lines[0]
    assert snapshot(root) == before
    return lines[0]


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    """Customer and Order made by ``lbpy model`` (LoopBack's full format, with ``"acls": []``), and
    a hand-written Item in server/models without an ``acls`` key."""
    root = write_app(tmp_path / "app")
    for name in ("Customer", "Order"):
        assert run(root, "model", name, "--property", "name:string").exit_code == 0
    (root / "server/models").mkdir()
    (root / "server/models/item.json").write_text(
        '{\n  "name": "Item",\n  "properties": {\n    "sku": "string"\n  },\n  "relations": {},\n  "methods": {}\n}\n'
    )
    config = json.loads((root / "server/model-config.json").read_text())
    config["_meta"]["sources"].append("./models")
    config["Item"] = {"dataSource": "db", "public": True}
    (root / "server/model-config.json").write_text(json.dumps(config, indent=2))
    return root


CUSTOMER_WITH_ACL = """{
  "name": "Customer",
  "base": "PersistedModel",
  "idInjection": true,
  "options": {
    "validateUpsert": true
  },
  "properties": {
    "name": {
      "type": "string"
    }
  },
  "validations": [],
  "relations": {},
  "acls": [
    {
      "accessType": "READ",
      "principalType": "ROLE",
      "principalId": "admin",
      "permission": "DENY"
    }
  ],
  "methods": {}
}
"""


def test_acl_writes_loopbacks_entry_in_the_model_json(shop):
    result = run(shop, "acl", "--model", "Customer", "--access-type", "READ", "--role", "admin", "--permission", "DENY")
    assert result.exit_code == 0, result.output
    # what LoopBack's generator writes for the same answers, byte for byte
    assert (shop / "common/models/customer.json").read_text() == CUSTOMER_WITH_ACL
    assert "update  common/models/customer.json" in result.output
    assert acls(shop, "common/models/order.json") == []


def test_a_single_methods_entry_is_execute_with_the_method_as_property(shop):
    assert (
        run(
            shop, "acl", "--model", "Order", "--method", "deleteById", "--role", "$owner", "--permission", "ALLOW"
        ).exit_code
        == 0
    )
    assert (
        run(
            shop,
            "acl",
            "--model",
            "Order",
            "--scope",
            "method",
            "--property",
            "__get__items",
            "--role",
            "$authenticated",
            "--permission",
            "DENY",
        ).exit_code
        == 0
    )
    entries = acls(shop, "common/models/order.json")
    assert entries == [
        {
            "accessType": "EXECUTE",
            "principalType": "ROLE",
            "principalId": "$owner",
            "permission": "ALLOW",
            "property": "deleteById",
        },
        {
            "accessType": "EXECUTE",
            "principalType": "ROLE",
            "principalId": "$authenticated",
            "permission": "DENY",
            "property": "__get__items",
        },
    ]
    assert list(entries[0]) == ["accessType", "principalType", "principalId", "permission", "property"]


def test_a_single_method_may_name_its_access_type(shop):
    assert (
        run(
            shop, "acl", "--model", "Order", "--method", "find", "--access-type", "read", "--permission", "deny"
        ).exit_code
        == 0
    )
    assert acls(shop, "common/models/order.json") == [
        {
            "accessType": "READ",
            "principalType": "ROLE",
            "principalId": "$everyone",
            "permission": "DENY",
            "property": "find",
        }
    ]


def test_a_file_without_acls_gets_them_where_loopback_puts_them(shop):
    assert (
        run(
            shop,
            "acl",
            "--model",
            "Item",
            "--access-type",
            "write",
            "--role",
            "$unauthenticated",
            "--permission",
            "DENY",
        ).exit_code
        == 0
    )
    text = (shop / "server/models/item.json").read_text()
    definition = json.loads(text)
    assert list(definition) == ["name", "properties", "relations", "acls", "methods"]
    assert definition["properties"] == {"sku": "string"}  # a hand-written shorthand is kept as it is
    assert text == json.dumps(definition, indent=2) + "\n"


def test_all_models_writes_the_entry_into_every_model_of_the_app(shop):
    result = run(shop, "acl", "--all-models", "--access-type", "ALL", "--role", "$everyone", "--permission", "DENY")
    assert result.exit_code == 0, result.output
    entry = {"accessType": "*", "principalType": "ROLE", "principalId": "$everyone", "permission": "DENY"}
    for relative in ("common/models/customer.json", "common/models/order.json", "server/models/item.json"):
        assert acls(shop, relative) == [entry]
    assert "to 3 models" in result.output


def test_yes_takes_loopbacks_defaults_but_not_the_permission(shop):
    fails(shop, "acl", "--yes", says="The permission is required: pass --permission ALLOW or --permission DENY")
    assert run(shop, "acl", "--yes", "--permission", "DENY").exit_code == 0
    # every model, every method and property, every access type, $everyone
    entry = {"accessType": "*", "principalType": "ROLE", "principalId": "$everyone", "permission": "DENY"}
    for relative in ("common/models/customer.json", "common/models/order.json", "server/models/item.json"):
        assert acls(shop, relative) == [entry]


def test_an_entry_already_there_is_not_added_twice(shop):
    args = ("acl", "--model", "Customer", "--role", "admin", "--access-type", "READ", "--permission", "DENY")
    assert run(shop, *args).exit_code == 0
    before = snapshot(shop)
    again = run(shop, *args)
    assert again.exit_code == 0, again.output
    assert "keep  common/models/customer.json" in again.output and "Nothing to change" in again.output
    assert snapshot(shop) == before
    # for every model: the ones that already have it are left alone
    result = run(shop, "acl", "--all-models", *args[3:])
    assert "keep  common/models/customer.json" in result.output
    assert "update  common/models/order.json" in result.output
    assert len(acls(shop, "common/models/customer.json")) == 1


def test_answers_from_config_json_and_file(shop, tmp_path):
    # LoopBack's own answers: model null is "(all existing models)", role "other" with customRole
    answers = {
        "model": None,
        "scope": "method",
        "property": "replaceById",
        "role": "other",
        "customRole": "editor",
        "permission": "ALLOW",
    }
    assert run(shop, "acl", "--config", json.dumps(answers)).exit_code == 0
    entry = {
        "accessType": "EXECUTE",
        "principalType": "ROLE",
        "principalId": "editor",
        "permission": "ALLOW",
        "property": "replaceById",
    }
    assert acls(shop, "server/models/item.json") == [entry]
    (tmp_path / "answers.json").write_text(
        json.dumps({"model": "Order", "accessType": "WRITE", "role": "$authenticated", "permission": "DENY"})
    )
    assert run(shop, "acl", "--config", f"@{tmp_path / 'answers.json'}").exit_code == 0
    assert acls(shop, "common/models/order.json")[-1] == {
        "accessType": "WRITE",
        "principalType": "ROLE",
        "principalId": "$authenticated",
        "permission": "DENY",
    }
    assert run(shop, "acl", "--config", '{"allModels": true, "method": "find", "permission": "DENY"}').exit_code == 0
    assert acls(shop, "common/models/customer.json")[-1]["property"] == "find"


def test_flags_win_over_config(shop):
    assert (
        run(
            shop,
            "acl",
            "--config",
            '{"model": "Order", "permission": "ALLOW", "role": "$owner"}',
            "--model",
            "Customer",
            "--permission",
            "DENY",
        ).exit_code
        == 0
    )
    assert acls(shop, "common/models/order.json") == []
    assert acls(shop, "common/models/customer.json") == [
        {"accessType": "*", "principalType": "ROLE", "principalId": "$owner", "permission": "DENY"}
    ]


def test_an_app_with_acls_from_the_wizard_still_boots_and_serves(shop):
    assert (
        run(
            shop, "acl", "--all-models", "--role", "$unauthenticated", "--access-type", "WRITE", "--permission", "DENY"
        ).exit_code
        == 0
    )
    assert (
        run(
            shop, "acl", "--model", "Customer", "--method", "find", "--role", "$everyone", "--permission", "ALLOW"
        ).exit_code
        == 0
    )
    with TestClient(create_app(shop)) as client:
        assert client.get("/api/Customers").status_code == 200
        assert client.get("/api/Items").status_code == 200


@pytest.mark.parametrize(
    "args, says",
    [
        ([], "The model to apply the ACL entry to is required: pass --model MODEL or --all-models"),
        (["--model", "Customer"], "The permission is required: pass --permission ALLOW or --permission DENY"),
        (
            ["--model", "Nope", "--permission", "DENY"],
            '--model: the app has no model "Nope" (models: Customer, Item, Order)',
        ),
        (["--model", "Customer", "--all-models", "--permission", "DENY"], "--model and --all-models: pass one of them"),
        (["--model", "Customer", "--scope", "some", "--permission", "DENY"], '--scope: "some" is not an ACL scope'),
        (
            ["--model", "Customer", "--scope", "method", "--permission", "DENY"],
            "The method name is required: pass --method",
        ),
        (
            ["--model", "Customer", "--scope", "all", "--method", "find", "--permission", "DENY"],
            "--method names a single method: pass --scope method, or leave --method out",
        ),
        (
            ["--model", "Customer", "--method", "prototype.patchAttributes", "--permission", "DENY"],
            'an ACL names an instance method without "prototype." (use --method patchAttributes)',
        ),
        (["--model", "Customer", "--method", "find all", "--permission", "DENY"], '"find all" is not a method name'),
        (["--model", "Customer", "--method", "*", "--permission", "DENY"], "use --scope all instead"),
        (
            ["--model", "Customer", "--access-type", "DELETE", "--permission", "DENY"],
            '--access-type: "DELETE" is not an access type; use READ, WRITE, EXECUTE or ALL',
        ),
        (
            ["--model", "Customer", "--role", "$everyon", "--permission", "DENY"],
            '--role: "$everyon" is not one of LoopBack\'s built-in roles',
        ),
        (
            ["--model", "Customer", "--role", "other", "--permission", "DENY"],
            "The name of the app's role is required: pass --role NAME",
        ),
        (["--model", "Customer", "--role", " admin", "--permission", "DENY"], "no spaces at either end"),
        (["--model", "Customer", "--role", "ad\nmin", "--permission", "DENY"], "no control characters"),
        (["--model", "Customer", "--role", "", "--permission", "DENY"], "--role: a role name is required"),
        (
            ["--model", "Customer", "--permission", "MAYBE"],
            '--permission: "MAYBE" is not a permission; use ALLOW or DENY',
        ),
        (["--config", '{"allModels": "yes", "permission": "DENY"}'], "--all-models: the --config answer must be true"),
        (["--config", '{"model": 3, "permission": "DENY"}'], '--model: the app has no model "3"'),
        (
            ["--config", '{"model": "Customer", "customRole": "x", "role": "other", "permission": 1}'],
            "--permission: 1 is not a permission",
        ),
        (["--config", '{"perm": "DENY"}'], '--config: unknown answer "perm"'),
        (["--config", "{oops"], "--config: invalid JSON at line 1 column 2"),
    ],
)
def test_acl_errors_are_one_line_exit_2_and_touch_nothing(shop, args, says):
    fails(shop, "acl", *args, says=says)


def test_a_broken_model_file_stops_all_models_and_names_the_file(shop):
    (shop / "common/models/broken.json").write_text('{"name": "Broken",\n  "base": }')
    fails(
        shop,
        "acl",
        "--all-models",
        "--permission",
        "DENY",
        says="common/models/broken.json:2:11: invalid JSON (Expecting value); fix it first",
    )
    (shop / "common/models/broken.json").write_text('["not", "a", "model"]')
    fails(
        shop,
        "acl",
        "--all-models",
        "--permission",
        "DENY",
        says='common/models/broken.json is not a model definition (a JSON object with a "name"); fix it first',
    )
    # one model named: the others do not matter
    assert run(shop, "acl", "--model", "Order", "--permission", "DENY").exit_code == 0


def test_acls_that_are_not_a_list_are_reported(shop):
    path = shop / "common/models/order.json"
    path.write_text(path.read_text().replace('"acls": []', '"acls": {}'))
    fails(
        shop,
        "acl",
        "--model",
        "Order",
        "--permission",
        "DENY",
        says='common/models/order.json: "acls" must be a list; fix the file first',
    )
    fails(shop, "acl", "--all-models", "--permission", "DENY", says='"acls" must be a list')


def test_an_app_without_models(tmp_path):
    root = write_app(tmp_path / "app")
    fails(
        root,
        "acl",
        "--all-models",
        "--permission",
        "DENY",
        says="the app has no models yet; create one first with: lbpy model NAME",
    )


def test_not_an_app(tmp_path):
    fails(tmp_path, "acl", "--all-models", "--permission", "DENY", says="is not an lbpy app")


def test_a_failed_write_leaves_every_model_as_it_was(shop, monkeypatch):
    real = project_module.write_atomic
    written = []

    def failing(path, text):
        written.append(Path(path).name)
        if len(written) == 2:
            raise OSError(28, "No space left on device", str(path))
        real(path, text)

    monkeypatch.setattr(project_module, "write_atomic", failing)
    fails(shop, "acl", "--all-models", "--permission", "DENY", says="No space left on device", code=1)
    assert written[:2] == ["customer.json", "item.json"]

"""``lbpy model``, ``lbpy property``, ``lbpy relation`` and ``lbpy info`` driven through the CLI, with
no terminal: flags, ``--yes`` and ``--config`` answer every prompt."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import write_app
from typer.testing import CliRunner

from lbpy._cli import app as cli

runner = CliRunner()


def run(root: Path, *args: str):
    return runner.invoke(cli, [*args, "--app", str(root)])


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def read(root: Path, relative: str):
    return json.loads((root / relative).read_text())


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return write_app(tmp_path / "app")


def fails(root: Path, *args: str, says: str) -> str:
    """The command exits 2 with one line naming the problem, and leaves every file as it was."""
    before = snapshot(root)
    result = run(root, *args)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert says in lines[0], lines[0]
    assert snapshot(root) == before
    return lines[0]


# -- lbpy model -------------------------------------------------------------------------------------


LB3_CUSTOMER = """{
  "name": "Customer",
  "base": "PersistedModel",
  "idInjection": true,
  "options": {
    "validateUpsert": true
  },
  "properties": {
    "name": {
      "type": "string",
      "required": true
    },
    "tags": {
      "type": [
        "string"
      ]
    },
    "age": {
      "type": "number",
      "default": 18
    }
  },
  "validations": [],
  "relations": {},
  "acls": [],
  "methods": {}
}
"""


def test_model_writes_loopback_3_json_a_stub_and_the_model_config_entry(root):
    result = run(
        root,
        "model",
        "Customer",
        "--property",
        "name:string:required",
        "--property",
        "tags:[string]",
        "--property",
        "age:number=18",
    )
    assert result.exit_code == 0, result.output
    assert (root / "common/models/customer.json").read_text() == LB3_CUSTOMER
    stub = (root / "common/models/customer.py").read_text()
    assert "def customize(Model):" in stub
    compile(stub, "customer.py", "exec")
    assert read(root, "server/model-config.json")["Customer"] == {"dataSource": "db", "public": True}
    assert "create  common/models/customer.json" in result.output


def test_a_model_made_by_the_wizard_is_served_with_no_hand_editing(root):
    from starlette.testclient import TestClient

    from lbpy import create_app

    assert (
        run(root, "model", "Customer", "--property", "name:string:required", "--property", "age:number=18").exit_code
        == 0
    )
    assert (
        run(
            root, "model", "Order", "--plural", "Purchases", "--facet", "server", "--property", "total:number"
        ).exit_code
        == 0
    )
    assert run(root, "model", "Rush", "--base", "Order", "--property", "fee:number=5").exit_code == 0
    assert run(root, "relation", "Customer", "--type", "hasMany", "--model", "Order").exit_code == 0
    assert run(root, "relation", "Order", "--type", "belongsTo", "--model", "Customer").exit_code == 0
    with TestClient(create_app(root)) as client:
        created = client.post("/api/Customers", json={"name": "Ada"})
        assert created.status_code == 200
        assert created.json() == {"name": "Ada", "age": 18, "id": 1}
        assert client.post("/api/Customers", json={}).status_code == 422
        assert client.post("/api/Purchases", json={"total": 3}).json() == {"total": 3, "id": 1}
        assert client.post("/api/Rushes", json={"total": 4}).json() == {"total": 4, "fee": 5, "id": 1}


def test_model_file_names_follow_loopbacks_rule(root):
    for name in ("Model1", "HTTPServer", "URL", "my_model"):
        assert run(root, "model", name, "--yes").exit_code == 0
    files = sorted(p.name for p in (root / "common/models").glob("*.json"))
    assert files == ["http-server.json", "model-1.json", "my-model.json", "url.json"]


@pytest.mark.parametrize(
    "name, expected",
    [
        # what loopback-workspace's ModelDefinition.toFilename answers for each name
        ("CustomerOrder", "customer-order"),
        ("Model1", "model-1"),
        ("HTTPServer", "http-server"),
        ("URL", "url"),
        ("my_model", "my-model"),
        ("myModel", "my-model"),
        ("A1b2", "a-1-b-2"),
        ("XMLHttpRequest", "xml-http-request"),
        ("Foo$Bar", "foo-bar"),
        ("a-B", "a-b"),
        ("ABCd", "ab-cd"),
        ("Note2Go", "note-2-go"),
        ("pwx5th", "pwx-5th"),
        ("q6Kl6TH", "q-6-kl-6th"),
        ("iPhone", "i-phone"),
    ],
)
def test_kebab_case_is_loopback_workspaces_file_name(name, expected):
    from lbpy._project import kebab_case

    assert kebab_case(name) == expected


def test_model_yes_takes_loopbacks_defaults(root):
    assert run(root, "model", "Thing", "--yes").exit_code == 0
    assert read(root, "server/model-config.json")["Thing"] == {"dataSource": "db", "public": True}
    definition = read(root, "common/models/thing.json")
    assert definition["base"] == "PersistedModel" and definition["properties"] == {}
    assert "plural" not in definition and "strict" not in definition


def test_model_options_plural_strict_public_facet_and_base(root):
    assert run(root, "model", "Animal", "--yes").exit_code == 0
    result = run(
        root, "model", "Dog", "--base", "Animal", "--plural", "Doggies", "--strict", "--no-public", "--facet", "server"
    )
    assert result.exit_code == 0, result.output
    definition = read(root, "server/models/dog.json")
    assert list(definition)[:6] == ["name", "plural", "base", "strict", "idInjection", "options"]
    assert definition["plural"] == "Doggies" and definition["base"] == "Animal" and definition["strict"] is True
    config = read(root, "server/model-config.json")
    assert config["Dog"] == {"dataSource": "db", "public": False}
    # boot must find server/models: the wizard adds it to _meta.sources
    assert config["_meta"]["sources"] == ["../common/models", "./models"]


@pytest.mark.parametrize("base", ["User", "AccessToken", "ACL", "Role", "RoleMapping"])
def test_model_extends_loopbacks_auth_models(root, base):
    result = run(root, "model", "Account", "--base", base, "--property", "nickname:string")
    assert result.exit_code == 0, result.output
    definition = read(root, "common/models/account.json")
    assert list(definition)[:2] == ["name", "base"] and definition["base"] == base
    assert definition["properties"] == {"nickname": {"type": "string"}}


def test_model_base_from_config(root):
    assert run(root, "model", "--config", '{"name": "Member", "base": "User"}').exit_code == 0
    assert read(root, "common/models/member.json")["base"] == "User"


def test_model_without_a_datasource(root):
    assert run(root, "model", "Address", "--datasource", "none", "--base", "Model").exit_code == 0
    assert read(root, "server/model-config.json")["Address"] == {"dataSource": None, "public": True}
    assert read(root, "common/models/address.json")["base"] == "Model"


def test_model_config_keeps_existing_entries_in_order(tmp_path):
    root = write_app(
        tmp_path / "app",
        {"Zebra": {}, "Apple": {}},
        model_config={"Zebra": {"dataSource": "db", "public": False, "options": {"x": 1}}},
    )
    before = read(root, "server/model-config.json")
    assert run(root, "model", "Mango", "--yes").exit_code == 0
    text = (root / "server/model-config.json").read_text()
    after = json.loads(text)
    assert list(after) == [*before, "Mango"]
    assert {k: after[k] for k in before} == before
    assert text.startswith('{\n  "_meta": {\n    "sources": [\n      "../common/models"') and text.endswith("}\n")


@pytest.mark.parametrize(
    "spec, expected",
    [
        ("name", {"type": "string"}),
        ("name:string:required", {"type": "string", "required": True}),
        ("tags:[string]", {"type": ["string"]}),
        ("scores:[number]=1, 2,3", {"type": ["number"], "default": [1, 2, 3]}),
        ("flags:[boolean]=[true, false]", {"type": ["boolean"], "default": [True, False]}),
        ("stuff:array", {"type": "array"}),
        ("age:number=18", {"type": "number", "default": 18}),
        ("ratio:number=0.5", {"type": "number", "default": 0.5}),
        ("vip:boolean=true", {"type": "boolean", "default": True}),
        ("born:date=2020-01-02", {"type": "date", "default": "2020-01-02T00:00:00.000Z"}),
        ("created:date=now", {"type": "date", "defaultFn": "now"}),
        ("ref:string=uuid", {"type": "string", "defaultFn": "uuid"}),
        ("motto:string=a=b:c", {"type": "string", "default": "a=b:c"}),
        ("where:geopoint=1.5,2", {"type": "geopoint", "default": {"lat": 1.5, "lng": 2}}),
        ('meta:object={"a": 1}', {"type": "object", "default": {"a": 1}}),
        ("blob:buffer", {"type": "buffer"}),
        ("x:any=3", {"type": "any", "default": 3}),
        ("n:Integer:required", {"type": "number", "required": True}),
    ],
)
def test_property_specs(root, spec, expected):
    result = run(root, "model", "Thing", "--yes", "--property", spec)
    assert result.exit_code == 0, result.output
    name = spec.split(":")[0]
    assert read(root, "common/models/thing.json")["properties"] == {name: expected}


def test_a_model_typed_property_names_a_model_of_the_app(root):
    assert (
        run(root, "model", "Address", "--datasource", "none", "--base", "Model", "--property", "street").exit_code == 0
    )
    assert (
        run(root, "model", "Person", "--yes", "--property", "home:Address", "--property", "homes:[Address]").exit_code
        == 0
    )
    assert read(root, "common/models/person.json")["properties"] == {
        "home": {"type": "Address"},
        "homes": {"type": ["Address"]},
    }


def test_model_answers_from_config_json_and_file(root, tmp_path):
    answers = {
        "name": "Book",
        "datasource": "db",
        "plural": "Library",
        "public": False,
        "properties": ["title:string:required", {"name": "pages", "type": "number", "default": 100}],
    }
    assert run(root, "model", "--config", json.dumps(answers)).exit_code == 0
    definition = read(root, "common/models/book.json")
    assert definition["plural"] == "Library"
    assert definition["properties"] == {
        "title": {"type": "string", "required": True},
        "pages": {"type": "number", "default": 100},
    }
    assert read(root, "server/model-config.json")["Book"]["public"] is False
    answers_file = tmp_path / "answers.json"
    answers_file.write_text(json.dumps({"name": "Pen", "properties": {"ink": "string", "len": {"type": "number"}}}))
    assert run(root, "model", "--config", f"@{answers_file}").exit_code == 0
    assert read(root, "common/models/pen.json")["properties"] == {"ink": {"type": "string"}, "len": {"type": "number"}}


def test_flags_win_over_config(root):
    result = run(root, "model", "Flagged", "--plural", "Flags", "--config", '{"name": "Other", "plural": "X"}')
    assert result.exit_code == 0
    assert read(root, "common/models/flagged.json")["plural"] == "Flags"


def test_model_twice_is_an_error_and_force_replaces_keeping_relations_and_code(root):
    assert run(root, "model", "Customer", "--property", "name").exit_code == 0
    assert run(root, "model", "Order", "--yes").exit_code == 0
    assert run(root, "relation", "Customer", "--type", "hasMany", "--model", "Order").exit_code == 0
    stub = root / "common/models/customer.py"
    stub.write_text("def customize(Model):\n    Model.touched = True\n")
    fails(root, "model", "Customer", "--yes", says='model "Customer" already exists')
    result = run(root, "model", "Customer", "--force", "--property", "email", "--no-public")
    assert result.exit_code == 0, result.output
    definition = read(root, "common/models/customer.json")
    assert definition["properties"] == {"email": {"type": "string"}}
    assert definition["relations"]["orders"]["model"] == "Order"
    assert stub.read_text() == "def customize(Model):\n    Model.touched = True\n"
    config = read(root, "server/model-config.json")
    assert list(config).count("Customer") == 1 and config["Customer"]["public"] is False
    assert "keep  common/models/customer.py" in result.output


@pytest.mark.parametrize(
    "args, says",
    [
        (["model", "2fast"], 'NAME: "2fast" is not a valid model name'),
        (["model", "my-model"], "is not a valid model name"),
        (["model", "Model"], "is the name of a LoopBack base class"),
        (["model"], "pass NAME"),
        (["model", "X", "--datasource", "nope"], 'the app has no datasource "nope" (datasources: db)'),
        (["model", "X", "--base", "Animal"], '--base: "Animal" is not a base class lbpy knows'),
        (
            ["model", "X", "--base", "Application"],
            (
                "--base: lbpy does not provide LoopBack's built-in Application model (use one of: "
                "Model, PersistedModel, ACL, AccessToken, Email, Role, RoleMapping, User)"
            ),
        ),
        (["model", "X", "--base", "user"], '--base: "user" is not a base class lbpy knows'),
        (["model", "User"], '"User" is the name of a LoopBack base class'),
        (["model", "X", "--facet", "client"], '--facet must be "common" or "server"'),
        (["model", "X", "--plural", "a/b"], "cannot be a URL path segment"),
        (["model", "X", "--property", "age:integr"], '"integr" is not a type lbpy knows'),
        (
            ["model", "X", "--property", "age:number=abc"],
            '--property "abc" is not a number (property "age" has type number)',
        ),
        (["model", "X", "--property", "ok:boolean=maybe"], '"maybe" is not a boolean'),
        (["model", "X", "--property", "d:date=someday"], '"someday" is not a valid date'),
        (["model", "X", "--property", "o:object=[1]"], "is not an object"),
        (["model", "X", "--property", "o:object={oops"], "is not valid JSON"),
        (["model", "X", "--property", "b:buffer=abc"], "a buffer property takes no default"),
        (["model", "X", "--property", "g:geopoint=100,0"], "is not a valid geopoint"),
        (["model", "X", "--property", "n:[[string]]"], "cannot be arrays"),
        (["model", "X", "--property", "2x:string"], "is not a valid property name"),
        (["model", "X", "--property", "a:string:optional"], '"optional" is not understood'),
        (["model", "X", "--property", "a", "--property", "a:number"], 'property "a" is given twice'),
        (["model", "X", "--property", "constructor"], "is a reserved name"),
        (["model", "X", "--config", "{bad"], "--config: invalid JSON at line 1 column 2"),
        (["model", "X", "--config", "[1]"], "--config must be a JSON object"),
        (["model", "X", "--config", '{"nmae": "Y"}'], '--config: unknown answer "nmae"'),
        (["model", "X", "--config", "@/no/such/answers.json"], "--config /no/such/answers.json"),
        (["model", "X", "--config", '{"public": "yes"}'], "must be true or false"),
    ],
)
def test_model_errors_are_one_line_exit_2_and_touch_nothing(root, args, says):
    fails(root, *args, says=says)


def test_a_name_that_maps_onto_another_models_file_is_refused(tmp_path):
    root = write_app(tmp_path / "app")
    (root / "common/models/customer.json").write_text(json.dumps({"name": "customer"}))
    fails(root, "model", "Customer", "--yes", says="common/models/customer.json already exists (model customer)")


def test_not_an_app(tmp_path):
    result = run(tmp_path, "model", "X")
    assert result.exit_code == 2 and "is not an lbpy app" in result.stderr


def test_a_failed_write_leaves_no_half_made_model(root, monkeypatch):
    """The model JSON, the stub and the model-config entry are written together or not at all."""
    import lbpy._project as project_module
    from lbpy._cli._model import NewModel, create_model
    from lbpy._project import AppProject

    before = snapshot(root)
    real = project_module.write_atomic
    calls = []

    def failing(path, text):
        calls.append(Path(path).name)
        if Path(path).name == "model-config.json" and len(calls) == 3:
            raise OSError(28, "No space left on device", str(path))
        real(path, text)

    monkeypatch.setattr(project_module, "write_atomic", failing)
    with pytest.raises(OSError):
        create_model(AppProject(root), NewModel(name="Customer", datasource="db"))
    assert calls[:3] == ["customer.py", "customer.json", "model-config.json"]
    assert snapshot(root) == before


def test_write_files_restores_changed_files_when_one_fails(root, monkeypatch):
    import lbpy._project as project_module
    from lbpy._project import AppProject

    project = AppProject(root)
    (root / "a.txt").write_text("old a")
    real = project_module.write_atomic

    def failing(path, text):
        if Path(path).name == "c.txt":
            raise OSError(5, "I/O error", str(path))
        real(path, text)

    monkeypatch.setattr(project_module, "write_atomic", failing)
    with pytest.raises(OSError):
        project.write_files({"a.txt": "new a", "b.txt": "new b", "c.txt": "new c"})
    assert (root / "a.txt").read_text() == "old a"
    assert not (root / "b.txt").exists() and not (root / "c.txt").exists()


def test_the_model_template_renders_loopbacks_exact_format():
    """The template itself writes two-space JSON, so what it renders is what lands on disk."""
    from lbpy._cli._model import NewModel, render_template
    from lbpy._cli._property import NewProperty
    from lbpy._project import dump_json

    for new in (
        NewModel(name="A"),
        NewModel(name="B", plural="Bs", strict=False, properties=[NewProperty("x", ["number"], True, [1, 2])]),
    ):
        text = render_template(
            "model/model.json.jinja",
            name=new.name,
            plural=new.plural,
            base=new.base,
            strict=new.strict,
            properties={p.name: p.definition() for p in new.properties},
        )
        assert text == dump_json(json.loads(text))


# -- lbpy property ----------------------------------------------------------------------------------


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    root = write_app(tmp_path / "app")
    assert run(root, "model", "Customer", "--property", "name:string:required").exit_code == 0
    assert run(root, "model", "Order", "--property", "total:number").exit_code == 0
    return root


def test_property_appends_to_the_model_keeping_everything_else(shop):
    path = shop / "common/models/customer.json"
    data = json.loads(path.read_text())
    data["hidden"] = ["secret"]
    data["description"] = "people who buy"
    path.write_text(json.dumps(data, indent=2) + "\n")
    result = run(shop, "property", "Customer", "email", "--type", "string", "--required")
    assert result.exit_code == 0, result.output
    after = json.loads(path.read_text())
    assert list(after["properties"]) == ["name", "email"]
    assert after["properties"]["email"] == {"type": "string", "required": True}
    assert list(after) == list(data)
    assert {k: v for k, v in after.items() if k != "properties"} == {k: v for k, v in data.items() if k != "properties"}


def test_property_array_item_type_and_default(shop):
    assert (
        run(
            shop, "property", "Order", "lines", "--type", "array", "--item-type", "number", "--default", "1,2"
        ).exit_code
        == 0
    )
    assert run(shop, "property", "Order", "notes", "--type", "[string]").exit_code == 0
    assert run(shop, "property", "Order", "placed", "--type", "date", "--default", "now").exit_code == 0
    assert run(shop, "property", "Order", "buyer", "--type", "Customer").exit_code == 0
    properties = read(shop, "common/models/order.json")["properties"]
    assert properties["lines"] == {"type": ["number"], "default": [1, 2]}
    assert properties["notes"] == {"type": ["string"]}
    assert properties["placed"] == {"type": "date", "defaultFn": "now"}
    assert properties["buyer"] == {"type": "Customer"}


def test_property_yes_takes_string_and_optional(shop):
    assert run(shop, "property", "Order", "memo", "--yes").exit_code == 0
    assert read(shop, "common/models/order.json")["properties"]["memo"] == {"type": "string"}


def test_property_from_config(shop):
    result = run(shop, "property", "--config", '{"model": "Order", "name": "qty", "type": "number", "default": 1}')
    assert result.exit_code == 0, result.output
    assert read(shop, "common/models/order.json")["properties"]["qty"] == {"type": "number", "default": 1}


def test_property_twice_is_an_error_and_force_updates_in_place(shop):
    path = shop / "common/models/customer.json"
    data = json.loads(path.read_text())
    data["properties"]["name"]["description"] = "full name"
    data["properties"]["nick"] = {"type": "string"}
    path.write_text(json.dumps(data, indent=2) + "\n")
    fails(shop, "property", "Customer", "name", "--type", "string", says='already has a property "name"')
    assert run(shop, "property", "Customer", "name", "--type", "number", "--default", "1", "--force").exit_code == 0
    after = read(shop, "common/models/customer.json")["properties"]
    assert list(after) == ["name", "nick"]
    assert after["name"] == {"type": "number", "default": 1, "description": "full name"}


@pytest.mark.parametrize(
    "args, says",
    [
        (["property", "Nobody", "x"], 'MODEL: the app has no model "Nobody" (models: Customer, Order)'),
        (["property", "Order", "bad name"], "is not a valid property name"),
        (["property", "Order", "x", "--type", "int8"], '"int8" is not a type lbpy knows'),
        (["property", "Order", "x", "--type", "number", "--default", "ten"], '"ten" is not a number'),
        (["property", "Order", "x", "--type", "array", "--item-type", "array"], "cannot be arrays"),
        (["property", "Order"], "pass NAME"),
        (["property"], "pass MODEL"),
        (["property", "Order", "x", "--config", '{"colour": 1}'], 'unknown answer "colour"'),
    ],
)
def test_property_errors(shop, args, says):
    fails(shop, *args, says=says)


def test_property_may_not_shadow_a_relation(shop):
    assert run(shop, "relation", "Customer", "--type", "hasMany", "--model", "Order").exit_code == 0
    fails(shop, "property", "Customer", "orders", says='already has a relation named "orders"')


def test_property_on_an_app_with_no_models(root):
    fails(root, "property", says="the app has no models yet")


# -- lbpy relation ----------------------------------------------------------------------------------


def test_relation_has_many_in_loopback_3s_format(shop):
    result = run(shop, "relation", "Customer", "--type", "hasMany", "--model", "Order", "--yes")
    assert result.exit_code == 0, result.output
    text = (shop / "common/models/customer.json").read_text()
    assert (
        '"relations": {\n    "orders": {\n      "type": "hasMany",\n      "model": "Order",\n'
        '      "foreignKey": ""\n    }\n  },' in text
    )
    assert "Customer has many Order as orders" in result.output


def test_relation_kinds_and_their_default_names(shop):
    assert run(shop, "model", "Tag", "--yes").exit_code == 0
    assert run(shop, "model", "Payment", "--yes").exit_code == 0
    assert (
        run(
            shop, "relation", "Order", "--type", "belongsTo", "--model", "Customer", "--foreign-key", "buyerId"
        ).exit_code
        == 0
    )
    assert run(shop, "relation", "Order", "--type", "hasOne", "--model", "Payment").exit_code == 0
    assert run(shop, "relation", "Order", "--type", "hasAndBelongsToMany", "--model", "Tag").exit_code == 0
    assert (
        run(
            shop,
            "relation",
            "Customer",
            "--type",
            "hasManyThrough",
            "--model",
            "Tag",
            "--through",
            "Order",
            "--nest-remoting",
            "--disable-include",
        ).exit_code
        == 0
    )
    order = read(shop, "common/models/order.json")["relations"]
    assert order == {
        "customer": {"type": "belongsTo", "model": "Customer", "foreignKey": "buyerId"},
        "payment": {"type": "hasOne", "model": "Payment", "foreignKey": ""},
        "tags": {"type": "hasAndBelongsToMany", "model": "Tag", "foreignKey": ""},
    }
    assert read(shop, "common/models/customer.json")["relations"] == {
        "tags": {
            "type": "hasMany",
            "model": "Tag",
            "foreignKey": "",
            "through": "Order",
            "options": {"nestRemoting": True, "disableInclude": True},
        }
    }


def test_relation_from_config(shop):
    answers = {"model": "Customer", "type": "hasMany", "target": "Order", "name": "purchases", "foreignKey": "ownerId"}
    assert run(shop, "relation", "--config", json.dumps(answers)).exit_code == 0
    assert read(shop, "common/models/customer.json")["relations"]["purchases"]["foreignKey"] == "ownerId"


def test_relation_twice_is_an_error_and_force_replaces(shop):
    assert run(shop, "relation", "Customer", "--type", "hasMany", "--model", "Order").exit_code == 0
    fails(
        shop,
        "relation",
        "Customer",
        "--type",
        "hasMany",
        "--model",
        "Order",
        says='already has a relation "orders"; choose another --name, or pass --force',
    )
    assert (
        run(
            shop, "relation", "Customer", "--type", "hasMany", "--model", "Order", "--foreign-key", "cid", "--force"
        ).exit_code
        == 0
    )
    relations = read(shop, "common/models/customer.json")["relations"]
    assert list(relations) == ["orders"] and relations["orders"]["foreignKey"] == "cid"


@pytest.mark.parametrize(
    "args, says",
    [
        (["relation", "Nobody", "--type", "hasMany", "--model", "Order"], 'MODEL: the app has no model "Nobody"'),
        (["relation", "Customer", "--type", "hasLots", "--model", "Order"], '--type: "hasLots" is not a relation type'),
        (["relation", "Customer", "--type", "hasMany", "--model", "Nobody"], '--model: the app has no model "Nobody"'),
        (["relation", "Customer", "--type", "hasMany"], "pass --model"),
        (["relation", "Customer", "--type", "hasManyThrough", "--model", "Order"], "pass --through"),
        (
            ["relation", "Customer", "--type", "hasManyThrough", "--model", "Order", "--through", "Nobody"],
            '--through: the app has no model "Nobody"',
        ),
        (
            ["relation", "Customer", "--type", "belongsTo", "--model", "Order", "--through", "Order"],
            "a belongsTo relation takes no through model",
        ),
        (
            ["relation", "Customer", "--type", "hasMany", "--model", "Order", "--name", "name"],
            'already has a property "name"',
        ),
        (
            ["relation", "Customer", "--type", "hasMany", "--model", "Order", "--name", "bad-name"],
            "is not a valid property name",
        ),
        (
            ["relation", "Customer", "--type", "hasMany", "--model", "Order", "--foreign-key", "a b"],
            '--foreign-key: "a b" is not a valid property name',
        ),
    ],
)
def test_relation_errors(shop, args, says):
    fails(shop, *args, says=says)


# -- lbpy info ----------------------------------------------------------------------------------


def test_info_lists_models_datasources_and_connectors(shop):
    assert run(shop, "relation", "Customer", "--type", "hasMany", "--model", "Order").exit_code == 0
    assert run(shop, "datasource", "pg", "--connector", "memory", "--set", "file=db.json").exit_code == 0
    datasources = read(shop, "server/datasources.json")
    datasources["secretive"] = {"name": "secretive", "connector": "memory", "password": "hunter2"}
    (shop / "server/datasources.json").write_text(json.dumps(datasources))
    result = runner.invoke(cli, ["info", "--app", str(shop)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    out = result.output
    for text in (
        "Models",
        "Customer",
        "common/models/customer.json",
        "orders (hasMany Order)",
        "Datasources",
        "file=db.json",
        "Connectors",
        "memory",
        "built-in",
        "db, pg, secretive",
    ):
        assert text in out, text
    assert "hunter2" not in out and "password=****" in out

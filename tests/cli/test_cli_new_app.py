"""``lbpy new-app``: flags, defaults, names, folders and templates, through Typer's CliRunner.

CliRunner's stdin is not a terminal, so these tests also show that nothing ever waits on a prompt.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import tomllib
from starlette.testclient import TestClient
from typer.testing import CliRunner

from lbpy import create_app
from lbpy._cli import app as cli

runner = CliRunner()


@pytest.fixture(autouse=True)
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def new_app(*args: str, input: str | None = None):
    return runner.invoke(cli, ["new-app", *args], input=input)


def read_json(path: Path):
    return json.loads(path.read_text("utf-8"))


def files_under(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def one_line_error(result) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.output
    return lines[0]


# -- the layout ---------------------------------------------------------------------------------


def test_yes_writes_the_loopback_layout(in_tmp: Path):
    result = new_app("demo", "--yes")
    assert result.exit_code == 0, result.output
    root = in_tmp / "demo"
    assert files_under(root) == [
        ".dockerignore",
        ".gitignore",
        "Dockerfile",
        "README.md",
        "common/models/.gitkeep",
        "common/models/account.json",
        "compose.yaml",
        "pyproject.toml",
        "server/app.py",
        "server/component-config.json",
        "server/config.json",
        "server/config.production.json",
        "server/datasources.json",
        "server/datasources.production.json",
        "server/datasources.test.json",
        "server/middleware.json",
        "server/model-config.json",
        "tests/conftest.py",
        "tests/test_accounts.py",
        "tests/test_smoke.py",
    ]
    config = read_json(root / "server" / "config.json")
    assert (config["restApiRoot"], config["host"], config["port"]) == ("/api", "127.0.0.1", 3000)
    assert config["remoting"]["rest"] == {"maxLimit": 1000}  # new apps bound a page
    assert config["rateLimit"] == {"perAddress": "600/minute", "perToken": "1200/minute", "storage": "memory"}
    assert read_json(root / "server" / "datasources.json") == {
        "db": {
            "name": "db",
            "connector": "sqlite",
            "file": "data/db.sqlite3",
            "autoupdate": True,
        }
    }
    model_config = read_json(root / "server" / "model-config.json")
    # LoopBack 3's api-server: a User-based model and the auth models on the default datasource
    assert model_config == {
        "_meta": {
            "sources": ["loopback/common/models", "loopback/server/models", "../common/models", "./models"],
            "mixins": ["loopback/common/mixins", "loopback/server/mixins", "../common/mixins", "./mixins"],
        },
        "Account": {"dataSource": "db", "public": True},
        "AccessToken": {"dataSource": "db", "public": False},
        "ACL": {"dataSource": "db", "public": False},
        "RoleMapping": {"dataSource": "db", "public": False},
        "Role": {"dataSource": "db", "public": False},
    }
    assert read_json(root / "common" / "models" / "account.json")["base"] == "User"
    assert read_json(root / "server" / "component-config.json") == {
        "loopback-component-explorer": {"mountPath": "/explorer"}
    }
    assert "app = create_app(Path(__file__).resolve().parent.parent)" in (root / "server" / "app.py").read_text()
    project = tomllib.loads((root / "pyproject.toml").read_text("utf-8"))["project"]
    assert project["name"] == "demo"
    assert any(dep.startswith("lbpy>=") for dep in project["dependencies"])
    assert (root / "README.md").read_text().startswith("# demo\n")


def test_each_file_is_reported_then_the_next_steps(in_tmp: Path):
    output = new_app("demo", "--yes").stdout
    assert "create server/config.json" in " ".join(output.split())
    assert output.index("server/model-config.json") < output.index("Next steps")
    assert "$ cd demo" in output
    assert "$ lbpy start" in output
    assert "http://localhost:3000/api" in output
    assert "http://localhost:3000/explorer" in output


def test_the_new_app_boots_and_answers(in_tmp: Path):
    new_app("demo", "--yes")
    with TestClient(create_app(in_tmp / "demo")) as client:
        assert client.get("/").status_code == 200
        assert client.get("/api/Notes").status_code == 404
        accounts = client.get("/api/Accounts")
        assert accounts.status_code == 401
        assert accounts.headers["ratelimit-limit"] == "600"  # new apps limit each client
        assert client.get("/health").json() == {"status": "ok"} and client.get("/ready").status_code == 200


def test_notes_template_adds_a_note_model_on_db(in_tmp: Path):
    result = new_app("demo", "--yes", "--template", "notes")
    assert result.exit_code == 0, result.output
    root = in_tmp / "demo"
    note = read_json(root / "common" / "models" / "note.json")
    assert note["name"] == "Note"
    assert note["properties"]["title"] == {"type": "string", "required": True}
    assert read_json(root / "server" / "model-config.json")["Note"] == {"dataSource": "db", "public": True}
    assert (root / "tests" / "test_notes.py").is_file()
    with TestClient(create_app(root)) as client:
        created = client.post("/api/Notes", json={"title": "first"})
        assert created.status_code == 200
        assert created.json() == {"title": "first", "id": 1}
        # read back from SQL, every declared property is there, null when empty (as LoopBack's)
        assert client.get("/api/Notes").json() == [{"title": "first", "content": None, "id": 1}]


@pytest.mark.parametrize("template", ["api-server", "empty-server", "hello-world", "notes"])
@pytest.mark.parametrize("explorer", ["--explorer", "--no-explorer"])
def test_every_template_renders_valid_files_that_boot(in_tmp: Path, template: str, explorer: str):
    assert new_app("demo", "--yes", "--template", template, explorer).exit_code == 0
    root = in_tmp / "demo"
    for path in root.rglob("*.json"):
        read_json(path)
    tomllib.loads((root / "pyproject.toml").read_text("utf-8"))
    app = create_app(root)
    assert (
        sorted(app.models)
        == {
            "api-server": ["ACL", "AccessToken", "Account", "Role", "RoleMapping", "User"],
            "empty-server": [],
            "hello-world": ["Message"],
            "notes": ["Note"],
        }[template]
    )
    assert app.auth.enforced is (template == "api-server")
    assert app.explorer_path == ("/explorer" if explorer == "--explorer" else None)


def test_no_explorer_leaves_out_the_component_config(in_tmp: Path):
    result = new_app("demo", "--yes", "--no-explorer")
    assert result.exit_code == 0, result.output
    assert not (in_tmp / "demo" / "server" / "component-config.json").exists()
    assert "/explorer" not in result.stdout
    assert create_app(in_tmp / "demo").explorer_path is None


def test_description_is_written_as_given(in_tmp: Path):
    text = 'Orders "and" back\\slashes, ünïcödé 🚀'
    assert new_app("demo", "--yes", "--description", text).exit_code == 0
    project = tomllib.loads((in_tmp / "demo" / "pyproject.toml").read_text("utf-8"))["project"]
    assert project["description"] == text
    assert text in (in_tmp / "demo" / "README.md").read_text("utf-8")


def test_dir_chooses_the_folder_and_creates_its_parents(in_tmp: Path):
    result = new_app("demo", "--yes", "--dir", "apps/here")
    assert result.exit_code == 0, result.output
    root = in_tmp / "apps" / "here"
    assert (root / "server" / "model-config.json").is_file()
    assert tomllib.loads((root / "pyproject.toml").read_text())["project"]["name"] == "demo"
    assert "$ cd apps/here" in result.stdout


def test_flags_answer_every_question_without_yes(in_tmp: Path):
    result = new_app("demo", "--dir", "d", "--description", "x", "--template", "notes", "--no-explorer")
    assert result.exit_code == 0, result.output
    assert (in_tmp / "d" / "common" / "models" / "note.json").is_file()
    assert not (in_tmp / "d" / "server" / "component-config.json").exists()


def test_without_a_terminal_defaults_are_taken_and_nothing_waits(in_tmp: Path):
    result = new_app("demo", input="")
    assert result.exit_code == 0, result.output
    assert (in_tmp / "demo" / "server" / "component-config.json").is_file()
    assert not (in_tmp / "demo" / "common" / "models" / "note.json").exists()


@pytest.mark.parametrize("args", [[], ["--yes"], ["--template", "notes"]])
def test_a_missing_name_without_a_terminal_names_the_argument(in_tmp: Path, args: list[str]):
    result = new_app(*args)
    assert result.exit_code == 2
    assert "App name is required: pass NAME" in one_line_error(result)
    assert list(in_tmp.iterdir()) == []


# -- names and folders --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, reason",
    [
        ("", "empty"),
        ("a/b", "path separator"),
        ("a\\b", "path separator"),
        (".", "not an app name"),
        ("..", "not an app name"),
        ("my app", "not valid"),
        ("-app", "not valid"),
        ("app-", "not valid"),
        ("1app", "not valid"),
        ("lbpy", "reserved"),
        ("LBPY", "reserved"),
        ("starlette", "reserved"),
        ("con", "Windows device"),
        ("LPT1", "Windows device"),
        ("json", "standard module"),
        ("class", "keyword"),
    ],
)
def test_bad_names_are_refused_in_one_line(in_tmp: Path, name: str, reason: str):
    result = new_app("--yes", "--", name)
    assert result.exit_code == 2
    assert reason in one_line_error(result)
    assert list(in_tmp.iterdir()) == []


@pytest.mark.parametrize("name", ["a", "my-app", "my_app", "My.App2", "notes-api"])
def test_good_names_are_taken(in_tmp: Path, name: str):
    assert new_app(name, "--yes").exit_code == 0
    assert (in_tmp / name / "server" / "app.py").is_file()


def test_a_non_empty_folder_is_refused(in_tmp: Path):
    (in_tmp / "demo").mkdir()
    (in_tmp / "demo" / "keep.txt").write_text("mine")
    result = new_app("demo", "--yes")
    assert result.exit_code == 2
    assert "not empty" in one_line_error(result) and "--force" in result.stderr
    assert files_under(in_tmp / "demo") == ["keep.txt"]


def test_an_empty_folder_is_used(in_tmp: Path):
    (in_tmp / "demo").mkdir()
    assert new_app("demo", "--yes").exit_code == 0
    assert (in_tmp / "demo" / "server" / "config.json").is_file()


def test_a_file_in_the_way_is_refused(in_tmp: Path):
    (in_tmp / "demo").write_text("a file")
    result = new_app("demo", "--yes", "--force")
    assert result.exit_code == 2
    assert "is a file" in one_line_error(result)


def test_force_writes_into_a_non_empty_folder(in_tmp: Path):
    root = in_tmp / "demo"
    root.mkdir()
    (root / "keep.txt").write_text("mine")
    (root / "README.md").write_text("old")
    result = new_app("demo", "--yes", "--force")
    assert result.exit_code == 0, result.output
    assert (root / "keep.txt").read_text() == "mine"
    assert (root / "README.md").read_text().startswith("# demo")
    words = " ".join(result.stdout.split())
    assert "overwrite README.md" in words and "create server/config.json" in words

    again = new_app("demo", "--yes", "--force")
    assert "identical README.md" in " ".join(again.stdout.split())


def test_force_stops_before_writing_when_a_folder_is_in_a_files_place(in_tmp: Path):
    root = in_tmp / "demo"
    (root / "README.md").mkdir(parents=True)
    result = new_app("demo", "--yes", "--force")
    assert result.exit_code == 2
    assert "README.md is a folder" in one_line_error(result)
    assert files_under(root) == []


# -- templates ----------------------------------------------------------------------------------


def test_an_unknown_template_is_refused(in_tmp: Path):
    result = new_app("demo", "--yes", "--template", "nope")
    assert result.exit_code == 2
    assert "api-server, empty-server, hello-world, notes" in one_line_error(result)
    assert not (in_tmp / "demo").exists()


def test_a_folder_without_cookiecutter_json_is_refused(in_tmp: Path):
    (in_tmp / "tpl").mkdir()
    result = new_app("demo", "--yes", "--template", str(in_tmp / "tpl"))
    assert result.exit_code == 2
    assert "no cookiecutter.json" in one_line_error(result)


def write_template(folder: Path, files: dict[str, str], variables: dict) -> Path:
    folder.mkdir()
    (folder / "cookiecutter.json").write_text(json.dumps(variables))
    for relative, content in files.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    return folder


def test_any_cookiecutter_template_renders_with_the_answers(in_tmp: Path):
    template = write_template(
        in_tmp / "tpl",
        {
            "{{cookiecutter.project_slug}}/about.txt": (
                "{{ cookiecutter.project_name }}|{{ cookiecutter.description }}|{{ cookiecutter.explorer }}"
                "|{{ cookiecutter.flavour }}|{{ cookiecutter.shout }}"
            ),
            "{{cookiecutter.project_slug}}/{% if cookiecutter.explorer %}explorer.txt{% endif %}": "on",
        },
        {
            "project_name": "Default",
            "project_slug": "{{ cookiecutter.project_name|lower }}",
            "description": "none",
            "explorer": False,
            "flavour": ["plain", "spicy"],
            "shout": "{{ cookiecutter.project_name|upper }}",
        },
    )
    result = new_app("shop", "--yes", "--dir", "out", "--description", "Sells", "--template", str(template))
    assert result.exit_code == 0, result.output
    assert (in_tmp / "out" / "about.txt").read_text() == "shop|Sells|True|plain|SHOP"
    assert (in_tmp / "out" / "explorer.txt").is_file()
    assert "$ cd out" in result.stdout
    assert "lbpy start" not in result.stdout  # not an lbpy app: only the cd step


def test_bytecode_in_a_template_is_not_copied_into_the_app(in_tmp: Path):
    # pip byte-compiles the Python files of lbpy's installed templates
    template = write_template(
        in_tmp / "tpl",
        {
            "{{cookiecutter.app_name}}/server/app.py": "app = None\n",
            "{{cookiecutter.app_name}}/server/__pycache__/app.cpython-311.pyc": "compiled",
            "{{cookiecutter.app_name}}/stray.pyc": "compiled",
        },
        {"app_name": "demo"},
    )
    result = new_app("demo", "--yes", "--template", str(template))
    assert result.exit_code == 0, result.output
    assert sorted(p.relative_to(in_tmp / "demo").as_posix() for p in (in_tmp / "demo").rglob("*")) == [
        "server",
        "server/app.py",
    ]


def test_a_template_that_fails_leaves_nothing_behind(in_tmp: Path):
    template = write_template(
        in_tmp / "tpl",
        {
            "{{cookiecutter.app_name}}/a.txt": "fine",
            "{{cookiecutter.app_name}}/b.txt": "{{ cookiecutter.not_declared }}",
            "{{cookiecutter.app_name}}/c.txt": "never reached",
        },
        {"app_name": "x"},
    )
    before = sorted(p.name for p in in_tmp.iterdir())
    result = new_app("demo", "--yes", "--template", str(template))
    assert result.exit_code == 1
    message = one_line_error(result)
    assert "b.txt" in message and "not_declared" in message
    assert sorted(p.name for p in in_tmp.iterdir()) == before  # no demo/, no staging folder


def test_a_failure_under_force_leaves_the_folder_as_it_was(in_tmp: Path):
    template = write_template(
        in_tmp / "tpl",
        {
            "{{cookiecutter.app_name}}/README.md": "new",
            "{{cookiecutter.app_name}}/z.txt": "{{ cookiecutter.not_declared }}",
        },
        {"app_name": "x"},
    )
    (in_tmp / "demo").mkdir()
    (in_tmp / "demo" / "README.md").write_text("old")
    result = new_app("demo", "--yes", "--force", "--template", str(template))
    assert result.exit_code == 1
    assert files_under(in_tmp / "demo") == ["README.md"]
    assert (in_tmp / "demo" / "README.md").read_text() == "old"


def test_the_template_choices_come_from_the_app_template():
    from lbpy._templates import app_templates, read_cookiecutter_json, template_path

    choices = app_templates()
    assert list(choices) == ["api-server", "empty-server", "hello-world", "notes"]
    assert all(choices.values())
    declared = read_cookiecutter_json(template_path("app"))
    assert set(declared["_templates"]) == set(declared["template"])


def test_help_lists_every_flag():
    result = runner.invoke(cli, ["new-app", "--help"])
    for flag in ("--dir", "--description", "--template", "--explorer", "--no-explorer", "--yes", "--force"):
        assert flag in result.stdout


# -- the default datasource ------------------------------------------------------------------------


def test_the_default_datasource_is_a_sqlite_file_that_outlives_the_app(in_tmp: Path):
    assert new_app("demo", "--yes", "--template", "notes").exit_code == 0
    root = in_tmp / "demo"
    assert "/data/" in (root / ".gitignore").read_text().splitlines()
    with TestClient(create_app(root)) as client:  # autoupdate: the Note table is made on first use
        created = client.post("/api/Notes", json={"title": "kept"})
        assert created.status_code == 200, created.text
    assert (root / "data" / "db.sqlite3").is_file()
    with TestClient(create_app(root)) as client:
        assert [note["title"] for note in client.get("/api/Notes").json()] == ["kept"]


def test_the_apps_own_tests_get_a_database_of_their_own(in_tmp: Path, monkeypatch: pytest.MonkeyPatch):
    assert new_app("demo", "--yes", "--template", "notes").exit_code == 0
    root = in_tmp / "demo"
    assert read_json(root / "server" / "datasources.test.json") == {"db": {"file": ":memory:"}}
    monkeypatch.setenv("LBPY_ENV", "test")
    with TestClient(create_app(root)) as client:
        assert client.post("/api/Notes", json={"title": "scratch"}).status_code == 200
    assert not (root / "data").exists()


def test_memory_is_the_other_choice(in_tmp: Path):
    result = new_app("demo", "--yes", "--datasource", "memory")
    assert result.exit_code == 0, result.output
    root = in_tmp / "demo"
    assert read_json(root / "server" / "datasources.json") == {"db": {"name": "db", "connector": "memory"}}
    assert not (root / "server" / "datasources.test.json").exists()
    assert "/data/" not in (root / ".gitignore").read_text()


def test_an_unknown_datasource_choice_is_refused(in_tmp: Path):
    result = new_app("demo", "--yes", "--datasource", "mongodb")
    assert result.exit_code == 2
    assert one_line_error(result) == 'error: --datasource must be one of: sqlite, memory (got "mongodb")'
    assert not (in_tmp / "demo").exists()

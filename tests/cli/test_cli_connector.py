"""lbpy connector NAME: a package that passes its own tests, written from flags or defaults."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import write_app
from typer.testing import CliRunner

from lbpy._cli import app as cli

EXPECTED_FILES = [
    ".gitignore",
    "README.md",
    "lbpy_connector_helloworld/__init__.py",
    "lbpy_connector_helloworld/lib/__init__.py",
    "lbpy_connector_helloworld/lib/helloworld.py",
    "pyproject.toml",
    "tests/test_conformance.py",
    "tests/test_helloworld.py",
]


def run(cwd: Path, *args: str):
    old = Path.cwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(cli, ["connector", *args])
    finally:
        os.chdir(old)


def files_in(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def test_yes_writes_the_package_with_its_index_lib_and_tests(tmp_path):
    result = run(tmp_path, "helloworld", "--yes")
    assert result.exit_code == 0, result.output
    package = tmp_path / "lbpy-connector-helloworld"
    assert files_in(package) == EXPECTED_FILES
    pyproject = (package / "pyproject.toml").read_text()
    assert 'name = "lbpy-connector-helloworld"' in pyproject
    assert '[project.entry-points."lbpy.connectors"]\nhelloworld = "lbpy_connector_helloworld"' in pyproject
    index = (package / "lbpy_connector_helloworld" / "__init__.py").read_text()
    assert "def initialize(datasource)" in index
    assert "from .lib.helloworld import HelloworldConnector" in index
    lib = (package / "lbpy_connector_helloworld" / "lib" / "helloworld.py").read_text()
    assert "    def all(self, model: str, filter: Filter, options: dict) -> list[dict]:" in lib
    assert "blocking = True" in lib
    assert "Created the helloworld connector package in lbpy-connector-helloworld" in result.output


def test_inside_an_app_the_package_goes_next_to_it(tmp_path):
    app = write_app(tmp_path / "myapp")
    result = run(app, "helloworld", "--yes")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "lbpy-connector-helloworld" / "pyproject.toml").is_file()
    assert "../lbpy-connector-helloworld" in result.output


def test_flags_answer_every_question(tmp_path):
    result = run(
        tmp_path,
        "my-crm",
        "--package-name",
        "acme-crm-connector",
        "--directory",
        "out/crm",
        "--description",
        'Acme "CRM" connector',
        "--author",
        "Ada",
        "--async",
    )
    assert result.exit_code == 0, result.output
    package = tmp_path / "out" / "crm"
    assert (package / "lbpy_connector_my_crm" / "lib" / "my_crm.py").is_file()
    pyproject = (package / "pyproject.toml").read_text()
    assert 'name = "acme-crm-connector"' in pyproject
    assert 'description = "Acme \\"CRM\\" connector"' in pyproject
    assert 'authors = [{ name = "Ada" }]' in pyproject
    assert 'my-crm = "lbpy_connector_my_crm"' in pyproject
    lib = (package / "lbpy_connector_my_crm" / "lib" / "my_crm.py").read_text()
    assert "class MyCrmConnector(Connector):" in lib
    assert "    async def all(self, model: str, filter: Filter, options: dict) -> list[dict]:" in lib
    assert "await self.client.find(" in lib
    for path in package.rglob("*.py"):
        compile(path.read_text(), str(path), "exec")


def test_a_non_empty_directory_is_refused_and_left_alone(tmp_path):
    target = tmp_path / "lbpy-connector-helloworld"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    result = run(tmp_path, "helloworld", "--yes")
    assert result.exit_code == 2
    assert "is not empty; choose another or pass --force" in result.output
    assert files_in(target) == ["notes.txt"]


def test_force_writes_into_a_non_empty_directory_and_keeps_other_files(tmp_path):
    target = tmp_path / "lbpy-connector-helloworld"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    (target / "README.md").write_text("old")
    result = run(tmp_path, "helloworld", "--yes", "--force")
    assert result.exit_code == 0, result.output
    assert files_in(target) == sorted(EXPECTED_FILES + ["notes.txt"])
    assert (target / "README.md").read_text().startswith("# lbpy-connector-helloworld")


@pytest.mark.parametrize(
    "name, message",
    [
        ("Hello", "is not a valid connector name"),
        ("hello/world", "is not a valid connector name"),
        ("1st", "is not a valid connector name"),
        ("memory", "is the name of a built-in connector"),
        ("postgres", "is the name of a built-in connector"),
    ],
)
def test_bad_names_are_refused_with_exit_code_2(tmp_path, name, message):
    result = run(tmp_path, name, "--yes")
    assert result.exit_code == 2
    assert message in result.output
    assert list(tmp_path.iterdir()) == []


def test_a_bad_package_name_is_refused(tmp_path):
    result = run(tmp_path, "helloworld", "--yes", "--package-name", "bad name!")
    assert result.exit_code == 2
    assert "is not a valid Python package name" in result.output


def test_without_a_terminal_nothing_waits_for_an_answer(tmp_path):
    """No --yes and no terminal on stdin: the defaults are taken, nothing blocks."""
    done = subprocess.run(
        [sys.executable, "-m", "lbpy", "connector", "quiet"],
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "lbpy-connector-quiet" / "lbpy_connector_quiet" / "lib" / "quiet.py").is_file()


@pytest.mark.parametrize("flag", ["--sync", "--async"])
def test_the_generated_tests_pass(tmp_path, flag):
    """The package's own suite (the conformance kit and an app on the connector) passes as
    generated; the entry-point test needs an install and runs in the end-to-end test."""
    assert run(tmp_path, "hello-there", "--yes", flag).exit_code == 0
    package = tmp_path / "lbpy-connector-hello-there"
    env = {**os.environ, "PYTHONPATH": str(package)}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-k", "not installed"],
        cwd=package,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert " passed" in done.stdout and "failed" not in done.stdout


def test_the_questions_are_asked_in_a_terminal(tmp_path):
    """Each question has a default; an answer replaces it (Ctrl-U clears the default first)."""
    pexpect = pytest.importorskip("pexpect")
    child = pexpect.spawn(
        sys.executable,
        ["-m", "lbpy", "connector", "acme"],
        cwd=str(tmp_path),
        encoding="utf-8",
        timeout=30,
        dimensions=(40, 160),
    )
    child.expect("Package name")
    child.sendline("")
    child.expect("Directory")
    child.sendline("")
    child.expect("Description")
    child.sendline("\x15Acme CRM")
    child.expect("Author")
    child.sendline("\x15Ada")
    child.expect("async")
    child.sendline("y")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    package = tmp_path / "lbpy-connector-acme"
    pyproject = (package / "pyproject.toml").read_text()
    assert 'description = "Acme CRM"' in pyproject
    assert 'authors = [{ name = "Ada" }]' in pyproject
    assert "    async def all(" in (package / "lbpy_connector_acme" / "lib" / "acme.py").read_text()


HTTP_FILES = [
    ".gitignore",
    "README.md",
    "lbpy_connector_acme_crm/__init__.py",
    "lbpy_connector_acme_crm/lib/__init__.py",
    "lbpy_connector_acme_crm/lib/acme_crm.py",
    "pyproject.toml",
    "tests/conftest.py",
    "tests/fake_api.py",
    "tests/test_acme_crm.py",
    "tests/test_conformance.py",
]


def test_the_http_template_writes_a_client_over_lbpy_http_with_a_fake_of_the_api(tmp_path):
    result = run(tmp_path, "acme-crm", "--template", "http", "--yes")
    assert result.exit_code == 0, result.output
    package = tmp_path / "lbpy-connector-acme-crm"
    assert files_in(package) == HTTP_FILES
    lib = (package / "lbpy_connector_acme_crm" / "lib" / "acme_crm.py").read_text()
    assert "from lbpy.http import HttpClient, http_settings" in lib  # imported, not copied
    assert "class AcmeCrmClient:" in lib and "class AcmeCrmConnector(Connector):" in lib
    assert lib.count("YOUR SYSTEM") >= 8
    assert "httpx.ASGITransport(app=API)" in (package / "tests" / "test_conformance.py").read_text()
    readme = (package / "README.md").read_text()
    assert "From a hello world to a SaaS connector" in readme


def test_the_http_template_is_async_and_an_unknown_template_is_refused(tmp_path):
    assert "--sync: the http template's client is async" in run(tmp_path, "x", "--template", "http", "--sync").output
    result = run(tmp_path, "x", "--template", "soap", "--yes")
    assert result.exit_code == 2
    assert '--template must be one of: memory, http (got "soap")' in result.output


def test_the_http_template_s_tests_pass_as_generated(tmp_path):
    """The package's suite (the conformance kit against its in-process fake API, paging,
    credentials) passes as generated; the entry-point test needs an install."""
    assert run(tmp_path, "acme-crm", "--template", "http", "--yes").exit_code == 0
    package = tmp_path / "lbpy-connector-acme-crm"
    env = {**os.environ, "PYTHONPATH": str(package)}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-k", "not installed"],
        cwd=package,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert " passed" in done.stdout and "failed" not in done.stdout

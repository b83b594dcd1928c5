"""``lbpy import-lb3`` from the command line: dry run, --force, a file that does not parse, the report."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from starlette.testclient import TestClient
from typer.testing import CliRunner

from lbpy import create_app
from lbpy._cli import app as cli

HERE = Path(__file__).resolve().parent


def notes_app(tmp_path: Path) -> Path:
    root = tmp_path / "notes"
    shutil.copytree(HERE / "apps" / "notes", root)
    return root


def python_files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*.py")}


def run(*args: str):
    return CliRunner().invoke(cli, ["import-lb3", *args], env={"COLUMNS": "200"})


def test_dry_run_lists_what_would_be_written_and_writes_nothing(tmp_path):
    root = notes_app(tmp_path)
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    result = run(str(root), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "would write common/models/note.py (create)" in result.output
    assert "would write server/boot/nest.py (create)" in result.output
    assert "would write common/mixins/audited.py (create)" in result.output
    assert "would write MIGRATION.md (create)" in result.output
    assert {p: p.read_bytes() for p in root.rglob("*") if p.is_file()} == before


def test_writes_python_beside_each_javascript_file_and_the_report(tmp_path):
    root = notes_app(tmp_path)
    result = run(str(root))
    assert result.exit_code == 0, result.output
    assert python_files(root) == {
        "common/models/note.py",
        "common/models/tag.py",
        "common/models/mark.py",
        "common/models/log.py",
        "common/mixins/audited.py",
        "server/boot/authentication.py",
        "server/boot/root.py",
        "server/boot/nest.py",
    }
    migration = (root / "MIGRATION.md").read_text()
    assert "### `common/models/note.js` → `common/models/note.py`" in migration
    assert "| 11 | remoteMethod search | translated |  |" in migration
    assert "| loopback-connector-mysql | ^5.4.4 | lbpy[mysql] |" in migration
    assert "| functions stubbed |" in migration
    # the rich table on the terminal says the same
    assert "remoteMethod search" in result.output and "lbpy[mysql]" in result.output
    assert "declarations translated" in result.output


def test_existing_python_files_are_kept_unless_force(tmp_path):
    root = notes_app(tmp_path)
    (root / "common" / "models" / "note.py").write_text("def customize(Note):\n    pass\n")
    result = run(str(root))
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == ["error: common/models/note.py exists; pass --force to overwrite"]
    assert (root / "common" / "models" / "note.py").read_text() == "def customize(Note):\n    pass\n"
    assert not (root / "common" / "models" / "tag.py").exists()
    result = run(str(root), "--force")
    assert result.exit_code == 0, result.output
    assert "wrote common/models/note.py (overwrite)" in result.output
    assert "Note.remote_method(" in (root / "common" / "models" / "note.py").read_text()


def test_a_file_that_does_not_parse_is_one_line_and_the_rest_is_ported(tmp_path):
    root = notes_app(tmp_path)
    (root / "server" / "boot" / "broken.js").write_text("module.exports = function(app) {\n  app.x(;\n};\n")
    result = run(str(root))
    assert result.exit_code == 1
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1
    assert errors[0].startswith("error: server/boot/broken.js:2:")
    assert "JavaScript syntax error" in errors[0]
    assert (root / "common" / "models" / "note.py").is_file()
    assert not (root / "server" / "boot" / "broken.py").exists()
    assert "**Not ported**: server/boot/broken.js:2:" in (root / "MIGRATION.md").read_text()


def test_a_folder_that_is_not_an_app_is_a_usage_error(tmp_path):
    result = run(str(tmp_path))
    assert result.exit_code == 2
    assert "is not an lbpy app (no server/model-config.json)" in result.output


def test_every_generated_file_imports_and_the_app_boots(tmp_path):
    root = notes_app(tmp_path)
    assert run(str(root)).exit_code == 0
    for path in root.rglob("*.py"):
        compile(path.read_text(), str(path), "exec")
    with TestClient(create_app(root)) as api:
        assert api.get("/api/Notes").status_code == 200


def test_without_the_parser_the_error_names_the_extra(tmp_path):
    root = notes_app(tmp_path)
    code = (
        "import sys; sys.modules['tree_sitter'] = None; sys.modules['tree_sitter_javascript'] = None\n"
        "from lbpy._cli import main; sys.argv = ['lbpy', 'import-lb3', sys.argv[1]]; main()"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(root)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "200"},
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.strip() == "error: lbpy import-lb3 needs a JavaScript parser: pip install 'lbpy[lb3]'"


def test_a_file_nested_too_deeply_is_one_line_and_the_rest_is_ported(tmp_path):
    root = notes_app(tmp_path)
    deep = "[" * 5000 + "]" * 5000
    (root / "common" / "models" / "tag.js").write_text(
        f"module.exports = function(Tag) {{ Tag.scope('x', {{where: {{a: {deep}}}}}); }};\n"
    )
    result = run(str(root))
    assert result.exit_code == 1
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and errors[0].startswith("error: common/models/tag.js: ")
    assert (root / "common" / "models" / "note.py").is_file()
